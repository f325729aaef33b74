// Lowering of Tensor methods and jacc's op functions (SPEC §5) to tensor
// primitives: which arguments are differentiable operands (tensors or
// numbers), which are integers (dims, indices: atoms), and which must be
// literals (dim lists, keepdim, shapes: static attributes).
import ts from "typescript";
import { type Atom, type Fn, lit, NUM, TENSOR, type Type, v } from "../ir/ir.js";
import { type Surface, TENSOR_OP_NAMES, TENSOR_OPS } from "../ops/tensor.js";
import { ELEMENTWISE_NAMES, ELEMENTWISE_OPS, type ElementwiseName } from "../ops/elementwise.js";
import { fail } from "./diagnostics.js";
import type { FnLowerer, Val } from "./lower.js";
import { skipParens } from "./module.js";
import { lowerEinsum } from "./einsum.js";
import { optionTensor, readLiteralArg, readOptions } from "./op-options.js";

/** A call's reading: the registry entry's surface, and its primitive. */
interface OpSpec extends Omit<Surface, "lits"> {
  prim: string;
  /** an elementwise op's literal parameters (softplus's beta, threshold), or the surface's dims / sizes */
  lits?: Surface["lits"] | "params";
  /** an options object that picks a sibling entry (gelu's approximate) */
  variants?: { option: string; ops: Readonly<Record<string, string>> };
}

/** The registry's elementwise ops (compiler/ops/elementwise.ts): operands, then literal parameters. */
const elementwiseSpecs = ELEMENTWISE_NAMES.filter((name) => !ELEMENTWISE_OPS[name].variantOf).map((name): [string, OpSpec] => {
  const op = ELEMENTWISE_OPS[name];
  return [name, { prim: `t.${name}`, operands: op.arity, ...(op.params?.length ? { lits: "params" as const } : {}), ...(op.variants ? { variants: op.variants } : {}) }];
});

/** The other tensor ops with a surface (compiler/ops/tensor.ts); factories and `.shape` are read by the lowering itself. */
const otherSpecs = TENSOR_OP_NAMES.flatMap((name): [string, OpSpec][] => {
  const surface = TENSOR_OPS[name].surface;
  return surface ? [[name, { ...surface, prim: `t.${name}` }]] : [];
});

const OPS = new Map<string, OpSpec>([...elementwiseSpecs, ...otherSpecs]);

/** jacc exports that are op functions (`exp(x)`, `matmul(a, b)`); `max` / `min` read as amax / maximum by their arguments. */
export const TENSOR_FUNCTIONS = new Set([...[...OPS].filter(([, spec]) => !spec.methodOnly).map(([name, spec]) => spec.written ?? name), "einsum"]);

/** Tensor methods the lowering reads (`x.exp()`, `x.amax(1)`): the runtime's Tensor has each (test/ops-registry.test.ts). */
export const TENSOR_METHODS = new Set([...[...OPS].filter(([, spec]) => !spec.functionOnly && spec.form !== "list").map(([name]) => name), "max", "min", "to"]);

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

/** A dim argument: a literal, or `undefined` / `null` (all dims). */
function dimLiteral(e: ts.Expression): unknown {
  const inner = skipParens(e);
  if (inner.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(inner) && inner.text === "undefined")) return undefined;
  return literal(inner);
}

/** norm's order: a number literal, `Infinity` ("inf" in the attrs) or "fro". */
function normOrder(e: ts.Expression): number | string {
  const inner = skipParens(e);
  const v = ts.isIdentifier(inner) && inner.text === "Infinity" ? "inf" : ts.isStringLiteral(inner) ? inner.text : literal(inner);
  if (v !== 1 && v !== 2 && v !== "inf" && v !== "fro") fail(e, "unsupported-construct", '`norm` takes p = 1, 2, Infinity or "fro" as a literal inside a differentiated function');
  return v;
}

/** var / std's options: an options object (compiler/front/op-options.ts) with PyTorch's defaults (correction 1, keepdim false). */
function varOptions(name: string, e: ts.Expression | undefined): { correction: number; keepdim: boolean } {
  const [correction, keepdim] = readOptions(name, e, [
    { name: "correction", values: "number", dflt: 1, min: 0 },
    { name: "keepdim", values: "boolean", dflt: false },
  ]);
  return { correction: correction as number, keepdim: keepdim as boolean };
}

/**
 * The sizes of reshape / view / expand given by run-time integers: numbers
 * (x.shape[0], n * m), an array literal of them, or a shape (x.shape): one
 * operand each (a shape stays one vector operand, as the runtime takes it).
 */
function runtimeSizes(lw: FnLowerer, name: string, rest: readonly ts.Expression[]): Atom[] {
  const one = (e: ts.Expression, arrayOk: boolean): Atom[] => {
    const inner = skipParens(e);
    if (arrayOk && ts.isArrayLiteralExpression(inner)) return inner.elements.flatMap((x) => one(x, false));
    const val = lw.expr(e);
    if (val.k === "tuple" && arrayOk) return val.items.map((it) => (it.k === "atom" && it.t.k === "num" ? it.a : fail(e, "unsupported-type", `the sizes of \`${name}\` must be numbers`)));
    if (val.k !== "atom" || !(val.t.k === "num" || (arrayOk && val.t.k === "vec"))) fail(e, "unsupported-type", `the sizes of \`${name}\` must be numbers, an array of numbers or a shape`);
    return [val.a];
  };
  return rest.length === 1 ? one(rest[0], true) : rest.flatMap((e) => one(e, false));
}

/** Functions of a namespace of jacc's (`linalg.solve`) by the entry that defines them (`linalgSolve`). */
const DOTTED = new Map([...OPS].filter(([, spec]) => spec.written?.includes(".")).map(([name, spec]) => [spec.written!, name]));

/** A method call `recv.name(args)`, or the function `name(args)` (recv undefined). */
export function tensorOp(lw: FnLowerer, name: string, recvIn: Atom | undefined, argsIn: readonly ts.Expression[], node: ts.Node): Val {
  name = (!recvIn && DOTTED.get(name)) || name;
  // einsum: lowered to primitives by its subscripts (compiler/front/einsum.ts)
  if (name === "einsum") return recvIn ? fail(node, "unsupported-construct", "`einsum` is a jacc function, not a Tensor method") : lowerEinsum(lw, argsIn, node);
  let args = argsIn;
  // x.to("float64"): the conversion it names (x.double()); a device, an options object or a computed dtype is not read here
  if (recvIn && name === "to") {
    const arg = args.length === 1 ? skipParens(args[0]) : undefined;
    const target = arg && (ts.isStringLiteral(arg) || ts.isNoSubstitutionTemplateLiteral(arg)) ? arg.text : undefined;
    const conversion = typeof target === "string" ? ({ float32: "float", float64: "double", bool: "bool", int32: "int" } as Record<string, string>)[target] : undefined;
    if (!conversion) {
      fail(args[0] ?? node, "unsupported-construct", "inside a differentiated function `.to` takes a dtype written as a literal (`x.to(\"float64\")`, or `.float()`, `.double()`, `.int()`, `.bool()`); move tensors between devices before calling the function");
    }
    name = conversion;
    args = [];
  }
  const tensorArg = (e: ts.Expression): Atom => {
    const val = lw.expr(e);
    if (val.k !== "atom" || val.t.k !== "tensor") fail(e, "unsupported-type", `\`${name}\` needs a Tensor here`);
    return val.a;
  };
  const form = OPS.get(name)?.form;
  // cat([a, b], dim) / stack([a, b], dim)
  if (form === "list") {
    const list = args[0] && skipParens(args[0]);
    if (recvIn || !list || !ts.isArrayLiteralExpression(list)) fail(node, "unsupported-construct", `\`${name}\` takes an array literal of tensors inside a differentiated function`);
    const dim = args[1] ? literal(args[1]) : 0;
    if (typeof dim !== "number") fail(args[1], "unsupported-construct", `the dim of \`${name}\` must be a literal`);
    return { k: "atom", a: lw.b.t(`t.${name}`, list.elements.map(tensorArg), [dim]), t: TENSOR };
  }
  // where(cond, a, b), a.where(cond, b)
  if (form === "where") {
    const parts = recvIn ? [args[0], undefined, args[1]] : [args[0], args[1], args[2]];
    if (parts.some((p, i) => !p && !(recvIn && i === 1))) fail(node, "arity", "`where` needs a condition and two values");
    const cond = lw.expr(parts[0]!);
    if (cond.k !== "atom") fail(parts[0]!, "unsupported-type", "the condition of `where` must be a Tensor or a boolean");
    const val = (e: ts.Expression | undefined, a?: Atom) => (a ? a : (() => { const x = lw.expr(e!); if (x.k !== "atom") fail(e!, "unsupported-type", "`where` takes Tensors or numbers"); return x.a; })());
    return { k: "atom", a: lw.b.t("t.where", [cond.a, val(parts[1], recvIn), val(parts[2])]), t: TENSOR };
  }
  let recv = recvIn;
  // linalg.slogdet(A): the tuple [sign, logabsdet], each its own primitive
  if (form === "pieces" && name === "linalgSlogdet") {
    if (argsIn.length !== 1) fail(node, "arity", "`linalg.slogdet` takes one matrix");
    const A = tensorArg(argsIn[0]);
    return { k: "tuple", items: [0, 1].map((k): Val => ({ k: "atom", a: lw.b.t("t.linalgSlogdet", [A], [k]), t: TENSOR })) };
  }
  const declared = OPS.get(name);
  if (declared?.params && !(recvIn && declared.functionOnly)) return paramsCall(lw, name, declared, recvIn, args, node);
  if (form === "pieces") {
    const hint = lw.piecesHint?.node === node ? lw.piecesHint.count : undefined;
    lw.piecesHint = undefined;
    return pieces(lw, name, recvIn ? recvIn : tensorArg(args[0] ?? fail(node, "arity", `\`${name}\` needs a tensor`)), recvIn ? args : args.slice(1), node, hint);
  }
  if (!recv) {
    if (!args[0]) fail(node, "arity", `\`${name}\` needs a tensor`);
    const first = lw.expr(args[0]);
    // binary ops take a number first (pow(2, x), sub(1, x)) as PyTorch does
    const binaryOp = OPS.get(name)?.operands === 2;
    if (first.k !== "atom" || (first.t.k !== "tensor" && !(binaryOp && first.t.k === "num"))) fail(args[0], "unsupported-type", `\`${name}\` needs a Tensor here`);
    recv = first.a;
    args = args.slice(1);
  }
  // max / min: a reduction, or the elementwise maximum when given a tensor
  if (name === "max" || name === "min") {
    const first = args[0] && skipParens(args[0]);
    const isDims = !first || literal(first) !== NOT_LITERAL;
    name = isDims ? (name === "max" ? "amax" : "amin") : name === "max" ? "maximum" : "minimum";
  }
  const spec = OPS.get(name);
  if (!spec || (recvIn && spec.functionOnly)) return fail(node, "unsupported-construct", `Tensor op \`${name}\` has no derivative rule yet`);
  const atoms: Atom[] = [recv];
  // (scatter(dim, index, src): the ints come first, the atoms stay operands first)
  const nInts = spec.ints?.length ?? 0;
  const opAt = spec.operandsLast ? nInts : 0;
  const intAt = spec.operandsLast ? 0 : spec.operands - 1;
  for (let k = 0; k < spec.operands - 1; k++) {
    const a = args[opAt + k];
    if (spec.optional !== undefined && k + 1 >= spec.optional) {
      // PyTorch's None: left out, undefined or null (a constant to AD); else a Tensor
      const e = a && skipParens(a);
      if (!e || e.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(e) && e.text === "undefined")) {
        atoms.push(lit(undefined));
        continue;
      }
      atoms.push(tensorArg(a));
      continue;
    }
    if (!a) fail(node, "arity", `\`${name}\` needs ${spec.operands - 1} operand(s)${spec.operandsLast ? ` after its ${nInts} integer argument(s)` : ""}`);
    const val = lw.expr(a);
    if (val.k !== "atom" || (val.t.k !== "tensor" && val.t.k !== "num")) fail(a, "unsupported-type", `\`${name}\` takes a Tensor or a number`);
    atoms.push(val.a);
  }
  let i = intAt;
  for (const [k, dflt] of (spec.ints ?? []).entries()) {
    const a = args[i + k];
    if (!a) {
      if (dflt === undefined) fail(node, "arity", `\`${name}\` is missing argument ${i + k + 1}`);
      atoms.push(lit(Number.isNaN(dflt) ? undefined : dflt)); // NaN marks an optional argument left out
    } else {
      const val = lw.expr(a);
      if (val.k !== "atom") fail(a, "unsupported-type", `argument ${i + k + 1} of \`${name}\` must be a number`);
      atoms.push(val.a);
    }
  }
  i = spec.operandsLast ? nInts + spec.operands - 1 : intAt + nInts;
  const attrs: unknown[] = [];
  if (spec.lits === "norm") {
    // norm(p?, dim?, keepdim?): p a literal order (Infinity kept as "inf": attrs stay JSON)
    // (linalg.norm: no ord, or null / undefined, is PyTorch's None: null in the attrs)
    const none = (e: ts.Expression | undefined) => !e || dimLiteral(e) === undefined;
    attrs.push(name === "linalgNorm" && none(args[i]) ? null : args[i] ? normOrder(args[i]) : 2);
    i++;
  }
  if (spec.lits === "var") {
    // var(dim?, { correction?, keepdim? }) / std: attrs [dim, correction, keepdim]
    const dim = args[i] ? dimLiteral(args[i]) : undefined;
    if (dim === NOT_LITERAL) fail(args[i], "unsupported-construct", `the dims of \`${name}\` must be literals inside a differentiated function`);
    const { correction, keepdim } = varOptions(name, args[i + 1]);
    attrs.push(dim, correction, keepdim);
    i += 2;
  } else if (spec.lits === "norm" || spec.lits === "dims") {
    if (spec.dimRequired && !args[i]) fail(node, "arity", `\`${name}\` needs a dim (or a list of dims)`);
    const dim = args[i] ? dimLiteral(args[i]) : undefined;
    const keep = args[i + 1] ? literal(args[i + 1]) : false;
    if (dim === NOT_LITERAL || keep === NOT_LITERAL) fail(args[i], "unsupported-construct", `the dims and keepdim of \`${name}\` must be literals inside a differentiated function`);
    attrs.push(dim, keep);
    i += 2;
  } else if (spec.lits === "params") {
    // an elementwise op's parameters (softplus's beta, threshold): literals, PyTorch's defaults when left out
    const params = ELEMENTWISE_OPS[name as ElementwiseName].params ?? [];
    for (const [k, [pname, dflt]] of params.entries()) {
      const a = args[i + k];
      const val = a ? literal(a) : dflt;
      if (typeof val !== "number") fail(a ?? node, "unsupported-construct", `the ${pname} of \`${name}\` must be a number literal inside a differentiated function`);
      attrs.push(val);
    }
    i += params.length;
  } else if (spec.lits === "lists") {
    // roll(shifts, dims?), movedim(source, destination): each an integer or an array of integers, literal
    // (counted as written: the function form's tensor is argument 1)
    const at = (k: number) => i + k + (recvIn ? 1 : 2);
    for (const [k, required] of (spec.lists ?? []).entries()) {
      const a = args[i + k];
      if (!a) {
        if (required) fail(node, "arity", `\`${name}\` is missing argument ${at(k)}`);
        attrs.push(undefined);
        continue;
      }
      const val = literal(a);
      if (typeof val !== "number" && !Array.isArray(val)) fail(a, "unsupported-construct", `argument ${at(k)} of \`${name}\` must be an integer or an array of integers, written as literals inside a differentiated function`);
      attrs.push(val);
    }
    i += spec.lists?.length ?? 0;
    // then boolean flags (avgPool2d's ceilMode, countIncludePad), literals with defaults
    for (const [k, dflt] of (spec.flags ?? []).entries()) {
      const a = args[i + k];
      const val = a ? literal(a) : dflt;
      if (typeof val !== "boolean") fail(a!, "unsupported-construct", `argument ${at(k)} of \`${name}\` must be true or false, written as a literal inside a differentiated function`);
      attrs.push(val);
    }
    i += spec.flags?.length ?? 0;
  } else if (spec.lits === "sizes") {
    const rest = args.slice(i);
    const vals = rest.map(literal);
    if (vals.some((x) => x === NOT_LITERAL)) {
      // run-time sizes (x.reshape(x.shape[0], -1), x.view(n, m), x.expand(x.shape)): integer operands, never differentiated
      if (!spec.runtimeSizes) fail(rest[0], "unsupported-construct", `the ${name === "permute" ? "dims" : "sizes"} of \`${name}\` must be literals inside a differentiated function`);
      atoms.push(...runtimeSizes(lw, name, rest));
    } else if (vals.length === 1 && Array.isArray(vals[0])) attrs.push(vals[0]);
    else if (vals.length) attrs.push(vals);
    i = args.length;
  }
  let prim = spec.prim;
  if (spec.variants) {
    // gelu(x, { approximate: "tanh" }): the option's literal value picks the entry
    const { option, ops } = spec.variants;
    const values = Object.keys(ops);
    const [picked] = readOptions(name, args[i], [{ name: option, values, dflt: values[0] }]);
    prim = `t.${ops[picked as string]}`;
    i++;
  }
  if (args.length > i) fail(args[i], "arity", `too many arguments for \`${name}\``);
  const type = spec.result === "num" ? NUM : TENSOR;
  return { k: "atom", a: lw.b.t(prim, atoms, attrs, type), t: type };
}

/**
 * A call read by its declared parameter list (Surface.params): each operand a Tensor (an optional one
 * left out, or given as `undefined` / `null`, is the literal undefined), each literal argument checked,
 * the options object read by compiler/front/op-options.ts.
 */
function paramsCall(lw: FnLowerer, name: string, spec: OpSpec, recv: Atom | undefined, args: readonly ts.Expression[], node: ts.Node): Val {
  const atoms: Atom[] = [];
  const attrs: unknown[] = [];
  // (the options' Tensor fields: operands after the params' own)
  const tensorOptions: Atom[] = [];
  let i = 0;
  for (const [k, p] of spec.params!.entries()) {
    if (k === 0 && recv) {
      atoms.push(recv);
      continue;
    }
    const a = args[i++];
    if (p.k === "operand") {
      const inner = a && skipParens(a);
      if (!inner || inner.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(inner) && inner.text === "undefined")) {
        if (!p.optional) fail(a ?? node, "arity", `\`${name}\` needs its ${p.name} (a Tensor)`);
        atoms.push(lit(undefined));
        continue;
      }
      const val = lw.expr(a);
      if (val.k !== "atom" || val.t.k !== "tensor") fail(a, "unsupported-type", `the ${p.name} of \`${name}\` must be a Tensor`);
      atoms.push(val.a);
    } else if (p.k === "lit") {
      if (!a) {
        if (p.dflt === undefined) fail(node, "arity", `\`${name}\` needs its ${p.name}`);
        attrs.push(p.dflt);
      } else attrs.push(readLiteralArg(name, a, p.name, p.kind, p.min, p.max));
    } else {
      attrs.push(...readOptions(name, a, p.fields, p.tensors));
      for (const field of p.tensors ?? []) tensorOptions.push(optionOperand(lw, name, field, optionTensor(a, field)));
    }
  }
  atoms.push(...tensorOptions);
  const extra = args[i];
  if (extra) fail(extra, "arity", `too many arguments for \`${name}\``);
  return { k: "atom", a: lw.b.t(spec.prim, atoms, attrs), t: TENSOR };
}

/** An options object's Tensor field (crossEntropy's weight): its value, or the literal undefined where left out. */
function optionOperand(lw: FnLowerer, op: string, field: string, e: ts.Expression | undefined): Atom {
  if (!e) return lit(undefined);
  const val = lw.expr(e);
  if (val.k !== "atom" || val.t.k !== "tensor") fail(e, "unsupported-type", `option \`${field}\` of \`${op}\` must be a Tensor`);
  return val.a;
}

/**
 * chunk / split / unbind: an array of tensors, a tuple of pieces here (each the primitive with its
 * index). Their number must be known when compiling: chunk's count or split's list of sizes, or else
 * the names destructured (`const [a, b] = x.unbind(0)`) or a literal index (`x.split(2)[1]`).
 */
function pieces(lw: FnLowerer, name: string, x: Atom, args: readonly ts.Expression[], node: ts.Node, hint: number | undefined): Val {
  const lits = args.map(literal);
  const arity = name === "unbind" ? 1 : 2;
  if (args.length > arity) fail(args[arity], "arity", `too many arguments for \`${name}\``);
  lits.forEach((v, k) => {
    const listOk = name === "split" && k === 0;
    if (typeof v !== "number" && !(listOk && Array.isArray(v))) fail(args[k], "unsupported-construct", `argument ${k + 1} of \`${name}\` must be ${listOk ? "an integer or an array of integers" : "an integer"}, written as a literal inside a differentiated function`);
  });
  if (name !== "unbind" && !args.length) fail(node, "arity", `\`${name}\` is missing argument 1`);
  const [arg, dim] = name === "unbind" ? [undefined, lits[0] ?? 0] : [lits[0], lits[1] ?? 0];
  let count = name === "chunk" ? (arg as number) : Array.isArray(arg) ? arg.length : hint;
  if (name === "chunk" && hint !== undefined) count = Math.min(count!, hint);
  if (count === undefined) {
    const example = name === "unbind" ? "x.unbind(0)" : "x.split(2)";
    fail(node, "unsupported-construct", `\`${name}\` gives as many tensors as the dim's size allows, known only at run time; inside a differentiated function destructure its result (\`const [a, b] = ${example}\`) or index it with a literal (\`${example}[1]\`)`);
  }
  const items: Val[] = Array.from({ length: count }, (_, i) => ({ k: "atom", a: lw.b.t(`t.${name}`, [x], [arg, dim, i]), t: TENSOR }));
  return { k: "tuple", items };
}

/** jacc's op `name` as a function of Tensors (`jacrev(sin)`): its IR, or undefined if it is not a plain op. */
export function opAsFunction(name: string, fnName: string): Fn | undefined {
  const spec = OPS.get(name);
  if (spec?.params) return paramsAsFunction(spec, name, fnName);
  if (!spec || spec.form || spec.result === "num" || spec.ints?.some((d) => d === undefined) || spec.lits === "sizes" || spec.lits === "lists") return undefined;
  const params = Array.from({ length: spec.operands }, (_, i) => ({ name: spec.operands === 1 ? "x" : ["x", "y"][i], type: TENSOR }));
  const ints = (spec.ints ?? []).map((d) => lit(Number.isNaN(d) ? undefined : d));
  if (spec.dimRequired) return undefined;
  const attrs = spec.lits === "dims" ? [undefined, false] : spec.lits === "norm" ? [2, undefined, false] : spec.lits === "var" ? [undefined, 1, false] : spec.lits === "params" ? (ELEMENTWISE_OPS[name as ElementwiseName].params ?? []).map(([, d]) => d) : [];
  return opFunction(fnName, name, params, spec.prim, [...params.map((p) => v(p.name)), ...ints], attrs);
}

/** `out = prim(args; attrs); return out` as a function of Tensor parameters. */
function opFunction(fnName: string, name: string, params: { name: string; type: Type }[], prim: string, args: Atom[], attrs: unknown[]): Fn {
  const vars = new Map<string, Type>(params.map((p) => [p.name, p.type]));
  vars.set("out", TENSOR);
  return {
    name: fnName,
    params,
    results: [TENSOR],
    tupleResult: false,
    body: [
      { k: "let", dst: "out", e: { k: "prim", op: prim, args, attrs } },
      { k: "return", values: [v("out")] },
    ],
    vars,
    source: name,
    captures: [],
    defaults: params.map(() => false),
  };
}

/** An op read by its parameter list as a function of its required operands (`jacrev(mseLoss)`), the rest their defaults; undefined if a literal has none. */
function paramsAsFunction(spec: OpSpec, name: string, fnName: string): Fn | undefined {
  const ps = spec.params!;
  if (ps.some((p) => p.k === "lit" && p.dflt === undefined)) return undefined;
  const names = ["x", "y", "z"];
  const params = ps.filter((p) => p.k === "operand" && !p.optional).map((_, i) => ({ name: names[i], type: TENSOR }));
  let next = 0;
  const args = ps.flatMap((p) => (p.k !== "operand" ? [] : p.optional ? [lit(undefined)] : [v(params[next++].name)]));
  for (const p of ps) if (p.k === "options") args.push(...(p.tensors ?? []).map(() => lit(undefined)));
  const attrs = ps.flatMap((p) => (p.k === "lit" ? [p.dflt] : p.k === "options" ? p.fields.map((f) => f.dflt) : []));
  return opFunction(fnName, name, params, spec.prim, args, attrs);
}

/** The Tensor method of each comparison operator (tensors have no operators). */
export const COMPARISON_METHODS: Partial<Record<ts.SyntaxKind, string>> = {
  [ts.SyntaxKind.GreaterThanToken]: "gt", [ts.SyntaxKind.LessThanToken]: "lt", [ts.SyntaxKind.GreaterThanEqualsToken]: "ge", [ts.SyntaxKind.LessThanEqualsToken]: "le",
  [ts.SyntaxKind.EqualsEqualsEqualsToken]: "eq", [ts.SyntaxKind.EqualsEqualsToken]: "eq", [ts.SyntaxKind.ExclamationEqualsEqualsToken]: "ne", [ts.SyntaxKind.ExclamationEqualsToken]: "ne",
};
