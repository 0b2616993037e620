// Gradient rules of the shape ops (src/ops/shape.ts).
import { K } from "../../engine/engine.js";
import { sizeOf } from "../../tensor.js";
import type { GradRules } from "../ops.js";
import { reshape, slice, transpose } from "../../ops/shape.js";
import { zeros } from "../../ops/creation.js";

export const shapeGrads = {
  reshape: (n, dy) => [reshape(dy, n.inputs[0].shape)],
  transpose: (n, dy) => {
    const { perm } = n.saved;
    const inv = new Array<number>(perm.length);
    perm.forEach((p, i) => { inv[p] = i; });
    return [transpose(dy, inv)];
  },
  concat: (n, dy) => {
    const { axis, sizes } = n.saved;
    let off = 0;
    return sizes.map((s) => { const g = slice(dy, axis, off, off + s); off += s; return g; });
  },
  slice: (n, dy) => {
    const x = n.inputs[0];
    const { axis, start, end } = n.saved;
    const dx = zeros(x.shape);
    const outer = sizeOf(x.shape.slice(0, axis));
    const inner = sizeOf(x.shape.slice(axis + 1));
    const cols = (end - start) * inner;
    if (cols > 0 && outer > 0) K().add2d(dx.ptr + start * inner * 4, dy.ptr, outer, cols, x.shape[axis] * inner, cols);
    return [dx];
  },
  take: (n, dy) => {
    const x = n.inputs[0];
    const { idx } = n.saved;
    const dx = zeros(x.shape);
    K().scatter_add_rows(dx.ptr, dy.ptr, idx.ptr, idx.size, sizeOf(x.shape.slice(1)));
    return [dx];
  },
} satisfies GradRules<"reshape" | "transpose" | "concat" | "slice" | "take">;
