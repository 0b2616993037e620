// Elementwise ops: binary with broadcasting, unary ops and activations. Each op checks
// dtypes and shapes, calls the Wasm kernel of the same name and records itself for
// autograd; the gradient rules are in src/autograd/grads/elementwise.ts.
import { K } from "../engine/engine.js";
import { Tensor, checkFloat } from "../tensor.js";
import { needsGrad, record } from "../autograd/tape.js";
import { broadcastShape, plan } from "./broadcast.js";
import { scalar } from "./creation.js";

/** The elementwise binary kernels by name. */
export type BinaryOp = "add" | "sub" | "mul" | "div" | "maximum" | "minimum" | "eq" | "maxw" | "minw";

function asTensor(x: Tensor | number): Tensor { return typeof x === "number" ? scalar(x) : x; }


/**
 * The two common cases without the general plan (hot in every layer): equal shapes, and
 * a bias row b [n] over a [..., n]. Returns [rows, cols, b's row stride] for the kernel.
 */
function fastPath(a: Tensor, b: Tensor): [number, number, number] | null {
  const r = a.rank;
  if (r === 0 || b.rank > r) return null;
  if (b.rank === r) {
    for (let i = 0; i < r; i++) if (a.shape[i] !== b.shape[i]) return null;
    return [1, a.size, 0];
  }
  if (b.rank === 1 && b.shape[0] === a.shape[r - 1] && b.size > 0) return [a.size / b.size, b.size, 0];
  return null;
}

function binary(op: BinaryOp, a0: Tensor | number, b0: Tensor | number): Tensor {
  const a = asTensor(a0), b = asTensor(b0);
  const who = op === "eq" ? "equal" : op;
  checkFloat(who, "a", a); checkFloat(who, "b", b);
  const k = K()[op];
  const fast = fastPath(a, b);
  if (fast) {
    const out = new Tensor(a.shape);
    k(out.ptr, a.ptr, b.ptr, 1, fast[0], fast[1], 0, fast[1], 1, 0, fast[2], 1);
    if (op !== "eq" && op !== "maxw" && op !== "minw" && needsGrad(a, b)) record(out, op, [a, b]);
    return out;
  }
  const shape = broadcastShape(a.shape, b.shape, op);
  const out = new Tensor(shape);
  const p = plan(a.shape, b.shape, shape);
  const inner = p.d[0] * p.d[1] * p.d[2];
  const loops = p.outer.reduce((x, y) => x * y, 1);
  const idx = new Array<number>(p.outer.length).fill(0);
  for (let it = 0; it < loops; it++) {
    let ao = 0, bo = 0;
    for (let j = 0; j < idx.length; j++) { ao += idx[j] * p.aOuter[j]; bo += idx[j] * p.bOuter[j]; }
    k(out.ptr + it * inner * 4, a.ptr + ao * 4, b.ptr + bo * 4, p.d[0], p.d[1], p.d[2],
      p.as[0], p.as[1], p.as[2], p.bs[0], p.bs[1], p.bs[2]);
    for (let j = idx.length - 1; j >= 0; j--) { if (++idx[j] < p.outer[j]) break; idx[j] = 0; }
  }
  if (op !== "eq" && op !== "maxw" && op !== "minw" && needsGrad(a, b)) record(out, op, [a, b]);
  return out;
}

/** a + b with broadcasting. @example add(x, tensor([1, 2, 3])) */
export function add(a: Tensor | number, b: Tensor | number): Tensor { return binary("add", a, b); }
/** a - b with broadcasting. */
export function sub(a: Tensor | number, b: Tensor | number): Tensor { return binary("sub", a, b); }
/** a * b (elementwise) with broadcasting. */
export function mul(a: Tensor | number, b: Tensor | number): Tensor { return binary("mul", a, b); }
/** a / b with broadcasting. */
export function div(a: Tensor | number, b: Tensor | number): Tensor { return binary("div", a, b); }
/** Elementwise maximum (NaN propagates). */
export function maximum(a: Tensor | number, b: Tensor | number): Tensor { return binary("maximum", a, b); }
/** Elementwise minimum (NaN propagates). */
export function minimum(a: Tensor | number, b: Tensor | number): Tensor { return binary("minimum", a, b); }
/** @internal The share of maximum's / minimum's gradient that goes to a (torch's rule); no gradient. */
export function gradShare(op: "maximum" | "minimum", a: Tensor, b: Tensor): Tensor { return binary(op === "maximum" ? "maxw" : "minw", a, b); }

/** 1 where a == b, else 0 (float32 mask, with broadcasting; no gradient). */
export function equal(a: Tensor | number, b: Tensor | number): Tensor { return binary("eq", a, b); }

// ------------------------------------------------------------------ unary
/** The elementwise unary kernels by name (unary(op, x)). */
export type UnaryOp = "relu" | "leaky_relu" | "elu" | "gelu" | "gelu_tanh" | "sigmoid" | "tanh" | "softplus" |
  "exp" | "log" | "sqrt" | "abs" | "clamp" | "neg" | "square" | "affine";

/** Apply a unary kernel by name with its two scalar parameters (see assembly/kernels/elementwise.ts). */
export function unary(op: UnaryOp, x: Tensor, p0 = 0, p1 = 0): Tensor {
  checkFloat(op, "x", x);
  const out = new Tensor(x.shape);
  K()[op](out.ptr, x.ptr, x.size, p0, p1);
  if (needsGrad(x)) record(out, op, [x], { p0, p1 });
  return out;
}

/** Activations and unary math, each a Wasm kernel with its gradient (see assembly/kernels/elementwise.ts). */
export const relu = (x: Tensor): Tensor => unary("relu", x);
/** max(x, 0) + negativeSlope * min(x, 0). */
export const leakyRelu = (x: Tensor, negativeSlope = 0.01): Tensor => unary("leaky_relu", x, negativeSlope);
/** x where x > 0, else alpha (exp(x) - 1). */
export const elu = (x: Tensor, alpha = 1): Tensor => unary("elu", x, alpha);
/** GELU; `approximate: "tanh"` for the tanh form (as torch). */
export const gelu = (x: Tensor, approximate: "none" | "tanh" = "none"): Tensor => unary(approximate === "tanh" ? "gelu_tanh" : "gelu", x);
/** 1 / (1 + exp(-x)). */
export const sigmoid = (x: Tensor): Tensor => unary("sigmoid", x);
/** The hyperbolic tangent. */
export const tanh = (x: Tensor): Tensor => unary("tanh", x);
/** log(1 + exp(beta x)) / beta, linear above `threshold` (as torch). */
export const softplus = (x: Tensor, beta = 1, threshold = 20): Tensor => unary("softplus", x, beta, threshold);
/** e^x. */
export const exp = (x: Tensor): Tensor => unary("exp", x);
/** The natural logarithm. */
export const log = (x: Tensor): Tensor => unary("log", x);
/** The square root. */
export const sqrt = (x: Tensor): Tensor => unary("sqrt", x);
/** |x| (gradient 0 at 0). */
export const abs = (x: Tensor): Tensor => unary("abs", x);
/** x limited to [min, max] (gradient 0 outside). */
export const clamp = (x: Tensor, min: number, max: number): Tensor => {
  if (!(min <= max)) throw new Error(`clamp: min (${min}) must be <= max (${max})`);
  return unary("clamp", x, min, max);
};
/** -x. */
export const neg = (x: Tensor): Tensor => unary("neg", x);
/** x * x. */
export const square = (x: Tensor): Tensor => unary("square", x);
/** scale * x + shift, without a broadcast operand. */
export const affine = (x: Tensor, scale: number, shift = 0): Tensor => unary("affine", x, scale, shift);

