// The identity workload inside real workerd (test/runtimes/workerd.capnp, bundled first):
// GET /edge runs it on dist/edge.js (and dist/edge/io.js, dist/edge/seq.js), which import the precompiled polyhead.wasm; GET /bytes
// tries the universal bundle, which compiles Wasm from bytes, and reports workerd's refusal.
import * as edge from "../../dist/edge.js";
import * as edgeIo from "../../dist/edge/io.js";
import * as edgeSeq from "../../dist/edge/seq.js";
import { workload } from "./workload.mjs";

export default {
  async fetch(request) {
    const { pathname } = new URL(request.url);
    try {
      if (pathname === "/edge") return Response.json(await workload(edge, edgeIo, edgeSeq));
      if (pathname === "/bytes") {
        const ph = await import("../../dist/index.js");
        await ph.init();
        return Response.json({ loaded: true });
      }
      return new Response("not found", { status: 404 });
    } catch (e) {
      return Response.json({ error: String(e?.stack ?? e) }, { status: 500 });
    }
  },
};
