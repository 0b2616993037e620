// Multi-task learning on text: sentences of Jane Austen's six novels (examples/data/austen.json.gz,
// from Debian's r-cran-janeaustenr and r-cran-tidytext; see examples/data/README.md) with three
// tasks on one shared encoder: which novel a sentence comes from, its sentiment (labelled from
// the Bing Liu lexicon), and the word hidden behind <mask> (masked-token reconstruction). The
// text goes through polyhead/seq's tokenizer, vocabulary and padding; the encoder is a
// bidirectional GRU, then a transformer encoder. Each encoder is
// trained on the three tasks together (equal weights, EW, and uncertainty weighting, UW) and
// on each task alone; the table gives each task's accuracy and Delta_m, the mean relative
// change of multi-task over single-task.
// The model is then saved with its tokenizer and vocabulary in one safetensors file, read
// back, and asked which novel a new sentence comes from.
//   node examples/austen.mjs            (--quick: a small sample and two epochs, as CI runs it;
//                                        --encoder gru|transformer: only that encoder)
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import {
  init, Rng, Module, Embedding, MultiTaskDataset, task, SharedBottom, Trainer, Adam, concat, reshape, slice, take, tensor, scope, noGrad,
  singleTaskBaselines, compareWithBaselines, UncertaintyWeighting,
} from "polyhead/node";
import { saveWeights, loadWeights, parseSafetensors } from "polyhead/io";
import * as seq from "polyhead/seq";

const { GRU, WordTokenizer, Vocabulary, padBatch, meanOverTime } = seq;
const quick = process.argv.includes("--quick");
await init();

const data = JSON.parse(gunzipSync(readFileSync(new URL("data/austen.json.gz", import.meta.url))).toString("utf8"));
if (data.format !== "polyhead-austen" || data.version !== 1) throw new Error("austen.json.gz: unexpected format");
const tok = WordTokenizer.fromJSON(data.tokenizer);

// a seeded shuffle, 80% train / 20% test; --quick keeps a small sample of each
const order = new Rng(11).permutation(data.rows.length);
const nTrain = quick ? 320 : Math.round(data.rows.length * 0.8), nTest = quick ? 160 : data.rows.length - nTrain;
const rowsOf = (a, b) => Array.from(order.subarray(a, b), (i) => data.rows[i]);
const trainRows = rowsOf(0, nTrain), testRows = rowsOf(nTrain, nTrain + nTest);

// tokens, with the hidden word replaced by <mask>; the vocabulary is fitted on training sentences only
const MASK = "<mask>", MAX_LEN = 40;
const encodeRow = ([novel, sentiment, at, text]) => {
  const t = tok.tokenize(text);
  if (!(at < t.length)) throw new Error(`austen: mask position ${at} is outside "${text}"`);
  const hidden = t[at];
  t[at] = MASK;
  return { novel, sentiment, hidden, tokens: t };
};
const train = trainRows.map(encodeRow), test = testRows.map(encodeRow);
const vocab = Vocabulary.fit(train.map((r) => r.tokens.concat(r.hidden)), { minFreq: quick ? 1 : 2, specials: [MASK] });
const maskId = vocab.id(MASK);

function dataset(rows) {
  // the ids as host data for the dataset (the scope frees the batch's tensors)
  const x = scope(() => Int32Array.from(padBatch(rows.map((r) => vocab.encode(r.tokens)), { maxLength: MAX_LEN, fixedLength: true, padId: vocab.padId }).ids.data()));
  // a hidden word outside the vocabulary is unk: the masked task counts it as a miss either way
  return new MultiTaskDataset({
    x, xShape: [MAX_LEN],
    labels: {
      novel: Int32Array.from(rows, (r) => r.novel),
      sentiment: Int32Array.from(rows, (r) => r.sentiment),
      masked: { values: Int32Array.from(rows, (r) => vocab.id(r.hidden)), numClasses: vocab.size },
    },
  });
}
const trainSet = dataset(train), testSet = dataset(test);
console.log(`austen: ${data.rows.length} sentences from ${data.novels.length} novels; ${trainSet.size} train, ${testSet.size} test; ` +
  `vocabulary ${vocab.size} tokens`);

/**
 * The shared trunk: token ids [B, T] -> [mean over the real steps, the features at <mask>]
 * (so every head reads both: the sentence and the hidden word's context). The batch is cut
 * to its longest sentence first; `encode` maps the embedded tokens [B, L, dim] to features.
 */
class TextEncoder extends Module {
  constructor(vocabSize, dim, rng) {
    super();
    this.embedding = new Embedding(vocabSize, dim, { rng });
  }
  forward(ids) {
    const [B, T] = ids.shape, v = ids.data();
    const lengths = [], at = [];
    for (let b = 0; b < B; b++) {
      let n = 0, m = 0;
      for (let t = 0; t < T; t++) { if (v[b * T + t] !== vocab.padId) n = t + 1; if (v[b * T + t] === maskId) m = t; }
      lengths.push(n);
      at.push(m);
    }
    const L = lengths.reduce((a, n) => Math.max(a, n), 1);
    const h = this.encode(this.embedding.forward(L < T ? slice(ids, 1, 0, L) : ids), lengths);
    const H = h.shape[2];
    const atMask = take(reshape(h, [B * L, H]), at.map((t, b) => b * L + t));
    return concat([meanOverTime(h, { lengths }), atMask], 1);
  }
}

/** A bidirectional GRU over the tokens, padded steps left out through the lengths. */
class GruEncoder extends TextEncoder {
  constructor(vocabSize, { dim, hidden, rng }) {
    super(vocabSize, dim, rng);
    this.rnn = new GRU(dim, hidden, { batchFirst: true, bidirectional: true, rng });
    this.width = 4 * hidden;
  }
  encode(e, lengths) { return this.rnn.forward(e, { lengths }).output; }
}

/** Learned positions and a pre-norm transformer encoder; padding masked out of attention. */
class TransformerTextEncoder extends TextEncoder {
  constructor(vocabSize, { dim, heads, layers, rng }) {
    super(vocabSize, dim, rng);
    this.pos = new seq.LearnedPositionalEmbedding(MAX_LEN, dim, { rng });
    this.encoder = new seq.TransformerEncoder(dim, heads, layers, { dimFeedforward: 2 * dim, dropout: 0.1, batchFirst: true, normFirst: true, norm: true, rng });
    this.width = 2 * dim;
  }
  encode(e, lengths) {
    const [B, L] = e.shape, pad = new Int32Array(B * L);
    lengths.forEach((n, b) => pad.fill(1, b * L + n, (b + 1) * L));
    return this.encoder.forward(this.pos.forward(e), { srcKeyPaddingMask: tensor(pad, [B, L], "int32") });
  }
}

const width = quick ? 32 : 64;
const encoders = { gru: (rng) => new GruEncoder(vocab.size, { dim: width, hidden: width, rng }) };
// polyhead/seq's transformer encoder, where this version of the package has it
if (seq.TransformerEncoder) encoders.transformer = (rng) => new TransformerTextEncoder(vocab.size, { dim: width, heads: 4, layers: 2, rng });
// --encoder gru (or transformer): train only that one
const only = process.argv.includes("--encoder") ? process.argv[process.argv.indexOf("--encoder") + 1] : null;
if (only) {
  if (!encoders[only]) throw new Error(`austen: --encoder ${only}: this polyhead has ${Object.keys(encoders).join(", ")}`);
  for (const k of Object.keys(encoders)) if (k !== only) delete encoders[k];
}

const tasks = [
  task("novel", { kind: "classification", outputs: data.novels.length }),
  task("sentiment", { kind: "classification", outputs: data.sentiments.length }),
  task("masked", { kind: "classification", outputs: vocab.size }),
];
const epochs = quick ? 2 : 5;
const fit = { epochs, batchSize: 32 };
const trainerOptions = { optimizer: (p) => new Adam(p, { lr: 2e-3 }), seed: 5 };
const progress = (label) => (p) => {
  if (p.epochEnd) console.log(`  ${label} epoch ${p.epoch + 1}/${p.epochs}: ` + Object.entries(p.losses).map(([k, l]) => `${k} ${l.toFixed(3)}`).join("  "));
};

const results = [];
let saved = null;
for (const [name, make] of Object.entries(encoders)) {
  const build = (ts) => {
    const trunk = make(new Rng(3));
    return new SharedBottom({ tasks: ts, trunk, trunkOutputs: trunk.width, towers: [], rng: new Rng(4) });
  };
  const t0 = performance.now();
  // the three tasks together, with equal weights and with uncertainty weighting (the masked
  // task's loss is several times the others': equal weights let it dominate the trunk)
  const multi = {};
  for (const [w, weighting] of [["EW", undefined], ["UW", new UncertaintyWeighting(tasks.map((t) => t.name))]]) {
    console.log(`${name}: multi-task (${tasks.map((t) => t.name).join(" + ")}), ${w}`);
    const trainer = new Trainer(build(tasks), { ...trainerOptions, tasks, ...(weighting ? { weighting } : {}) });
    await trainer.fit(trainSet, { ...fit, onProgress: progress(`multi-task ${w}`) });
    multi[w] = trainer.evaluate(testSet);
    if (!saved) saved = { name, build, model: trainer.model };
  }
  const single = await singleTaskBaselines(build, tasks, trainSet, testSet, {
    trainer: trainerOptions, fit: { ...fit, onProgress: progress("single-task") }, onTask: (t) => console.log(`${name}: ${t} alone`),
  });
  results.push({ name, ew: compareWithBaselines(tasks, multi.EW, single), uw: compareWithBaselines(tasks, multi.UW, single), seconds: (performance.now() - t0) / 1000 });
}

// majority-class rates on the test set, for scale
const majority = (key) => {
  const c = new Map();
  for (const r of test) c.set(r[key], (c.get(r[key]) ?? 0) + 1);
  return Math.max(...c.values()) / test.length;
};
console.log(`\nresults (${testSet.size} test sentences; accuracy, higher is better; majority class: novel ${majority("novel").toFixed(3)}, ` +
  `sentiment ${majority("sentiment").toFixed(3)})`);
console.log("| encoder | task | single-task | multi-task EW | multi-task UW |");
console.log("|---|---|---|---|---|");
for (const { name, ew, uw } of results) {
  ew.rows.forEach((r, i) => console.log(`| ${name} | ${r.task} | ${r.single.toFixed(4)} | ${r.multi.toFixed(4)} | ${uw.rows[i].multi.toFixed(4)} |`));
}
const pct = (d) => `${d >= 0 ? "+" : ""}${d.toFixed(2)}%`;
for (const { name, ew, uw, seconds } of results) console.log(`${name}: Delta_m = ${pct(ew.deltaM)} (EW), ${pct(uw.deltaM)} (UW) (${seconds.toFixed(0)} s for the five trainings)`);

// the model with its text pipeline in one file: weights, tokenizer and vocabulary (as JSON in
// the safetensors metadata); read back into a fresh model, it gives the same logits
const file = saveWeights(saved.model, { metadata: { "polyhead.tokenizer": JSON.stringify(tok), "polyhead.vocabulary": JSON.stringify(vocab) } });
const meta = parseSafetensors(file).metadata;
const tok2 = WordTokenizer.fromJSON(JSON.parse(meta["polyhead.tokenizer"])), vocab2 = Vocabulary.fromJSON(meta["polyhead.vocabulary"]);
const model2 = saved.build(tasks);
loadWeights(model2, file);
const sentence = "She could not help being sorry for Mr. Elton, whose manners were so very agreeable to all.";
const logits = (m, t, v) => scope(() => noGrad(() => {
  const words = t.tokenize(sentence);
  words[words.indexOf("agreeable")] = MASK; // every input has one hidden word
  const { ids } = padBatch([v.encode(words)], { maxLength: MAX_LEN });
  return Array.from(m.eval().forward(ids, ["novel"]).outputs.novel.data());
}));
const a = logits(saved.model, tok, vocab), b = logits(model2, tok2, vocab2);
const best = a.indexOf(Math.max(...a));
console.log(`\nsaved ${saved.name} model + tokenizer + vocabulary: ${(file.length / 1024).toFixed(0)} KB; reloaded: ${a.every((v, i) => v === b[i]) ? "identical" : "DIFFERENT"} logits; ` +
  `"${sentence.slice(0, 40)}..." -> ${data.novels[best]}`);
