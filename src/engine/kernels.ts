// The Wasm kernels as the host sees them. The binding itself (every export's name and
// signature) is generated from the module into kernels.generated.ts; this file names the
// signatures that families of kernels share, taken from one member so they cannot drift.
import { KERNEL_ARITY, type Kernels } from "./kernels.generated.js";

export { KERNEL_ARITY, type Kernels };

/** Every kernel name the host expects; init() and a test check the module exports exactly these. */
export const KERNEL_NAMES = Object.keys(KERNEL_ARITY) as readonly (keyof typeof KERNEL_ARITY)[];

export type UnaryGrad = Kernels["relu_grad"];
export type RowsOp = Kernels["softmax"];
export type RowsGrad = Kernels["softmax_grad"];
export type LossGrad = Kernels["mse_loss_grad"];
