// Regenerates examples/data/austen.json.gz, the text corpus behind examples/austen.mjs:
// sentences of Jane Austen's six novels from Debian's r-cran-janeaustenr, each with its
// novel, a sentiment label from the Bing Liu opinion lexicon in r-cran-tidytext (positive
// words minus negative words), and one word to hide for masked-token reconstruction (never
// a lexicon word, so hiding it leaves the sentiment label as it was). No R needed: the .debs
// come from `apt-get download` (or --dir, an unpacked tree), and build/rdata.mjs reads the
// packages' lazy-load data bases. Tokens are polyhead/seq's WordTokenizer (npm run build first).
//   node build/austen.mjs [--dir /tmp/x] [--per-novel 1200]
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { lazyLoadDb, byName } from "./rdata.mjs";
import { WordTokenizer } from "../dist/seq.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(root, "examples/data/austen.json.gz");
const NOVELS = [
  ["sensesensibility", "Sense & Sensibility"], ["prideprejudice", "Pride & Prejudice"], ["mansfieldpark", "Mansfield Park"],
  ["emma", "Emma"], ["northangerabbey", "Northanger Abbey"], ["persuasion", "Persuasion"],
];
const SENTIMENTS = ["negative", "neutral", "positive"];
const MIN_TOKENS = 6, MAX_TOKENS = 40;

const args = process.argv.slice(2);
const arg = (k, d) => (args.includes(k) ? args[args.indexOf(k) + 1] : d);
const perNovel = Number(arg("--per-novel", 1200));

// a seeded stream for the sample and the hidden words (xorshift32: the same file on every machine)
let state = 20261201;
const next = () => { state ^= state << 13; state >>>= 0; state ^= state >>> 17; state ^= state << 5; state >>>= 0; return state / 2 ** 32; };

/** A novel's lines to sentences: paragraphs joined, headings dropped, italics marks removed. */
function sentences(lines) {
  const paras = [];
  let cur = [];
  for (const l of [...lines, ""]) {
    if (l.trim() === "") { if (cur.length) paras.push(cur.join(" ")); cur = []; } else cur.push(l.trim());
  }
  const out = [];
  for (const p of paras) {
    if (/^(CHAPTER|Chapter|VOLUME|Volume|ADVERTISEMENT|THE END|FINIS)\b/.test(p) || p === p.toUpperCase()) continue;
    const text = p.replace(/_/g, "").replace(/\s+/g, " ");
    // split after . ! ? (and a closing quote) before a capital, except after a title
    for (const s of text.split(/(?<!\b(?:Mr|Mrs|Dr|St|Col|Capt|Esq|Messrs)\.)(?<=[.!?]["”’']?)\s+(?=["“‘']?[A-Z])/)) out.push(s.trim());
  }
  return out;
}

const tmp = mkdtempSync(join(tmpdir(), "polyhead-austen-"));
try {
  let dir = arg("--dir", null);
  if (!dir) {
    execFileSync("apt-get", ["download", "r-cran-janeaustenr", "r-cran-tidytext"], { cwd: tmp, stdio: "inherit" });
    dir = join(tmp, "x");
    for (const f of readdirSync(tmp).filter((n) => n.endsWith(".deb"))) {
      execFileSync("dpkg-deb", ["-x", join(tmp, f), dir]);
    }
  }
  const lib = join(dir, "usr/lib/R/site-library");
  const versions = Object.fromEntries(["janeaustenr", "tidytext"].map((p) => [p, /^Version:\s*(\S+)/m.exec(readFileSync(join(lib, p, "DESCRIPTION"), "utf8"))[1]]));
  const books = lazyLoadDb(join(lib, "janeaustenr/data"));
  const bing = byName(lazyLoadDb(join(lib, "tidytext/data")).read("sentiments"));
  const polarity = new Map(bing.word.values.map((w, i) => [w, bing.sentiment.values[i] === "positive" ? 1 : -1]));
  const tok = new WordTokenizer();
  const rows = [];
  const counts = NOVELS.map(() => [0, 0, 0]);
  NOVELS.forEach(([key], book) => {
    const all = sentences(books.read(key).values).map((s) => [s, tok.tokenize(s)]).filter(([, t]) => t.length >= MIN_TOKENS && t.length <= MAX_TOKENS);
    // a seeded sample without replacement, in the novel's order
    const pick = all.map((_, i) => [next(), i]).sort((a, b) => a[0] - b[0]).slice(0, perNovel).map(([, i]) => i).sort((a, b) => a - b);
    for (const i of pick) {
      const [text, toks] = all[i];
      const score = toks.reduce((s, t) => s + (polarity.get(t) ?? 0), 0);
      const sentiment = score < 0 ? 0 : score === 0 ? 1 : 2;
      const hideable = toks.map((t, j) => (/\p{L}/u.test(t) && !polarity.has(t) ? j : -1)).filter((j) => j >= 0);
      if (hideable.length === 0) continue;
      const mask = hideable[Math.floor(next() * hideable.length)];
      rows.push([book, sentiment, mask, text]);
      counts[book][sentiment]++;
    }
  });
  const data = {
    format: "polyhead-austen", version: 1,
    source: "Jane Austen's six novels from r-cran-janeaustenr (Julia Silge, MIT); sentiment from the Bing Liu opinion lexicon " +
      "as r-cran-tidytext ships it (MIT; the lexicon included with its creators' permission, for any use with attribution: " +
      "Minqing Hu and Bing Liu, \"Mining and summarizing customer reviews\", KDD 2004)",
    versions,
    tokenizer: tok.toJSON(),
    novels: NOVELS.map(([, n]) => n), sentiments: SENTIMENTS,
    columns: ["novel", "sentiment", "mask", "text"], rows,
  };
  const gz = gzipSync(Buffer.from(JSON.stringify(data)), { level: 9 });
  writeFileSync(OUT, gz);
  console.log(`austen: wrote ${OUT} (${rows.length} sentences, ${(gz.length / 1024).toFixed(0)} KB gzipped)`);
  NOVELS.forEach(([, n], b) => console.log(`  ${n.padEnd(20)} negative ${counts[b][0]}  neutral ${counts[b][1]}  positive ${counts[b][2]}`));
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
