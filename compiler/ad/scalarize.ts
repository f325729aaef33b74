// Tensor code whose values are scalars, as a program of numbers. Per-example
// code like the Lorenz right-hand side written with Tensor ops —
//   const x = v.select(0, 0), y = v.select(0, 1), z = v.select(0, 2);
//   return stack([y.sub(x).mul(10), …]);
// — computes with 0-d tensors only: every select of the 1-D input is one
// number, every elementwise op one scalar operation, the stack a vector of a
// known length. Its number-program twin (selects as loads, elementwise ops as
// the scalar primitives, stack as a vector literal) is what vmap batches best:
// one generated loop over the rows, and its Jacobians are the number
// programs' sweeps (compiler/ad/batch.ts runs it where the arguments allow).
// The twin holds under a run-time guard only (runtime/batching.ts
// bScalarRows): the tensor inputs are CPU tensors of the twin's dtype whose
// examples are 1-D and long enough for every constant index; otherwise the
// batched tensor code runs. The float32 twin rounds as the tensor code does:
// every tensor op's result, and a number it is given, to float32 (Math.fround
// of the float64 result is the float32 op's result for + - * / and what the
// CPU kernels store for the others), so its values and branches are the
// tensor code's; its derivative code computes in float64 from those values. Anything else in the function (a non-constant index, an op on the
// whole input, a reduction, a loop, a branch) has no twin.
import { type Atom, Builder, type Fn, lit, Names, NUM, type Stmt, type Type, v, VEC } from "../ir/ir.js";
import { inlineCalls } from "../opt/inline.js";
import { ELEMENTWISE_OPS } from "../ops/elementwise.js";
import { scalarRules } from "../rules/scalar.js";
import type { Ctx } from "./jvp.js";

/** The twin and what its guard checks: per parameter of f, the index bound its constant selects need (-1: not a 1-D Tensor input). */
export interface ScalarTwin {
  fn: string;
  minLen: number[];
}

/** A value of f in the twin: an input vector, a number (`t`: a 0-d Tensor's, float32-exact in the float32 twin) or a stack of numbers. */
type Val = { k: "input"; name: string; param: number } | { k: "num"; a: Atom; t?: boolean } | { k: "items"; items: Atom[] };

class NoTwin extends Error {}
const no = (why: string): never => {
  throw new NoTwin(why);
};

/** The number-program twin of the tensor function f (for float32 inputs with `f32`), or why it has none. */
export function scalarTwin(ctx: Ctx, f: Fn, f32 = false): ScalarTwin | string {
  try {
    return build(ctx, f, f32);
  } catch (e) {
    if (e instanceof NoTwin) return e.message;
    throw e;
  }
}

function build(ctx: Ctx, f: Fn, f32: boolean): ScalarTwin {
  if (f.results.some((t) => t.k !== "tensor" && t.k !== "num")) no("a result is not a Tensor or a number");
  const names = new Names([...f.vars.keys(), ...f.captures]);
  const fn: Fn = { name: ctx.fnNames.claim(`${f.name}_scalars${f32 ? "32" : ""}`), params: [], results: [], tupleResult: f.tupleResult, body: [], vars: new Map(), loc: f.loc, source: f.source, captures: [...f.captures] };
  for (const c of f.captures) fn.vars.set(c, f.vars.get(c) ?? { k: "opaque" });
  const b = new Builder(fn, names, f.loc);
  const vals = new Map<string, Val>();
  const minLen = f.params.map(() => -1);
  const vec: Type = f32 ? { k: "vec", f32: true } : VEC;
  f.params.forEach((p, i) => {
    const type: Type = p.type.k === "tensor" ? vec : p.type;
    fn.params.push({ name: p.name, type, source: p.source });
    fn.vars.set(p.name, type);
    if (p.type.k === "tensor") {
      vals.set(p.name, { k: "input", name: p.name, param: i });
      minLen[i] = 0;
    }
  });
  const scratch: Fn = { ...fn, vars: new Map(f.vars) };
  const body = inlineCalls(ctx.fns, scratch, f.body, names);
  for (const [k, t] of scratch.vars) if (!fn.vars.has(k) && t.k !== "tensor") fn.vars.set(k, t);

  // an operand as a number (a literal, a number variable of f, a 0-d value) or as items
  const operand = (a: Atom): Val => {
    if (a.k === "lit") return typeof a.v === "number" ? { k: "num", a } : no("a non-numeric literal in tensor code");
    const known = vals.get(a.name);
    if (known) return known;
    const t = f.vars.get(a.name) ?? scratch.vars.get(a.name);
    return t?.k === "num" ? { k: "num", a } : no(`\`${a.name}\` is not a scalar`);
  };
  // float32: a tensor op's number operand is rounded first and its result after (runtime/ops/binary.ts)
  const round = (a: Atom): Atom => (a.k === "lit" ? lit(Math.fround(a.v as number)) : b.let("r", NUM, { k: "prim", op: "fround", args: [a] }));
  const asItem = (x: Val): Atom => (x.k !== "num" ? no("a Tensor op of a value that is not a scalar") : f32 && !x.t ? round(x.a) : x.a);
  const intLit = (a: Atom | undefined): number => (a?.k === "lit" && typeof a.v === "number" && Number.isInteger(a.v) ? a.v : no("a select with a computed dim or index"));

  for (const s of body) {
    if (s.k === "comment") {
      b.emit(s);
      continue;
    }
    if (s.k === "return") {
      const values = s.values.map((a, i) => {
        const x = operand(a);
        if (f.results[i].k === "num") return x.k === "num" ? x.a : no("a number result that is not a scalar");
        // (a 0-d Tensor result stays a Tensor on the tensor path: keep the two paths' results alike)
        if (x.k !== "items") return no("a Tensor result that is not a stack of scalars");
        return b.let("out", vec, { k: "veclit", items: x.items, f32 });
      });
      fn.results = f.results.map((t) => (t.k === "num" ? NUM : vec));
      b.emit({ k: "return", values });
      continue;
    }
    if (s.k !== "let") no(`a ${s.k} statement`);
    const e = (s as Extract<Stmt, { k: "let" }>).e;
    const dst = (s as Extract<Stmt, { k: "let" }>).dst;
    if (e.k === "atom") {
      const x = e.a.k === "var" && vals.has(e.a.name) ? vals.get(e.a.name)! : undefined;
      if (x) vals.set(dst, x);
      else {
        operand(e.a);
        b.assign(dst, e);
        fn.vars.set(dst, NUM);
      }
      continue;
    }
    if (e.k !== "prim") no(`a ${e.k} expression`);
    const op = (e as Extract<typeof e, { k: "prim" }>).op;
    const args = (e as Extract<typeof e, { k: "prim" }>).args;
    const attrs = (e as Extract<typeof e, { k: "prim" }>).attrs ?? [];
    if (op === "t.select" || op === "t.index") {
      const x = operand(args[0]);
      const dim = op === "t.select" ? intLit(args[1]) : 0;
      const k = intLit(op === "t.select" ? args[2] : args[1]);
      if (dim !== 0 && dim !== -1) no("a select along a dim other than the first of a 1-D value");
      if (x.k === "items") {
        const at = k < 0 ? k + x.items.length : k;
        if (at < 0 || at >= x.items.length) no("a select out of range");
        vals.set(dst, { k: "num", a: x.items[at], t: true });
      } else if (x.k === "input") {
        minLen[x.param] = Math.max(minLen[x.param], k < 0 ? -k : k + 1);
        const index = k >= 0 ? lit(k) : b.p("add", b.let("n", NUM, { k: "len", arr: v(x.name) }), lit(k));
        vals.set(dst, { k: "num", a: b.let(dst, NUM, { k: "load", arr: v(x.name), index }), t: true });
      } else no("a select of a scalar");
      continue;
    }
    if (op === "t.stack") {
      if (attrs[0] !== 0 && attrs[0] !== -1) no("a stack along a dim other than 0");
      const xs = args.map(operand);
      if (f32 && !xs.some((x) => x.k === "num" && x.t)) no("a stack of numbers only");
      vals.set(dst, { k: "items", items: xs.map(asItem) });
      continue;
    }
    if (op === "t.cat") {
      if (attrs[0] !== 0 && attrs[0] !== -1) no("a cat along a dim other than 0");
      vals.set(dst, { k: "items", items: args.flatMap((a) => {
        const x = operand(a);
        return x.k === "items" ? x.items : no("a cat of values that are not stacks of scalars");
      }) });
      continue;
    }
    if (op === "t.item") {
      const x = operand(args[0]);
      if (x.k !== "num") no("item of a value that is not a scalar");
      vals.set(dst, x);
      continue;
    }
    const name = op.startsWith("t.") ? op.slice(2) : op;
    const rule = scalarRules[name];
    // a tensor op has a scalar form where the scalar primitive's formula is the op's (round, sign, pow and the comparisons differ)
    const same = !op.startsWith("t.") || (name in ELEMENTWISE_OPS && rule && ELEMENTWISE_OPS[name as keyof typeof ELEMENTWISE_OPS].js === rule.js(args.map((_, i) => "xy"[i])));
    const plainAlpha = !attrs.length || ((name === "add" || name === "sub") && (attrs[0] === 1 || attrs[0] === undefined));
    if (!rule || !same || !plainAlpha) no(`\`${name}\` has no scalar form here`);
    if (rule.arity !== "n" && rule.arity !== args.length) no(`\`${name}\` with ${args.length} operands`);
    const xs = args.map(operand);
    if (xs.some((x) => x.k === "input")) no(`\`${name}\` of a whole input`);
    const lens = xs.flatMap((x) => (x.k === "items" ? [x.items.length] : []));
    const tensorOp = op.startsWith("t.");
    // (a Tensor op of numbers alone makes a float64 Tensor: not the float32 twin's)
    if (f32 && tensorOp && !xs.some((x) => x.k === "items" || (x.k === "num" && x.t))) no(`\`${name}\` of numbers only`);
    // the scalar op, in the float32 twin rounded as the tensor op's result is
    const scalarOp = (operands: Atom[]): Atom => {
      const r = b.let(dst, NUM, { k: "prim", op: name, args: operands });
      return f32 && tensorOp ? b.let(dst, NUM, { k: "prim", op: "fround", args: [r] }) : r;
    };
    const num = (x: Val): Atom => (tensorOp ? asItem(x) : (x as { a: Atom }).a);
    if (!lens.length) {
      vals.set(dst, { k: "num", a: scalarOp(xs.map(num)), t: tensorOp });
      continue;
    }
    if (lens.some((n) => n !== lens[0])) no("items of different lengths");
    // elementwise over a stack of scalars: one scalar op per item, numbers broadcast (rounded once)
    const nums = xs.map((x) => (x.k === "items" ? undefined : num(x)));
    const items = Array.from({ length: lens[0] }, (_, j) => scalarOp(xs.map((x, i) => (x.k === "items" ? x.items[j] : nums[i]!))));
    vals.set(dst, { k: "items", items });
  }
  if (!fn.results.length && f.results.length) no("it does not end in a return");
  if (minLen.every((m) => m < 0)) no("no Tensor input");
  fn.body = b.stmts;
  ctx.fns.set(fn.name, fn);
  return { fn: fn.name, minLen };
}
