// The suite's workloads, shared by its JavaScript side (js.mjs) and described for its
// PyTorch side (torch_peer.py reads the spec from the inputs file js.mjs writes): the
// model, batch, tasks, method and which JavaScript peers run it. One definition, so every
// implementation trains the same model on the same batch.

// [name, kind, outputs]; losses are the kinds' defaults (BCE with logits, MSE, cross-entropy), summed
const TWO = [["click", "binary", 1], ["value", "regression", 1]];
const FIVE = Array.from({ length: 5 }, (_, i) => [`t${i}`, "regression", 1]);
const HEADS = [["digit", "classification", 10], ["parity", "binary", 1]];

const SB = { model: "shared-bottom", input: [100], trunk: [256, 256], towers: [64], tasks: TWO, B: 256 };
// the real-data MLP (784 -> 256 -> 128, two heads), for inference
const MLP784 = { model: "shared-bottom", input: [784], trunk: [256, 128], towers: [], tasks: HEADS };

export const WORKLOADS = {
  // training steps: forward + backward + Adam (lr 1e-3), losses summed
  "shared-bottom": { kind: "train", ...SB, peers: ["tfjs-wasm", "tfjs-wasm-transposed", "tfjs-cpu", "jax-js"] },
  "mmoe": { kind: "train", ...SB, model: "mmoe", experts: 4, expertWidths: [256], peers: ["tfjs-wasm-transposed", "jax-js"] },
  // tfjs-wasm registers no Conv2DBackpropFilter kernel (it cannot train a CNN): tfjs-cpu instead
  "cnn": { kind: "train", model: "cnn", input: [1, 28, 28], tasks: HEADS, B: 64, peers: ["tfjs-cpu", "jax-js"] },
  "tabular": { kind: "train", model: "shared-bottom", input: [78], binaryInputs: true, trunk: [64, 64], towers: [32], tasks: TWO, B: 32, peers: ["tfjs-wasm-transposed", "jax-js"] },
  // per-task gradients of the shared part (5 backward passes), then PCGrad's projections or
  // MGDA's min-norm weights from their Gram matrix. PCGrad visits the tasks in a random
  // order that no peer shares, so trajectories agree less tightly.
  "pcgrad-5": { kind: "train", ...SB, tasks: FIVE, method: "PCGrad", peers: [], lastTol: 0.05 },
  // MGDA with the exact min-norm point (Frank-Wolfe's stopping point moves with the last bits
  // of the Gram matrix, and the trajectories drift apart by 8% in 10 steps)
  "mgda-5": { kind: "train", ...SB, tasks: FIVE, method: "MGDA", peers: [], lastTol: 0.02 },
  // inference in eval mode without the tape
  "infer-b1": { kind: "infer", ...MLP784, rows: 1, peers: ["tfjs-wasm", "jax-js"] },
  "infer-b256": { kind: "infer", ...MLP784, rows: 256, peers: ["tfjs-wasm", "jax-js"] },
  "score-10k": { kind: "infer", ...MLP784, rows: 10000, evaluate: true, peers: ["tfjs-wasm", "jax-js"] },
  "matmul": { kind: "matmul" },
};

/** The matmul shapes [m, k, n] (op(A) m x k, op(B) k x n): squares, then a training step's (batch 256). */
export function matmulShapes(quick) {
  return quick
    ? [[128, 128, 128], [256, 100, 256]]
    : [[128, 128, 128], [256, 256, 256], [512, 512, 512], [1024, 1024, 1024], [256, 100, 256], [256, 256, 64], [256, 512, 512]];
}
export const COMBOS = [[false, false], [true, false], [false, true], [true, true]];
export const comboTag = ([tA, tB]) => (tA ? "T" : "N") + (tB ? "T" : "N");
