// The batched forms of the movement ops whose per-example arguments depend on
// the example's rank (runtime/batching.ts has the others): a batched value is a
// Tensor with the batch at dim 0.
import type { Tensor } from "./tensor.js";
import * as ops from "./ops/index.js";
import * as L from "./ops/move-layouts.js";
import { runLayout } from "./ops/moves.js";

/** repeat / tile of each example: sizes padded as the example's rank asks, the batch dim repeated once. */
export function bRepeat(x: Tensor, sizes: readonly number[], tile: boolean): Tensor {
  const ex = x.shape.slice(1);
  const r = tile ? L.tileSizes(ex, [...sizes]) : [...sizes];
  if (r.length < ex.length) return ops.repeat(ops.select(x, 0, 0), r); // (the per-example error)
  const padded = ops.reshape(x, [x.shape[0], ...new Array<number>(r.length - ex.length).fill(1), ...ex]);
  return ops.repeat(padded, [1, ...r]);
}

/** diag of each example: a batch of vectors onto diagonals of square matrices, or a batch of matrices' diagonals. */
export function bDiag(x: Tensor, k = 0): Tensor {
  if (x.shape.length === 3) return ops.diagonal(x, k, 1, 2);
  if (x.shape.length !== 2) return ops.diag(ops.select(x, 0, 0), k); // (the per-example error)
  const [B, n] = x.shape, N = n + Math.abs(k);
  const piece = { shape: [B, n], inOff: 0, inStrides: [n, 1], outOff: k >= 0 ? k : -k * N, outStrides: [N * N, N + 1] };
  return runLayout("diag", x, { shape: [B, N, N], zero: true, pieces: [piece] });
}
