// The text pipeline (src/seq/text/): word and byte tokenizers, the fitted Vocabulary and its
// JSON (checked on load, saved beside a model's weights), and padded batches with masks.
import { describe, it, expect, beforeAll } from "vitest";
import { init, Linear } from "../src/index.js";
import { saveWeights, parseSafetensors } from "../src/io/index.js";
import { WordTokenizer, ByteTokenizer, Vocabulary, padBatch, WORD_PATTERN } from "../src/seq/index.js";

beforeAll(async () => { await init(); });

describe("WordTokenizer", () => {
  it("lowercases, keeps inner apostrophes and hyphens, splits punctuation, reads any script", () => {
    const t = new WordTokenizer();
    expect(t.tokenize("Émma Woodhouse, handsome, clever—and RICH! Don't; well-bred.")).toEqual(
      ["émma", "woodhouse", ",", "handsome", ",", "clever", "—", "and", "rich", "!", "don't", ";", "well-bred", "."]);
    expect(t.tokenize("Ünïcode straße 東京 ٣٤ mañana")).toEqual(["ünïcode", "straße", "東京", "٣٤", "mañana"]);
    // NFC: a decomposed é (e + U+0301) is the same token as the composed one
    expect(t.tokenize("cafe\u0301")).toEqual(t.tokenize("caf\u00e9"));
    expect(new WordTokenizer({ normalize: "none" }).tokenize("cafe\u0301")).not.toEqual(t.tokenize("caf\u00e9"));
    expect(new WordTokenizer({ lowercase: false }).tokenize("Emma")).toEqual(["Emma"]);
    expect(t.tokenize("   ")).toEqual([]);
  });
  it("takes a regex of your own (made global), and round-trips through JSON", () => {
    const t = new WordTokenizer({ pattern: /\S+/u });
    expect(t.tokenize("a b,c  d")).toEqual(["a", "b,c", "d"]);
    const back = WordTokenizer.fromJSON(JSON.parse(JSON.stringify(t)));
    expect(back.tokenize("X y,z")).toEqual(["x", "y,z"]);
    expect(WORD_PATTERN.flags).toContain("u");
  });
  it("refuses what it cannot use", () => {
    expect(() => new WordTokenizer({ lowercse: true } as never)).toThrow(/unknown option "lowercse".*did you mean "lowercase"/);
    expect(() => new WordTokenizer({ pattern: "\\w+" as never })).toThrow(/pattern must be a RegExp/);
    expect(() => new WordTokenizer({ pattern: /a*/ })).toThrow(/matches the empty string/);
    expect(() => new WordTokenizer({ normalize: "NFX" as never })).toThrow(/normalize must be one of/);
    expect(() => new WordTokenizer().tokenize(5 as never)).toThrow(/expected a string, got 5 \(number\)/);
    expect(() => WordTokenizer.fromJSON({ type: "byte" } as never)).toThrow(/type is "byte"/);
  });
});

describe("ByteTokenizer", () => {
  it("UTF-8 bytes after the specials, decoded back", () => {
    const t = new ByteTokenizer({ specials: ["<pad>", "<mask>"] });
    expect(t.size).toBe(258);
    expect(t.encode("né")).toEqual([110 + 2, 0xc3 + 2, 0xa9 + 2]);
    expect(t.decode([0, ...t.encode("Ünïcode 東京"), 1])).toBe("Ünïcode 東京");
    expect(t.id("<mask>")).toBe(1);
    expect(ByteTokenizer.fromJSON(t.toJSON()).encode("a")).toEqual([99]);
    expect(() => t.decode([300])).toThrow(/id 300 \(number\) at 0 is not in \[0, 258\)/);
    expect(() => new ByteTokenizer({ specials: ["a", "a"] })).toThrow(/distinct strings/);
    expect(() => t.id("<cls>")).toThrow(/no special "<cls>"/);
  });
});

describe("Vocabulary", () => {
  const data = [["the", "cat", "sat"], ["the", "dog", "sat"], ["the", "cat"], ["a", "zebra"]];
  it("fits by frequency with a minimum, ties in code-unit order, specials first; unknown words get unk", () => {
    const v = Vocabulary.fit(data, { minFreq: 2, specials: ["<mask>"] });
    expect(v.tokens).toEqual(["<pad>", "<unk>", "<mask>", "the", "cat", "sat"]);
    expect(v.encode(["the", "zebra", "cat"])).toEqual([3, 1, 4]);
    expect(v.decode([3, 4, 0])).toEqual(["the", "cat", "<pad>"]);
    expect([v.padId, v.unkId, v.id("<mask>"), v.size]).toEqual([0, 1, 2, 6]);
    expect(Vocabulary.fit(data, { maxSize: 4 }).tokens).toEqual(["<pad>", "<unk>", "the", "cat"]);
    expect(Vocabulary.fit(data).tokens.slice(5)).toEqual(["a", "dog", "zebra"]);
  });
  it("saves as JSON (also in a weights file's metadata) and loads back checked", () => {
    const v = Vocabulary.fit(data, { specials: ["<mask>"] });
    const back = Vocabulary.fromJSON(JSON.stringify(v));
    expect(back.tokens).toEqual(v.tokens);
    expect(back.encode(["cat", "moose"])).toEqual(v.encode(["cat", "moose"]));
    const bytes = saveWeights(new Linear(2, 2), { metadata: { "polyhead.vocabulary": JSON.stringify(v) } });
    const meta = parseSafetensors(bytes).metadata as Record<string, string>;
    expect(Vocabulary.fromJSON(meta["polyhead.vocabulary"]).tokens).toEqual(v.tokens);
    const j = v.toJSON();
    expect(() => Vocabulary.fromJSON("{")).toThrow(/not JSON/);
    expect(() => Vocabulary.fromJSON({ ...j, format: "other" } as never)).toThrow(/format is "other"/);
    expect(() => Vocabulary.fromJSON({ ...j, version: 2 } as never)).toThrow(/version 2/);
    expect(() => Vocabulary.fromJSON({ ...j, tokens: ["<pad>", "<unk>", "<mask>", "a", "a"] })).toThrow(/"a" appears twice/);
    expect(() => Vocabulary.fromJSON({ ...j, tokens: ["<unk>", "<pad>", "<mask>"] })).toThrow(/must start with pad/);
    expect(() => Vocabulary.fromJSON({ ...j, extra: 1 } as never)).toThrow(/unknown option "extra"/);
  });
  it("refuses bad data and options", () => {
    expect(() => Vocabulary.fit(["the cat"] as never)).toThrow(/item 0 is "the cat" \(string\), expected a list of tokens/);
    expect(() => Vocabulary.fit(data, { minFreq: 0 })).toThrow(/minFreq must be a positive integer/);
    expect(() => Vocabulary.fit(data, { min_freq: 2 } as never)).toThrow(/unknown option "min_freq".*did you mean "minFreq"/);
    expect(() => Vocabulary.fit(data, { maxSize: 1 })).toThrow(/maxSize 1 leaves no room/);
    expect(() => Vocabulary.fit(data, { pad: "<x>", unk: "<x>" })).toThrow(/distinct strings/);
    expect(() => Vocabulary.fit(data).token(99)).toThrow(/id 99 \(number\) is not in \[0, 8\)/);
  });
});

describe("padBatch", () => {
  it("pads to the longest, with a mask and lengths; cuts at maxLength from either end", () => {
    const b = padBatch([[5, 9, 2], [7], []]);
    expect(b.ids.dtype).toBe("int32");
    expect(b.ids.toArray()).toEqual([[5, 9, 2], [7, 0, 0], [0, 0, 0]]);
    expect(b.mask.toArray()).toEqual([[1, 1, 1], [1, 0, 0], [0, 0, 0]]);
    expect(b.padding.dtype).toBe("int32");
    expect(b.padding.toArray()).toEqual([[0, 0, 0], [0, 1, 1], [1, 1, 1]]);
    expect(b.lengths).toEqual([3, 1, 0]);
    expect(padBatch([[1, 2, 3, 4]], { maxLength: 2 }).ids.toArray()).toEqual([[1, 2]]);
    expect(padBatch([[1, 2, 3, 4]], { maxLength: 2, keep: "end" }).ids.toArray()).toEqual([[3, 4]]);
    expect(padBatch([[1]], { maxLength: 3, fixedLength: true, padId: 9 }).ids.toArray()).toEqual([[1, 9, 9]]);
  });
  it("refuses bad input", () => {
    expect(() => padBatch([])).toThrow(/non-empty list/);
    expect(() => padBatch([[1, 2.5]])).toThrow(/sequence 0 holds 2.5 \(number\) at 1, not an int32 id/);
    expect(() => padBatch([[1]], { maxLenght: 3 } as never)).toThrow(/unknown option "maxLenght".*did you mean "maxLength"/);
    expect(() => padBatch([[1]], { fixedLength: true })).toThrow(/fixedLength needs maxLength/);
    expect(() => padBatch(["ab"] as never)).toThrow(/sequence 0 is "ab" \(string\)/);
  });
});
