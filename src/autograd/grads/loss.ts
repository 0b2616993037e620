// Gradient rules of the losses (src/ops/loss.ts): each backward kernel takes the
// per-example upstream gradient (the reduction is an ordinary sum/div before it) and
// applies the same weights, mask and ignored labels as the forward.
import { K } from "../../engine/engine.js";
import type { Kernels, LossGrad } from "../../engine/kernels.js";
import { Tensor } from "../../tensor.js";
import type { GradRule, GradRules } from "../ops.js";

type ElementLoss = "binary_cross_entropy_with_logits" | "mse_loss" | "l1_loss" | "huber_loss";

// elementwise losses: gradients for the prediction and, where it requires one, the target
const elementLoss = (kernel: (k: Kernels) => LossGrad): GradRule<ElementLoss> => (n, dy) => {
  const [x, t] = n.inputs;
  const dx = x.requiresGrad ? new Tensor(x.shape) : null;
  const dt = t.requiresGrad ? new Tensor(t.shape) : null;
  kernel(K())(dx?.ptr ?? 0, dt?.ptr ?? 0, x.ptr, t.ptr, n.saved.w?.ptr ?? 0, dy.ptr, x.size, n.saved.p);
  return [dx, dt];
};

export const lossGrads = {
  cross_entropy: (n, dy) => {
    const x = n.inputs[0];
    const { labels, w, lse, eps, ignore } = n.saved;
    const dx = new Tensor(x.shape);
    K().cross_entropy_grad(dx.ptr, x.ptr, lse.ptr, labels.ptr, w?.ptr ?? 0, dy.ptr, x.shape[0], x.shape[1], eps, ignore);
    return [dx];
  },
  binary_cross_entropy_with_logits: elementLoss((k) => k.binary_cross_entropy_with_logits_grad),
  mse_loss: elementLoss((k) => k.mse_loss_grad),
  l1_loss: elementLoss((k) => k.l1_loss_grad),
  huber_loss: elementLoss((k) => k.huber_loss_grad),
} satisfies GradRules<"cross_entropy" | ElementLoss>;
