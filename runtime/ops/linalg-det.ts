// torch.linalg's det, slogdet and cholesky on the CPU, in float64, over leading
// batch dims; and the cofactor matrix det(A)·A⁻ᵀ that their derivatives use
// (compiler/ops/tensor.ts). A singular matrix is no error here: det is 0,
// slogdet (0, -Infinity), and the cofactor matrix comes from the minors, so
// det's gradient at a singular A is its exact adjugate (PyTorch's
// higher-order path, which goes through the SVD) rather than an exception.

import { Tensor } from "../tensor.js";
import { alloc, floatOf } from "../dtype.js";
import { fmt, numelOf } from "../shape.js";
import { tensorArg } from "../check.js";

/** A's square matrices: its batch dims and n, or a RangeError naming the op. */
function squareOf(op: string, A: Tensor): { batch: number[]; n: number } {
  const s = A.shape;
  if (s.length < 2 || s[s.length - 1] !== s[s.length - 2]) throw new RangeError(`${op}: A must be a batch of square matrices [..., n, n], got ${fmt(s)}`);
  return { batch: s.slice(0, -2), n: s[s.length - 1] };
}

/** LU with partial pivoting of the n×n block M (overwritten): the sign of the row swaps and the pivots (a zero pivot stops it: the rest are 0). */
function luPivots(M: Float64Array, n: number): { sign: number; pivots: Float64Array } {
  const pivots = new Float64Array(n);
  let sign = 1;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r * n + c]) > Math.abs(M[p * n + c])) p = r;
    const pivot = M[p * n + c];
    // (NaN entries: the pivot is NaN and the result with it)
    if (pivot === 0) return { sign, pivots };
    if (p !== c) {
      sign = -sign;
      for (let j = 0; j < n; j++) [M[c * n + j], M[p * n + j]] = [M[p * n + j], M[c * n + j]];
    }
    pivots[c] = pivot;
    for (let r = c + 1; r < n; r++) {
      const f = M[r * n + c] / pivot;
      if (f !== 0) for (let j = c + 1; j < n; j++) M[r * n + j] -= f * M[c * n + j];
    }
  }
  return { sign, pivots };
}

/** Runs `each(block, t)` over the n×n blocks of A copied to float64, writing `per` outputs per block. */
function perMatrix(op: string, A: unknown, per: (n: number) => number, each: (M: Float64Array, n: number, out: Float64Array, at: number) => void): { out: Float64Array; a: Tensor; batch: number[]; n: number } {
  const a = tensorArg(op, A, "A");
  const { batch, n } = squareOf(op, a);
  const nb = numelOf(batch);
  const out = new Float64Array(nb * per(n));
  const M = new Float64Array(n * n);
  for (let t = 0; t < nb; t++) {
    for (let i = 0; i < n * n; i++) M[i] = a.data[t * n * n + i];
    each(M, n, out, t * per(n));
  }
  return { out, a, batch, n };
}

function result(a: Tensor, data: Float64Array, shape: number[]): Tensor {
  const out = alloc(floatOf(a.dtype), data.length);
  out.set(data);
  return new Tensor(out, shape);
}

/** The determinant of each square matrix of A [..., n, n] (0 for a singular one), as torch.linalg.det. */
export function det(A: Tensor): Tensor {
  const { out, a, batch } = perMatrix("linalg.det", A, () => 1, (M, n, o, at) => {
    const { sign, pivots } = luPivots(M, n);
    o[at] = pivots.reduce((p, q) => p * q, sign);
  });
  return result(a, out, batch);
}

/** The sign and log |det| of each square matrix of A, as torch.linalg.slogdet: [sign, logabsdet] (a singular one: 0 and -Infinity). */
export function slogdet(A: Tensor): [Tensor, Tensor] {
  const { out, a, batch } = perMatrix("linalg.slogdet", A, () => 2, (M, n, o, at) => {
    const { sign, pivots } = luPivots(M, n);
    let s = sign, l = 0;
    for (const p of pivots) (s *= Math.sign(p)), (l += Math.log(Math.abs(p)));
    [o[at], o[at + 1]] = [s, l];
  });
  const pick = (k: number) => result(a, out.filter((_, i) => i % 2 === k), batch);
  return [pick(0), pick(1)];
}

/** slogdet's piece k (0: sign, 1: logabsdet), as compiled code reads `linalg.slogdet(A)[k]`. */
export function linalgSlogdetPiece(A: Tensor, k: number): Tensor {
  return slogdet(A)[k];
}

/** The determinant of the n×n block of src at `at` without row r and column c. */
function minor(src: Float64Array, n: number, r: number, c: number): number {
  const m = n - 1;
  const M = new Float64Array(m * m);
  for (let i = 0, k = 0; i < n; i++) if (i !== r) for (let j = 0; j < n; j++) if (j !== c) M[k++] = src[i * n + j];
  const { sign, pivots } = luPivots(M, m);
  return pivots.reduce((p, q) => p * q, sign);
}

/**
 * The cofactor matrix det(A)·A⁻ᵀ of each square matrix (det's gradient): through A⁻¹ where A is
 * well-conditioned, from the (n−1)×(n−1) minors where a pivot is 0 or below 1e-8 of the largest
 * (accurate at a singular A, at O(n⁵) cost).
 */
export function adDetCofactor(A: Tensor): Tensor {
  const { out, a } = perMatrix("linalg.det", A, (n) => n * n, (M, n, o, at) => {
    const src = M.slice();
    const { sign, pivots } = luPivots(M, n);
    const d = pivots.reduce((p, q) => p * q, sign);
    if (n === 1) return void (o[at] = 1);
    // A⁻¹ only where A is far from singular (det·A⁻¹ cancels badly near it: a rounded pivot of 1e-16)
    const sizes = pivots.map(Math.abs);
    if (d !== 0 && Number.isFinite(d) && Math.min(...sizes) > 1e-8 * Math.max(...sizes)) {
      // columns of A⁻¹ solve A x = e_j; C = d · A⁻ᵀ, so C[j][i] = d · A⁻¹[i][j]
      const X = inverse(src, n);
      if (X) {
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) o[at + j * n + i] = d * X[i * n + j];
        return;
      }
    }
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) o[at + i * n + j] = ((i + j) % 2 ? -1 : 1) * minor(src, n, i, j);
  });
  return result(a, out, [...a.shape]);
}

/** A⁻¹ of an n×n block by Gauss–Jordan with partial pivoting, or undefined at a zero pivot. */
function inverse(src: Float64Array, n: number): Float64Array | undefined {
  const M = src.slice();
  const X = new Float64Array(n * n);
  for (let i = 0; i < n; i++) X[i * n + i] = 1;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r * n + c]) > Math.abs(M[p * n + c])) p = r;
    if (M[p * n + c] === 0) return undefined;
    for (let j = 0; j < n; j++) {
      [M[c * n + j], M[p * n + j]] = [M[p * n + j], M[c * n + j]];
      [X[c * n + j], X[p * n + j]] = [X[p * n + j], X[c * n + j]];
    }
    const pivot = M[c * n + c];
    for (let j = 0; j < n; j++) (M[c * n + j] /= pivot), (X[c * n + j] /= pivot);
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r * n + c];
      if (f !== 0) for (let j = 0; j < n; j++) (M[r * n + j] -= f * M[c * n + j]), (X[r * n + j] -= f * X[c * n + j]);
    }
  }
  return X;
}

/**
 * The lower Cholesky factor L (A = L Lᵀ) of each matrix of A, as torch.linalg.cholesky: only A's
 * lower triangle is read; a matrix that is not positive-definite is a RangeError naming the op.
 */
export function cholesky(A: Tensor): Tensor {
  const { out, a, batch } = perMatrix("linalg.cholesky", A, (n) => n * n, (M, n, o, at) => {
    for (let j = 0; j < n; j++) {
      let s = M[j * n + j];
      for (let k = 0; k < j; k++) s -= o[at + j * n + k] ** 2;
      if (!(s > 0)) {
        const entry = A.shape.length > 2 ? ` (batch entry ${at / (n * n)})` : "";
        throw new RangeError(`linalg.cholesky: A ${fmt(A.shape)} is not positive-definite${entry}: the leading minor of order ${j + 1} is not positive-definite`);
      }
      const d = Math.sqrt(s);
      o[at + j * n + j] = d;
      for (let i = j + 1; i < n; i++) {
        let t = M[i * n + j];
        for (let k = 0; k < j; k++) t -= o[at + i * n + k] * o[at + j * n + k];
        o[at + i * n + j] = t / d;
      }
    }
  });
  return result(a, out, [...batch, ...a.shape.slice(-2)]);
}
