// Save/load timing of a 10-million-parameter model: polyhead's safetensors (encode +
// atomic file write; file read + validate + load into the model) beside torch.save /
// torch.load + load_state_dict of the same shapes (Debian python3-torch). Medians of
// --reps runs (default 5); --quick for a 1M-parameter smoke run. Prints a table; writes
// nothing. Run: npm run build && node bench/io.mjs
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const quick = process.argv.includes("--quick");
const reps = Number((process.argv.find((a) => a.startsWith("--reps=")) ?? "--reps=5").slice(7));
// Linear widths: 2000x2000 twice and 1000x2000 (+ biases) = 10,005,000 parameters
const widths = quick ? [1000, 700, 300] : [2000, 2000, 2000, 1000];

const tmp = mkdtempSync(path.join(os.tmpdir(), "polyhead-bench-io-"));
const ph = { ...(await import("../dist/node.js")), ...(await import("../dist/io.js")) };
await ph.init({ maxMemoryMB: 1024 });

const layers = [];
for (let i = 0; i + 1 < widths.length; i++) layers.push(new ph.Linear(widths[i], widths[i + 1], { rng: new ph.Rng(i) }));
const model = new ph.Sequential(...layers);
const params = model.numParameters();
const file = path.join(tmp, "model.safetensors");
const median = (xs) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];
const time = (fn) => { const t = performance.now(); fn(); return performance.now() - t; };

const save = [], plain = [], encode = [], load = [];
for (let r = 0; r < reps; r++) {
  save.push(time(() => ph.writeFileAtomic(file, ph.saveWeights(model))));
  // torch.save neither fsyncs nor renames: the same plain write, for a like-for-like figure
  plain.push(time(() => writeFileSync(file, ph.saveWeights(model))));
  encode.push(time(() => ph.saveWeights(model)));
  load.push(time(() => ph.loadWeights(model, new Uint8Array(readFileSync(file)))));
}
const bytes = readFileSync(file).length;

const py = `
import sys, time, torch, torch.nn as nn
torch.set_num_threads(1)
w = [${widths.join(",")}]
m = nn.Sequential(*[nn.Linear(w[i], w[i + 1]) for i in range(len(w) - 1)])
p = sys.argv[1]
save, load = [], []
for _ in range(${reps}):
    t = time.perf_counter(); torch.save(m.state_dict(), p); save.append(time.perf_counter() - t)
    t = time.perf_counter(); m.load_state_dict(torch.load(p)); load.append(time.perf_counter() - t)
med = lambda xs: sorted(xs)[len(xs) // 2] * 1000
print(med(save), med(load))
`;
const [tsave, tload] = execFileSync("/usr/bin/python3", ["-c", py, path.join(tmp, "model.pt")], { encoding: "utf8" }).trim().split(/\s+/).map(Number);
rmSync(tmp, { recursive: true, force: true });

const cpu = os.cpus()[0]?.model ?? "unknown CPU";
console.log(`bench:io: ${params.toLocaleString("en")} parameters, ${(bytes / 1e6).toFixed(1)} MB file, median of ${reps}, ${cpu} (${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)})`);
console.log(`  polyhead save: ${median(plain).toFixed(1)} ms plain write (encode alone ${median(encode).toFixed(1)} ms), ${median(save).toFixed(1)} ms atomic (fsync, rename, directory fsync)`);
console.log(`  polyhead load (read + validate + copy in): ${median(load).toFixed(1)} ms`);
console.log(`  torch.save: ${tsave.toFixed(1)} ms   torch.load + load_state_dict: ${tload.toFixed(1)} ms`);
