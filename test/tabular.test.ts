// polyhead/tabular: the CSV/TSV parser (RFC 4180 cases, any chunking of a stream gives
// the same table, UTF-8 split across chunks), column inputs (row objects, column arrays,
// Arrow-shaped tables), fitted column specs checked against statistics computed here,
// serialisation, and the census survey from CSV to a two-task model to predictions.
import { describe, it, expect, beforeAll } from "vitest";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseCsv, readCsv, TabularSpec, type Table } from "../src/tabular/index.js";
import { init, tensor, scope, Rng, MultiTaskDataset, task, SharedBottom, Trainer, Adam, readCsvFile, writeCheckpoint, readCheckpoint } from "../src/node.js";

beforeAll(async () => { await init(); });

const CENSUS = fileURLToPath(new URL("../examples/data/cps1985.csv", import.meta.url));

/** A CSV writer for the round-trip test (quotes what needs quoting). */
const toCsv = (names: string[], rows: string[][], d = ",") =>
  [names, ...rows].map((r) => r.map((v) => (/["\r\n]/.test(v) || v.includes(d) ? `"${v.replace(/"/g, '""')}"` : v)).join(d)).join("\r\n");

/** Chunks of a string as a WHATWG stream of UTF-8 bytes cut at the given byte offsets. */
function byteStream(text: string, cuts: number[]): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  const edges = [0, ...cuts.filter((c) => c > 0 && c < bytes.length), bytes.length];
  return new ReadableStream({ start(c) { for (let i = 1; i < edges.length; i++) c.enqueue(bytes.slice(edges[i - 1], edges[i])); c.close(); } });
}

describe("CSV parser", () => {
  it("RFC 4180: quoted fields with delimiters, line breaks and doubled quotes; CRLF, LF and CR; BOM; blank lines", () => {
    const t = parseCsv('\uFEFFname,note,n\r\n"Smith, J","said ""hi""\nthen left",1\n\nplain,,2\r"",x,3');
    expect(t.names).toEqual(["name", "note", "n"]);
    expect(t.rows).toBe(3);
    expect(t.columns.name).toEqual(["Smith, J", "plain", ""]);
    expect(t.columns.note).toEqual(['said "hi"\nthen left', "", "x"]);
    expect(t.columns.n).toEqual(["1", "2", "3"]);
  });

  it("TSV, and columns given for data without a header", () => {
    expect(parseCsv("a\tb\n1\t2\n", { delimiter: "\t" }).columns).toEqual({ a: ["1"], b: ["2"] });
    expect(parseCsv("1;2\n3;4", { delimiter: ";", columns: ["p", "q"] }).columns).toEqual({ p: ["1", "3"], q: ["2", "4"] });
  });

  it("errors name the line and what is wrong", () => {
    expect(() => parseCsv("a,b\n1,2\n3\n")).toThrow(/CSV line 3: 1 fields, expected 2 \(a, b\)/);
    expect(() => parseCsv('a,b\n1,"2\n3,4\n')).toThrow(/CSV line 2: a quoted field is never closed/);
    expect(() => parseCsv('a,b\n"1"x,2\n')).toThrow(/CSV line 2: unexpected "x" after a closing quote/);
    expect(() => parseCsv("a,a\n1,2\n")).toThrow(/column "a" appears twice/);
    expect(() => parseCsv("")).toThrow(/no header row/);
    expect(() => parseCsv("a\n", { delimter: ";" } as never)).toThrow(/unknown option "delimter"/);
    expect(() => parseCsv("a\n", { delimiter: "ab" })).toThrow(/delimiter must be one character/);
  });

  it("random tables round-trip through a writer, and every chunking of the stream gives the same table", async () => {
    const rng = new Rng(11);
    const alphabet = ['a', 'b', ',', '"', '\n', '\r\n', ' ', 'é', '€', '1', '\t'];
    const cell = () => Array.from({ length: rng.int(5) }, () => alphabet[rng.int(alphabet.length)]).join("");
    for (let trial = 0; trial < 20; trial++) {
      const names = ["c0", "c1", "c2"];
      const rows = Array.from({ length: 1 + rng.int(6) }, () => names.map(cell));
      // a row of one empty field would read as a blank line: make the first cell non-empty
      for (const r of rows) if (r.every((v): boolean => v === "")) r[0] = "x";
      const d = trial % 2 ? "\t" : ",";
      const text = toCsv(names, rows, d);
      const want: Table = { names, rows: rows.length, columns: Object.fromEntries(names.map((n, j) => [n, rows.map((r) => r[j])])) };
      expect(parseCsv(text, { delimiter: d })).toEqual(want);
      const n = new TextEncoder().encode(text).length;
      for (let cut = 1; cut < n; cut += 3) expect(await readCsv(byteStream(text, [cut, cut + 1, cut + 5]), { delimiter: d })).toEqual(want);
    }
  });

  it("reads a Blob, an async iterable of strings, and a file through polyhead/node's readCsvFile", async () => {
    const text = "x,y\n1,é\n2,€\n";
    const want = { names: ["x", "y"], rows: 2, columns: { x: ["1", "2"], y: ["é", "€"] } };
    expect(await readCsv(new Blob([text]))).toEqual(want);
    expect(await readCsv((async function* () { yield "x,y\n1,"; yield "é\n2,€\n"; })())).toEqual(want);
    const dir = mkdtempSync(join(tmpdir(), "polyhead-csv-"));
    writeFileSync(join(dir, "a.csv"), text);
    expect(await readCsvFile(join(dir, "a.csv"))).toEqual(want);
    rmSync(dir, { recursive: true, force: true });
    await expect(readCsv(42 as never)).rejects.toThrow(/expected a string, Blob, ReadableStream or async iterable/);
  });
});

describe("TabularSpec", () => {
  const rows = [
    { age: 30, income: "1000", job: "clerk", city: "A", y: 1.5, k: "yes", c: "red" },
    { age: 40, income: "NA", job: "clerk", city: "B", y: 2.5, k: "no", c: "blue" },
    { age: 50, income: "3000", job: "chef", city: "A", y: 3.5, k: "yes", c: "red" },
    { age: -999, income: "500", job: "pilot", city: "", y: null, k: "no", c: "green" },
  ];
  const opts = {
    features: {
      age: { type: "numeric" as const, missing: [-999], indicator: true },
      income: { type: "numeric" as const, log: "log" as const, scale: "minmax" as const },
      job: { type: "categorical" as const, minFrequency: 2 },
      city: { type: "categorical" as const, encode: "index" as const },
    },
    labels: { y: { kind: "regression" as const, log: "log" as const, scale: "standardize" as const }, k: { kind: "binary" as const, positive: "yes" }, c: { kind: "classification" as const } },
  };

  it("numeric columns: standardise / min-max / log with missing values filled by the fitted mean, plus an indicator", () => {
    const spec = TabularSpec.fit(rows, opts);
    expect(spec.featureNames()).toEqual(["age", "age:missing", "income", "job=clerk", "job=<unknown>", "city:index"]);
    const { x, xShape } = spec.transform(rows);
    expect(xShape).toEqual([6]);
    const col = (j: number) => Array.from({ length: 4 }, (_, i) => x[i * 6 + j]);
    // age: mean 40, population sd sqrt(200/3) over the three present values; the sentinel row gets the mean -> 0
    const sd = Math.sqrt(200 / 3);
    expect(col(0)).toEqual([-10 / sd, 0, 10 / sd, 0].map(Math.fround));
    expect(col(1)).toEqual([0, 0, 0, 1]);
    // income: log, then min-max over log(500)..log(3000); "NA" -> mean of the logs
    const l = [1000, 3000, 500].map(Math.log), lo = Math.log(500), hi = Math.log(3000);
    const fill = (l[0] + l[1] + l[2]) / 3;
    const want = [l[0], fill, l[1], l[2]].map((v) => (v - lo) / (hi - lo));
    col(2).forEach((v, i) => expect(v).toBeCloseTo(want[i], 6));
  });

  it("categorical columns: one-hot with the unknown bucket and minimum frequency; indices for embeddings (0 = unknown)", () => {
    const spec = TabularSpec.fit(rows, opts);
    const { x } = spec.transform([...rows, { age: 1, income: 1, job: "astronaut", city: "C", y: 1, k: "no", c: "red" }]);
    const job = (i: number) => [x[i * 6 + 3], x[i * 6 + 4]];
    expect([0, 1, 2, 3, 4].map(job)).toEqual([[1, 0], [1, 0], [0, 1], [0, 1], [0, 1]]);  // chef and pilot seen once: unknown
    expect([0, 1, 2, 3, 4].map((i) => x[i * 6 + 5])).toEqual([1, 2, 1, 0, 0]);  // A most frequent -> 1; missing and unseen -> 0
    expect(spec.embeddings()).toEqual([{ column: "city", offset: 5, size: 3 }]);
  });

  it("labels per kind (missing masked), decode inverts them, and the spec survives JSON", () => {
    const spec = TabularSpec.fit(rows, opts);
    const labels = spec.transform(rows).labels as Record<string, Float32Array | Int32Array>; // no weight column: bare arrays
    expect(Array.from(labels!.k)).toEqual([1, 0, 1, 0]);
    expect(Array.from(labels!.c)).toEqual([2, 0, 2, 1]);  // classes sorted: blue, green, red
    expect(spec.classes("c")).toEqual(["blue", "green", "red"]);
    const y = labels!.y;
    expect(Number.isNaN(y[3])).toBe(true);
    spec.decode("y", y.subarray(0, 3)).forEach((v, i) => expect(v as number).toBeCloseTo([1.5, 2.5, 3.5][i], 5));
    expect(spec.decode("k", [2.1, -0.3])).toEqual(["yes", "no"]);
    expect(spec.decode("c", [0, 1, 5, 9, 1, 2])).toEqual(["red", "blue"]);
    const again = TabularSpec.fromJSON(JSON.parse(JSON.stringify(spec)));
    expect(again.transform(rows)).toEqual(spec.transform(rows));
    expect(() => TabularSpec.fromJSON({ format: "x" })).toThrow(/not a polyhead tabular spec/);
  });

  it("column arrays and Arrow-shaped tables (typed arrays without nulls, get() with them) give the row objects' result", () => {
    const spec = TabularSpec.fit(rows, opts);
    const names = Object.keys(rows[0]) as (keyof (typeof rows)[0])[];
    const columns = Object.fromEntries(names.map((n) => [n, rows.map((r) => r[n])]));
    expect(spec.transform(columns)).toEqual(spec.transform(rows));
    const vector = (vals: unknown[]) => ({
      length: vals.length, nullCount: vals.filter((v) => v === null).length,
      get: (i: number) => vals[i], toArray: () => (vals.every((v) => typeof v === "number") ? Float64Array.from(vals as number[]) : vals),
    });
    const arrow = { numRows: rows.length, schema: { fields: names.map((name) => ({ name })) }, getChild: (n: string) => (n in columns ? vector(columns[n]) : null) };
    expect(spec.transform(arrow)).toEqual(spec.transform(rows));
  });

  it("bad specs and values are named", () => {
    expect(() => TabularSpec.fit(rows, { features: { age: { type: "numeric", scael: "minmax" } as never } })).toThrow(/column "age": unknown option "scael"/);
    expect(() => TabularSpec.fit(rows, { features: { nope: "numeric" } })).toThrow(/no column "nope" \(columns: age, income/);
    expect(() => TabularSpec.fit(rows, { features: { job: "numeric" } })).toThrow(/column "job", row 0: "clerk" is not a number/);
    expect(() => TabularSpec.fit(rows, { features: { age: { type: "numeric", log: "log" } } })).toThrow(/column "age", row 3: -999 is outside the domain of log/);
    expect(() => TabularSpec.fit(rows, { features: { age: "numeric" }, labels: { k: { kind: "binary" } } })).toThrow(/say which value is positive \(values: no, yes\)/);
    expect(() => TabularSpec.fit(rows, { features: { age: "numeric" }, labels: { c: { kind: "binary", positive: "red" } } })).toThrow(/at most two values/);
    const spec = TabularSpec.fit(rows, opts);
    expect(() => spec.transform([{ ...rows[0], c: "purple" }])).toThrow(/label "c", row 0: class "purple" was not seen/);
    expect(spec.transform([{ age: 1, income: 2, job: "x", city: "y" }], { labels: false }).labels).toBeUndefined();
  });
});

describe("the census survey (CPS 1985, from Debian's r-cran-aer) from CSV to predictions", () => {
  it("two tasks trained jointly beat the constant predictors; a checkpoint with the spec predicts the same from raw CSV rows", async () => {
    const table = await readCsvFile(CENSUS);
    expect(table.rows).toBe(534);
    const spec = TabularSpec.fit(table, {
      features: {
        education: "numeric", experience: "numeric", age: "numeric",
        ethnicity: "categorical", region: "categorical", gender: "categorical", occupation: "categorical", sector: "categorical", married: "categorical",
      },
      labels: { wage: { kind: "regression", log: "log", scale: "standardize" }, union: { kind: "binary", positive: "yes" } },
    });
    const t = spec.transform(table); // labels are there: the spec has label columns
    const all = new MultiTaskDataset({ ...t, labels: t.labels! });
    const { train, test } = all.split({ train: 0.8, test: 0.2 }, new Rng(1));
    const tasks = [task("wage", { kind: "regression", outputs: 1 }), task("union", { kind: "binary", outputs: 1, metrics: ["accuracy", "auc"] })];
    const make = () => new Trainer(new SharedBottom({ tasks, inputs: spec.width, trunk: [32], towers: [16], rng: new Rng(2) }), {
      tasks, optimizer: (p) => new Adam(p, { lr: 3e-3 }), seed: 3,
    });
    const trainer = make();
    await trainer.fit(train, { epochs: 30, batchSize: 32 });
    const m = trainer.evaluate(test);
    // log wage is standardised: predicting the mean gives R^2 ~ 0; education, experience and sector explain a good part
    expect(m.wage.r2).toBeGreaterThan(0.2);
    expect(m.union.auc).toBeGreaterThan(0.65);

    const dir = mkdtempSync(join(tmpdir(), "polyhead-census-"));
    const path = join(dir, "model.json");
    writeCheckpoint(path, { trainer: trainer.stateDict(), preprocessing: spec.toJSON() });
    const raw = { ...table, rows: 5, columns: Object.fromEntries(Object.entries(table.columns).map(([k, v]) => [k, v.slice(0, 5)])) };
    const predict = (tr: Trainer, s: TabularSpec) => scope(() => {
      const { x } = s.transform(raw, { labels: false });
      const out = tr.predict(tensor(x, [5, s.width]));
      return { wage: s.decode("wage", out.wage.data()), union: s.decode("union", out.union.data()) };
    });
    const before = predict(trainer, spec);
    const saved = readCheckpoint(path) as { trainer: Record<string, unknown>; preprocessing: unknown };
    const restored = make();
    restored.loadStateDict(saved.trainer);
    const after = predict(restored, TabularSpec.fromJSON(saved.preprocessing));
    expect(after).toEqual(before);
    for (const w of before.wage) expect(w as number).toBeGreaterThan(1);  // dollars per hour, not standardised logs
    expect(new Set(before.union).size).toBeLessThanOrEqual(2);
    expect(before.union.every((u) => u === "yes" || u === "no")).toBe(true);
    expect(readFileSync(path, "utf8")).toContain('"format":"polyhead-tabular"');
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);
});

describe("a weight column: CSV -> per-example weights -> the weighted loss", () => {
  // y: row 2 unlabelled; b: row 4 unlabelled; the weight of row 3 is 0
  const csv = "x,y,b,w\n0.5,1.0,yes,1\n-1,2.5,no,2.5\n2,,yes,0.5\n0,-1,no,0\n1.5,0.5,,3\n";
  const weights = [1, 2.5, 0.5, 0, 3];
  const labels = { y: { kind: "regression" as const }, b: { kind: "binary" as const, positive: "yes" } };

  it("flows into every label's weights, and the trainer's and evaluate's losses are sum(w l) / sum(w) over labelled rows", () => {
    const table = parseCsv(csv);
    const spec = TabularSpec.fit(table, { features: { x: "numeric" }, labels, weight: "w" });
    const t = spec.transform(table);
    for (const k of ["y", "b"]) expect(Array.from((t.labels![k] as { weight: Float32Array }).weight)).toEqual(weights);
    const ds = new MultiTaskDataset({ ...t, labels: t.labels! });
    const tasks = [task("y", { kind: "regression", outputs: 1 }), task("b", { kind: "binary", outputs: 1 })];
    const tr = new Trainer(new SharedBottom({ tasks, inputs: 1, trunk: [4], rng: new Rng(5) }), { tasks, seed: 1 });
    // the loss computed here in float64 from the model's outputs, one labelled row at a time
    const manual = () => scope(() => {
      const out = tr.predict(tensor(t.x, [5, 1]));
      const py = out.y.data(), pb = out.b.data(), y = [1, 2.5, NaN, -1, 0.5], b = [1, 0, 1, 0, NaN];
      const mean = (l: (i: number) => number, lab: number[]) => {
        let s = 0, sw = 0;
        for (let i = 0; i < 5; i++) if (!Number.isNaN(lab[i])) { s += weights[i] * l(i); sw += weights[i]; }
        return s / sw;
      };
      return {
        y: mean((i) => (py[i] - y[i]) ** 2, y),
        b: mean((i) => Math.max(pb[i], 0) - pb[i] * b[i] + Math.log1p(Math.exp(-Math.abs(pb[i]))), b),
      };
    });
    const want = manual();
    const e = tr.evaluate(ds, { batchSize: 2 });
    expect(e.y.loss).toBeCloseTo(want.y, 6);
    expect(e.b.loss).toBeCloseTo(want.b, 6);
    const step = tr.trainStep([{ tasks: ["y", "b"], batch: ds.batch([0, 1, 2, 3, 4]) }]);
    expect(step.losses.y).toBeCloseTo(want.y, 6);
    expect(step.losses.b).toBeCloseTo(want.b, 6);
    // and the weights matter: without the column, evaluate gives the plain mean, another number
    const plain = TabularSpec.fit(table, { features: { x: "numeric" }, labels }).transform(table);
    expect(plain.labels!.y).toBeInstanceOf(Float32Array);
    const py = scope(() => Array.from(tr.predict(tensor(t.x, [5, 1])).y.data()));
    const unweighted = [0, 1, 3, 4].reduce((s, i) => s + (py[i] - [1, 2.5, NaN, -1, 0.5][i]) ** 2, 0) / 4;
    expect(tr.evaluate(new MultiTaskDataset({ ...plain, labels: plain.labels! })).y.loss).toBeCloseTo(unweighted, 6);
    expect(Math.abs(unweighted - manual().y)).toBeGreaterThan(1e-3);
  });

  it("a label's own weight column or null overrides; the spec keeps it through JSON; prediction needs no weight column", () => {
    const table = parseCsv("x,y,b,w,v\n0.5,1.0,yes,1,4\n-1,2.5,no,2.5,5\n2,,yes,0.5,6\n");
    const spec = TabularSpec.fit(table, { features: { x: "numeric" }, labels: { y: { ...labels.y, weight: null }, b: { ...labels.b, weight: "v" } }, weight: "w" });
    const t = spec.transform(table);
    expect(t.labels!.y).toBeInstanceOf(Float32Array);
    expect(Array.from((t.labels!.b as { weight: Float32Array }).weight)).toEqual([4, 5, 6]);
    const back = TabularSpec.fromJSON(JSON.parse(JSON.stringify(spec.toJSON())));
    expect(back.transform(table)).toEqual(t);
    expect(back.transform([{ x: 1 }], { labels: false }).x).toEqual(spec.transform([{ x: 1 }], { labels: false }).x);
  });

  it("bad weight columns and values are named", () => {
    const table = parseCsv(csv);
    const fit = (o: object) => () => TabularSpec.fit(table, { features: { x: "numeric" }, labels, ...o });
    expect(fit({ weight: "nope" })).toThrow(/no column "nope"/);
    expect(fit({ weight: 3 })).toThrow(/TabularSpec.fit: weight must name a column, got 3/);
    expect(fit({ labels: { y: { kind: "regression", weight: 1 } } })).toThrow(/label "y": weight must name a column or be null, got 1/);
    expect(fit({ labels: undefined, weight: "w" })).toThrow(/weight "w" given, but no labels to weigh/);
    for (const [bad, shown] of [["-1", '"-1"'], ["", '""'], ["NA", '"NA"'], ["abc", '"abc"'], ["1e999", '"1e999"']]) {
      const t2 = parseCsv(csv.replace("0.5,1.0,yes,1", `0.5,1.0,yes,${bad}`));
      expect(() => TabularSpec.fit(t2, { features: { x: "numeric" }, labels, weight: "w" }))
        .toThrow(`TabularSpec: label "y": weight column "w", row 0: ${shown} is not a weight (a finite number >= 0)`);
    }
    const spec = TabularSpec.fit(table, { features: { x: "numeric" }, labels, weight: "w" });
    expect(() => spec.transform(parseCsv(csv.replace(",yes,0.5", ",yes,-2")))).toThrow(/weight column "w", row 2: "-2" is not a weight/);
  });
});
