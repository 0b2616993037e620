// Gradient rules of the normalisations (src/ops/norm.ts): one Wasm backward kernel each,
// reusing the forward's mean and 1/std.
import { K } from "../../engine/engine.js";
import { Tensor } from "../../tensor.js";
import type { GradRules, NormAttrs } from "../ops.js";

/** Gradients for [x, weight?, bias?] as recorded: only those that are wanted are computed. */
function gradBuffers(n: { inputs: Tensor[]; saved: NormAttrs }) {
  const { weight, bias } = n.saved;
  const x = n.inputs[0];
  const dx = new Tensor(x.shape);
  const dw = weight?.requiresGrad ? new Tensor(weight.shape) : null;
  const db = bias?.requiresGrad ? new Tensor(bias.shape) : null;
  const out: (Tensor | null)[] = [dx];
  if (weight) out.push(dw);
  if (bias) out.push(db);
  return { x, dx, dw, db, weight, out };
}

export const normGrads = {
  layer_norm: (n, dy) => {
    const { x, dx, dw, db, weight, out } = gradBuffers(n);
    const { mean, rstd, rows, cols } = n.saved;
    if (x.size > 0) K().layer_norm_grad(dx.ptr, dw?.ptr ?? 0, db?.ptr ?? 0, dy.ptr, x.ptr, mean.ptr, rstd.ptr, weight?.ptr ?? 0, rows, cols);
    else {
      if (dw) K().fill(dw.ptr, dw.size, 0);
      if (db) K().fill(db.ptr, db.size, 0);
    }
    return out;
  },
  batch_norm: (n, dy) => {
    const { x, dx, dw, db, weight, out } = gradBuffers(n);
    const s = n.saved;
    K().batch_norm_grad(dx.ptr, dw?.ptr ?? 0, db?.ptr ?? 0, dy.ptr, x.ptr, s.mean.ptr, s.rstd.ptr, weight?.ptr ?? 0,
      s.n, s.c, s.s, s.training ? 1 : 0);
    return out;
  },
} satisfies GradRules<"layer_norm" | "batch_norm">;
