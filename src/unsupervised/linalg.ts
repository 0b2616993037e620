// Small dense float64 linear algebra for the unsupervised utilities (PCA, factor
// analysis): a cyclic Jacobi eigen-solver for symmetric matrices, a Gauss-Jordan inverse,
// and a natural log. Only + - * / and sqrt, so results are the same bits in every runtime.
// Matrices are row-major Float64Arrays.
import { Tensor } from "../tensor.js";
import { tensor } from "../ops/creation.js";
import { show } from "../validate.js";

/** A row-major float64 matrix read from a [rows, cols] tensor or plain rows. */
export interface Matrix { a: Float64Array; rows: number; cols: number }

/** The input as a float64 matrix: a rank-2 Tensor, or plain rows of equal length. */
export function asMatrix(x: unknown, who: string, cols?: number): Matrix {
  let m: Matrix;
  if (x instanceof Tensor) {
    if (x.rank !== 2) throw new Error(`${who}: x must be [samples, features], got ${x.describe()}`);
    m = { a: Float64Array.from(x.data()), rows: x.shape[0], cols: x.shape[1] };
  } else if (Array.isArray(x) && x.length > 0 && x.every((r) => Array.isArray(r))) {
    const rows = x as number[][], c = rows[0].length;
    if (!rows.every((r) => r.length === c)) throw new Error(`${who}: the rows of x have different lengths`);
    m = { a: Float64Array.from(rows.flat()), rows: rows.length, cols: c };
  } else {
    throw new Error(`${who}: x must be a [samples, features] tensor or a list of rows, got ${show(x)}`);
  }
  if (m.rows === 0 || m.cols === 0) throw new Error(`${who}: x is empty (${m.rows} x ${m.cols})`);
  if (cols !== undefined && m.cols !== cols) throw new Error(`${who}: x has ${m.cols} features, fitted on ${cols}`);
  for (let i = 0; i < m.a.length; i++) {
    if (!Number.isFinite(m.a[i])) throw new Error(`${who}: x has a non-finite value ${m.a[i]} at row ${Math.floor(i / m.cols)}, column ${i % m.cols}`);
  }
  return m;
}

/** Column means of an [n, p] matrix. */
export function columnMeans(m: Matrix): Float64Array {
  const { a, rows: n, cols: p } = m;
  const mean = new Float64Array(p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) mean[j] += a[i * p + j];
  for (let j = 0; j < p; j++) mean[j] /= n;
  return mean;
}

/** Xc^T Xc / div for the centred data (the upper triangle computed, then mirrored). */
export function scatter(m: Matrix, mean: Float64Array, div: number): Float64Array {
  const { a, rows: n, cols: p } = m;
  const c = new Float64Array(p * p), row = new Float64Array(p);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) row[j] = a[i * p + j] - mean[j];
    for (let j = 0; j < p; j++) {
      const v = row[j];
      if (v === 0) continue;
      for (let k = j; k < p; k++) c[j * p + k] += v * row[k];
    }
  }
  for (let j = 0; j < p; j++) for (let k = j; k < p; k++) { c[j * p + k] /= div; c[k * p + j] = c[j * p + k]; }
  return c;
}

/** Eigen-decomposition of a symmetric matrix: values descending, vectors as rows. */
export interface Eigen { values: Float64Array; vectors: Float64Array }

/**
 * Cyclic Jacobi (Golub & Van Loan, Matrix Computations, 4th ed., 8.5.3) on a symmetric
 * p x p matrix: sweeps of plane rotations until the off-diagonal mass is below 1e-15 of
 * the whole (or 100 sweeps). Deterministic: a fixed pivot order, rotations from sqrt only.
 * O(p^3) per sweep; fine for the few hundred features these utilities are for.
 * Eigenvalues come sorted descending (ties keep index order); each eigenvector is signed
 * so that its entry of largest magnitude (the first such) is positive.
 */
export function symmetricEigen(s: Float64Array, p: number): Eigen {
  const a = Float64Array.from(s), v = new Float64Array(p * p);
  for (let i = 0; i < p; i++) v[i * p + i] = 1;
  let total = 0;
  for (let i = 0; i < p * p; i++) total += a[i] * a[i];
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < p; i++) for (let j = i + 1; j < p; j++) off += 2 * a[i * p + j] * a[i * p + j];
    if (off <= 1e-30 * total || off === 0) break;
    for (let q = 0; q < p - 1; q++) {
      for (let r = q + 1; r < p; r++) {
        const aqr = a[q * p + r];
        if (aqr === 0) continue;
        // the rotation that zeroes a[q][r]: t = tan(theta), the smaller root
        const theta = (a[r * p + r] - a[q * p + q]) / (2 * aqr);
        const t = (theta >= 0 ? 1 : -1) / ((theta >= 0 ? theta : -theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), sn = t * c;
        for (let k = 0; k < p; k++) { // columns q, r
          const akq = a[k * p + q], akr = a[k * p + r];
          a[k * p + q] = c * akq - sn * akr;
          a[k * p + r] = sn * akq + c * akr;
        }
        for (let k = 0; k < p; k++) { // rows q, r
          const aqk = a[q * p + k], ark = a[r * p + k];
          a[q * p + k] = c * aqk - sn * ark;
          a[r * p + k] = sn * aqk + c * ark;
        }
        for (let k = 0; k < p; k++) { // eigenvectors as columns of v
          const vkq = v[k * p + q], vkr = v[k * p + r];
          v[k * p + q] = c * vkq - sn * vkr;
          v[k * p + r] = sn * vkq + c * vkr;
        }
      }
    }
  }
  const order = Array.from({ length: p }, (_, i) => i).sort((i, j) => a[j * p + j] - a[i * p + i] || i - j);
  const values = new Float64Array(p), vectors = new Float64Array(p * p);
  order.forEach((col, r) => {
    values[r] = a[col * p + col];
    for (let k = 0; k < p; k++) vectors[r * p + k] = v[k * p + col];
  });
  signRows(vectors, p, p);
  return { values, vectors };
}

/** Flip each row so that its entry of largest magnitude (the first such) is positive. */
export function signRows(m: Float64Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    let big = 0, at = 0;
    for (let k = 0; k < cols; k++) { const x = m[r * cols + k], ax = x < 0 ? -x : x; if (ax > big) { big = ax; at = k; } }
    if (m[r * cols + at] < 0) for (let k = 0; k < cols; k++) m[r * cols + k] = -m[r * cols + k];
  }
}

/** Inverse of a k x k matrix by Gauss-Jordan with partial pivoting; throws when singular. */
export function inverse(m: Float64Array, k: number, who: string): Float64Array {
  const a = Float64Array.from(m), inv = new Float64Array(k * k);
  for (let i = 0; i < k; i++) inv[i * k + i] = 1;
  for (let c = 0; c < k; c++) {
    let piv = c, best = Math.abs(a[c * k + c]);
    for (let r = c + 1; r < k; r++) if (Math.abs(a[r * k + c]) > best) { best = Math.abs(a[r * k + c]); piv = r; }
    if (best === 0) throw new Error(`${who}: the matrix to invert is singular`);
    if (piv !== c) for (let j = 0; j < k; j++) {
      let t = a[c * k + j]; a[c * k + j] = a[piv * k + j]; a[piv * k + j] = t;
      t = inv[c * k + j]; inv[c * k + j] = inv[piv * k + j]; inv[piv * k + j] = t;
    }
    const d = a[c * k + c];
    for (let j = 0; j < k; j++) { a[c * k + j] /= d; inv[c * k + j] /= d; }
    for (let r = 0; r < k; r++) {
      if (r === c) continue;
      const f = a[r * k + c];
      if (f === 0) continue;
      for (let j = 0; j < k; j++) { a[r * k + j] -= f * a[c * k + j]; inv[r * k + j] -= f * inv[c * k + j]; }
    }
  }
  return inv;
}

const LN2 = 0.6931471805599453;
/**
 * Natural log of x > 0 from + - * / only: x = m * 2^e with m in [sqrt(1/2), sqrt(2)), then
 * log m = 2 atanh(z), z = (m - 1)/(m + 1), |z| < 0.172, by its series to double precision.
 */
export function log64(x: number): number {
  if (!(x > 0) || x === Infinity) return x === 0 ? -Infinity : x === Infinity ? Infinity : NaN;
  let e = 0, m = x;
  while (m >= 1.4142135623730951) { m /= 2; e++; }
  while (m < 0.7071067811865476) { m *= 2; e--; }
  const z = (m - 1) / (m + 1), z2 = z * z;
  let term = z, s = 0;
  for (let k = 1; k < 60; k += 2) {
    const add = term / k;
    s += add;
    if (add < 1e-18 && add > -1e-18) break;
    term *= z2;
  }
  return e * LN2 + 2 * s;
}

/** Rows of a float64 matrix as a float32 tensor. */
export function toTensor(a: Float64Array, rows: number, cols: number): Tensor {
  return tensor(Float32Array.from(a), [rows, cols]);
}
