// TabularSpec: column specs (numeric: standardise / min-max / log; categorical: one-hot or
// embedding indices with an unknown bucket and a minimum frequency; missing values per
// column) fitted on training data into a JSON-serialisable spec, so training and
// prediction apply one transform. Output is a DatasetSpec: new MultiTaskDataset(spec.transform(t)).
// Host math is + - * / and sqrt in float64 (log/exp from fmath), the same bits everywhere.
import { exp as fexp, log as flog } from "../mtl/weighting/fmath.js";
import { columnsOf, type Columns, type TabularInput } from "./columns.js";

/** How a numeric feature is scaled. */
export type Scale = "standardize" | "minmax" | "none";
/** Natural log ("log", values > 0) or log(1 + x) ("log1p", values > -1), before scaling. */
export type LogTransform = "log" | "log1p";

/** A numeric feature: scaling, log transform, missing values. */
export interface NumericColumn {
  type: "numeric";
  /** Default "standardize" (zero mean, unit variance on the fitted data). */
  scale?: Scale;
  log?: LogTransform;
  /** Extra values meaning "missing" (a sentinel like -999 or "?"); "", "NA", "NaN", null and NaN always do. */
  missing?: (string | number)[];
  /** What a missing value becomes: "mean" of the fitted column (default) or a number in the column's raw units. */
  fill?: "mean" | number;
  /** Add a 0/1 column "<name>:missing" (default false). */
  indicator?: boolean;
}

/** A categorical feature: one-hot or index encoding, unknown bucket, minimum frequency. */
export interface CategoricalColumn {
  type: "categorical";
  /** "onehot" (default): one 0/1 column per category plus the unknown one; "index": one column of indices for an embedding (0 = unknown). */
  encode?: "onehot" | "index";
  /** Categories seen fewer times than this on the fitted data go to the unknown bucket (default 1). */
  minFrequency?: number;
  /** Extra values meaning "missing" (they go to the unknown bucket with unseen categories); "", "NA", null do always. */
  missing?: (string | number)[];
}

/** A feature's spec: "numeric", "categorical" or their options. */
export type ColumnSpec = "numeric" | "categorical" | NumericColumn | CategoricalColumn;

/** A label column: the task kind and its transform. */
export interface LabelSpec {
  kind: "regression" | "binary" | "classification";
  /** The source column (default: the task's name). */
  column?: string;
  /** binary: the value that means 1 (needed unless the values are 0/1 or true/false). */
  positive?: string | number | boolean;
  /** regression: log before scaling (decode undoes it). */
  log?: LogTransform;
  /** regression: default "none" (the loss and metrics stay in the column's units, after log). */
  scale?: Scale;
  /** Extra values meaning "missing" (masked out of the task's loss). */
  missing?: (string | number)[];
  /** This task's per-example weight column, or null for none (default: TabularOptions.weight). */
  weight?: string | null;
}

/** What TabularSpec.fit takes: the features and labels. */
export interface TabularOptions {
  features: Record<string, ColumnSpec>;
  labels?: Record<string, LabelSpec>;
  /**
   * A column of per-example weights for every label (a survey's instance weights; finite,
   * >= 0): each task's loss becomes the weighted mean sum(w l) / sum(w) over its labelled rows.
   */
  weight?: string;
}

/** A fitted numeric feature: its transform and statistics. */
export interface FittedNumeric { name: string; type: "numeric"; log: LogTransform | null; center: number; div: number; fill: number; indicator: boolean; missing: (string | number)[] }
/** A fitted categorical feature: its encoding and categories. */
export interface FittedCategorical { name: string; type: "categorical"; encode: "onehot" | "index"; categories: string[]; missing: (string | number)[] }
/** A fitted feature column. */
export type FittedFeature = FittedNumeric | FittedCategorical;
/** A fitted label column: its task, kind and transform. */
export interface FittedLabel { task: string; kind: LabelSpec["kind"]; column: string; missing: (string | number)[];
  log?: LogTransform | null; center?: number; div?: number; positive?: string; negative?: string; classes?: string[];
  /** The per-example weight column, if any. */
  weight?: string }

/** The serialised form: TabularSpec.toJSON() / TabularSpec.fromJSON(). */
export interface TabularSpecJSON { format: "polyhead-tabular"; version: 1; features: FittedFeature[]; labels: FittedLabel[] }

/** TabularSpec.transform's result: a MultiTaskDataset spec. */
export interface Transformed {
  x: Float32Array;
  xShape: [number];
  /** A task's label values, with its per-example weights when the spec has a weight column. */
  labels?: Record<string, Float32Array | Int32Array | { values: Float32Array | Int32Array; weight: Float32Array }>;
}

const ALWAYS_MISSING = ["", "NA", "NaN"];
const FEATURE_KEYS = { numeric: ["type", "scale", "log", "missing", "fill", "indicator"], categorical: ["type", "encode", "minFrequency", "missing"] };
const LABEL_KEYS = ["kind", "column", "positive", "log", "scale", "missing", "weight"];

function isMissing(v: unknown, extra: readonly (string | number)[]): boolean {
  if (v === null || v === undefined) return true;
  if (typeof v === "number") return Number.isNaN(v) || extra.includes(v);
  if (typeof v === "string") { const s = v.trim(); return ALWAYS_MISSING.includes(s) || extra.includes(s) || (s !== "" && extra.includes(Number(s))); }
  return false;
}

function toNumber(v: unknown, who: string, row: number): number {
  const n = typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : typeof v === "boolean" ? (v ? 1 : 0) : typeof v === "string" ? Number(v.trim()) : NaN;
  if (!Number.isFinite(n)) throw new Error(`${who}, row ${row}: ${JSON.stringify(typeof v === "bigint" ? String(v) : v)} is not a number (list it in the column's missing values if it marks one)`);
  return n;
}

const key = (v: unknown) => (typeof v === "string" ? v.trim() : String(v));

function applyLog(v: number, log: LogTransform | null | undefined, who: string, row: number): number {
  if (!log) return v;
  if (log === "log" ? !(v > 0) : !(v > -1)) throw new Error(`${who}, row ${row}: ${v} is outside the domain of ${log} (${log === "log" ? "> 0" : "> -1"})`);
  return log === "log" ? flog(v) : flog(1 + v);
}

/** Mean/std or min/max of values, as (center, div): y = (x - center) / div. */
function fitScale(vals: number[], scale: Scale): { center: number; div: number } {
  if (scale === "none" || vals.length === 0) return { center: 0, div: 1 };
  if (scale === "minmax") {
    let lo = Infinity, hi = -Infinity;
    for (const v of vals) { if (v < lo) lo = v; if (v > hi) hi = v; }
    return { center: lo, div: hi > lo ? hi - lo : 1 };
  }
  let s = 0;
  for (const v of vals) s += v;
  const mean = s / vals.length;
  let ss = 0;
  for (const v of vals) ss += (v - mean) * (v - mean);
  const sd = Math.sqrt(ss / vals.length);
  return { center: mean, div: sd > 0 ? sd : 1 };
}

function checkKeys(obj: object, known: readonly string[], who: string): void {
  for (const k of Object.keys(obj)) if (!known.includes(k)) throw new Error(`${who}: unknown option "${k}" (known: ${known.join(", ")})`);
}

function checkMissing(m: unknown, who: string): (string | number)[] {
  if (m === undefined) return [];
  if (!Array.isArray(m) || !m.every((v) => typeof v === "string" || typeof v === "number")) throw new Error(`${who}: missing must be a list of strings or numbers`);
  return m;
}

function checkChoice<T extends string>(v: unknown, choices: readonly T[], dflt: T | null, who: string, name: string): T | null {
  if (v === undefined) return dflt;
  if (!choices.includes(v as T)) throw new Error(`${who}: ${name} must be ${choices.map((c) => JSON.stringify(c)).join(" or ")}, got ${JSON.stringify(v)}`);
  return v as T;
}

/**
 * Fitted preprocessing for tabular data: which columns become which features, and which
 * become each task's labels. Fit on the training rows, then transform any rows (training,
 * validation, new ones at prediction time) the same way; `toJSON()` stores it beside the
 * model's state.
 * @example
 * const spec = TabularSpec.fit(table, {
 *   features: { age: "numeric", income: { type: "numeric", log: "log1p" }, job: { type: "categorical", minFrequency: 5 } },
 *   labels: { wage: { kind: "regression", log: "log" }, union: { kind: "binary", positive: "yes" } },
 * });
 * const data = new MultiTaskDataset(spec.transform(table));
 */
export class TabularSpec {
  private constructor(readonly features: readonly FittedFeature[], readonly labels: readonly FittedLabel[]) {}

  /** Fit column specs on data (a CSV table, an Arrow table, row objects or column arrays). */
  static fit(data: TabularInput, opts: TabularOptions): TabularSpec {
    if (!opts || typeof opts !== "object") throw new Error("TabularSpec.fit: options { features, labels? } are required");
    checkKeys(opts, ["features", "labels", "weight"], "TabularSpec.fit");
    if (opts.weight !== undefined && (typeof opts.weight !== "string" || !opts.weight)) {
      throw new Error(`TabularSpec.fit: weight must name a column, got ${JSON.stringify(opts.weight)}`);
    }
    if (!opts.features || typeof opts.features !== "object" || Object.keys(opts.features).length === 0) {
      throw new Error("TabularSpec.fit: features must name at least one column");
    }
    const cols = columnsOf(data, "TabularSpec.fit");
    if (cols.rows === 0) throw new Error("TabularSpec.fit: no rows to fit on");
    const features = Object.entries(opts.features).map(([name, spec]) => fitFeature(cols, name, spec));
    const labels = Object.entries(opts.labels ?? {}).map(([task, spec]) => fitLabel(cols, task, spec, opts.weight));
    if (opts.weight !== undefined && labels.length === 0) throw new Error(`TabularSpec.fit: weight "${opts.weight}" given, but no labels to weigh`);
    return new TabularSpec(features, labels);
  }

  /** Rebuild a spec from toJSON()'s output (e.g. read back from a checkpoint). */
  static fromJSON(json: unknown): TabularSpec {
    const j = json as TabularSpecJSON;
    if (!j || j.format !== "polyhead-tabular" || j.version !== 1 || !Array.isArray(j.features) || !Array.isArray(j.labels)) {
      throw new Error(`TabularSpec.fromJSON: not a polyhead tabular spec (format ${JSON.stringify(j?.format)}, version ${j?.version})`);
    }
    for (const f of j.features) {
      const ok = f && typeof f.name === "string" && (f.type === "numeric"
        ? Number.isFinite(f.center) && Number.isFinite(f.div) && f.div !== 0 && Number.isFinite(f.fill)
        : f.type === "categorical" && Array.isArray(f.categories) && (f.encode === "onehot" || f.encode === "index"));
      if (!ok) throw new Error(`TabularSpec.fromJSON: feature ${JSON.stringify((f as FittedFeature)?.name)} is malformed`);
    }
    for (const l of j.labels) if (!l || typeof l.task !== "string" || !["regression", "binary", "classification"].includes(l.kind) ||
      (l.weight !== undefined && typeof l.weight !== "string")) {
      throw new Error(`TabularSpec.fromJSON: label ${JSON.stringify((l as FittedLabel)?.task)} is malformed`);
    }
    return new TabularSpec(j.features.map((f) => ({ ...f })), j.labels.map((l) => ({ ...l })));
  }

  /** The fitted spec as JSON (save it with the model; TabularSpec.fromJSON reads it). */
  toJSON(): TabularSpecJSON {
    return JSON.parse(JSON.stringify({ format: "polyhead-tabular", version: 1, features: this.features, labels: this.labels }));
  }

  /** Width of a transformed row. */
  get width(): number { return this.featureNames().length; }

  /** A name per output column: "age", "age:missing", "job=clerk", "job=<unknown>", "job:index". */
  featureNames(): string[] {
    return this.features.flatMap((f) => f.type === "numeric"
      ? [f.name, ...(f.indicator ? [`${f.name}:missing`] : [])]
      : f.encode === "index" ? [`${f.name}:index`] : [...f.categories.map((c) => `${f.name}=${c}`), `${f.name}=<unknown>`]);
  }

  /** For embedding-encoded columns: where each sits in a row and how many indices it takes (for Embedding's size). */
  embeddings(): { column: string; offset: number; size: number }[] {
    const out: { column: string; offset: number; size: number }[] = [];
    let off = 0;
    for (const f of this.features) {
      if (f.type === "categorical" && f.encode === "index") out.push({ column: f.name, offset: off, size: f.categories.length + 1 });
      off += f.type === "numeric" ? (f.indicator ? 2 : 1) : f.encode === "index" ? 1 : f.categories.length + 1;
    }
    return out;
  }

  /**
   * Transform rows into a DatasetSpec ({ x, xShape, labels }). Labels are read when the
   * spec has them and `labels` is not false (prediction on rows without label columns).
   */
  transform(data: TabularInput, opts: { labels?: boolean } = {}): Transformed {
    checkKeys(opts, ["labels"], "TabularSpec.transform");
    const cols = columnsOf(data, "TabularSpec.transform");
    const n = cols.rows, w = this.width;
    const x = new Float32Array(n * w);
    let off = 0;
    for (const f of this.features) off += f.type === "numeric" ? writeNumeric(f, cols, x, off, w) : writeCategorical(f, cols, x, off, w);
    const out: Transformed = { x, xShape: [w] };
    if (this.labels.length && opts.labels !== false) {
      out.labels = {};
      for (const l of this.labels) {
        const values = labelValues(l, cols);
        out.labels[l.task] = l.weight === undefined ? values : { values, weight: weightValues(l, cols) };
      }
    }
    return out;
  }

  /**
   * Model outputs of a task back to the column's terms: regression values in the original
   * units (scaling and log undone), binary logits to the positive/negative value (logit > 0),
   * class logits (rows of the class count) to class names.
   */
  decode(task: string, outputs: ArrayLike<number>): (string | number)[] {
    const l = this.labels.find((v) => v.task === task);
    if (!l) throw new Error(`TabularSpec.decode: no label "${task}" (labels: ${this.labels.map((v) => v.task).join(", ")})`);
    if (l.kind === "regression") {
      return Array.from(outputs, (v) => {
        const y = v * l.div! + l.center!;
        return l.log === "log" ? fexp(y) : l.log === "log1p" ? fexp(y) - 1 : y;
      });
    }
    if (l.kind === "binary") return Array.from(outputs, (v) => (v > 0 ? l.positive! : l.negative!));
    const k = l.classes!.length;
    if (outputs.length % k !== 0) throw new Error(`TabularSpec.decode: "${task}" has ${k} classes; ${outputs.length} outputs are not whole rows of ${k}`);
    const out: string[] = [];
    for (let i = 0; i < outputs.length; i += k) {
      let best = 0;
      for (let j = 1; j < k; j++) if (outputs[i + j] > outputs[i + best]) best = j;
      out.push(l.classes![best]);
    }
    return out;
  }

  /** The class names of a classification label, in index order. */
  classes(task: string): string[] {
    const l = this.labels.find((v) => v.task === task && v.kind === "classification");
    if (!l) throw new Error(`TabularSpec.classes: no classification label "${task}"`);
    return [...l.classes!];
  }
}

function fitFeature(cols: Columns, name: string, spec: ColumnSpec): FittedFeature {
  const who = `TabularSpec: column "${name}"`;
  const s = typeof spec === "string" ? { type: spec } as NumericColumn | CategoricalColumn : spec;
  if (!s || (s.type !== "numeric" && s.type !== "categorical")) throw new Error(`${who}: type must be "numeric" or "categorical", got ${JSON.stringify((s as { type?: unknown })?.type ?? s)}`);
  checkKeys(s, FEATURE_KEYS[s.type], who);
  const missing = checkMissing(s.missing, who);
  const values = cols.column(name);
  if (s.type === "numeric") {
    const scale = checkChoice(s.scale, ["standardize", "minmax", "none"] as const, "standardize", who, "scale")!;
    const log = checkChoice(s.log, ["log", "log1p"] as const, null, who, "log");
    if (s.fill !== undefined && s.fill !== "mean" && !Number.isFinite(s.fill)) throw new Error(`${who}: fill must be "mean" or a finite number, got ${JSON.stringify(s.fill)}`);
    if (s.indicator !== undefined && typeof s.indicator !== "boolean") throw new Error(`${who}: indicator must be true or false`);
    const vals: number[] = [];
    for (let i = 0; i < values.length; i++) {
      if (!isMissing(values[i], missing)) vals.push(applyLog(toNumber(values[i], who, i), log, who, i));
    }
    if (vals.length === 0) throw new Error(`${who}: every value is missing; nothing to fit`);
    const { center, div } = fitScale(vals, scale);
    let fill: number;
    if (typeof s.fill === "number") fill = applyLog(s.fill, log, `${who} (fill)`, -1);
    else { let t = 0; for (const v of vals) t += v; fill = t / vals.length; }
    return { name, type: "numeric", log, center, div, fill, indicator: s.indicator ?? false, missing };
  }
  const encode = checkChoice(s.encode, ["onehot", "index"] as const, "onehot", who, "encode")!;
  const minFrequency = s.minFrequency ?? 1;
  if (!Number.isInteger(minFrequency) || minFrequency < 1) throw new Error(`${who}: minFrequency must be a whole number >= 1, got ${s.minFrequency}`);
  const counts = new Map<string, number>();
  for (let i = 0; i < values.length; i++) {
    if (isMissing(values[i], missing)) continue;
    const k = key(values[i]);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  // most frequent first, ties by name: the same order whatever the row order
  const categories = [...counts].filter(([, c]) => c >= minFrequency)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([k]) => k);
  return { name, type: "categorical", encode, categories, missing };
}

function fitLabel(cols: Columns, task: string, spec: LabelSpec, weight0: string | undefined): FittedLabel {
  const fitted = fitLabelKind(cols, task, spec);
  if (spec.weight !== undefined && spec.weight !== null && (typeof spec.weight !== "string" || !spec.weight)) {
    throw new Error(`TabularSpec: label "${task}": weight must name a column or be null, got ${JSON.stringify(spec.weight)}`);
  }
  const weight = spec.weight === undefined ? weight0 : spec.weight ?? undefined;
  if (weight === undefined) return fitted;
  weightValues({ ...fitted, weight }, cols); // a bad weight is named at fit time, not first at transform
  return { ...fitted, weight };
}

function fitLabelKind(cols: Columns, task: string, spec: LabelSpec): FittedLabel {
  const who = `TabularSpec: label "${task}"`;
  if (!spec || typeof spec !== "object") throw new Error(`${who}: expected { kind, column?, ... }`);
  checkKeys(spec, LABEL_KEYS, who);
  const kind = checkChoice(spec.kind, ["regression", "binary", "classification"] as const, null, who, "kind");
  if (!kind) throw new Error(`${who}: kind is required ("regression", "binary" or "classification")`);
  const column = spec.column ?? task;
  const missing = checkMissing(spec.missing, who);
  const values = cols.column(column);
  const present: unknown[] = [];
  const rows: number[] = [];
  for (let i = 0; i < values.length; i++) if (!isMissing(values[i], missing)) { present.push(values[i]); rows.push(i); }
  if (present.length === 0) throw new Error(`${who}: column "${column}" has no labelled rows`);
  if (kind === "regression") {
    if (spec.positive !== undefined) throw new Error(`${who}: positive applies to binary labels only`);
    const log = checkChoice(spec.log, ["log", "log1p"] as const, null, who, "log");
    const scale = checkChoice(spec.scale, ["standardize", "minmax", "none"] as const, "none", who, "scale")!;
    const vals = present.map((v, i) => applyLog(toNumber(v, who, rows[i]), log, who, rows[i]));
    return { task, kind, column, missing, log, ...fitScale(vals, scale) };
  }
  if (spec.log !== undefined || spec.scale !== undefined) throw new Error(`${who}: log and scale apply to regression labels only`);
  const distinct = [...new Set(present.map(key))].sort();
  if (kind === "binary") {
    let positive = spec.positive === undefined ? undefined : key(spec.positive);
    if (positive === undefined) {
      if (distinct.every((d) => d === "0" || d === "1")) positive = "1";
      else if (distinct.every((d) => d === "true" || d === "false")) positive = "true";
      else throw new Error(`${who}: say which value is positive (values: ${distinct.join(", ")})`);
    }
    if (distinct.length > 2) throw new Error(`${who}: a binary label has at most two values, "${column}" has ${distinct.length} (${distinct.slice(0, 8).join(", ")})`);
    if (!distinct.includes(positive)) throw new Error(`${who}: positive value ${JSON.stringify(positive)} does not occur (values: ${distinct.join(", ")})`);
    const negative = distinct.find((d) => d !== positive) ?? (positive === "1" ? "0" : positive === "true" ? "false" : `not ${positive}`);
    return { task, kind, column, missing, positive, negative };
  }
  if (spec.positive !== undefined) throw new Error(`${who}: positive applies to binary labels only`);
  return { task, kind, column, missing, classes: distinct };
}

function writeNumeric(f: FittedNumeric, cols: Columns, x: Float32Array, off: number, w: number): number {
  const who = `TabularSpec: column "${f.name}"`;
  const values = cols.column(f.name);
  for (let i = 0; i < values.length; i++) {
    const miss = isMissing(values[i], f.missing);
    const v = miss ? f.fill : applyLog(toNumber(values[i], who, i), f.log, who, i);
    x[i * w + off] = (v - f.center) / f.div;
    if (f.indicator) x[i * w + off + 1] = miss ? 1 : 0;
  }
  return f.indicator ? 2 : 1;
}

function writeCategorical(f: FittedCategorical, cols: Columns, x: Float32Array, off: number, w: number): number {
  const values = cols.column(f.name);
  const index = new Map(f.categories.map((c, i) => [c, i]));
  const k = f.categories.length;
  for (let i = 0; i < values.length; i++) {
    const c = isMissing(values[i], f.missing) ? undefined : index.get(key(values[i]));
    if (f.encode === "index") x[i * w + off] = c === undefined ? 0 : c + 1;
    else x[i * w + off + (c === undefined ? k : c)] = 1;
  }
  return f.encode === "index" ? 1 : k + 1;
}

function labelValues(l: FittedLabel, cols: Columns): Float32Array | Int32Array {
  const who = `TabularSpec: label "${l.task}"`;
  const values = cols.column(l.column);
  if (l.kind === "classification") {
    const index = new Map(l.classes!.map((c, i) => [c, i]));
    return Int32Array.from({ length: values.length }, (_, i) => {
      if (isMissing(values[i], l.missing)) return -1;
      const c = index.get(key(values[i]));
      if (c === undefined) throw new Error(`${who}, row ${i}: class ${JSON.stringify(key(values[i]))} was not seen when the spec was fitted (classes: ${l.classes!.join(", ")})`);
      return c;
    });
  }
  if (l.kind === "binary") {
    return Float32Array.from({ length: values.length }, (_, i) => {
      if (isMissing(values[i], l.missing)) return NaN;
      const k = key(values[i]);
      if (k !== l.positive && k !== l.negative) throw new Error(`${who}, row ${i}: ${JSON.stringify(k)} is neither ${JSON.stringify(l.positive)} nor ${JSON.stringify(l.negative)}`);
      return k === l.positive ? 1 : 0;
    });
  }
  return Float32Array.from({ length: values.length }, (_, i) =>
    isMissing(values[i], l.missing) ? NaN : (applyLog(toNumber(values[i], who, i), l.log, who, i) - l.center!) / l.div!);
}

/** A label's per-example weights: a finite number >= 0 on every row (no missing ones: a weight of 0 drops a row). */
function weightValues(l: FittedLabel, cols: Columns): Float32Array {
  const who = `TabularSpec: label "${l.task}": weight column "${l.weight}"`;
  const values = cols.column(l.weight!);
  return Float32Array.from({ length: values.length }, (_, i) => {
    const v = values[i];
    const w = typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : typeof v === "string" && v.trim() !== "" ? Number(v.trim()) : NaN;
    if (!(w >= 0 && w < Infinity)) throw new Error(`${who}, row ${i}: ${JSON.stringify(typeof v === "bigint" ? String(v) : v)} is not a weight (a finite number >= 0)`);
    return w;
  });
}
