// The Wasm kernels as the host sees them: one entry per export of assembly/index.ts,
// same name. Pointers are byte offsets into the module's linear memory.
type P = number; // pointer (byte offset)
type I = number; // i32
type F = number; // f32 / f64 scalar

export type Binary3 = (o: P, a: P, b: P, d0: I, d1: I, d2: I, as0: I, as1: I, as2: I, bs0: I, bs1: I, bs2: I) => void;
export type Unary = (o: P, x: P, n: I, p0: F, p1: F) => void;
export type UnaryGrad = (dx: P, x: P, y: P, dy: P, n: I, p0: F, p1: F) => void;

export interface Kernels {
  memory: WebAssembly.Memory;
  heap_base(): P;
  add: Binary3; sub: Binary3; mul: Binary3; div: Binary3; maximum: Binary3; minimum: Binary3; eq: Binary3; maxw: Binary3; minw: Binary3;
  relu: Unary; relu_grad: UnaryGrad; leaky_relu: Unary; leaky_relu_grad: UnaryGrad;
  elu: Unary; elu_grad: UnaryGrad; gelu: Unary; gelu_grad: UnaryGrad;
  gelu_tanh: Unary; gelu_tanh_grad: UnaryGrad; sigmoid: Unary; sigmoid_grad: UnaryGrad;
  tanh: Unary; tanh_grad: UnaryGrad; softplus: Unary; softplus_grad: UnaryGrad;
  exp: Unary; exp_grad: UnaryGrad; log: Unary; log_grad: UnaryGrad; sqrt: Unary; sqrt_grad: UnaryGrad;
  abs: Unary; abs_grad: UnaryGrad; clamp: Unary; clamp_grad: UnaryGrad; neg: Unary; neg_grad: UnaryGrad;
  square: Unary; square_grad: UnaryGrad; affine: Unary; affine_grad: UnaryGrad;
  fill(out: P, n: I, value: F): void;
  fill_i32(out: P, n: I, value: I): void;
  copy(out: P, x: P, n: I): void;
  axpy(y: P, x: P, n: I, alpha: F): void;
  axpby(out: P, x: P, y: P, n: I, a: F, b: F): void;
  dot(x: P, y: P, n: I): F;
  sumsq(x: P, n: I): F;
  count_nonfinite(x: P, n: I): I;
  copy2d(out: P, x: P, rows: I, cols: I, outStride: I, xStride: I): void;
  add2d(out: P, x: P, rows: I, cols: I, outStride: I, xStride: I): void;
  gather_rows(out: P, x: P, idx: P, n: I, row: I): void;
  scatter_add_rows(dx: P, dy: P, idx: P, n: I, row: I): void;
  sum3(out: P, x: P, d0: I, d1: I, d2: I): void;
  max3(out: P, idx: P, x: P, d0: I, d1: I, d2: I): void;
  max3_grad(dx: P, idx: P, dy: P, d0: I, d1: I, d2: I): void;
  expand3(out: P, x: P, d0: I, d1: I, d2: I): void;
  transpose4(out: P, x: P, d0: I, d1: I, d2: I, d3: I): void;
  rng_uniform(out: P, n: I, k0: I, k1: I, counter: F, low: F, high: F): void;
  rng_normal(out: P, n: I, k0: I, k1: I, counter: F, mean: F, std: F): void;
  rng_truncnormal(out: P, n: I, k0: I, k1: I, counter: F, mean: F, std: F, limit: F): void;
  rng_bernoulli(out: P, n: I, k0: I, k1: I, counter: F, p: F, scale: F): void;
  rng_u32(out: P, n: I, k0: I, k1: I, counter: F): void;
  matmul(c: P, a: P, b: P, m: I, n: I, k: I, transA: I, transB: I, alpha: F, beta: F): void;
  matmul_ref(c: P, a: P, b: P, m: I, n: I, k: I, transA: I, transB: I, alpha: F, beta: F): void;

  // optimisers (assembly/kernels/optim.ts, scalar.ts)
  sgd_step(p: P, g: P, buf: P, n: I, lr: F, momentum: F, oneMinusDampening: F, wd: F, l1: F, flags: I): void;
  adam_step(p: P, g: P, m: P, v: P, vmax: P, n: I, stepSize: F, bc2Sqrt: F, w1: F, w2: F, beta2: F, eps: F,
    wd: F, decay: F, l1: F, amsgrad: I): void;
  rmsprop_step(p: P, g: P, sq: P, gavg: P, buf: P, n: I, lr: F, alpha: F, w: F, eps: F, wd: F, momentum: F,
    l1: F, centered: I): void;
  adagrad_step(p: P, g: P, sum: P, n: I, clr: F, eps: F, wd: F, l1: F): void;
  sumsq_f64(x: P, n: I): F;
  scale(x: P, n: I, c: F): void;
  math_cos(x: F): F;
  // neural-network families (assembly/kernels/{softmax,loss,norm,conv}.ts); weight/mask
  // pointers may be 0 (none); loss forwards return the total weight they counted
  softmax: RowsOp; softmax_grad: RowsGrad; log_softmax: RowsOp; log_softmax_grad: RowsGrad; logsumexp: RowsOp;
  logsumexp_grad(dx: P, x: P, out: P, dy: P, rows: I, cols: I): void;
  cross_entropy: CrossEntropy; cross_entropy_grad: CrossEntropyGrad;
  bce_with_logits: Loss; bce_with_logits_grad: LossGrad; mse_loss: Loss; mse_loss_grad: LossGrad;
  l1_loss: Loss; l1_loss_grad: LossGrad; huber_loss: Loss; huber_loss_grad: LossGrad;
  layer_norm: LayerNorm; layer_norm_grad: LayerNormGrad; batch_norm: BatchNorm; batch_norm_grad: BatchNormGrad;
  im2col: Im2col; col2im: Im2col;
  max_pool2d(out: P, idx: P, x: P, planes: I, h: I, w: I, kh: I, kw: I, sh: I, sw: I, ph: I, pw: I, oh: I, ow: I): void;
  max_pool2d_grad(dx: P, idx: P, dy: P, planes: I, h: I, w: I, oh: I, ow: I): void;
  avg_pool2d(out: P, x: P, planes: I, h: I, w: I, kh: I, kw: I, sh: I, sw: I, ph: I, pw: I, oh: I, ow: I, includePad: I): void;
  avg_pool2d_grad(dx: P, dy: P, planes: I, h: I, w: I, kh: I, kw: I, sh: I, sw: I, ph: I, pw: I, oh: I, ow: I, includePad: I): void;
}

/** Every kernel name the host expects; a test checks the Wasm module exports exactly these. */
export const KERNEL_NAMES: readonly (keyof Kernels)[] = [
  "heap_base", "add", "sub", "mul", "div", "maximum", "minimum", "eq", "maxw", "minw",
  "relu", "relu_grad", "leaky_relu", "leaky_relu_grad", "elu", "elu_grad", "gelu", "gelu_grad",
  "gelu_tanh", "gelu_tanh_grad", "sigmoid", "sigmoid_grad", "tanh", "tanh_grad", "softplus", "softplus_grad",
  "exp", "exp_grad", "log", "log_grad", "sqrt", "sqrt_grad", "abs", "abs_grad", "clamp", "clamp_grad",
  "neg", "neg_grad", "square", "square_grad", "affine", "affine_grad",
  "fill", "fill_i32", "copy", "axpy", "axpby", "dot", "sumsq", "count_nonfinite",
  "copy2d", "add2d", "gather_rows", "scatter_add_rows",
  "sum3", "max3", "max3_grad", "expand3", "transpose4",
  "rng_uniform", "rng_normal", "rng_truncnormal", "rng_bernoulli", "rng_u32",
  "matmul", "matmul_ref",
  // optimisers
  "sgd_step", "adam_step", "rmsprop_step", "adagrad_step", "sumsq_f64", "scale", "math_cos",

  // neural-network families
  "softmax", "softmax_grad", "log_softmax", "log_softmax_grad", "logsumexp", "logsumexp_grad",
  "cross_entropy", "cross_entropy_grad", "bce_with_logits", "bce_with_logits_grad",
  "mse_loss", "mse_loss_grad", "l1_loss", "l1_loss_grad", "huber_loss", "huber_loss_grad",
  "layer_norm", "layer_norm_grad", "batch_norm", "batch_norm_grad",
  "im2col", "col2im", "max_pool2d", "max_pool2d_grad", "avg_pool2d", "avg_pool2d_grad",
];

// Signatures of the neural-network kernels (shared by their `_ref` twins in assembly/reference.ts).
export type RowsOp = (y: P, x: P, rows: I, cols: I) => void;
export type RowsGrad = (dx: P, y: P, dy: P, rows: I, cols: I) => void;
export type CrossEntropy = (loss: P, lse: P, x: P, labels: P, w: P, rows: I, cols: I, eps: F, ignore: I) => F;
export type CrossEntropyGrad = (dx: P, x: P, lse: P, labels: P, w: P, dloss: P, rows: I, cols: I, eps: F, ignore: I) => void;
export type Loss = (loss: P, x: P, t: P, w: P, n: I, p: F) => F;
export type LossGrad = (dx: P, dt: P, x: P, t: P, w: P, dloss: P, n: I, p: F) => void;
export type LayerNorm = (y: P, mean: P, rstd: P, x: P, w: P, b: P, rows: I, cols: I, eps: F) => void;
export type LayerNormGrad = (dx: P, dw: P, db: P, dy: P, x: P, mean: P, rstd: P, w: P, rows: I, cols: I) => void;
export type BatchNorm = (y: P, mean: P, rstd: P, x: P, w: P, b: P, rm: P, rv: P, n: I, c: I, s: I, eps: F, momentum: F, training: I) => void;
export type BatchNormGrad = (dx: P, dw: P, db: P, dy: P, x: P, mean: P, rstd: P, w: P, n: I, c: I, s: I, training: I) => void;
export type Im2col = (col: P, x: P, c: I, h: I, w: I, kh: I, kw: I, sh: I, sw: I, ph: I, pw: I, dh: I, dw: I, oh: I, ow: I) => void;
