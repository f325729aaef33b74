// Direct Jacobian kernels: for the simplest structured Jacobians the whole
// Jacobian is written by one generated loop, with no tangent objects, no
// intermediate Tensors and no runtime dispatch. At small sizes (x [2, 2],
// tanh(W x) with n = 10) those per-call costs are most of the time; the loop
// itself is what a hand-written closed form does.
//
// Two shapes of program qualify (one differentiated input x, one result):
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
import type { Atom, Fn } from "../ir/ir.js";
import { BINARY, UNARY } from "../emit/fused-js.js";
import { SJ_ENTRIES } from "../ops/structure.js";
import { structureOf } from "../ops/index.js";
import { safeText } from "../emit/text.js";

/** A scalar expression of one domain element (or one entry of a tangent row). */
type E = { k: "lit"; v: number } | { k: "local"; name: string } | { k: "base" } | { k: "dot" } | { k: "op"; op: string; args: E[] };

export interface DirectKernel {
  name: string;
  /** which of the two shapes: an elementwise chain (or its sum), or g(W @ x) */
  mode: "elementwise" | "rows";
  /** the struct function's variables the kernel reads, after x: tensors (W, b) and numbers */
  externals: { atom: Atom; ext?: string }[];
  /** the kernel's text (ts: typed parameters) */
  text: (ts: boolean) => string;
}

/** The runtime op of a structured tangent op's entry (compiler/ops/structure.ts: `sjMul` → "mul"; sjMove, sjColumns: none). */
function runtimeOf(prim: string): string | undefined {
  const o = structureOf(prim);
  return o && SJ_ENTRIES[o.sj].op;
}

const num = (c: number): string => (Object.is(c, -0) ? "(-0)" : c < 0 ? `(${c})` : Number.isNaN(c) ? "NaN" : `${c}`);

/** JS for an expression; f32 rounds after every op (and every number), as Float32Array stores do. */
function js(e: E, f32: boolean): string {
  const r = (s: string) => (f32 ? `Math.fround(${s})` : s);
  switch (e.k) {
    case "lit": return num(f32 ? Math.fround(e.v) : e.v);
    case "local": return e.name;
    case "base": return "w[row + k]";
    case "dot": return f32 ? "Math.fround(dot)" : "dot";
    case "op": {
      if (e.args.length === 1) return r(`(${UNARY[e.op](js(e.args[0], f32))})`);
      return r(`(${BINARY[e.op](js(e.args[0], f32), js(e.args[1], f32))})`);
    }
  }
}

/** `s` without one pair of parentheses around all of it (the right-hand side of a const). */
function bare(s: string): string {
  if (!s.startsWith("(")) return s;
  let depth = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "(") depth++;
    else if (s[i] === ")" && --depth === 0) return i === s.length - 1 ? s.slice(1, -1) : s;
  }
  return s;
}

/**
 * The direct kernel of the structured tangent program `g` (parameters: f's,
 * then the seed; results: f's one result, then its tangent), or undefined
 * when g is not one of the two shapes above.
 */
export function directKernel(g: Fn, name: string, xIndex: number, nParams: number, label: string): DirectKernel | undefined {
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
  const externals: DirectKernel["externals"] = [];
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
    if (op in UNARY && args.length === 1) {
      const a = scalar(args[0]!);
      if (!a) return undefined;
      vals.set(s.dst, { c: "d", e: local({ k: "op", op, args: [a] }, false) });
      continue;
    }
    if (op in BINARY && args.length === 2) {
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

  // only the locals the final tangent needs (the primal output is never computed)
  const need = new Set<string>();
  const visit = (e: E): void => {
    if (e.k === "local" && !need.has(e.name)) {
      need.add(e.name);
      const l = lines.find((q) => q.name === e.name);
      if (l) visit(l.e);
    } else if (e.k === "op") e.args.forEach(visit);
  };
  visit(final);
  // in row mode the tangent entries are per column k: only the per-row values are locals
  const perEntry = (e: E): boolean => e.k === "base" || (e.k === "local" && !!lines.find((q) => q.name === e.name && perEntry(q.e))) || (e.k === "op" && e.args.some(perEntry));
  const inline = (e: E, f32: boolean): string => {
    if (e.k === "local") {
      const l = lines.find((q) => q.name === e.name);
      if (l && perEntry(l.e)) return inline(l.e, f32);
    }
    if (e.k === "op") return js({ ...e, args: e.args.map((a) => ({ k: "local", name: inline(a, f32) }) as E) }, f32);
    return js(e, f32);
  };
  const used = lines.filter((l) => need.has(l.name) && !(mode === "rows" && perEntry(l.e)));
  const reduced = d.c === "rt" ? d : undefined;

  const text = (ts: boolean): string => {
    const any = ts ? ": any" : "";
    const params = ["x", ...externals.map((_, i) => `e${i}`)].map((p) => `${p}${any}`).join(", ");
    // W first: the other guards read its shape
    const tensors = externals.map((ex, i) => ({ ex, i })).filter(({ ex }) => g.vars.get(ex.atom.k === "var" ? ex.atom.name : "")?.k === "tensor").sort((p, q) => (p.i === W ? -1 : q.i === W ? 1 : 0));
    const nums = externals.map((ex, i) => ({ ex, i })).filter(({ ex }) => g.vars.get(ex.atom.k === "var" ? ex.atom.name : "")?.k === "num");
    const isT = (p: string) => `${p} instanceof __JaccTensor && ${p}.device === "cpu" && ${p}.dtype === x.dtype`;
    const guards = [`!(x instanceof __JaccTensor) || x.device !== "cpu" || x.numel() === 0`];
    for (const { i } of tensors) {
      if (i === W) guards.push(`!(${isT(`e${i}`)} && e${i}.shape.length === 2 && x.shape.length === 1 && e${i}.shape[1] === x.shape[0])`);
      else guards.push(mode === "rows" ? `!(${isT(`e${i}`)} && e${i}.shape.length === 1 && e${i}.shape[0] === e${W}.shape[0])` : `!(${isT(`e${i}`)} && __jt.sjSameShape(e${i}.shape, x.shape))`);
    }
    for (const { i } of nums) guards.push(`typeof e${i} !== "number"`);
    const loop = (f32: boolean): string[] => {
      const loads = [...nums.map(({ i }) => `s${i} = ${f32 ? `Math.fround(e${i})` : `e${i}`}`)];
      const pre = loads.length ? [`const ${loads.join(", ")};`] : [];
      const defs = used.map((l) => `const ${l.name} = ${bare(inline(l.e, f32))};`);
      if (mode === "rows") {
        return [
          ...pre,
          `for (let r = 0; r < p; r++) {`,
          `  const row = r * q;`,
          `  let dot = 0; // W @ x, summed in float64 in order of k, rounded once`,
          `  for (let k = 0; k < q; k++) dot += w[row + k] * xd[k];`,
          ...defs.map((l) => `  ${l}`),
          `  for (let k = 0; k < q; k++) J[row + k] = ${inline(final, f32)};`,
          `}`,
        ];
      }
      const value = reduced?.op === "mean" ? js({ k: "op", op: "t.div", args: [{ k: "local", name: inline(final, f32) }, { k: "local", name: "red" }] }, f32) : inline(final, f32);
      const entry = `J[${reduced ? "(a * inner + c) * n + i" : "i * n + i"}] = ${value};`;
      const inner = [...defs, entry];
      if (!reduced) return [...pre, `for (let i = 0; i < n; i++) {`, ...inner.map((l) => `  ${l}`), `}`];
      return [
        ...pre,
        // the last dims reduced (inner = 1): one loop over the run, not a one-iteration loop per element
        `if (inner === 1) {`,
        `  for (let a = 0, i = 0; a < outer; a++) {`,
        `    const row = a * n;`,
        `    for (let r = 0; r < red; r++, i++) {`,
        ...[...defs, `J[row + i] = ${value};`].map((l) => `      ${l}`),
        `    }`,
        `  }`,
        `} else {`,
        `  for (let a = 0, i = 0; a < outer; a++)`,
        `    for (let r = 0; r < red; r++)`,
        `      for (let c = 0; c < inner; c++, i++) {`,
        ...inner.map((l) => `        ${l}`),
        `      }`,
        `}`,
      ];
    };
    // only the storages the loops read
    const body = loop(false).join("\n") + loop(true).join("\n");
    const kloads = tensors.filter(({ i }) => i !== W && new RegExp(`\\bk${i}\\b`).test(body)).map(({ i }) => `k${i} = e${i}.data`);
    const xd = /\bxd\b/.test(body) ? ", xd = x.data" : "";
    const shape = mode === "rows" ? "[p, q]" : reduced ? "run.shape" : "[...x.shape, ...x.shape]";
    // (too big a Jacobian is a RangeError naming the marker, before allocating: runtime/dtype.ts allocJacobian)
    const storage = `const J${any} = __jt.adJacobianStorage(${JSON.stringify(label)}, ${shape}, x.dtype);`;
    const setup =
      mode === "rows"
        ? [`const p = e${W}.shape[0], q = e${W}.shape[1], w = e${W}.data${xd}${kloads.map((k) => `, ${k}`).join("")};`, storage]
        : reduced
          ? [
              `const run = __jt.sjReduceRun(${JSON.stringify(reduced.op)}, x.shape, ${reduced.attrs.map((a) => (a === undefined ? "undefined" : JSON.stringify(a))).join(", ")});`,
              `if (run === undefined) return undefined; // not one run of dims`,
              `const n = x.numel()${xd}, outer = run.outer, red = run.red, inner = run.inner${kloads.map((k) => `, ${k}`).join("")};`,
              storage,
            ]
          : [`const n = x.numel()${xd}${kloads.map((k) => `, ${k}`).join("")};`, storage];
    const what = mode === "rows" ? "row r is W's row r through the tangent ops of row r" : reduced ? `entry (o, i) is the diagonal's entry i, o the element i is ${reduced.op === "mean" ? "averaged" : "summed"} into` : "the diagonal, one entry per element";
    const names = externals.map((ex, i) => `e${i} = ${ex.ext ?? (ex.atom.k === "var" ? ex.atom.name : "?")}`);
    return [
      `// direct Jacobian (compiler/ad/direct.ts): ${what}; undefined when devices, dtypes or shapes differ`,
      ...(names.length ? [`// (${safeText(names.join(", "))})`] : []), // (a captured value's source text: any characters)
      `function ${name}(${params})${any} {`,
      `  if (${guards.join(" || ")}) return undefined;`,
      ...setup.map((l) => `  ${l}`),
      `  if (J instanceof Float64Array) {`,
      ...loop(false).map((l) => `    ${l}`),
      `  } else {`,
      ...loop(true).map((l) => `    ${l}`),
      `  }`,
      `  __jt.sjStats.direct++;`,
      `  return new __JaccTensor(J, ${shape});`,
      `}`,
    ].join("\n");
  };
  return { name, mode, externals, text };
}
