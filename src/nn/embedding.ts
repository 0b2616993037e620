// Embedding: a table of vectors looked up by integer index (gather_rows underneath; the
// gradient scatters back into the rows used, repeats accumulating in a fixed order).
import { Tensor } from "../tensor.js";
import { Module } from "./module.js";
import { initializers, resolveRng, type Initializer } from "./init.js";
import { Rng } from "../random.js";
import { embedding } from "../ops/shape.js";

/** Options of the Embedding layer. */
export interface EmbeddingOptions {
  /** Default: N(0, 1), as torch. */
  weightInit?: Initializer;
  rng?: Rng;
}

/**
 * indices (int32, any shape) -> [...indices.shape, embeddingDim].
 * @example const emb = new Embedding(1000, 32); emb.forward(tokenIds)
 */
export class Embedding extends Module {
  weight: Tensor;
  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, opts: EmbeddingOptions = {}) {
    super();
    if (!(Number.isInteger(numEmbeddings) && numEmbeddings > 0 && Number.isInteger(embeddingDim) && embeddingDim > 0)) {
      throw new Error(`Embedding: sizes must be positive integers, got ${numEmbeddings} x ${embeddingDim}`);
    }
    this.weight = this.param((opts.weightInit ?? initializers.normal(0, 1))([numEmbeddings, embeddingDim], resolveRng(opts.rng)));
  }
  forward(indices: Tensor | ArrayLike<number>): Tensor { return embedding(indices, this.weight); }
}
