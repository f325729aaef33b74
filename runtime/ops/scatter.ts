// gather / scatter / scatterAdd along a dim, and maskedSelect (PyTorch's
// torch.gather, Tensor.scatter, Tensor.scatter_add, torch.masked_select).
// The index is a CPU float tensor of integral values (there is no int32 dtype
// yet): its values are read here to work out, for each index element, the flat
// offset it addresses, so gather and scatterAdd run on WebGPU as flat gathers /
// summed scatters (runtime/webgpu/scatter.ts); scatter and maskedSelect are
// CPU only.
import { Tensor } from "../tensor.js";
import { alloc } from "../dtype.js";
import { broadcastShapes, broadcastStrides, contiguousStrides, describe, fmt, normDim, numelOf } from "../shape.js";
import { cpuOnly } from "../check.js";
import { gpuCall } from "../device.js";
import * as ops from "./index.js";

function anyTensor(op: string, x: unknown, what = "input"): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor for ${what}, got ${describe(x)}`);
  return x;
}

/** The flat offsets an index addresses: into the input (`dst`, along dim) and, for scatter's src, into src at the index's own coordinates. */
export interface IndexPlan {
  dim: number;
  shape: number[];
  dst: Uint32Array;
  src?: Uint32Array;
}

/**
 * Checks gather / scatter's index against the input (and src) as PyTorch does: as many dims as
 * the input, no larger than it along the other dims (nor than src along any), integral values in
 * [0, size) along dim. 0-d tensors count as one element.
 */
export function indexPlan(op: string, shape: readonly number[], dimIn: unknown, index: unknown, srcShape?: readonly number[]): IndexPlan {
  const dim = normDim(op, dimIn, shape);
  if (!(index instanceof Tensor)) throw new TypeError(`${op}: index must be a Tensor of integral values, got ${describe(index)} (input shape ${fmt(shape)})`);
  if (index.device !== "cpu") throw new TypeError(`${op}: an index on the ${index.device} device cannot be read synchronously; pass a CPU tensor (input shape ${fmt(shape)}, index shape ${fmt(index.shape)})`);
  if (index.dtype === "bool") throw new TypeError(`${op}: index must hold integral values (a float tensor: there is no int32 dtype yet), got a bool tensor of shape ${fmt(index.shape)}; for a mask use maskedSelect or where`);
  const both = `(input shape ${fmt(shape)}, index shape ${fmt(index.shape)}${srcShape ? `, src shape ${fmt(srcShape)}` : ""})`;
  const one = (s: readonly number[]) => (s.length ? s : [1]);
  const xs = one(shape), is = one(index.shape);
  if (index.shape.length !== shape.length) throw new RangeError(`${op}: index must have as many dims as the input ${both}`);
  for (let d = 0; d < is.length; d++) {
    if (d !== dim && is[d] > xs[d]) throw new RangeError(`${op}: index is larger than the input along dim ${d} ${both}`);
    if (srcShape && is[d] > one(srcShape)[d]) throw new RangeError(`${op}: index is larger than src along dim ${d} ${both}`);
  }
  if (srcShape && srcShape.length !== shape.length) throw new RangeError(`${op}: src must have as many dims as the input ${both}`);
  const xStr = contiguousStrides(xs), sStr = srcShape ? contiguousStrides(one(srcShape)) : undefined;
  const n = index.numel();
  const dst = new Uint32Array(n), src = sStr ? new Uint32Array(n) : undefined;
  const coord = new Array<number>(is.length).fill(0);
  const size = xs[dim];
  for (let k = 0; k < n; k++) {
    const v = index.data[k];
    if (!Number.isInteger(v) || v < 0 || v >= size) {
      const what = Number.isInteger(v) ? `index value ${v} is out of range [0, ${size}) along dim ${dim}` : `index value ${v} is not an integer`;
      throw new RangeError(`${op}: ${what} ${both}`);
    }
    let o = 0, so = 0;
    for (let d = 0; d < is.length; d++) {
      o += (d === dim ? v : coord[d]) * xStr[d];
      if (sStr) so += coord[d] * sStr[d];
    }
    dst[k] = o;
    if (src) src[k] = so;
    // the next coordinates, row-major
    for (let d = is.length - 1; d >= 0 && ++coord[d] === is[d]; d--) coord[d] = 0;
  }
  return { dim, shape: [...index.shape], dst, src };
}

/** out[i][j] = input[index[i][j]][j] (dim 0), the input's entries picked along dim: the result has the index's shape. */
export function gather(input: Tensor, dim: number, index: Tensor): Tensor {
  const x = anyTensor("gather", input);
  const p = indexPlan("gather", x.shape, dim, index);
  if (x.device === "webgpu") return gpuCall("gatherAt", ["gather", x, p.dst, p.shape]);
  const out = alloc(x.dtype, p.dst.length);
  for (let k = 0; k < out.length; k++) out[k] = x.data[p.dst[k]];
  return new Tensor(out, p.shape);
}

/** A copy of input with src's entries (or the number src) written where index points along dim; with repeated indices one of the writes wins, as in PyTorch. CPU only. */
export function scatter(input: Tensor, dim: number, index: Tensor, src: Tensor | number): Tensor {
  const x = anyTensor("scatter", input);
  if (typeof src !== "number") anyTensor("scatter", src, "src (a Tensor or a number)");
  cpuOnly("scatter", [x, src]);
  const p = indexPlan("scatter", x.shape, dim, index, typeof src === "number" ? undefined : src.shape);
  const out = alloc(x.dtype, x.numel());
  out.set(x.data);
  if (typeof src === "number") for (let k = 0; k < p.dst.length; k++) out[p.dst[k]] = src;
  else for (let k = 0; k < p.dst.length; k++) out[p.dst[k]] = src.data[p.src![k]];
  return new Tensor(out, x.shape.slice());
}

/** A copy of input with src's entries added where index points along dim (repeated indices add up). */
export function scatterAdd(input: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  const x = anyTensor("scatterAdd", input);
  const s = anyTensor("scatterAdd", src, "src");
  const p = indexPlan("scatterAdd", x.shape, dim, index, s.shape);
  if (x.device === "webgpu" || s.device === "webgpu") return gpuCall("scatterAddAt", ["scatterAdd", x, s, p.dst, p.shape]);
  const out = alloc(x.dtype, x.numel());
  out.set(x.data);
  for (let k = 0; k < p.dst.length; k++) out[p.dst[k]] += s.data[p.src![k]];
  return new Tensor(out, x.shape.slice());
}

/** The mask's positions in the broadcast shape of input and mask, in row-major order, with input's offset at each. */
export function maskPlan(op: string, input: Tensor, mask: unknown): { shape: number[]; at: Uint32Array; from: Uint32Array } {
  if (!(mask instanceof Tensor)) throw new TypeError(`${op}: expected a bool Tensor for mask, got ${describe(mask)}`);
  if (mask.dtype !== "bool") throw new TypeError(`${op}: expected a bool mask, got a ${mask.dtype} tensor of shape ${fmt(mask.shape)}; make one with a comparison (x.gt(0)) or .bool()`);
  cpuOnly(op, [input, mask]);
  const shape = broadcastShapes(op, input.shape, mask.shape);
  const xs = broadcastStrides(input.shape, shape), ms = broadcastStrides(mask.shape, shape);
  const n = numelOf(shape);
  const at: number[] = [], from: number[] = [];
  const coord = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < n; k++) {
    let mo = 0, xo = 0;
    for (let d = 0; d < shape.length; d++) (mo += coord[d] * ms[d]), (xo += coord[d] * xs[d]);
    if (mask.data[mo]) at.push(k), from.push(xo);
    for (let d = shape.length - 1; d >= 0 && ++coord[d] === shape[d]; d--) coord[d] = 0;
  }
  return { shape, at: Uint32Array.from(at), from: Uint32Array.from(from) };
}

/** The input's entries where the (broadcast) mask is true, as a 1-d tensor whose length depends on the mask's values. CPU only. */
export function maskedSelect(input: Tensor, mask: Tensor): Tensor {
  const x = anyTensor("maskedSelect", input);
  const { from } = maskPlan("maskedSelect", x, mask);
  const out = alloc(x.dtype, from.length);
  for (let k = 0; k < out.length; k++) out[k] = x.data[from[k]];
  return new Tensor(out, [out.length]);
}

// (the device-aware ops module imports this one; ops is read at call time only)
void ops;
