// CSV and TSV (RFC 4180: quoted fields, "" escapes, CRLF/LF/CR line ends) into columns
// of strings, from a string or streamed in chunks from a WHATWG ReadableStream, a Blob or
// any async iterable (a Node stream, fetch's body): WHATWG streams and TextDecoder exist
// in every runtime polyhead runs in, so no parser dependency and one code path everywhere.

/** Options of the CSV/TSV parser. */
export interface CsvOptions {
  /** Field separator: "," (default), "\t" for TSV, ";" ... one character. */
  delimiter?: string;
  /** Whether the first row names the columns (default true). */
  header?: boolean;
  /** Column names, for data without a header row (implies header: false unless given). */
  columns?: string[];
}

/** Columns of raw strings, as parsed; TabularSpec turns them into numbers and categories. */
export interface Table {
  readonly names: string[];
  readonly columns: Record<string, string[]>;
  readonly rows: number;
}

const KNOWN = ["delimiter", "header", "columns"];

/** An incremental RFC 4180 parser: push chunks of text, then end(). */
class CsvParser {
  private readonly delim: number;
  private field = "";
  private row: string[] = [];
  private quoted = false;     // inside a quoted field
  private afterQuote = false; // just saw a quote inside a quoted field: "" or the closing one
  private wasQuoted = false;  // the current field was quoted (so an empty row is not blank)
  private skipLF = false;     // last char was CR: a following LF belongs to it
  private line = 1;
  private rowLine = 1;
  private names: string[] | null;
  private cols: string[][] = [];
  rows = 0;

  constructor(private readonly opts: CsvOptions) {
    for (const k of Object.keys(opts)) if (!KNOWN.includes(k)) throw new Error(`CSV: unknown option "${k}" (known: ${KNOWN.join(", ")})`);
    const d = opts.delimiter ?? ",";
    if (typeof d !== "string" || d.length !== 1 || d === '"' || d === "\n" || d === "\r") {
      throw new Error(`CSV: delimiter must be one character other than a quote or line break, got ${JSON.stringify(d)}`);
    }
    this.delim = d.charCodeAt(0);
    const header = opts.header ?? !opts.columns;
    if (opts.columns !== undefined && header) throw new Error("CSV: give columns or header: true, not both");
    this.names = opts.columns ? this.checkNames(opts.columns, "columns") : null;
    if (this.names) this.cols = this.names.map(() => []);
  }

  private checkNames(names: unknown[], what: string): string[] {
    if (!Array.isArray(names) || names.length === 0) throw new Error(`CSV: ${what} must be a non-empty list of names`);
    const seen = new Set<string>();
    names.forEach((n, i) => {
      if (typeof n !== "string" || n.trim() === "") throw new Error(`CSV: ${what}: column ${i + 1} has no name`);
      if (seen.has(n)) throw new Error(`CSV: ${what}: column "${n}" appears twice`);
      seen.add(n);
    });
    return names as string[];
  }

  push(text: string): void {
    const q = 34, lf = 10, cr = 13, d = this.delim;
    let start = 0; // start of the pending run of plain characters
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (this.skipLF) { this.skipLF = false; if (c === lf) { start = i + 1; continue; } }
      if (this.quoted) {
        if (this.afterQuote) {
          this.afterQuote = false;
          if (c === q) { this.field += '"'; start = i + 1; continue; }
          this.quoted = false; // the quote closed the field; c must end it
          if (c !== d && c !== lf && c !== cr) throw new Error(`CSV line ${this.line}: unexpected ${JSON.stringify(text[i])} after a closing quote`);
        } else if (c === q) {
          this.field += text.slice(start, i); this.afterQuote = true; start = i + 1; continue;
        } else {
          if (c === lf) this.line++;
          continue;
        }
      }
      if (c === d) { this.field += text.slice(start, i); this.endField(); start = i + 1; }
      else if (c === lf || c === cr) {
        this.field += text.slice(start, i); this.endField(); this.endRow();
        this.line++; this.rowLine = this.line; this.skipLF = c === cr; start = i + 1;
      } else if (c === q && this.field === "" && start === i && !this.wasQuoted) {
        this.quoted = true; this.wasQuoted = true; start = i + 1;
      }
    }
    this.field += text.slice(start);
  }

  end(): Table {
    if (this.quoted && !this.afterQuote) throw new Error(`CSV line ${this.rowLine}: a quoted field is never closed`);
    this.quoted = false; this.afterQuote = false;
    if (this.field !== "" || this.row.length > 0 || this.wasQuoted) { this.endField(); this.endRow(); }
    if (!this.names) throw new Error("CSV: no header row (the input is empty)");
    const columns: Record<string, string[]> = {};
    this.names.forEach((n, j) => { columns[n] = this.cols[j]; });
    return { names: this.names, columns, rows: this.rows };
  }

  private endField(): void {
    this.row.push(this.field);
    this.field = ""; this.wasQuoted = false;
  }

  private endRow(): void {
    const row = this.row;
    this.row = [];
    if (row.length === 1 && row[0] === "") return; // a blank line
    if (!this.names) {
      this.names = this.checkNames(row, `header (line ${this.rowLine})`);
      this.cols = this.names.map(() => []);
      return;
    }
    if (row.length !== this.names.length) {
      throw new Error(`CSV line ${this.rowLine}: ${row.length} fields, expected ${this.names.length} (${this.names.join(", ")})`);
    }
    for (let j = 0; j < row.length; j++) this.cols[j].push(row[j]);
    this.rows++;
  }
}

/**
 * Parse CSV (or TSV with `{ delimiter: "\t" }`) text into named columns of strings.
 * @example const table = parseCsv("a,b\n1,x\n2,y\n"); // { names: ["a", "b"], columns: { a: ["1", "2"], b: ["x", "y"] }, rows: 2 }
 */
export function parseCsv(text: string, opts: CsvOptions = {}): Table {
  if (typeof text !== "string") throw new Error(`parseCsv: expected a string, got ${typeof text}; use readCsv for streams and files`);
  const p = new CsvParser(opts);
  p.push(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  return p.end();
}

/** What readCsv reads from: text, a Blob/File, a WHATWG stream, or an async iterable of chunks. */
export type CsvSource = string | Blob | ReadableStream<Uint8Array | string> | AsyncIterable<Uint8Array | string>;

/**
 * Parse CSV/TSV streamed in chunks (bytes are decoded as UTF-8), so a large file is never
 * held whole as one string. In Node, `readCsvFile(path)` from polyhead/node wraps this.
 * @example const table = await readCsv((await fetch(url)).body!, { delimiter: "\t" });
 */
export async function readCsv(source: CsvSource, opts: CsvOptions = {}): Promise<Table> {
  if (typeof source === "string") return parseCsv(source, opts);
  const p = new CsvParser(opts);
  const decoder = new TextDecoder("utf-8");
  let first = true;
  const take = (chunk: Uint8Array | string) => {
    let text = typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    if (first && text.length > 0) { first = false; if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); }
    p.push(text);
  };
  let stream: unknown = source;
  if (typeof Blob !== "undefined" && source instanceof Blob) stream = source.stream();
  if (stream && typeof (stream as ReadableStream).getReader === "function") {
    const reader = (stream as ReadableStream<Uint8Array | string>).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      take(value);
    }
  } else if (stream && typeof (stream as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function") {
    for await (const chunk of stream as AsyncIterable<Uint8Array | string>) {
      if (typeof chunk !== "string" && !(chunk instanceof Uint8Array)) throw new Error(`readCsv: chunks must be strings or Uint8Array, got ${typeof chunk}`);
      take(chunk);
    }
  } else {
    throw new Error(`readCsv: expected a string, Blob, ReadableStream or async iterable, got ${(source as object)?.constructor?.name ?? typeof source}`);
  }
  p.push(decoder.decode());
  return p.end();
}
