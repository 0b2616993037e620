// The Wasm module's exports: one name per kernel, the same name the TS engine calls.
// Adding a kernel is this one line plus the kernel itself: `npm run build` generates the
// host's binding (src/engine/kernels.generated.ts) from these exports.
export { add, sub, mul, div, maximum, minimum, eq, maxw, minw,
  relu, relu_grad, leaky_relu, leaky_relu_grad, elu, elu_grad, gelu, gelu_grad,
  gelu_tanh, gelu_tanh_grad, sigmoid, sigmoid_grad, tanh, tanh_grad, softplus, softplus_grad,
  exp, exp_grad, log, log_grad, sqrt, sqrt_grad, abs, abs_grad, clamp, clamp_grad,
  neg, neg_grad, square, square_grad, affine, affine_grad } from "./kernels/elementwise";
export { fill, fill_i32, copy, axpy, axpby, dot, sumsq, count_nonfinite, copy2d, add2d, gather_rows, scatter_add_rows } from "./kernels/blas";
export { sum3, max3, max3_grad, expand3, transpose4 } from "./kernels/reduce";
export { rng_uniform, rng_normal, rng_truncnormal, rng_bernoulli, rng_u32 } from "./kernels/rng";
export { matmul, matmul_ref } from "./kernels/matmul";

// First byte the host allocator may hand out (static data lies below it).
export function heap_base(): usize { return __heap_base; }

// Optimisers: fused parameter updates, clipping, and the scalar math the host needs.
export { sgd_step, adam_step, rmsprop_step, adagrad_step, sumsq_f64, scale } from "./kernels/optim";
export { math_cos } from "./kernels/scalar";
// neural-network families: softmax, losses, normalisation, convolution and pooling
// (their scalar `_ref` twins are exported by assembly/reference.ts, for the tests only)
export { softmax, softmax_grad, log_softmax, log_softmax_grad, logsumexp, logsumexp_grad } from "./kernels/softmax";
export { cross_entropy, cross_entropy_grad, binary_cross_entropy_with_logits,
  binary_cross_entropy_with_logits_grad, mse_loss, mse_loss_grad, l1_loss, l1_loss_grad, huber_loss, huber_loss_grad } from "./kernels/loss";
export { layer_norm, layer_norm_grad, batch_norm, batch_norm_grad } from "./kernels/norm";
export { im2col, col2im, max_pool2d, max_pool2d_grad, avg_pool2d, avg_pool2d_grad } from "./kernels/conv";
// attention: masked softmax, matmul batched over heads, sinusoidal positions
export { masked_softmax, bmm, sinusoidal_positions } from "./kernels/attention";
