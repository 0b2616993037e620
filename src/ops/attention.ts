// Attention's ops over the Wasm kernels (assembly/kernels/attention.ts): the softmax of
// scores plus a mask, broadcast over batches and heads without being expanded, and the
// sinusoidal position table. The batched product over heads is `bmm` (ops/matmul.ts).
// The masked softmax's rule is softmax's (autograd/grads/softmax.ts).
import { K } from "../engine/engine.js";
import { Tensor, checkFloat } from "../tensor.js";
import { needsGrad, record } from "../autograd/tape.js";
import { checkOptions, show } from "../validate.js";

export interface MaskedSoftmaxOptions {
  /**
   * A row whose every position is masked: "error" (default) throws naming it; "zero" makes
   * it all zeros (its gradient is then zero too). PyTorch 1.13 returns NaN there, which
   * would spread silently through the rest of the step.
   */
  fullyMasked?: "error" | "zero";
}

/**
 * The additive float32 form of a mask: int32 masks (nonzero = masked out, as a bool mask of
 * nn.MultiheadAttention) become -Infinity / 0, float32 masks are taken as they are.
 */
export function additiveMask(mask: Tensor, op: string, what = "mask"): Tensor {
  if (!(mask instanceof Tensor)) throw new Error(`${op}: ${what} must be a Tensor, got ${show(mask)}`);
  if (mask.dtype === "float32") return mask;
  const src = mask.data(), dst = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) dst[i] = src[i] !== 0 ? -Infinity : 0;
  return new Tensor(mask.shape).write(dst);
}

/**
 * How a mask [..., Lq, Lk] repeats over the groups of x [..., Lq, Lk]: x's leading axes
 * hold `groups` rows blocks; the mask's leading axes (right-aligned, missing ones 1) must
 * be 1 or equal to x's, with the equal ones contiguous. Group g then reads mask block
 * (g / rep) % mb: mb is the product of the mask's own leading axes, rep of x's axes after them.
 */
function maskLayout(x: Tensor, mask: Tensor, op: string): { rep: number; mb: number } {
  const lx = x.shape.slice(0, -2), lm = mask.shape.slice(0, -2);
  const bad = () => new Error(`${op}: mask ${mask.describe()} does not broadcast against x ${x.describe()} ` +
    "(its last two axes must equal x's, each leading axis 1 or x's, the non-1 ones adjacent)");
  if (mask.rank < 2 || mask.rank > x.rank || mask.shape[mask.rank - 1] !== x.shape[x.rank - 1] ||
    mask.shape[mask.rank - 2] !== x.shape[x.rank - 2]) throw bad();
  const m = [...Array(lx.length - lm.length).fill(1), ...lm];
  const own = m.map((d, i) => d !== 1 || lx[i] === 1);
  if (m.some((d, i) => d !== 1 && d !== lx[i])) throw bad();
  const first = own.indexOf(true), last = own.lastIndexOf(true);
  if (first >= 0 && own.slice(first, last + 1).some((o) => !o)) throw bad();
  const prod = (a: number[]) => a.reduce((p, d) => p * d, 1);
  if (first < 0) return { rep: 1, mb: 1 };
  return { rep: prod(lx.slice(last + 1)), mb: prod(m.slice(first, last + 1)) };
}

/**
 * softmax(x + mask) over the last axis, the mask a constant (no gradient): float32 additive
 * (-Infinity masks a position out) or int32 (nonzero masks out, as PyTorch's bool masks of
 * nn.MultiheadAttention). The mask's leading axes broadcast against x's without being
 * expanded: [Lq, Lk] for every row block, [B, 1, Lq, Lk] per batch over heads, ...
 * @example maskedSoftmax(scores, causalMask(L)) // scores [B, H, L, L]
 */
export function maskedSoftmax(x: Tensor, mask: Tensor, opts: MaskedSoftmaxOptions = {}): Tensor {
  const { fullyMasked = "error" } = checkOptions("maskedSoftmax", opts, ["fullyMasked"]);
  if (fullyMasked !== "error" && fullyMasked !== "zero") {
    throw new Error(`maskedSoftmax: fullyMasked must be "error" or "zero", got ${show(fullyMasked)}`);
  }
  checkFloat("maskedSoftmax", "x", x);
  if (x.rank < 2) throw new Error(`maskedSoftmax: x ${x.describe()} must have at least 2 axes (queries, keys)`);
  const { rep, mb } = maskLayout(x, mask, "maskedSoftmax");
  const m = additiveMask(mask, "maskedSoftmax");
  const cols = x.shape[x.rank - 1], lq = x.shape[x.rank - 2];
  const y = new Tensor(x.shape);
  const full = x.size > 0 ? K().masked_softmax(y.ptr, x.ptr, m.ptr, x.size / cols, cols, lq, rep, mb) : 0;
  if (m !== mask) m.dispose();
  if (full > 0 && fullyMasked === "error") {
    const d = y.data(), rows = x.size / cols;
    let r = 0;
    while (r < rows && d.subarray(r * cols, (r + 1) * cols).some((v) => v !== 0)) r++;
    y.dispose();
    throw new Error(`maskedSoftmax: ${full} row(s) of x ${x.describe()} have every key masked (the first: query ` +
      `${r % lq} of block ${Math.floor(r / lq)}); PyTorch gives NaN there. Unmask a key in each row, ` +
      "or pass { fullyMasked: \"zero\" } for zero weights");
  }
  if (needsGrad(x)) record(y, "masked_softmax", [x]);
  return y;
}

/**
 * The sinusoidal position table [length, dim] of Vaswani et al. (2017): row p holds
 * sin(p w_i) at 2i and cos(p w_i) at 2i+1, w_i = base^(-2i/dim). Computed in Wasm in f64
 * (identical bits in every runtime), rounded once to float32.
 * @example sinusoidalPositions(128, 64) // add its first L rows to a [B, L, 64] input
 */
export function sinusoidalPositions(length: number, dim: number, base = 10000): Tensor {
  if (!(Number.isInteger(length) && length > 0 && Number.isInteger(dim) && dim > 0)) {
    throw new Error(`sinusoidalPositions: length and dim must be positive integers, got ${show(length)} x ${show(dim)}`);
  }
  if (!(typeof base === "number" && base > 1 && Number.isFinite(base))) throw new Error(`sinusoidalPositions: base must be > 1, got ${show(base)}`);
  const out = new Tensor([length, dim]);
  K().sinusoidal_positions(out.ptr, length, dim, base);
  return out;
}
