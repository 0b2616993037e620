// The small optimisation problems behind the gradient-combination methods, over the
// tasks' Gram matrix G (G_ij = g_i . g_j, T x T, T small): the min-norm point of a convex
// hull (MGDA), Euclidean projection onto the simplex, CAGrad's dual, the alpha-fair /
// Nash bargaining system (Nash-MTL, FairGrad), lower-bounded QPs (UPGrad, DualProj), a
// symmetric eigendecomposition (Aligned-MTL, ConFIG's pseudo-inverse) and a linear solve.
// Written with + - * / and sqrt only, fixed loop orders: the same bits in every runtime.
import { log, pow } from "./fmath.js";

/** A small dense matrix as rows (a Gram matrix: T x T for T tasks). */
export type Matrix = number[][];

const dot = (a: number[], b: number[]): number => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; };
/** G v. */
export function matVec(G: Matrix, v: number[]): number[] { return G.map((row) => dot(row, v)); }
/** v' G v. */
export function quad(G: Matrix, v: number[]): number { return dot(v, matVec(G, v)); }
const trace = (G: Matrix): number => { let s = 0; for (let i = 0; i < G.length; i++) s += G[i][i]; return s; };

/** Throws unless G is a finite, square, symmetric matrix (up to rounding). */
export function checkGram(G: Matrix, who: string): void {
  const T = G.length;
  if (T === 0) throw new Error(`${who}: the Gram matrix is empty (no tasks)`);
  for (let i = 0; i < T; i++) {
    if (!Array.isArray(G[i]) || G[i].length !== T) throw new Error(`${who}: the Gram matrix must be ${T} x ${T}; row ${i} has ${G[i]?.length} entries`);
    for (let j = 0; j < T; j++) if (!Number.isFinite(G[i][j])) throw new Error(`${who}: Gram entry [${i}][${j}] is ${G[i][j]}`);
  }
}

// ---------------------------------------------------------------- linear algebra

/** Solve A x = b by Gaussian elimination with partial pivoting; null when A is singular (pivot <= tol * max |A|). */
export function solveLinear(A: Matrix, b: number[], tol = 1e-13): number[] | null {
  const n = b.length;
  const M = A.map((r, i) => [...r, b[i]]);
  let scale = 0;
  for (const r of A) for (const x of r) scale = Math.max(scale, Math.abs(x));
  if (scale === 0) return null;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    if (Math.abs(M[p][c]) <= tol * scale) return null;
    if (p !== c) { const t = M[p]; M[p] = M[c]; M[c] = t; }
    for (let r = c + 1; r < n; r++) {
      const f = M[r][c] / M[c][c];
      if (f !== 0) for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = M[r][n];
    for (let k = r + 1; k < n; k++) s -= M[r][k] * x[k];
    x[r] = s / M[r][r];
  }
  return x;
}

/**
 * Symmetric eigendecomposition by cyclic Jacobi rotations: values ascending, vectors as
 * columns (vectors[i][k] is component i of eigenvector k). Deterministic sweep order.
 */
export function symEig(S: Matrix): { values: number[]; vectors: Matrix } {
  const n = S.length;
  const A = S.map((r) => [...r]);
  const V: Matrix = A.map((_, i) => A.map((__, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0, diag = 0;
    for (let i = 0; i < n; i++) { diag += A[i][i] * A[i][i]; for (let j = i + 1; j < n; j++) off += A[i][j] * A[i][j]; }
    if (off <= 1e-32 * diag || off === 0) break;
    for (let p = 0; p < n - 1; p++) for (let q = p + 1; q < n; q++) {
      const apq = A[p][q];
      if (apq === 0) continue;
      const theta = (A[q][q] - A[p][p]) / (2 * apq);
      const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1), s = t * c;
      for (let k = 0; k < n; k++) { // A <- A J (columns p, q)
        const akp = A[k][p], akq = A[k][q];
        A[k][p] = c * akp - s * akq; A[k][q] = s * akp + c * akq;
      }
      for (let k = 0; k < n; k++) { // A <- J' A (rows p, q)
        const apk = A[p][k], aqk = A[q][k];
        A[p][k] = c * apk - s * aqk; A[q][k] = s * apk + c * aqk;
      }
      A[p][q] = 0; A[q][p] = 0;
      for (let k = 0; k < n; k++) {
        const vkp = V[k][p], vkq = V[k][q];
        V[k][p] = c * vkp - s * vkq; V[k][q] = s * vkp + c * vkq;
      }
    }
  }
  const order = A.map((_, i) => i).sort((a, b) => A[a][a] - A[b][b] || a - b);
  return { values: order.map((i) => A[i][i]), vectors: V.map((row) => order.map((i) => row[i])) };
}

/** Moore-Penrose pseudo-inverse of a symmetric PSD matrix (eigenvalues <= max * T * 2^-52 count as zero). */
export function pinvSym(S: Matrix): Matrix {
  const { values, vectors } = symEig(S);
  const n = S.length;
  const tol = Math.max(...values.map(Math.abs)) * n * 2.220446049250313e-16;
  const out: Matrix = S.map(() => new Array<number>(n).fill(0));
  for (let k = 0; k < n; k++) {
    if (values[k] <= tol) continue;
    const inv = 1 / values[k];
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i][j] += vectors[i][k] * inv * vectors[j][k];
  }
  return out;
}

// ---------------------------------------------------------------- simplex

/** Positive weights rescaled to sum to their count (GradNorm's and ExcessMTL's renormalisation). */
export function scaleToCount(w: number[]): number[] {
  let s = 0;
  for (const x of w) s += x;
  return w.map((x) => (x * w.length) / s);
}

/** Euclidean projection of v onto the probability simplex {w >= 0, sum w = 1} (sort-based, Held et al. 1974). */
export function projectSimplex(v: number[]): number[] {
  const n = v.length;
  if (n === 0) throw new Error("projectSimplex: empty vector");
  const u = [...v].sort((a, b) => b - a);
  let css = 0, theta = 0;
  for (let k = 0; k < n; k++) {
    css += u[k];
    const t = (css - 1) / (k + 1);
    if (u[k] - t > 0) theta = t;
  }
  return v.map((x) => Math.max(x - theta, 0));
}

// ---------------------------------------------------------------- min-norm point (MGDA)

/** min over gamma in [0, 1] of |gamma a + (1 - gamma) b|^2 given a.a, a.b, b.b (Sener & Koltun, Alg. 1). */
export function minNorm2(aa: number, ab: number, bb: number): number {
  if (ab >= aa) return 1;
  if (ab >= bb) return 0;
  return (bb - ab) / (aa + bb - 2 * ab);
}

/**
 * Frank-Wolfe for min_{w in simplex} w'Gw as in MGDA (Sener & Koltun 2018, Alg. 2), from
 * uniform weights. Cheap but can stop far from the optimum for T >= 3 with few iterations;
 * `minNormPoint` is exact.
 */
export function minNormFrankWolfe(G: Matrix, maxIter = 250, tol = 1e-5): number[] {
  checkGram(G, "minNormFrankWolfe");
  const T = G.length;
  let w = new Array<number>(T).fill(1 / T);
  for (let it = 0; it < maxIter; it++) {
    const Gw = matVec(G, w);
    let t = 0;
    for (let i = 1; i < T; i++) if (Gw[i] < Gw[t]) t = i;
    const gamma = minNorm2(dot(w, Gw), Gw[t], G[t][t]); // between the current point and vertex t
    const next = w.map((x, i) => (1 - gamma) * x + (i === t ? gamma : 0));
    let change = 0;
    for (let i = 0; i < T; i++) change += Math.abs(next[i] - w[i]);
    w = next;
    if (change < tol) break;
  }
  return w;
}

/**
 * The exact min-norm point of the convex hull of the T vectors whose Gram matrix is G:
 * argmin_{w in simplex} w'Gw, by Wolfe's algorithm (Wolfe 1976) on the Gram matrix.
 * Returns the weights w (the point is sum_i w_i g_i).
 */
export function minNormPoint(G: Matrix, tol = 1e-12): number[] {
  checkGram(G, "minNormPoint");
  const T = G.length;
  let scale = 0;
  for (let i = 0; i < T; i++) scale = Math.max(scale, G[i][i]);
  if (scale === 0) return new Array<number>(T).fill(1 / T); // every vector is zero
  let j0 = 0;
  for (let i = 1; i < T; i++) if (G[i][i] < G[j0][j0]) j0 = i;
  let S = [j0];
  let lam = new Array<number>(T).fill(0); lam[j0] = 1;
  for (let major = 0; major < 50 * T + 50; major++) {
    const Gl = matVec(G, lam);
    const xx = dot(lam, Gl);
    let j = -1, best = xx - tol * scale;
    for (let i = 0; i < T; i++) if (!S.includes(i) && Gl[i] < best) { best = Gl[i]; j = i; }
    if (j < 0) break; // x.x <= x.g_j + tol for all j: optimal
    S = [...S, j];
    for (let minor = 0; minor < T + 1; minor++) {
      const beta = affineMinimiser(G, S);
      if (!beta) { S = S.filter((i) => i !== j); break; } // numerically dependent: keep the old corral
      if (beta.every((b) => b > 0)) { lam = new Array<number>(T).fill(0); S.forEach((i, k) => { lam[i] = beta[k]; }); break; }
      // move from lam towards the affine minimiser until a weight hits zero
      let theta = 1;
      S.forEach((i, k) => { if (beta[k] <= 0) theta = Math.min(theta, lam[i] / (lam[i] - beta[k])); });
      const next = new Array<number>(T).fill(0);
      S.forEach((i, k) => { next[i] = lam[i] + theta * (beta[k] - lam[i]); });
      lam = next;
      S = S.filter((i) => lam[i] > 0);
      if (S.length === 0) { S = [j]; lam[j] = 1; }
    }
  }
  let s = 0;
  for (const x of lam) s += x;
  return lam.map((x) => x / s);
}

/** The affine combination of the points S closest to the origin: [G_SS 1; 1' 0][b; -mu] = [0; 1]. */
function affineMinimiser(G: Matrix, S: number[]): number[] | null {
  const n = S.length;
  const A: Matrix = S.map((i) => [...S.map((j) => G[i][j]), 1]);
  A.push([...new Array<number>(n).fill(1), 0]);
  const x = solveLinear(A, [...new Array<number>(n).fill(0), 1], 1e-14);
  return x ? x.slice(0, n) : null;
}

// ---------------------------------------------------------------- lower-bounded QP (UPGrad, DualProj)

/**
 * min_v v'Gv subject to v >= lower (componentwise), G positive semi-definite: the dual of
 * projecting J'lower onto the dual cone of the rows of J (Quinton & Rey 2024, Prop. 1).
 * Solved exactly by the Lawson-Hanson active-set method on the Gram matrix.
 */
export function lowerBoundedQP(G: Matrix, lower: number[], tol = 1e-13): number[] {
  checkGram(G, "lowerBoundedQP");
  const T = G.length;
  if (lower.length !== T) throw new Error(`lowerBoundedQP: lower has ${lower.length} entries, expected ${T}`);
  // v = lower + z, z >= 0: min z'Gz + 2 (G lower)'z; NNLS in normal-equation form
  const c = matVec(G, lower);
  let scale = 0;
  for (let i = 0; i < T; i++) scale = Math.max(scale, G[i][i]);
  if (scale === 0) return [...lower];
  const thr = tol * scale * Math.max(1, ...lower.map(Math.abs));
  const z = new Array<number>(T).fill(0);
  const inP = new Array<boolean>(T).fill(false);
  const grad = () => { const Gz = matVec(G, z); return Gz.map((x, i) => -(x + c[i])); }; // negative gradient / 2
  const solveP = (): number[] | null => {
    const P = inP.map((b, i) => (b ? i : -1)).filter((i) => i >= 0);
    const sP = solveLinear(P.map((i) => P.map((j) => G[i][j])), P.map((i) => -c[i]), 1e-12);
    if (!sP) return null;
    const s = new Array<number>(T).fill(0);
    P.forEach((i, k) => { s[i] = sP[k]; });
    return s;
  };
  for (let outer = 0; outer < 3 * T + 3; outer++) {
    const w = grad();
    let j = -1;
    for (let i = 0; i < T; i++) if (!inP[i] && w[i] > thr && (j < 0 || w[i] > w[j])) j = i;
    if (j < 0) break;
    inP[j] = true;
    let s = solveP();
    if (!s) { inP[j] = false; break; } // dependent column: the current z is optimal up to rounding
    for (let inner = 0; inner < T + 1; inner++) {
      let ok = true;
      for (let i = 0; i < T; i++) if (inP[i] && s[i] <= 0) ok = false;
      if (ok) break;
      let alpha = 1;
      for (let i = 0; i < T; i++) if (inP[i] && s[i] <= 0) alpha = Math.min(alpha, z[i] / (z[i] - s[i]));
      for (let i = 0; i < T; i++) if (inP[i]) { z[i] += alpha * (s[i] - z[i]); if (z[i] <= 0 || (s[i] <= 0 && z[i] <= thr)) { z[i] = 0; inP[i] = false; } }
      const s2 = solveP();
      if (!s2) break;
      s = s2;
    }
    for (let i = 0; i < T; i++) z[i] = inP[i] ? Math.max(s[i], 0) : 0;
  }
  return z.map((x, i) => x + lower[i]);
}

// ---------------------------------------------------------------- CAGrad's dual

/**
 * CAGrad's dual (Liu et al. 2021, eq. 4): argmin_{w in simplex} w'G1/T + sqrt(phi) sqrt(w'Gw),
 * phi = c^2 |g0|^2, g0 the mean gradient. Exact: on each support S the stationarity
 * conditions have a closed form (a quadratic in the multiplier); the support satisfying
 * the KKT conditions is the optimum (the objective is convex). T <= 12; beyond, or when
 * no support qualifies (rank-deficient G), accelerated projected gradient to tolerance.
 */
export function cagradDual(G: Matrix, c: number): number[] {
  checkGram(G, "cagradDual");
  if (!(c >= 0)) throw new Error(`cagradDual: c must be >= 0, got ${c}`);
  const T = G.length;
  const b = matVec(G, new Array<number>(T).fill(1 / T));
  const g0sq = Math.max(dot(b, new Array<number>(T).fill(1 / T)), 0); // rounding can make |g0|^2 of opposite gradients negative
  const r = c * Math.sqrt(g0sq);
  const F = (w: number[]) => dot(b, w) + r * Math.sqrt(Math.max(quad(G, w), 0));
  if (r === 0 || g0sq === 0) { // linear objective: the vertex with the smallest b_i
    let k = 0;
    for (let i = 1; i < T; i++) if (b[i] < b[k]) k = i;
    return b.map((_, i) => (i === k ? 1 : 0));
  }
  let best: number[] | null = null, bestF = Infinity;
  if (T <= 12) {
    for (let mask = 1; mask < 1 << T; mask++) {
      const S: number[] = [];
      for (let i = 0; i < T; i++) if (mask & (1 << i)) S.push(i);
      const w = cagradSupport(G, b, r, S);
      if (!w) continue;
      const q = Math.sqrt(quad(G, w));
      if (!(q > 0)) continue;
      const grad = matVec(G, w).map((x, i) => b[i] + (r * x) / q);
      let nu = 0;
      for (const i of S) nu += grad[i] / S.length;
      const slack = 1e-9 * (Math.abs(nu) + Math.sqrt(g0sq) * (1 + c));
      if (grad.every((gi, i) => S.includes(i) || gi >= nu - slack)) {
        const f = F(w);
        if (f < bestF) { bestF = f; best = w; }
      }
    }
  }
  return best ?? projectedGradientSimplex(G, (w) => {
    const q = Math.sqrt(Math.max(quad(G, w), 1e-300));
    return matVec(G, w).map((x, i) => b[i] + (r * x) / q);
  }, F);
}

function cagradSupport(G: Matrix, b: number[], r: number, S: number[]): number[] | null {
  // b_S + r G_SS w_S / q = nu 1, 1'w_S = 1, q^2 = w_S'G_SS w_S  =>  w_S = (q/r)(nu a - cv)
  const GS = S.map((i) => S.map((j) => G[i][j]));
  const a = solveLinear(GS, S.map(() => 1), 1e-12);
  const cv = solveLinear(GS, S.map((i) => b[i]), 1e-12);
  if (!a || !cv) return null;
  let A = 0, B = 0, C = 0;
  S.forEach((i, k) => { A += a[k]; B += cv[k]; C += b[i] * cv[k]; });
  const disc = B * B - A * (C - r * r);
  if (!(A > 0) || disc < 0) return null;
  const nu = (B + Math.sqrt(disc)) / A;
  const den = nu * A - B;
  if (!(den > 0)) return null;
  const q = r / den;
  const w = new Array<number>(G.length).fill(0);
  let ok = true;
  S.forEach((i, k) => { w[i] = (q / r) * (nu * a[k] - cv[k]); if (!(w[i] > 0)) ok = false; });
  return ok ? w : null;
}

/** Accelerated projected gradient (FISTA with restart) on the simplex, Lipschitz constant by backtracking. */
function projectedGradientSimplex(G: Matrix, gradF: (w: number[]) => number[], F: (w: number[]) => number, iters = 5000): number[] {
  const T = G.length;
  let x = new Array<number>(T).fill(1 / T), y = x, t = 1;
  let L = Math.max(trace(G), 1e-300);
  let fx = F(x);
  for (let it = 0; it < iters; it++) {
    const g = gradF(y);
    let xn: number[];
    for (;;) {
      xn = projectSimplex(y.map((v, i) => v - g[i] / L));
      const d = xn.map((v, i) => v - y[i]);
      if (F(xn) <= F(y) + dot(g, d) + (L / 2) * dot(d, d) + 1e-15 * Math.abs(F(y)) || L > 1e300) break;
      L *= 2;
    }
    const fn = F(xn);
    if (fn > fx) { y = x; t = 1; continue; } // restart
    const tn = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
    y = xn.map((v, i) => v + ((t - 1) / tn) * (v - x[i]));
    let moved = 0;
    for (let i = 0; i < T; i++) moved += Math.abs(xn[i] - x[i]);
    x = xn; fx = fn; t = tn;
    if (moved < 1e-15) break;
  }
  return x;
}

// ---------------------------------------------------------------- alpha-fair / Nash bargaining

/**
 * The alpha-fair weights w > 0 with (G w)_i = w_i^(-1/alpha) (FairGrad, Ban & Ji 2024);
 * alpha = 1 is the Nash bargaining solution w_i (G w)_i = 1 of Nash-MTL (Navon et al.
 * 2022, eq. 3). The stationary point of the strictly convex
 * f(w) = w'Gw/2 - sum_i phi(w_i), phi' = w^(-1/alpha), found by damped Newton steps.
 * Needs G positive definite on the directions that matter (independent gradients);
 * otherwise f is unbounded and this throws.
 */
export function alphaFair(G: Matrix, alpha = 1): number[] {
  checkGram(G, "alphaFair");
  if (!(alpha > 0)) throw new Error(`alphaFair: alpha must be > 0, got ${alpha}`);
  const T = G.length;
  const p = -1 / alpha;
  const phiD = (w: number) => (alpha === 1 ? 1 / w : pow(w, p));
  const phi = (w: number) => (alpha === 1 ? log(w) : pow(w, 1 + p) / (1 + p));
  const f = (w: number[]) => { let s = quad(G, w) / 2; for (const x of w) s -= phi(x); return s; };
  // start where a diagonal G would put the solution: w_i G_ii = w_i^p
  let w = G.map((row, i) => (row[i] > 0 ? pow(row[i], -alpha / (1 + alpha)) : 1));
  let fw = f(w);
  for (let it = 0; it < 200; it++) {
    const Gw = matVec(G, w);
    const g = Gw.map((x, i) => x - phiD(w[i]));
    // Hessian G + diag(-phi''), phi'' = p w^(p-1)
    const H = G.map((row, i) => row.map((x, j) => (i === j ? x - p * phiD(w[i]) / w[i] : x)));
    const step = solveLinear(H, g.map((x) => -x), 1e-15);
    if (!step) throw new Error("alphaFair: singular Newton system (are the task gradients linearly dependent?)");
    const dec = -dot(g, step);
    if (dec < 1e-32 * Math.max(1, Math.abs(fw))) break;
    let s = 1;
    for (let i = 0; i < T; i++) if (step[i] < 0) s = Math.min(s, -0.99 * w[i] / step[i]); // stay positive
    // Armijo on f; near the solution f stops resolving at double precision, so a step
    // that shrinks the residual |Gw - phi'(w)| is accepted too
    const res = (v: number[]) => { const Gv = matVec(G, v); let r = 0; for (let i = 0; i < T; i++) r += (Gv[i] - phiD(v[i])) * (Gv[i] - phiD(v[i])); return r; };
    const r0 = res(w);
    let next = w, fn = fw, tries = 0;
    for (; tries < 60; tries++) {
      next = w.map((x, i) => x + s * step[i]);
      fn = f(next);
      if (fn <= fw - 1e-4 * s * dec || (fn <= fw + 1e-12 * Math.abs(fw) && res(next) < r0)) break;
      s /= 2;
    }
    if (tries === 60) break; // no descent left at double precision
    w = next; fw = fn;
    if (!Number.isFinite(fw) || w.some((x) => x > 1e150)) throw new Error("alphaFair: no solution (the task gradients are linearly dependent)");
  }
  return w;
}

// ---------------------------------------------------------------- small convex QPs (FORUM)

/**
 * min_x 1/2 x'Hx + f'x subject to E x = e and C x >= d, H positive semi-definite, by
 * enumerating the sets of active inequalities (every row of C up to 12): each set's KKT
 * system is solved, and of the candidates that are feasible with non-negative multipliers
 * the one with the smallest objective is returned (the problem is convex, so any such
 * candidate is a minimiser). Null when none qualifies (infeasible or unbounded).
 */
export function activeSetQP(H: Matrix, f: number[], E: Matrix, e: number[], C: Matrix, d: number[], tol = 1e-10): number[] | null {
  const n = f.length, m = C.length;
  if (H.length !== n || E.some((r) => r.length !== n) || C.some((r) => r.length !== n) || e.length !== E.length || d.length !== m) {
    throw new Error(`activeSetQP: sizes do not match (H ${H.length}, f ${n}, E ${E.length}, C ${m})`);
  }
  if (m > 12) throw new Error(`activeSetQP: at most 12 inequalities, got ${m}`);
  let scale = 1;
  for (const r of H) for (const x of r) scale = Math.max(scale, Math.abs(x));
  let best: number[] | null = null, bestF = Infinity;
  for (let mask = 0; mask < 1 << m; mask++) {
    const W: number[] = [];
    for (let i = 0; i < m; i++) if (mask & (1 << i)) W.push(i);
    const A = [...E, ...W.map((i) => C[i])], b = [...e, ...W.map((i) => d[i])];
    const k = A.length;
    if (k > n) continue;
    // [H -A'; A 0][x; y] = [-f; b]
    const K: Matrix = [];
    for (let i = 0; i < n; i++) K.push([...H[i], ...A.map((r) => -r[i])]);
    for (let j = 0; j < k; j++) K.push([...A[j], ...new Array<number>(k).fill(0)]);
    const sol = solveLinear(K, [...f.map((x) => -x), ...b], 1e-14);
    if (!sol) continue;
    const x = sol.slice(0, n), y = sol.slice(n);
    let ok = true;
    for (let j = E.length; j < k && ok; j++) if (y[j] < -tol * scale) ok = false;
    for (let i = 0; i < m && ok; i++) if (dot(C[i], x) < d[i] - tol * (1 + Math.abs(d[i]))) ok = false;
    if (!ok) continue;
    const F = 0.5 * quad(H, x) + dot(f, x);
    if (F < bestF - tol * (1 + Math.abs(bestF === Infinity ? 0 : bestF))) { best = x; bestF = F; }
  }
  return best;
}

/**
 * FORUM's sub-problem (Ye et al. 2024; as the authors' code in LibMTL): over w in R^(n+1),
 * min w'Mw - c w_n subject to sum_{i<n} w_i = 1, w >= 0 and w_n >= sum_{i<n} pi_i w_i, with
 * M the Gram matrix of the n unit task gradients and the constraint gradient (last).
 */
export function forumWeights(M: Matrix, pi: number[], c: number): number[] {
  checkGram(M, "forumWeights");
  const n = pi.length;
  if (M.length !== n + 1) throw new Error(`forumWeights: M must be ${n + 1} x ${n + 1} for ${n} tasks, got ${M.length}`);
  const H = M.map((r) => r.map((x) => 2 * x));
  const f = new Array<number>(n + 1).fill(0); f[n] = -c;
  const E = [[...new Array<number>(n).fill(1), 0]];
  const C: Matrix = [];
  for (let i = 0; i <= n; i++) C.push(Array.from({ length: n + 1 }, (_, j) => (i === j ? 1 : 0)));
  C.push([...pi.map((p) => -p), 1]);
  let x = activeSetQP(H, f, E, [1], C, new Array<number>(n + 2).fill(0));
  if (!x) { // a singular M with the optimum on a face: a tiny ridge makes it unique
    const r = 1e-12 * Math.max(trace(H), 1e-300);
    x = activeSetQP(H.map((row, i) => row.map((v, j) => (i === j ? v + r : v))), f, E, [1], C, new Array<number>(n + 2).fill(0));
  }
  if (!x) throw new Error("forumWeights: no solution (the constraint gradient is zero?)");
  return x.map((v) => Math.max(v, 0));
}
