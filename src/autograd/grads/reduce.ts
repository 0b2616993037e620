// Gradient rules of the reductions (src/ops/reduce.ts).
import { K } from "../../engine/engine.js";
import { Tensor } from "../../tensor.js";
import type { GradRules } from "../ops.js";
import { split3 } from "../../ops/reduce.js";

export const reduceGrads = {
  // sum: broadcast dy back over the reduced axes (expand3 per contiguous run of axes).
  sum: (n, dy) => {
    const x = n.inputs[0];
    const { axes } = n.saved;
    let shape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    let cur = new Tensor(shape, "float32", dy.storage);
    for (const a of axes) {
      const [d0, , d2] = split3(shape, a, a);
      const next = new Tensor(shape.map((d, i) => (i === a ? x.shape[a] : d)));
      K().expand3(next.ptr, cur.ptr, d0, x.shape[a], d2);
      shape = [...next.shape];
      cur = next;
    }
    return [axes.length ? cur : new Tensor(x.shape, "float32", dy.storage)];
  },
  max: (n, dy) => {
    const x = n.inputs[0];
    const [d0, d1, d2] = n.saved.d;
    const dx = new Tensor(x.shape);
    K().max3_grad(dx.ptr, n.saved.idx.ptr, dy.ptr, d0, d1, d2);
    return [dx];
  },
} satisfies GradRules<"sum" | "max">;
