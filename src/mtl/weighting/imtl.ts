// IMTL: impartial multi-task learning. IMTL-G picks the update g = sum_i a_i g_i, sum a = 1,
// whose projections on every task's unit gradient u_i are equal (g.u_1 = g.u_i); IMTL-L
// scales each loss by a learned e^{s_i} with the regulariser -s_i, so the scaled losses
// stay near 1.
// Liu, Li, Kuang, Xue, Chen, Yang, Liao and Zhang, "Towards Impartial Multi-task
// Learning", ICLR 2021 (IMTL-G: eq. 7 and its closed form; IMTL-L: eq. 3).
// polyhead solves the T equations of the paper's conditions directly on the Gram
// matrix (the same solution as the paper's closed form a = g_1 U'(D U')^{-1}).
import { checkGram, solveLinear, type Matrix } from "./solvers.js";

/** IMTL-G's weights: sum a = 1 and (u_1 - u_i).g = 0 for i > 1, with u_i = g_i/|g_i|. */
export function imtlGWeights(G: Matrix): number[] {
  checkGram(G, "IMTL");
  const T = G.length;
  const n = G.map((row, i) => Math.sqrt(row[i]));
  if (n.some((x) => !(x > 0))) throw new Error("IMTL: a task gradient is zero (its unit vector is undefined)");
  if (T === 1) return [1];
  const A: Matrix = [G.map(() => 1)];
  for (let i = 1; i < T; i++) A.push(G.map((_, j) => G[0][j] / n[0] - G[i][j] / n[i]));
  const b = G.map((_, i) => (i === 0 ? 1 : 0));
  const a = solveLinear(A, b, 1e-14);
  if (!a) throw new Error("IMTL: the projection conditions are singular (two task gradients point the same way)");
  return a;
}
