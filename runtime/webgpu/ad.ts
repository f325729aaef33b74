// The AD helpers of runtime/ad.ts (and vmap's adPutRow) whose CPU versions
// touch storage directly, on WebGPU. The others (adAcc, adSumTo to a Tensor,
// adMatmulBack*, adNum*, adCatPiece, adReshapeAs, adZ, adNumel) are
// compositions of ops and run on the device through the ops' own dispatch.

import { Tensor } from "../tensor.js";
import { broadcastShapes, broadcastStrides, contiguousStrides, numelOf } from "../shape.js";
import type { Executor } from "./executor.js";
import { emptyOn, uploadTensor, viewOf, WebGPUTensor } from "./tensor.js";
import { binary, copyStrided, devices, fullOn, gpuOpsTable, reduce, rowIndices, run1d, stridedMeta, unary } from "./ops.js";

type Val = number | Tensor | ArrayLike<number>;
const isT = (x: unknown): x is Tensor => x instanceof Tensor;

function shapeOf(x: Val): number[] {
  if (typeof x === "number") return [];
  if (isT(x)) return [...x.shape];
  return [x.length];
}

/** The executor of the WebGPU tensors among xs (a CPU tensor among them is a device mismatch). */
function exOf(op: string, ...xs: unknown[]): Executor {
  return devices(op, xs.filter(isT));
}

/** A vector or number as a device tensor (cotangents that come as plain arrays). */
function onDevice(ex: Executor, op: string, v: Val): WebGPUTensor {
  if (v instanceof WebGPUTensor) return v;
  if (typeof v === "number") return fullOn(ex, op, [], v);
  const data = isT(v) ? v.to("float32").data : Float32Array.from(v);
  return uploadTensor(ex, new Tensor(data as Float32Array, isT(v) ? v.shape.slice() : [v.length]), op);
}

function reducedDims(x: Tensor, dim: number | readonly number[] | undefined | null): number[] {
  if (dim === undefined || dim === null) return x.shape.map((_, i) => i);
  const list = typeof dim === "number" ? [dim] : [...dim];
  return list.map((d) => (d < 0 ? d + x.shape.length : d)).sort((a, b) => a - b);
}

function adOneHot(x: Tensor, k: number): WebGPUTensor {
  const ex = exOf("adOneHot", x);
  const n = x.numel();
  return run1d(ex, "one_hot", "adOneHot", [n, k], [], emptyOn(ex, "adOneHot", x.shape), n);
}

function adBlock(out: Val, inp: Val): WebGPUTensor {
  const ex = exOf("adBlock", out, inp);
  return fullOn(ex, "adBlock", [...shapeOf(out), ...shapeOf(inp)], 0);
}

/** A one-element device buffer holding v, copied to element `at` of J. */
function putScalar(J: WebGPUTensor, at: number, v: number, op: string): void {
  const s = fullOn(J.executor, op, [], v);
  J.executor.copy(op, s.storage, s.byteOffset, J.storage, J.byteOffset + at * 4, 4);
}

function adSetRow(J: Tensor, r: number, bar: Val | undefined, nIn: number): void {
  if (bar === undefined) return;
  const ex = exOf("adSetRow", J, bar);
  const B = J as WebGPUTensor;
  if (typeof bar === "number") return putScalar(B, r * nIn, bar, "adSetRow");
  if (hasTensor(bar)) return putNums(B, r * nIn, bar, "adSetRow"); // number cotangents, some on the device
  const src = onDevice(ex, "adSetRow", bar);
  ex.copy("adSetRow", src.storage, src.byteOffset, B.storage, B.byteOffset + r * nIn * 4, nIn * 4);
}

function adSetCol(J: Tensor, c: number, d: Val | undefined, nIn: number): void {
  if (d === undefined) return;
  const ex = exOf("adSetCol", J, d);
  const B = J as WebGPUTensor;
  if (typeof d === "number") return putScalar(B, c, d, "adSetCol");
  const src = onDevice(ex, "adSetCol", d);
  copyStrided("adSetCol", src, 0, [1], B, c, [nIn], [src.numel()]);
}

function adExpandAs(t: Val, like: Val): unknown {
  if (t === undefined) return undefined;
  if (!isT(like)) return t;
  const ex = exOf("adExpandAs", t, like);
  if (!isT(t)) return fullOn(ex, "adExpandAs", like.shape, t as number);
  const x = t as WebGPUTensor;
  if (x.shape.length === like.shape.length && x.shape.every((d, i) => d === like.shape[i])) return x;
  // the materialised broadcast (the CPU version adds x to zeros shaped like `like`)
  const shape = broadcastShapes("adExpandAs", like.shape, x.shape);
  const out = emptyOn(ex, "adExpandAs", shape);
  return copyStrided("adExpandAs", x, 0, broadcastStrides(x.shape, shape), out, 0, contiguousStrides(shape), shape);
}

function adZerosLike(x: Val): unknown {
  return isT(x) ? fullOn(exOf("adZerosLike", x), "adZerosLike", x.shape, 0) : 0;
}

function adSumBackward(ct: Tensor, x: Tensor, dim?: number | readonly number[] | null, keepdim = false): unknown {
  if (ct === undefined) return undefined;
  let c: Tensor = ct;
  if (!keepdim) for (const d of reducedDims(x, dim)) c = gpuOpsTable().unsqueeze(c, d) as Tensor;
  return adExpandAs(c, x);
}

function adMeanBackward(ct: Tensor, x: Tensor, dim?: number | readonly number[] | null, keepdim = false): unknown {
  if (ct === undefined) return undefined;
  const n = reducedDims(x, dim).reduce((a, d) => a * x.shape[d], 1);
  return binary("div", "adMeanBackward", adSumBackward(ct, x, dim, keepdim) as Tensor, n);
}

/** `piece` at [start, start + length) of dim d of x's shape, zeros elsewhere. */
function placeAlong(op: string, piece: WebGPUTensor, x: Tensor, d: number, start: number): WebGPUTensor {
  const out = fullOn(piece.executor, op, x.shape, 0);
  const os = contiguousStrides(x.shape);
  return copyStrided(op, piece, 0, contiguousStrides(piece.shape), out, start * os[d], os, piece.shape);
}

function adSelectBackward(ct: Tensor, x: Tensor, dim: number, index: number): unknown {
  if (ct === undefined) return undefined;
  exOf("adSelectBackward", ct, x);
  const d = dim < 0 ? dim + x.ndim : dim;
  const shape = [...ct.shape];
  shape.splice(d, 0, 1);
  return placeAlong("adSelectBackward", viewOf(ct as WebGPUTensor, shape), x, d, index < 0 ? index + x.shape[d] : index);
}

function adNarrowBackward(ct: Tensor, x: Tensor, dim: number, start: number): unknown {
  if (ct === undefined) return undefined;
  exOf("adNarrowBackward", ct, x);
  const d = dim < 0 ? dim + x.ndim : dim;
  return placeAlong("adNarrowBackward", ct as WebGPUTensor, x, d, start < 0 ? start + x.shape[d] : start);
}

function adEqMask(a: Val, b: Val): unknown {
  if (!isT(a) && !isT(b)) return a === b ? 1 : 0;
  return binary("eq", "adEqMask", a as Tensor, b as Tensor, "float32"); // (weights: a float tensor, as on the CPU)
}

function adPickWeight(a: Val, b: Val, max: boolean): unknown {
  if (!isT(a) && !isT(b)) return (a as number) === (b as number) ? 0.5 : (max ? (a as number) > (b as number) : (a as number) < (b as number)) ? 1 : 0;
  return binary(max ? "pick_max" : "pick_min", "adPickWeight", a as Tensor, b as Tensor);
}

function adClampMask(x: Tensor, min?: Val | null, max?: Val | null): WebGPUTensor {
  const ex = exOf("adClampMask", x, min, max);
  const lo = min === undefined || min === null ? -Infinity : (min as Tensor | number);
  const hi = max === undefined || max === null ? Infinity : (max as Tensor | number);
  const { meta, bufs } = stridedMeta(ex, "adClampMask", [...x.shape], [lo as Tensor | number, hi as Tensor | number], [0, 1]);
  return run1d(ex, "clamp_mask", "adClampMask", meta, [x as WebGPUTensor, ...bufs], emptyOn(ex, "adClampMask", x.shape), x.numel());
}

function adExtremumWeights(x: Tensor, out: Tensor, dim?: number | readonly number[] | null, keepdim = false): unknown {
  const o = adSumBackward(out, x, dim, keepdim) as Tensor;
  const hit = adEqMask(x, o) as Tensor;
  const count = adSumBackward(reduce("sum", "adExtremumWeights", hit, dim === null ? undefined : dim, keepdim), x, dim, keepdim) as Tensor;
  return binary("div", "adExtremumWeights", hit, count);
}

/** x permuted so the reduced dims come last (rows of L elements), and the inverse permutation. */
function rowsLast(x: Tensor, dim?: number | readonly number[] | null): { perm: number[]; inv: number[]; L: number } {
  const dims = reducedDims(x, dim);
  const keep = x.shape.map((_, i) => i).filter((i) => !dims.includes(i));
  const perm = [...keep, ...dims];
  const inv = new Array<number>(perm.length);
  perm.forEach((d, i) => (inv[d] = i));
  return { perm, inv, L: dims.reduce((a, d) => a * x.shape[d], 1) };
}

function adProdGrad(x: Tensor, dim?: number | readonly number[] | null): unknown {
  const ex = exOf("adProdGrad", x);
  const { perm, inv, L } = rowsLast(x, dim);
  const xp = gpuOpsTable().permute(x, perm) as WebGPUTensor;
  const rows = L === 0 ? 0 : xp.numel() / L;
  const g = run1d(ex, "prod_grad", "adProdGrad", [rows, L], [xp], emptyOn(ex, "adProdGrad", xp.shape), rows);
  return gpuOpsTable().permute(g, inv);
}

function adProdGradJvp(x: Tensor, dx: Tensor, dim?: number | readonly number[] | null): unknown {
  const ex = exOf("adProdGradJvp", x, dx);
  const { perm, inv, L } = rowsLast(x, dim);
  const xp = gpuOpsTable().permute(x, perm) as WebGPUTensor;
  const dp = gpuOpsTable().permute(dx, perm) as WebGPUTensor;
  const n = xp.numel();
  const g = run1d(ex, "prod_grad_jvp", "adProdGradJvp", [n, L], [xp, dp], emptyOn(ex, "adProdGradJvp", xp.shape), L === 0 ? 0 : n);
  return gpuOpsTable().permute(g, inv);
}

function adIndexBackward(ct: Tensor, x: Tensor, indices: unknown): unknown {
  if (ct === undefined) return undefined;
  const ex = exOf("adIndexBackward", ct, x);
  const { rows } = rowIndices("adIndexBackward", indices, x.shape[0], x.shape);
  const inner = numelOf(x.shape.slice(1));
  const rowBuf = new WebGPUTensor(ex.upload("adIndexBackward", rows), [rows.length]);
  return run1d(ex, "scatter_rows_add", "adIndexBackward", [x.numel(), inner, rows.length], [ct as WebGPUTensor, rowBuf], emptyOn(ex, "adIndexBackward", x.shape), x.numel());
}

/** vmap: row b of a [B, …] result, allocated at the first row written. */
function adPutRow(out: unknown, r: Tensor | undefined, b: number, B: number): unknown {
  if (r === undefined) return out instanceof Tensor ? out : undefined;
  const ex = exOf("vmap", out, r);
  let o = out instanceof WebGPUTensor ? out : undefined;
  if (!o) o = emptyOn(ex, "vmap", [B, ...r.shape]);
  else if (o.shape.length !== r.shape.length + 1 || r.shape.some((s, k) => s !== o!.shape[k + 1])) {
    throw new RangeError(`vmap: every row's result must have the same shape: row ${b} has [${r.shape.join(", ")}], earlier rows [${o.shape.slice(1).join(", ")}]`);
  }
  ex.copy("vmap", (r as WebGPUTensor).storage, (r as WebGPUTensor).byteOffset, o.storage, o.byteOffset + b * r.numel() * 4, r.numel() * 4);
  return o;
}

/**
 * Only reached for a number `like` (a number parameter's cotangent): the total
 * as a 0-d device tensor, since WebGPU cannot read it back synchronously. The
 * generated code adds such cotangents with adNumAdd & co (runtime/ad.ts).
 */
function adSumTo(t: Val, like: Val): unknown {
  if (!isT(t)) return t;
  exOf("adSumTo", t, like);
  return reduce("sum", "adSumTo", t, undefined, false);
}

/** Writes the elements of a vector of number cotangents (numbers, or 0-d device tensors) to J from element `at` on. */
function putNums(J: WebGPUTensor, at: number, v: ArrayLike<unknown>, op: string): void {
  for (let k = 0; k < v.length; k++) {
    const e = v[k];
    if (typeof e === "number") putScalar(J, at + k, e, op);
    else {
      const s = onDevice(J.executor, op, e as Tensor);
      if (s.numel() !== 1) throw new RangeError(`${op}: element ${k} of a number cotangent vector is a tensor of shape [${s.shape.join(", ")}], expected one value`);
      J.executor.copy(op, s.storage, s.byteOffset, J.storage, J.byteOffset + (at + k) * 4, 4);
    }
  }
}

const hasTensor = (v: unknown): v is unknown[] => Array.isArray(v) && v.some(isT);

/** A vector of number cotangents, some of them 0-d device tensors, as a float32 device tensor of `shape`. */
function adWrapNums(data: ArrayLike<unknown>, shape: readonly number[]): WebGPUTensor {
  const ex = exOf("adWrapNums", ...Array.from(data));
  const out = emptyOn(ex, "adWrapNums", shape);
  if (out.numel() !== data.length) throw new RangeError(`adWrapNums: ${data.length} values for shape [${shape.join(", ")}]`);
  putNums(out, 0, data, "adWrapNums");
  return out;
}

/** `.item()` in generated code: the one element as a 0-d view of the same buffer (a number would need a synchronous read-back). */
function adItem(t: Tensor): WebGPUTensor {
  const x = t as WebGPUTensor;
  exOf("item", x);
  if (x.numel() !== 1) throw new RangeError(`item: only a one-element tensor converts to a number, got shape [${x.shape.join(", ")}]`);
  return viewOf(x, []);
}

/** The helpers by name, as runtime/ad.ts dispatches them. */
export const gpuAd: Record<string, (...args: any[]) => unknown> = {
  adOneHot,
  adBlock,
  adSetRow,
  adSetCol,
  adExpandAs,
  adZerosLike,
  adSumBackward,
  adMeanBackward,
  adSelectBackward,
  adNarrowBackward,
  adStep: (x: Tensor) => unary("step", "adStep", x),
  adSign: (x: Tensor) => unary("sgn", "adSign", x),
  adEqMask,
  adPickWeight,
  adClampMask,
  adExtremumWeights,
  adProdGrad,
  adProdGradJvp,
  adIndexBackward,
  adPutRow,
  adSumTo,
  adWrapNums,
  adItem,
};

