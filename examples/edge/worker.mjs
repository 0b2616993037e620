// A workerd (Cloudflare Workers) function serving a polyhead model: GET / describes it,
// POST /predict { x: rows } returns every head's outputs, POST /finetune { task, x, y,
// steps?, lr? } tunes that task's head on the request's batch (the rest frozen) and
// returns the losses, the new head weights and the batch's predictions. Config:
// examples/edge/config.capnp; it runs polyhead's edge entry (Wasm imported as a module)
// and loads the model with polyhead/io from a safetensors archive (a data module).
import * as ph from "../../dist/edge.js";
import * as io from "../../dist/edge/io.js";
import archive from "./model.safetensors";
import { loadModel, predict, fineTuneHead, LIMITS } from "./model.mjs";

const bytes = new Uint8Array(archive); // workerd hands a data module over as an ArrayBuffer
let ready = null; // the model is loaded once per isolate, on the first request
const loaded = () => (ready ??= ph.init().then(() => loadModel(ph, io, bytes)));

const error = (status, message) => Response.json({ error: message }, { status });

export default {
  async fetch(request) {
    const { pathname } = new URL(request.url);
    try {
      if (request.method === "GET" && pathname === "/") {
        const { config } = await loaded();
        return Response.json({ architecture: config.architecture.name, options: config.architecture.options, tasks: config.tasks, limits: LIMITS });
      }
      if (request.method !== "POST") return error(404, `no ${request.method} ${pathname}; try GET /, POST /predict, POST /finetune`);
      let body;
      try { body = await request.json(); } catch { return error(400, "the body must be JSON"); }
      if (pathname === "/predict") {
        const { model, config } = await loaded();
        return Response.json(predict(ph, model, body?.x, config.architecture.options.inputs));
      }
      if (pathname === "/finetune") { await loaded(); return Response.json(fineTuneHead(ph, io, bytes, body ?? {})); }
      return error(404, `no POST ${pathname}; try /predict or /finetune`);
    } catch (e) {
      // bad input (RangeError, from the checks in model.mjs) is the caller's; anything else is ours
      return e instanceof RangeError ? error(400, e.message) : error(500, String(e?.stack ?? e));
    }
  },
};
