// Matrix multiply over the Wasm `matmul` kernel: C = op(A) op(B), 2-d, with transposes
// passed to the kernel instead of materialised (the backward pass needs A^T B and A B^T).
import { K } from "../engine/engine.js";
import { Tensor } from "../tensor.js";
import { needsGrad, record } from "../autograd/tape.js";

export interface MatmulOptions { transA?: boolean; transB?: boolean }

/**
 * op(A) (m,k) times op(B) (k,n).
 * @example matmul(x, w, { transB: true }) // x (batch, in) . w(out, in)^T
 */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const tA = !!opts.transA, tB = !!opts.transB;
  if (a.rank !== 2 || b.rank !== 2) throw new Error(`matmul: expects 2-d tensors, got a ${a.describe()} and b ${b.describe()}`);
  if (a.dtype !== "float32" || b.dtype !== "float32") throw new Error(`matmul: a ${a.describe()} and b ${b.describe()} must be float32`);
  const m = tA ? a.shape[1] : a.shape[0], k = tA ? a.shape[0] : a.shape[1];
  const kb = tB ? b.shape[1] : b.shape[0], n = tB ? b.shape[0] : b.shape[1];
  if (k !== kb) {
    throw new Error(`matmul: inner dimensions differ: a ${a.describe()}${tA ? "^T" : ""} has ${k} columns, b ${b.describe()}${tB ? "^T" : ""} has ${kb} rows`);
  }
  const out = new Tensor([m, n]);
  K().matmul(out.ptr, a.ptr, b.ptr, m, n, k, tA ? 1 : 0, tB ? 1 : 0, 1, 0);
  if (needsGrad(a, b)) record(out, "matmul", [a, b], { tA, tB });
  return out;
}
