// Reductions sum mean prod max min over all dims or the given ones, with
// keepdim, accumulated in float64 and rounded once to the result's dtype. A
// bool tensor reduces as 0 / 1 into float32 (sum counts the true elements); an
// int32 tensor's sum, prod, max and min are int32.

import { Tensor } from "../tensor.js";
import { alloc, floatOf } from "../dtype.js";
import { contiguousStrides, fmt, numelOf, reduction } from "../shape.js";
import { tensorArg } from "../check.js";
import { eachRow } from "./strided.js";
import { binary } from "./binary.js";

export type Dims = number | readonly number[] | null | undefined;
type Fold = "sum" | "prod" | "max" | "min";

const IDENTITY: Record<Fold, number> = { sum: 0, prod: 1, max: -Infinity, min: Infinity };

function fold(fold: Fold, op: string, input: Tensor, dim: Dims, keepdim: unknown): { acc: Float64Array; shape: number[]; count: number; x: Tensor } {
  const x = tensorArg(op, input);
  if (keepdim !== undefined && typeof keepdim !== "boolean") throw new TypeError(`${op}: keepdim must be a boolean, got ${typeof keepdim}`);
  const { mask, outShape, count } = reduction(op, dim, x.shape, keepdim);
  if (count === 0 && (fold === "max" || fold === "min")) {
    throw new RangeError(`${op}: cannot reduce over a dim of size 0 (input ${fmt(x.shape)}), there is no identity`);
  }
  const acc = new Float64Array(numelOf(outShape)).fill(IDENTITY[fold]);
  const d = x.data;
  const run = contiguousRun(mask);
  if (fold === "sum" && run) {
    // one run of folded dims: outer × red × inner, each slot summed in storage order as below
    let outer = 1, red = 1, inner = 1;
    x.shape.forEach((n, i) => (i < run[0] ? (outer *= n) : i <= run[1] ? (red *= n) : (inner *= n)));
    if (inner === 1) {
      for (let o = 0, xi = 0; o < outer; o++) {
        let s = 0;
        for (let r = 0; r < red; r++) s += d[xi++];
        acc[o] = s;
      }
    } else {
      for (let o = 0; o < outer; o++) {
        const a0 = o * inner;
        for (let r = 0; r < red; r++) {
          const x0 = (o * red + r) * inner;
          for (let i = 0; i < inner; i++) acc[a0 + i] += d[x0 + i];
        }
      }
    }
    return { acc, shape: outShape, count, x };
  }
  // Walk the input in storage order; the accumulator's strides are 0 along folded dims.
  const keptStrides = contiguousStrides(x.shape.filter((_, i) => !mask[i]));
  let k = 0;
  const accStrides = x.shape.map((_, i) => (mask[i] ? 0 : keptStrides[k++]));
  eachRow(x.shape, [contiguousStrides(x.shape), accStrides], (off, n, inner) => {
    let xi = off[0], ai = off[1];
    const xs = inner[0], as = inner[1];
    if (as === 0) {
      // the row folds into one slot: keep it in a register
      let s = acc[ai];
      switch (fold) {
        case "sum": for (let i = 0; i < n; i++, xi += xs) s += d[xi]; break;
        case "prod": for (let i = 0; i < n; i++, xi += xs) s *= d[xi]; break;
        case "max": for (let i = 0; i < n; i++, xi += xs) { const v = d[xi]; if (v > s || v !== v) s = v; } break;
        case "min": for (let i = 0; i < n; i++, xi += xs) { const v = d[xi]; if (v < s || v !== v) s = v; } break;
      }
      acc[ai] = s;
      return;
    }
    switch (fold) {
      case "sum": for (let i = 0; i < n; i++, xi += xs, ai += as) acc[ai] += d[xi]; break;
      case "prod": for (let i = 0; i < n; i++, xi += xs, ai += as) acc[ai] *= d[xi]; break;
      // once a slot is NaN, v > NaN and v < NaN are false: NaN sticks, as in PyTorch
      case "max": for (let i = 0; i < n; i++, xi += xs, ai += as) { const v = d[xi]; if (v > acc[ai] || v !== v) acc[ai] = v; } break;
      case "min": for (let i = 0; i < n; i++, xi += xs, ai += as) { const v = d[xi]; if (v < acc[ai] || v !== v) acc[ai] = v; } break;
    }
  });
  return { acc, shape: outShape, count, x };
}

/** The first and last folded dim when the folded dims are one contiguous run. */
function contiguousRun(mask: boolean[]): [number, number] | null {
  const first = mask.indexOf(true);
  if (first < 0) return null;
  let last = first;
  while (last + 1 < mask.length && mask[last + 1]) last++;
  for (let i = last + 1; i < mask.length; i++) if (mask[i]) return null;
  return [first, last];
}

function finish(r: { acc: Float64Array; shape: number[]; x: Tensor }, scale = 1): Tensor {
  if (scale === 1 && r.x.dtype === "float64") return new Tensor(r.acc, r.shape); // the accumulator is the result
  // (an int32 tensor's sum, prod, max and min stay int32, as PyTorch keeps integers; a bool's are float32)
  const out = alloc(r.x.dtype === "int32" && scale === 1 ? "int32" : floatOf(r.x.dtype), r.acc.length);
  if (scale === 1) out.set(r.acc);
  else for (let i = 0; i < out.length; i++) out[i] = r.acc[i] * scale;
  return new Tensor(out, r.shape);
}

/** Sum over `dim` (all dims when omitted); `keepdim` keeps folded dims as size 1. */
export function sum(input: Tensor, dim?: Dims, keepdim = false): Tensor {
  return finish(fold("sum", "sum", input, dim, keepdim));
}
/** Mean over `dim`; NaN over zero elements, as in PyTorch. */
export function mean(input: Tensor, dim?: Dims, keepdim = false): Tensor {
  if (input instanceof Tensor && (input.dtype === "bool" || input.dtype === "int32")) throw boolMean(input);
  const r = fold("sum", "mean", input, dim, keepdim);
  if (r.count === 0) return finish(r, NaN);
  const out = alloc(floatOf(r.x.dtype), r.acc.length);
  for (let i = 0; i < out.length; i++) out[i] = r.acc[i] / r.count;
  return new Tensor(out, r.shape);
}
export function prod(input: Tensor, dim?: Dims, keepdim = false): Tensor {
  return finish(fold("prod", "prod", input, dim, keepdim));
}

/**
 * Largest value over `dim` (all dims when omitted); NaN wins. Returns the
 * values only (PyTorch's `.values`). `max(input, other)` with a tensor is
 * `maximum`, as torch.max(input, other) is.
 */
export function max(input: Tensor, dim?: Dims | Tensor, keepdim = false): Tensor {
  if (dim instanceof Tensor) return binary("maximum", "maximum", input, dim);
  return finish(fold("max", "max", input, dim, keepdim));
}
/** Smallest value over `dim`; NaN wins. `min(input, other)` with a tensor is `minimum`. */
export function min(input: Tensor, dim?: Dims | Tensor, keepdim = false): Tensor {
  if (dim instanceof Tensor) return binary("minimum", "minimum", input, dim);
  return finish(fold("min", "min", input, dim, keepdim));
}

/** PyTorch's mean refuses a bool or an integer tensor (it cannot tell the float dtype wanted). */
export function boolMean(x: Tensor): TypeError {
  return new TypeError(`mean: expected a float tensor, got a ${x.dtype} tensor of shape ${fmt(x.shape)}; convert it first with .float()${x.dtype === "bool" ? " (a mask's mean is the fraction of true elements)" : ""}`);
}
