// Jacobian fusion: the structured path of a one-block Jacobian, fused into
// one generated loop that writes the whole Jacobian (a "direct kernel"), with
// no tangent objects, no intermediate Tensors and no runtime dispatch. At small
// sizes (x [2, 2], tanh(W x) with n = 10) those per-call costs are most of the
// time; the loop itself is what a hand-written closed form does.
//
// The plan (compiler/ad/jacobian-plan.ts) marks a structured driver of one
// input and one output (`Fn.oneBlock`); this pass reads its structured tangent
// program and, when it is one of two shapes, registers the kernel with the
// module's fused helpers (compiler/ir/fused.ts; compiler/emit/direct-js.ts
// writes it) and calls it first:
//   elementwise  y = g(x), or y = g(x).sum(dims) / .mean(dims): the tangent is
//                a diagonal (summed into rows), entry (o, i) is g'(x_i)
//   row-scaled   y = g(W @ x), W a 2-D tensor not derived from x, x 1-D: row r
//                of the tangent is W's row r through the per-row tangent ops
// where g is a chain of elementwise ops (those compiler/opt/fuse.ts fuses, and detach)
// over x, numbers and tensors of the domain's shape. Every entry is computed
// with the same operations in the same order as runtime/jac.ts does on its
// diagonal and dense structures (float32 rounds after every op, as storing
// into a Float32Array does), so the numbers are the same bit for bit.
// At run time the kernel checks what the compiler cannot know (devices,
// dtypes, shapes, dims) and returns undefined when anything differs: the
// structured path then runs as before.
import { type Atom, BOOL, type Fn, namesFor, type Stmt, TENSOR, type Type, v } from "../ir/ir.js";
import { type DirectKernel, FUSABLE_BINARY, FUSABLE_UNARY, type FusedHelpers, type KernelExpr as E } from "../ir/fused.js";
import { SJ_ENTRIES } from "../ops/structure.js";
import { structureOf } from "../ops/index.js";

/**
 * The driver `fn` with its one-block Jacobian fused into one loop, called
 * first (undefined from it, for inputs it cannot take, runs the structured
 * path); its plan says which, and why not.
 */
export function fuseJacobian(fn: Fn, m: ReadonlyMap<string, Fn>, helpers: FusedHelpers): Fn {
  const b = fn.oneBlock, plan = fn.plan;
  if (!b || !plan) return fn;
  const g = m.get(b.tangents);
  const k = g && directKernel(g, b.kernel, b.x, b.nParams, b.label);
  const ret = fn.body[fn.body.length - 1];
  if (!k || ret?.k !== "return" || ret.values.length !== 1 || ret.values[0].k !== "var") {
    return { ...fn, plan: { ...plan, reason: `${plan.reason} (no direct kernel: not an elementwise chain (or its sum) nor g(W @ x))` } };
  }
  helpers.jacobian(k);
  const names = namesFor(fn);
  const vars = new Map(fn.vars);
  const fresh = (base: string, t: Type): string => {
    const n = names.claim(base);
    vars.set(n, t);
    return n;
  };
  // the kernel's operands: x, then what the structured program reads (its run-time values fetched again here)
  const pre: Stmt[] = [];
  const args: Atom[] = [v(g!.params[b.x].name)];
  for (const { atom, ext } of k.externals) {
    if (ext === undefined) args.push(atom);
    else {
      const name = fresh((atom as { name: string }).name, g!.vars.get((atom as { name: string }).name) ?? TENSOR);
      pre.push({ k: "let", dst: name, e: { k: "ext", text: ext } });
      args.push(v(name));
    }
  }
  const out = ret.values[0].name;
  const none = fresh("general", BOOL);
  const body: Stmt[] = [
    ...pre,
    { k: "let", dst: out, e: { k: "prim", op: `fuse:${k.name}`, args } },
    { k: "let", dst: none, e: { k: "prim", op: "isundef", args: [v(out)] } },
    { k: "if", cond: v(none), then: fn.body.slice(0, -1), else: [] },
    ret,
  ];
  const shape = k.mode === "rows" ? "g(W @ x)" : "an elementwise chain (or its sum)";
  return {
    ...fn,
    body,
    vars,
    plan: { ...plan, strategy: "direct", reason: `one input, one output, ${shape}; ${plan.reason}: one generated loop (${k.name})`, fallback: `other devices, dtypes or shapes: the structured path; ${plan.fallback}` },
  };
}

/** The runtime op of a structured tangent op's entry (compiler/ops/structure.ts: `sjMul` → "mul"; sjMove, sjColumns: none). */
function runtimeOf(prim: string): string | undefined {
  const o = structureOf(prim);
  return o && SJ_ENTRIES[o.sj].op;
}

/**
 * The direct kernel of the structured tangent program `g` (parameters: f's,
 * then the seed; results: f's one result, then its tangent), or undefined
 * when g is not one of the two shapes above.
 */
function directKernel(g: Fn, name: string, xIndex: number, nParams: number, label: string): DirectKernel | undefined {
  if (g.captures.length || g.results.length !== 2 || g.params.length !== nParams + 1) return undefined;
  const x = g.params[xIndex].name, seed = g.params[nParams].name;
  const body = g.body.filter((s) => s.k !== "comment");
  const ret = body.pop();
  if (!ret || ret.k !== "return" || ret.values.length !== 2) return undefined;

  // row-scaled when x's only use is W @ x
  const mm = body.find((s) => s.k === "let" && s.e.k === "prim" && s.e.op === "t.matmul" && s.e.args[1].k === "var" && s.e.args[1].name === x);
  const mode: "elementwise" | "rows" = mm ? "rows" : "elementwise";

  type V =
    | { c: "d"; e: E } // a domain value (its local)
    | { c: "x" } // x itself (elementwise mode: the domain's own values)
    | { c: "k"; i: number } // a tensor external of the domain's shape (W in row mode)
    | { c: "n"; e: E } // a number
    | { c: "t"; e: E } // a tangent entry
    | { c: "r" } // the reduction's primal: the output only
    | { c: "rt"; e: E; op: "sum" | "mean"; attrs: unknown[] }; // the reduced tangent
  const vals = new Map<string, V>();
  const externals: { atom: Atom & { k: "var" }; ext?: string }[] = [];
  const extOf = new Map<string, number>();
  const lines: { name: string; e: E; tangent: boolean }[] = [];
  let W: number | undefined; // the external index of W (row mode)
  let locals = 0;
  const external = (a: Atom & { k: "var" }, ext?: string): number => {
    let i = extOf.get(a.name);
    if (i === undefined) extOf.set(a.name, (i = externals.length)), externals.push({ atom: a, ext });
    return i;
  };
  const exts = new Map<string, string>();
  const paramTypes = new Map(g.params.map((p) => [p.name, p.type.k]));
  const valueOf = (a: Atom): V | undefined => {
    if (a.k === "lit") return typeof a.v === "number" ? { c: "n", e: { k: "lit", v: a.v } } : undefined;
    const known = vals.get(a.name);
    if (known) return known;
    if (a.name === x) return mode === "elementwise" ? { c: "x" } : undefined;
    const t = g.vars.get(a.name)?.k;
    const outside = paramTypes.has(a.name) || exts.has(a.name);
    if (!outside) return undefined;
    if (t === "num") return { c: "n", e: { k: "local", name: `s${external(a, exts.get(a.name))}` } };
    if (t === "tensor") return { c: "k", i: external(a, exts.get(a.name)) };
    return undefined;
  };
  const local = (e: E, tangent: boolean): E => {
    if (e.k === "local" || e.k === "lit") return e;
    const n = `${tangent ? "t" : "v"}${locals++}`;
    lines.push({ name: n, e, tangent });
    return { k: "local", name: n };
  };
  const asScalar = new Set<number>(); // externals read element by element (W must not be one)
  const scalar = (v: V): E | undefined => {
    if (v.c === "d" || v.c === "n") return v.e;
    if (v.c === "x") return { k: "local", name: "xd[i]" };
    if (v.c !== "k" || v.i === W) return undefined;
    asScalar.add(v.i);
    return { k: "local", name: `k${v.i}[${mode === "rows" ? "r" : "i"}]` };
  };
  const seedVal = (a: Atom): V | undefined => (a.k === "var" && a.name === seed ? (mode === "elementwise" ? { c: "t", e: { k: "lit", v: 1 } } : undefined) : valueOf(a));

  for (const s of body) {
    if (s.k !== "let") return undefined;
    const e = s.e;
    if (e.k === "ext") {
      if (g.vars.get(s.dst)?.k !== "tensor" && g.vars.get(s.dst)?.k !== "num") return undefined;
      exts.set(s.dst, e.text);
      continue;
    }
    if (e.k === "atom") {
      const val = seedVal(e.a);
      if (!val) return undefined;
      vals.set(s.dst, val);
      continue;
    }
    if (e.k !== "prim") return undefined;
    const op = e.op;
    if (op.startsWith("sj.")) {
      const rt = runtimeOf(op.slice(3));
      const attrs = (e.attrs ?? []).slice(1);
      if (rt === "matmul") {
        // row mode: W @ dx, the tangent whose row r is W's row r
        const w = valueOf(e.args[0]);
        if (mode !== "rows" || W === undefined || e.args.length !== 2 || e.args[1].k !== "var" || e.args[1].name !== seed || w?.c !== "k" || w.i !== W) return undefined;
        vals.set(s.dst, { c: "t", e: { k: "base" } });
        continue;
      }
      const args = e.args.map(seedVal);
      if (args.some((a) => !a)) return undefined;
      const [a, b] = args as V[];
      let out: V | undefined;
      if ((rt === "mul" || rt === "div") && !attrs.length && args.length === 2) {
        const [t, y] = a.c === "t" ? [a, b] : [b, a];
        const ys = scalar(y);
        if (t.c === "t" && ys && (rt === "mul" || a.c === "t")) out = { c: "t", e: local(t.e.k === "lit" && t.e.v === 1 && rt === "mul" && y.c === "d" ? ys : { k: "op", op: `t.${rt}`, args: [t.e, ys] }, true) };
      } else if (rt === "neg" && a.c === "t" && args.length === 1) out = { c: "t", e: local({ k: "op", op: "t.neg", args: [a.e] }, true) };
      else if ((rt === "add" || rt === "sub" || rt === "adAcc") && !attrs.length && args.length === 2 && a.c === "t" && b.c === "t") out = { c: "t", e: local({ k: "op", op: rt === "sub" ? "t.sub" : "t.add", args: [a.e, b.e] }, true) };
      else if (rt === "adExpandAs" && a.c === "t" && (b.c === "d" || b.c === "x")) out = a;
      else if ((rt === "sum" || rt === "mean") && mode === "elementwise" && a.c === "t" && args.length === 1) out = { c: "rt", e: a.e, op: rt, attrs };
      if (!out) return undefined;
      vals.set(s.dst, out);
      continue;
    }
    if (s === mm) {
      const w = valueOf(e.args[0]);
      if (w?.c !== "k" || e.args.length !== 2 || e.attrs?.length || W !== undefined) return undefined;
      W = w.i;
      vals.set(s.dst, { c: "d", e: local({ k: "dot" }, false) });
      continue;
    }
    const args = e.args.map(valueOf);
    if (args.some((a) => !a)) return undefined;
    if ((op === "t.sum" || op === "t.mean") && mode === "elementwise" && (args[0]!.c === "d" || args[0]!.c === "x")) {
      vals.set(s.dst, { c: "r" });
      continue;
    }
    if (e.attrs?.length) return undefined;
    // detach(v) has v's values; the tangent program gives it no tangent, so nothing else changes
    if (op === "t.detach" && args.length === 1 && args[0]!.c !== "t") {
      vals.set(s.dst, args[0]!);
      continue;
    }
    if (FUSABLE_UNARY.has(op) && args.length === 1) {
      const a = scalar(args[0]!);
      if (!a) return undefined;
      vals.set(s.dst, { c: "d", e: local({ k: "op", op, args: [a] }, false) });
      continue;
    }
    if (FUSABLE_BINARY.has(op) && args.length === 2) {
      const [a, b] = args as V[];
      const sa = scalar(a), sb = scalar(b);
      if (!sa || !sb || (a.c === "n" && b.c === "n")) return undefined;
      vals.set(s.dst, { c: "d", e: local({ k: "op", op, args: [sa, sb] }, false) });
      continue;
    }
    return undefined;
  }
  const [outA, dA] = ret.values;
  const out = outA.k === "var" ? vals.get(outA.name) : undefined;
  const d = dA.k === "var" ? vals.get(dA.name) : undefined;
  if (!out || !d || (d.c !== "t" && d.c !== "rt")) return undefined;
  if (mode === "rows" && (W === undefined || d.c !== "t" || asScalar.has(W))) return undefined;
  if (d.c === "rt" && out.c !== "r") return undefined;
  // a reduction's primal is the output only; an output that is x itself (the identity) is fine
  if (d.c === "t" && !(out.c === "d" || out.c === "x")) return undefined;
  const final = d.e;

  const reduced = d.c === "rt" ? { op: d.op, attrs: d.attrs } : undefined;
  const kinds = externals.map((ex) => g.vars.get(ex.atom.k === "var" ? ex.atom.name : "")?.k);
  return { name, mode, label, externals: externals.map((ex, i) => ({ ...ex, kind: kinds[i] === "tensor" ? "tensor" : "num" })), W, lines, final, reduced };
}
