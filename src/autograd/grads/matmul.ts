// Gradient rules of matmul and bmm (one rule over either product): each case keeps the
// transposes in the kernel call.
//   C = op(A) op(B):  dop(A) = dC op(B)^T,  dop(B) = op(A)^T dC
// An operand whose gradient is not needed (a batch of inputs into the first layer, or a
// weight the caller of gradients() did not ask about) gets none: its product would cost
// as much as the other one and be thrown away.
import type { GradRule, GradRules } from "../ops.js";
import { bmm, matmul, type MatmulOptions } from "../../ops/matmul.js";
import type { Tensor } from "../../tensor.js";

type Product = (a: Tensor, b: Tensor, opts?: MatmulOptions) => Tensor;

function productRule(matmul: Product): GradRule<"matmul" | "bmm"> {
  return (n, dC, _out, needs) => {
    const [a, b] = n.inputs;
    const { tA, tB } = n.saved;
    const da = !needs[0] ? null
      : !tA && !tB ? matmul(dC, b, { transB: true })
      : tA && !tB ? matmul(b, dC, { transB: true })
      : !tA && tB ? matmul(dC, b)
      : matmul(b, dC, { transA: true, transB: true });
    const db = !needs[1] ? null
      : !tA && !tB ? matmul(a, dC, { transA: true })
      : tA && !tB ? matmul(a, dC)
      : !tA && tB ? matmul(dC, a, { transA: true })
      : matmul(dC, a, { transA: true, transB: true });
    return [da, db];
  };
}

export const matmulGrads = {
  matmul: productRule(matmul),
  bmm: productRule(bmm),
} satisfies GradRules<"matmul" | "bmm">;
