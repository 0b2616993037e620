// The edge example's synthetic task: 8 features; "kind" (3 classes from x0), "score"
// (x1 - x2 / 2) and "flag" (x3 + x0 > 0). Plain arithmetic, for any runtime.
export function syntheticRows(x) {
  const n = x.length / 8;
  const kind = new Int32Array(n), score = new Float32Array(n), flag = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = x.subarray(i * 8, i * 8 + 8);
    kind[i] = r[0] > 0.5 ? 2 : r[0] > -0.5 ? 1 : 0;
    score[i] = r[1] - 0.5 * r[2];
    flag[i] = r[3] + r[0] > 0 ? 1 : 0;
  }
  return { x, kind, score, flag };
}
