// nn: modules, layers and initialisers.
export { Module, isParameter, type SavedValue, type LoadStateDictOptions } from "./module.js";
export { initializers, fans, type Initializer } from "./init.js";
export * from "./layers.js";

// neural-network layers: normalisation, convolution and pooling, embedding
export * from "./norm.js";
export * from "./conv.js";
export * from "./embedding.js";
