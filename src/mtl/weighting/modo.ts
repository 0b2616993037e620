// MoDo: multi-objective gradient with double sampling. One projected gradient step on
// the MGDA weights per training step, lambda <- P_simplex(lambda - gamma (G1'G2 + rho I) lambda),
// with G1, G2 the task gradients of two independent batches (unbiased), then the update
// G3 lambda on a third.
// Chen, Fernando, Ying and Chen, "Three-Way Trade-Off in Multi-Objective Learning:
// Optimization, Generalization and Conflict-Avoidance", NeurIPS 2023 (Algorithm 1).
// With one batch per step polyhead uses the same gradients for all three (the
// deterministic version the paper analyses first); `cross` may pass G1'G2 when the
// caller has two batches.
import { checkGram, matVec, projectSimplex, type Matrix } from "./solvers.js";

export function modoLambda(cross: Matrix, lambda: number[], gamma: number, rho = 0): number[] {
  checkGram(cross, "MoDo");
  const Gl = matVec(cross, lambda);
  return projectSimplex(lambda.map((l, i) => l - gamma * (Gl[i] + rho * l)));
}
