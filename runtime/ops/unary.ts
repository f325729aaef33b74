// Elementwise unary ops. Like binary.ts, one switch of single-expression loops.

import { Tensor } from "../tensor.js";
import { alloc, type Storage } from "../dtype.js";
import { tensorArg } from "../check.js";

export type UnaryOp = "neg" | "exp" | "log" | "sqrt" | "sin" | "cos" | "tanh" | "sigmoid" | "relu" | "abs";

function loop(op: UnaryOp, x: Storage, o: Storage, n: number): void {
  switch (op) {
    case "neg": for (let i = 0; i < n; i++) o[i] = -x[i]; return;
    case "exp": for (let i = 0; i < n; i++) o[i] = Math.exp(x[i]); return;
    case "log": for (let i = 0; i < n; i++) o[i] = Math.log(x[i]); return;
    case "sqrt": for (let i = 0; i < n; i++) o[i] = Math.sqrt(x[i]); return;
    case "sin": for (let i = 0; i < n; i++) o[i] = Math.sin(x[i]); return;
    case "cos": for (let i = 0; i < n; i++) o[i] = Math.cos(x[i]); return;
    case "tanh": for (let i = 0; i < n; i++) o[i] = Math.tanh(x[i]); return;
    // exp(-x) overflows to Infinity for very negative x, giving exactly 0
    case "sigmoid": for (let i = 0; i < n; i++) o[i] = 1 / (1 + Math.exp(-x[i])); return;
    // NaN passes through, as torch.relu's clamp_min does
    case "relu": for (let i = 0; i < n; i++) { const v = x[i]; o[i] = v > 0 || v !== v ? v : 0; } return;
    case "abs": for (let i = 0; i < n; i++) o[i] = Math.abs(x[i]); return;
  }
}

export function unary(op: UnaryOp, input: Tensor): Tensor {
  const x = tensorArg(op, input);
  const n = x.data.length;
  const out = alloc(x.dtype, n);
  loop(op, x.data, out, n);
  return new Tensor(out, x.shape.slice());
}

export const neg = (input: Tensor): Tensor => unary("neg", input);
export const exp = (input: Tensor): Tensor => unary("exp", input);
/** Natural log (NaN below 0, -Infinity at 0). */
export const log = (input: Tensor): Tensor => unary("log", input);
export const sqrt = (input: Tensor): Tensor => unary("sqrt", input);
export const sin = (input: Tensor): Tensor => unary("sin", input);
export const cos = (input: Tensor): Tensor => unary("cos", input);
export const tanh = (input: Tensor): Tensor => unary("tanh", input);
export const sigmoid = (input: Tensor): Tensor => unary("sigmoid", input);
export const relu = (input: Tensor): Tensor => unary("relu", input);
export const abs = (input: Tensor): Tensor => unary("abs", input);
