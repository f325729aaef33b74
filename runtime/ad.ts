/* eslint-disable @typescript-eslint/no-explicit-any -- values flowing between generated code and ops */
// Helpers the generated derivative code calls for tensor programs: cotangent
// accumulation, un-broadcasting, the backward of shape-changing ops, and the
// assembly of Jacobian blocks (shape out.shape ++ in.shape). Each is small and
// linear in its cotangent argument, so the compiler can differentiate through
// it again (forward over reverse).
import { Tensor } from "./tensor.js";
import * as ops from "./ops/index.js";
import { zeros } from "./factories.js";
import { gpuArgs, gpuCall } from "./device.js";
import { allocJacobian, type DType } from "./dtype.js";

type Val = number | Tensor | ArrayLike<number>;

const isT = (x: unknown): x is Tensor => x instanceof Tensor;

/** a + b where a may not exist yet (a cotangent accumulated for the first time). */
export function adAcc(a: Val | undefined, b: Val | undefined): any {
  if (a === undefined) return b;
  if (b === undefined) return a; // a callee's reverse that no cotangent reached
  if (typeof a === "number" && typeof b === "number") return a + b;
  return ops.add(a as Tensor, b as Tensor);
}

/**
 * Sums `t` down to the shape of `like` (undoing broadcasting); a number `like`
 * takes the total. An undefined `t` (in forward over reverse, the tangent of a
 * cotangent nothing varied has reached yet: a zero) stays undefined for a
 * Tensor `like` and is 0 for a number one: number values are never undefined
 * (a number parameter's cotangent adds it with adNumAdd).
 */
export function adSumTo(t: Val | undefined, like: Val): any {
  if (t === undefined) return typeof like === "number" ? 0 : undefined;
  if (typeof like === "number" && gpuArgs(arguments)) return gpuCall("adSumTo", arguments); // WebGPU: a 0-d device tensor
  if (!isT(t)) return t;
  if (typeof like === "number") return ops.sum(t).item();
  const shape = (like as Tensor).shape;
  if (t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i])) return t;
  const lead = t.shape.length - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < t.shape.length; i++) {
    if (i < lead || (shape[i - lead] === 1 && t.shape[i] !== 1)) dims.push(i);
  }
  let r = dims.length ? ops.sum(t, dims, true) : t;
  if (lead > 0) r = ops.reshape(r, [...shape]);
  return r.shape.length === shape.length ? r : ops.reshape(r, [...shape]);
}

// ---- number cotangents that may live on the device (compiler/opt/device-numbers.ts)
// A number parameter's cotangent in a tensor program is a sum over a tensor
// (adSumTo to a number): a number on the CPU, a 0-d WebGPU tensor on the device
// (read with `await t.read()`; a synchronous read does not exist there). The
// generated code does its arithmetic on such cotangents through these helpers.

const bothNum = (a: unknown, b: unknown): boolean => typeof a === "number" && typeof b === "number";

export function adNumAdd(a: Val, b: Val): any {
  return bothNum(a, b) ? (a as number) + (b as number) : ops.add(a as Tensor, b as Tensor);
}

export function adNumSub(a: Val, b: Val): any {
  return bothNum(a, b) ? (a as number) - (b as number) : ops.sub(a as Tensor, b as Tensor);
}

export function adNumMul(a: Val, b: Val): any {
  return bothNum(a, b) ? (a as number) * (b as number) : ops.mul(a as Tensor, b as Tensor);
}

export function adNumDiv(a: Val, b: Val): any {
  return bothNum(a, b) ? (a as number) / (b as number) : ops.div(a as Tensor, b as Tensor);
}

export function adNumNeg(a: Val): any {
  return typeof a === "number" ? -a : ops.neg(a as Tensor);
}

/** Math.exp & co (and `**`) of numbers that may be 0-d device tensors: the tensor op of the same name there. */
export function adNumMath(fn: "exp" | "log" | "sqrt" | "sin" | "cos" | "tanh" | "pow", a: Val, b?: Val): any {
  if (fn === "pow") return bothNum(a, b) ? (a as number) ** (b as number) : ops.pow(a as Tensor, b as Tensor);
  return typeof a === "number" ? Math[fn](a) : ops[fn](a as Tensor);
}

/** `t.item()` in generated code: the number on the CPU; on WebGPU, the 0-d device tensor holding it (WebGPU reads nothing synchronously). */
export function adItem(t: Tensor): any {
  if (gpuArgs(arguments)) return gpuCall("adItem", arguments); // runtime/webgpu/ad.ts
  return t.item();
}

/** A number at an operation of numbers only: a device value there cannot be read, so it is an error that says so. */
export function adNumPlain(a: unknown, op: string): any {
  if (typeof a !== "object" || a === null) return a;
  throw new TypeError(
    `WebGPU: a number that lives on the device as a 0-d tensor (\`.item()\` of a WebGPU tensor, or the derivative with respect to a number parameter) reaches \`${op}\`, ` +
      `which takes only numbers (a synchronous read-back, which WebGPU does not allow); keep it a tensor (\`t.sum()\` rather than \`t.sum().item()\`), ` +
      `pass a number parameter as a tensor on the device or use forward mode for it, or run on the CPU`,
  );
}

/** A vector of number cotangents: a plain array (a typed array cannot hold a tensor); f32: its numbers are rounded as a Float32Array's. */
type NumVec = unknown[] & { f32?: true };

/** A zeroed vector of number cotangents. */
export function adNumVec(n: number, f32 = false): NumVec {
  const out: NumVec = new Array<number>(n).fill(0);
  if (f32) out.f32 = true;
  return out;
}

/** A copy of a vector of number cotangents (a snapshot), float32 rounding included. */
export function adNumCopy(src: ArrayLike<unknown>): NumVec {
  const out: NumVec = Array.from(src);
  if ((src as NumVec).f32 === true || src instanceof Float32Array) out.f32 = true;
  return out;
}

/** v as stored in `arr`: a number rounded to float32 where a Float32Array would hold it; a device value as it is (a typed array cannot hold one: an error, not a NaN). */
export function adNumFit(v: unknown, arr: ArrayLike<unknown>): unknown {
  if (typeof v === "number") return (arr as NumVec).f32 === true ? Math.fround(v) : v;
  if (ArrayBuffer.isView(arr)) adNumPlain(v, "a typed array");
  return v;
}

/** A vector of number cotangents as a Tensor of `shape`: on the device when one of them is there (float32), else float64 (float32 for a float32 vector). */
export function adWrapNums(data: ArrayLike<unknown>, shape: number[]): Tensor {
  if (gpuArgs([data])) return gpuCall("adWrapNums", [data, shape]); // WebGPU: runtime/webgpu/ad.ts
  const arr = data as ArrayLike<number>;
  return new Tensor((data as NumVec).f32 === true || data instanceof Float32Array ? Float32Array.from(arr) : Float64Array.from(arr), shape);
}

/** `t` broadcast (materialised) to the shape of `like`. */
export function adExpandAs(t: Val, like: Val): any {
  if (gpuArgs(arguments)) return gpuCall("adExpandAs", arguments); // WebGPU tensors: runtime/webgpu/ad.ts
  if (t === undefined) return undefined as never; // a structural zero (forward over reverse)
  if (!isT(like)) return t;
  const tt = isT(t) ? t : ops.mul(ops.add(zeros([...like.shape], { dtype: like.dtype }), 1), t as number);
  if (tt.shape.length === like.shape.length && tt.shape.every((d, i) => d === like.shape[i])) return tt;
  return ops.add(zeros([...like.shape], { dtype: tt.dtype }), tt);
}

export function adZerosLike(x: Val): any {
  if (gpuArgs(arguments)) return gpuCall("adZerosLike", arguments); // WebGPU tensors: runtime/webgpu/ad.ts
  return isT(x) ? zeros([...x.shape], { dtype: x.dtype }) : 0;
}

/** A tensor shaped like x, zero but a 1 at flat index k (a basis direction). */
export function adOneHot(x: Tensor, k: number): Tensor {
  if (gpuArgs(arguments)) return gpuCall("adOneHot", arguments); // WebGPU tensors: runtime/webgpu/ad.ts
  const data = x.dtype === "float32" ? new Float32Array(x.numel()) : new Float64Array(x.numel());
  data[k] = 1;
  return new Tensor(data, x.shape);
}

export function adNumel(x: Val): number {
  if (typeof x === "number") return 1;
  if (isT(x)) return x.numel();
  return x.length;
}

function shapeOf(x: Val): number[] {
  if (typeof x === "number") return [];
  if (isT(x)) return [...x.shape];
  return [x.length];
}

function dtypeOf(x: Val): "float32" | "float64" {
  if (isT(x)) return x.dtype;
  return x instanceof Float32Array ? "float32" : "float64";
}

/**
 * A zero Jacobian block: shape out.shape ++ in.shape, dtype of the input (reverse) or output (forward).
 * `label` ("jacrev(f)") names the marker when the block is too big to allocate.
 */
export function adBlock(out: Val, inp: Val, dtypeFrom: "in" | "out", label = "jacobian"): Tensor {
  if (gpuArgs(arguments)) return gpuCall("adBlock", arguments); // WebGPU tensors: runtime/webgpu/ad.ts
  const shape = [...shapeOf(out), ...shapeOf(inp)];
  return new Tensor(allocJacobian(label, shape, dtypeOf(dtypeFrom === "in" ? inp : out)), shape);
}

/** A Jacobian's storage for generated code (the direct kernels): runtime/dtype.ts allocJacobian. */
export function adJacobianStorage(label: string, shape: readonly number[], dtype: DType): Float64Array | Float32Array {
  return allocJacobian(label, shape, dtype);
}

/** Writes row r of a block: the cotangent of the input (undefined: a zero row). */
export function adSetRow(J: Tensor, r: number, bar: Val | undefined, nIn: number): void {
  if (gpuArgs(arguments)) return gpuCall("adSetRow", arguments); // WebGPU tensors: runtime/webgpu/ad.ts
  if (bar === undefined) return;
  const base = r * nIn;
  if (typeof bar === "number") J.data[base] = bar;
  else {
    const src = isT(bar) ? bar.data : bar;
    for (let c = 0; c < nIn; c++) J.data[base + c] = src[c];
  }
}

/** Writes column c of a block: the tangent of the output. */
export function adSetCol(J: Tensor, c: number, d: Val | undefined, nIn: number): void {
  if (gpuArgs(arguments)) return gpuCall("adSetCol", arguments); // WebGPU tensors: runtime/webgpu/ad.ts
  if (d === undefined) return;
  if (typeof d === "number") J.data[c] = d;
  else {
    const src = isT(d) ? d.data : d;
    for (let r = 0; r < src.length; r++) J.data[r * nIn + c] = src[r];
  }
}

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

// ---- Hessian sparsity (compiler/emit/pattern.ts generates the pattern functions)

/** The dependence set of a constant. */
export const adPatEmpty: readonly number[] = Object.freeze([]) as readonly number[];

/** Union of sorted index sets. */
export function adPatUnion(...sets: (readonly number[])[]): readonly number[] {
  let out: readonly number[] = adPatEmpty;
  for (const s of sets) {
    if (!s.length || s === out) continue;
    if (!out.length) {
      out = s;
      continue;
    }
    const m: number[] = [];
    let i = 0;
    let j = 0;
    while (i < out.length || j < s.length) {
      const a = i < out.length ? out[i] : Infinity;
      const b = j < s.length ? s[j] : Infinity;
      if (a === b) (m.push(a), i++, j++);
      else if (a < b) (m.push(a), i++);
      else (m.push(b), j++);
    }
    out = m;
  }
  return out;
}

type Pattern = Map<number, Set<number>>;

function interact(P: Pattern, a: readonly number[], b: readonly number[]): void {
  for (const i of a) {
    let row = P.get(i);
    if (!row) P.set(i, (row = new Set()));
    for (const j of b) {
      row.add(j);
      let col = P.get(j);
      if (!col) P.set(j, (col = new Set()));
      col.add(i);
    }
  }
}

/** u·v: the pairs (i, j), i from u, j from v, interact. */
export function adPatMul(P: Pattern, a: readonly number[], b: readonly number[]): readonly number[] {
  if (a.length && b.length) interact(P, a, b);
  return adPatUnion(a, b);
}

/** A nonlinear function of its operands: every pair of their inputs interacts. */
export function adPatNonlinear(P: Pattern, ...sets: (readonly number[])[]): readonly number[] {
  const u = adPatUnion(...sets);
  if (u.length) interact(P, u, u);
  return u;
}

/**
 * hessian(f) for a vector argument, compressed by column colouring: columns
 * that share no row of the pattern get one forward-over-reverse sweep
 * together (Curtis–Powell–Reid), and each entry is read back directly. With
 * `lanes` (the sweep carrying L tangent columns, compiler/ad/lanes.ts), L
 * colours share one sweep: its primal and reverse-sweep control run once
 * (`jvp`, one colour per sweep, is then not needed: undefined).
 */
export function adHessianSparse(
  given: unknown[],
  argnum: number,
  pattern: (P: Pattern, ...a: unknown[]) => unknown,
  jvp: ((...a: unknown[]) => unknown[]) | undefined,
  nParams = given.length,
  label = "hessian",
  cache?: Map<string | number, Colouring>,
  lanes?: (...a: unknown[]) => unknown[],
  L = 1,
  nScratch = 0,
): Tensor {
  // parameters left out take their defaults inside the generated functions
  const args = given.length < nParams ? [...given, ...new Array(nParams - given.length).fill(undefined)] : given;
  const x = args[argnum] as ArrayLike<number>;
  const n = x.length;
  const f32 = x instanceof Float32Array;
  // the result first: one too big is a RangeError before the pattern's work
  const H = allocJacobian(label, [n, n], f32 ? "float32" : "float64");
  // a program whose path depends on its arguments' lengths only (compiler/ad/shape-only.ts) has one pattern per lengths
  const key = cache && (args.length === 1 ? n : args.map((a) => (Array.isArray(a) || ArrayBuffer.isView(a) ? (a as ArrayLike<number>).length : "")).join(","));
  let c = key === undefined ? undefined : cache!.get(key);
  if (!c || c.f32 !== f32) {
    c = colouring(args, argnum, n, pattern, f32);
    if (key !== undefined) {
      if (cache!.size >= 16) cache!.clear(); // a few sizes in turn, not every size ever seen
      cache!.set(key, c);
    }
  }
  const { ncolors, rows, seeds } = c;
  const cols = c.cols;
  if (lanes) {
    // ⌈colours / L⌉ sweeps; a lane past the last colour gets a zero seed (its tangent is not read).
    // The zero seed, the arrays a sweep writes its results into (compiler/ad/lanes.ts intoScratch) and
    // the argument list are the colouring's, made once: a call allocates the Hessian alone.
    const newVec = () => (f32 ? new Float32Array(n) : new Float64Array(n));
    const zero = ncolors % L ? (c.zero ??= newVec()) : undefined;
    const scratch = nScratch ? (c.scratch ??= Array.from({ length: nScratch }, newVec)) : [];
    const laneArgs = (c.laneArgs ??= [...args, ...new Array(L), ...scratch]);
    for (let i = 0; i < args.length; i++) laneArgs[i] = args[i];
    for (let k0 = 0; k0 < ncolors; k0 += L) {
      for (let l = 0; l < L; l++) laneArgs[args.length + l] = k0 + l < ncolors ? seeds[k0 + l] : zero;
      const r = lanes(...laneArgs);
      const m = r.length - L; // the primal results come first
      for (let l = 0; l < L && k0 + l < ncolors; l++) scatter(H, n, cols[k0 + l], rows, r[m + l]);
    }
    for (let i = 0; i < args.length; i++) laneArgs[i] = undefined; // the cache keeps no argument alive
  } else {
    for (let k = 0; k < ncolors; k++) {
      const r = jvp!(...args, seeds[k]);
      scatter(H, n, cols[k], rows, r[r.length - 1]);
    }
  }
  return new Tensor(H, [n, n]);
}

/** Writes the compressed column `dJ` (one colour's sweep) into H: entry (i, j) for each column j of the colour. */
function scatter(H: Float64Array | Float32Array, n: number, cols: Int32Array, rows: Int32Array[], dJ: unknown): void {
  const d = dJ instanceof Tensor ? dJ.data : (dJ as ArrayLike<number>);
  for (let p = 0; p < cols.length; p++) {
    const j = cols[p];
    const rj = rows[j];
    for (let q = 0; q < rj.length; q++) H[rj[q] * n + j] = d[rj[q]];
  }
}

/**
 * A Hessian's column colouring: colour per column, the rows of each column's
 * non-zeros, the columns of each colour and each colour's seed (kept with the
 * colouring, so a cached one costs no allocation per call).
 */
export interface Colouring {
  colors: Int32Array;
  ncolors: number;
  rows: Int32Array[];
  cols: Int32Array[];
  seeds: (Float64Array | Float32Array)[];
  f32: boolean;
  /** the laned sweep's result arrays, its zero seed and its argument list, made on first use */
  scratch?: (Float64Array | Float32Array)[];
  zero?: Float64Array | Float32Array;
  laneArgs?: unknown[];
}

function colouring(args: unknown[], argnum: number, n: number, pattern: (P: Pattern, ...a: unknown[]) => unknown, f32: boolean): Colouring {
  const shadows = args.map((a, k) => (k === argnum ? Array.from({ length: n }, (_, i) => [i]) : Array.isArray(a) || ArrayBuffer.isView(a) ? Array.from(a as ArrayLike<number>, () => adPatEmpty) : adPatEmpty));
  const P: Pattern = new Map();
  pattern(P, ...args, ...shadows);
  const colors = new Int32Array(n).fill(-1);
  let ncolors = 0;
  const forbidden = new Int32Array(n + 1).fill(-1);
  for (let j = 0; j < n; j++) {
    for (const i of P.get(j) ?? []) for (const k of P.get(i) ?? []) if (colors[k] >= 0) forbidden[colors[k]] = j;
    let c = 0;
    while (forbidden[c] === j) c++;
    colors[j] = c;
    if (c + 1 > ncolors) ncolors = c + 1;
  }
  const rows = Array.from({ length: n }, (_, j) => Int32Array.from(P.get(j) ?? []));
  const cols = Array.from({ length: ncolors }, (_, k) => Int32Array.from(colors.keys()).filter((j) => colors[j] === k));
  const seeds = cols.map((cs) => {
    const s = f32 ? new Float32Array(n) : new Float64Array(n);
    for (const j of cs) s[j] = 1;
    return s;
  });
  return { colors, ncolors, rows, cols, seeds, f32 };
}

/**
 * A tensor op on tangents, where `undefined` is a structural zero (a cotangent
 * that nothing reached yet, differentiated again): sums skip it, where takes
 * it as 0, products and other ops linear in it give undefined.
 */
export function adZ(op: string, operands: number, ...args: unknown[]): any {
  if (!args.slice(0, operands).some((a) => a === undefined)) return (ops as unknown as Record<string, (...a: unknown[]) => unknown>)[op](...args);
  const [a, b] = args;
  if (op === "add") return a === undefined ? b : a;
  if (op === "sub") return a === undefined ? (b === undefined ? undefined : ops.neg(b as Tensor)) : a;
  // where(c, da, db) is linear in (da, db) together: one of them undefined is 0
  if (op === "where") return args[1] === undefined && args[2] === undefined ? undefined : ops.where(a as Tensor, (args[1] ?? 0) as Tensor, (args[2] ?? 0) as Tensor);
  return undefined;
}

/**
 * The output storage of a fused elementwise chain (compiler/opt/fuse.ts):
 * fresh storage of the operands' dtype when every tensor operand is a CPU
 * Tensor of one shape and one dtype; otherwise undefined (the chain then runs
 * op by op, with broadcasting and promotion).
 */
export function adFuseOut(...ts: unknown[]): Float64Array | Float32Array | undefined {
  const a = ts[0];
  if (!isT(a) || a.device !== "cpu") return undefined;
  for (let k = 1; k < ts.length; k++) {
    const b = ts[k];
    if (!isT(b) || b.dtype !== a.dtype || b.device !== "cpu" || b.shape.length !== a.shape.length) return undefined;
    for (let d = 0; d < a.shape.length; d++) if (a.shape[d] !== b.shape[d]) return undefined;
  }
  return a.dtype === "float32" ? new Float32Array(a.numel()) : new Float64Array(a.numel());
}
