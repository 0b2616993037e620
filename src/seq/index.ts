// polyhead/seq: sequence layers and text in. Recurrent layers (GRU, LSTM) in PyTorch's
// layout, EmbeddingBag, pooling over time, and a dependency-free text pipeline; a subpath
// entry so the universal bundle stays under its size budget.
export { GRU, LSTM, gru, lstm, type RNNOptions, type RNNCallOptions, type RNNOutput, type LSTMOutput, type RNNFunctionalOptions } from "./rnn.js";
export { type LengthsOrMask } from "./mask.js";
export { EmbeddingBag, embeddingBag, type BagMode, type EmbeddingBagOptions, type EmbeddingBagCallOptions, type EmbeddingBagFunctionalOptions } from "./bag.js";
export { meanOverTime, maxOverTime, firstStep, lastStep } from "./pool.js";
export {
  WordTokenizer, ByteTokenizer, WORD_PATTERN, type WordTokenizerOptions, type WordTokenizerJSON, type ByteTokenizerOptions, type ByteTokenizerJSON,
} from "./text/tokenize.js";
export { Vocabulary, VOCABULARY_FORMAT, type VocabularyOptions, type VocabularyJSON } from "./text/vocab.js";
export { padBatch, type PadOptions, type PaddedBatch } from "./text/batch.js";
