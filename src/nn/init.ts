// Seeded initialisers (Glorot/Xavier, He/Kaiming, PyTorch's Linear default, normal,
// constants). Only + - * / and sqrt run in JS; the draws run in Wasm.
import { Tensor, type Shape } from "../tensor.js";
import { full, rand, randn, truncatedNormal } from "../ops/creation.js";
import { defaultRng, Rng } from "../random.js";

/** A parameter initialiser: a tensor of the shape, drawn from the stream. */
export type Initializer = (shape: Shape, rng: Rng) => Tensor;

/** fan_in and fan_out of a weight shaped like PyTorch's: [out, in, ...kernel]. */
export function fans(shape: Shape): [number, number] {
  if (shape.length < 2) return [shape[0] ?? 1, shape[0] ?? 1];
  let rf = 1;
  for (let i = 2; i < shape.length; i++) rf *= shape[i];
  return [shape[1] * rf, shape[0] * rf];
}

/** The initialisers by name (`initializers.heNormal()` ...); not `init`, which loads the kernels. */
export const initializers = {
  /** All zeros. */
  zeros: (): Initializer => (s) => full(s, 0),
  /** All ones. */
  ones: (): Initializer => (s) => full(s, 1),
  /** Every value `v`. */
  constant: (v: number): Initializer => (s) => full(s, v),
  /** U(low, high). */
  uniform: (low = -0.05, high = 0.05): Initializer => (s, r) => rand(s, low, high, r),
  /** N(mean, std^2). */
  normal: (mean = 0, std = 0.05): Initializer => (s, r) => randn(s, mean, std, r),
  /** N(mean, std^2) redrawn outside two standard deviations. */
  truncatedNormal: (mean = 0, std = 0.05): Initializer => (s, r) => truncatedNormal(s, mean, std, 2, r),
  /** Glorot/Xavier uniform: U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)). */
  glorotUniform: (gain = 1): Initializer => (s, r) => { const [fi, fo] = fans(s); const a = gain * Math.sqrt(6 / (fi + fo)); return rand(s, -a, a, r); },
  /** Glorot/Xavier normal: N(0, gain^2 * 2 / (fan_in + fan_out)). */
  glorotNormal: (gain = 1): Initializer => (s, r) => { const [fi, fo] = fans(s); return randn(s, 0, gain * Math.sqrt(2 / (fi + fo)), r); },
  /** He/Kaiming uniform for ReLU: U(-b, b), b = sqrt(6 / fan_in). */
  heUniform: (): Initializer => (s, r) => { const [fi] = fans(s); const b = Math.sqrt(6 / fi); return rand(s, -b, b, r); },
  /** He/Kaiming normal for ReLU: N(0, 2 / fan_in). */
  heNormal: (): Initializer => (s, r) => { const [fi] = fans(s); return randn(s, 0, Math.sqrt(2 / fi), r); },
  /** PyTorch's default for Linear/Conv weights and biases: U(-1/sqrt(fan_in), 1/sqrt(fan_in)). */
  torchDefault: (fanIn?: number): Initializer => (s, r) => { const fi = fanIn ?? fans(s)[0]; const b = 1 / Math.sqrt(fi); return rand(s, -b, b, r); },
};

/** The given stream, or the default one. */
export function resolveRng(rng?: Rng): Rng { return rng ?? defaultRng(); }
