// One column reader over the tabular inputs TabularSpec accepts: parsed CSV tables,
// Apache Arrow tables (duck-typed: apache-arrow, DuckDB-Wasm results; no dependency),
// arrays of row objects, and objects of column arrays.
import type { Table } from "./csv.js";

/** What an Arrow table offers that is read here (apache-arrow's Table and DuckDB-Wasm results have it). */
export interface ArrowLike {
  readonly numRows: number;
  readonly schema: { readonly fields: readonly { readonly name: string }[] };
  /** A column by name (null when absent). */
  getChild(name: string): {
    readonly length: number; readonly nullCount: number;
    /** The value at row i (null for a missing one). */
    get(i: number): unknown;
    /** Every value. */
    toArray(): ArrayLike<unknown>;
  } | null;
}

/** What TabularSpec reads: a parsed table, an Arrow-like table, row objects or columns. */
export type TabularInput = Table | ArrowLike | readonly Record<string, unknown>[] | Readonly<Record<string, ArrayLike<unknown>>>;

export interface Columns {
  readonly rows: number;
  readonly names: readonly string[];
  /** The column's values; a typed array when the source had one (Arrow numbers without nulls). */
  column(name: string): ArrayLike<unknown>;
}

const isArrow = (v: unknown): v is ArrowLike =>
  !!v && typeof (v as ArrowLike).getChild === "function" && typeof (v as ArrowLike).numRows === "number" && Array.isArray((v as ArrowLike).schema?.fields);
const isTable = (v: unknown): v is Table =>
  !!v && Array.isArray((v as Table).names) && typeof (v as Table).rows === "number" && typeof (v as Table).columns === "object";
const arrayLike = (v: unknown): v is ArrayLike<unknown> =>
  Array.isArray(v) || ArrayBuffer.isView(v);

/** Read columns of any accepted input; `who` names the caller in errors. */
export function columnsOf(input: TabularInput, who: string): Columns {
  const missing = (name: string, names: readonly string[]) =>
    new Error(`${who}: no column "${name}" (columns: ${names.join(", ")})`);
  if (isArrow(input)) {
    const names = input.schema.fields.map((f) => f.name);
    return {
      rows: input.numRows, names,
      column(name) {
        const v = input.getChild(name);
        if (!v) throw missing(name, names);
        // numbers without nulls come as one typed array; otherwise read value by value (nulls stay null)
        if (v.nullCount === 0) return v.toArray();
        return Array.from({ length: v.length }, (_, i) => v.get(i));
      },
    };
  }
  if (isTable(input)) {
    return { rows: input.rows, names: input.names, column(name) { if (!(name in input.columns)) throw missing(name, input.names); return input.columns[name]; } };
  }
  if (Array.isArray(input)) {
    const names: string[] = [];
    input.forEach((r, i) => {
      if (!r || typeof r !== "object" || Array.isArray(r)) throw new Error(`${who}: row ${i} is not an object of column values`);
      for (const k of Object.keys(r)) if (!names.includes(k)) names.push(k);
    });
    return { rows: input.length, names, column(name) { if (!names.includes(name)) throw missing(name, names); return input.map((r) => (r as Record<string, unknown>)[name]); } };
  }
  if (input && typeof input === "object") {
    const obj = input as Record<string, unknown>;
    const names = Object.keys(obj);
    let rows = -1;
    for (const n of names) {
      const c = obj[n];
      if (!arrayLike(c)) throw new Error(`${who}: column "${n}" is not an array`);
      if (rows >= 0 && c.length !== rows) throw new Error(`${who}: column "${n}" has ${c.length} values, column "${names[0]}" has ${rows}`);
      rows = c.length;
    }
    if (rows < 0) throw new Error(`${who}: the input has no columns`);
    return { rows, names, column(name) { if (!(name in obj)) throw missing(name, names); return obj[name] as ArrayLike<unknown>; } };
  }
  throw new Error(`${who}: expected a CSV table, an Arrow table, an array of row objects or an object of columns, got ${input === null ? "null" : typeof input}`);
}
