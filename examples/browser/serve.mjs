// `npm run demo`: builds the browser demo and serves it on 127.0.0.1 (PORT, default 8080).
// The test (test/demo.test.ts) uses serveDemo on a free port.
import { createServer } from "node:http";
import { existsSync, readFileSync, statSync } from "node:fs";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { buildDemo } from "./build.mjs";

const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".bin": "application/octet-stream", ".json": "application/json" };

/** Serve `dir` (files only) on 127.0.0.1:port; resolves with the server and its origin. */
export function serveDemo(dir, port = 0) {
  const base = dir.endsWith(sep) ? dir : dir + sep;
  const server = createServer((req, res) => {
    let path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    if (path.endsWith("/")) path += "index.html";
    const file = normalize(join(dir, path));
    if (!file.startsWith(base) || !existsSync(file) || !statSync(file).isFile()) { res.writeHead(404).end("not found"); return; }
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-cache" });
    res.end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve({ server, origin: `http://127.0.0.1:${server.address().port}` })));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = await buildDemo();
  const { origin } = await serveDemo(dir, Number(process.env.PORT ?? 8080));
  console.log(`demo: ${origin}/ (Ctrl-C to stop)`);
}
