/* eslint-disable @typescript-eslint/no-explicit-any -- values flowing between generated code and ops */
// Structured Jacobians: the tangent of a value with respect to one whole input,
// all basis directions at once, kept in the cheapest exact form.
//
//   diag   J[o, i] = d[o] when i = o (d = null: the identity)   elementwise chains
//   csr    sorted column lists per row                           reductions, broadcasts, shape ops, block structures
//   dense  an m×n matrix, row-major                              after a matmul with a dense operand
//   block  G blocks on the diagonal, rg×cg each                  a batch of rows through a matmul (x @ W)
//
// The compiler (compiler/ad/structured.ts) rewrites a straight-line forward
// tangent program so that every op on a tangent calls the entry below that its
// structure class names (sjMul, sjSum, sjMove, …: compiler/ops/structure.ts,
// chosen at compile time; sjColumns for an op with no rule): this is jacfwd = vmap(jvp) over the identity basis with the identity kept
// symbolic. Each op has a fast path for the common structures; any other
// combination runs the op once per basis column on a dense copy (the old
// sweep, for that op only), so every rule stays correct. Values are stored in
// the tangent's dtype and every entry is computed with the same operations,
// in the same order, as the per-direction sweep, so the numbers agree.
import { Tensor } from "./tensor.js";
import * as ops from "./ops/index.js";
import { gemm as gemmKernel } from "./ops/matmul.js";
import * as ad from "./ad.js";
import { alloc, allocJacobian, promote, type DType, type Storage } from "./dtype.js";
import { backend, gpuArgs, gpuCall } from "./device.js";
import { broadcastShapes, broadcastStrides, contiguousStrides, dimMask, numelOf, reduction, sameShape } from "./shape.js";

type Kind = "diag" | "csr" | "dense" | "block";

/** A structured Jacobian: `shape` is the value's shape (its numel rows), `n` the input's numel (columns). */
export class SJ {
  /** false when the storage may be shared with another live value (no in-place update) */
  owned = true;
  d: Storage | null = null;
  ptr: Int32Array | null = null;
  cols: Int32Array | null = null;
  vals: Storage | null = null;
  M: Storage | null = null; // dense: m×n; block: G blocks of rg×cg (equivalently an m×cg matrix)
  rg = 0;
  cg = 0;
  constructor(
    readonly kind: Kind,
    readonly shape: readonly number[],
    readonly n: number,
    readonly dtype: DType,
  ) {}
  get m(): number {
    return numelOf(this.shape);
  }
}

/** How many Jacobian fills of each structure ran (tests check that no sweeps happen). */
export const sjStats = { calls: 0, fallbackColumns: 0, diag: 0, csr: 0, dense: 0, block: 0, direct: 0 };

const isSJ = (x: unknown): x is SJ => x instanceof SJ;

function diag(shape: readonly number[], n: number, dtype: DType, d: Storage | null): SJ {
  const J = new SJ("diag", shape, n, dtype);
  J.d = d;
  return J;
}
function csr(shape: readonly number[], n: number, dtype: DType, ptr: Int32Array, cols: Int32Array, vals: Storage): SJ {
  const J = new SJ("csr", shape, n, dtype);
  J.ptr = ptr;
  J.cols = cols;
  J.vals = vals;
  return J;
}
function dense(shape: readonly number[], n: number, dtype: DType, M: Storage): SJ {
  const J = new SJ("dense", shape, n, dtype);
  J.M = M;
  return J;
}
function block(shape: readonly number[], n: number, dtype: DType, rg: number, cg: number, B: Storage): SJ {
  const J = new SJ("block", shape, n, dtype);
  J.M = B;
  J.rg = rg;
  J.cg = cg;
  return J;
}
/** The same structure and storage under another shape (reshape keeps the flat order). */
function reshaped(J: SJ, shape: readonly number[], own: boolean): SJ {
  const R = new SJ(J.kind, shape, J.n, J.dtype);
  R.d = J.d;
  R.ptr = J.ptr;
  R.cols = J.cols;
  R.vals = J.vals;
  R.M = J.M;
  R.rg = J.rg;
  R.cg = J.cg;
  R.owned = own && J.owned;
  return R;
}

/**
 * Whether every differentiated input is a CPU Tensor, or every one a WebGPU
 * tensor (runtime/webgpu/jac.ts); otherwise the driver runs the sweeps.
 */
export function sjOk(...xs: unknown[]): boolean {
  let gpu = 0;
  for (const x of xs) {
    if (!(x instanceof Tensor)) return false;
    if (x.device === "webgpu") gpu++;
    else if (x.device !== "cpu") return false;
  }
  return gpu === 0 || (gpu === xs.length && backend.current !== undefined);
}

/** sjOk for CPU inputs only: grad's driver sends WebGPU inputs to its one reverse sweep. */
export function sjOkCpu(...xs: unknown[]): boolean {
  return xs.every((x) => x instanceof Tensor && x.device === "cpu");
}

/** The seed: d x / d x, the identity over x's elements. */
export function sjSeed(x: Tensor): SJ {
  if (gpuArgs(arguments)) return gpuCall("sjSeed", arguments); // WebGPU: runtime/webgpu/jac.ts
  sjStats.calls++;
  return diag(x.shape, x.numel(), x.dtype, null);
}

function toCsr(J: SJ): SJ {
  if (J.kind === "csr") return J;
  const m = J.m, n = J.n;
  if (J.kind === "diag") {
    const ptr = new Int32Array(m + 1);
    const cols = new Int32Array(m);
    const vals = alloc(J.dtype, m);
    for (let i = 0; i < m; i++) {
      ptr[i + 1] = i + 1;
      cols[i] = i;
      vals[i] = J.d ? J.d[i] : 1;
    }
    return csr(J.shape, n, J.dtype, ptr, cols, vals);
  }
  if (J.kind === "block") {
    const { rg, cg } = J, B = J.M!;
    const ptr = new Int32Array(m + 1), cols = new Int32Array(m * cg);
    for (let r = 0, t = 0; r < m; r++) {
      const c0 = Math.floor(r / rg) * cg;
      for (let c = 0; c < cg; c++) cols[t++] = c0 + c;
      ptr[r + 1] = t;
    }
    const R = csr(J.shape, n, J.dtype, ptr, cols, B);
    R.owned = false; // shares the blocks' storage
    return R;
  }
  const M = J.M!;
  let nnz = 0;
  for (let k = 0; k < M.length; k++) if (M[k] !== 0) nnz++;
  const ptr = new Int32Array(m + 1);
  const cols = new Int32Array(nnz);
  const vals = alloc(J.dtype, nnz);
  let t = 0;
  for (let r = 0; r < m; r++) {
    for (let c = 0, o = r * n; c < n; c++, o++) if (M[o] !== 0) (cols[t] = c, (vals[t++] = M[o]));
    ptr[r + 1] = t;
  }
  return csr(J.shape, n, J.dtype, ptr, cols, vals);
}

function toDense(J: SJ): Storage {
  if (J.kind === "dense") return J.M!;
  const m = J.m, n = J.n;
  const M = alloc(J.dtype, m * n);
  if (J.kind === "diag") for (let i = 0; i < m; i++) M[i * n + i] = J.d ? J.d[i] : 1;
  else if (J.kind === "block") {
    const { rg, cg } = J, B = J.M!;
    for (let r = 0; r < m; r++) M.set(B.subarray(r * cg, r * cg + cg), r * n + Math.floor(r / rg) * cg);
  } else {
    const { ptr, cols, vals } = J as { ptr: Int32Array; cols: Int32Array; vals: Storage };
    for (let r = 0; r < m; r++) for (let t = ptr[r]; t < ptr[r + 1]; t++) M[r * n + cols[t]] = vals[t];
  }
  return M;
}

/** For every index of `shape` (row-major), the offset Σ idx[d]·strides[d]. */
function indexMap(shape: readonly number[], strides: readonly number[]): Int32Array {
  const total = numelOf(shape);
  const out = new Int32Array(total);
  const nd = shape.length;
  if (nd === 0) return out;
  const idx = new Array<number>(nd).fill(0);
  const last = nd - 1, len = shape[last], s = strides[last];
  let off = 0;
  for (let base = 0; base < total; base += len) {
    for (let j = 0; j < len; j++) out[base + j] = off + j * s;
    for (let d = last - 1; d >= 0; d--) {
      off += strides[d];
      if (++idx[d] < shape[d]) break;
      off -= strides[d] * shape[d];
      idx[d] = 0;
    }
  }
  return out;
}

/** Row r of the result is row src[r] of J (−1: a zero row). */
function gather(J0: SJ, src: Int32Array, shape: readonly number[], own = false): SJ {
  const m = src.length, n = J0.n;
  let J = J0;
  if (m === J.m) {
    let same = true;
    for (let r = 0; r < m && same; r++) same = src[r] === r;
    if (same) return reshaped(J, shape, own);
  }
  if (J.kind === "block") J = toCsr(J);
  if (J.kind === "dense") {
    const M = J.M!, R = alloc(J.dtype, m * n);
    for (let r = 0; r < m; r++) if (src[r] >= 0) R.set(M.subarray(src[r] * n, src[r] * n + n), r * n);
    return dense(shape, n, J.dtype, R);
  }
  if (J.kind === "diag") {
    const ptr = new Int32Array(m + 1);
    let nnz = 0;
    for (let r = 0; r < m; r++) if (src[r] >= 0) nnz++;
    const cols = new Int32Array(nnz), vals = alloc(J.dtype, nnz);
    let t = 0;
    for (let r = 0; r < m; r++) {
      const s = src[r];
      if (s >= 0) (cols[t] = s, (vals[t++] = J.d ? J.d[s] : 1));
      ptr[r + 1] = t;
    }
    return csr(shape, n, J.dtype, ptr, cols, vals);
  }
  const { ptr: p0, cols: c0, vals: v0 } = J as { ptr: Int32Array; cols: Int32Array; vals: Storage };
  const ptr = new Int32Array(m + 1);
  for (let r = 0; r < m; r++) ptr[r + 1] = ptr[r] + (src[r] >= 0 ? p0[src[r] + 1] - p0[src[r]] : 0);
  const cols = new Int32Array(ptr[m]), vals = alloc(J.dtype, ptr[m]);
  for (let r = 0; r < m; r++) {
    const s = src[r];
    if (s < 0) continue;
    cols.set(c0.subarray(p0[s], p0[s + 1]), ptr[r]);
    vals.set(v0.subarray(p0[s], p0[s + 1]), ptr[r]);
  }
  return csr(shape, n, J.dtype, ptr, cols, vals);
}

/**
 * Rows summed into groups: row g of the result is the sum, in increasing r,
 * of the rows r with group[r] = g (as a reduction adds them), divided by
 * `count` for a mean.
 */
function reduceRows(J0: SJ, group: Int32Array, shape: readonly number[], count?: number): SJ {
  const J = J0.kind === "block" ? toCsr(J0) : J0;
  const mOut = numelOf(shape), m = J.m, n = J.n;
  const fin = (x: number) => (count === undefined ? x : x / count);
  if (J.kind === "dense") {
    const M = J.M!, acc = new Float64Array(mOut * n);
    for (let r = 0; r < m; r++) {
      const g = group[r] * n, o = r * n;
      for (let c = 0; c < n; c++) acc[g + c] += M[o + c];
    }
    const R = alloc(J.dtype, mOut * n);
    for (let k = 0; k < R.length; k++) R[k] = fin(acc[k]);
    return dense(shape, n, J.dtype, R);
  }
  // rows per group, in increasing r (a counting sort)
  const start = new Int32Array(mOut + 1);
  for (let r = 0; r < m; r++) start[group[r] + 1]++;
  for (let g = 0; g < mOut; g++) start[g + 1] += start[g];
  const order = new Int32Array(m), fill = start.slice(0, mOut);
  for (let r = 0; r < m; r++) order[fill[group[r]]++] = r;
  if (J.kind === "diag") {
    // distinct columns: every entry stays a single term (0 + v)
    const ptr = start, cols = order, vals = alloc(J.dtype, m);
    for (let t = 0; t < m; t++) vals[t] = fin(J.d ? J.d[order[t]] : 1);
    return csr(shape, n, J.dtype, ptr, cols, vals);
  }
  return combine(J, shape, start, order, null, count);
}

/**
 * The general sparse case: result row o = Σ_t coef[t] · row src[t] of J for
 * t in [start[o], start[o+1]), terms added in that order starting from 0.
 * coef = null: all ones (plain sums).
 */
function combine(J0: SJ, shape: readonly number[], start: Int32Array, src: Int32Array, coef: ArrayLike<number> | null, count?: number): SJ {
  const J = toCsr(J0);
  const mOut = numelOf(shape), n = J.n;
  const { ptr: p0, cols: c0, vals: v0 } = J as { ptr: Int32Array; cols: Int32Array; vals: Storage };
  const acc = new Float64Array(n);
  const mark = new Int32Array(n).fill(-1);
  const touched = new Int32Array(n);
  const ptr = new Int32Array(mOut + 1);
  let cols = new Int32Array(Math.max(16, p0[J.m]));
  let vals: Storage = alloc(J.dtype, cols.length);
  let nnz = 0;
  for (let o = 0; o < mOut; o++) {
    let nt = 0;
    for (let t = start[o]; t < start[o + 1]; t++) {
      const s = src[t];
      const w = coef ? coef[t] : 1;
      for (let e = p0[s]; e < p0[s + 1]; e++) {
        const c = c0[e];
        if (mark[c] !== o) (mark[c] = o, (acc[c] = 0), (touched[nt++] = c));
        acc[c] += coef ? w * v0[e] : v0[e];
      }
    }
    const row = touched.subarray(0, nt).sort();
    if (nnz + nt > cols.length) {
      const cap = Math.max(nnz + nt, cols.length * 2);
      const c2 = new Int32Array(cap);
      c2.set(cols.subarray(0, nnz));
      const v2 = alloc(J.dtype, cap);
      v2.set(vals.subarray(0, nnz));
      (cols = c2), (vals = v2);
    }
    for (let k = 0; k < nt; k++) (cols[nnz] = row[k]), (vals[nnz++] = count === undefined ? acc[row[k]] : acc[row[k]] / count);
    ptr[o + 1] = nnz;
  }
  const R = csr(shape, n, J.dtype, ptr, cols.subarray(0, nnz), vals.subarray(0, nnz));
  return nnz > (mOut * n) / 3 ? dense(shape, n, J.dtype, toDense(R)) : R;
}

/** A diagonal summed over one run of dims (outer × red × inner): each result row holds `red` entries, one term each. */
function reduceDiagRun(J: SJ, mask: boolean[], shape: number[], count?: number): SJ | undefined {
  const first = mask.indexOf(true);
  let last = first;
  while (last + 1 < mask.length && mask[last + 1]) last++;
  for (let i = last + 1; i < mask.length; i++) if (mask[i]) return undefined;
  let outer = 1, red = 1, inner = 1;
  J.shape.forEach((n, i) => (i < first ? (outer *= n) : i <= last ? (red *= n) : (inner *= n)));
  const m = J.m, rows = outer * inner, d = J.d;
  if (inner === 1 && count === undefined && d) {
    // trailing dims: row o holds the contiguous entries o·red … o·red + red − 1, the diagonal's own values (0 + v = v)
    const R = block(shape, J.n, J.dtype, 1, red, d);
    R.owned = false;
    return R;
  }
  const ptr = new Int32Array(rows + 1), cols = new Int32Array(m), vals = alloc(J.dtype, m);
  let t = 0;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      for (let r = 0; r < red; r++, t++) {
        const c = (o * red + r) * inner + i;
        cols[t] = c;
        const v = d ? d[c] : 1;
        vals[t] = count === undefined ? v : v / count;
      }
      ptr[o * inner + i + 1] = t;
    }
  }
  return csr(shape, J.n, J.dtype, ptr, cols, vals);
}

/** J (op) s per row, s broadcast to J's shape (a number, or a Tensor of the same shape). */
function scaleRows(J: SJ, s: number | Storage, op: "mul" | "div" | "neg", dtype: DType, own: boolean): SJ {
  const inPlace = own && J.owned && J.dtype === dtype;
  const f = (x: number, y: number) => (op === "mul" ? x * y : op === "div" ? x / y : -x);
  if (J.kind === "diag") {
    const m = J.m, d = J.d;
    if (!d && op === "mul" && typeof s !== "number" && s.length === m && (s instanceof Float64Array ? "float64" : "float32") === dtype) {
      const R = diag(J.shape, J.n, dtype, s); // 1·y = y: y's storage is the diagonal (shared, so never written)
      R.owned = false;
      return R;
    }
    const out = inPlace && d ? d : alloc(dtype, m);
    if (typeof s === "number") for (let i = 0; i < m; i++) out[i] = f(d ? d[i] : 1, s);
    else for (let i = 0; i < m; i++) out[i] = f(d ? d[i] : 1, s[i]);
    return diag(J.shape, J.n, dtype, out);
  }
  if (J.kind === "csr") {
    const { ptr, cols, vals } = J as { ptr: Int32Array; cols: Int32Array; vals: Storage };
    const out = inPlace ? vals : alloc(dtype, vals.length);
    for (let r = 0; r < J.m; r++) {
      const y = typeof s === "number" ? s : s[r];
      for (let t = ptr[r]; t < ptr[r + 1]; t++) out[t] = f(vals[t], y);
    }
    return csr(J.shape, J.n, dtype, ptr, cols, out); // ptr and cols are never written: sharing them is safe
  }
  const M = J.M!, n = J.kind === "block" ? J.cg : J.n;
  const out = inPlace ? M : alloc(dtype, M.length);
  const done = (): SJ => (J.kind === "block" ? block(J.shape, J.n, dtype, J.rg, J.cg, out) : dense(J.shape, n, dtype, out));
  if (op === "mul") {
    for (let r = 0, o = 0; r < J.m; r++) {
      const y = typeof s === "number" ? s : s[r];
      for (let c = 0; c < n; c++, o++) out[o] = M[o] * y;
    }
  } else for (let r = 0, o = 0; r < J.m; r++) {
    const y = typeof s === "number" ? s : s[r];
    for (let c = 0; c < n; c++, o++) out[o] = f(M[o], y);
  }
  return done();
}

/** The dtype of a tangent op's result: PyTorch's promotion (0-d tensors and numbers do not widen dimmed ones). */
function dtypeOf(xs: unknown[]): DType {
  let dimmed: DType | undefined, zero: DType | undefined;
  for (const x of xs) {
    if (!(x instanceof Tensor || x instanceof SJ)) continue;
    if (x.shape.length > 0) dimmed = dimmed === "float64" || x.dtype === "float64" ? "float64" : "float32";
    else zero = zero === "float64" || x.dtype === "float64" ? "float64" : "float32";
  }
  return dimmed ?? zero ?? "float32";
}

/** J broadcast to `shape` (rows repeated). */
function expandTo(J: SJ, shape: readonly number[]): SJ {
  if (sameShape(J.shape, shape)) return J;
  return gather(J, indexMap(shape, broadcastStrides(J.shape, shape)), shape);
}

/** A factor of an elementwise product as one value per row of `shape`. */
function rowValues(y: number | Tensor, shape: readonly number[]): number | Storage {
  if (typeof y === "number") return y;
  if (y.numel() === 1) return y.data[0];
  if (sameShape(y.shape, shape)) return y.data;
  const map = indexMap(shape, broadcastStrides(y.shape, shape));
  const out = new Float64Array(map.length);
  for (let i = 0; i < map.length; i++) out[i] = y.data[map[i]];
  return out;
}

/** The float32 rounding of a product, as the sweep's Float32Array store would do it. */
function roundTo(dtype: DType, s: number | Storage): number | Storage {
  if (dtype === "float64" || typeof s !== "number") return s;
  return Math.fround(s);
}

function addSJ(a: SJ, b: SJ, sub: boolean, own: number): SJ {
  const shape = sameShape(a.shape, b.shape) ? a.shape : broadcastShapes("add", a.shape, b.shape);
  const A = expandTo(a, shape), B = expandTo(b, shape);
  const dtype = promote(a.dtype, b.dtype);
  const m = numelOf(shape), n = a.n;
  if (A.kind === "diag" && B.kind === "diag") {
    const out = alloc(dtype, m);
    for (let i = 0; i < m; i++) out[i] = sub ? (A.d ? A.d[i] : 1) - (B.d ? B.d[i] : 1) : (A.d ? A.d[i] : 1) + (B.d ? B.d[i] : 1);
    return diag(shape, n, dtype, out);
  }
  if (A.kind === "block" && B.kind === "block" && A.rg === B.rg && A.cg === B.cg) {
    const MA = A.M!, MB = B.M!, out = alloc(dtype, MA.length);
    for (let k = 0; k < out.length; k++) out[k] = sub ? MA[k] - MB[k] : MA[k] + MB[k];
    return block(shape, n, dtype, A.rg, A.cg, out);
  }
  if (A.kind === "dense" || B.kind === "dense") {
    const MA = toDense(A), MB = toDense(B);
    const out = own & 1 && A.kind === "dense" && A.owned && A.dtype === dtype ? MA : own & 2 && B.kind === "dense" && B.owned && B.dtype === dtype ? MB : alloc(dtype, m * n);
    if (sub) for (let k = 0; k < out.length; k++) out[k] = MA[k] - MB[k];
    else for (let k = 0; k < out.length; k++) out[k] = MA[k] + MB[k];
    return dense(shape, n, dtype, out);
  }
  // sparse + sparse: merge the sorted rows
  const X = toCsr(A), Y = toCsr(B);
  const px = X.ptr!, cx = X.cols!, vx = X.vals!, py = Y.ptr!, cy = Y.cols!, vy = Y.vals!;
  const cap = cx.length + cy.length;
  const ptr = new Int32Array(m + 1), cols = new Int32Array(cap), vals = alloc(dtype, cap);
  let t = 0;
  for (let r = 0; r < m; r++) {
    let i = px[r], j = py[r];
    const ie = px[r + 1], je = py[r + 1];
    while (i < ie || j < je) {
      const ci = i < ie ? cx[i] : 0x7fffffff, cj = j < je ? cy[j] : 0x7fffffff;
      if (ci === cj) (cols[t] = ci), (vals[t++] = sub ? vx[i++] - vy[j++] : vx[i++] + vy[j++]);
      else if (ci < cj) (cols[t] = ci), (vals[t++] = sub ? vx[i++] - 0 : vx[i++] + 0);
      else (cols[t] = cj), (vals[t++] = sub ? 0 - vy[j++] : 0 + vy[j++]);
    }
    ptr[r + 1] = t;
  }
  return csr(shape, n, dtype, ptr, cols.subarray(0, t), vals.subarray(0, t));
}

/** A 2-D matrix product C (p×r) = A (p×q) @ B (q×r), sums in order of q from 0, rounded once. */
function gemm(A: ArrayLike<number>, B: ArrayLike<number>, p: number, q: number, r: number, dtype: DType): Storage {
  const out = alloc(dtype, p * r);
  const C = out instanceof Float64Array ? out : new Float64Array(p * r);
  gemmKernel(A, 0, B, 0, C, 0, p, q, r);
  if (C !== out) out.set(C);
  return out;
}

function transpose2(B: ArrayLike<number>, q: number, r: number): Float64Array {
  const T = new Float64Array(q * r);
  for (let k = 0; k < q; k++) for (let j = 0; j < r; j++) T[j * q + k] = B[k * r + j];
  return T;
}

/** A @ J where J is the tangent of the right operand, A a 2-D primal. */
function matmulLeft(A: Tensor, J: SJ): SJ | undefined {
  if (A.ndim !== 2 || J.shape.length < 1 || J.shape.length > 2) return undefined;
  const [p, q] = A.shape;
  if (J.shape[0] !== q) return undefined;
  const r = J.shape.length === 2 ? J.shape[1] : 1;
  const shape = J.shape.length === 2 ? [p, r] : [p];
  const dtype = promote(A.dtype, J.dtype), n = J.n;
  if (J.kind === "dense") return dense(shape, n, dtype, gemm(A.data, J.M!, p, q, r * n, dtype));
  if (J.kind === "diag" && r === 1) {
    // W @ diag(d) = W scaled by columns (W itself for the identity): a sum of one term each
    const W = A.data, d = J.d;
    if (!d && A.dtype === dtype) {
      const R = dense(shape, n, dtype, W); // W @ I = W: W's storage, shared (never written, copied if returned)
      R.owned = false;
      return R;
    }
    const out = alloc(dtype, p * q);
    if (!d) out.set(W);
    else for (let i = 0, o = 0; i < p; i++) for (let k = 0; k < q; k++, o++) out[o] = W[o] * d[k];
    return dense(shape, n, dtype, out);
  }
  // sparse: row (i, j) = Σ_k A[i, k] · row (k, j)
  const rows = p * r, start = new Int32Array(rows + 1), src = new Int32Array(rows * q), coef = new Float64Array(rows * q);
  for (let i = 0, t = 0; i < p; i++) for (let j = 0; j < r; j++) {
    for (let k = 0; k < q; k++, t++) (src[t] = k * r + j), (coef[t] = A.data[i * q + k]);
    start[i * r + j + 1] = t;
  }
  return withDtype(combine(J, shape, start, src, coef), dtype);
}

/** J @ B where J is the tangent of the left operand, B a 1-D or 2-D primal. */
function matmulRight(J: SJ, B: Tensor): SJ | undefined {
  if (B.ndim < 1 || B.ndim > 2 || J.shape.length < 1 || J.shape.length > 2) return undefined;
  const q = J.shape[J.shape.length - 1];
  if (B.shape[0] !== q) return undefined;
  const r = B.ndim === 2 ? B.shape[1] : 1;
  const p = J.shape.length === 2 ? J.shape[0] : 1;
  const shape = [...(J.shape.length === 2 ? [p] : []), ...(B.ndim === 2 ? [r] : [])];
  const dtype = promote(B.dtype, J.dtype), n = J.n;
  if (J.shape.length === 2 && J.kind === "diag" && p > 1) {
    // a batch of rows: row i of the result depends on row i of the input only, block (i, i) = Bᵀ (scaled by d)
    const out = alloc(dtype, p * r * q), Bd = B.data, d = J.d;
    for (let i = 0; i < p; i++) {
      const o = i * r * q;
      for (let j = 0; j < r; j++) for (let k = 0; k < q; k++) out[o + j * q + k] = d ? Bd[k * r + j] * d[i * q + k] : Bd[k * r + j];
    }
    return block(shape, n, dtype, r, q, out);
  }
  if (J.shape.length === 2 && J.kind === "block" && J.rg === q) {
    const BT = transpose2(B.data, q, r), M = J.M!, cg = J.cg, out = alloc(dtype, p * r * cg);
    for (let i = 0; i < p; i++) out.set(gemm(BT, M.subarray(i * q * cg, (i + 1) * q * cg), r, q, cg, dtype), i * r * cg);
    return block(shape, n, dtype, r, cg, out);
  }
  if (J.kind === "dense") {
    // each block of q rows: Bᵀ (r×q) @ rows (q×n)
    const BT = transpose2(B.data, q, r), M = J.M!, out = alloc(dtype, p * r * n);
    for (let i = 0; i < p; i++) out.set(gemm(BT, M.subarray(i * q * n, (i + 1) * q * n), r, q, n, dtype), i * r * n);
    return dense(shape, n, dtype, out);
  }
  const rows = p * r, start = new Int32Array(rows + 1), src = new Int32Array(rows * q), coef = new Float64Array(rows * q);
  for (let i = 0, t = 0; i < p; i++) for (let j = 0; j < r; j++) {
    for (let k = 0; k < q; k++, t++) (src[t] = i * q + k), (coef[t] = B.data[k * r + j]);
    start[i * r + j + 1] = t;
  }
  return withDtype(combine(J, shape, start, src, coef), dtype);
}

function withDtype(J: SJ, dtype: DType): SJ {
  if (J.dtype === dtype) return J;
  if (J.kind === "dense" || J.kind === "block") {
    const M = alloc(dtype, J.M!.length);
    M.set(J.M!);
    return J.kind === "dense" ? dense(J.shape, J.n, dtype, M) : block(J.shape, J.n, dtype, J.rg, J.cg, M);
  }
  const C = toCsr(J);
  const vals = alloc(dtype, C.vals!.length);
  vals.set(C.vals!);
  return csr(J.shape, J.n, dtype, C.ptr!, C.cols!, vals);
}

// ---- the generic path: the op once per basis column, on dense copies

type Op = (...a: any[]) => any;

function generic(fn: Op, args: unknown[]): SJ {
  let n = -1;
  const cols: { J: SJ; M: Storage }[] = [];
  const visit = (a: unknown) => {
    if (isSJ(a)) {
      n = a.n;
      cols.push({ J: a, M: toDense(a) });
    }
  };
  args.forEach((a) => (Array.isArray(a) ? a.forEach(visit) : visit(a)));
  const column = (a: unknown, c: number): unknown => {
    if (Array.isArray(a)) return a.map((x) => column(x, c));
    if (!isSJ(a)) return a;
    const { M } = cols.find((x) => x.J === a)!;
    const v = alloc(a.dtype, a.m);
    for (let r = 0; r < v.length; r++) v[r] = M[r * n + c];
    return new Tensor(v, a.shape);
  };
  let out: Storage | undefined, shape: readonly number[] = [], dtype: DType = "float64";
  for (let c = 0; c < n; c++) {
    const t = fn(...args.map((a) => column(a, c)));
    const res: Tensor = t instanceof Tensor ? t : new Tensor(Float64Array.of(t), []);
    if (!out) ((shape = res.shape), (dtype = res.dtype), (out = alloc(dtype, res.numel() * n)));
    const m = res.numel();
    for (let r = 0; r < m; r++) out[r * n + c] = res.data[r];
  }
  sjStats.fallbackColumns += n;
  return dense(shape, n, dtype, out ?? alloc(dtype, 0));
}

// ---- the entries: one per structured rule, chosen by the compiler (compiler/ops/structure.ts)

/** A tangent that is a plain Tensor (zeros of a value that does not vary) as a structured zero. */
function asSJ(x: unknown, n: number): SJ | undefined {
  if (isSJ(x)) return x;
  if (x instanceof Tensor) {
    let zero = true;
    for (let i = 0; i < x.data.length && zero; i++) zero = x.data[i] === 0;
    if (zero) return csr(x.shape, n, x.dtype, new Int32Array(x.numel() + 1), new Int32Array(0), alloc(x.dtype, 0));
  }
  return undefined;
}

function iota(shape: readonly number[]): Tensor {
  const n = numelOf(shape);
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = i;
  return new Tensor(d, shape);
}

/** The basis width of a structured operand (or of one in a list first argument); undefined: none. */
function widthOf(args: any[]): number | undefined {
  const found = args.find(isSJ) as SJ | undefined;
  const a = args[0];
  return found?.n ?? (Array.isArray(a) ? (a.find(isSJ) as SJ | undefined)?.n : undefined);
}

/** A structured rule: the result, or undefined for the op once per basis column (operands positional: no arrays per call). */
type Rule = (n: number, own: number, a: any, b: any, c: any) => any;

/**
 * An entry: WebGPU operands run runtime/webgpu/jac.ts's entry of the same name; without a
 * structured operand the op itself runs; otherwise `rule` (undefined: the op once per basis
 * column). `own` is a bit mask of the arguments whose value is dead after this call (their storage
 * may be reused); `args` are as the runtime op takes them.
 */
function entry(name: string, fn: Op, rule: Rule): (own: number, a?: any, b?: any, c?: any, d?: any, e?: any) => any {
  return function (own: number, a?: any, b?: any, c?: any, d?: any, e?: any): any {
    if (gpuArgs(arguments)) return gpuCall(name, arguments);
    const count = arguments.length - 1;
    const all = (): any[] => [a, b, c, d, e].slice(0, count);
    const n = isSJ(a) ? a.n : isSJ(b) ? b.n : widthOf(all());
    if (n === undefined) return fn(...all());
    return rule(n, own, a, b, c) ?? generic(fn, all());
  };
}

/** x (op) y with one side a structured tangent and the other a primal factor: rows scaled. */
function scaleRule(op: "mul" | "div"): Rule {
  return (_n, own, a, b): SJ | undefined => {
    const [J, y, which] = isSJ(a) ? [a, b, 1] : [b as SJ, a, 2];
    if (isSJ(y) || (op === "div" && which === 2)) return undefined;
    if (!(typeof y === "number" || y instanceof Tensor)) return undefined;
    const dtype = dtypeOf([J, y]);
    const shape = typeof y === "number" ? J.shape : sameShape(J.shape, y.shape) ? J.shape : broadcastShapes(op, J.shape, y.shape);
    const E = expandTo(J, shape);
    return scaleRows(E, roundTo(dtype, rowValues(y as number | Tensor, shape)), op, dtype, E === J && !!(own & which));
  };
}

function addRule(sub: boolean): Rule {
  return (n, own, a, b): SJ | undefined => {
    const A = asSJ(a, n), B = asSJ(b, n);
    return A && B ? addSJ(A, B, sub, own) : undefined;
  };
}

/** Each result element is one element of the operand: the op run on indices says which (a gather of rows). */
function move(fn: Op, own: number, args: any[]): SJ | undefined {
  const a = args[0];
  if (!isSJ(a)) return undefined;
  const t = fn(iota(a.shape), ...args.slice(1)) as Tensor;
  const src = new Int32Array(t.numel());
  for (let i = 0; i < src.length; i++) src[i] = t.data[i];
  return gather(a, src, t.shape, !!(own & 1));
}

function reduceRule(op: "sum" | "mean"): Rule {
  return (_n, _own, a, b, c): SJ | undefined => {
    if (!isSJ(a)) return undefined;
    const { mask, outShape, count } = reduction(op, b ?? null, a.shape, c === true);
    if (a.kind === "diag" && count > 0) {
      const R = reduceDiagRun(a, mask, outShape, op === "mean" ? count : undefined);
      if (R) return R;
    }
    const kept = contiguousStrides(a.shape.filter((_, i) => !mask[i]));
    let k = 0;
    const strides = a.shape.map((_, i) => (mask[i] ? 0 : kept[k++]));
    const R = reduceRows(a, indexMap(a.shape, strides), outShape, op === "mean" ? count : undefined);
    return op === "mean" && count === 0 ? undefined : R;
  };
}

const never = (): undefined => undefined;

export const sjMul = entry("sjMul", ops.mul, scaleRule("mul"));
export const sjDiv = entry("sjDiv", ops.div, scaleRule("div"));
export const sjNeg = entry("sjNeg", ops.neg, (_n, own, a) => (isSJ(a) ? scaleRows(a, 0, "neg", a.dtype, !!(own & 1)) : undefined));
export const sjAdd = entry("sjAdd", ops.add, addRule(false));
export const sjSub = entry("sjSub", ops.sub, addRule(true));
// adAcc: an undefined side is a zero
export const sjAcc = entry("sjAcc", ad.adAcc, (_n, own, a, b) => (a === undefined ? b : b === undefined ? a : isSJ(a) && isSJ(b) ? addSJ(a, b, false, own) : undefined));
export const sjExpandAs = entry("sjExpandAs", ad.adExpandAs, (_n, own, a, b) => {
  if (!isSJ(a)) return undefined;
  if (!(b instanceof Tensor)) return a;
  if (sameShape(a.shape, b.shape)) return own & 1 ? a : reshaped(a, a.shape, false);
  return expandTo(a, b.shape);
});
export const sjSumTo = entry("sjSumTo", ad.adSumTo, (_n, own, a, b) => {
  if (!isSJ(a)) return undefined;
  const shape = typeof b === "number" ? [] : (b as Tensor).shape;
  if (sameShape(a.shape, shape)) return own & 1 ? a : reshaped(a, a.shape, false);
  if (typeof b === "number") return reduceRows(a, new Int32Array(a.m), []);
  return reduceRows(a, indexMap(a.shape, broadcastStrides(shape, a.shape)), shape);
});
export const sjReshapeAs = entry("sjReshapeAs", ad.adReshapeAs, (_n, own, a, b) => move(ad.adReshapeAs, own, [a, b]));
export const sjSum = entry("sjSum", ops.sum, reduceRule("sum"));
export const sjMean = entry("sjMean", ops.mean, reduceRule("mean"));
export const sjMatmul = entry("sjMatmul", ops.matmul, (_n, _own, a, b) =>
  isSJ(b) && a instanceof Tensor ? matmulLeft(a, b) : isSJ(a) && b instanceof Tensor ? matmulRight(a, b) : undefined);
// no sparse rule on the CPU (WebGPU has one): the op once per basis column
export const sjDot = entry("sjDot", ops.dot, never);
export const sjWhere = entry("sjWhere", ops.where, never);
export const sjCat = entry("sjCat", ops.cat, never);
export const sjStack = entry("sjStack", ops.stack, never);

/** A move (reshape, transpose, select, …: `fn` is the op itself) on a structured tangent: a gather of rows. */
export function sjMove(fn: Op, own: number, ...args: any[]): any {
  if (gpuArgs(arguments)) return gpuCall("sjMove", arguments);
  if (widthOf(args) === undefined) return fn(...args);
  return move(fn, own, args) ?? generic(fn, args);
}

/** An op with no structured rule (`fn`): once per basis column, on dense copies. */
export function sjColumns(fn: Op, _own: number, ...args: any[]): any {
  if (gpuArgs(arguments)) return gpuCall("sjColumns", arguments);
  return widthOf(args) === undefined ? fn(...args) : generic(fn, args);
}

/**
 * The Jacobian block of `out` w.r.t. `x` (shape out.shape ++ x.shape) from its structured tangent.
 * `label` ("jacrev(f)") names the marker when the block is too big to allocate.
 */
export function sjBlock(J: SJ | Tensor | undefined, out: Tensor, x: Tensor, dtypeFrom: "in" | "out", label = "jacobian"): Tensor {
  if (gpuArgs(arguments)) return gpuCall("sjBlock", arguments); // WebGPU: runtime/webgpu/jac.ts
  const shape = [...out.shape, ...x.shape];
  const dtype = dtypeFrom === "in" ? x.dtype : out.dtype;
  if (!isSJ(J)) return new Tensor(allocJacobian(label, shape, dtype), shape);
  sjStats[J.kind]++;
  if (J.kind === "dense" && J.owned && J.M!.constructor === (dtype === "float64" ? Float64Array : Float32Array) && J.M!.length === J.M!.buffer.byteLength / J.M!.BYTES_PER_ELEMENT) {
    J.owned = false; // a second block of the same tangent copies
    return new Tensor(J.M!, shape); // the result itself: no copy
  }
  if (J.kind === "dense") {
    const o = allocJacobian(label, shape, dtype);
    o.set(J.M!);
    return new Tensor(o, shape);
  }
  const m = J.m, n = J.n;
  const o = allocJacobian(label, shape, dtype);
  if (J.kind === "diag") {
    const d = J.d;
    for (let i = 0; i < m; i++) o[i * n + i] = d ? d[i] : 1;
  } else if (J.kind === "block") {
    const { rg, cg } = J, B = J.M!;
    for (let r = 0; r < m; r++) {
      const src = r * cg, dst = r * n + Math.floor(r / rg) * cg;
      for (let c = 0; c < cg; c++) o[dst + c] = B[src + c];
    }
  } else {
    const { ptr, cols, vals } = J as { ptr: Int32Array; cols: Int32Array; vals: Storage };
    for (let r = 0; r < m; r++) {
      const base = r * n;
      for (let t = ptr[r]; t < ptr[r + 1]; t++) o[base + cols[t]] = vals[t];
    }
  }
  return new Tensor(o, shape);
}

// ---- for the direct kernels (compiler/opt/fuse-jacobian.ts)

/**
 * A reduction of `shape` over `dims` as one run of dims: outer × red × inner
 * elements, `rows` results; `shape` is the Jacobian's shape (the result's
 * shape, then the input's). Undefined when the reduced dims are not one run
 * or are not valid (the structured path then runs, and the op itself reports
 * a bad dim). Called once per direct kernel call: no closures, no concat.
 */
export function sjReduceRun(op: "sum" | "mean", shape: readonly number[], dims?: unknown, keepdim?: unknown): { outer: number; red: number; inner: number; rows: number; shape: number[] } | undefined {
  if (keepdim !== undefined && typeof keepdim !== "boolean") return undefined;
  const nd = shape.length;
  let first = -1, last = -1;
  if (typeof dims === "number" && Number.isInteger(dims) && nd > 0) {
    first = last = dims < 0 ? dims + nd : dims;
    if (first < 0 || first >= nd) return undefined;
  } else {
    let mask: boolean[];
    try {
      mask = dimMask(op, dims as number | number[] | null | undefined, shape);
    } catch {
      return undefined;
    }
    first = mask.indexOf(true);
    last = first;
    while (last + 1 < nd && mask[last + 1]) last++;
    for (let i = last + 1; i < nd; i++) if (mask[i]) return undefined;
    if (first < 0) return undefined;
  }
  let outer = 1, red = 1, inner = 1;
  const out: number[] = [];
  for (let i = 0; i < nd; i++) {
    const s = shape[i];
    if (i < first) (outer *= s), out.push(s);
    else if (i > last) (inner *= s), out.push(s);
    else {
      red *= s;
      if (keepdim) out.push(1);
    }
  }
  for (let i = 0; i < nd; i++) out.push(shape[i]);
  return { outer, red, inner, rows: outer * inner, shape: out };
}

/** Whether two shapes are equal (a direct kernel's operands must not broadcast). */
export function sjSameShape(a: readonly number[], b: readonly number[]): boolean {
  return sameShape(a, b);
}

/** The structure of a structured tangent, for tests and `jacc explain` at run time. */
export function sjKind(J: unknown): string {
  if (gpuArgs(arguments)) return gpuCall("sjKind", arguments);
  return isSJ(J) ? (J.kind === "diag" && !J.d ? "identity" : J.kind) : "zero";
}
