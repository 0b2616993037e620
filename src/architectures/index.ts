// polyhead/architectures: the multi-task architectures beyond the core's SharedBottom and
// MMoE (soft sharing, cross-stitch, CGC/PLE, DSelect-k, ESMM, MTAN, fusion heads). A subpath entry so
// the universal bundle stays under its size budget: `import { PLE } from "polyhead/architectures"`.
/**
 * Multi-task architectures beyond SharedBottom and MMoE: soft sharing, cross-stitch, CGC/PLE, DSelect-k, fusion heads.
 * @module polyhead/architectures
 */
export { SoftSharing, type SoftSharingOptions } from "../mtl/architectures/soft-sharing.js";
export { CrossStitch, CrossStitchUnit, type CrossStitchOptions } from "../mtl/architectures/cross-stitch.js";
export { CGC, PLE, ExtractionLayer, type CGCOptions, type PLEOptions, type ExtractionGates, type ExtractionResult } from "../mtl/architectures/ple.js";
export { DSelectK, DSelectKGate, smoothStep, type DSelectKOptions, type DSelectKGateOutput } from "../mtl/architectures/dselect-k.js";
export { Fusion, type FusionOptions, type FusionMethod, type FusionWeights } from "../mtl/fusion.js";
export { ESMM, productLogit, type ESMMOptions } from "../mtl/architectures/esmm.js";
export { MTAN, type MTANOptions } from "../mtl/architectures/mtan.js";

// The universal API's modules, whole, for their place in the module graph: in the edge set
// (one esbuild run with chunk splitting) an entry that reaches only some of them cuts the
// engine into more chunks, each gzipped on its own. In the universal set this is an import
// of dist/index.js itself (build/core-split.mjs). Users of this entry load polyhead anyway.
import "../api.js";
