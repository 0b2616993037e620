# workerd config of the identity suite. test/runtimes.test.ts bundles workerd-worker.mjs
# (with the workload, dist/edge.js and dist/index.js) into out/workerd-worker.js, then runs
# `workerd serve test/runtimes/workerd.capnp --socket-addr=http=127.0.0.1:PORT`.
# new_module_registry gives import.meta.url, which workload.mjs reads at load.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "identity", worker = .identityWorker) ],
  sockets = [ (name = "http", address = "127.0.0.1:8787", http = (), service = "identity") ],
);

const identityWorker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "out/workerd-worker.js"),
    (name = "polyhead.wasm", wasm = embed "../../dist/polyhead.wasm"),
  ],
  compatibilityDate = "2025-09-01",
  compatibilityFlags = ["new_module_registry"],
);
