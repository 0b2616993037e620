// Checks every public entry shares: unknown option keys named with the closest known one,
// values printed with their type ("1" (string) is not 1), and tensors checked by name
// before any op reads them. One place, so every message has the same shape.

/** The type of a value as a user would name it: string, null, array, Float32Array, object, ... */
export function typeName(v: unknown): string {
  const c = (v as object | null)?.constructor;
  return v === null ? "null" : Array.isArray(v) ? "array" : typeof v !== "object" ? typeof v : c && c !== Object && c.name ? c.name : "object";
}

/**
 * A value with its type, for error messages: `"1" (string)`, `1.5 (number)`, `null`,
 * `[1, 2] (array)`, `Float32Array(3)`, a tensor's description, or what our objects call
 * themselves (`type`/`name`: minified bundles rename classes).
 */
export function show(v: unknown): string {
  const t = typeName(v), o = v as { describe?: () => string; type?: unknown; name?: unknown; length?: number };
  if (v == null) return String(v);
  if (typeof v === "string") return `${JSON.stringify(v.slice(0, 40))} (string)`;
  if (typeof v !== "object") return typeof v === "function" ? "a function" : `${String(v)} (${t})`;
  if (Array.isArray(v)) return `[${v.slice(0, 8).map((x) => (typeof x === "string" ? JSON.stringify(x) : typeof x === "object" && x ? typeName(x) : String(x))).join(", ")}${v.length > 8 ? ", ..." : ""}] (array)`;
  if (ArrayBuffer.isView(v)) return `${t}(${o.length})`;
  if (typeof o.describe === "function" && "dtype" in o) return `a tensor ${o.describe()}`;
  return typeof o.type === "string" ? o.type : typeof o.name === "string" ? o.name : t === "object" ? "an object" : t;
}

// Edit distance, case-insensitive (a swap of two letters counts 2: still "close").
function distance(a: string, b: string): number {
  a = a.toLowerCase(); b = b.toLowerCase();
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length];
}

/** The known name closest to `name` (case and small typos), or undefined when none is close. */
export function closest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined, bd = Infinity;
  for (const k of known) {
    const dk = distance(name, k);
    if (dk < bd) { bd = dk; best = k; }
  }
  return bd <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/** ` (known: a, b); did you mean "x"?` for an unknown `name`. */
export function suggest(name: string, known: readonly string[]): string {
  const c = closest(name, known);
  return ` (known: ${known.join(", ")})${c ? `; did you mean "${c}"?` : ""}`;
}

/**
 * The options object of `owner` (undefined -> {}), with every key known: otherwise an
 * error naming the key and the closest known one. `where` names a nested object
 * ("param group 1").
 * @example checkOptions("Trainer", opts, ["tasks", "optimizer", "weighting"]);
 */
export function checkOptions<T extends object>(owner: string, opts: T | undefined, known: readonly string[], where?: string): T {
  if (opts === undefined) return {} as T;
  if (typeName(opts) !== "object") {
    throw new Error(`${owner}: ${where ?? "options"} must be an object, got ${show(opts)}`);
  }
  for (const k of Object.keys(opts)) {
    if (!known.includes(k)) throw new Error(`${owner}: unknown option "${k}"${where ? ` in ${where}` : ""}${suggest(k, known)}`);
  }
  return opts;
}

const KINDS = {
  int: [(v: number) => Number.isInteger(v) && v >= 1, "a positive integer"],
  num: [(v: number) => Number.isFinite(v), "a finite number"],
  pos: [(v: number) => Number.isFinite(v) && v > 0, "a finite number > 0"],
  nonneg: [(v: number) => Number.isFinite(v) && v >= 0, "a finite number >= 0"],
  bool: [(v: unknown) => typeof v === "boolean", "a boolean"],
  fn: [(v: unknown) => typeof v === "function", "a function"],
  list: [(v: unknown) => Array.isArray(v), "a list"],
  any: [() => true, ""],
} as const;
export type OptionKind = keyof typeof KINDS;

/**
 * checkOptions with a kind per key: each given value is checked (numbers must be numbers,
 * not numeric strings).
 * @example checkSpec("fit", opts, { epochs: "int", dropLast: "bool" });
 */
export function checkSpec<T extends object>(owner: string, opts: T | undefined, spec: Record<string, OptionKind>, where?: string): T {
  const o = checkOptions(owner, opts, Object.keys(spec), where) as Record<string, unknown>;
  for (const [k, kind] of Object.entries(spec)) if (o[k] !== undefined) checkKind(owner, k, o[k], kind);
  return o as T;
}

/** One value of a kind (undefined too is an error): `fit: epochs must be a positive integer, got "1" (string)`. */
export function checkKind(owner: string, name: string, v: unknown, kind: OptionKind): void {
  const [ok, what] = KINDS[kind];
  if (!(ok as (x: unknown) => boolean)(v)) throw new Error(`${owner}: ${name} must be ${what}, got ${show(v)}`);
}
