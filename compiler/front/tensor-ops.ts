// Lowering of Tensor methods and jacc's op functions (SPEC §5) to tensor
// primitives: which arguments are differentiable operands (tensors or
// numbers), which are integers (dims, indices: atoms), and which must be
// literals (dim lists, keepdim, shapes: static attributes).
import ts from "typescript";
import { type Atom, lit, NUM, TENSOR } from "../ir/ir.js";
import { tensorRules } from "../rules/tensor.js";
import { fail } from "./diagnostics.js";
import type { FnLowerer, Val } from "./lower.js";
import { skipParens } from "./module.js";

interface OpSpec {
  prim: string;
  operands: number; // including the receiver
  ints?: (number | undefined)[]; // integer arguments with their defaults (undefined: required)
  lits?: "dims" | "sizes"; // optional dim list + keepdim, or a shape given as an array or as numbers
  result?: "num";
}

const bin = (name: string): [string, OpSpec] => [name, { prim: `t.${name}`, operands: 2 }];
const un = (name: string): [string, OpSpec] => [name, { prim: `t.${name}`, operands: 1 }];

const OPS = new Map<string, OpSpec>([
  ...["add", "sub", "mul", "div", "pow", "matmul", "dot", "outer"].map(bin),
  ...["neg", "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "abs", "t"].map(un),
  ["sum", { prim: "t.sum", operands: 1, lits: "dims" }],
  ["mean", { prim: "t.mean", operands: 1, lits: "dims" }],
  ["select", { prim: "t.select", operands: 1, ints: [undefined, undefined] }],
  ["narrow", { prim: "t.narrow", operands: 1, ints: [undefined, undefined, undefined] }],
  ["transpose", { prim: "t.transpose", operands: 1, ints: [undefined, undefined] }],
  ["unsqueeze", { prim: "t.unsqueeze", operands: 1, ints: [undefined] }],
  ["flatten", { prim: "t.flatten", operands: 1, ints: [0, -1] }],
  ["softmax", { prim: "t.softmax", operands: 1, ints: [undefined] }],
  ["logSoftmax", { prim: "t.logSoftmax", operands: 1, ints: [undefined] }],
  ["squeeze", { prim: "t.squeeze", operands: 1, lits: "sizes" }],
  ["reshape", { prim: "t.reshape", operands: 1, lits: "sizes" }],
  ["view", { prim: "t.view", operands: 1, lits: "sizes" }],
  ["permute", { prim: "t.permute", operands: 1, lits: "sizes" }],
  ["expand", { prim: "t.expand", operands: 1, lits: "sizes" }],
  ["item", { prim: "t.item", operands: 1, result: "num" }],
  ["size", { prim: "t.size", operands: 1, ints: [undefined], result: "num" }],
  ["dim", { prim: "t.dim", operands: 1, result: "num" }],
]);

/** jacc exports that are op functions (`exp(x)`, `matmul(a, b)`). */
export const TENSOR_FUNCTIONS = new Set([
  ...OPS.keys(), "maximum", "minimum", "where", "clamp", "max", "min", "prod", "cat", "stack", "index",
].filter((n) => n !== "item" && n !== "size" && n !== "dim"));

function literal(e: ts.Expression): unknown {
  e = skipParens(e);
  if (ts.isNumericLiteral(e)) return Number(e.text);
  if (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(e.operand)) return -Number(e.operand.text);
  if (e.kind === ts.SyntaxKind.TrueKeyword) return true;
  if (e.kind === ts.SyntaxKind.FalseKeyword) return false;
  if (ts.isArrayLiteralExpression(e)) {
    const items = e.elements.map(literal);
    return items.every((x) => typeof x === "number") ? items : NOT_LITERAL;
  }
  return NOT_LITERAL;
}
const NOT_LITERAL = Symbol("not a literal");

export function tensorOp(lw: FnLowerer, name: string, recv: Atom, args: readonly ts.Expression[], node: ts.Node): Val {
  const spec = OPS.get(name);
  if (!spec || !tensorRules[spec.prim]) fail(node, "unsupported-construct", `Tensor op \`${name}\` has no derivative rule yet`);
  const atoms: Atom[] = [recv];
  let i = 0;
  for (; i < spec.operands - 1; i++) {
    if (!args[i]) fail(node, "arity", `\`${name}\` needs ${spec.operands - 1} operand(s)`);
    const val = lw.expr(args[i]);
    if (val.k !== "atom" || (val.t.k !== "tensor" && val.t.k !== "num")) fail(args[i], "unsupported-type", `\`${name}\` takes a Tensor or a number`);
    atoms.push(val.a);
  }
  for (const [k, dflt] of (spec.ints ?? []).entries()) {
    const a = args[i + k];
    if (!a) {
      if (dflt === undefined) fail(node, "arity", `\`${name}\` is missing argument ${i + k + 1}`);
      atoms.push(lit(dflt));
    } else atoms.push(lw.num(a));
  }
  i += spec.ints?.length ?? 0;
  const attrs: unknown[] = [];
  if (spec.lits === "dims") {
    const dim = args[i] ? literal(args[i]) : undefined;
    const keep = args[i + 1] ? literal(args[i + 1]) : false;
    if (dim === NOT_LITERAL || keep === NOT_LITERAL) fail(args[i], "unsupported-construct", `the dims and keepdim of \`${name}\` must be literals inside a differentiated function`);
    attrs.push(dim, keep);
    i += 2;
  } else if (spec.lits === "sizes") {
    const rest = args.slice(i);
    const vals = rest.map(literal);
    if (vals.some((x) => x === NOT_LITERAL)) fail(rest[0], "unsupported-construct", `the sizes of \`${name}\` must be literals inside a differentiated function`);
    if (vals.length === 1 && Array.isArray(vals[0])) attrs.push(vals[0]);
    else if (vals.length) attrs.push(vals);
    i = args.length;
  }
  if (args.length > i) fail(args[i], "arity", `too many arguments for \`${name}\``);
  const type = spec.result === "num" ? NUM : TENSOR;
  return { k: "atom", a: lw.b.t(spec.prim, atoms, attrs, type), t: type };
}
