// Input corruption for denoising autoencoders, drawn from a seeded stream: masking noise
// (each input zeroed with probability rate) or additive Gaussian noise (std). Vincent,
// Larochelle, Bengio, Manzagol, "Extracting and Composing Robust Features with Denoising
// Autoencoders", ICML 2008.
import type { Tensor } from "../tensor.js";
import { bernoulli, randn } from "../ops/creation.js";
import { add, mul } from "../ops/elementwise.js";
import type { Rng } from "../random.js";
import { checkOptions, show } from "../validate.js";

export type Denoise = { kind: "mask"; rate: number } | { kind: "gaussian"; std: number };

/** Check a denoise option (owner names the caller in errors); returns it. */
export function checkDenoise(owner: string, d: unknown): Denoise | null {
  if (d === undefined || d === null) return null;
  const o = d as Record<string, unknown>;
  if (typeof o !== "object") throw new Error(`${owner}: denoise must be { kind: "mask", rate } or { kind: "gaussian", std }, got ${show(d)}`);
  if (o.kind === "mask") {
    checkOptions(`${owner}: denoise`, o, ["kind", "rate"]);
    if (!(typeof o.rate === "number" && o.rate >= 0 && o.rate < 1)) throw new Error(`${owner}: denoise rate must be in [0, 1), got ${show(o.rate)}`);
  } else if (o.kind === "gaussian") {
    checkOptions(`${owner}: denoise`, o, ["kind", "std"]);
    if (!(typeof o.std === "number" && o.std >= 0 && Number.isFinite(o.std))) throw new Error(`${owner}: denoise std must be a finite number >= 0, got ${show(o.std)}`);
  } else {
    throw new Error(`${owner}: denoise kind must be "mask" or "gaussian", got ${show(o.kind)}`);
  }
  return o as Denoise;
}

/** x with the corruption applied (masking keeps the survivors unscaled, as the paper). */
export function corrupt(x: Tensor, d: Denoise, rng: Rng): Tensor {
  if (d.kind === "mask") return d.rate === 0 ? x : mul(x, bernoulli(x.shape, 1 - d.rate, 1, rng));
  return d.std === 0 ? x : add(x, randn(x.shape, 0, d.std, rng));
}
