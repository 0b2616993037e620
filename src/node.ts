// Node, Deno and Bun helpers beside the universal API: the only module that may use
// node: built-ins (files, terminal progress). Everything else comes from index.ts.
export * from "./index.js";
