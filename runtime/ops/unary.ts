// Elementwise unary ops: the checks and the result; the loops are generated
// from the op registry (elementwise.gen.ts).

import { Tensor } from "../tensor.js";
import { alloc, floatOf } from "../dtype.js";
import { boolOperands, tensorArg } from "../check.js";
import { describe } from "../shape.js";
import { BOOL_OPS, INTEGRAL_OPS, OP_PARAMS, unaryLoop, type UnaryOp } from "./elementwise.gen.js";

export type { UnaryOp } from "./elementwise.gen.js";

const NONE: readonly number[] = [];

/**
 * op(input) elementwise; `params`: the op's literal parameters (softplus's beta, threshold).
 * A bool input reads as 0 / 1 and gives float32 (PyTorch's exp of a bool); an int32 input stays int32
 * through the ops that keep integers (neg, abs, sign, square, relu, floor, …) and reads as float32
 * elsewhere; a mask (isnan, …) gives bool.
 */
export function unary(op: UnaryOp, input: Tensor, params: readonly number[] = NONE): Tensor {
  const x = tensorArg(op, input);
  if (params.length) checkParams(op, params);
  boolOperands(op, [x]);
  const n = x.data.length;
  const out = alloc(BOOL_OPS.has(op) ? "bool" : x.dtype === "int32" && INTEGRAL_OPS.has(op) ? "int32" : floatOf(x.dtype), n);
  unaryLoop(op, x.data, out, n, params);
  return new Tensor(out, x.shape.slice());
}

/** Each parameter a number (a TypeError naming the op and the parameter otherwise). */
export function checkParams(op: string, params: readonly unknown[]): void {
  const names = OP_PARAMS[op] ?? [];
  params.forEach((p, k) => {
    if (typeof p !== "number") throw new TypeError(`${op}: ${names[k]?.[0] ?? `parameter ${k + 1}`} must be a number, got ${describe(p)}`);
  });
}
