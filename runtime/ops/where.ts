// where(cond, input, other) and clamp(input, min, max): ops that pick between
// operands elementwise.

import { Tensor } from "../tensor.js";
import { alloc, type Storage } from "../dtype.js";
import { broadcastShapes, broadcastStrides, numelOf } from "../shape.js";
import { cpuOnly, operandArg, resultDtype, tensorArg, type Operand } from "../check.js";
import { tensor, type NestedData } from "../factories.js";
import { eachRow } from "./strided.js";
import { binary } from "./binary.js";

/**
 * `input` where `condition` holds, else `other`, broadcasting all three. The
 * runtime has no bool dtype: a condition tensor holds where it is nonzero (NaN
 * counts as true, as `bool(nan)` does), and nested booleans are accepted.
 */
export function where(condition: Tensor | NestedData, input: Operand, other: Operand): Tensor {
  const cond = condition instanceof Tensor ? condition : tensor(condition as NestedData);
  operandArg("where", input, "input");
  operandArg("where", other, "other");
  cpuOnly("where", [cond, input, other]);
  const dtype = resultDtype([input, other]);
  const asStorage = (x: Operand): Storage => {
    if (typeof x !== "number") return x.data;
    const s = alloc(dtype, 1);
    s[0] = x;
    return s;
  };
  const shapeOf = (x: Operand): readonly number[] => (typeof x === "number" ? [] : x.shape);
  const shape = broadcastShapes("where", broadcastShapes("where", cond.shape, shapeOf(input)), shapeOf(other));
  const c = cond.data, a = asStorage(input), b = asStorage(other);
  const out = alloc(dtype, numelOf(shape));
  const strides = [cond.shape, shapeOf(input), shapeOf(other), shape].map((s) => broadcastStrides(s, shape));
  eachRow(shape, strides, (off, n, inner) => {
    let ci = off[0], ai = off[1], bi = off[2], oi = off[3];
    const cs = inner[0], as = inner[1], bs = inner[2], os = inner[3];
    for (let i = 0; i < n; i++, ci += cs, ai += as, bi += bs, oi += os) out[oi] = c[ci] !== 0 ? a[ai] : b[bi];
  });
  return new Tensor(out, shape);
}

/**
 * min(max(input, min), max), as PyTorch: NaN propagates, and min > max gives
 * max everywhere. Bounds are numbers or tensors (broadcasting); at least one.
 */
export function clamp(input: Tensor, min?: Operand | null, max?: Operand | null): Tensor {
  const x = tensorArg("clamp", input);
  if (min == null && max == null) throw new TypeError("clamp: at least one of min and max must be given");
  if (min != null) operandArg("clamp", min, "min");
  if (max != null) operandArg("clamp", max, "max");
  cpuOnly("clamp", [x, min, max]);
  if ((min == null || typeof min === "number") && (max == null || typeof max === "number")) {
    const lo = min ?? -Infinity, hi = max ?? Infinity;
    const d = x.data, n = d.length;
    const out = alloc(x.dtype, n);
    for (let i = 0; i < n; i++) out[i] = Math.min(Math.max(d[i], lo), hi);
    return new Tensor(out, x.shape.slice());
  }
  // tensor bounds: check that all three broadcast before computing anything
  const shapeOf = (b: Operand | null | undefined): readonly number[] => (b instanceof Tensor ? b.shape : []);
  broadcastShapes("clamp", broadcastShapes("clamp", x.shape, shapeOf(min)), shapeOf(max));
  const lower = min == null ? x : binary("maximum", "clamp", x, min);
  return max == null ? lower : binary("minimum", "clamp", lower, max);
}
