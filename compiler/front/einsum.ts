// einsum inside differentiated code: the subscripts, a string literal, are read
// when compiling into a plan (runtime/ops/einsum-plan.ts) of diagonal, sum,
// movedim, unsqueeze and mul primitives, so AD, vmap and WebGPU come from
// those ops. A check of the operands' shapes against the subscripts runs first
// (ad.einsumCheck), so a mismatch is a RangeError naming einsum, not mul.
import ts from "typescript";
import { type Atom, lit, TENSOR } from "../ir/ir.js";
import { type EinsumStep, planEinsum } from "../../runtime/ops/einsum-plan.js";
import { fail } from "./diagnostics.js";
import type { FnLowerer, Val } from "./lower.js";
import { skipParens } from "./module.js";

/** `einsum("ij,jk->ik", a, b)` or `einsum("ij,jk->ik", [a, b])` lowered to primitives. */
export function lowerEinsum(lw: FnLowerer, args: readonly ts.Expression[], node: ts.Node): Val {
  const first = args[0] && skipParens(args[0]);
  if (!first) fail(node, "arity", "`einsum` needs subscripts and operands");
  if (!ts.isStringLiteral(first) && !ts.isNoSubstitutionTemplateLiteral(first)) fail(first, "unsupported-construct", "the subscripts of `einsum` must be a string literal inside a differentiated function");
  const list = args.length === 2 ? skipParens(args[1]) : undefined;
  const operandExprs = list && ts.isArrayLiteralExpression(list) ? list.elements : args.slice(1);
  const operands = operandExprs.map((e): Atom => {
    const val = lw.expr(e);
    if (val.k !== "atom" || val.t.k !== "tensor") fail(e, "unsupported-type", "`einsum` needs a Tensor here");
    return val.a;
  });
  let plan;
  try {
    plan = planEinsum(first.text, operands.length);
  } catch (e) {
    if (e instanceof RangeError) fail(first, "unsupported-construct", e.message);
    throw e;
  }
  const b = lw.b;
  const step = (x: Atom, s: EinsumStep): Atom => {
    switch (s.k) {
      case "diagonal": return b.t("t.diagonal", [x, lit(0), lit(s.d1), lit(s.d2)]);
      case "sum": return b.t("t.sum", [x], [s.dims, false]);
      case "movedim": return b.t("t.movedim", [x], [s.src, s.dst]);
      case "unsqueeze": return b.t("t.unsqueeze", [x, lit(s.dim)]);
    }
  };
  const checked = [b.t("ad.einsumCheck", operands, [first.text]), ...operands.slice(1)];
  const parts = checked.map((x, i) => plan.operands[i].reduce(step, x));
  const product = parts.reduce((x, y) => b.t("t.mul", [x, y]));
  return { k: "atom", a: plan.after.reduce(step, product), t: TENSOR };
}
