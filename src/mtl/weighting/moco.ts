// MoCo: multi-objective gradient correction. A tracking estimate y_i of each task's
// gradient, y_i <- y_i - beta (y_i - g_i), removes the bias of stochastic MGDA; the
// weights follow projected gradient steps lambda <- P_simplex(lambda - gamma (Y'Y + rho I) lambda)
// and the update is Y lambda.
// Fernando, Shen, Liu, Chaudhury, Murugesan and Chen, "Mitigating Gradient Bias in
// Multi-objective Learning: A Provably Convergent Approach", ICLR 2023 (Algorithm 1).
// polyhead follows the paper (simplex projection; constant beta, gamma, rho); LibMTL
// replaces the projection by a softmax and scales unit gradients by the loss (METHODS.md).
import { checkGram, matVec, projectSimplex, type Matrix } from "./solvers.js";

/** MoCo's weight update from the Gram of the tracked gradients Y. */
export function mocoLambda(Gy: Matrix, lambda: number[], gamma: number, rho = 0): number[] {
  checkGram(Gy, "MoCo");
  const Gl = matVec(Gy, lambda);
  return projectSimplex(lambda.map((l, i) => l - gamma * (Gl[i] + rho * l)));
}
