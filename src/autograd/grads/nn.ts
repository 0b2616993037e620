// Gradient rules of the neural-network ops (src/ops/nn.ts): one Wasm backward kernel each.
// Embedding is `take` underneath and needs no rule of its own.
import { K } from "../../engine/engine.js";
import type { RowsGrad } from "../../engine/kernels.js";
import { Tensor } from "../../tensor.js";
import { registerGradient } from "../tape.js";

for (const op of ["softmax", "log_softmax"] as const) {
  registerGradient(op, (n, dy, out) => {
    const x = n.inputs[0];
    const dx = new Tensor(x.shape);
    const cols = x.shape[x.rank - 1];
    if (x.size > 0) (K()[`${op}_grad`] as RowsGrad)(dx.ptr, out.ptr, dy.ptr, x.size / cols, cols);
    return [dx];
  });
}

registerGradient("logsumexp", (n, dy, out) => {
  const x = n.inputs[0];
  const dx = new Tensor(x.shape);
  K().logsumexp_grad(dx.ptr, x.ptr, out.ptr, dy.ptr, out.size, x.shape[x.rank - 1]);
  return [dx];
});

/** Gradients for [x, weight?, bias?] as recorded: only those that are wanted are computed. */
function normGrads(n: { inputs: Tensor[]; saved: { weight: Tensor | null; bias: Tensor | null } }) {
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

registerGradient("layer_norm", (n, dy) => {
  const { x, dx, dw, db, weight, out } = normGrads(n);
  const { mean, rstd, rows, cols } = n.saved;
  if (x.size > 0) K().layer_norm_grad(dx.ptr, dw?.ptr ?? 0, db?.ptr ?? 0, dy.ptr, x.ptr, mean.ptr, rstd.ptr, weight?.ptr ?? 0, rows, cols);
  else {
    if (dw) K().fill(dw.ptr, dw.size, 0);
    if (db) K().fill(db.ptr, db.size, 0);
  }
  return out;
});

registerGradient("batch_norm", (n, dy) => {
  const { x, dx, dw, db, weight, out } = normGrads(n);
  const s = n.saved;
  K().batch_norm_grad(dx.ptr, dw?.ptr ?? 0, db?.ptr ?? 0, dy.ptr, x.ptr, s.mean.ptr, s.rstd.ptr, weight?.ptr ?? 0,
    s.n, s.c, s.s, s.training ? 1 : 0);
  return out;
});
