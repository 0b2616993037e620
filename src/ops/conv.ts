// Convolution and pooling over NCHW tensors. conv2d is im2col (Wasm) then the `matmul`
// kernel, one image at a time so the column buffer stays one image's size; the backward
// (src/autograd/grads/conv.ts) reuses both, with col2im for the input gradient.
import { K } from "../engine/engine.js";
import { Tensor, checkTensor } from "../tensor.js";
import { needsGrad, record } from "../autograd/tape.js";
import { add } from "./elementwise.js";
import { reshape } from "./shape.js";

/** A size per spatial axis (height, width), or one for both. */
export type Size2 = number | readonly [number, number];

function size2(op: string, name: string, v: Size2, min: number): [number, number] {
  const p: [number, number] = typeof v === "number" ? [v, v] : [v[0], v[1]];
  if (!p.every((d) => Number.isInteger(d) && d >= min)) throw new Error(`${op}: ${name} must be integers >= ${min}, got ${JSON.stringify(v)}`);
  return p;
}

/** Geometry shared by the conv and pooling kernels and their gradient rules. */
export interface Geometry {
  n: number; c: number; h: number; w: number; kh: number; kw: number;
  sh: number; sw: number; ph: number; pw: number; dh: number; dw: number; oh: number; ow: number;
}

function outSize(op: string, x: Tensor, g: Omit<Geometry, "oh" | "ow">): [number, number] {
  const oh = Math.floor((g.h + 2 * g.ph - g.dh * (g.kh - 1) - 1) / g.sh) + 1;
  const ow = Math.floor((g.w + 2 * g.pw - g.dw * (g.kw - 1) - 1) / g.sw) + 1;
  if (oh < 1 || ow < 1) {
    throw new Error(`${op}: a ${g.kh}x${g.kw} window (dilation ${g.dh}x${g.dw}) does not fit input ${x.describe()} ` +
      `with padding ${g.ph}x${g.pw}`);
  }
  return [oh, ow];
}

/** im2col of image i of x into col, with the geometry's sizes. */
export function im2colAt(col: Tensor, x: Tensor, i: number, g: Geometry): void {
  K().im2col(col.ptr, x.ptr + i * g.c * g.h * g.w * 4, g.c, g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.oh, g.ow);
}

/** Options of conv2d: stride, padding, dilation, groups. */
export interface Conv2dOptions {
  stride?: Size2;
  padding?: Size2;
  dilation?: Size2;
  /** Only 1 (no grouped convolution yet). */
  groups?: number;
}

/**
 * 2-d convolution (cross-correlation, as torch): x [N, C, H, W], weight [O, C, kh, kw],
 * bias [O] or null -> [N, O, oh, ow].
 * @example conv2d(x, w, b, { padding: 1 }) // 3x3 "same" convolution
 */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: Conv2dOptions = {}): Tensor {
  const op = "conv2d";
  checkTensor(op, "input", x); checkTensor(op, "weight", weight);
  if (bias !== null) checkTensor(op, "bias", bias);
  if (x.rank !== 4 || x.dtype !== "float32") throw new Error(`${op}: input ${x.describe()} must be float32 [batch, channels, height, width]`);
  if (weight.rank !== 4 || weight.dtype !== "float32") throw new Error(`${op}: weight ${weight.describe()} must be float32 [out_channels, in_channels, kh, kw]`);
  if ((opts.groups ?? 1) !== 1) throw new Error(`${op}: groups = ${opts.groups} is not supported (only 1)`);
  const [n, c, h, w] = x.shape;
  const [o, wc, kh, kw] = weight.shape;
  if (wc !== c) throw new Error(`${op}: input ${x.describe()} has ${c} channels, weight ${weight.describe()} expects ${wc}`);
  if (bias && (bias.rank !== 1 || bias.shape[0] !== o)) throw new Error(`${op}: bias ${bias.describe()} must be [${o}] for weight ${weight.describe()}`);
  const [sh, sw] = size2(op, "stride", opts.stride ?? 1, 1);
  const [ph, pw] = size2(op, "padding", opts.padding ?? 0, 0);
  const [dh, dw] = size2(op, "dilation", opts.dilation ?? 1, 1);
  const part = { n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw };
  const [oh, ow] = outSize(op, x, part);
  const g: Geometry = { ...part, oh, ow };
  const k = c * kh * kw, s = oh * ow;
  const y = new Tensor([n, o, oh, ow]);
  const col = new Tensor([k, s]);
  for (let i = 0; i < n; i++) {
    im2colAt(col, x, i, g);
    K().matmul(y.ptr + i * o * s * 4, weight.ptr, col.ptr, o, s, k, 0, 0, 1, 0);
  }
  col.dispose();
  if (needsGrad(x, weight)) record(y, "conv2d", [x, weight], g);
  return bias ? add(y, reshape(bias, [1, o, 1, 1])) : y;
}

/** Options of maxPool2d: stride and padding. */
export interface Pool2dOptions {
  /** Default: the kernel size. */
  stride?: Size2;
  /** Implicit padding on both sides, at most half the kernel size; never part of a max. */
  padding?: Size2;
}

function poolGeometry(op: string, x: Tensor, kernelSize: Size2, opts: Pool2dOptions): Geometry {
  checkTensor(op, "input", x);
  if ((x.rank !== 4 && x.rank !== 3) || x.dtype !== "float32") throw new Error(`${op}: input ${x.describe()} must be float32 [batch, channels, height, width] or [channels, height, width]`);
  const [kh, kw] = size2(op, "kernelSize", kernelSize, 1);
  const [sh, sw] = size2(op, "stride", opts.stride ?? kernelSize, 1);
  const [ph, pw] = size2(op, "padding", opts.padding ?? 0, 0);
  if (2 * ph > kh || 2 * pw > kw) throw new Error(`${op}: padding ${ph}x${pw} must be at most half the kernel size ${kh}x${kw}`);
  const h = x.shape[x.rank - 2], w = x.shape[x.rank - 1];
  const part = { n: x.size / Math.max(h * w, 1), c: 1, h, w, kh, kw, sh, sw, ph, pw, dh: 1, dw: 1 };
  const [oh, ow] = outSize(op, x, part);
  return { ...part, oh, ow };
}

/**
 * Max over kh x kw windows of each plane; the gradient goes to the (first) maximum.
 * @example maxPool2d(x, 2) // halves height and width
 */
export function maxPool2d(x: Tensor, kernelSize: Size2, opts: Pool2dOptions = {}): Tensor {
  const g = poolGeometry("maxPool2d", x, kernelSize, opts);
  const shape = [...x.shape.slice(0, -2), g.oh, g.ow];
  const y = new Tensor(shape), idx = new Tensor(shape, "int32");
  K().max_pool2d(y.ptr, idx.ptr, x.ptr, g.n, g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.oh, g.ow);
  if (needsGrad(x)) record(y, "max_pool2d", [x], { ...g, idx });
  else idx.dispose();
  return y;
}

/** Options of avgPool2d. */
export interface AvgPool2dOptions extends Pool2dOptions {
  /** Divide by kh*kw even where the window covers padding (torch's default, true). */
  countIncludePad?: boolean;
}

/** Mean over kh x kw windows of each plane. @example avgPool2d(x, 2) */
export function avgPool2d(x: Tensor, kernelSize: Size2, opts: AvgPool2dOptions = {}): Tensor {
  const g = poolGeometry("avgPool2d", x, kernelSize, opts);
  const inc = opts.countIncludePad === false ? 0 : 1;
  const y = new Tensor([...x.shape.slice(0, -2), g.oh, g.ow]);
  K().avg_pool2d(y.ptr, x.ptr, g.n, g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.oh, g.ow, inc);
  if (needsGrad(x)) record(y, "avg_pool2d", [x], { ...g, inc });
  return y;
}
