// nn: modules, layers and initialisers.
export { Module, isParameter } from "./module.js";
export { init, fans, type Initializer } from "./init.js";
export * from "./layers.js";
