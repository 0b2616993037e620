// CR-MOGM: correlation-reduced multi-objective gradient manipulation. The weights of a
// base method (MGDA's by default) are smoothed over steps, lambda_t = alpha lambda_{t-1}
// + (1 - alpha) lambda-hat_t, which removes the bias stochastic gradients give MGDA-type
// methods.
// Zhou, Zhang, Fan and Wang, "On the Convergence of Stochastic Multi-Objective Gradient
// Manipulation and Beyond", NeurIPS 2022 (Algorithm 2).

export function crMogmWeights(prev: number[] | null, current: number[], alpha: number): number[] {
  if (!(alpha >= 0 && alpha < 1)) throw new Error(`CR-MOGM: alpha must be in [0, 1), got ${alpha}`);
  if (!prev) return [...current];
  if (prev.length !== current.length) throw new Error(`CR-MOGM: ${prev.length} previous weights, ${current.length} new`);
  return current.map((c, i) => alpha * prev[i] + (1 - alpha) * c);
}
