// Vocabulary: tokens to ids, fitted on data (minimum frequency, a size cap), with an unknown
// token for the rest and a padding token; plain JSON to save beside a model's weights
// (e.g. in the safetensors __metadata__), checked when it is read back.
import { checkOptions, checkSpec, show } from "../../validate.js";

export const VOCABULARY_FORMAT = "polyhead-vocabulary";

export interface VocabularyOptions {
  /** Keep tokens seen at least this often (default 1). */
  minFreq?: number;
  /** At most this many tokens in all, specials included (the most frequent kept). */
  maxSize?: number;
  /** Padding token, id 0 (default "<pad>"). */
  pad?: string;
  /** Unknown token, id 1 (default "<unk>"). */
  unk?: string;
  /** More special tokens after pad and unk ("<mask>", "<cls>" ...), ids 2, 3 ... */
  specials?: string[];
}

export interface VocabularyJSON { format: typeof VOCABULARY_FORMAT; version: 1; tokens: string[]; pad: string; unk: string; specials: string[] }

/**
 * @example
 * const vocab = Vocabulary.fit(sentences.map((s) => tok.tokenize(s)), { minFreq: 2, specials: ["<mask>"] });
 * vocab.encode(["the", "zyzzyva"]) // [5, 1]: unknown words get unk's id
 */
export class Vocabulary {
  private readonly index = new Map<string, number>();
  readonly padId = 0;
  readonly unkId = 1;
  private constructor(readonly tokens: readonly string[], readonly pad: string, readonly unk: string, readonly specials: readonly string[]) {
    tokens.forEach((t, i) => {
      if (typeof t !== "string") throw new Error(`Vocabulary: token ${i} is ${show(t)}, not a string`);
      if (this.index.has(t)) throw new Error(`Vocabulary: token ${JSON.stringify(t)} appears twice (ids ${this.index.get(t)} and ${i})`);
      this.index.set(t, i);
    });
  }

  /**
   * Count tokens over `data` (lists of tokens) and keep those seen `minFreq` times, most
   * frequent first, ties in code-unit order (the same ids in every runtime).
   */
  static fit(data: Iterable<readonly string[]>, options?: VocabularyOptions): Vocabulary {
    const o = checkSpec("Vocabulary.fit", options, { minFreq: "int", maxSize: "int", pad: "any", unk: "any", specials: "list" });
    const pad = o.pad ?? "<pad>", unk = o.unk ?? "<unk>", specials = o.specials ?? [];
    const head = [pad, unk, ...specials];
    if (head.some((s) => typeof s !== "string") || new Set(head).size !== head.length) {
      throw new Error(`Vocabulary.fit: pad, unk and specials must be distinct strings, got ${show(head)}`);
    }
    if (o.maxSize !== undefined && o.maxSize < head.length) throw new Error(`Vocabulary.fit: maxSize ${o.maxSize} leaves no room beyond the ${head.length} special tokens`);
    if (data == null || typeof (data as Iterable<unknown>)[Symbol.iterator] !== "function") throw new Error(`Vocabulary.fit: data must be lists of tokens, got ${show(data)}`);
    const counts = new Map<string, number>();
    let row = 0;
    for (const toks of data) {
      if (!Array.isArray(toks)) throw new Error(`Vocabulary.fit: item ${row} is ${show(toks)}, expected a list of tokens (tokenize text first)`);
      for (const t of toks) {
        if (typeof t !== "string") throw new Error(`Vocabulary.fit: item ${row} holds ${show(t)}, not a string token`);
        counts.set(t, (counts.get(t) ?? 0) + 1);
      }
      row++;
    }
    const reserved = new Set(head), minFreq = o.minFreq ?? 1;
    const kept = [...counts].filter(([t, c]) => c >= minFreq && !reserved.has(t))
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([t]) => t);
    const room = o.maxSize === undefined ? kept.length : o.maxSize - head.length;
    return new Vocabulary([...head, ...kept.slice(0, room)], pad, unk, specials);
  }

  get size(): number { return this.tokens.length; }
  /** A token's id (unk's id when it is not in the vocabulary). */
  id(token: string): number { return this.index.get(token) ?? this.unkId; }
  /** Whether the token has an id of its own (not unk's). */
  has(token: string): boolean { return this.index.has(token); }
  /** The token of an id. */
  token(id: number): string {
    if (!(Number.isInteger(id) && id >= 0 && id < this.tokens.length)) throw new Error(`Vocabulary: id ${show(id)} is not in [0, ${this.tokens.length})`);
    return this.tokens[id];
  }
  /** The tokens' ids (unk's for unknown tokens). */
  encode(tokens: readonly string[]): number[] {
    if (!Array.isArray(tokens)) throw new Error(`Vocabulary.encode: expected a list of tokens, got ${show(tokens)}`);
    return tokens.map((t) => this.id(t));
  }
  /** The ids' tokens. */
  decode(ids: ArrayLike<number>): string[] { return Array.from(ids, (i) => this.token(i)); }

  /** The vocabulary as JSON (its tokens in id order; fromJSON reads it). */
  toJSON(): VocabularyJSON {
    return { format: VOCABULARY_FORMAT, version: 1, tokens: [...this.tokens], pad: this.pad, unk: this.unk, specials: [...this.specials] };
  }

  /** A vocabulary from toJSON()'s object (or its JSON text), checked: format, tokens unique, pad and unk at ids 0 and 1. */
  static fromJSON(json: VocabularyJSON | string): Vocabulary {
    const where = "Vocabulary.fromJSON";
    let j: VocabularyJSON;
    if (typeof json === "string") {
      try { j = JSON.parse(json) as VocabularyJSON; } catch (e) { throw new Error(`${where}: not JSON (${(e as Error).message})`); }
    } else j = json;
    checkOptions(where, j, ["format", "version", "tokens", "pad", "unk", "specials"]);
    if (j.format !== VOCABULARY_FORMAT) throw new Error(`${where}: format is ${show(j.format)}, expected "${VOCABULARY_FORMAT}"`);
    if (j.version !== 1) throw new Error(`${where}: version ${show(j.version)} is not one this polyhead reads (1)`);
    if (!Array.isArray(j.tokens) || !Array.isArray(j.specials)) throw new Error(`${where}: tokens and specials must be lists of strings`);
    if (j.tokens[0] !== j.pad || j.tokens[1] !== j.unk) throw new Error(`${where}: tokens must start with pad ${show(j.pad)} and unk ${show(j.unk)}, got ${show(j.tokens.slice(0, 2))}`);
    j.specials.forEach((s, i) => { if (j.tokens[2 + i] !== s) throw new Error(`${where}: special ${show(s)} must be token ${2 + i}, got ${show(j.tokens[2 + i])}`); });
    return new Vocabulary([...j.tokens], j.pad, j.unk, [...j.specials]);
  }
}
