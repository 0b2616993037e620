// polyhead/seq: sequence layers and text in. Recurrent layers (GRU, LSTM) in PyTorch's
// layout, EmbeddingBag, pooling over time, and a dependency-free text pipeline; a subpath
// entry so the universal bundle stays under its size budget.
export { GRU, LSTM, gru, lstm, type RNNOptions, type RNNCallOptions, type RNNOutput, type LSTMOutput, type RNNFunctionalOptions } from "./rnn.js";
export { type LengthsOrMask } from "./mask.js";
