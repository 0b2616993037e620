// Loss-weighting and gradient-combination methods: one file per method, each citing its paper.
export type { Weighting, WeightingContext } from "./base.js";
export { vdot, vnorm2, vaxpy, vclone, vcombine } from "./base.js";
export { EqualWeighting, StaticWeighting } from "./ew.js";
export { UncertaintyWeighting } from "./uw.js";
export { PCGrad } from "./pcgrad.js";
