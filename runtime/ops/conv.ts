// torch.nn.functional's conv1d / conv2d, max_pool2d and avg_pool2d on the CPU,
// and the kernels their derivatives are written with (compiler/ops/tensor.ts):
// the transposed convolution (convolution_backward's grad_input), the weight's
// correlation of input and cotangent (grad_weight), the max pool's gather and
// scatter at each window's first max, the average pool's spread. A 1-D
// convolution runs as a 2-D one of height 1. Sums are taken in float64.

import { Tensor } from "../tensor.js";
import { alloc, floatOf, promote, type FloatDType } from "../dtype.js";
import { describe, fmt } from "../shape.js";
import { tensorArg } from "../check.js";

/** An integer argument as PyTorch takes it: one integer for every spatial dim, or one per dim. */
export type IntArg = number | readonly number[];

/** `v` as one integer per spatial dim (PyTorch's _single / _pair), each at least `min`. */
function perDim(op: string, what: string, v: unknown, sp: number, dflt: number, min: number): number[] {
  if (v === undefined || v === null) return new Array<number>(sp).fill(dflt);
  const xs = typeof v === "number" ? new Array<number>(sp).fill(v) : Array.isArray(v) && (v.length === sp || v.length === 1) ? (v.length === 1 ? new Array<number>(sp).fill(v[0]) : [...v]) : undefined;
  const want = sp === 1 ? "an integer" : `an integer or an array of ${sp} integers`;
  if (!xs || xs.some((x) => typeof x !== "number")) throw new TypeError(`${op}: ${what} must be ${want}, got ${describe(v)}`);
  if (xs.some((x) => !Number.isInteger(x) || x < min)) throw new RangeError(`${op}: ${what} must be ${min === 0 ? "non-negative" : "positive"} integers, got ${JSON.stringify(v)}`);
  return xs;
}

/** [N, C, H, W] of an input [C, ...spatial] or [N, C, ...spatial] (a 1-D input reads as height 1), and whether it had N. */
function planes(op: string, x: Tensor, sp: number): { dims: [number, number, number, number]; batched: boolean } {
  const s = x.shape;
  if (s.length !== sp + 1 && s.length !== sp + 2) {
    const names = sp === 1 ? "L" : "H, W";
    throw new RangeError(`${op}: input must be [C, ${names}] (unbatched) or [N, C, ${names}] (batched), got ${fmt(s)}`);
  }
  const batched = s.length === sp + 2;
  const [n, c, ...rest] = batched ? s : [1, ...s];
  return { dims: [n, c, sp === 1 ? 1 : rest[0], rest[sp - 1]], batched };
}

// ---------------------------------------------------------------- convolution

interface ConvGeom {
  N: number; C: number; H: number; W: number;
  K: number; kH: number; kW: number; oH: number; oW: number;
  s: number[]; p: number[]; d: number[]; groups: number;
  /** the output's shape as the user sees it ([K, L'] / [N, K, H', W'] …) */
  outShape: number[];
}

/** The geometry of conv{sp}d(x, w, stride, padding, dilation, groups), or a TypeError / RangeError naming the op and the shapes. */
function convGeom(op: string, x: Tensor, w: Tensor, sp: number, stride: unknown, padding: unknown, dilation: unknown, groups: unknown): ConvGeom {
  const { dims: [N, C, H, W], batched } = planes(op, x, sp);
  if (w.shape.length !== sp + 2) throw new RangeError(`${op}: weight must be [out_channels, in_channels / groups, ${sp === 1 ? "kL" : "kH, kW"}], got ${fmt(w.shape)}`);
  if (typeof groups !== "number" && groups !== undefined && groups !== null) throw new TypeError(`${op}: groups must be an integer, got ${describe(groups)}`);
  const g = groups ?? 1;
  if (!Number.isInteger(g) || g < 1) throw new RangeError(`${op}: groups must be a positive integer, got ${g}`);
  const K = w.shape[0];
  if (K % g !== 0) throw new RangeError(`${op}: groups ${g} must divide out_channels ${K} (weight ${fmt(w.shape)})`);
  if (C % g !== 0) throw new RangeError(`${op}: groups ${g} must divide in_channels ${C} (input ${fmt(x.shape)})`);
  if (w.shape[1] * g !== C) {
    throw new RangeError(`${op}: input ${fmt(x.shape)} has ${C} channels, but weight ${fmt(w.shape)} with groups ${g} expects ${w.shape[1] * g}`);
  }
  const s1 = perDim(op, "stride", stride, sp, 1, 1), p1 = perDim(op, "padding", padding, sp, 0, 0), d1 = perDim(op, "dilation", dilation, sp, 1, 1);
  // a 1-D convolution is a 2-D one over a height of 1
  const [s, p, d] = sp === 1 ? [[1, ...s1], [0, ...p1], [1, ...d1]] : [s1, p1, d1];
  const kH = sp === 1 ? 1 : w.shape[2], kW = w.shape[sp + 1];
  const inSp = [H, W], kSp = [kH, kW];
  const out = inSp.map((n, i) => Math.floor((n + 2 * p[i] - d[i] * (kSp[i] - 1) - 1) / s[i]) + 1);
  if (out.some((n) => n < 1)) {
    const last = (a: number[]) => (sp === 1 ? a.slice(1) : a);
    throw new RangeError(
      `${op}: the kernel ${fmt(last(kSp))} (dilation ${fmt(last(d))}) is larger than the padded input ${fmt(last(inSp.map((n, i) => n + 2 * p[i])))} (input ${fmt(x.shape)}, weight ${fmt(w.shape)}, padding ${fmt(last(p))})`,
    );
  }
  const spatial = sp === 1 ? [out[1]] : out;
  return { N, C, H, W, K, kH, kW, oH: out[0], oW: out[1], s, p, d, groups: g, outShape: batched ? [N, K, ...spatial] : [K, ...spatial] };
}

/**
 * The one loop of the three kernels, over every (example, output channel, input channel of its group,
 * kernel tap, output position) whose input position lies inside the input:
 * 0: y += x · w (the convolution); 1: gx += ct · w (the transposed convolution); 2: gw += ct · x.
 */
function convLoop(mode: 0 | 1 | 2, g: ConvGeom, x: ArrayLike<number>, w: ArrayLike<number>, y: ArrayLike<number>, out: Float64Array): void {
  const { N, C, H, W, K, kH, kW, oH, oW, s, p, d } = g;
  const Cg = C / g.groups, Kg = K / g.groups;
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const grp = Math.floor(k / Kg);
      const yBase = (n * K + k) * oH * oW;
      for (let c = 0; c < Cg; c++) {
        const xBase = (n * C + grp * Cg + c) * H * W;
        for (let kh = 0; kh < kH; kh++) {
          for (let kw = 0; kw < kW; kw++) {
            const wi = ((k * Cg + c) * kH + kh) * kW + kw;
            const wv = mode === 2 ? 0 : w[wi];
            let acc = 0;
            for (let oh = 0; oh < oH; oh++) {
              const ih = oh * s[0] - p[0] + kh * d[0];
              if (ih < 0 || ih >= H) continue;
              for (let ow = 0; ow < oW; ow++) {
                const iw = ow * s[1] - p[1] + kw * d[1];
                if (iw < 0 || iw >= W) continue;
                const xi = xBase + ih * W + iw, yi = yBase + oh * oW + ow;
                if (mode === 0) out[yi] += x[xi] * wv;
                else if (mode === 1) out[xi] += y[yi] * wv;
                else acc += y[yi] * x[xi];
              }
            }
            if (mode === 2) out[wi] += acc;
          }
        }
      }
    }
  }
}

function result(dtype: FloatDType, data: Float64Array, shape: readonly number[]): Tensor {
  const out = alloc(dtype, data.length);
  out.set(data);
  return new Tensor(out, [...shape]);
}

function conv(op: string, sp: number, input: Tensor, weight: Tensor, bias: Tensor | undefined | null, stride: unknown, padding: unknown, dilation: unknown, groups: unknown): Tensor {
  const x = tensorArg(op, input, "input");
  const w = tensorArg(op, weight, "weight");
  const b = bias === undefined || bias === null ? undefined : tensorArg(op, bias, "bias");
  const g = convGeom(op, x, w, sp, stride, padding, dilation, groups);
  if (b && (b.shape.length !== 1 || b.shape[0] !== g.K)) throw new RangeError(`${op}: bias must be [out_channels] = [${g.K}] for weight ${fmt(w.shape)}, got ${fmt(b.shape)}`);
  const y = new Float64Array(g.N * g.K * g.oH * g.oW);
  if (b) for (let i = 0, plane = g.oH * g.oW; i < y.length; i++) y[i] = b.data[Math.floor(i / plane) % g.K];
  convLoop(0, g, x.data, w.data, y, y);
  const dtype = b ? promote(promote(x.dtype, w.dtype), b.dtype) : promote(x.dtype, w.dtype);
  return result(dtype, y, g.outShape);
}

/** torch.nn.functional.conv1d: input [N, C, L] or [C, L], weight [K, C / groups, kL], bias [K] or absent (undefined / null). */
export function conv1d(input: Tensor, weight: Tensor, bias?: Tensor | null, stride: IntArg = 1, padding: IntArg = 0, dilation: IntArg = 1, groups = 1): Tensor {
  return conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups);
}

/** torch.nn.functional.conv2d: input [N, C, H, W] or [C, H, W], weight [K, C / groups, kH, kW], bias [K] or absent (undefined / null). */
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, stride: IntArg = 1, padding: IntArg = 0, dilation: IntArg = 1, groups = 1): Tensor {
  return conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups);
}

/** ct in the output's shape of conv(x, w), or a RangeError naming the op. */
function cotangent(op: string, ct: Tensor, g: ConvGeom, what: string): Tensor {
  const c = tensorArg(op, ct, what);
  if (c.shape.length !== g.outShape.length || c.shape.some((n, i) => n !== g.outShape[i])) throw new RangeError(`${op}: ${what} must be ${fmt(g.outShape)} (the convolution's output), got ${fmt(c.shape)}`);
  return c;
}

/** The convolution's gradient w.r.t. its input for the output cotangent ct: a transposed convolution in x's shape (x gives only the shape). */
export function adConvInput(ct: Tensor, w: Tensor, x: Tensor, sp: number, stride: unknown, padding: unknown, dilation: unknown, groups: unknown): Tensor {
  // (forward over reverse: a cotangent or tangent nothing reached is a structural zero, and so is the product)
  if (ct === undefined || w === undefined) return undefined as never;
  const op = `conv${sp}d (gradient of the input)`;
  const g = convGeom(op, tensorArg(op, x), tensorArg(op, w, "weight"), sp, stride, padding, dilation, groups);
  const c = cotangent(op, ct, g, "cotangent");
  const gx = new Float64Array(x.numel());
  convLoop(1, g, x.data, w.data, c.data, gx);
  return result(promote(c.dtype, w.dtype), gx, x.shape);
}

/** The convolution's gradient w.r.t. its weight for the output cotangent ct: the correlation of x and ct, in w's shape (w gives only the shape). */
export function adConvWeight(ct: Tensor, x: Tensor, w: Tensor, sp: number, stride: unknown, padding: unknown, dilation: unknown, groups: unknown): Tensor {
  if (ct === undefined || x === undefined) return undefined as never; // a structural zero (forward over reverse)
  const op = `conv${sp}d (gradient of the weight)`;
  const g = convGeom(op, tensorArg(op, x), tensorArg(op, w, "weight"), sp, stride, padding, dilation, groups);
  const c = cotangent(op, ct, g, "cotangent");
  const gw = new Float64Array(w.numel());
  convLoop(2, g, x.data, w.data, c.data, gw);
  return result(promote(c.dtype, x.dtype), gw, w.shape);
}

// ---------------------------------------------------------------- pooling

interface PoolGeom {
  /** N · C planes of H × W */
  P: number; H: number; W: number; oH: number; oW: number;
  k: number[]; s: number[]; p: number[]; d: number[];
  outShape: number[];
}

/** PyTorch's pooling_output_shape: floor (or ceil, keeping the last window's start inside the input or its left padding). */
function pooledSize(n: number, k: number, p: number, s: number, d: number, ceil: boolean): number {
  let out = Math.floor((n + 2 * p - d * (k - 1) - 1 + (ceil ? s - 1 : 0)) / s) + 1;
  if (ceil && (out - 1) * s >= n + p) out--;
  return out;
}

function poolGeom(op: string, x: Tensor, kernel: unknown, stride: unknown, padding: unknown, dilation: unknown, ceilMode: unknown): PoolGeom {
  if (kernel === undefined || kernel === null) throw new TypeError(`${op}: kernelSize is required`);
  const { dims: [N, C, H, W], batched } = planes(op, x, 2);
  const k = perDim(op, "kernelSize", kernel, 2, 1, 1);
  // (stride left out or null: the kernel size, as PyTorch's stride=None)
  const s = stride === undefined || stride === null ? k : perDim(op, "stride", stride, 2, 1, 1);
  const p = perDim(op, "padding", padding, 2, 0, 0);
  const d = perDim(op, "dilation", dilation, 2, 1, 1);
  if (typeof ceilMode !== "boolean") throw new TypeError(`${op}: ceilMode must be a boolean, got ${describe(ceilMode)}`);
  if (p.some((v, i) => v > k[i] / 2)) throw new RangeError(`${op}: padding ${fmt(p)} must be at most half the kernel size ${fmt(k)}`);
  const oH = pooledSize(H, k[0], p[0], s[0], d[0], ceilMode), oW = pooledSize(W, k[1], p[1], s[1], d[1], ceilMode);
  if (oH < 1 || oW < 1) {
    throw new RangeError(`${op}: the kernel ${fmt(k)} (dilation ${fmt(d)}) is larger than the padded input ${fmt([H + 2 * p[0], W + 2 * p[1]])} (input ${fmt(x.shape)}, padding ${fmt(p)})`);
  }
  return { P: N * C, H, W, oH, oW, k, s, p, d, outShape: batched ? [N, C, oH, oW] : [C, oH, oW] };
}

/** The flat in-plane index of each window's maximum: the first in row-major order, a NaN wins (PyTorch's CPU rule); -1 for a window with no input inside. */
function windowArgmax(g: PoolGeom, x: ArrayLike<number>): Int32Array {
  const { P, H, W, oH, oW, k, s, p, d } = g;
  const idx = new Int32Array(P * oH * oW);
  for (let pl = 0, o = 0; pl < P; pl++) {
    const base = pl * H * W;
    for (let oh = 0; oh < oH; oh++) {
      let h0 = oh * s[0] - p[0];
      const h1 = Math.min(h0 + (k[0] - 1) * d[0] + 1, H);
      while (h0 < 0) h0 += d[0];
      for (let ow = 0; ow < oW; ow++, o++) {
        let w0 = ow * s[1] - p[1];
        const w1 = Math.min(w0 + (k[1] - 1) * d[1] + 1, W);
        while (w0 < 0) w0 += d[1];
        let best = -1, max = -Infinity;
        for (let ih = h0; ih < h1; ih += d[0]) {
          for (let iw = w0; iw < w1; iw += d[1]) {
            const v = x[base + ih * W + iw];
            if (best < 0 || v > max || Number.isNaN(v)) (max = v), (best = ih * W + iw);
          }
        }
        idx[o] = best;
      }
    }
  }
  return idx;
}

/** Each window's value of t (x's shape) at x's maximum: the pool itself for t = x, its tangent for t = dx. */
function gatherMax(g: PoolGeom, x: Tensor, t: Tensor): Float64Array {
  const idx = windowArgmax(g, x.data);
  const out = new Float64Array(idx.length);
  const per = g.oH * g.oW;
  for (let o = 0; o < idx.length; o++) out[o] = idx[o] < 0 ? -Infinity : t.data[Math.floor(o / per) * g.H * g.W + idx[o]];
  return out;
}

/** torch.nn.functional.max_pool2d: input [N, C, H, W] or [C, H, W]; stride defaults to the kernel size. */
export function maxPool2d(input: Tensor, kernelSize: IntArg, stride?: IntArg | null, padding: IntArg = 0, dilation: IntArg = 1, ceilMode = false): Tensor {
  const x = tensorArg("maxPool2d", input);
  const g = poolGeom("maxPool2d", x, kernelSize, stride, padding, dilation, ceilMode);
  return result(floatOf(x.dtype), gatherMax(g, x, x), g.outShape);
}

function sameShapeAs(op: string, t: Tensor, x: Tensor, what: string): void {
  if (t.shape.length !== x.shape.length || t.shape.some((n, i) => n !== x.shape[i])) throw new RangeError(`${op}: ${what} ${fmt(t.shape)} must have the input's shape ${fmt(x.shape)}`);
}

/** maxPool2d's tangent: dx at each window's maximum of x (x fixes the windows' choices). */
export function adMaxPoolJvp(dx: Tensor, x: Tensor, kernelSize: IntArg, stride?: IntArg, padding?: IntArg, dilation?: IntArg, ceilMode = false): Tensor {
  if (dx === undefined) return undefined as never; // a structural zero (forward over reverse)
  const op = "maxPool2d (tangent)";
  const g = poolGeom(op, tensorArg(op, x), kernelSize, stride, padding, dilation, ceilMode);
  sameShapeAs(op, tensorArg(op, dx, "tangent"), x, "tangent");
  return result(floatOf(dx.dtype), gatherMax(g, x, dx), g.outShape);
}

/** maxPool2d's backward: each window's cotangent added at x's maximum of that window, in x's shape. */
export function adMaxPoolBackward(ct: Tensor, x: Tensor, kernelSize: IntArg, stride?: IntArg, padding?: IntArg, dilation?: IntArg, ceilMode = false): Tensor {
  if (ct === undefined) return undefined as never; // a structural zero (forward over reverse)
  const op = "maxPool2d (gradient)";
  const g = poolGeom(op, tensorArg(op, x), kernelSize, stride, padding, dilation, ceilMode);
  const c = pooledCotangent(op, ct, g);
  const idx = windowArgmax(g, x.data);
  const gx = new Float64Array(x.numel());
  const per = g.oH * g.oW;
  for (let o = 0; o < idx.length; o++) if (idx[o] >= 0) gx[Math.floor(o / per) * g.H * g.W + idx[o]] += c.data[o];
  return result(floatOf(c.dtype), gx, x.shape);
}

function pooledCotangent(op: string, ct: Tensor, g: PoolGeom): Tensor {
  const c = tensorArg(op, ct, "cotangent");
  if (c.shape.length !== g.outShape.length || c.shape.some((n, i) => n !== g.outShape[i])) throw new RangeError(`${op}: cotangent must be ${fmt(g.outShape)} (the pool's output), got ${fmt(c.shape)}`);
  return c;
}

/**
 * Each average-pool window: its in-input rows and columns and its divisor (PyTorch's CPU kernel: the
 * window clipped to the padded input counts padding when countIncludePad, else only the input inside).
 */
function avgWindows(g: PoolGeom, countIncludePad: boolean, visit: (o: number, h0: number, h1: number, w0: number, w1: number, div: number) => void): void {
  const { P, H, W, oH, oW, k, s, p } = g;
  for (let pl = 0, o = 0; pl < P; pl++) {
    for (let oh = 0; oh < oH; oh++) {
      for (let ow = 0; ow < oW; ow++, o++) {
        let h0 = oh * s[0] - p[0], w0 = ow * s[1] - p[1];
        let h1 = Math.min(h0 + k[0], H + p[0]), w1 = Math.min(w0 + k[1], W + p[1]);
        const size = (h1 - h0) * (w1 - w0);
        (h0 = Math.max(h0, 0)), (w0 = Math.max(w0, 0)), (h1 = Math.min(h1, H)), (w1 = Math.min(w1, W));
        if (h0 >= h1 || w0 >= w1) continue;
        visit(o, pl * H * W + h0 * W, h1 - h0, w0, w1, countIncludePad ? size : (h1 - h0) * (w1 - w0));
      }
    }
  }
}

function avgArgs(op: string, x: Tensor, kernelSize: unknown, stride: unknown, padding: unknown, ceilMode: unknown, countIncludePad: unknown): PoolGeom {
  if (typeof countIncludePad !== "boolean") throw new TypeError(`${op}: countIncludePad must be a boolean, got ${describe(countIncludePad)}`);
  return poolGeom(op, x, kernelSize, stride, padding, 1, ceilMode);
}

/** torch.nn.functional.avg_pool2d: input [N, C, H, W] or [C, H, W]; stride defaults to the kernel size. */
export function avgPool2d(input: Tensor, kernelSize: IntArg, stride?: IntArg | null, padding: IntArg = 0, ceilMode = false, countIncludePad = true): Tensor {
  const x = tensorArg("avgPool2d", input);
  const g = avgArgs("avgPool2d", x, kernelSize, stride, padding, ceilMode, countIncludePad);
  const out = new Float64Array(g.P * g.oH * g.oW);
  const xd = x.data, W = g.W;
  avgWindows(g, countIncludePad, (o, row0, rows, w0, w1, div) => {
    let acc = 0;
    for (let r = 0; r < rows; r++) for (let iw = w0; iw < w1; iw++) acc += xd[row0 + r * W + iw];
    out[o] = acc / div;
  });
  return result(floatOf(x.dtype), out, g.outShape);
}

/** avgPool2d's backward: each window's cotangent over its divisor, spread over the window's input, in x's shape. */
export function adAvgPoolBackward(ct: Tensor, x: Tensor, kernelSize: IntArg, stride?: IntArg, padding?: IntArg, ceilMode = false, countIncludePad = true): Tensor {
  if (ct === undefined) return undefined as never; // a structural zero (forward over reverse)
  const op = "avgPool2d (gradient)";
  const g = avgArgs(op, tensorArg(op, x), kernelSize, stride, padding, ceilMode, countIncludePad);
  const c = pooledCotangent(op, ct, g);
  const gx = new Float64Array(x.numel());
  const cd = c.data, W = g.W;
  avgWindows(g, countIncludePad, (o, row0, rows, w0, w1, div) => {
    const v = cd[o] / div;
    for (let r = 0; r < rows; r++) for (let iw = w0; iw < w1; iw++) gx[row0 + r * W + iw] += v;
  });
  return result(floatOf(c.dtype), gx, x.shape);
}
