// polyhead/unsupervised: learning from unlabelled data. PCA and factor analysis as
// deterministic float64 utilities; autoencoder and VAE heads, matrix factorisation as
// tasks inside a multi-task model.
/**
 * Learning from unlabelled data: PCA and factor analysis (deterministic, float64),
 * autoencoder, VAE and consistency (Π-model) auxiliary tasks on a shared trunk, and matrix
 * factorisation / NCF with ranking metrics.
 * Runnable example: [semi-supervised.mjs](../../examples/semi-supervised.mjs).
 * @module polyhead/unsupervised
 */
export { PCA, type PCAOptions } from "./pca.js";
export { FactorAnalysis, type FactorAnalysisOptions } from "./factor-analysis.js";
export { symmetricEigen, log64, type Eigen, type Matrix } from "./linalg.js";
export { Autoencoder, type AutoencoderOptions } from "./autoencoder.js";
export { VAE, vaeTask, vaeLoss, vaeTerms, type VAEOptions, type VAETask, type VAELossOptions, type Likelihood } from "./vae.js";
export { corrupt, type Denoise } from "./corrupt.js";
export { Consistency, type ConsistencyOptions } from "./consistency.js";
export { MatrixFactorization, PairScorer, type MatrixFactorizationOptions, type Scorer } from "./factorization.js";
export { recallAtK, ndcgAtK, rankItems, type RankingInput } from "./ranking.js";

// The universal API's modules, whole, for their place in the module graph: in the edge set
// (one esbuild run with chunk splitting) an entry that reaches only some of them cuts the
// engine into more chunks, each gzipped on its own. In the universal set this is an import
// of dist/index.js itself (build/core-split.mjs). Users of this entry load polyhead anyway.
import "../api.js";
