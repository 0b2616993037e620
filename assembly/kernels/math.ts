// Scalar transcendental helpers that AssemblyScript's Math lacks. Computed in Wasm so
// that every runtime gets the same bits (JS Math.* differs between engines).

// erf(x) in f64: Taylor series near 0 (where 1 - erfc loses digits), else the
// Chebyshev fit of erfc from Numerical Recipes (fractional error < 1.2e-7).
export function erf(x: f64): f64 {
  const z = Math.abs(x);
  if (z < 0.5) {
    // erf(x) = 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1))
    const x2 = x * x;
    let term = x, sum = x;
    for (let n = 1; n < 12; n++) {
      term *= -x2 / <f64>n;
      sum += term / <f64>(2 * n + 1);
    }
    return 1.1283791670955126 * sum;
  }
  const t = 1.0 / (1.0 + 0.5 * z);
  const ans = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
    t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? 1.0 - ans : ans - 1.0;
}
