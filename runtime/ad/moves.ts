// The backward of the movement ops whose vjp is not one op (runtime/ops/moves.ts):
// repeat / tile sum the copies, diagonal / diag / trace put the cotangent back
// on the diagonal of zeros. Each is linear in its cotangent (the compiler
// differentiates through it again) and runs on the cotangent's device.
import { Tensor } from "../tensor.js";
import * as ops from "../ops/index.js";
import { full } from "../factories.js";
import * as L from "../ops/move-layouts.js";
import { indexList, runLayout } from "../ops/moves.js";
import { fmt, normDim } from "../shape.js";
import { adIndexBackward, adNarrowBackward, adSelectBackward } from "./backward.js";

/** Backward of repeat / tile: ct viewed as [r0, s0, r1, s1, …], summed over the r's, in x's shape. */
export function adRepeatBackward(ct: Tensor, x: Tensor, sizes: readonly number[], tile = false): Tensor {
  if (ct === undefined) return undefined as never; // a structural zero (forward over reverse)
  const r = tile ? L.tileSizes(x.shape, [...sizes]) : [...sizes];
  if (r.length === 0) return ops.reshape(ct, []);
  const xs = [...new Array<number>(r.length - x.shape.length).fill(1), ...x.shape];
  const summed = ops.sum(ops.reshape(ct, r.flatMap((n, i) => [n, xs[i]])), r.map((_, i) => 2 * i));
  return ops.reshape(summed, [...x.shape]);
}

/** Backward of diagonal: ct on that diagonal of zeros shaped as x. */
export function adDiagonalBackward(ct: Tensor, x: Tensor, offset = 0, dim1 = 0, dim2 = 1): Tensor {
  if (ct === undefined) return undefined as never;
  const shape = [...x.shape];
  return runLayout("adDiagonalBackward", ct, L.scatterLayout(L.diagonalLayout("adDiagonalBackward", shape, offset, dim1, dim2), shape));
}

/** Backward of diag: the diagonal of ct (x a vector), or ct on the diagonal of zeros shaped as x (x a matrix). */
export function adDiagBackward(ct: Tensor, x: Tensor, k = 0): Tensor {
  if (ct === undefined) return undefined as never;
  return x.shape.length === 1 ? ops.diagonal(ct, k) : adDiagonalBackward(ct, x, k, 0, 1);
}

/** Backward of trace: ct on the main diagonal of zeros shaped as x. */
export function adTraceBackward(ct: Tensor | number, x: Tensor): Tensor {
  if (ct === undefined) return undefined as never;
  const n = Math.min(x.shape[0], x.shape[1]);
  const c = typeof ct === "number" ? full([], ct, { dtype: x.dtype === "float64" ? "float64" : "float32", device: x.device }) : ct;
  return adDiagonalBackward(ops.expand(c, [n]), x, 0, 0, 1);
}

/** Where piece i of chunk / split / unbind lies along dim d of `shape` (a RangeError naming the op when it does not exist). */
function pieceRange(op: string, shape: readonly number[], arg: unknown, dim: number, i: number): { d: number; start: number; length: number } {
  if (shape.length === 0) throw new RangeError(`${op}: cannot be applied to a 0-d tensor`);
  const d = normDim(op, dim, shape);
  const size = shape[d];
  if (op === "unbind") {
    if (i >= size) throw new RangeError(`unbind: dim ${d} of shape ${fmt(shape)} gives ${size} tensors; tensor ${i} does not exist`);
    return { d, start: i, length: 1 };
  }
  const sizes = L.pieceSizes(op, shape, d, arg);
  if (i >= sizes.length) throw new RangeError(`${op}: dim ${d} of shape ${fmt(shape)} gives ${sizes.length} tensors; tensor ${i} does not exist`);
  return { d, start: sizes.slice(0, i).reduce((a, b) => a + b, 0), length: sizes[i] };
}

/** Piece i of x.chunk(arg, dim) / x.split(arg, dim) / x.unbind(dim) (compiled code takes the pieces one by one). */
export function adPiece(x: Tensor, op: "chunk" | "split" | "unbind", arg: unknown, dim: number, i: number): Tensor {
  if (x === undefined) return undefined as never; // a structural zero tangent (forward over reverse)
  const { d, start, length } = pieceRange(op, x.shape, arg, dim, i);
  return op === "unbind" ? ops.select(x, d, start) : ops.narrow(x, d, start, length);
}

/** Backward of a piece: ct in its place, zeros elsewhere. */
export function adPieceBackward(ct: Tensor, x: Tensor, op: "chunk" | "split" | "unbind", arg: unknown, dim: number, i: number): Tensor {
  if (ct === undefined) return undefined as never;
  const { d, start, length } = pieceRange(op, x.shape, arg, dim, i);
  return op === "unbind" ? adSelectBackward(ct, x, d, start) : adNarrowBackward(ct, x, d, start, length);
}

/** Backward of indexSelect: ct's entries added back at their indices along dim (index's backward, with the dim moved to 0 and back). */
export function adIndexSelectBackward(ct: Tensor, x: Tensor, dim: number, index: number | readonly number[] | Tensor): Tensor {
  if (ct === undefined) return undefined as never;
  const d = normDim("indexSelect", dim, x.shape);
  const idx = indexList("indexSelect", index, x.shape, d);
  if (d === 0) return adIndexBackward(ct, x, idx);
  return ops.movedim(adIndexBackward(ops.movedim(ct, d, 0), ops.movedim(x, d, 0), idx), 0, d);
}
