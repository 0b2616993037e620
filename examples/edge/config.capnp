# workerd config of the edge example. Build, bundle, serve:
#   npm run build && node examples/edge/build.mjs && npx workerd serve examples/edge/config.capnp
#   curl -d '{"x":[[0,1,0,0,0,0,0,0]]}' 127.0.0.1:8788/predict
# out/worker.js is worker.mjs bundled with its model and polyhead's edge entry; the Wasm
# is a module of its own, compiled by workerd at load (it refuses to compile bytes later);
# the model is a data module (an ArrayBuffer), read by polyhead/io's loadModel.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "polyhead-edge", worker = .edgeWorker) ],
  sockets = [ (name = "http", address = "127.0.0.1:8788", http = (), service = "polyhead-edge") ],
);

const edgeWorker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "out/worker.js"),
    (name = "polyhead.wasm", wasm = embed "../../dist/polyhead.wasm"),
    (name = "model.safetensors", data = embed "model.safetensors"),
  ],
  compatibilityDate = "2025-09-01",
);
