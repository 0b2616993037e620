// polyhead/unsupervised: learning from unlabelled data. PCA and factor analysis as
// deterministic float64 utilities; autoencoder and VAE heads, matrix factorisation as
// tasks inside a multi-task model.
export { PCA, type PCAOptions } from "./pca.js";
export { FactorAnalysis, type FactorAnalysisOptions } from "./factor-analysis.js";
export { symmetricEigen, log64, type Eigen } from "./linalg.js";
export { Autoencoder, type AutoencoderOptions } from "./autoencoder.js";
export { VAE, vaeTask, vaeLoss, vaeTerms, type VAEOptions, type VAETask, type VAELossOptions, type Likelihood } from "./vae.js";
export { corrupt, type Denoise } from "./corrupt.js";
export { Consistency, type ConsistencyOptions } from "./consistency.js";
export { MatrixFactorization, type MatrixFactorizationOptions, type Scorer } from "./factorization.js";
export { recallAtK, ndcgAtK, rankItems, type RankingInput } from "./ranking.js";

// The universal API's modules, whole: an entry that reaches only some of them makes esbuild
// cut the universal bundle's code into more chunks, each gzipped on its own (four family
// entries doing so cost dist/index.js ~3 KB of its 60 KB budget). Users of this entry load
// polyhead itself anyway (init).
import "../api.js";
