// Loss-weighting and gradient-combination methods: one file per method, each citing its
// paper and registering itself by name. The contract is in ./context.ts.
export type { Weighting } from "./base.js";
export type { WeightingContext } from "./context.js";
export { vdot, vnorm2, vaxpy, vclone, vcombine, vgram } from "../../ops/vector.js";
export { registerWeighting, createWeighting, weightingNames, type WeightingFactory } from "./registry.js";
export { EqualWeighting, StaticWeighting } from "./ew.js";
export { UncertaintyWeighting } from "./uw.js";
export { PCGrad } from "./pcgrad.js";
