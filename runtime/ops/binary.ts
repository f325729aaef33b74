// Broadcasting binary ops: add sub mul div pow maximum minimum. One strided
// driver; the per-op loops sit in one switch so each loop body stays a single
// expression that V8 compiles without a call per element.

import { Tensor } from "../tensor.js";
import { alloc, type DType, type Storage } from "../dtype.js";
import { broadcastShapes, broadcastStrides, numelOf, sameShape } from "../shape.js";
import { cpuOnly, operandArg, resultDtype, type Operand } from "../check.js";
import { eachRow } from "./strided.js";

export type BinaryOp = "add" | "sub" | "mul" | "div" | "pow" | "maximum" | "minimum";

export interface AlphaOptions {
  /** Multiplier for `other`, as in `torch.add(input, other, alpha=…)`. */
  alpha?: number;
}

/** C's pow (what PyTorch computes): pow(1, y) = 1 and pow(-1, ±inf) = 1, where JS gives NaN. */
function powC(x: number, y: number): number {
  return x === 1 || (x === -1 && (y === Infinity || y === -Infinity)) ? 1 : Math.pow(x, y);
}

/** o[oi + i*os] = a[ai + i*as] (op) b[bi + i*bs] for i < n. */
function loop(op: BinaryOp, a: Storage, ai: number, as: number, b: Storage, bi: number, bs: number, o: Storage, oi: number, os: number, n: number): void {
  switch (op) {
    case "add": for (let i = 0; i < n; i++, oi += os, ai += as, bi += bs) o[oi] = a[ai] + b[bi]; return;
    case "sub": for (let i = 0; i < n; i++, oi += os, ai += as, bi += bs) o[oi] = a[ai] - b[bi]; return;
    case "mul": for (let i = 0; i < n; i++, oi += os, ai += as, bi += bs) o[oi] = a[ai] * b[bi]; return;
    case "div": for (let i = 0; i < n; i++, oi += os, ai += as, bi += bs) o[oi] = a[ai] / b[bi]; return;
    case "pow": for (let i = 0; i < n; i++, oi += os, ai += as, bi += bs) o[oi] = powC(a[ai], b[bi]); return;
    // Math.max / Math.min propagate NaN, as torch.maximum / torch.minimum do
    case "maximum": for (let i = 0; i < n; i++, oi += os, ai += as, bi += bs) o[oi] = Math.max(a[ai], b[bi]); return;
    case "minimum": for (let i = 0; i < n; i++, oi += os, ai += as, bi += bs) o[oi] = Math.min(a[ai], b[bi]); return;
  }
}

/** A number as a one-element storage of the result dtype (float32 rounds it, as PyTorch does). */
function scalarStorage(dtype: DType, x: number): Storage {
  const s = alloc(dtype, 1);
  s[0] = x;
  return s;
}

/** `label` names the op in errors (clamp reports as clamp, not maximum). */
export function binary(op: BinaryOp, label: string, a: Operand, b: Operand): Tensor {
  operandArg(label, a, "input");
  operandArg(label, b, "other");
  if (typeof a === "number" && typeof b === "number") {
    throw new TypeError(`${label}: expected at least one Tensor operand, got two numbers`);
  }
  cpuOnly(label, [a, b]);
  const dtype = resultDtype([a, b]);
  const aShape = typeof a === "number" ? [] : a.shape;
  const bShape = typeof b === "number" ? [] : b.shape;
  const ad = typeof a === "number" ? scalarStorage(dtype, a) : a.data;
  const bd = typeof b === "number" ? scalarStorage(dtype, b) : b.data;
  if (sameShape(aShape, bShape)) {
    const n = ad.length;
    const out = alloc(dtype, n);
    loop(op, ad, 0, 1, bd, 0, 1, out, 0, 1, n);
    return new Tensor(out, aShape.slice());
  }
  const shape = broadcastShapes(label, aShape, bShape);
  const n = numelOf(shape);
  const out = alloc(dtype, n);
  if (ad.length === 1 || bd.length === 1) {
    // tensor (op) scalar: one flat row, the scalar read with step 0
    loop(op, ad, 0, ad.length === 1 ? 0 : 1, bd, 0, bd.length === 1 ? 0 : 1, out, 0, 1, n);
  } else {
    const strides = [broadcastStrides(aShape, shape), broadcastStrides(bShape, shape), broadcastStrides(shape, shape)];
    eachRow(shape, strides, (off, len, inner) => loop(op, ad, off[0], inner[0], bd, off[1], inner[1], out, off[2], inner[2], len));
  }
  return new Tensor(out, shape);
}

/** `other` scaled by alpha first when alpha is given and not 1. */
function scaled(op: string, other: Operand, opts?: AlphaOptions): Operand {
  const alpha = opts?.alpha;
  if (alpha === undefined || alpha === 1) return other;
  if (typeof alpha !== "number") throw new TypeError(`${op}: alpha must be a number, got ${typeof alpha}`);
  return typeof other === "number" ? other * alpha : binary("mul", op, other, alpha);
}

/** input + alpha * other, broadcasting. */
export function add(input: Operand, other: Operand, opts?: AlphaOptions): Tensor {
  return binary("add", "add", input, scaled("add", other, opts));
}
/** input - alpha * other, broadcasting. */
export function sub(input: Operand, other: Operand, opts?: AlphaOptions): Tensor {
  return binary("sub", "sub", input, scaled("sub", other, opts));
}
export function mul(input: Operand, other: Operand): Tensor {
  return binary("mul", "mul", input, other);
}
/** True division (IEEE: x/0 is ±Infinity or NaN). */
export function div(input: Operand, other: Operand): Tensor {
  return binary("div", "div", input, other);
}
export function pow(input: Operand, exponent: Operand): Tensor {
  return binary("pow", "pow", input, exponent);
}
/** Elementwise max; NaN wins. */
export function maximum(input: Operand, other: Operand): Tensor {
  return binary("maximum", "maximum", input, other);
}
/** Elementwise min; NaN wins. */
export function minimum(input: Operand, other: Operand): Tensor {
  return binary("minimum", "minimum", input, other);
}
