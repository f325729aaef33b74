// An op's options object (`mseLoss(x, y, { reduction: "sum" })`,
// `gelu(x, { approximate: "tanh" })`, `var(dim, { correction, keepdim })`):
// inside a differentiated function it must be an object literal whose fields
// are literals, because each value picks the derivative rule or the kernel at
// compile time. Each op declares its fields (compiler/ops/tensor.ts
// `OptionField`); anything else is a located diagnostic naming the op, the
// field and what it takes.
import ts from "typescript";
import { fail } from "./diagnostics.js";
import { skipParens } from "./module.js";
import type { OptionField, OptionValue } from "../ops/tensor.js";

const NOT_LITERAL = Symbol("not a literal");

/** A literal number (with a leading minus), string, boolean or `Infinity`; NOT_LITERAL otherwise. */
function optionLiteral(e: ts.Expression): OptionValue | typeof NOT_LITERAL {
  e = skipParens(e);
  if (ts.isNumericLiteral(e)) return Number(e.text);
  if (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(e.operand)) return -Number(e.operand.text);
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return e.text;
  if (e.kind === ts.SyntaxKind.TrueKeyword) return true;
  if (e.kind === ts.SyntaxKind.FalseKeyword) return false;
  if (ts.isIdentifier(e) && e.text === "Infinity") return Infinity;
  return NOT_LITERAL;
}

const takes = (f: OptionField) =>
  Array.isArray(f.values) ? f.values.map((v) => JSON.stringify(v)).join(" | ")
  : f.integer ? "an integer"
  : f.min !== undefined && f.max !== undefined ? `a number in [${f.min}, ${f.max}]`
  : f.min !== undefined ? `a number ≥ ${f.min}`
  : `a ${f.values}`;
const describe = (fields: readonly OptionField[], tensors: readonly string[]) => `{ ${[...fields.map((f) => `${f.name}?: ${takes(f)}`), ...tensors.map((n) => `${n}?: Tensor`)].join(", ")} }`;

/**
 * The value of each field, in declaration order (its default where left out); `e` absent or
 * `undefined`: all defaults. `tensors`: fields whose values are Tensors (crossEntropy's weight), left
 * to the caller (optionTensor) and not literals.
 */
export function readOptions(op: string, e: ts.Expression | undefined, fields: readonly OptionField[], tensors: readonly string[] = []): OptionValue[] {
  const out = new Map<string, OptionValue>();
  const inner = e && skipParens(e);
  if (inner && !(ts.isIdentifier(inner) && inner.text === "undefined")) {
    if (!ts.isObjectLiteralExpression(inner)) fail(e!, "invalid-option", `the options of \`${op}\` must be an object literal inside a differentiated function: ${describe(fields, tensors)}`);
    for (const p of inner.properties) {
      // (a Tensor field may be written `{ weight }`)
      if (ts.isShorthandPropertyAssignment(p) && tensors.includes(p.name.text)) continue;
      if (!ts.isPropertyAssignment(p) || !(ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) fail(p, "invalid-option", `the options of \`${op}\` must be written \`name: literal\` (${describe(fields, tensors)})`);
      const name = p.name.text;
      if (tensors.includes(name)) continue;
      const f = fields.find((x) => x.name === name);
      if (!f) fail(p.name, "invalid-option", `unknown option \`${name}\` of \`${op}\` (it takes ${describe(fields, tensors)})`);
      const v = optionLiteral(p.initializer);
      if (v === NOT_LITERAL) fail(p.initializer, "invalid-option", `option \`${name}\` of \`${op}\` must be a literal inside a differentiated function (${takes(f)})`);
      const inRange = (x: number) => (f.min === undefined || x >= f.min) && (f.max === undefined || x <= f.max) && (!f.integer || Number.isInteger(x));
      const ok = Array.isArray(f.values) ? f.values.includes(v) : typeof v === f.values && (f.values !== "number" || inRange(v as number));
      if (!ok) fail(p.initializer, "invalid-option", `option \`${name}\` of \`${op}\` must be ${takes(f)}, got ${JSON.stringify(v)}`);
      out.set(name, v);
    }
  }
  return fields.map((f) => out.get(f.name) ?? f.dflt);
}

/** The expression given for the options' Tensor field `name` (undefined where left out or written `undefined` / `null`); readOptions checked the object. */
export function optionTensor(e: ts.Expression | undefined, name: string): ts.Expression | undefined {
  const inner = e && skipParens(e);
  if (!inner || !ts.isObjectLiteralExpression(inner)) return undefined;
  const p = inner.properties.find((q) => (ts.isPropertyAssignment(q) || ts.isShorthandPropertyAssignment(q)) && (ts.isIdentifier(q.name) || ts.isStringLiteral(q.name)) && q.name.text === name);
  const given = p && (ts.isShorthandPropertyAssignment(p) ? p.name : ts.isPropertyAssignment(p) ? p.initializer : undefined);
  const v = given && skipParens(given);
  return !v || v.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(v) && v.text === "undefined") ? undefined : given;
}

/** A positional literal argument: a number, a boolean, or (shape) an integer or an array of integers. */
export function readLiteralArg(op: string, e: ts.Expression, name: string, kind: "number" | "boolean" | "shape", min = -Infinity, max = Infinity): OptionValue | number[] {
  const inner = skipParens(e);
  if (kind === "shape" && ts.isArrayLiteralExpression(inner)) {
    const items = inner.elements.map(optionLiteral);
    if (items.every((x) => Number.isInteger(x))) return items as number[];
  } else {
    const v = optionLiteral(inner);
    if (kind === "shape" ? Number.isInteger(v) : typeof v === kind && (kind !== "number" || ((v as number) >= min && (v as number) <= max))) return v as OptionValue;
  }
  const range = kind === "number" && (min > -Infinity || max < Infinity) ? ` in [${min}, ${max}]` : "";
  const what = kind === "shape" ? "an integer or an array of integers" : `a ${kind}${range}`;
  return fail(e, "unsupported-construct", `the ${name} of \`${op}\` must be ${what}, written as a literal inside a differentiated function`);
}
