// Slicing: narrow (a range along one dim), select (one index along one dim,
// the dim removed) and index (rows picked by integer indices, like x[idx]).

import { Tensor } from "../tensor.js";
import { alloc } from "../dtype.js";
import { describe, fmt, normDim, numelOf } from "../shape.js";
import { tensorArg } from "../check.js";
import { tensor, type NestedData } from "../factories.js";

/** Copies the range [start, start+length) of dim d into a new tensor of `shape`. */
function copyRange(x: Tensor, d: number, start: number, length: number, shape: number[]): Tensor {
  const outer = numelOf(x.shape.slice(0, d)), inner = numelOf(x.shape.slice(d + 1)), size = x.shape[d];
  const w = length * inner;
  const out = alloc(x.dtype, outer * w);
  const src = x.data;
  // short runs (a column of a batch): a plain loop, not a subarray per run
  if (w < 16) {
    for (let o = 0; o < outer; o++) for (let i = 0, from = (o * size + start) * inner; i < w; i++) out[o * w + i] = src[from + i];
  } else {
    for (let o = 0; o < outer; o++) {
      const from = (o * size + start) * inner;
      out.set(src.subarray(from, from + w), o * w);
    }
  }
  return new Tensor(out, shape);
}

function needDims(op: string, x: Tensor): void {
  if (x.shape.length === 0) throw new RangeError(`${op}: cannot be applied to a 0-d tensor`);
}

function integer(op: string, what: string, v: unknown, shape?: readonly number[]): number {
  if (typeof v !== "number" || !Number.isInteger(v)) throw new TypeError(`${op}: ${what} must be an integer, got ${describe(v)}${shape ? ` (shape ${fmt(shape)})` : ""}`);
  return v;
}

/** Elements start … start+length-1 along `dim`; a negative start counts from the end. */
export function narrow(input: Tensor, dim: number, start: number, length: number): Tensor {
  const x = tensorArg("narrow", input);
  needDims("narrow", x);
  const d = normDim("narrow", dim, x.shape);
  const size = x.shape[d];
  integer("narrow", "start", start, x.shape);
  integer("narrow", "length", length, x.shape);
  if (start < -size || start > size) {
    throw new RangeError(`narrow: start ${start} out of range for dim ${d} of size ${size} (shape ${fmt(x.shape)})`);
  }
  const s = start < 0 ? start + size : start;
  if (length < 0 || s + length > size) {
    throw new RangeError(`narrow: start ${start} + length ${length} exceeds dim ${d} of size ${size} (shape ${fmt(x.shape)})`);
  }
  const shape = x.shape.slice();
  shape[d] = length;
  return copyRange(x, d, s, length, shape);
}

/** The slice at `index` along `dim`, that dim removed; a negative index counts from the end. */
export function select(input: Tensor, dim: number, index: number): Tensor {
  const x = tensorArg("select", input);
  needDims("select", x);
  const d = normDim("select", dim, x.shape);
  const size = x.shape[d];
  integer("select", "index", index, x.shape);
  if (index < -size || index >= size) {
    throw new RangeError(`select: index ${index} out of range for dim ${d} of size ${size} (shape ${fmt(x.shape)})`);
  }
  const shape = x.shape.slice();
  shape.splice(d, 1);
  return copyRange(x, d, index < 0 ? index + size : index, 1, shape);
}

function hasBoolean(v: unknown): boolean {
  return typeof v === "boolean" || (Array.isArray(v) && v.some(hasBoolean));
}

/**
 * Rows of `input` along dim 0 picked by integer `indices` (a number, nested
 * arrays, a typed array or a tensor holding integers), like `x[idx]`: the
 * result's shape is the indices' shape followed by input.shape[1:]. Negative
 * indices count from the end. Boolean masks are not supported.
 */
export function index(input: Tensor, indices: number | NestedData | Tensor): Tensor {
  const x = tensorArg("index", input);
  needDims("index", x);
  if (typeof indices === "number") {
    // (checked here so that the message names index, not the select it becomes)
    integer("index", "index", indices, x.shape);
    if (indices < -x.shape[0] || indices >= x.shape[0]) throw new RangeError(`index: index ${indices} out of range for dim 0 of size ${x.shape[0]} (shape ${fmt(x.shape)})`);
    return select(x, 0, indices);
  }
  if (hasBoolean(indices)) throw new TypeError("index: boolean masks are not supported; pass integer indices");
  const idx = indices instanceof Tensor ? indices : tensor(indices as NestedData, { dtype: "float64" });
  const size = x.shape[0];
  const rows = idx.data;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (!Number.isInteger(r)) throw new TypeError(`index: indices must be integers, got ${r}`);
    if (r < -size || r >= size) throw new RangeError(`index: index ${r} out of range for dim 0 of size ${size} (shape ${fmt(x.shape)})`);
  }
  const inner = numelOf(x.shape.slice(1));
  const out = alloc(x.dtype, rows.length * inner);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] < 0 ? rows[i] + size : rows[i];
    out.set(x.data.subarray(r * inner, (r + 1) * inner), i * inner);
  }
  return new Tensor(out, [...idx.shape, ...x.shape.slice(1)]);
}
