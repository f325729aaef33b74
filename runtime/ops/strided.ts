// The one loop nest every broadcasting / permuting kernel runs on: walk an
// output shape row by row, carrying one element offset per operand, and let
// the kernel run a tight loop over each innermost row.

import { Tensor } from "../tensor.js";
import { alloc } from "../dtype.js";
import { contiguousStrides, numelOf } from "../shape.js";

/**
 * Drops size-1 dims and merges adjacent dims that every operand walks
 * contiguously, so `[2,3,4] + [4]` becomes a `[6,4]` walk and same-shape
 * operands become one flat row.
 */
export function coalesce(shape: readonly number[], strides: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const k = strides.length;
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let i = shape.length - 1; i >= 0; i--) {
    const n = shape[i];
    if (n === 1) continue;
    const j = outShape.length - 1;
    let merge = j >= 0;
    for (let s = 0; s < k && merge; s++) {
      if (strides[s][i] !== outStrides[s][j] * outShape[j]) merge = false;
    }
    if (merge) {
      outShape[j] *= n;
    } else {
      outShape.push(n);
      for (let s = 0; s < k; s++) outStrides[s].push(strides[s][i]);
    }
  }
  outShape.reverse();
  for (const s of outStrides) s.reverse();
  return { shape: outShape, strides: outStrides };
}

/**
 * Calls `row(offsets, n, inner)` once per innermost row of `shape`:
 * `offsets[s]` is operand s's first element, `inner[s]` its step along the
 * row, `n` the row's length. `offsets` is reused between calls. A 0-d shape
 * is one row of one element; a shape with a 0 has no rows.
 */
export function eachRow(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
  row: (offsets: number[], n: number, inner: number[]) => void,
): void {
  const c = coalesce(shape, strides);
  const d = c.shape.length;
  const k = strides.length;
  const offsets = new Array<number>(k).fill(0);
  if (d === 0) {
    if (shape.every((n) => n !== 0)) row(offsets, 1, offsets.map(() => 0));
    return;
  }
  if (c.shape.includes(0)) return;
  const n = c.shape[d - 1];
  const inner = c.strides.map((s) => s[d - 1]);
  const idx = new Array<number>(d - 1).fill(0);
  let rows = 1;
  for (let i = 0; i < d - 1; i++) rows *= c.shape[i];
  for (let r = 0; r < rows; r++) {
    row(offsets, n, inner);
    for (let ax = d - 2; ax >= 0; ax--) {
      idx[ax]++;
      for (let s = 0; s < k; s++) offsets[s] += c.strides[s][ax];
      if (idx[ax] < c.shape[ax]) break;
      for (let s = 0; s < k; s++) offsets[s] -= c.strides[s][ax] * c.shape[ax];
      idx[ax] = 0;
    }
  }
}

/** A contiguous copy of x read through `strides` (element offsets into x.data) as `shape`. */
export function stridedCopy(x: Tensor, shape: number[], strides: number[]): Tensor {
  const src = x.data;
  const out = alloc(x.dtype, numelOf(shape));
  eachRow(shape, [strides, contiguousStrides(shape)], (off, n, inner) => {
    let si = off[0], oi = off[1];
    const ss = inner[0], os = inner[1];
    for (let i = 0; i < n; i++, si += ss, oi += os) out[oi] = src[si];
  });
  return new Tensor(out, shape);
}
