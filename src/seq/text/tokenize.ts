// Tokenizers, dependency-free: words (Unicode letters and digits, lowercased, by a regex you
// can replace) and UTF-8 bytes. Both are plain data (toJSON / fromJSON) so they travel with
// a model; users with a tokenizer of their own pass token ids instead.
import { checkOptions, checkSpec, show } from "../../validate.js";

/** Words with inner apostrophes or hyphens ("don't", "well-bred"), numbers, and each other symbol alone. */
// (a string, not a regex literal: its quote characters would read as a string's start to
// simple source scanners such as test/bundle.test.ts's comment stripper)
export const WORD_PATTERN = new RegExp("[\\p{L}\\p{M}\\p{N}]+(?:['\u2019-][\\p{L}\\p{M}\\p{N}]+)*|[^\\s\\p{L}\\p{M}\\p{N}]", "gu");

export interface WordTokenizerOptions {
  /** Lowercase before matching (default true; locale-independent String#toLowerCase). */
  lowercase?: boolean;
  /** What a token is: every match of this regex (made global if it is not). Default WORD_PATTERN. */
  pattern?: RegExp;
  /** Unicode normalisation before matching (default "NFC"; "none" to keep the text as it is). */
  normalize?: "NFC" | "NFKC" | "NFD" | "NFKD" | "none";
}

export interface WordTokenizerJSON { type: "word"; lowercase: boolean; pattern: string; flags: string; normalize: string }

const NORMS = ["NFC", "NFKC", "NFD", "NFKD", "none"];

/**
 * Text to word tokens.
 * @example new WordTokenizer().tokenize("Émma Woodhouse, handsome!") // ["émma", "woodhouse", ",", "handsome", "!"]
 */
export class WordTokenizer {
  readonly lowercase: boolean;
  readonly pattern: RegExp;
  readonly normalize: NonNullable<WordTokenizerOptions["normalize"]>;
  constructor(options?: WordTokenizerOptions) {
    const o = checkSpec("WordTokenizer", options, { lowercase: "bool", pattern: "any", normalize: "any" });
    if (o.pattern !== undefined && !(o.pattern instanceof RegExp)) throw new Error(`WordTokenizer: pattern must be a RegExp, got ${show(o.pattern)}`);
    if (o.normalize !== undefined && !NORMS.includes(o.normalize)) throw new Error(`WordTokenizer: normalize must be one of ${NORMS.join(", ")}, got ${show(o.normalize)}`);
    const p = o.pattern ?? WORD_PATTERN;
    this.pattern = new RegExp(p.source, p.flags.includes("g") ? p.flags : p.flags + "g");
    if (this.pattern.test("")) throw new Error(`WordTokenizer: pattern /${p.source}/ matches the empty string`);
    this.lowercase = o.lowercase ?? true;
    this.normalize = o.normalize ?? "NFC";
  }
  /** The text's tokens: normalised, lowercased (by default), then the pattern's matches in order. */
  tokenize(text: string): string[] {
    if (typeof text !== "string") throw new Error(`WordTokenizer.tokenize: expected a string, got ${show(text)}`);
    let s = this.normalize === "none" ? text : text.normalize(this.normalize);
    if (this.lowercase) s = s.toLowerCase();
    return s.match(this.pattern) ?? [];
  }
  /** The settings as JSON (saved beside the model; fromJSON reads them). */
  toJSON(): WordTokenizerJSON {
    return { type: "word", lowercase: this.lowercase, pattern: this.pattern.source, flags: this.pattern.flags, normalize: this.normalize };
  }
  /** A tokenizer from toJSON()'s object, checked. */
  static fromJSON(json: WordTokenizerJSON): WordTokenizer {
    const j = checkOptions("WordTokenizer.fromJSON", json, ["type", "lowercase", "pattern", "flags", "normalize"]);
    if (j.type !== "word") throw new Error(`WordTokenizer.fromJSON: type is ${show(j.type)}, expected "word"`);
    if (typeof j.pattern !== "string" || typeof j.flags !== "string") throw new Error("WordTokenizer.fromJSON: pattern and flags must be strings");
    let re: RegExp;
    try { re = new RegExp(j.pattern, j.flags); } catch (e) { throw new Error(`WordTokenizer.fromJSON: bad pattern (${(e as Error).message})`); }
    return new WordTokenizer({ lowercase: j.lowercase, pattern: re, normalize: j.normalize as WordTokenizerOptions["normalize"] });
  }
}

export interface ByteTokenizerOptions {
  /** Special tokens, given the ids 0 .. n-1 before the 256 bytes (default ["<pad>"]). */
  specials?: string[];
}

export interface ByteTokenizerJSON { type: "byte"; specials: string[] }

/**
 * Text to its UTF-8 bytes, each an id (byte + the number of specials): no vocabulary to fit,
 * nothing unknown.
 * @example new ByteTokenizer().encode("né") // [111, 196, 170] (bytes 110, 195, 169, + 1 special)
 */
export class ByteTokenizer {
  readonly specials: readonly string[];
  constructor(options?: ByteTokenizerOptions) {
    const o = checkOptions("ByteTokenizer", options, ["specials"]);
    const sp = o.specials ?? ["<pad>"];
    if (!Array.isArray(sp) || sp.some((s) => typeof s !== "string") || new Set(sp).size !== sp.length) {
      throw new Error(`ByteTokenizer: specials must be a list of distinct strings, got ${show(sp)}`);
    }
    this.specials = [...sp];
  }
  /** Ids in use: the specials, then the 256 bytes. */
  get size(): number { return this.specials.length + 256; }
  /** A special's id. */
  id(special: string): number {
    const i = this.specials.indexOf(special);
    if (i < 0) throw new Error(`ByteTokenizer: no special "${special}" (specials: ${this.specials.join(", ")})`);
    return i;
  }
  /** The text's UTF-8 bytes as ids (each byte plus the number of specials). */
  encode(text: string): number[] {
    if (typeof text !== "string") throw new Error(`ByteTokenizer.encode: expected a string, got ${show(text)}`);
    const n = this.specials.length;
    return Array.from(new TextEncoder().encode(text), (b) => b + n);
  }
  /** The text of byte ids (specials are skipped; invalid UTF-8 becomes U+FFFD). */
  decode(ids: ArrayLike<number>): string {
    const n = this.specials.length, bytes: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      const v = ids[i];
      if (!(Number.isInteger(v) && v >= 0 && v < n + 256)) throw new Error(`ByteTokenizer.decode: id ${show(v)} at ${i} is not in [0, ${n + 256})`);
      if (v >= n) bytes.push(v - n);
    }
    return new TextDecoder().decode(new Uint8Array(bytes));
  }
  /** The settings as JSON (saved beside the model; fromJSON reads them). */
  toJSON(): ByteTokenizerJSON { return { type: "byte", specials: [...this.specials] }; }
  /** A tokenizer from toJSON()'s object, checked. */
  static fromJSON(json: ByteTokenizerJSON): ByteTokenizer {
    const j = checkOptions("ByteTokenizer.fromJSON", json, ["type", "specials"]);
    if (j.type !== "byte") throw new Error(`ByteTokenizer.fromJSON: type is ${show(j.type)}, expected "byte"`);
    return new ByteTokenizer({ specials: j.specials });
  }
}
