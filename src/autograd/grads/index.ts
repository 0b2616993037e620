// Every recorded op's gradient rule, in one table keyed like the op table (../ops.ts):
// the type makes a missing or misspelt rule a build error.
import type { GradRules, OpName } from "../ops.js";
import { elementwiseGrads } from "./elementwise.js";
import { reduceGrads } from "./reduce.js";
import { shapeGrads } from "./shape.js";
import { matmulGrads } from "./matmul.js";
import { softmaxGrads } from "./softmax.js";
import { normGrads } from "./norm.js";
import { lossGrads } from "./loss.js";
import { convGrads } from "./conv.js";

export const GRADIENTS: GradRules<OpName> = {
  ...elementwiseGrads, ...reduceGrads, ...shapeGrads, ...matmulGrads,
  ...softmaxGrads, ...normGrads, ...lossGrads, ...convGrads,
};
