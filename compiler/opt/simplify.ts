// Clean-up before emission: remove pure definitions nobody reads (dead
// tangents and cotangents the transforms produced), to a fixpoint. Never
// folds arithmetic: `0 * v` stays (NaN must propagate, SPEC §4).
import { type Atom, type Expr, type Fn, type Stmt, stmtReads, walk } from "../ir/ir.js";

const PURE = new Set<Expr["k"]>(["atom", "prim", "load", "len", "newvec", "veclit", "copyvec", "ext", "tape", "wrap", "tdata"]);

/** Variables read anywhere in a body. */
function readsOf(body: Stmt[]): Map<string, number> {
  const n = new Map<string, number>();
  walk(body, (s) => {
    for (const a of stmtReads(s)) if (a.k === "var") n.set(a.name, (n.get(a.name) ?? 0) + 1);
  });
  return n;
}

/** Takes a dropped statement's reads out of the counts (so the next round needs no recount). */
function unread(s: Stmt, reads: Map<string, number>): void {
  for (const a of stmtReads(s)) {
    if (a.k !== "var") continue;
    const n = reads.get(a.name)! - 1;
    if (n > 0) reads.set(a.name, n);
    else reads.delete(a.name);
  }
}

function prune(list: Stmt[], reads: Map<string, number>, params: Set<string>): { out: Stmt[]; changed: boolean } {
  let changed = false;
  const out: Stmt[] = [];
  for (const s of list) {
    if (s.k === "let" && PURE.has(s.e.k) && !reads.has(s.dst) && !params.has(s.dst)) {
      changed = true;
      unread(s, reads);
      continue;
    }
    if (s.k === "let" && s.e.k === "atom" && s.e.a.k === "var" && s.e.a.name === s.dst) {
      changed = true; // x = x
      unread(s, reads);
      continue;
    }
    if (s.k === "if") {
      const t = prune(s.then, reads, params);
      const e = prune(s.else, reads, params);
      changed ||= t.changed || e.changed;
      if (!t.out.length && !e.out.length) {
        changed = true;
        unread(s, reads);
        continue;
      }
      out.push({ ...s, then: t.out, else: e.out });
    } else if (s.k === "loop") {
      const p = prune(s.pre, reads, params);
      const b = prune(s.body, reads, params);
      changed ||= p.changed || b.changed;
      out.push({ ...s, pre: p.out, body: b.out });
    } else if (s.k === "for") {
      const b = prune(s.body, reads, params);
      changed ||= b.changed;
      out.push({ ...s, body: b.out });
    } else out.push(s);
  }
  return { out, changed };
}

/** Functions by name, simplified on first use (what the emitters read: no dead definitions). */
export function simplifiedFns(fns: ReadonlyMap<string, Fn>): { get(name: string): Fn | undefined } {
  const done = new Map<string, Fn>();
  return {
    get(name) {
      let f = done.get(name);
      if (!f && fns.has(name)) done.set(name, (f = simplify(fns.get(name)!)));
      return f;
    },
  };
}

/** A copy of `fn` without dead pure definitions. */
export function simplify(fn: Fn): Fn {
  const params = new Set(fn.params.map((p) => p.name));
  let body = fn.body;
  // (removing only ever lowers counts, so the rounds reach the same fixpoint as recounting each round)
  const reads = readsOf(body);
  for (let round = 0; ; round++) {
    const r = prune(body, reads, params);
    if (!r.changed) return round ? { ...fn, body } : fn; // (unchanged: the same object, which the IR checker has seen)
    body = r.out;
  }
}

/** Statements with every variable renamed by `r` (atoms, definitions, loop indices). */
export function renameStmts(list: Stmt[], r: (x: string) => string): Stmt[] {
  const ra = (a: Atom): Atom => (a.k === "var" ? { k: "var", name: r(a.name) } : a);
  const re = (e: Expr): Expr => {
    switch (e.k) {
      case "atom": return { ...e, a: ra(e.a) };
      case "prim": return { ...e, args: e.args.map(ra) };
      case "load": return { ...e, arr: ra(e.arr), index: ra(e.index) };
      case "len": return { ...e, arr: ra(e.arr) };
      case "newvec": return { ...e, len: ra(e.len), ...(e.jac && { jac: { ...e.jac, shape: e.jac.shape.map(ra) } }) };
      case "veclit": return { ...e, items: e.items.map(ra) };
      case "copyvec": return { ...e, src: ra(e.src) };
      case "tdata": return { ...e, t: ra(e.t) };
      case "wrap": return { ...e, data: ra(e.data), dims: e.dims.map((d) => ("size" in d ? { size: ra(d.size) } : { shapeOf: ra(d.shapeOf) })) };
      default: return e;
    }
  };
  const rs = (l: Stmt[]): Stmt[] =>
    l.map((s): Stmt => {
      switch (s.k) {
        case "let": return { ...s, dst: r(s.dst), e: re(s.e) };
        case "store": return { ...s, arr: ra(s.arr), index: ra(s.index), value: ra(s.value) };
        case "call": return { ...s, dsts: s.dsts.map(r), args: s.args.map(ra) };
        case "if": return { ...s, cond: ra(s.cond), then: rs(s.then), else: rs(s.else) };
        case "loop": return { ...s, cond: ra(s.cond), pre: rs(s.pre), body: rs(s.body) };
        case "for": return { ...s, index: r(s.index), from: ra(s.from), to: ra(s.to), body: rs(s.body) };
        case "push": case "pushobj": return { ...s, a: ra(s.a) };
        case "settape": return { ...s, sp: ra(s.sp) };
        case "fill0": return { ...s, arr: ra(s.arr) };
        case "effect": return { ...s, args: s.args.map(ra) };
        case "return": return { ...s, values: s.values.map(ra) };
        default: return s;
      }
    });
  return rs(list);
}

/** A copy of `fn` whose variables named in `taken` (generated function names), or like a module-level name it reads, are renamed. */
export function avoidNames(fn: Fn, taken: Set<string>): Fn {
  // and the names the function reads as text (`ext`: module-level values, or its own opaque
  // parameters, `c.scale`): inlining (vmap's row loop) may have brought a callee's local of the
  // same name into a function that reads the module's value; an opaque variable is the one read
  const extRoots = new Set<string>();
  walk(fn.body, (s) => {
    if (s.k === "let" && s.e.k === "ext") extRoots.add(s.e.text.split(".")[0]);
  });
  const clash = [...fn.vars].filter(([n, t]) => taken.has(n) || (extRoots.has(n) && t.k !== "opaque")).map(([n]) => n);
  if (!clash.length) return fn;
  const used = new Set([...fn.vars.keys(), ...taken, ...extRoots]);
  const map = new Map<string, string>();
  for (const n of clash) {
    let k = 2;
    while (used.has(`${n}_${k}`)) k++;
    map.set(n, `${n}_${k}`);
    used.add(`${n}_${k}`);
  }
  const r = (x: string) => map.get(x) ?? x;
  return {
    ...fn,
    params: fn.params.map((p) => ({ ...p, name: r(p.name) })),
    vars: new Map([...fn.vars].map(([k, t]) => [r(k), t])),
    body: renameStmts(fn.body, r),
  };
}
