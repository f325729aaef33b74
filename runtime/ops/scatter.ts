// gather / scatter / scatterAdd along a dim, and maskedSelect (PyTorch's
// torch.gather, Tensor.scatter, Tensor.scatter_add, torch.masked_select).
// The index is an int32 tensor, or a float tensor of integral values (PyTorch's
// is int64): on the CPU its values are checked and turned into the flat offset each
// index element addresses. gather and scatterAdd run on WebGPU with the index
// on the device (runtime/webgpu/scatter.ts); scatter and maskedSelect are CPU only.
import { Tensor } from "../tensor.js";
import { alloc } from "../dtype.js";
import { broadcastShapes, broadcastStrides, contiguousStrides, describe, fmt, normDim, numelOf } from "../shape.js";
import { cpuOnly } from "../check.js";
import { gpuCall } from "../device.js";

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
 * the input, no larger than it along the other dims (nor than src along any); the dim wrapped.
 * 0-d tensors count as one element.
 */
export function indexShapes(op: string, shape: readonly number[], dimIn: unknown, index: unknown, srcShape?: readonly number[]): { dim: number; both: string } {
  const dim = normDim(op, dimIn, shape);
  if (!(index instanceof Tensor)) throw new TypeError(`${op}: index must be a Tensor of integral values, got ${describe(index)} (input shape ${fmt(shape)})`);
  if (index.dtype === "bool") throw new TypeError(`${op}: index must hold integers (an int32 tensor, or a float tensor of integral values), got a bool tensor of shape ${fmt(index.shape)}; for a mask use maskedSelect or where`);
  const both = `(input shape ${fmt(shape)}, index shape ${fmt(index.shape)}${srcShape ? `, src shape ${fmt(srcShape)}` : ""})`;
  const xs = one(shape), is = one(index.shape);
  if (index.shape.length !== shape.length) throw new RangeError(`${op}: index must have as many dims as the input ${both}`);
  if (srcShape && srcShape.length !== shape.length) throw new RangeError(`${op}: src must have as many dims as the input ${both}`);
  for (let d = 0; d < is.length; d++) {
    if (d !== dim && is[d] > xs[d]) throw new RangeError(`${op}: index is larger than the input along dim ${d} ${both}`);
    if (srcShape && is[d] > one(srcShape)[d]) throw new RangeError(`${op}: index is larger than src along dim ${d} ${both}`);
  }
  return { dim, both };
}

const one = (s: readonly number[]) => (s.length ? s : [1]);

/** The shapes checked, then each index value (integral, in [0, size)) and the flat offsets it addresses. The index must be on the CPU. */
export function indexPlan(op: string, shape: readonly number[], dimIn: unknown, index: unknown, srcShape?: readonly number[]): IndexPlan {
  const { dim, both } = indexShapes(op, shape, dimIn, index, srcShape);
  const idx = index as Tensor;
  if (idx.device !== "cpu") throw new TypeError(`${op}: an index on the ${idx.device} device cannot be read synchronously; pass a CPU tensor ${both}`);
  const is = one(idx.shape);
  const xStr = contiguousStrides(one(shape)), sStr = srcShape ? contiguousStrides(one(srcShape)) : undefined;
  const n = idx.numel();
  const dst = new Uint32Array(n), src = sStr ? new Uint32Array(n) : undefined;
  const coord = new Array<number>(is.length).fill(0);
  const size = one(shape)[dim];
  for (let k = 0; k < n; k++) {
    const v = idx.data[k];
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
  return { dim, shape: [...idx.shape], dst, src };
}

/**
 * gather / scatterAdd on WebGPU: the index on the device as float32 (a CPU one checked value by value
 * first, then uploaded); a device index is read by the kernel only (a bad value gives NaN there).
 */
function onDevice(op: string, x: Tensor, dim: unknown, index: unknown, src?: Tensor): Tensor {
  if (index instanceof Tensor && index.device === "cpu") {
    const { dim: d } = indexPlan(op, x.shape, dim, index, src?.shape);
    return gpuCall(`${op}Dim`, [op, x, index.to("float32").to("webgpu"), d, src]);
  }
  const { dim: d } = indexShapes(op, x.shape, dim, index, src?.shape);
  return gpuCall(`${op}Dim`, [op, x, index, d, src]);
}

/** out[i][j] = input[index[i][j]][j] (dim 0), the input's entries picked along dim: the result has the index's shape. */
export function gather(input: Tensor, dim: number, index: Tensor): Tensor {
  const x = anyTensor("gather", input);
  if (x.device === "webgpu") return onDevice("gather", x, dim, index);
  if (index instanceof Tensor) cpuOnly("gather", [x, index]);
  const p = indexPlan("gather", x.shape, dim, index);
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
  if (x.device === "webgpu" || s.device === "webgpu") return onDevice("scatterAdd", x, dim, index, s);
  if (index instanceof Tensor) cpuOnly("scatterAdd", [x, s, index]);
  const p = indexPlan("scatterAdd", x.shape, dim, index, s.shape);
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
