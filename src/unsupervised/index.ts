// polyhead/unsupervised: learning from unlabelled data. PCA and factor analysis as
// deterministic float64 utilities; autoencoder and VAE heads, matrix factorisation as
// tasks inside a multi-task model.
export { PCA, type PCAOptions } from "./pca.js";
export { FactorAnalysis, type FactorAnalysisOptions } from "./factor-analysis.js";
export { symmetricEigen, log64, type Eigen } from "./linalg.js";
