// Broadcasting (NumPy rules): the result shape, and the collapse of an n-d broadcast
// into the (d0, d1, d2) form the binary kernels take, plus the reduction of a gradient
// back to an operand's shape.
import type { Shape } from "../tensor.js";

/** The broadcast shape of a and b (NumPy rules), or an error naming both shapes. */
export function broadcastShape(a: Shape, b: Shape, op: string): number[] {
  const r = Math.max(a.length, b.length);
  const out = new Array<number>(r);
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`${op}: shapes [${a.join(", ")}] and [${b.join(", ")}] do not broadcast (dimension ${i}: ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Element strides of `s` aligned to `out` (0 where broadcast). */
function alignedStrides(s: Shape, out: Shape): number[] {
  const r = out.length;
  const st = new Array<number>(r).fill(0);
  let acc = 1;
  for (let i = r - 1; i >= 0; i--) {
    const d = s[s.length - r + i] ?? 1;
    st[i] = d === 1 ? 0 : acc;
    acc *= d;
  }
  return st;
}

export interface Plan {
  /** Leading dimensions looped on the host (rarely more than none). */
  outer: number[]; aOuter: number[]; bOuter: number[];
  d: [number, number, number]; as: [number, number, number]; bs: [number, number, number];
}

/** Collapse mergeable dimensions; at most 3 remain for the kernel, any extra become host loops. */
export function plan(a: Shape, b: Shape, out: Shape): Plan {
  let dims = [...out];
  let sa = alignedStrides(a, out);
  let sb = alignedStrides(b, out);
  // drop size-1 dims, merge i into i+1 when both operands are contiguous across them
  const D: number[] = [], A: number[] = [], B: number[] = [];
  for (let i = 0; i < dims.length; i++) {
    if (dims[i] === 1) continue;
    const n = D.length;
    if (n > 0 && A[n - 1] === sa[i] * dims[i] && B[n - 1] === sb[i] * dims[i]) {
      D[n - 1] *= dims[i]; A[n - 1] = sa[i]; B[n - 1] = sb[i];
    } else { D.push(dims[i]); A.push(sa[i]); B.push(sb[i]); }
  }
  while (D.length < 3) { D.unshift(1); A.unshift(0); B.unshift(0); }
  const k = D.length - 3;
  dims = D; sa = A; sb = B;
  return {
    outer: dims.slice(0, k), aOuter: sa.slice(0, k), bOuter: sb.slice(0, k),
    d: [dims[k], dims[k + 1], dims[k + 2]], as: [sa[k], sa[k + 1], sa[k + 2]], bs: [sb[k], sb[k + 1], sb[k + 2]],
  };
}

/** The axes of `out` that were broadcast from `s` (to sum a gradient over). */
export function broadcastAxes(s: Shape, out: Shape): number[] {
  const axes: number[] = [];
  const r = out.length;
  for (let i = 0; i < r; i++) {
    const d = s[s.length - r + i] ?? 1;
    if (d === 1 && out[i] !== 1) axes.push(i);
  }
  return axes;
}
