// Broadcasting binary ops (the registry's, compiler/ops/elementwise.ts): one
// strided driver over the generated per-op loops (elementwise.gen.ts).

import { Tensor } from "../tensor.js";
import { alloc, type DType, type Storage } from "../dtype.js";
import { broadcastShapes, broadcastStrides, numelOf, sameShape } from "../shape.js";
import { boolOperands, cpuOnly, keepsInt32, operandArg, resultDtype, type Operand } from "../check.js";
import { eachRow } from "./strided.js";
import { binaryLoop as loop, BOOL_OPS, INTEGRAL_OPS, type BinaryOp } from "./elementwise.gen.js";

export type { BinaryOp } from "./elementwise.gen.js";

export interface AlphaOptions {
  /** Multiplier for `other`, as in `torch.add(input, other, alpha=…)`. */
  alpha?: number;
}

/** A number as a one-element storage of the result dtype (float32 rounds it, as PyTorch does). */
function scalarStorage(dtype: DType, x: number): Storage {
  const s = alloc(dtype, 1);
  s[0] = x;
  return s;
}

/** `label` names the op in errors (clamp reports as clamp, not maximum). A mask (gt, logicalAnd, …) gives a bool tensor. */
export function binary(op: BinaryOp, label: string, a: Operand, b: Operand): Tensor {
  operandArg(label, a, "input");
  operandArg(label, b, "other");
  if (typeof a === "number" && typeof b === "number") {
    throw new TypeError(`${label}: expected at least one Tensor operand, got two numbers`);
  }
  cpuOnly(label, [a, b]);
  boolOperands(label, [a, b]);
  // the operands meet in `dtype` (a number rounds to it, as PyTorch's scalars do); a mask's result is bool;
  // int32 operands stay int32 through the ops that keep integers (PyTorch's promotion)
  const int = INTEGRAL_OPS.has(op) && keepsInt32([a, b]);
  if (int) intOperands(label, op, b);
  const dtype: DType = int ? "int32" : resultDtype([a, b]);
  const outType = BOOL_OPS.has(op) ? "bool" : dtype;
  const aShape = typeof a === "number" ? [] : a.shape;
  const bShape = typeof b === "number" ? [] : b.shape;
  const ad = typeof a === "number" ? scalarStorage(dtype, a) : a.data;
  const bd = typeof b === "number" ? scalarStorage(dtype, b) : b.data;
  if (sameShape(aShape, bShape)) {
    const n = ad.length;
    const out = alloc(outType, n);
    loop(op, ad, 0, 1, bd, 0, 1, out, 0, 1, n);
    return new Tensor(out, aShape.slice());
  }
  const shape = broadcastShapes(label, aShape, bShape);
  const n = numelOf(shape);
  const out = alloc(outType, n);
  if (ad.length === 1 || bd.length === 1) {
    // tensor (op) scalar: one flat row, the scalar read with step 0
    loop(op, ad, 0, ad.length === 1 ? 0 : 1, bd, 0, bd.length === 1 ? 0 : 1, out, 0, 1, n);
  } else {
    const strides = [broadcastStrides(aShape, shape), broadcastStrides(bShape, shape), broadcastStrides(shape, shape)];
    eachRow(shape, strides, (off, len, inner) => loop(op, ad, off[0], inner[0], bd, off[1], inner[1], out, off[2], inner[2], len));
  }
  return new Tensor(out, shape);
}

/** What PyTorch refuses in integer arithmetic: a zero divisor (fmod, remainder), a negative exponent (pow). */
function intOperands(label: string, op: BinaryOp, b: Operand): void {
  if (op !== "fmod" && op !== "remainder" && op !== "pow") return;
  const bd = typeof b === "number" ? [b] : b.data;
  for (let i = 0; i < bd.length; i++) {
    if (op === "pow" ? bd[i] < 0 : bd[i] === 0) {
      throw new RangeError(op === "pow" ? `${label}: integers to negative integer powers are not allowed (an int32 base, exponent ${bd[i]}); convert with .float()` : `${label}: integer division by zero (int32 operands); convert with .float() for NaN`);
    }
  }
}

/** `other` scaled by alpha first when alpha is given and not 1. */
export function scaled(op: string, other: Operand, opts?: AlphaOptions): Operand {
  const alpha = opts?.alpha;
  if (alpha === undefined || alpha === 1) return other;
  if (typeof alpha !== "number") throw new TypeError(`${op}: alpha must be a number, got ${typeof alpha}`);
  return typeof other === "number" ? other * alpha : binary("mul", op, other, alpha);
}
