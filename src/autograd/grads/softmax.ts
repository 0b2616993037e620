// Gradient rules of the softmax family (src/ops/softmax.ts): one Wasm backward kernel each,
// over rows of the last axis (the forward moved any other axis there). A masked softmax
// (src/ops/attention.ts) has softmax's rule: its masked entries are 0 in y, so get dx = 0.
import { K } from "../../engine/engine.js";
import type { RowsGrad, Kernels } from "../../engine/kernels.js";
import { Tensor } from "../../tensor.js";
import type { GradRule, GradRules } from "../ops.js";

// softmax and log_softmax: dx from the output y and dy
const rows = (kernel: (k: Kernels) => RowsGrad): GradRule<"softmax" | "log_softmax" | "masked_softmax"> => (n, dy, out) => {
  const x = n.inputs[0];
  const dx = new Tensor(x.shape);
  const cols = x.shape[x.rank - 1];
  if (x.size > 0) kernel(K())(dx.ptr, out.ptr, dy.ptr, x.size / cols, cols);
  return [dx];
};

export const softmaxGrads = {
  softmax: rows((k) => k.softmax_grad),
  log_softmax: rows((k) => k.log_softmax_grad),
  masked_softmax: rows((k) => k.softmax_grad),
  logsumexp: (n, dy, out) => {
    const x = n.inputs[0];
    const dx = new Tensor(x.shape);
    K().logsumexp_grad(dx.ptr, x.ptr, out.ptr, dy.ptr, out.size, x.shape[x.rank - 1]);
    return [dx];
  },
} satisfies GradRules<"softmax" | "log_softmax" | "logsumexp" | "masked_softmax">;
