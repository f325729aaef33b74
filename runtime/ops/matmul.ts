// matmul with torch.matmul's rules, dot and outer. The 2-D kernel sums 2×4
// tiles of the result in registers with k blocked (a block of B's rows stays
// in cache), and sums accumulate in float64.

import { Tensor } from "../tensor.js";
import { alloc, promote, type Storage } from "../dtype.js";
import { broadcastStrides, fmt, matmulShape, numelOf } from "../shape.js";
import { cpuOnly, tensorArg } from "../check.js";

/** Rows of B per k-block: about 256 KiB of float64, so a block stays in L2 while every row of A uses it. */
const BLOCK_DOUBLES = 32768;

/**
 * acc[c + i*n + j] = sum_p A[a + i*k + p] * B[b + p*n + j]: an m×k block of A
 * at offset a times a k×n block of B at offset b, row-major, with k blocked.
 * Each 2×4 tile of the result is summed in eight locals (registers) over a
 * k-block, reading two values of A and four of B per step: about 1.8× the
 * speed of streaming every row of B through the result. Every sum starts
 * from 0 and adds its terms in order p = 0, 1, …, so the numbers are those
 * of the plain triple loop. acc is float64 (the output itself when that is
 * float64).
 */
export function gemm(A: ArrayLike<number>, a: number, B: ArrayLike<number>, b: number, acc: Float64Array, c: number, m: number, k: number, n: number): void {
  if (n === 1) {
    // matrix @ vector: one dot product per row, B read contiguously
    for (let i = 0; i < m; i++) {
      const ai = a + i * k;
      let sum = 0;
      for (let p = 0; p < k; p++) sum += A[ai + p] * B[b + p];
      acc[c + i] = sum;
    }
    return;
  }
  if (k <= 1) {
    // an outer product (or no terms): each entry written once (0 + x·w: a -0 product sums to 0, as above)
    for (let i = 0; i < m; i++) {
      const x = k ? A[a + i] : 0, ci = c + i * n;
      for (let j = 0; j < n; j++) acc[ci + j] = k ? 0 + x * B[b + j] : 0;
    }
    return;
  }
  const kb = Math.max(1, Math.floor(BLOCK_DOUBLES / n));
  for (let p0 = 0; p0 < k; p0 += kb) {
    const p1 = Math.min(k, p0 + kb), first = p0 === 0;
    let i = 0;
    for (; i + 2 <= m; i += 2) {
      const a0 = a + i * k, a1 = a0 + k, c0 = c + i * n, c1 = c0 + n;
      let j = 0;
      for (; j + 4 <= n; j += 4) {
        let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
        if (!first) {
          (s00 = acc[c0 + j]), (s01 = acc[c0 + j + 1]), (s02 = acc[c0 + j + 2]), (s03 = acc[c0 + j + 3]);
          (s10 = acc[c1 + j]), (s11 = acc[c1 + j + 1]), (s12 = acc[c1 + j + 2]), (s13 = acc[c1 + j + 3]);
        }
        for (let p = p0, bp = b + p0 * n + j; p < p1; p++, bp += n) {
          const x0 = A[a0 + p], x1 = A[a1 + p];
          const w0 = B[bp], w1 = B[bp + 1], w2 = B[bp + 2], w3 = B[bp + 3];
          (s00 += x0 * w0), (s01 += x0 * w1), (s02 += x0 * w2), (s03 += x0 * w3);
          (s10 += x1 * w0), (s11 += x1 * w1), (s12 += x1 * w2), (s13 += x1 * w3);
        }
        (acc[c0 + j] = s00), (acc[c0 + j + 1] = s01), (acc[c0 + j + 2] = s02), (acc[c0 + j + 3] = s03);
        (acc[c1 + j] = s10), (acc[c1 + j + 1] = s11), (acc[c1 + j + 2] = s12), (acc[c1 + j + 3] = s13);
      }
      for (; j < n; j++) {
        let s0 = first ? 0 : acc[c0 + j], s1 = first ? 0 : acc[c1 + j];
        for (let p = p0, bp = b + p0 * n + j; p < p1; p++, bp += n) {
          const w = B[bp];
          (s0 += A[a0 + p] * w), (s1 += A[a1 + p] * w);
        }
        (acc[c0 + j] = s0), (acc[c1 + j] = s1);
      }
    }
    for (; i < m; i++) {
      const ai = a + i * k, ci = c + i * n;
      for (let j = 0; j < n; j++) {
        let s = first ? 0 : acc[ci + j];
        for (let p = p0, bp = b + p0 * n + j; p < p1; p++, bp += n) s += A[ai + p] * B[bp];
        acc[ci + j] = s;
      }
    }
  }
}

/**
 * Matrix product, as torch.matmul: 1-D·1-D is a dot product (0-d result);
 * 2-D@2-D a matrix product; a 1-D left operand is a row vector and a 1-D
 * right operand a column vector, their added dim removed from the result;
 * with more dims the leading (batch) dims broadcast.
 */
export function matmul(input: Tensor, other: Tensor): Tensor {
  const x = tensorArg("matmul", input, "input");
  const y = tensorArg("matmul", other, "other");
  cpuOnly("matmul", [x, y]);
  const { m, k, n, aBatch: xBatch, bBatch: yBatch, batch, shape } = matmulShape(x.shape, y.shape);
  const dtype = promote(x.dtype, y.dtype);
  // one kernel type per call: widen a float32 operand when the other is float64
  const A = x.dtype === dtype ? x.data : Float64Array.from(x.data);
  const B = y.dtype === dtype ? y.data : Float64Array.from(y.data);
  const nb = numelOf(batch);
  const out = alloc(dtype, nb * m * n);
  // float32 results accumulate in a float64 scratch block, rounded once
  const acc = out instanceof Float64Array ? out : new Float64Array(m * n);
  const block = (xo: number, yo: number, t: number): void => {
    gemm(A, xo, B, yo, acc, acc === out ? t * m * n : 0, m, k, n);
    if (acc !== out) out.set(acc, t * m * n);
  };
  if (nb === 1) {
    block(0, 0, 0);
  } else {
    const xStr = broadcastStrides(xBatch, batch), yStr = broadcastStrides(yBatch, batch);
    const idx = new Array<number>(batch.length).fill(0);
    for (let t = 0; t < nb; t++) {
      let xo = 0, yo = 0;
      for (let d = 0; d < batch.length; d++) {
        xo += idx[d] * xStr[d];
        yo += idx[d] * yStr[d];
      }
      block(xo * m * k, yo * k * n, t);
      for (let d = batch.length - 1; d >= 0 && ++idx[d] === batch[d]; d--) idx[d] = 0;
    }
  }
  return new Tensor(out, shape);
}

/** Dot product of two 1-D tensors of one length (0-d result). */
export function dot(input: Tensor, other: Tensor): Tensor {
  const x = tensorArg("dot", input, "input");
  const y = tensorArg("dot", other, "other");
  cpuOnly("dot", [x, y]);
  if (x.shape.length !== 1 || y.shape.length !== 1 || x.shape[0] !== y.shape[0]) {
    throw new RangeError(`dot: expected two 1-D tensors of the same length, got ${fmt(x.shape)} and ${fmt(y.shape)}`);
  }
  const a = x.data, b = y.data;
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  const out = alloc(promote(x.dtype, y.dtype), 1);
  out[0] = s;
  return new Tensor(out, []);
}

/** Outer product of two 1-D tensors: out[i][j] = input[i] * vec2[j]. */
export function outer(input: Tensor, vec2: Tensor): Tensor {
  const x = tensorArg("outer", input, "input");
  const y = tensorArg("outer", vec2, "vec2");
  cpuOnly("outer", [x, y]);
  if (x.shape.length !== 1 || y.shape.length !== 1) {
    throw new RangeError(`outer: expected two 1-D tensors, got ${fmt(x.shape)} and ${fmt(y.shape)}`);
  }
  const a = x.data, b = y.data, m = a.length, n = b.length;
  const out = alloc(promote(x.dtype, y.dtype), m * n);
  for (let i = 0; i < m; i++) {
    const v = a[i];
    for (let j = 0; j < n; j++) out[i * n + j] = v * b[j];
  }
  return new Tensor(out, [m, n]);
}
