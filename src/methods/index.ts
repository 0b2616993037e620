// polyhead/methods: the multi-task optimisation methods beyond the core's four (EW,
// static, UW, PCGrad), each registering itself by name on import, plus the solvers and
// pure combination rules they are built from. A subpath entry so the universal bundle
// stays small: `import { MGDA, CAGrad } from "polyhead/methods"`.
/**
 * Multi-task optimisation methods beyond the core four (MGDA, CAGrad, Nash-MTL, GradNorm, ...), each
 * registered by name on import, and the solvers they are built from.
 * @module polyhead/methods
 */
export { MGDA, mgdaWeights, mgdaScales, type MgdaOptions, type MgdaNormalization } from "../mtl/weighting/mgda.js";
export { CAGrad, cagradWeights } from "../mtl/weighting/cagrad.js";
export { IMTL, imtlGWeights } from "../mtl/weighting/imtl.js";
export { NashMTL, nashMtlWeights } from "../mtl/weighting/nashmtl.js";
export { FairGrad, fairGradWeights } from "../mtl/weighting/fairgrad.js";
export { UPGrad, DualProj, upgradWeights, dualProjWeights } from "../mtl/weighting/upgrad.js";
export { AlignedMTL, alignedMtlWeights } from "../mtl/weighting/alignedmtl.js";
export { ConFIG, configWeights } from "../mtl/weighting/config.js";
export { SDMGrad, sdmGradWeights } from "../mtl/weighting/sdmgrad.js";
export { Krum, krumWeights } from "../mtl/weighting/krum.js";
export { TrimmedMean, trimmedMean } from "../mtl/weighting/trimmedmean.js";
export { GradVac, gradVacWeights } from "../mtl/weighting/gradvac.js";
export { GradDrop, gradDrop } from "../mtl/weighting/graddrop.js";
export { DBMTL, dbMtlScales } from "../mtl/weighting/dbmtl.js";
export { MoCo, mocoLambda } from "../mtl/weighting/moco.js";
export { MoDo, modoLambda } from "../mtl/weighting/modo.js";
export { CRMOGM, crMogmWeights } from "../mtl/weighting/crmogm.js";
export { ExcessMTL, excessMtlWeights, excessRisk } from "../mtl/weighting/excessmtl.js";
export { DWA, dwaWeights } from "../mtl/weighting/dwa.js";
export { GradNorm, gradNormGrad, gradNormRenormalize } from "../mtl/weighting/gradnorm.js";
export { RLW, rlwWeights } from "../mtl/weighting/rlw.js";
export { GLS, glsWeights } from "../mtl/weighting/gls.js";
export { FAMO, famoWeights, famoLogitGrad, adamStep } from "../mtl/weighting/famo.js";
export { STCH, stchWeights } from "../mtl/weighting/stch.js";
export { PBI, pbiWeights } from "../mtl/weighting/pbi.js";
/** The small solvers behind the gradient-combination methods (min-norm, simplex projection, small QPs), over Gram matrices. */
export * as solvers from "../mtl/weighting/solvers.js";
export { PreferenceScalarisation, type GradientSpace } from "../mtl/weighting/plugin.js";
export { ConflictMonitor, gramConflicts, type ConflictStats, type ConflictMonitorOptions } from "../mtl/weighting/monitor.js";
export { AutoLambda, type AutoLambdaOptions } from "../mtl/weighting/autolambda.js";
export { BilevelWeighting, type WeightAdam } from "../mtl/weighting/bilevel.js";
export { MOML, momlDirection, type MomlOptions } from "../mtl/weighting/moml.js";
export { FORUM, type ForumOptions } from "../mtl/weighting/forum.js";
export type { BilevelAccess } from "../mtl/weighting/context.js";
export { TaskAffinity, suggestTaskGroups, type TaskAffinityStats, type TaskAffinityOptions, type TaskGroups } from "../mtl/weighting/tag.js";
export { layerwiseGram, applyWeightsOnePass } from "../mtl/weighting/autogram.js";

// The universal API's modules, whole, for their place in the module graph: in the edge set
// (one esbuild run with chunk splitting) an entry that reaches only some of them cuts the
// engine into more chunks, each gzipped on its own. In the universal set this is an import
// of dist/index.js itself (build/core-split.mjs). Users of this entry load polyhead anyway.
import "../api.js";
