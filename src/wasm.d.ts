// Module declaration for the inlined Wasm bytes of the universal entry.
declare module "*/build/polyhead.wasm" { const bytes: Uint8Array; export default bytes; }
