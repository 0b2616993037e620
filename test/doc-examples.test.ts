// Every `@example` in the doc comments of src/, and every ```js block of the README, is run,
// so an example that an API change left stale fails here and not in a user's hands. An example is the tag's text up to the
// next tag (TypeDoc renders it as code); it runs as TypeScript (esbuild strips the types)
// in an async function that sees every public export of the package plus the exports of
// its own file. What an example takes as given (the `x` or `model` it talks about) is set
// up in GIVEN below, keyed by "file#n" (the n-th example of the file, from 1): small
// tensors and models of the shapes the example names. A name used but neither given nor
// exported fails the test with a ReferenceError naming it.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { transformSync } from "esbuild";
import * as node from "../src/node.js";
import * as io from "../src/io/index.js";
import * as methods from "../src/methods/index.js";
import * as architectures from "../src/architectures/index.js";
import * as seq from "../src/seq/index.js";
import * as transfer from "../src/transfer/index.js";
import * as unsupervised from "../src/unsupervised/index.js";
// @ts-ignore -- the built entry (npm test builds first): trainInWorker needs its train-worker.js beside it
import * as distWorker from "../dist/worker.js";

const root = fileURLToPath(new URL("..", import.meta.url));

interface DocExample { key: string; file: string; line: number; code: string }

/** The `@example` blocks of one source file: code fences' contents, else the whole tag. */
function extractExamples(file: string, text: string): DocExample[] {
  const out: DocExample[] = [];
  for (const m of text.matchAll(/\/\*\*([\s\S]*?)\*\//g)) {
    const line0 = text.slice(0, m.index).split("\n").length;
    // an @example inside a line ("/** Squared error. @example mseLoss(pred, y) */") starts a line of its own
    const lines = m[1].split("\n").flatMap((l, n) => l.replace(/^\s*\* ?/, "").replace(/(\S)\s+@example\b/, "$1\n@example")
      .split("\n").map((t) => ({ t, line: line0 + n })));
    for (let i = 0; i < lines.length; i++) {
      if (!/^@example\b/.test(lines[i].t)) continue;
      const body = [lines[i].t.slice(8)];
      for (let j = i + 1; j < lines.length && !/^@\w/.test(lines[j].t); j++) body.push(lines[j].t);
      const whole = body.join("\n");
      const fenced = [...whole.matchAll(/```\w*\n([\s\S]*?)```/g)].map((f) => f[1]);
      out.push({ key: `${file}#${out.length + 1}`, file, line: lines[i].line, code: (fenced.length ? fenced.join("\n") : whole).trim() });
    }
  }
  return out;
}

function sources(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith(".ts") && !p.endsWith(".d.ts") ? [p] : [];
  });
}

/** The README's ```js blocks, their imports of the package dropped (every export is in scope); an `export default` worker is called. */
function readmeBlocks(text: string): DocExample[] {
  return [...text.matchAll(/^```js\n([\s\S]*?)^```/gm)].map((m, i) => ({
    key: `README.md#${i + 1}`, file: "README.md", line: text.slice(0, m.index).split("\n").length,
    code: m[1].replace(/^import [^;]* from "polyhead(\/[\w-]+)?";.*$/gm, "")
      .replace(/^export default ([\s\S]*)$/m, "const defaultExport = $1\nawait defaultExport.fetch?.();"),
  }));
}

const EXAMPLES = [
  ...sources(join(root, "src")).flatMap((p) => extractExamples(relative(root, p), readFileSync(p, "utf8"))),
  ...readmeBlocks(readFileSync(join(root, "README.md"), "utf8")),
];

/**
 * The world every example runs in (its own code runs in a block inside it, so an example's
 * `const model = ...` shadows the one here): two tasks "a" (3 classes) and "b" (regression)
 * on 32 features, 8 examples split 4/2/2, a shared-bottom model, its trainer and optimiser.
 */
const WORLD = `
const console = { log() {}, info() {}, warn() {} }; // examples print; the test output stays readable
const rng = new Rng(0), names = ["a", "b"];
const tasks = [task("a", { kind: "classification", outputs: 3 }), task("b", { kind: "regression", outputs: 1 })], worldTasks = tasks;
const x = randn([8, 32], 0, 1, new Rng(1)), xs = randn([8, 32], 0, 1, new Rng(2)), xt = randn([8, 32], 1, 1, new Rng(3));
const data = new MultiTaskDataset({ x: x.data(), xShape: [32], labels: { a: Int32Array.from({ length: 8 }, (_, i) => i % 3), b: Float32Array.from({ length: 8 }, (_, i) => i / 8) } });
const { train, validation: val, test } = data.split({ train: 0.5, validation: 0.25, test: 0.25 }, new Rng(4));
const model = createModel("SharedBottom", { tasks, inputs: 32, trunk: [16], towers: [8] }); // a config: saveModel works
const trunk = model.trunk, base = model;
const trainer = new Trainer(model, { tasks });
const opt = new Adam(model.parameters(), { lr: 1e-3 });
const loss = mean(model.forward(x).outputs.b);
const h = randn([4, 64], 0, 1, new Rng(6)), logits = randn([4, 10], 0, 1, new Rng(7));
const labels = tensor(new Int32Array([1, 0, 9, 3]), [4], "int32"), y = labels;
const targets = tensor(Array.from({ length: 40 }, (_, i) => (i * 7) % 3 === 0 ? 1 : 0), [4, 10]);
const mask = tensor([1, 1, 0, 1], [4]);
`;

/** MNIST-like: tasks "digit" (10 classes) and "parity" on 784 pixels, 8 images split 4/2/2. */
const DIGITS = `const digit = task("digit", { kind: "classification", outputs: 10 }), parity = task("parity", { kind: "binary", outputs: 1 });
  const tasks = [digit, parity], names = ["digit", "parity"], x = randn([8, 784], 0, 1, new Rng(9));
  const data = new MultiTaskDataset({ x: x.data(), xShape: [784], labels: { digit: Int32Array.from({ length: 8 }, (_, i) => i), parity: Float32Array.from({ length: 8 }, (_, i) => i % 2) } });
  const { train, validation: val, test } = data.split({ train: 0.5, validation: 0.25, test: 0.25 }, new Rng(4));
  const model = new SharedBottom({ tasks, inputs: 784, trunk: [16], rng: new Rng(5) }), trainer = new Trainer(model, { tasks });`;
const CONV = `const x = randn([2, 3, 8, 8]), w = randn([4, 3, 3, 3]), b = zeros([4]);`;
const SEQ64 = `const x = randn([2, 6, 64]), pad = tensor([[0, 0, 0, 0, 1, 1], [0, 0, 0, 0, 0, 0]]);`;
const PRETRAINED = `const pretrained = createModel("SharedBottom", { tasks: [task("digit", { kind: "classification", outputs: 10 }), task("parity", { kind: "binary", outputs: 1 })], inputs: 32, trunk: [16, 8] });`;
const ADAPTED = `const model = adapt(createModel("SharedBottom", { tasks: worldTasks, inputs: 32, trunk: [16, 8, 8] })).addTask(task("c", { kind: "binary", outputs: 1 }));
  const tasks = model.tasks, trainer = new Trainer(model, { tasks });
  const data = new MultiTaskDataset({ x: x.data(), xShape: [32], labels: { a: Int32Array.from({ length: 8 }, (_, i) => i % 3), b: new Float32Array(8), c: Float32Array.from({ length: 8 }, (_, i) => i % 2) } });`;

/** Examples that cannot run in this process, and why: they are compiled only (a syntax error still fails). */
const COMPILE_ONLY: Record<string, string> = {
  "src/threads/index.ts#1": "initThreads chooses the kernels once per process, and init() ran here first (test/threads.test.ts runs it in a fork of its own)",
};

/** What an example takes as given beyond WORLD, by "file#n". */
const GIVEN: Record<string, string> = {
  "src/autograd/backward.ts#1": `const w = randn([32, 1], 0, 0.1, new Rng(8)); w.requiresGrad = true; const loss = mean(matmul(x, w));`,
  "src/data/cycle.ts#1": `const tds = taskDatasets({ sentiment: { x: x.data(), xShape: [32], labels: new Int32Array(8) } });`,
  "src/data/dataset.ts#1": `const images = new Float32Array(10 * 784), digits = Array.from({ length: 10 }, (_, i) => i);
    const parity = Float32Array.from(digits, (d) => d % 2), hasParity = Uint8Array.from(digits, (d) => d < 6 ? 1 : 0);
    const step = (b) => b.x.shape;`,
  "src/data/dataset.ts#2": `const ds = data;`,
  "src/data/dataset.ts#3": `const ds = data, scaler = standardize(data);`,
  "src/data/per-task.ts#1": `const reviewsX = new Float32Array(4 * 128), newsX = new Float32Array(6 * 128), stars = [0, 1, 2, 1];
    const topics = Int32Array.from([0, 3, 19, 2, 2, 7]);`,
  "src/data/split.ts#2": `const files = ["a.png", "b.png", "c.png", "d.png", "e.png", "f.png", "g.png", "h.png", "i.png", "j.png"];`,
  "src/data/stream.ts#1": `async function* readRows() { for (let i = 0; i < 100; i++) yield { x: new Float32Array(20), labels: { churn: i % 2, spend: i } }; }
    const step = (b) => b.x.shape;`,
  "src/engine/scope.ts#1": `const mse = (p, t) => mean(square(sub(p, t))); const m = new Linear(32, 1), y = randn([8, 1]); const model = m;`,
  "src/data/transforms.ts#1": `const validation = val;`,
  "src/io/model.ts#1": `const storage = memoryStorage(); await storage.write("model.safetensors", saveModelArchive(model));`,
  "src/io/torch-export.ts#1": `const { writeFileSync } = __x;`,
  "src/io/weights.ts#2": `const fetch = async () => new Response(saveWeights(model));`,
  "src/mtl/architectures/shared-bottom.ts#1": DIGITS,
  "src/mtl/architectures/soft-sharing.ts#1": `let loss; const taskLoss = mean(model.forward(x).outputs.b);`,
  "src/mtl/callbacks.ts#1": DIGITS,
  "src/mtl/fusion.ts#1": `const tasks = [task("p", { kind: "regression", outputs: 1 }), task("q", { kind: "regression", outputs: 1 })];
    const base = new SharedBottom({ tasks, inputs: 32, trunk: [8], rng: new Rng(9) });`,
  "src/mtl/metrics/index.ts#1": `const tasks = [task("topic", { kind: "classification", outputs: 3 })];
    const model = new SharedBottom({ tasks, inputs: 32, trunk: [8], rng: new Rng(9) });
    const val = new MultiTaskDataset({ x: x.data(), xShape: [32], labels: { topic: Int32Array.from({ length: 8 }, (_, i) => i % 3) } });`,
  "src/mtl/weighting/autolambda.ts#1": DIGITS,
  "src/mtl/weighting/tag.ts#2": `const tag = new TaskAffinity(new EqualWeighting(), { every: 1 });
    const tasks = ["a", "b", "c", "d"].map((n) => task(n, { kind: "regression", outputs: 1 }));
    const tr = new Trainer(new SharedBottom({ tasks, inputs: 32, trunk: [8], rng: new Rng(9) }), { tasks, weighting: tag });
    const labels = Object.fromEntries(tasks.map((t, j) => [t.name, Float32Array.from({ length: 8 }, (_, i) => (i * (j + 1)) % 5)]));
    await tr.fit(new MultiTaskDataset({ x: x.data(), xShape: [32], labels }), { epochs: 1, batchSize: 4 });`,
  "src/nn/embedding.ts#1": `const tokenIds = tensor(new Int32Array([1, 5, 999, 0]), [2, 2], "int32");`,
  "src/nn/layers.ts#1": `const x = randn([2, 784]);`,
  "src/nn/module.ts#2": `const saved = model.stateDict(), partial = { "trunk.0.bias": saved["trunk.0.bias"] };`,
  "src/node.ts#1": `trainer.step = 1;`,
  "src/node.ts#2": `const terminalProgress = () => __lib.terminalProgress({ stream: __x.quietStream });`,
  "src/node.ts#3": `await trainer.fit(train, { epochs: 2, validation: val });`,
  "src/node.ts#4": `__x.writeFileSync("survey.tsv", "age\\tjob\\n30\\tclerk\\n");`,
  "src/ops/attention.ts#1": `const L = 5, scores = randn([2, 3, L, L]);`,
  "src/ops/conv.ts#1": CONV, "src/ops/conv.ts#2": CONV, "src/ops/conv.ts#3": CONV,
  "src/ops/elementwise.ts#1": `const x = randn([2, 3]);`,
  "src/ops/loss.ts#2": `const logits = randn([4, 2]), labels = [0, 1, 1, 0];`,
  "src/ops/loss.ts#5": `const pred = randn([4, 1]), y = randn([4, 1]), mask = tensor([1, 0, 1, 1], [4, 1]);`,
  "src/ops/matmul.ts#2": `const q = randn([2, 3, 4, 8]), k = randn([2, 3, 5, 8]);`,
  "src/ops/norm.ts#1": `const gamma = ones([64]), beta = zeros([64]);`,
  "src/ops/norm.ts#2": `const x = randn([4, 3]), rm = zeros([3]), rv = ones([3]), g = ones([3]), b = zeros([3]);`,
  "src/ops/shape.ts#1": `const x = randn([2, 28, 28]);`,
  "src/ops/shape.ts#2": `const w = randn([3, 5]);`,
  "src/ops/shape.ts#3": `const table = randn([5, 4]);`,
  "src/optim/adam.ts#1": `const head = model.towers.a;`,
  "src/optim/optimizer.ts#1": `const loss = () => mean(model.forward(x).outputs.b);`,
  "src/plot/index.ts#1": `const tasks = [task("digit", { kind: "classification", outputs: 10 }), task("score", { kind: "regression", outputs: 1 })];
    const data = new MultiTaskDataset({ x: x.data(), xShape: [32], labels: { digit: Int32Array.from({ length: 8 }, (_, i) => i), score: Float32Array.from({ length: 8 }, (_, i) => i / 8) } });
    const { train, validation: val } = data.split({ train: 0.75, validation: 0.25 }, new Rng(4));
    const trainer = new Trainer(new SharedBottom({ tasks, inputs: 32, trunk: [8], rng: new Rng(9) }), { tasks });`,
  "src/ops/matmul.ts#1": `const w = randn([5, 32]);`,
  "src/seq/attention.ts#1": `const q = randn([2, 4, 8]), k = randn([2, 5, 8]), v = randn([2, 5, 8]);
    const pad = tensor([[0, 0, 0, 0, 1], [0, 0, 0, 0, 0]]);`,
  "src/seq/attention.ts#2": SEQ64,
  "src/seq/bag.ts#1": `const table = randn([6, 4]);`,
  "src/seq/pool.ts#1": `const h = randn([3, 5, 4]);`,
  "src/seq/positional.ts#1": `let h; const tokensEmbedded = randn([2, 7, 64]);`,
  "src/seq/positional.ts#2": `let h; const x = randn([2, 7, 64]);`,
  "src/seq/rnn.ts#1": `const x = randn([5, 2, 4]); const model = new GRU(4, 3);`,
  "src/seq/rnn.ts#2": `const x = randn([3, 7, 32]);`,
  "src/seq/rnn.ts#3": `const x = randn([4, 2, 16]);`,
  "src/seq/text/vocab.ts#1": `const tok = new WordTokenizer(), sentences = ["the cat sat", "the dog sat", "a cat ran"];`,
  "src/seq/transformer.ts#2": SEQ64,
  "src/tabular/csv.ts#2": `const url = "https://example.org/survey.tsv"; const fetch = async () => new Response("a\\tb\\n1\\t2\\n");`,
  "src/tabular/spec.ts#1": `const table = parseCsv("age,income,job,wage,union\\n30,1000,clerk,12.5,yes\\n41,0,chef,20,no\\n52,250,clerk,31,no\\n");`,
  "src/transfer/adapt.ts#1": PRETRAINED,
  "src/transfer/adapt.ts#2": `const m = adapt(createModel("SharedBottom", { tasks, inputs: 32, trunk: [256, 8] }));`,
  "src/transfer/adapt.ts#3": `${PRETRAINED} const m = adapt(pretrained);`,
  "src/transfer/adapt.ts#4": `${PRETRAINED} const m = adapt(pretrained);`,
  "src/transfer/adapt.ts#5": `${PRETRAINED} const bytes = saveModelArchive(pretrained);`,
  "src/transfer/align.ts#2": `const fs = randn([8, 4], 0, 1, new Rng(10)), ft = randn([8, 4], 1, 1, new Rng(11));`,
  "src/transfer/align.ts#3": `const model = adapt(createModel("SharedBottom", { tasks, inputs: 32, trunk: [64] }));`,
  "src/transfer/align.ts#5": `const digit = task("digit", { kind: "classification", outputs: 10 }), domain = task("domain", { kind: "classification", outputs: 2 });
    const source = new MultiTaskDataset({ x: x.data(), xShape: [32], labels: { digit: Int32Array.from({ length: 8 }, (_, i) => i) } });
    const target = new MultiTaskDataset({ x: xt.data(), xShape: [32], labels: {} });
    const tasks = [digit, domain];
    const trainer = new Trainer(new SharedBottom({ tasks, inputs: 32, trunk: [8], rng: new Rng(9) }), { tasks });`,
  "src/transfer/names.ts#1": ADAPTED, "src/transfer/names.ts#2": ADAPTED, "src/transfer/names.ts#3": ADAPTED,
  "src/transfer/names.ts#4": ADAPTED, "src/transfer/names.ts#5": ADAPTED,
  "src/transfer/reversal.ts#1": `const features = randn([4, 32]), domainHead = new Linear(32, 2);`,
  "src/transfer/reversal.ts#2": `const epochs = 2, stepsPerEpoch = 1;
    const model = adapt(createModel("SharedBottom", { tasks, inputs: 32, trunk: [8] }));
    model.addTask(task("domain", { kind: "classification", outputs: 2 }), { reverseGradient: true });
    const trainer = new Trainer(model, { tasks: model.tasks });
    const data = new MultiTaskDataset({ x: x.data(), xShape: [32], labels: { a: Int32Array.from({ length: 8 }, (_, i) => i % 3), b: new Float32Array(8), domain: Int32Array.from({ length: 8 }, (_, i) => i % 2) } });`,
  "src/unsupervised/autoencoder.ts#1": DIGITS,
  "src/unsupervised/vae.ts#2": `const vae = vaeTask("vae", { features: 784, latent: 16 }); const x = randn([2, 784]);
    const base = new SharedBottom({ tasks: [task("digit", { kind: "classification", outputs: 10 })], inputs: 784, trunk: [64], rng: new Rng(9) });`,
  "src/optim/schedules.ts#5": `const valLoss = 0.5;`,
  "src/worker/index.ts#1": `const trainInWorker = __x.trainInWorker, kind = Int32Array.from({ length: 64 }, (_, i) => i % 3);
    const x = Float32Array.from({ length: 64 * 8 }, (_, i) => ((i * 37) % 11) / 11), score = Float32Array.from({ length: 64 }, (_, i) => x[i * 8]);`,
  "README.md#2": `const Response = { json: (v) => { if (JSON.stringify(v) !== "[11]") throw new Error("README's edge worker: " + JSON.stringify(v)); return v; } };`,
  "README.md#4": `__x.writeFileSync("survey.csv", "age,income,job,city,wage,union,instance_weight\\n" +
      Array.from({ length: 12 }, (_, i) => [20 + i, i % 4 ? 100 * i : -999, i % 3 ? "clerk" : "chef", "c" + (i % 2), 8 + i, i % 2 ? "yes" : "no", 1 + i / 4].join(",")).join("\\n"));`,
  "README.md#5": `const x = new Float32Array(6 * 20), income = Int32Array.from([0, 1, 0, 0, 1, 0]), married = Float32Array.from([1, 0, 1, 1, 0, 0]);
    const surveyWeight = Float32Array.from([1.5, 0.5, 2, 1, 1, 3]), answered = Uint8Array.from([1, 1, 0, 1, 1, 1]);`,
  "README.md#6": `const pretrained = createModel("SharedBottom", { tasks: [task("low", { kind: "classification", outputs: 5 })], inputs: 32, trunk: [256, 8] });
    const few = new MultiTaskDataset({ x: x.data(), xShape: [32], labels: { high: Int32Array.from({ length: 8 }, (_, i) => i % 5) } });`,
  "README.md#7": `const trainInWorker = __x.trainInWorker, kind = Int32Array.from({ length: 64 }, (_, i) => i % 3);
    const x = Float32Array.from({ length: 64 * 8 }, (_, i) => ((i * 37) % 11) / 11), score = Float32Array.from({ length: 64 }, (_, i) => x[i * 8]);`,
  "src/validate.ts#1": `const opts = { tasks, optimizer: undefined };`,
  "src/validate.ts#2": `const opts = { epochs: 3, dropLast: true };`,
};

const lib: Record<string, unknown> = Object.assign({}, node, io, methods, architectures, seq, transfer, unsupervised);
let tmp: string, cwd: string;
/** What givens use: writeFileSync, a quiet terminal, the built worker (npm test builds first). */
const HELPERS = () => ({
  claim, writeFileSync, quietStream: { isTTY: false, write: () => true },
  trainInWorker: (o: object) => (distWorker as { trainInWorker(o: object): unknown }).trainInWorker(o),
});
beforeAll(async () => {
  await node.init();
  // examples write files by relative names ("runs/a", "history.svg"): they land in a temporary folder
  tmp = mkdtempSync(join(tmpdir(), "polyhead-doc-examples-"));
  cwd = process.cwd();
  process.chdir(tmp);
});
afterAll(() => {
  if (cwd) process.chdir(cwd);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/**
 * A line ending in an expression and a comment that is a number or a list of numbers
 * (`df(tensor([1, 2, 3])) // [2, 4, 6]`, `deltaM(...) // ≈ 6.44`) claims its value: the
 * line becomes a check. A tensor matches by its values or its shape (`// [2, 64]`); "≈"
 * allows half a unit of the claim's last digit.
 */
function checkClaims(code: string): string {
  return code.split("\n").map((line) => {
    const m = /^(.*?;\s*)?([^;]*[^;\s][^;]*?);?\s*\/\/\s*(≈\s*)?(\[[-\d.,\s]+\]|-?\d+(?:\.\d+)?)\s*$/.exec(line);
    if (!m || /^\s*(const|let|var|for|if|await|return)\b/.test(m[2])) return line;
    return `${m[1] ?? ""}__x.claim(${m[2].trim()}, ${JSON.stringify(m[4])}, ${!!m[3]});`;
  }).join("\n");
}

function claim(value: unknown, text: string, approx: boolean): void {
  const want = JSON.parse(text) as number | number[];
  const decimals = (text.split(",").map((t) => t.split(".")[1]?.replace(/\D/g, "").length ?? 0)).reduce((a, b) => Math.max(a, b), 0);
  const close = (a: unknown, b: unknown): boolean => Array.isArray(b)
    ? Array.isArray(a) && a.length === b.length && a.every((v, i) => close(v, b[i]))
    : typeof a === "number" && (approx ? Math.abs(a - (b as number)) <= 0.5 * 10 ** -decimals : a === b);
  const t = value as { data?: () => ArrayLike<number>; shape?: number[] };
  const seen = value instanceof node.Tensor ? [Array.from(t.data!()), [...t.shape!]]
    : [ArrayBuffer.isView(value) ? Array.from(value as unknown as ArrayLike<number>) : value];
  if (!seen.some((v) => close(v, want))) throw new Error(`the example claims ${approx ? "≈ " : ""}${text}, it gives ${JSON.stringify(seen)}`);
}

async function run(ex: DocExample, compileOnly = false): Promise<void> {
  const own = ex.file.endsWith(".ts") ? await import(/* @vite-ignore */ join(root, ex.file)) : {};
  const names = Object.keys({ ...lib, ...own }).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n));
  const src = `async function example(__lib, __x) {\nconst { ${names.join(", ")} } = __lib;\n${WORLD}\n{\n${GIVEN[ex.key] ?? ""}\n{\n${checkClaims(ex.code)}\n}\n}\n}`;
  const js = transformSync(src, { loader: "ts", target: "es2022" }).code;
  const fn = new Function(`${js}\nreturn example;`)() as (l: Record<string, unknown>, x: Record<string, unknown>) => Promise<void>;
  if (compileOnly) return;
  await fn({ ...lib, ...own }, HELPERS());
}

describe("doc-comment @examples run", () => {
  it("finds the examples (the extractor reads the tags)", () => {
    expect(EXAMPLES.length).toBeGreaterThan(100);
    expect(EXAMPLES.find((e) => e.key === "src/mtl/tasks.ts#2")?.code).toMatch(/^const digit = task\("digit"/);
  });
  it("a stale example fails: a misspelt name, a wrong shape", async () => {
    const ex = (code: string): DocExample => ({ key: "stale", file: "README.md", line: 0, code });
    await expect(run(ex("matmull(x, x)"))).rejects.toThrow(/matmull is not defined/);
    await expect(run(ex("matmul(x, x)"))).rejects.toThrow(/inner dimensions differ/);
    await expect(run(ex("add(tensor([1, 2]), 1) // [2, 4]"))).rejects.toThrow(/claims \[2, 4\], it gives \[\[2,3\],\[2\]\]/);
    await expect(run(ex("deltaM({ a: 0.52 }, { a: 0.5 }, { a: true }) // ≈ 4.1"))).rejects.toThrow(/claims ≈ 4.1, it gives \[4/);
    await run(ex("deltaM({ a: 0.52 }, { a: 0.5 }, { a: true }) // ≈ 4.0"));
  });
  it("every key in GIVEN and COMPILE_ONLY names an example", () => {
    const keys = new Set(EXAMPLES.map((e) => e.key));
    expect([...Object.keys(GIVEN), ...Object.keys(COMPILE_ONLY)].filter((k) => !keys.has(k))).toEqual([]);
  });
  for (const ex of EXAMPLES) {
    const why = COMPILE_ONLY[ex.key];
    it(`${ex.key} (${ex.file}:${ex.line})${why ? ", compiled only: " + why : ""}`, async () => { await run(ex, !!why); });
  }
});
