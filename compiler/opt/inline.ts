// Inlining of small, non-recursive callees into a hot loop body (vmap's row
// loop): a call that returns several values would allocate an array per row,
// and a per-row call costs more than the arithmetic of a small function.
import { type Atom, type Fn, lit, Names, type Stmt, stmtReads, twinOf, type Type, walk } from "../ir/ir.js";
import { renameStmts } from "./simplify.js";

const MAX_STMTS = 400; // callee size (statements, nested ones counted) worth inlining
const MAX_DEPTH = 4;

function size(body: Stmt[]): number {
  let n = 0;
  walk(body, () => void n++);
  return n;
}

function recursive(fns: Map<string, Fn>, name: string): boolean {
  const seen = new Set<string>();
  const visit = (f: string): boolean => {
    let hit = false;
    walk(fns.get(f)?.body ?? [], (s) => {
      if (s.k !== "call" || hit) return;
      if (s.fn === name) hit = true;
      else if (!seen.has(s.fn)) {
        seen.add(s.fn);
        hit = visit(s.fn);
      }
    });
    return hit;
  };
  return visit(name);
}

function inlinable(fns: Map<string, Fn>, callee: Fn | undefined, caller: Fn): callee is Fn {
  if (!callee || callee.arity || callee.captures.some((c) => !caller.captures.includes(c)) || twinOf(fns, callee.name)) return false;
  const last = callee.body[callee.body.length - 1];
  let returns = 0;
  walk(callee.body, (s) => void (s.k === "return" && returns++));
  return last?.k === "return" && returns === 1 && size(callee.body) <= MAX_STMTS && !recursive(fns, callee.name);
}

/** Replaces calls in `stmts` (statements of `fn`) by the callees' bodies under fresh names. */
export function inlineCalls(fns: Map<string, Fn>, fn: Fn, stmts: Stmt[], names: Names, depth = 0): Stmt[] {
  const out: Stmt[] = [];
  for (const s of stmts) {
    if (s.k === "if") out.push({ ...s, then: inlineCalls(fns, fn, s.then, names, depth), else: inlineCalls(fns, fn, s.else, names, depth) });
    else if (s.k === "loop") out.push({ ...s, pre: inlineCalls(fns, fn, s.pre, names, depth), body: inlineCalls(fns, fn, s.body, names, depth) });
    else if (s.k === "for") out.push({ ...s, body: inlineCalls(fns, fn, s.body, names, depth) });
    else if (s.k === "call" && !s.nodiff && depth < MAX_DEPTH && inlinable(fns, fns.get(s.fn), fn)) {
      const callee = fns.get(s.fn)!;
      const rename = new Map<string, string>();
      for (const [x, t] of callee.vars) {
        if (callee.captures.includes(x)) continue;
        const n = names.claim(x);
        rename.set(x, n);
        fn.vars.set(n, t);
      }
      const r = (x: string) => rename.get(x) ?? x;
      const body: Stmt[] = callee.params.map((p, i) => ({ k: "let", dst: r(p.name), e: { k: "atom", a: s.args[i] }, loc: s.loc }) as Stmt);
      const inner = renameStmts(callee.body.slice(0, -1), r);
      // a called function's locals start fresh on every call: so must an inlined copy's (it may sit in a loop)
      body.push(...initLocals(inner, callee.params.map((p) => r(p.name)), fn.vars));
      body.push(...inner);
      const ret = renameStmts([callee.body[callee.body.length - 1]], r)[0] as Extract<Stmt, { k: "return" }>;
      s.dsts.forEach((d, i) => body.push({ k: "let", dst: d, e: { k: "atom", a: ret.values[i] }, loc: s.loc }));
      out.push(...inlineCalls(fns, fn, body, names, depth + 1));
    } else out.push(s);
  }
  return out;
}

/** A local's value at function entry, as the emitter declares it. */
function entryValue(t: Type | undefined): Atom {
  return lit(t?.k === "num" ? 0 : t?.k === "bool" ? false : undefined);
}

/**
 * Assignments of the entry value to every variable `body` may read before it
 * writes it (conservatively: a write inside a nested block does not count),
 * so that code relying on a fresh function frame can run in a loop.
 */
export function initLocals(body: Stmt[], params: string[], vars: Map<string, Type>): Stmt[] {
  const defined = new Set(params);
  const need = new Set<string>();
  const read = (a: Atom) => {
    if (a.k === "var" && !defined.has(a.name) && vars.has(a.name)) need.add(a.name);
  };
  for (const s of body) {
    walk([s], (x) => stmtReads(x).forEach(read));
    if (s.k === "let") defined.add(s.dst);
    if (s.k === "call") s.dsts.forEach((d) => defined.add(d));
  }
  // variables written only inside nested blocks may be read there before their write on a later pass
  for (const s of body) {
    if (s.k === "if" || s.k === "loop" || s.k === "for")
      walk([s], (x) => {
        if (x.k === "let" && !defined.has(x.dst)) need.add(x.dst);
        if (x.k === "call") x.dsts.forEach((d) => !defined.has(d) && need.add(d));
      });
  }
  return [...need].map((name) => ({ k: "let", dst: name, e: { k: "atom", a: entryValue(vars.get(name)) } }) as Stmt);
}
