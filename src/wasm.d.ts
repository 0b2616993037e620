// Module declaration for the inlined, gzipped Wasm bytes of the universal entry.
declare module "*/build/polyhead.wasm.gz" { const bytes: Uint8Array; export default bytes; }
