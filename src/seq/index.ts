// polyhead/seq: sequence layers and text in. Recurrent layers (GRU, LSTM) in PyTorch's
// layout, EmbeddingBag, pooling over time, and a dependency-free text pipeline; attention
// (scaled dot-product, multi-head in nn.MultiheadAttention's layout), transformer encoders
// and positional encodings, with the ops they run on (masked softmax, matmul batched over
// heads). A subpath entry so the universal bundle stays under its size budget.
/**
 * Sequence layers in PyTorch's layouts (GRU, LSTM, EmbeddingBag, attention, transformer
 * encoders, positions) and a text pipeline (tokenizers, vocabulary, padding).
 * Runnable example: [austen.mjs](../../examples/austen.mjs) (three tasks on sentences, a GRU and a transformer encoder).
 * @module polyhead/seq
 */
export { GRU, LSTM, gru, lstm, type RNNOptions, type RNNCallOptions, type RNNOutput, type LSTMOutput, type RNNFunctionalOptions } from "./rnn.js";
export { type LengthsOrMask } from "./mask.js";
export { EmbeddingBag, embeddingBag, type BagMode, type EmbeddingBagOptions, type EmbeddingBagCallOptions, type EmbeddingBagFunctionalOptions } from "./bag.js";
export { meanOverTime, maxOverTime, firstStep, lastStep } from "./pool.js";
export {
  WordTokenizer, ByteTokenizer, WORD_PATTERN, type WordTokenizerOptions, type WordTokenizerJSON, type ByteTokenizerOptions, type ByteTokenizerJSON,
} from "./text/tokenize.js";
export { Vocabulary, VOCABULARY_FORMAT, type VocabularyOptions, type VocabularyJSON } from "./text/vocab.js";
export { padBatch, type PadOptions, type PaddedBatch } from "./text/batch.js";
export { maskedSoftmax, sinusoidalPositions, additiveMask, type MaskedSoftmaxOptions } from "../ops/attention.js";
export { bmm } from "../ops/matmul.js";
export {
  scaledDotProductAttention, causalMask, combineMasks, MultiheadAttention,
  type AttentionMasks, type AttentionOptions, type MultiheadAttentionOptions, type MultiheadAttentionCall,
} from "./attention.js";
export {
  TransformerEncoderLayer, TransformerEncoder,
  type TransformerEncoderLayerOptions, type TransformerEncoderOptions, type EncoderMasks,
} from "./transformer.js";
export {
  LearnedPositionalEmbedding, SinusoidalPositionalEncoding,
  type PositionalOptions, type LearnedPositionalOptions, type SinusoidalOptions,
} from "./positional.js";

// The universal API's modules, whole, for their place in the module graph: in the edge set
// (one esbuild run with chunk splitting) an entry that reaches only some of them cuts the
// engine into more chunks, each gzipped on its own. In the universal set this is an import
// of dist/index.js itself (build/core-split.mjs). Users of this entry load polyhead anyway.
import "../api.js";
