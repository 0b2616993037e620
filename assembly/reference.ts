// The scalar references of the SIMD neural-network kernels, for the tests only: built to
// build/polyhead-ref.wasm and never shipped (they would cost the bundle ~2 KB gzipped).
// Each is the shipped kernel's own generic body with T = f32, defined beside it.
export { softmax_ref, softmax_grad_ref, log_softmax_ref, log_softmax_grad_ref, logsumexp_ref } from "./kernels/softmax";
export { cross_entropy_ref, cross_entropy_grad_ref } from "./kernels/loss";
export { masked_softmax_ref, bmm_ref } from "./kernels/attention";
export { layer_norm_ref, layer_norm_grad_ref, batch_norm_ref, batch_norm_grad_ref } from "./kernels/norm";

export function heap_base(): usize { return __heap_base; }
