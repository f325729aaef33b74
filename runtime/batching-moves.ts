// The batched forms of the movement ops whose per-example arguments depend on
// the example's rank (runtime/batching.ts has the others): a batched value is a
// Tensor with the batch at dim 0.
import type { Tensor } from "./tensor.js";
import * as ops from "./ops/index.js";
import * as L from "./ops/move-layouts.js";
import { runLayout } from "./ops/moves.js";
import * as ad from "./ad/moves.js";

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

// The backward helpers of the movement ops over a batch (vmap(grad(f))): the
// cotangent batched at dim 0 (repeated over the batch when only x is), x read
// only for its example shape; flags: [ct batched, x batched].
type Flags = readonly boolean[];

/** ct batched, and the batched shape of x's examples (x stands in as that shape only). */
function lined(ct: Tensor, x: Tensor, [cb, xb]: Flags): [Tensor, Tensor] {
  const B = cb ? ct.shape[0] : x.shape[0];
  const c = cb ? ct : ops.expand(ops.unsqueeze(ct, 0), [B, ...ct.shape]);
  const shape = xb ? x.shape.slice() : [B, ...x.shape];
  return [c, { shape } as unknown as Tensor];
}
const shifted = (d: number) => (d >= 0 ? d + 1 : d);

export function bRepeatBackward(ct: Tensor, x: Tensor, sizes: readonly number[], tile: boolean, flags: Flags): Tensor {
  const [c, bx] = lined(ct, x, flags);
  const xs = bx.shape.slice(1);
  const r = tile ? L.tileSizes(xs, [...sizes]) : [...sizes];
  if (r.length === 0) return ops.reshape(c, bx.shape.slice());
  const padded = [...new Array<number>(r.length - xs.length).fill(1), ...xs];
  const summed = ops.sum(ops.reshape(c, [c.shape[0], ...r.flatMap((n, i) => [n, padded[i]])]), r.map((_, i) => 2 * i + 1));
  return ops.reshape(summed, bx.shape.slice());
}

export function bDiagonalBackward(ct: Tensor, x: Tensor, offset: number, dim1: number, dim2: number, flags: Flags): Tensor {
  const [c, bx] = lined(ct, x, flags);
  return ad.adDiagonalBackward(c, bx, offset, shifted(dim1), shifted(dim2));
}

export function bDiagBackward(ct: Tensor, x: Tensor, k: number, flags: Flags): Tensor {
  const [c, bx] = lined(ct, x, flags);
  return bx.shape.length === 2 ? ops.diagonal(c, k, 1, 2) : ad.adDiagonalBackward(c, bx, k, 1, 2);
}

export function bTraceBackward(ct: Tensor, x: Tensor, flags: Flags): Tensor {
  const [c, bx] = lined(ct, x, flags);
  const [B, n, m] = bx.shape;
  return ad.adDiagonalBackward(ops.expand(ops.reshape(c, [B, 1]), [B, Math.min(n, m)]), bx, 0, 1, 2);
}

export function bPieceBackward(ct: Tensor, x: Tensor, op: "chunk" | "split" | "unbind", arg: unknown, dim: number, i: number, flags: Flags): Tensor {
  const [c, bx] = lined(ct, x, flags);
  return ad.adPieceBackward(c, bx, op, arg, shifted(dim), i);
}

export function bReshapeAs(ct: Tensor, x: Tensor, flags: Flags): Tensor {
  const [c, bx] = lined(ct, x, flags);
  return ops.reshape(c, bx.shape.slice());
}
