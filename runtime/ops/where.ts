// where(cond, input, other), maskedFill(input, mask, value) and clamp(input,
// min, max): ops that pick between operands elementwise.

import { Tensor } from "../tensor.js";
import { alloc, floatOf, type DType, type Storage } from "../dtype.js";
import { broadcastShapes, broadcastStrides, describe, fmt, numelOf, sameShape } from "../shape.js";
import { cpuOnly, keepsInt32, operandArg, resultDtype, tensorArg, type Operand } from "../check.js";
import { tensor, type NestedData } from "../factories.js";
import { eachRow } from "./strided.js";
import { binary } from "./binary.js";
import { deviceAware } from "../device.js";

// (maskedFill runs where on the tensors' device)
const whereOnDevice = deviceAware("where", (c: Tensor, a: Operand, b: Operand) => where(c, a, b));

/**
 * `input` where `condition` holds, else `other`, broadcasting all three. The
 * condition is a bool tensor (a mask: x.gt(0)), or a float one that holds
 * where it is nonzero (NaN counts as true, as `bool(nan)` does), or nested
 * booleans. Two bool values give a bool tensor; otherwise the float type.
 */
export function where(condition: Tensor | NestedData, input: Operand, other: Operand): Tensor {
  const cond = condition instanceof Tensor ? condition : tensor(condition as NestedData);
  operandArg("where", input, "input");
  operandArg("where", other, "other");
  cpuOnly("where", [cond, input, other]);
  const bothBool = input instanceof Tensor && other instanceof Tensor && input.dtype === "bool" && other.dtype === "bool";
  // (int32 values with int32 values, or integral numbers, stay int32, as PyTorch's where keeps integers)
  const dtype: DType = bothBool ? "bool" : keepsInt32([input, other]) ? "int32" : resultDtype([input, other]);
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
 * `value` where `mask` holds, else `input` (PyTorch's masked_fill, out of place).
 * The mask is a bool tensor that broadcasts to input's shape, the result has
 * input's shape and dtype; `value` is a number or a 0-d tensor. Built on where
 * (so it runs on WebGPU too); the derivative is input's where the mask is false,
 * value's summed where it is true.
 */
export function maskedFill(input: Tensor, mask: Tensor, value: Operand): Tensor {
  if (!(input instanceof Tensor)) throw new TypeError(`maskedFill: expected a Tensor for input, got ${describe(input)}`);
  if (!(mask instanceof Tensor)) throw new TypeError(`maskedFill: expected a bool Tensor for mask, got ${describe(mask)}`);
  if (mask.dtype !== "bool") throw new TypeError(`maskedFill: expected a bool mask, got a ${mask.dtype} tensor of shape ${fmt(mask.shape)}; make one with a comparison (x.gt(0)) or .bool()`);
  if (typeof value !== "number" && !(value instanceof Tensor && value.shape.length === 0)) {
    throw new TypeError(`maskedFill: value must be a number or a 0-d Tensor, got ${value instanceof Tensor ? `a tensor of shape ${fmt(value.shape)}` : describe(value)}`);
  }
  if (!sameShape(broadcastShapes("maskedFill", mask.shape, input.shape), input.shape)) {
    throw new RangeError(`maskedFill: the mask of shape ${fmt(mask.shape)} does not broadcast to the input's shape ${fmt(input.shape)}`);
  }
  const out = whereOnDevice(mask, value, input);
  return input.dtype === "bool" || (input.dtype === "int32" && out.dtype !== "int32") ? out.to(input.dtype) : out;
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
    const out = alloc(floatOf(x.dtype), n);
    for (let i = 0; i < n; i++) out[i] = Math.min(Math.max(d[i], lo), hi);
    return new Tensor(out, x.shape.slice());
  }
  // tensor bounds: check that all three broadcast before computing anything
  const shapeOf = (b: Operand | null | undefined): readonly number[] => (b instanceof Tensor ? b.shape : []);
  broadcastShapes("clamp", broadcastShapes("clamp", x.shape, shapeOf(min)), shapeOf(max));
  const lower = min == null ? x : binary("maximum", "clamp", x, min);
  return max == null ? lower : binary("minimum", "clamp", lower, max);
}
