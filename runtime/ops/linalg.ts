// torch.linalg's solve and inv on the CPU: LU factorisation with partial
// pivoting (as LAPACK's getrf, which PyTorch calls), in float64, with leading
// batch dims that broadcast; and the cross product of 3-vectors. A singular matrix (an exactly zero pivot) is a
// RangeError naming the op, as PyTorch raises one; a nearly singular one gives
// PyTorch's large numbers (or Inf/NaN), never an exception.

import { Tensor } from "../tensor.js";
import { alloc, floatOf, promote } from "../dtype.js";
import { broadcastShapes, broadcastStrides, fmt, normDim, numelOf } from "../shape.js";
import { tensorArg } from "../check.js";

/**
 * Solves A X = B in place for one n×n block of A (at a, row-major) and the
 * n×k block of B (at x, row-major; k = 1 for a vector): false when a pivot is 0.
 */
function luSolve(A: Float64Array, X: Float64Array, x: number, n: number, k: number): boolean {
  for (let c = 0; c < n; c++) {
    // the row with the largest entry in column c becomes the pivot row
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(A[r * n + c]) > Math.abs(A[p * n + c])) p = r;
    const pivot = A[p * n + c];
    if (pivot === 0) return false;
    if (p !== c) {
      for (let j = 0; j < n; j++) [A[c * n + j], A[p * n + j]] = [A[p * n + j], A[c * n + j]];
      for (let j = 0; j < k; j++) [X[x + c * k + j], X[x + p * k + j]] = [X[x + p * k + j], X[x + c * k + j]];
    }
    for (let r = c + 1; r < n; r++) {
      const f = A[r * n + c] / pivot;
      if (f === 0) continue;
      for (let j = c + 1; j < n; j++) A[r * n + j] -= f * A[c * n + j];
      for (let j = 0; j < k; j++) X[x + r * k + j] -= f * X[x + c * k + j];
    }
  }
  // back substitution
  for (let c = n - 1; c >= 0; c--) {
    const pivot = A[c * n + c];
    for (let j = 0; j < k; j++) {
      let s = X[x + c * k + j];
      for (let q = c + 1; q < n; q++) s -= A[c * n + q] * X[x + q * k + j];
      X[x + c * k + j] = s / pivot;
    }
  }
  return true;
}

/** A's square matrices: its batch dims and n, or a RangeError naming the op. */
function squareOf(op: string, A: Tensor): { batch: number[]; n: number } {
  const s = A.shape;
  if (s.length < 2 || s[s.length - 1] !== s[s.length - 2]) throw new RangeError(`${op}: A must be a batch of square matrices [..., n, n], got ${fmt(s)}`);
  return { batch: s.slice(0, -2), n: s[s.length - 1] };
}

/**
 * Solves A X = B (X = A⁻¹ B), as torch.linalg.solve: A [..., n, n] and B [..., n, k], their batch
 * dims broadcasting, or A [n, n] and a vector B [n].
 */
export function solve(A: Tensor, B: Tensor): Tensor {
  const a = tensorArg("linalg.solve", A, "A");
  const b = tensorArg("linalg.solve", B, "B");
  const { batch: aBatch, n } = squareOf("linalg.solve", a);
  const bs = b.shape;
  // PyTorch also reads B as a batch of vectors with a batch of A; jacc does not (its derivatives
  // would need the reading at compile time), and says so rather than read B another way
  if ((bs.length === 1 && a.shape.length > 2) || (a.shape.length > 2 && bs.length === a.shape.length - 1 && bs.every((d, i) => d === a.shape[i]))) {
    throw new RangeError(`linalg.solve: B ${fmt(bs)} as vectors for a batch of matrices A ${fmt(a.shape)} is not supported: write linalg.solve(A, B.unsqueeze(-1)).squeeze(-1)`);
  }
  const vector = bs.length === 1;
  const core = vector ? 1 : 2;
  if (bs.length < core || bs[bs.length - core] !== n) {
    throw new RangeError(`linalg.solve: B must be [..., ${n}] or [..., ${n}, k] for A ${fmt(a.shape)}, got ${fmt(bs)}`);
  }
  const k = vector ? 1 : bs[bs.length - 1];
  const bBatch = bs.slice(0, bs.length - core);
  const batch = broadcastShapes("linalg.solve", aBatch, bBatch);
  const nb = numelOf(batch);
  const X = new Float64Array(nb * n * k);
  const LU = new Float64Array(n * n);
  const aStr = broadcastStrides(aBatch, batch), bStr = broadcastStrides(bBatch, batch);
  const idx = new Array<number>(batch.length).fill(0);
  for (let t = 0; t < nb; t++) {
    let ao = 0, bo = 0;
    for (let d = 0; d < batch.length; d++) (ao += idx[d] * aStr[d]), (bo += idx[d] * bStr[d]);
    for (let i = 0; i < n * n; i++) LU[i] = a.data[ao * n * n + i];
    for (let i = 0; i < n * k; i++) X[t * n * k + i] = b.data[bo * n * k + i];
    if (!luSolve(LU, X, t * n * k, n, k)) throw new RangeError(`linalg.solve: A ${fmt(a.shape)} is singular${nb > 1 ? ` (batch entry ${t})` : ""}`);
    for (let d = batch.length - 1; d >= 0 && ++idx[d] === batch[d]; d--) idx[d] = 0;
  }
  const out = alloc(promote(a.dtype, b.dtype), X.length);
  out.set(X);
  return new Tensor(out, vector ? [...batch, n] : [...batch, n, k]);
}

/** The inverse of each square matrix of A [..., n, n], as torch.linalg.inv. */
export function inv(A: Tensor): Tensor {
  const a = tensorArg("linalg.inv", A, "A");
  const { batch, n } = squareOf("linalg.inv", a);
  const nb = numelOf(batch);
  const X = new Float64Array(nb * n * n);
  const LU = new Float64Array(n * n);
  for (let t = 0; t < nb; t++) {
    for (let i = 0; i < n * n; i++) LU[i] = a.data[t * n * n + i];
    for (let i = 0; i < n; i++) X[t * n * n + i * n + i] = 1;
    if (!luSolve(LU, X, t * n * n, n, n)) throw new RangeError(`linalg.inv: A ${fmt(a.shape)} is singular${nb > 1 ? ` (batch entry ${t})` : ""}`);
  }
  const out = alloc(floatOf(a.dtype), X.length);
  out.set(X);
  return new Tensor(out, [...a.shape]);
}

/**
 * The cross product of 3-vectors along `dim` (default -1), as torch.linalg.cross: the operands
 * broadcast, and the dim must have size 3 in both.
 */
export function cross(input: Tensor, other: Tensor, dim = -1): Tensor {
  const a = tensorArg("cross", input, "input");
  const b = tensorArg("cross", other, "other");
  const shape = broadcastShapes("cross", a.shape, b.shape);
  const d = normDim("cross", dim, shape);
  const sizeAt = (s: readonly number[]) => s[d - (shape.length - s.length)];
  if (sizeAt(a.shape) !== 3 || sizeAt(b.shape) !== 3) {
    throw new RangeError(`cross: dim ${dim} must have size 3 in both operands, got ${fmt(a.shape)} and ${fmt(b.shape)}`);
  }
  const aStr = broadcastStrides(a.shape, shape), bStr = broadcastStrides(b.shape, shape);
  const out = alloc(promote(a.dtype, b.dtype), numelOf(shape));
  // every position with the dim's index 0: its three entries, read through the broadcast strides
  const rest = shape.map((n, i) => (i === d ? 1 : n));
  const outStr = shape.map((_, i) => shape.slice(i + 1).reduce((p, q) => p * q, 1));
  const idx = new Array<number>(shape.length).fill(0);
  for (let t = 0, n = numelOf(rest); t < n; t++) {
    let ao = 0, bo = 0, oo = 0;
    for (let k = 0; k < shape.length; k++) (ao += idx[k] * aStr[k]), (bo += idx[k] * bStr[k]), (oo += idx[k] * outStr[k]);
    const [a0, a1, a2] = [a.data[ao], a.data[ao + aStr[d]], a.data[ao + 2 * aStr[d]]];
    const [b0, b1, b2] = [b.data[bo], b.data[bo + bStr[d]], b.data[bo + 2 * bStr[d]]];
    out[oo] = a1 * b2 - a2 * b1;
    out[oo + outStr[d]] = a2 * b0 - a0 * b2;
    out[oo + 2 * outStr[d]] = a0 * b1 - a1 * b0;
    for (let k = shape.length - 1; k >= 0 && ++idx[k] === rest[k]; k--) idx[k] = 0;
  }
  return new Tensor(out, shape);
}
