// Module Web Worker running the identity workload; posts the result (or the error) back.
import { run } from "./workload.mjs";

run().then((result) => postMessage(result), (e) => postMessage({ error: String(e?.stack ?? e) }));
