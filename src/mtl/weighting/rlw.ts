// RLW: random loss weighting. Each step the loss weights are drawn afresh, softmax of
// standard normal draws (the paper's main variant; they sum to 1).
// Lin, Ye, Zhang and Tsang, "Reasonable Effectiveness of Random Weighting: A Litmus
// Test for Multi-Task Learning", TMLR 2022 (Section 3).
import { softmax } from "./fmath.js";

/** RLW's weights from T standard normal draws. */
export function rlwWeights(normals: number[]): number[] { return softmax(normals); }
