// Module declarations for the inlined, gzipped Wasm bytes of the universal entry, and the raw bytes of polyhead/fast's and polyhead/threads' (both its builds).
declare module "*/build/polyhead.wasm.gz" { const bytes: Uint8Array; export default bytes; }
declare module "*/build/polyhead-fast.wasm" { const bytes: Uint8Array; export default bytes; }
declare module "*/build/polyhead-threads.wasm" { const bytes: Uint8Array; export default bytes; }
declare module "*/build/polyhead-threads-fast.wasm" { const bytes: Uint8Array; export default bytes; }
