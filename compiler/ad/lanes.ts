// Tangent lanes (issue 19): a tangent function g(x…, dx) → [y…, dy…] made
// into g_L(x…, dx_0 … dx_{L−1}) → [y…, dy_0…, …, dy_{L−1}…], which runs the
// primal once and carries L tangent columns, so jacfwd of n inputs costs
// ⌈n / L⌉ sweeps instead of n. A statement that reads or defines a tangent
// (anything depending on dx, arrays a tangent is stored into included) is
// repeated per lane with its tangent variables renamed; everything else runs
// once. Each lane computes exactly what g computes for its seed, statement by
// statement, so the numbers are g's.
import { type Fn, type Stmt, exprReads, stmtReads, v, walk } from "../ir/ir.js";
import { renameStmts, simplify } from "../opt/simplify.js";
import { cseNumbers } from "../opt/cse.js";
import type { Ctx } from "./jvp.js";

/** Tangent columns per forward sweep: jacfwd of a vector input (compiler/ad/drivers.ts). */
export const TANGENT_LANES = 4;
/** Colours per forward-over-reverse sweep of a coloured Hessian (runtime adHessianSparse). */
export const HESSIAN_LANES = 4;

const memo = new WeakMap<Map<string, Fn>, Map<string, string | null>>();

/**
 * The L-lane version of the tangent function `gName` (one tangent parameter,
 * the last), or null where lanes do not apply: calls, runtime effects, Tensors,
 * an object tape, or control flow that reads a tangent. A number tape (the
 * forward-over-reverse sweep of a Hessian) is laned: a tangent's push and pop
 * are repeated per lane, pops in reverse lane order.
 */
export function jvpLanes(ctx: Ctx, gName: string, L: number): string | null {
  let m = memo.get(ctx.fns);
  if (!m) memo.set(ctx.fns, (m = new Map()));
  const key = `${gName}|${L}`;
  if (m.has(key)) return m.get(key)!;
  const made = build(ctx, ctx.fns.get(gName)!, L);
  m.set(key, made);
  return made;
}

function build(ctx: Ctx, g: Fn, L: number): string | null {
  const seed = g.params[g.params.length - 1];
  if (!seed || seed.type.k !== "vec") return null;
  const nres = g.results.length / 2;
  let ok = true;
  // the number tape (forward over reverse: a Hessian's sweep) is allowed where every pushed variable is
  // popped into the same name and vice versa, so a laned push pairs with a laned pop (see `popLanes`)
  const pushed = new Set<string>();
  const popped = new Set<string>();
  walk(g.body, (s) => {
    if (s.k === "pushobj" || s.k === "effect" || s.k === "call") ok = false;
    if (s.k === "let" && s.e.k === "popobj") ok = false;
    if (s.k === "push") {
      if (s.a.k === "var") pushed.add(s.a.name);
      else ok = false;
    }
    if (s.k === "let" && s.e.k === "pop") popped.add(s.dst);
  });
  if (pushed.size !== popped.size || [...pushed].some((x) => !popped.has(x))) ok = false;
  // Tensors: only result blocks boxed at the end (a gradient returned as a Tensor: `wrap`), no tensor arithmetic
  const boxed = new Set<string>();
  walk(g.body, (s) => {
    if (s.k === "let" && s.e.k === "wrap") boxed.add(s.dst);
  });
  if (!ok || [...g.vars].some(([x, t]) => t.k === "tensor" && !boxed.has(x))) return null;

  // tangents: what depends on the seed, and the arrays tangents are stored into
  const tainted = new Set([seed.name]);
  const isT = (a: { k: string; name?: string }) => a.k === "var" && tainted.has(a.name!);
  for (let changed = true; changed; ) {
    changed = false;
    walk(g.body, (s) => {
      let dst: string | undefined;
      if (s.k === "let" && exprReads(s.e).some(isT)) dst = s.dst;
      if (s.k === "store" && s.arr.k === "var" && (isT(s.value) || isT(s.index))) dst = s.arr.name;
      if (dst && !tainted.has(dst)) {
        tainted.add(dst);
        changed = true;
      }
      // an array that aliases a tangent array (`b = a`, `c ? a : b`) is one too, and so is what it aliases
      if (s.k === "let" && tainted.has(s.dst) && g.vars.get(s.dst)?.k === "vec" && (s.e.k === "atom" || s.e.k === "prim")) {
        for (const a of exprReads(s.e)) {
          if (a.k === "var" && g.vars.get(a.name)?.k === "vec" && !tainted.has(a.name)) {
            tainted.add(a.name);
            changed = true;
          }
        }
      }
    });
  }
  if (g.params.some((p) => p !== seed && tainted.has(p.name))) return null;
  walk(g.body, (s) => {
    if ((s.k === "if" || s.k === "loop") && isT(s.cond)) ok = false;
    if (s.k === "for" && (isT(s.from) || isT(s.to))) ok = false;
  });
  if (!ok) return null;

  const name = ctx.fnNames.claim(`${g.name}_lanes`);
  const vars = new Map(g.vars);
  const taken = new Set(vars.keys());
  const laneName = new Map<string, string>();
  const ln = (l: number, x: string): string => {
    if (!tainted.has(x)) return x;
    const k = `${l}|${x}`;
    let n = laneName.get(k);
    if (!n) {
      let i = l;
      n = `${x}_${i}`;
      while (taken.has(n)) n = `${x}_${(i += L)}`;
      taken.add(n);
      vars.set(n, g.vars.get(x)!);
      laneName.set(k, n);
    }
    return n;
  };
  const each = (s: Stmt): Stmt[] => Array.from({ length: L }, (_, l) => renameStmts([s], (x) => ln(l, x))[0]);
  // a tangent pushed lane 0 first is popped lane L−1 first: the tape is a stack
  const popLanes = (s: Stmt): Stmt[] => (s.k === "let" && s.e.k === "pop" ? each(s).reverse() : each(s));
  const touches = (s: Stmt) => stmtReads(s).some(isT) || (s.k === "let" && tainted.has(s.dst)) || (s.k === "store" && isT(s.arr));
  const laned = (list: Stmt[]): Stmt[] =>
    list.flatMap((s): Stmt[] => {
      if (s.k === "if") return [{ ...s, then: laned(s.then), else: laned(s.else) }];
      if (s.k === "loop") return [{ ...s, pre: laned(s.pre), body: laned(s.body) }];
      if (s.k === "for") return [{ ...s, body: laned(s.body) }];
      if (s.k === "return") {
        const tans = s.values.slice(nres);
        return [{ ...s, values: [...s.values.slice(0, nres), ...Array.from({ length: L }, (_, l) => tans.map((a) => (a.k === "var" ? v(ln(l, a.name)) : a))).flat()] }];
      }
      return touches(s) ? popLanes(s) : [s];
    });
  const body = laned(g.body);
  const fn: Fn = {
    ...g,
    name,
    params: [...g.params.slice(0, -1), ...Array.from({ length: L }, (_, l) => ({ ...seed, name: ln(l, seed.name) }))],
    results: [...g.results.slice(0, nres), ...Array.from({ length: L }, () => g.results.slice(nres)).flat()],
    tupleResult: true,
    body,
    vars,
  };
  // the primal's values are shared by the lanes; a value the sweep computes twice (sin θ for the primal and for a partial) once
  ctx.fns.set(name, cseNumbers(fn));
  return name;
}

/**
 * A coloured Hessian's laned sweep that writes its result blocks into arrays the
 * caller passes (`out_0 …`, one per result, zero-filled here) and returns those
 * arrays instead of fresh Tensors: the runtime keeps them with the cached
 * colouring, so a call allocates the Hessian alone. Each result must be
 * `wrap(data)` of a `data = newvec(x.length)` (x the differentiated vector,
 * parameter `argnum`), each assigned once; otherwise null (the
 * sweep then allocates, as before). The sweep makes no calls (lanes refuse
 * them), so nothing can re-enter and reuse the arrays before the runtime has
 * read them.
 */
export function intoScratch(ctx: Ctx, name: string, argnum: number, unused = 0): { fn: string; results: number } | null {
  let m = memo.get(ctx.fns);
  if (!m) memo.set(ctx.fns, (m = new Map()));
  const key = `${name}|scratch|${argnum}|${unused}`;
  if (!m.has(key)) {
    const g = ctx.fns.get(name)!;
    // the first `unused` results (a Hessian's sweep: the gradient, next to its tangents) dropped where only stores reach them
    const lean = unused ? withoutResults(g, unused) : null;
    const made = buildScratch(ctx, lean ?? g, argnum);
    m.set(key, made);
  }
  const fn = m.get(key)!;
  return fn ? { fn, results: ctx.fns.get(fn)!.params.length - ctx.fns.get(name)!.params.length } : null;
}

/**
 * `g` without its first `k` results, where each is `wrap(data)` and `data` (or
 * a copy of its name) is only ever stored into: those stores go, and what only
 * they read is then dead (opt/simplify.ts drops it). Null where anything else
 * reads one of them (a load, a call, another result).
 */
function withoutResults(g: Fn, k: number): Fn | null {
  let ret: Extract<Stmt, { k: "return" }> | undefined;
  let returns = 0;
  walk(g.body, (s) => {
    if (s.k === "return") (ret = s, returns++);
  });
  if (!ret || returns !== 1) return null;
  const dead = new Set<string>();
  const boxes = new Set<string>();
  for (const a of ret.values.slice(0, k)) {
    if (a.k !== "var") return null;
    let w: Stmt | undefined;
    walk(g.body, (s) => {
      if (s.k === "let" && s.dst === a.name) w = s;
    });
    if (!w || w.k !== "let" || w.e.k !== "wrap" || w.e.data.k !== "var") return null;
    boxes.add(a.name);
    dead.add(w.e.data.name);
  }
  // copies of the names (x_bar = J00), to a fixpoint
  for (let grew = true; grew; ) {
    grew = false;
    walk(g.body, (s) => {
      if (s.k === "let" && s.e.k === "atom" && s.e.a.k === "var" && dead.has(s.e.a.name) && !dead.has(s.dst)) (dead.add(s.dst), (grew = true));
    });
  }
  let ok = true;
  walk(g.body, (s) => {
    if (s.k === "return") return;
    const copy = s.k === "let" && s.e.k === "atom" && dead.has(s.dst);
    const box = s.k === "let" && boxes.has(s.dst);
    const intoDead = s.k === "store" && s.arr.k === "var" && dead.has(s.arr.name);
    // a dead array assigned anything but a copy of another, or read other than as the array a store writes
    if (s.k === "let" && dead.has(s.dst) && !copy && !(s.e.k === "newvec" || s.e.k === "atom")) ok = false;
    const reads = intoDead ? [s.value, s.index] : copy || box ? [] : stmtReads(s);
    if (reads.some((a) => a.k === "var" && (dead.has(a.name) || boxes.has(a.name)))) ok = false;
    if (s.k === "let" && s.e.k === "atom" && s.e.a.k === "var" && dead.has(s.e.a.name) && !dead.has(s.dst)) ok = false;
  });
  if (!ok) return null;
  const strip = (list: Stmt[]): Stmt[] =>
    list.flatMap((s): Stmt[] => {
      if (s.k === "if") return [{ ...s, then: strip(s.then), else: strip(s.else) }];
      if (s.k === "loop") return [{ ...s, pre: strip(s.pre), body: strip(s.body) }];
      if (s.k === "for") return [{ ...s, body: strip(s.body) }];
      if (s.k === "return") return [{ ...s, values: s.values.slice(k) }];
      if (s.k === "store" && s.arr.k === "var" && dead.has(s.arr.name)) return [];
      return [s];
    });
  return simplify({ ...g, body: strip(g.body), results: g.results.slice(k) });
}

function buildScratch(ctx: Ctx, g: Fn, argnum: number): string | null {
  const defs = new Map<string, Stmt[]>();
  walk(g.body, (s) => {
    if (s.k === "let") defs.set(s.dst, [...(defs.get(s.dst) ?? []), s]);
  });
  const once = (x: string) => {
    const d = defs.get(x);
    return d?.length === 1 && d[0].k === "let" ? d[0] : undefined;
  };
  const rets: Stmt[] = [];
  walk(g.body, (s) => {
    if (s.k === "return") rets.push(s);
  });
  if (rets.length !== 1 || rets[0].k !== "return") return null;
  const ret = rets[0];
  const data: string[] = [];
  for (const a of ret.values) {
    const w = a.k === "var" ? once(a.name) : undefined;
    if (!w || w.k !== "let" || w.e.k !== "wrap" || w.e.data.k !== "var") return null;
    const nv = once(w.e.data.name);
    if (!nv || nv.k !== "let" || nv.e.k !== "newvec" || nv.e.f32 || nv.e.len.k !== "var") return null;
    // of the differentiated vector's length, the length of the arrays the runtime keeps
    const len = once(nv.e.len.name);
    if (!len || len.k !== "let" || len.e.k !== "len" || len.e.arr.k !== "var" || len.e.arr.name !== g.params[argnum].name) return null;
    data.push(w.e.data.name);
  }
  const name = ctx.fnNames.claim(`${g.name}_into`);
  const taken = new Set(g.vars.keys());
  const outs = data.map((_, i) => {
    let o = `out_${i}`;
    for (let k = 0; taken.has(o); k++) o = `out_${i}_${k}`;
    taken.add(o);
    return o;
  });
  const vars = new Map(g.vars);
  outs.forEach((o) => vars.set(o, g.vars.get(data[0])!));
  const rewrite = (list: Stmt[]): Stmt[] =>
    list.flatMap((s): Stmt[] => {
      if (s.k === "if") return [{ ...s, then: rewrite(s.then), else: rewrite(s.else) }];
      if (s.k === "loop") return [{ ...s, pre: rewrite(s.pre), body: rewrite(s.body) }];
      if (s.k === "for") return [{ ...s, body: rewrite(s.body) }];
      if (s.k === "return") return [{ ...s, values: data.map((d) => v(d)) }];
      const i = s.k === "let" ? data.indexOf(s.dst) : -1;
      if (i >= 0) return [{ k: "fill0", arr: v(outs[i]) }, { ...(s as Extract<Stmt, { k: "let" }>), e: { k: "atom", a: v(outs[i]) } }];
      return [s];
    });
  const fn: Fn = { ...g, name, params: [...g.params, ...outs.map((o) => ({ name: o, type: vars.get(o)! }))], body: rewrite(g.body), vars };
  ctx.fns.set(name, fn);
  return name;
}
