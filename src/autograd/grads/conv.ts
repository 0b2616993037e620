// Gradient rules of convolution and pooling (src/ops/conv.ts). conv2d, per image i:
//   dW += dY_i col_i^T   (col_i = im2col(x_i), recomputed rather than kept from the forward)
//   dx_i = col2im(W^T dY_i)
// with images in order, so dW sums in a fixed order.
import { K } from "../../engine/engine.js";
import { Tensor } from "../../tensor.js";
import type { GradRules } from "../ops.js";
import { im2colAt } from "../../ops/conv.js";

export const convGrads = {
  conv2d: (node, dy) => {
    const [x, w] = node.inputs;
    const g = node.saved;
    const o = w.shape[0], k = g.c * g.kh * g.kw, s = g.oh * g.ow;
    const dx = x.requiresGrad ? new Tensor(x.shape) : null;
    const dw = w.requiresGrad ? new Tensor(w.shape) : null;
    if (dw && g.n === 0) K().fill(dw.ptr, dw.size, 0);
    const col = new Tensor([k, s]);
    for (let i = 0; i < g.n; i++) {
      const dyi = dy.ptr + i * o * s * 4;
      if (dw) {
        im2colAt(col, x, i, g);
        K().matmul(dw.ptr, dyi, col.ptr, o, k, s, 0, 1, 1, i === 0 ? 0 : 1);
      }
      if (dx) {
        K().matmul(col.ptr, w.ptr, dyi, k, s, o, 1, 0, 1, 0);
        K().col2im(dx.ptr + i * g.c * g.h * g.w * 4, col.ptr, g.c, g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.oh, g.ow);
      }
    }
    col.dispose();
    return [dx, dw];
  },
  max_pool2d: (node, dy) => {
    const x = node.inputs[0];
    const g = node.saved;
    const dx = new Tensor(x.shape);
    K().max_pool2d_grad(dx.ptr, g.idx.ptr, dy.ptr, g.n, g.h, g.w, g.oh, g.ow);
    return [dx];
  },
  avg_pool2d: (node, dy) => {
    const x = node.inputs[0];
    const g = node.saved;
    const dx = new Tensor(x.shape);
    K().avg_pool2d_grad(dx.ptr, dy.ptr, g.n, g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.oh, g.ow, g.inc);
    return [dx];
  },
} satisfies GradRules<"conv2d" | "max_pool2d" | "avg_pool2d">;
