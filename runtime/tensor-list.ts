// A differentiated array of Tensors (`Ws: Tensor[]`, `layers: { W: Tensor; b: Tensor }[]`) as
// the compiled code sees it: one flat Tensor of all their entries, piece after piece (element e's
// leaf j is piece e·k + j, k the Tensors per element), so every transform sees one Tensor
// parameter. The compiled code reads a piece as a range of the flat Tensor reshaped
// (adListPiece); a piece's cotangent goes back into that range (adListPieceBack); the glue
// splits a result's axis over the flat entries into the user's array again (adUnpack).
// Where each piece lies is kept beside the flat Tensor the glue made (a WeakMap): tangents and
// cotangents are new Tensors, so the rules pass the flat primal along to say where.
import { Tensor } from "./tensor.js";
import { describe, fmt } from "./shape.js";
import * as ops from "./ops/index.js";
import { zeros } from "./factories.js";

interface Pieces { offsets: number[]; shapes: number[][]; total: number }
const PIECES = new WeakMap<Tensor, Pieces>();

/** The pieces `ts` as one flat Tensor of their entries, in order (one dtype, one device); `what` names them in errors. */
export function packTensors(ts: readonly unknown[], what: string): Tensor {
  const offsets: number[] = [], shapes: number[][] = [];
  let total = 0;
  ts.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new TypeError(`${what}: piece ${i} must be a Tensor, got ${describe(t)}`);
    if (t.dtype !== (ts[0] as Tensor).dtype || t.device !== (ts[0] as Tensor).device) throw new TypeError(`${what}: every Tensor must have one dtype and device, got ${(ts[0] as Tensor).dtype} on ${(ts[0] as Tensor).device} and ${t.dtype} on ${t.device}`);
    offsets.push(total);
    shapes.push([...t.shape]);
    total += t.numel();
  });
  const flat = ts.length ? ops.cat(ts.map((t) => ops.reshape(t as Tensor, [-1])), 0) : zeros([0], { dtype: "float64" });
  PIECES.set(flat, { offsets, shapes, total });
  return flat;
}

function piecesOf(packed: Tensor, op: string): Pieces {
  const p = PIECES.get(packed);
  if (!p) throw new TypeError(`${op}: ${describe(packed)} is not an array of Tensors made by jacc's glue`);
  return p;
}

/** The number of pieces of a flat array of Tensors. */
export function adListCount(packed: Tensor): number {
  return piecesOf(packed, "adListCount").offsets.length;
}

/** Piece `p` of `a` ([…lead, total]: the flat Tensor, its tangent, or a batch of them) as […lead, …piece's shape]. */
export function adListPiece(a: Tensor, packed: Tensor, p: number): Tensor {
  if (a === undefined) return undefined as never; // a structural zero
  const { offsets, shapes, total } = piecesOf(packed, "adListPiece");
  if (!(p >= 0 && p < offsets.length && Number.isInteger(p))) throw new RangeError(`array index ${p} is out of range for an array of ${offsets.length} Tensor(s)`);
  const lead = a.shape.slice(0, -1);
  if (a.shape[a.shape.length - 1] !== total) throw new RangeError(`adListPiece: ${fmt(a.shape)} does not run over the array's ${total} entries`);
  const n = shapes[p].reduce((x, y) => x * y, 1);
  return ops.reshape(ops.narrow(a, -1, offsets[p], n), [...lead, ...shapes[p]]);
}

/** A cotangent of piece `p` (…lead, …piece's shape) in its place among the flat entries: […lead, total], zeros elsewhere. */
export function adListPieceBack(ct: Tensor, packed: Tensor, p: number): Tensor {
  if (ct === undefined) return undefined as never;
  const { offsets, shapes, total } = piecesOf(packed, "adListPieceBack");
  const n = shapes[p].reduce((x, y) => x * y, 1);
  const lead = ct.shape.slice(0, ct.shape.length - shapes[p].length);
  return ops.pad(ops.reshape(ct, [...lead, n]), [offsets[p], total - offsets[p] - n]);
}

/**
 * A result block running over the flat entries along `axis` as the user's array: element e built by
 * `build` from b[j][i], the i-th block's piece e·k + j (that range, reshaped to the piece's shape).
 */
export function adUnpack(blocks: readonly unknown[], packed: unknown, axis: number, k: number, build: (b: Tensor[][]) => unknown): unknown[] {
  const { offsets, shapes } = piecesOf(packed as Tensor, "adUnpack");
  const out = new Array<unknown>(offsets.length / k);
  for (let e = 0; e < out.length; e++) {
    const b: Tensor[][] = [];
    for (let j = 0; j < k; j++) {
      const p = e * k + j, n = shapes[p].reduce((x, y) => x * y, 1);
      b.push((blocks as readonly Tensor[]).map((blk) => {
        const ax = axis < 0 ? blk.shape.length + axis : axis;
        const part = ops.narrow(blk, ax, offsets[p], n);
        return ops.reshape(part, [...blk.shape.slice(0, ax), ...shapes[p], ...blk.shape.slice(ax + 1)]);
      }));
    }
    out[e] = build(b);
  }
  return out;
}
