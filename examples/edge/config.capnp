# workerd config of the edge example: `npx workerd serve examples/edge/config.capnp`
# (after `npm run build`), then `curl -d '{"x":[[0,1,0,0,0,0,0,0]]}' 127.0.0.1:8788/predict`.
# Modules keep their repository paths as names so worker.mjs's relative imports resolve.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "polyhead-edge", worker = .edgeWorker) ],
  sockets = [ (name = "http", address = "127.0.0.1:8788", http = (), service = "polyhead-edge") ],
);

const edgeWorker :Workerd.Worker = (
  modules = [
    (name = "examples/edge/worker.mjs", esModule = embed "worker.mjs"),
    (name = "examples/edge/model.mjs", esModule = embed "model.mjs"),
    (name = "examples/edge/model.json", json = embed "model.json"),
    (name = "dist/edge.js", esModule = embed "../../dist/edge.js"),
    (name = "dist/polyhead.wasm", wasm = embed "../../dist/polyhead.wasm"),
  ],
  compatibilityDate = "2025-09-01",
);
