// The public API, shared by every entry point (index.ts, edge.ts, node.ts).
export { init, simdSupported, memoryStats, resetMemoryPeak, type InitOptions, type MemoryStats } from "./engine/engine.js";
export { scope, scopeDepth } from "./engine/scope.js";
export { Tensor, type DType, type Shape } from "./tensor.js";
export { Rng, seed, type RngState } from "./random.js";
export * from "./ops/creation.js";
export * from "./ops/elementwise.js";
export * from "./ops/reduce.js";
export * from "./ops/shape.js";
export * from "./ops/matmul.js";
export * from "./autograd/index.js";
export * from "./nn/index.js";
export * from "./data/index.js";
export * from "./mtl/index.js";
// Optimisers, learning-rate schedules and gradient clipping.
export * from "./optim/index.js";

// neural-network ops: softmax family, normalisation, embedding, losses, convolution and pooling
export * from "./ops/softmax.js";
export * from "./ops/norm.js";
export * from "./ops/loss.js";
export { conv2d, maxPool2d, avgPool2d, type Size2, type Conv2dOptions, type Pool2dOptions, type AvgPool2dOptions } from "./ops/conv.js";
