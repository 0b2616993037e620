// DWA: dynamic weight average. Each task's weight follows the rate at which its loss
// fell over the last two epochs: w_i = T softmax_i(r / temperature), r_i = L_i(e-1) / L_i(e-2);
// weights 1 for the first two epochs.
// Liu, Johns and Davison, "End-to-End Multi-Task Learning with Attention", CVPR 2019 (eq. 7).
import { softmax } from "./fmath.js";

/** DWA's weights from the mean losses of the last two epochs (null before there are two). */
export function dwaWeights(last: number[] | null, before: number[] | null, temperature = 2): number[] | null {
  if (!(temperature > 0)) throw new Error(`DWA: temperature must be > 0, got ${temperature}`);
  if (!last || !before) return null;
  if (last.length !== before.length) throw new Error(`DWA: ${last.length} and ${before.length} loss histories`);
  const r = last.map((l, i) => (before[i] > 0 ? l / before[i] : 1));
  return softmax(r, temperature).map((x) => x * r.length);
}
