// Scans along one dim (cumsum, cumprod) and the index of the extremum
// (argmax, argmin). Each slice along the dim is walked as outer × size ×
// inner over contiguous storage, accumulated in float64.
import { Tensor } from "../tensor.js";
import { alloc, floatOf } from "../dtype.js";
import { describe, fmt, normDim, numelOf } from "../shape.js";
import { tensorArg } from "../check.js";

/** A slice layout along `dim`: outer blocks of size × inner elements (a 0-d tensor is one slice of one). */
export function slices(op: string, x: Tensor, dim: unknown): { outer: number; size: number; inner: number } {
  if (dim === undefined || dim === null) throw new TypeError(`${op}: dim is required (input ${fmt(x.shape)})`);
  const d = normDim(op, dim, x.shape);
  if (x.shape.length === 0) return { outer: 1, size: 1, inner: 1 };
  return { outer: numelOf(x.shape.slice(0, d)), size: x.shape[d], inner: numelOf(x.shape.slice(d + 1)) };
}

/** Runs `f(index of element k of the slice)` over each slice, for scans written per slice. */
export function eachSlice(s: { outer: number; size: number; inner: number }, f: (at: (k: number) => number) => void): void {
  for (let o = 0; o < s.outer; o++) {
    for (let i = 0; i < s.inner; i++) {
      const base = o * s.size * s.inner + i;
      f((k) => base + k * s.inner);
    }
  }
}

function scan(op: string, input: Tensor, dim: number, product: boolean, reverse = false): Tensor {
  const x = tensorArg(op, input);
  const s = slices(op, x, dim);
  const src = x.data;
  // (an int32 tensor's running sums and products stay int32, as PyTorch keeps integers)
  const out = alloc(x.dtype === "int32" ? "int32" : floatOf(x.dtype), src.length);
  eachSlice(s, (at) => {
    let acc = product ? 1 : 0;
    for (let j = 0; j < s.size; j++) {
      const k = reverse ? s.size - 1 - j : j;
      acc = product ? acc * src[at(k)] : acc + src[at(k)];
      out[at(k)] = acc;
    }
  });
  return new Tensor(out, x.shape.slice());
}

/** Running sums along `dim` (required): out_k = Σ_{j<=k} x_j. */
export function cumsum(input: Tensor, dim: number): Tensor {
  return scan("cumsum", input, dim, false);
}
/** Running products along `dim` (required): out_k = Π_{j<=k} x_j. */
export function cumprod(input: Tensor, dim: number): Tensor {
  return scan("cumprod", input, dim, true);
}
/** Sums from the end along `dim`: out_k = Σ_{j>=k} x_j (cumsum's backward). */
export function revCumsum(input: Tensor, dim: number): Tensor {
  return scan("cumsum", input, dim, false, true);
}

/**
 * The index of the largest (smallest) value over `dim`, the first one on ties,
 * a NaN counting as the extremum (PyTorch's rule); over all elements of the
 * flattened tensor when `dim` is omitted. Indices come as int32 (PyTorch's are
 * int64; jacc's index dtype is int32).
 */
function argExtremum(op: string, input: Tensor, dim: number | null | undefined, keepdim: unknown, min: boolean): Tensor {
  const x = tensorArg(op, input);
  if (keepdim !== undefined && typeof keepdim !== "boolean") throw new TypeError(`${op}: keepdim must be a boolean, got ${describe(keepdim)}`);
  const all = dim === undefined || dim === null;
  if (!all && typeof dim !== "number") throw new TypeError(`${op}: dim must be an integer, got ${describe(dim)} (shape ${fmt(x.shape)})`);
  const s = all ? { outer: 1, size: x.numel(), inner: 1 } : slices(op, x, dim);
  if (s.size === 0) throw new RangeError(`${op}: cannot take the ${min ? "argmin" : "argmax"} of an empty dim (input ${fmt(x.shape)})`);
  const src = x.data;
  const out = new Int32Array(s.outer * s.inner);
  let w = 0;
  eachSlice(s, (at) => {
    let best = 0, v = src[at(0)];
    for (let k = 1; k < s.size && v === v; k++) {
      const u = src[at(k)];
      if (u !== u || (min ? u < v : u > v)) (best = k), (v = u);
    }
    // eachSlice visits o-major then i: the output's row-major order
    out[w++] = best;
  });
  const shape = all ? (keepdim ? x.shape.map(() => 1) : []) : x.shape.flatMap((n, i) => (i === normDim(op, dim, x.shape) ? (keepdim ? [1] : []) : [n]));
  return new Tensor(out, shape);
}

export function argmax(input: Tensor, dim?: number | null, keepdim = false): Tensor {
  return argExtremum("argmax", input, dim, keepdim, false);
}
export function argmin(input: Tensor, dim?: number | null, keepdim = false): Tensor {
  return argExtremum("argmin", input, dim, keepdim, true);
}
