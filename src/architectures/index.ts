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

// The universal API's modules, whole: an entry that reaches only some of them makes esbuild
// cut the universal bundle's code into more chunks, each gzipped on its own (four family
// entries doing so cost dist/index.js ~3 KB of its 60 KB budget). Users of this entry load
// polyhead itself anyway (init).
import "../api.js";
