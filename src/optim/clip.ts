// Gradient clipping, as torch.nn.utils.clip_grad_norm_ / clip_grad_value_: in place on
// the gradients of the given parameters (those that have one), before optimizer.step().
import { K } from "../engine/engine.js";
import { Tensor } from "../tensor.js";

function gradsOf(params: Tensor | Iterable<Tensor>, what: string): Tensor[] {
  const list = params instanceof Tensor ? [params] : [...params];
  const out: Tensor[] = [];
  list.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new Error(`${what}: params[${i}] is not a Tensor`);
    if (p.grad && !p.grad.isDisposed) out.push(p.grad);
  });
  return out;
}

/**
 * Scale all gradients together so that their global L2 norm is at most maxNorm; returns
 * the norm before clipping. As torch: the factor is maxNorm / (norm + 1e-6), capped at 1.
 * The sum of squares runs in f64 over the buffers in parameter order (a fixed order).
 * @example
 * backward(loss); const norm = clipGradNorm(model.parameters(), 1.0); opt.step();
 */
export function clipGradNorm(params: Tensor | Iterable<Tensor>, maxNorm: number): number {
  if (!(typeof maxNorm === "number" && maxNorm >= 0)) throw new Error(`clipGradNorm: maxNorm must be a number >= 0, got ${maxNorm}`);
  const grads = gradsOf(params, "clipGradNorm");
  const k = K();
  let ss = 0;
  for (const g of grads) ss += k.sumsq_f64(g.ptr, g.size);
  const norm = Math.sqrt(ss);
  const coef = maxNorm / (norm + 1e-6);
  // `!(coef >= 1)` rather than `coef < 1`: a NaN norm poisons the gradients, as in torch,
  // instead of letting a non-finite step through silently.
  if (!(coef >= 1)) for (const g of grads) k.scale(g.ptr, g.size, coef);
  return norm;
}

/**
 * Clamp every gradient element to [-clipValue, clipValue].
 * @example backward(loss); clipGradValue(model.parameters(), 0.5); opt.step();
 */
export function clipGradValue(params: Tensor | Iterable<Tensor>, clipValue: number): void {
  if (!(typeof clipValue === "number" && clipValue >= 0)) throw new Error(`clipGradValue: clipValue must be a number >= 0, got ${clipValue}`);
  for (const g of gradsOf(params, "clipGradValue")) K().clamp(g.ptr, g.ptr, g.size, -clipValue, clipValue);
}
