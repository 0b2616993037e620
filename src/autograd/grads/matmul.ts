// Gradient rule of matmul: each case keeps the transposes in the kernel call.
//   C = op(A) op(B):  dop(A) = dC op(B)^T,  dop(B) = op(A)^T dC
import { registerGradient } from "../tape.js";
import { matmul } from "../../ops/matmul.js";

registerGradient("matmul", (n, dC) => {
  const [a, b] = n.inputs;
  const { tA, tB } = n.saved as { tA: boolean; tB: boolean };
  if (!tA && !tB) return [matmul(dC, b, { transB: true }), matmul(a, dC, { transA: true })];
  if (tA && !tB) return [matmul(b, dC, { transB: true }), matmul(a, dC)];
  if (!tA && tB) return [matmul(dC, b), matmul(dC, a, { transA: true })];
  return [matmul(b, dC, { transA: true, transB: true }), matmul(dC, a, { transA: true, transB: true })];
});
