// DB-MTL: dual-balancing. Loss scales are balanced by taking the gradients of
// log(L_i + eps) (g_i / (L_i + eps)); gradient magnitudes by keeping an EMA of each
// task's gradient and rescaling every EMA to the largest norm before summing.
// Lin, Ye, Xu, Shi and Zhang, "Dual-Balancing for Multi-Task Learning", 2023 (eq. 4-6).
// As the paper (and LibMTL): the EMA b <- beta b + (1 - beta) g without bias correction.

/** The per-task factors alpha_i = max_j |b_j| / |b_i| applied to the EMA buffers b_i (0 for a zero buffer). */
export function dbMtlScales(bufferNorms2: number[]): number[] {
  let mx = 0;
  const n = bufferNorms2.map((x) => Math.sqrt(Math.max(x, 0)));
  for (const x of n) mx = Math.max(mx, x);
  return n.map((x) => (x > 0 ? mx / x : 0));
}
