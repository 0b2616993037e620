// Recurrent layers in PyTorch's layout, so state dicts map one to one: GRU (gates r, z, n,
// with b_hn inside r * (W_hn h + b_hn) as torch) and LSTM (gates i, f, g, o), stacked,
// bidirectional, batch-first, and variable lengths by mask or lengths. Composed of the op
// table's ops (matmul, slice, sigmoid, tanh, mul, add), so the gradient is the tape's.
import { Tensor } from "../tensor.js";
import { Module } from "../nn/module.js";
import { Dropout } from "../nn/layers.js";
import { resolveRng, type Initializer } from "../nn/init.js";
import { Rng } from "../random.js";
import { add, mul, sigmoid, sub, tanh } from "../ops/elementwise.js";
import { matmul } from "../ops/matmul.js";
import { concat, reshape, slice, stack, transpose } from "../ops/shape.js";
import { rand, zeros } from "../ops/creation.js";
import { checkOptions, checkSpec, show } from "../validate.js";
import { stepMasks, type LengthsOrMask } from "./mask.js";

export type RNNKind = "gru" | "lstm";
const GATES: Record<RNNKind, number> = { gru: 3, lstm: 4 };

export interface RNNOptions {
  /** Stacked layers (default 1). */
  numLayers?: number;
  /** Biases b_ih and b_hh (default true). */
  bias?: boolean;
  /** Inputs and outputs are [batch, time, features] (default false: [time, batch, features]). */
  batchFirst?: boolean;
  /** Dropout on each layer's output but the last, in training (default 0), as torch. */
  dropout?: number;
  bidirectional?: boolean;
  /** Initialiser of every weight and bias (default torch's, U(+-1/sqrt(hiddenSize))). */
  init?: Initializer;
  rng?: Rng;
}

/** Per-call options: initial states and the valid steps of each sequence. */
export interface RNNCallOptions extends LengthsOrMask {
  /** Initial hidden state [numLayers * directions, batch, hidden] (default zeros). */
  h0?: Tensor;
  /** LSTM only: initial cell state, shaped as h0. */
  c0?: Tensor;
}

export interface RNNOutput {
  /** [time, batch, directions * hidden] ([batch, time, ...] when batch-first); 0 at padded steps. */
  output: Tensor;
  /** Final hidden state [numLayers * directions, batch, hidden]: each sequence's state after its last valid step. */
  h: Tensor;
}
export interface LSTMOutput extends RNNOutput {
  /** Final cell state, shaped as h. */
  c: Tensor;
}

/** The functional form's options: the module's per-call options plus the input layout. */
export interface RNNFunctionalOptions extends RNNCallOptions {
  batchFirst?: boolean;
}

interface Layout { layers: number; dirs: number; hidden: number; bias: boolean }

/** Parameter name suffix of layer l, direction d: "_l0", "_l1_reverse". */
const suffix = (l: number, d: number): string => `_l${l}${d ? "_reverse" : ""}`;

/** Layers, directions and hidden size read off torch-named weights; checks every shape. */
function layoutOf(kind: RNNKind, w: Record<string, Tensor>, inputSize: number, owner: string): Layout {
  const hh = w.weight_hh_l0;
  if (!(hh instanceof Tensor) || hh.rank !== 2) throw new Error(`${owner}: weights lack "weight_hh_l0" (a [${GATES[kind]} * hidden, hidden] tensor), got ${show(hh)}`);
  const g = GATES[kind], hidden = hh.shape[1];
  let layers = 0;
  while (w[`weight_ih_l${layers}`]) layers++;
  const dirs = w.weight_ih_l0_reverse ? 2 : 1, bias = !!w.bias_ih_l0;
  for (let l = 0; l < layers; l++) {
    for (let d = 0; d < dirs; d++) {
      const s = suffix(l, d), inF = l === 0 ? inputSize : dirs * hidden;
      const want: [string, number[]][] = [[`weight_ih${s}`, [g * hidden, inF]], [`weight_hh${s}`, [g * hidden, hidden]]];
      if (bias) want.push([`bias_ih${s}`, [g * hidden]], [`bias_hh${s}`, [g * hidden]]);
      for (const [n, shape] of want) {
        const t = w[n];
        if (!(t instanceof Tensor)) throw new Error(`${owner}: weights lack "${n}" [${shape.join(", ")}]`);
        if (`${t.shape}` !== `${shape}` || t.dtype !== "float32") {
          throw new Error(`${owner}: "${n}" is ${t.describe()}, expected float32 [${shape.join(", ")}]${n.startsWith("weight_ih") ? ` (input has ${inF} features)` : ""}`);
        }
      }
    }
  }
  return { layers, dirs, hidden, bias };
}

function checkState(name: string, s: Tensor | undefined, want: number[], owner: string): void {
  if (s === undefined) return;
  if (!(s instanceof Tensor) || `${s.shape}` !== `${want}` || s.dtype !== "float32") {
    throw new Error(`${owner}: ${name} is ${s instanceof Tensor ? s.describe() : show(s)}, expected float32 [${want.join(", ")}] (layers * directions, batch, hidden)`);
  }
}

/** Row k of a [n, B, H] state as [B, H] (zeros when there is no state). */
function stateAt(s: Tensor | undefined, k: number, b: number, h: number): Tensor {
  return s ? reshape(slice(s, 0, k, k + 1), [b, h]) : zeros([b, h]);
}

/**
 * One direction of one layer over [T, B, I] inputs: the input projections of every step in
 * one matmul, then the recurrence. `m[t]` ([B, 1], 1 = valid) selects per sequence between
 * the new state and the old one exactly (m * new + (1 - m) * old), so a padded step leaves
 * the state, and its gradient, as a packed sequence would.
 */
function direction(kind: RNNKind, x: Tensor, w: Record<string, Tensor>, s: string, h0: Tensor, c0: Tensor | null,
  m: (readonly [Tensor, Tensor] | null)[], reverse: boolean): { out: Tensor; h: Tensor; c: Tensor | null } {
  const [T, B, I] = x.shape, H = h0.shape[1], G = GATES[kind] * H;
  const wih = w[`weight_ih${s}`], whh = w[`weight_hh${s}`], bih = w[`bias_ih${s}`], bhh = w[`bias_hh${s}`];
  let gi = matmul(reshape(x, [T * B, I]), wih, { transB: true });
  if (bih) gi = add(gi, bih);
  gi = reshape(gi, [T, B, G]);
  let h = h0, c = c0;
  const outs: Tensor[] = new Array(T);
  for (let k = 0; k < T; k++) {
    const t = reverse ? T - 1 - k : k;
    const git = reshape(slice(gi, 0, t, t + 1), [B, G]);
    let gh = matmul(h, whh, { transB: true });
    if (bhh) gh = add(gh, bhh);
    let hNew: Tensor, cNew: Tensor | null = null;
    if (kind === "gru") {
      const rz = sigmoid(slice(add(git, gh), 1, 0, 2 * H));
      const r = slice(rz, 1, 0, H), z = slice(rz, 1, H, 2 * H);
      const n = tanh(add(slice(git, 1, 2 * H, G), mul(r, slice(gh, 1, 2 * H, G))));
      // (1 - z) n + z h in torch's own order, (h - n) z + n, for the same rounding
      hNew = add(mul(sub(h, n), z), n);
    } else {
      const a = add(git, gh), sg = sigmoid(a);
      const i = slice(sg, 1, 0, H), f = slice(sg, 1, H, 2 * H), o = slice(sg, 1, 3 * H, G);
      const g = tanh(slice(a, 1, 2 * H, 3 * H));
      cNew = add(mul(f, c!), mul(i, g));
      hNew = mul(o, tanh(cNew));
    }
    const mt = m[t];
    if (mt) {
      h = add(mul(mt[0], hNew), mul(mt[1], h));
      if (cNew) c = add(mul(mt[0], cNew), mul(mt[1], c!));
      outs[t] = mul(mt[0], h);
    } else {
      h = hNew;
      c = cNew;
      outs[t] = h;
    }
  }
  return { out: stack(outs, 0), h, c };
}

/**
 * The recurrence over every layer and direction; `between` runs on each layer's output
 * but the last (dropout in the module).
 */
function recurrent(kind: RNNKind, x: Tensor, w: Record<string, Tensor>, o: RNNFunctionalOptions, owner: string,
  between?: (t: Tensor) => Tensor): LSTMOutput | RNNOutput {
  if (!(x instanceof Tensor) || x.rank !== 3 || x.dtype !== "float32") {
    throw new Error(`${owner}: input must be a float32 [${o.batchFirst ? "batch, time" : "time, batch"}, features] tensor, got ${show(x)}`);
  }
  const xt = o.batchFirst ? transpose(x, [1, 0, 2]) : x;
  const [T, B, I] = xt.shape;
  const L = layoutOf(kind, w, I, owner);
  const n = L.layers * L.dirs;
  checkState("h0", o.h0, [n, B, L.hidden], owner);
  if (kind === "gru" && o.c0 !== undefined) throw new Error(`${owner}: c0 is an LSTM's cell state; a GRU has none`);
  checkState("c0", o.c0, [n, B, L.hidden], owner);
  const masks = stepMasks(o, B, T, owner);
  let input = xt;
  const hs: Tensor[] = [], cs: Tensor[] = [];
  for (let l = 0; l < L.layers; l++) {
    if (l > 0 && between) input = between(input);
    const outs: Tensor[] = [];
    for (let d = 0; d < L.dirs; d++) {
      const k = l * L.dirs + d;
      const r = direction(kind, input, w, suffix(l, d), stateAt(o.h0, k, B, L.hidden),
        kind === "lstm" ? stateAt(o.c0, k, B, L.hidden) : null, masks, d === 1);
      outs.push(r.out);
      hs.push(r.h);
      if (r.c) cs.push(r.c);
    }
    input = outs.length === 1 ? outs[0] : concat(outs, 2);
  }
  const output = o.batchFirst ? transpose(input, [1, 0, 2]) : input;
  const h = stack(hs, 0);
  return kind === "lstm" ? { output, h, c: stack(cs, 0) } : { output, h };
}

const CALL_KEYS = ["h0", "lengths", "mask"];

/**
 * GRU over torch-named weights (`weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`,
 * `..._reverse`): layers and directions are read off the names, as a state dict has them.
 * @example const { output, h } = gru(x, model.stateDict(), { lengths: [5, 3] });
 */
export function gru(x: Tensor, weights: Record<string, Tensor>, options?: RNNFunctionalOptions): RNNOutput {
  const o = checkOptions("gru", options, [...CALL_KEYS, "batchFirst"]);
  return recurrent("gru", x, weights, o, "gru");
}

/** LSTM over torch-named weights (gates i, f, g, o); see gru. */
export function lstm(x: Tensor, weights: Record<string, Tensor>, options?: RNNFunctionalOptions): LSTMOutput {
  const o = checkOptions("lstm", options, [...CALL_KEYS, "c0", "batchFirst"]);
  return recurrent("lstm", x, weights, o, "lstm") as LSTMOutput;
}

abstract class RNNBase extends Module {
  readonly numLayers: number;
  readonly bidirectional: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  private drop: Dropout | null;

  constructor(private readonly kind: RNNKind, readonly inputSize: number, readonly hiddenSize: number, options: RNNOptions = {}) {
    super();
    const name = kind.toUpperCase();
    const o = checkSpec(name, options, {
      numLayers: "int", bias: "bool", batchFirst: "bool", dropout: "nonneg", bidirectional: "bool", init: "fn", rng: "any",
    });
    if (!(Number.isInteger(inputSize) && inputSize > 0 && Number.isInteger(hiddenSize) && hiddenSize > 0)) {
      throw new Error(`${name}: sizes must be positive integers, got inputSize=${show(inputSize)}, hiddenSize=${show(hiddenSize)}`);
    }
    if (o.dropout !== undefined && !(o.dropout < 1)) throw new Error(`${name}: dropout must be in [0, 1), got ${o.dropout}`);
    this.numLayers = o.numLayers ?? 1;
    this.bidirectional = o.bidirectional ?? false;
    this.batchFirst = o.batchFirst ?? false;
    this.dropout = o.dropout ?? 0;
    const rng = resolveRng(o.rng);
    this.drop = this.dropout > 0 && this.numLayers > 1 ? new Dropout(this.dropout, rng) : null;
    const b = 1 / Math.sqrt(hiddenSize);
    const init = o.init ?? ((s) => rand(s, -b, b, rng));
    const g = GATES[kind] * hiddenSize, dirs = this.bidirectional ? 2 : 1;
    const self = this as unknown as Record<string, Tensor>;
    // torch's registration order: per layer, per direction, w_ih, w_hh, b_ih, b_hh
    for (let l = 0; l < this.numLayers; l++) {
      for (let d = 0; d < dirs; d++) {
        const s = suffix(l, d), inF = l === 0 ? inputSize : dirs * hiddenSize;
        self[`weight_ih${s}`] = this.param(init([g, inF], rng));
        self[`weight_hh${s}`] = this.param(init([g, hiddenSize], rng));
        if (o.bias !== false) {
          self[`bias_ih${s}`] = this.param(init([g], rng));
          self[`bias_hh${s}`] = this.param(init([g], rng));
        }
      }
    }
  }

  /** The forward pass both layers share; `keys` are the call options this layer accepts. */
  protected run(x: Tensor, options: RNNCallOptions | undefined, keys: string[]): RNNOutput | LSTMOutput {
    const owner = this.label(this.kind.toUpperCase());
    const o = checkOptions(owner, options, keys);
    const w = Object.fromEntries(this.namedParameters().filter(([n]) => !n.includes(".")));
    const drop = this.drop && this.training ? (t: Tensor) => this.drop!.forward(t) : undefined;
    return recurrent(this.kind, x, w, { ...o, batchFirst: this.batchFirst }, owner, drop);
  }
}

/**
 * Gated recurrent unit, as torch.nn.GRU: r = σ(W_ir x + b_ir + W_hr h + b_hr),
 * z = σ(W_iz x + b_iz + W_hz h + b_hz), n = tanh(W_in x + b_in + r (W_hn h + b_hn)),
 * h' = (1 - z) n + z h. Parameters `weight_ih_l0` [3H, I] ... as torch's state dict.
 * @example
 * const enc = new GRU(32, 64, { batchFirst: true, bidirectional: true });
 * const { output, h } = enc.forward(x, { lengths: [7, 4, 5] });
 */
export class GRU extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options?: RNNOptions) { super("gru", inputSize, hiddenSize, options); }
  forward(x: Tensor, options?: RNNCallOptions): RNNOutput { return this.run(x, options, CALL_KEYS); }
}

/**
 * Long short-term memory, as torch.nn.LSTM: gates i, f, g, o stacked in `weight_ih_l0`
 * [4H, I]; c' = f c + i g, h' = o tanh(c').
 * @example const { output, h, c } = new LSTM(16, 32).forward(x);
 */
export class LSTM extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options?: RNNOptions) { super("lstm", inputSize, hiddenSize, options); }
  forward(x: Tensor, options?: RNNCallOptions): LSTMOutput { return this.run(x, options, [...CALL_KEYS, "c0"]) as LSTMOutput; }
}
