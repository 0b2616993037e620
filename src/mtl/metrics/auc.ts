// ROC AUC (binary, or one-vs-rest macro over columns): the rank statistic with ties
// counted half, over scores gathered batch by batch.
import { type MetricInput, type MetricOptions, type MetricAccumulator, prepare, on, classesOf, classTarget, binaryTarget } from "./base.js";

// ---------------------------------------------------------------- ROC AUC

/** Exact ROC AUC by the Mann–Whitney U statistic; tied scores share their average rank. NaN without both classes. */
export function aucOf(s: number[], y: Uint8Array | number[]): number {
  const n = s.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => (s[a] < s[b] ? -1 : s[a] > s[b] ? 1 : 0));
  let pos = 0, rankSum = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && s[idx[j + 1]] === s[idx[i]]) j++;
    const r = (i + j) / 2 + 1; // 1-based ranks i+1..j+1, averaged
    for (let k = i; k <= j; k++) if (y[idx[k]]) { pos++; rankSum += r; }
    i = j + 1;
  }
  const neg = n - pos;
  return pos === 0 || neg === 0 ? NaN : (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

export class AucAccumulator implements MetricAccumulator {
  count = 0;
  private scores: number[][] = [];
  private labels: number[][] = [];
  constructor(private readonly width?: number, private readonly who = "rocAuc") {}

  update(pred: MetricInput, target: MetricInput, mask?: MetricInput | null): void {
    const d = prepare(this.who, pred, target, mask, this.width);
    const c = classesOf(this.who, d);
    const n = c > 1 ? c : d.width;
    if (this.scores.length === 0) for (let k = 0; k < n; k++) { this.scores.push([]); this.labels.push([]); }
    else if (this.scores.length !== n) throw new Error(`${this.who}: this batch has ${n} ${c > 1 ? "classes" : "labels"}, earlier ones had ${this.scores.length}`);
    const { p, t } = d;
    for (let i = 0; i < t.length; i++) {
      if (!on(d, i)) continue;
      if (c > 1) {
        if (t[i] < 0) continue;
        const y = classTarget(this.who, t[i], c, i);
        for (let k = 0; k < c; k++) { this.scores[k].push(checkScore(this.who, p[i * c + k], i)); this.labels[k].push(k === y ? 1 : 0); }
      } else {
        const j = i % d.width;
        this.scores[j].push(checkScore(this.who, p[i], i)); this.labels[j].push(binaryTarget(this.who, t[i], i) ? 1 : 0);
      }
      this.count++;
    }
  }

  compute(): number {
    let sum = 0, used = 0;
    for (let k = 0; k < this.scores.length; k++) {
      const a = aucOf(this.scores[k], this.labels[k]);
      if (a === a) { sum += a; used++; }
    }
    return used === 0 ? NaN : sum / used;
  }

  reset(): void { this.count = 0; this.scores = []; this.labels = []; }
}

export function checkScore(who: string, v: number, i: number): number {
  if (v !== v) throw new Error(`${who}: score at ${i} is NaN`);
  return v;
}

/**
 * ROC AUC, exact (Mann–Whitney with average ranks for ties). Binary: one score per 0/1
 * target. Multi-label (`width` > 1): the mean over labels that have both classes.
 * Multiclass ([n, c] scores, class indices): one-vs-rest macro over the scores as given
 * (pass probabilities to match scikit-learn). NaN when no label has both classes.
 */
export function rocAuc(pred: MetricInput, target: MetricInput, opts: MetricOptions = {}): number {
  const a = new AucAccumulator(opts.width);
  a.update(pred, target, opts.mask);
  return a.compute();
}
