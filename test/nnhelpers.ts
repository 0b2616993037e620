// Helpers for the neural-network suites: run one golden op (forward and every input's
// gradient against PyTorch's), call the scalar reference kernels, and a record of the max
// differences that each suite prints at the end.
import { afterAll } from "vitest";
import { readFileSync } from "node:fs";
import { gradients, Tensor, randn, Rng } from "../src/index.js";
import { K } from "../src/engine/engine.js";
import { loadGolden, fromGolden, expectClose } from "./helpers.js";

const INT_INPUTS = new Set(["labels", "indices", "mask"]);
/** The dtype of a golden input by its name: labels, indices and masks are int32, the rest float32 (class weights too). */
export const goldenDtype = (input: string) => (INT_INPUTS.has(input) ? "int32" : "float32");

/** Max |difference| per golden op and quantity, printed after the suite. */
export const maxDiffs: Record<string, Record<string, number>> = {};
export function reportMaxDiffs(title: string): void {
  afterAll(() => {
    const lines = Object.entries(maxDiffs).map(([op, d]) =>
      `  ${op.padEnd(30)} ${Object.entries(d).map(([k, v]) => `${k} ${v.toExponential(2)}`).join("  ")}`);
    if (lines.length) console.log(`max |diff| vs PyTorch (${title}):\n${lines.join("\n")}`);
  });
}

/**
 * Run golden op `name`: inputs from the fixture (labels/indices as int32), y = run(inputs),
 * then the vector-Jacobian product with the fixture's cotangent g for every grad_<input>.
 */
export function goldenOp(name: string, run: (x: Record<string, Tensor>) => Tensor, rtol = 1e-5, atol = 1e-6): void {
  const c = loadGolden().ops[name];
  if (!c) throw new Error(`golden.json has no op "${name}"`);
  const inputs: Record<string, Tensor> = {};
  const diffable: string[] = [];
  for (const [k, v] of Object.entries(c.inputs as Record<string, { shape: number[]; data: number[] }>)) {
    inputs[k] = fromGolden(v, goldenDtype(k));
    if (`grad_${k}` in c) { inputs[k].requiresGrad = true; diffable.push(k); }
  }
  const y = run(inputs);
  const d: Record<string, number> = { y: expectClose(y, c.y, rtol, atol, `${name} y`) };
  const gs = gradients(y, diffable.map((k) => inputs[k]), [fromGolden(c.g)]);
  diffable.forEach((k, i) => { d[`grad_${k}`] = expectClose(gs[i], c[`grad_${k}`], rtol, atol, `${name} grad_${k}`); });
  maxDiffs[name] = d;
}

/** Random float32 data of a shape, from a fixed seed. */
export function rnd(shape: number[], seed: number, std = 1): Tensor { return randn(shape, 0, std, new Rng(seed)); }

// ------------------------------------------------------------------ reference kernels
// build/polyhead-ref.wasm (built by build/build.mjs from assembly/reference.ts) holds the
// `_ref` twins of the SIMD kernels; it has its own memory, so tensors are copied in and out.
type RefExports = { memory: WebAssembly.Memory; heap_base(): number } & Record<string, (...a: number[]) => number>;
let ref: RefExports | null = null;

export async function loadRef(): Promise<void> {
  if (ref) return;
  const bytes = readFileSync(new URL("../build/polyhead-ref.wasm", import.meta.url));
  ref = (await WebAssembly.instantiate(bytes, {})).instance.exports as unknown as RefExports;
}

/**
 * Call reference kernel `name` on copies of the tensor arguments (numbers pass as they are,
 * null as pointer 0). Returns the kernel's result and each tensor argument's contents
 * afterwards, by argument position.
 */
export function callRef(name: string, ...args: (Tensor | number | null)[]): { result: number; out: (Float32Array | Int32Array)[] } {
  if (!ref) throw new Error("callRef: await loadRef() first");
  let top = (ref.heap_base() + 63) & ~63;
  const ptrs = args.map((a) => {
    if (!(a instanceof Tensor)) return a ?? 0;
    const p = top;
    top += (a.size * 4 + 63) & ~63;
    return p;
  });
  const need = top - ref.memory.buffer.byteLength;
  if (need > 0) ref.memory.grow(Math.ceil(need / 65536));
  args.forEach((a, i) => {
    if (a instanceof Tensor) new Uint8Array(ref!.memory.buffer, ptrs[i], a.size * 4).set(new Uint8Array(K().memory.buffer, a.ptr, a.size * 4));
  });
  const result = ref[name](...ptrs);
  const out = args.map((a, i) => {
    if (!(a instanceof Tensor)) return new Float32Array(0);
    const View = a.dtype === "int32" ? Int32Array : Float32Array;
    return new View(ref!.memory.buffer.slice(ptrs[i], ptrs[i] + a.size * 4));
  });
  return { result, out };
}
