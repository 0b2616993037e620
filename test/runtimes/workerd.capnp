# workerd config of the identity suite (test/runtimes.test.ts starts
# `workerd serve test/runtimes/workerd.capnp --socket-addr=http=127.0.0.1:PORT`).
# Modules keep their repository paths as names so the worker's relative imports resolve;
# new_module_registry gives import.meta.url, which workload.mjs uses to find dist/.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "identity", worker = .identityWorker) ],
  sockets = [ (name = "http", address = "127.0.0.1:8787", http = (), service = "identity") ],
);

const identityWorker :Workerd.Worker = (
  modules = [
    (name = "test/runtimes/workerd-worker.mjs", esModule = embed "workerd-worker.mjs"),
    (name = "test/runtimes/workload.mjs", esModule = embed "workload.mjs"),
    (name = "dist/edge.js", esModule = embed "../../dist/edge.js"),
    (name = "dist/polyhead.wasm", wasm = embed "../../dist/polyhead.wasm"),
    (name = "dist/index.js", esModule = embed "../../dist/index.js"),
  ],
  compatibilityDate = "2025-09-01",
  compatibilityFlags = ["new_module_registry"],
);
