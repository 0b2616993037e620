// The threaded build's exports (build/polyhead-threads.wasm, asc --enable threads with an
// imported shared memory): every kernel of the default build, plus what lets one instance
// per thread share that memory: matmul over a block of C, and each instance's own packing
// region. The default build (assembly/index.ts) is unchanged by this file.
export * from "./index";
export { matmul_part, matmul_scratch, matmul_scratch_bytes } from "./kernels/matmul";
