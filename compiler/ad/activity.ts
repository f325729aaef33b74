// Activity analysis: which variables depend on the active inputs ("varied").
// Flow-insensitive and interprocedural (a summary per callee and activity
// mask, iterated to a fixpoint for recursion). It decides which statements get
// a tangent or an adjoint, which Jacobian blocks are structurally zero, and
// powers `strict` and `jacc explain`'s sparsity pattern.
import { type Atom, type Expr, type Fn, type Stmt, walk } from "../ir/ir.js";
import { ruleOf } from "../rules/index.js";

export type Fns = Map<string, Fn>;

const summaries = new WeakMap<Fns, Map<string, unknown>>();

/** Which results of `fn` depend on the parameters marked in `mask`. */
export function resultDeps(fns: Fns, fnName: string, mask: boolean[]): boolean[] {
  return summary(fns, fnName, mask).slice(0, fns.get(fnName)!.results.length);
}

/** Which vector parameters of `fn` receive values that depend on `mask` (cotangents accumulated in place). */
export function paramWrites(fns: Fns, fnName: string, mask: boolean[]): boolean[] {
  return summary(fns, fnName, mask).slice(fns.get(fnName)!.results.length);
}

// Summaries are a monotone fixpoint over (possibly mutually recursive) calls:
// the outermost query repeats passes until no summary changes, and inside a pass
// a call still being computed reads its previous value.
interface Entry { deps: boolean[]; pass: number }
const passes = new WeakMap<Fns, { pass: number; depth: number; changed: boolean }>();

function summary(fns: Fns, fnName: string, mask: boolean[]): boolean[] {
  let memo = summaries.get(fns) as Map<string, Entry> | undefined;
  if (!memo) summaries.set(fns, (memo = new Map()) as never);
  let st = passes.get(fns);
  if (!st) passes.set(fns, (st = { pass: 0, depth: 0, changed: false }));
  const key = `${fnName}|${mask.map(Number).join("")}`;
  const hit = memo.get(key);
  if (hit && (hit.pass === st.pass || st.depth === 0 && hit.pass === -1)) return hit.deps;
  if (st.depth > 0) return computeOnce(fns, memo, st, key, fnName, mask);
  let r: boolean[];
  do {
    st.pass++;
    st.changed = false;
    st.depth++;
    try {
      r = computeOnce(fns, memo, st, key, fnName, mask);
    } finally {
      st.depth--;
    }
  } while (st.changed);
  // stable: every summary of this last pass is final
  for (const e of memo.values()) if (e.pass === st.pass) e.pass = -1;
  return r;
}

function computeOnce(fns: Fns, memo: Map<string, Entry>, st: { pass: number; changed: boolean }, key: string, fnName: string, mask: boolean[]): boolean[] {
  const fn = fns.get(fnName)!;
  const old = memo.get(key)?.deps ?? [...fn.results.map(() => false), ...fn.params.map(() => false)];
  if (memo.get(key)?.pass === -1) return old;
  memo.set(key, { deps: old, pass: st.pass });
  const varied = variedVars(fns, fn, mask);
  const ret = findReturn(fn.body);
  const now = [...ret.values.map((a) => isVaried(varied, a)), ...fn.params.map((p, i) => !mask[i] && p.type.k === "vec" && varied.has(p.name))];
  const deps = now.map((d, i) => d || old[i]);
  if (deps.some((d, i) => d !== old[i])) st.changed = true;
  memo.set(key, { deps, pass: st.pass });
  return deps;
}

const tapeMemo = new WeakMap<Fns, Map<string, boolean>>();

/** True if `fnName` (or anything it calls) pushes or pops the tape: its jvp must always run, the tape carries tangents. */
export function touchesTape(fns: Fns, fnName: string): boolean {
  let m = tapeMemo.get(fns);
  if (!m) tapeMemo.set(fns, (m = new Map()));
  const hit = m.get(fnName);
  if (hit !== undefined) return hit;
  m.set(fnName, false);
  let found = false;
  walk(fns.get(fnName)!.body, (s) => {
    if (s.k === "push" || s.k === "pushobj" || (s.k === "let" && (s.e.k === "pop" || s.e.k === "popobj"))) found = true;
    if (s.k === "call" && touchesTape(fns, s.fn)) found = true;
  });
  m.set(fnName, found);
  return found;
}

export function findReturn(body: Stmt[]): Extract<Stmt, { k: "return" }> {
  const last = body[body.length - 1];
  if (!last || last.k !== "return") throw new Error("IR: function does not end in a return");
  return last;
}

export const isVaried = (varied: Set<string>, a: Atom): boolean => a.k === "var" && varied.has(a.name);

/** Variables of `fn` that depend on the parameters marked in `mask`. */
export function variedVars(fns: Fns, fn: Fn, mask: boolean[]): Set<string> {
  const varied = new Set<string>();
  fn.params.forEach((p, i) => mask[i] && varied.add(p.name));
  // Vector copies alias the same storage: a store through either varies both.
  const aliases = new Map<string, string[]>();
  walk(fn.body, (s) => {
    if (s.k === "let" && s.e.k === "atom" && s.e.a.k === "var" && fn.vars.get(s.dst)?.k === "vec") {
      const a = s.e.a.name;
      aliases.set(a, [...(aliases.get(a) ?? []), s.dst]);
      aliases.set(s.dst, [...(aliases.get(s.dst) ?? []), a]);
    }
  });
  let changed = true;
  const mark = (name: string) => {
    if (varied.has(name)) return;
    varied.add(name);
    changed = true;
    for (const al of aliases.get(name) ?? []) mark(al);
  };
  while (changed) {
    changed = false;
    walk(fn.body, (s) => {
      if (s.k === "let") {
        if (exprVaried(s.e, varied)) mark(s.dst);
      } else if (s.k === "store") {
        if (isVaried(varied, s.value) && s.arr.k === "var") mark(s.arr.name);
      } else if (s.k === "effect") {
        // a Jacobian block filled from a varied value varies
        if (s.args.some((a, i) => i > 0 && isVaried(varied, a)) && s.args[0].k === "var") mark(s.args[0].name);
      } else if (s.k === "call" && !s.nodiff) {
        const argMask = s.args.map((a) => isVaried(varied, a));
        if (argMask.some(Boolean) || touchesTape(fns, s.fn)) {
          const deps = resultDeps(fns, s.fn, argMask);
          s.dsts.forEach((d, i) => deps[i] && mark(d));
          // a vector passed in and written with varied values varies too (an accumulated cotangent)
          paramWrites(fns, s.fn, argMask).forEach((w, i) => w && s.args[i].k === "var" && mark((s.args[i] as { name: string }).name));
        }
      }
    });
  }
  return varied;
}

function exprVaried(e: Expr, varied: Set<string>): boolean {
  switch (e.k) {
    case "atom":
      return isVaried(varied, e.a);
    case "prim":
    {
      const r = ruleOf(e.op);
      const n = r.operands ?? e.args.length;
      return !r.zero && e.args.slice(0, n).some((a) => isVaried(varied, a));
    }
    case "load":
      return isVaried(varied, e.arr);
    case "veclit":
      return e.items.some((a) => isVaried(varied, a));
    case "copyvec":
      return isVaried(varied, e.src);
    case "wrap":
      return isVaried(varied, e.data);
    case "tdata":
      return isVaried(varied, e.t);
    case "pop":
    case "popobj":
      return true; // forward over reverse: whatever is on the tape carries a tangent
    default:
      return false;
  }
}

/** Every variable assigned more than once, or inside a loop (its old values may be needed). */
export function reassigned(fn: Fn): Set<string> {
  const count = new Map<string, number>();
  const out = new Set<string>();
  walk(fn.body, (s, inLoop) => {
    const defs = s.k === "let" ? [s.dst] : s.k === "call" ? s.dsts : s.k === "for" ? [s.index] : [];
    for (const d of defs) {
      const c = (count.get(d) ?? 0) + 1;
      count.set(d, c);
      if (c > 1 || inLoop) out.add(d);
    }
  });
  return out;
}
