// matmul with torch.matmul's rules, dot and outer. The 2-D kernel runs i-k-j
// with k blocked: rows of B are streamed contiguously and reused from cache,
// and sums accumulate in float64.

import { Tensor } from "../tensor.js";
import { alloc, promote, type Storage } from "../dtype.js";
import { broadcastStrides, fmt, matmulShape, numelOf } from "../shape.js";
import { cpuOnly, tensorArg } from "../check.js";

/** Rows of B per k-block: about 256 KiB of float64, so a block stays in L2 while every row of A uses it. */
const BLOCK_DOUBLES = 32768;

/**
 * acc[c + i*n + j] = sum_p A[a + i*k + p] * B[b + p*n + j]: an m×k block of A
 * at offset a times a k×n block of B at offset b, row-major, in i-k-j order
 * with k blocked. Four rows of A share each load of B (about 2.5× faster in
 * V8 than one row); every sum still adds its terms in order p = 0, 1, ….
 * acc is float64 (the output itself when that is float64).
 */
function gemm(A: Storage, a: number, B: Storage, b: number, acc: Float64Array, c: number, m: number, k: number, n: number): void {
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
  acc.fill(0, c, c + m * n);
  const kb = Math.max(1, Math.floor(BLOCK_DOUBLES / Math.max(n, 1)));
  for (let p0 = 0; p0 < k; p0 += kb) {
    const p1 = Math.min(k, p0 + kb);
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      const a0 = a + i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
      const c0 = c + i * n, c1 = c0 + n, c2 = c1 + n, c3 = c2 + n;
      for (let p = p0; p < p1; p++) {
        const v0 = A[a0 + p], v1 = A[a1 + p], v2 = A[a2 + p], v3 = A[a3 + p];
        const bp = b + p * n;
        for (let j = 0; j < n; j++) {
          const w = B[bp + j];
          acc[c0 + j] += v0 * w;
          acc[c1 + j] += v1 * w;
          acc[c2 + j] += v2 * w;
          acc[c3 + j] += v3 * w;
        }
      }
    }
    for (; i < m; i++) {
      const ai = a + i * k, ci = c + i * n;
      for (let p = p0; p < p1; p++) {
        const v = A[ai + p];
        const bp = b + p * n;
        for (let j = 0; j < n; j++) acc[ci + j] += v * B[bp + j];
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
