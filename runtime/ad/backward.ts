/* eslint-disable @typescript-eslint/no-explicit-any -- values flowing between generated code and ops */
// The backward of the ops whose vjp is not another op: reductions, matmul,
// shape changes, the masks and weights of kinks and ties. Each is linear in its
// cotangent argument, so the compiler can differentiate through it again
// (forward over reverse).
import { Tensor } from "../tensor.js";
import type { DType } from "../dtype.js";
import * as ops from "../ops/index.js";
import { zeros } from "../factories.js";
import { gpuArgs, gpuCall } from "../device.js";
import { isT, type Val } from "./values.js";
import { adExpandAs, adSumTo } from "./cotangents.js";

function reducedDims(x: Tensor, dim: number | readonly number[] | undefined | null): number[] {
  if (dim === undefined || dim === null) return x.shape.map((_, i) => i);
  const list = typeof dim === "number" ? [dim] : [...dim];
  return list.map((d) => (d < 0 ? d + x.shape.length : d)).sort((a, b) => a - b);
}

/** Backward of sum: ct broadcast back over the reduced dims. */
export function adSumBackward(ct: Tensor, x: Tensor, dim?: number | readonly number[] | null, keepdim = false): Tensor {
  if (gpuArgs(arguments)) return gpuCall("adSumBackward", arguments); // WebGPU tensors: runtime/webgpu/ad.ts
  if (ct === undefined) return undefined as never; // a structural zero (forward over reverse)
  let c = ct;
  if (!keepdim) for (const d of reducedDims(x, dim)) c = ops.unsqueeze(c, d);
  return adExpandAs(c, x) as Tensor;
}

export function adMeanBackward(ct: Tensor, x: Tensor, dim?: number | readonly number[] | null, keepdim = false): Tensor {
  if (gpuArgs(arguments)) return gpuCall("adMeanBackward", arguments); // WebGPU tensors: runtime/webgpu/ad.ts
  if (ct === undefined) return undefined as never; // a structural zero (forward over reverse)
  const n = reducedDims(x, dim).reduce((a, d) => a * x.shape[d], 1);
  return ops.div(adSumBackward(ct, x, dim, keepdim), n);
}

function swapLast(t: Tensor): Tensor {
  return ops.transpose(t, -1, -2);
}

/** matmul backward for the first operand: ct @ bᵀ, with 1-D operands and batch broadcasting undone. */
export function adMatmulBackA(ct: Tensor, a: Tensor, b: Tensor): Tensor {
  if (gpuArgs(arguments)) return gpuCall("adMatmulBackA", arguments); // WebGPU: bᵀ read in place (runtime/webgpu/matmul-back.ts)
  if (ct === undefined) return undefined as never; // a structural zero (forward over reverse)
  if (a.ndim === 1 && b.ndim === 1) return ops.mul(b, ct);
  const B = b.ndim === 1 ? ops.unsqueeze(b, 1) : b;
  let C = ct;
  if (a.ndim === 1) C = ops.unsqueeze(C, -2);
  if (b.ndim === 1) C = ops.unsqueeze(C, -1);
  let r = ops.matmul(C, swapLast(B));
  if (a.ndim === 1) r = ops.squeeze(r, -2);
  return adSumTo(r, a) as Tensor;
}

/** matmul backward for the second operand: aᵀ @ ct. */
export function adMatmulBackB(ct: Tensor, a: Tensor, b: Tensor): Tensor {
  if (gpuArgs(arguments)) return gpuCall("adMatmulBackB", arguments); // WebGPU: aᵀ read in place (runtime/webgpu/matmul-back.ts)
  if (ct === undefined) return undefined as never; // a structural zero (forward over reverse)
  if (a.ndim === 1 && b.ndim === 1) return ops.mul(a, ct);
  const A = a.ndim === 1 ? ops.unsqueeze(a, 0) : a;
  let C = ct;
  if (a.ndim === 1) C = ops.unsqueeze(C, -2);
  if (b.ndim === 1) C = ops.unsqueeze(C, -1);
  let r = ops.matmul(swapLast(A), C);
  if (b.ndim === 1) r = ops.squeeze(r, -1);
  return adSumTo(r, b) as Tensor;
}

/** `piece` placed at [start, start + length) of dim `d` of x's shape, zeros elsewhere. */
function placeAlong(piece: Tensor, x: Tensor, d: number, start: number, length: number): Tensor {
  const zerosOf = (len: number) => {
    const shape = [...x.shape];
    shape[d] = len;
    return zeros(shape, { dtype: piece.dtype });
  };
  const parts: Tensor[] = [];
  if (start > 0) parts.push(zerosOf(start));
  parts.push(piece);
  if (start + length < x.shape[d]) parts.push(zerosOf(x.shape[d] - start - length));
  return parts.length === 1 ? parts[0] : ops.cat(parts, d);
}

/** Backward of select: ct placed at `index` of `dim`, zeros elsewhere. */
export function adSelectBackward(ct: Tensor, x: Tensor, dim: number, index: number): Tensor {
  if (gpuArgs(arguments)) return gpuCall("adSelectBackward", arguments); // WebGPU tensors: runtime/webgpu/ad.ts
  if (ct === undefined) return undefined as never; // a structural zero (forward over reverse)
  const d = dim < 0 ? dim + x.ndim : dim;
  return placeAlong(ops.unsqueeze(ct, d), x, d, index < 0 ? index + x.shape[d] : index, 1);
}

/** Backward of narrow: ct placed at [start, start + length) of `dim`. */
export function adNarrowBackward(ct: Tensor, x: Tensor, dim: number, start: number, length: number): Tensor {
  if (gpuArgs(arguments)) return gpuCall("adNarrowBackward", arguments); // WebGPU tensors: runtime/webgpu/ad.ts
  if (ct === undefined) return undefined as never; // a structural zero (forward over reverse)
  const d = dim < 0 ? dim + x.ndim : dim;
  return placeAlong(ct, x, d, start < 0 ? start + x.shape[d] : start, length);
}

export function adReshapeAs(ct: Tensor, x: Tensor): Tensor {
  if (ct === undefined) return undefined as never; // a structural zero (forward over reverse)
  return ops.reshape(ct, [...x.shape]);
}

/** 1 where x > 0, else 0 (relu's derivative; 0 at 0 as in PyTorch). */
export function adStep(x: Tensor): Tensor {
  if (gpuArgs(arguments)) return gpuCall("adStep", arguments); // WebGPU tensors: runtime/webgpu/ad.ts
  const out = x.dtype === "float32" ? new Float32Array(x.numel()) : new Float64Array(x.numel());
  for (let i = 0; i < out.length; i++) out[i] = x.data[i] > 0 ? 1 : 0;
  return new Tensor(out, x.shape);
}

export function adSign(x: Tensor): Tensor {
  if (gpuArgs(arguments)) return gpuCall("adSign", arguments); // WebGPU tensors: runtime/webgpu/ad.ts
  const out = x.dtype === "float32" ? new Float32Array(x.numel()) : new Float64Array(x.numel());
  for (let i = 0; i < out.length; i++) out[i] = Math.sign(x.data[i]);
  return new Tensor(out, x.shape);
}

/** x.float() / .double() / .bool() / .int() in generated code: x converted to `dtype` (either device: the tensor's own `to`). */
export function adCast(x: Tensor, dtype: DType): Tensor {
  if (!isT(x)) throw new TypeError(`${dtype === "float32" ? "float" : dtype === "float64" ? "double" : dtype === "bool" ? "bool" : "int"}: expected a Tensor, got ${typeof x}`);
  return x.to(dtype);
}

/** The reverse of a float-to-float conversion: the cotangent in its primal's dtype (a structural zero stays undefined; a number stays a number). */
export function adCastLike(ct: Val, x: Val): Val {
  return isT(ct) && isT(x) && ct.dtype !== x.dtype ? ct.to(x.dtype) : ct;
}

/** 1 where a == b else 0, for splitting ties of maximum / minimum / max / min. */
export function adEqMask(a: Val, b: Val): any {
  if (gpuArgs(arguments)) return gpuCall("adEqMask", arguments); // WebGPU tensors: runtime/webgpu/ad.ts
  if (!isT(a) && !isT(b)) return a === b ? 1 : 0;
  return ops.sub(1, adSign(ops.abs(ops.sub(a as Tensor, b as Tensor))));
}

/** The inverse of a permutation (permute's backward). */
export function adInversePerm(dims: readonly number[]): number[] {
  const n = dims.length;
  const inv = new Array<number>(n);
  dims.forEach((d, i) => (inv[d < 0 ? d + n : d] = i));
  return inv;
}


/** Weights of the first operand in maximum (max = true) / minimum: 1, ½ on ties, 0 (PyTorch). */
export function adPickWeight(a: Val, b: Val, max: boolean): any {
  if (gpuArgs(arguments)) return gpuCall("adPickWeight", arguments); // WebGPU tensors: runtime/webgpu/ad.ts
  const wa = (x: number, y: number) => (x === y ? 0.5 : (max ? x > y : x < y) ? 1 : 0);
  if (!isT(a) && !isT(b)) return wa(a as number, b as number);
  const ta = isT(a) ? a : null;
  const tb = isT(b) ? b : null;
  const like = (ta ?? tb)!;
  const diff = ops.sub(a as Tensor, b as Tensor); // broadcast shape
  const out = like.dtype === "float32" && (!tb || tb.dtype === "float32") ? new Float32Array(diff.numel()) : new Float64Array(diff.numel());
  for (let i = 0; i < out.length; i++) out[i] = diff.data[i] === 0 ? 0.5 : (max ? diff.data[i] > 0 : diff.data[i] < 0) ? 1 : 0;
  return new Tensor(out, diff.shape);
}

/** clamp's derivative mask: 1 where min <= x <= max (PyTorch), else 0. */
export function adClampMask(x: Tensor, min?: Val | null, max?: Val | null): Tensor {
  if (gpuArgs(arguments)) return gpuCall("adClampMask", arguments); // WebGPU tensors: runtime/webgpu/ad.ts
  const above = min === undefined || min === null ? null : ops.sub(x, min as Tensor);
  const below = max === undefined || max === null ? null : ops.sub(max as Tensor, x);
  const out = x.dtype === "float32" ? new Float32Array(x.numel()) : new Float64Array(x.numel());
  for (let i = 0; i < out.length; i++) out[i] = (!above || above.data[i] >= 0) && (!below || below.data[i] >= 0) ? 1 : 0;
  return new Tensor(out, x.shape);
}

/** Weights of max / min reductions: the cotangent is split evenly among tied extrema. */
export function adExtremumWeights(x: Tensor, out: Tensor, dim?: number | readonly number[] | null, keepdim = false): Tensor {
  if (gpuArgs(arguments)) return gpuCall("adExtremumWeights", arguments); // WebGPU tensors: runtime/webgpu/ad.ts
  const o = adSumBackward(out, x, dim, keepdim);
  const hit = adEqMask(x, o) as Tensor;
  const count = adSumBackward(ops.sum(hit, dim === null ? undefined : (dim as number | number[] | undefined), keepdim), x, dim, keepdim);
  return ops.div(hit, count);
}

/** ∂ prod / ∂ x_i = product of the other elements along the reduced dims (exact at zeros). */
export function adProdGrad(x: Tensor, dim?: number | readonly number[] | null, keepdim = false): Tensor {
  if (gpuArgs(arguments)) return gpuCall("adProdGrad", arguments); // WebGPU tensors: runtime/webgpu/ad.ts
  void keepdim;
  const dims = reducedDims(x, dim);
  // move reduced dims last, flatten them, then prefix/suffix products per row
  const keep = x.shape.map((_, i) => i).filter((i) => !dims.includes(i));
  const perm = [...keep, ...dims];
  const xp = ops.permute(x, perm);
  const rowLen = dims.reduce((a, d) => a * x.shape[d], 1);
  const rows = rowLen === 0 ? 0 : xp.numel() / rowLen;
  const src = xp.data;
  const g = x.dtype === "float32" ? new Float32Array(src.length) : new Float64Array(src.length);
  for (let r = 0; r < rows; r++) {
    let pre = 1;
    for (let k = 0; k < rowLen; k++) {
      g[r * rowLen + k] = pre;
      pre *= src[r * rowLen + k];
    }
    let suf = 1;
    for (let k = rowLen - 1; k >= 0; k--) {
      g[r * rowLen + k] *= suf;
      suf *= src[r * rowLen + k];
    }
  }
  return ops.permute(new Tensor(g, xp.shape), adInversePerm(perm));
}

/** Backward of cat / stack: the piece of ct that came from operand i. */
export function adCatPiece(ct: Tensor, i: number, dim: number, stacked: boolean, ...parts: Tensor[]): Tensor {
  if (ct === undefined) return undefined as never;
  const nd = ct.shape.length;
  const d = dim < 0 ? dim + nd : dim;
  if (stacked) return ops.select(ct, d, i);
  let start = 0;
  for (let k = 0; k < i; k++) start += parts[k].shape[d];
  return ops.narrow(ct, d, start, parts[i].shape[d]);
}

/** Backward of index (a gather along dim 0): ct rows added back at their indices. */
export function adIndexBackward(ct: Tensor, x: Tensor, indices: number | ArrayLike<number> | Tensor): Tensor {
  if (gpuArgs(arguments)) return gpuCall("adIndexBackward", arguments); // WebGPU tensors: runtime/webgpu/ad.ts
  if (ct === undefined) return undefined as never; // a structural zero (forward over reverse)
  const idx = typeof indices === "number" ? [indices] : isT(indices) ? Array.from(indices.data) : Array.from(indices);
  const rowLen = x.shape.slice(1).reduce((a, b) => a * b, 1);
  const out = x.dtype === "float32" ? new Float32Array(x.numel()) : new Float64Array(x.numel());
  idx.forEach((j, r) => {
    const jj = j < 0 ? j + x.shape[0] : j;
    for (let c = 0; c < rowLen; c++) out[jj * rowLen + c] += ct.data[r * rowLen + c];
  });
  return new Tensor(out, x.shape);
}

/** Tangent of adProdGrad: d(Π_{k≠i} x_k) = Σ_{j≠i} dx_j Π_{k≠i,j} x_k (exact at zeros). */
export function adProdGradJvp(x: Tensor, dx: Tensor, dim?: number | readonly number[] | null, keepdim = false): Tensor {
  if (gpuArgs(arguments)) return gpuCall("adProdGradJvp", arguments); // WebGPU tensors: runtime/webgpu/ad.ts
  void keepdim;
  const dims = reducedDims(x, dim);
  const keep = x.shape.map((_, i) => i).filter((i) => !dims.includes(i));
  const perm = [...keep, ...dims];
  const xp = ops.permute(x, perm);
  const dp = ops.permute(dx, perm);
  const L = dims.reduce((a, d) => a * x.shape[d], 1);
  const rows = L === 0 ? 0 : xp.numel() / L;
  const out = x.dtype === "float32" ? new Float32Array(xp.numel()) : new Float64Array(xp.numel());
  const others = new Float64Array(Math.max(L - 1, 0));
  const dothers = new Float64Array(Math.max(L - 1, 0));
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < L; i++) {
      // the row without element i, then Σ_j d_j Π_{k≠j} (prefix/suffix products)
      let m = 0;
      for (let k = 0; k < L; k++) if (k !== i) (others[m] = xp.data[r * L + k], dothers[m++] = dp.data[r * L + k]);
      let pre = 1;
      let acc = 0;
      const suffix = new Float64Array(m + 1);
      suffix[m] = 1;
      for (let k = m - 1; k >= 0; k--) suffix[k] = suffix[k + 1] * others[k];
      for (let k = 0; k < m; k++) {
        acc += dothers[k] * pre * suffix[k + 1];
        pre *= others[k];
      }
      out[r * L + i] = acc;
    }
  }
  return ops.permute(new Tensor(out, xp.shape), adInversePerm(perm));
}
