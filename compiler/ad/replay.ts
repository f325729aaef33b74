// What the reverse sweep needs to replay the forward sweep's path exactly.
//
// The reverse sweep visits each statement after the forward sweep ran it and
// everything after it was undone, so it sees the primal state as it was just
// *after* the statement. A statement whose own reads it also writes — an `if`
// whose condition its branches reassign, `x = x + 1` as one statement, a
// counted loop whose bounds its body writes — would be replayed with the wrong
// values. `prepareForReverse` rewrites those few shapes so that each
// statement's reads are unchanged by the statement itself: the condition is
// copied into a branch variable before the `if` (the ordinary push/pop of
// reassigned variables then records it per iteration), a self-reading
// assignment goes through a temporary. After it, every read the reverse sweep
// makes at a statement gives the forward sweep's value, by induction over the
// reversed statements (vjp.ts restores each assignment as it passes it).
import { type Atom, BOOL, type Fn, type Names, NUM, type Stmt, stmtReads, v, walk } from "../ir/ir.js";

/** `fn` with the shapes above rewritten (the same object if there are none). */
export function prepareForReverse(fn: Fn, names: Names): Fn {
  const vars = new Map(fn.vars);
  let changed = false;
  const fresh = (base: string, t: typeof NUM) => {
    const n = names.claim(base);
    vars.set(n, t);
    changed = true;
    return n;
  };
  const block = (list: Stmt[]): Stmt[] => {
    const out: Stmt[] = [];
    for (const s of list) {
      if (s.k === "if") {
        const then = block(s.then);
        const els = block(s.else);
        let cond = s.cond;
        if (cond.k === "var" && writesVar([...then, ...els], cond.name)) {
          const br = fresh("branch", BOOL);
          out.push({ k: "let", dst: br, e: { k: "atom", a: cond }, loc: s.loc });
          cond = v(br);
        }
        out.push({ ...s, cond, then, else: els });
      } else if (s.k === "loop") {
        out.push({ ...s, pre: block(s.pre), body: block(s.body) });
      } else if (s.k === "for") {
        const body = block(s.body);
        if (writesVar(body, s.index)) throw new Error(`IR: the counted loop over ${s.index} writes its own index`);
        const bound = (a: Atom): Atom => {
          if (a.k !== "var" || !writesVar(body, a.name)) return a;
          const b = fresh("bound", NUM);
          out.push({ k: "let", dst: b, e: { k: "atom", a }, loc: s.loc });
          return v(b);
        };
        out.push({ ...s, from: bound(s.from), to: bound(s.to), body });
      } else if (s.k === "let" && s.e.k !== "atom" && stmtReads(s).some((a) => a.k === "var" && a.name === s.dst)) {
        const t = fresh("t", vars.get(s.dst)!);
        out.push({ ...s, dst: t }, { k: "let", dst: s.dst, e: { k: "atom", a: v(t) }, loc: s.loc });
      } else out.push(s);
    }
    return out;
  };
  const body = block(fn.body);
  return changed ? { ...fn, body, vars } : fn;
}

/** True if function `name` and every function it calls (transitively) never store into an array. */
function storesNothing(fns: ReadonlyMap<string, Fn>, name: string, seen = new Set<string>()): boolean {
  if (seen.has(name)) return true;
  seen.add(name);
  const f = fns.get(name);
  if (!f) return false;
  let ok = true;
  walk(f.body, (s) => {
    if (s.k === "store" || s.k === "fill0" || s.k === "effect") ok = false;
    else if (s.k === "call" && ok && !storesNothing(fns, s.fn, seen)) ok = false;
  });
  return ok;
}

/** True if `list` (nested blocks included) assigns `name`. */
export function writesVar(list: Stmt[], name: string): boolean {
  let found = false;
  walk(list, (s) => {
    if ((s.k === "let" && s.dst === name) || (s.k === "call" && s.dsts.includes(name)) || (s.k === "for" && s.index === name)) found = true;
  });
  return found;
}

/**
 * Variables whose value reaches no result: read only as a condition, an index,
 * a loop bound, by a comparison (a boolean), or by definitions that reach no
 * result themselves (dead code, `const t = h(u)` never read; also an array made
 * here whose elements reach nothing, `const [a, b] = [h(u), …]`). Their cotangent is
 * exactly zero, so the reverse sweep neither computes their partials nor calls
 * a callee's reverse for them: a loop condition such as `while (Math.abs(r) > tol)`
 * costs nothing on the tape, and an unused value that overflows does not turn a
 * zero cotangent into 0 · ∞ = NaN (PyTorch never differentiates a value the
 * output does not use either).
 */
export function withoutCotangent(fn: Fn, fns: ReadonlyMap<string, Fn>): Set<string> {
  const candidates = new Set<string>();
  for (const [k, t] of fn.vars) if (t.k === "num" || t.k === "vec") candidates.add(k);
  for (const p of fn.params) candidates.delete(p.name);
  walk(fn.body, (s) => {
    if (s.k === "return") for (const a of s.values) if (a.k === "var") candidates.delete(a.name);
    // an array is one only where it is its own: made here (a literal, a new array, a copy) and never
    // another name of an array (`const b = a`), a call's result or argument, so a store into it
    // writes nothing anyone else reads (`const [a, b] = [h(x), …]` with a and b unused)
    if (s.k === "let" && fn.vars.get(s.dst)?.k === "vec" && !["veclit", "newvec", "copyvec"].includes(s.e.k)) candidates.delete(s.dst);
    if (s.k === "let" && s.e.k === "atom" && s.e.a.k === "var" && fn.vars.get(s.e.a.name)?.k === "vec") candidates.delete(s.e.a.name);
    if (s.k === "call") {
      for (const d of s.dsts) if (fn.vars.get(d)?.k === "vec") candidates.delete(d);
      for (const a of s.args) if (a.k === "var" && fn.vars.get(a.name)?.k === "vec") candidates.delete(a.name);
    }
    if (s.k === "effect") for (const a of s.args) if (a.k === "var") candidates.delete(a.name);
  });
  const numeric = (a: Atom) => a.k === "lit" || fn.vars.get(a.name)?.k === "num" || fn.vars.get(a.name)?.k === "bool";
  let changed = true;
  while (changed) {
    changed = false;
    const drop = (a: Atom) => {
      if (a.k === "var" && candidates.delete(a.name)) changed = true;
    };
    walk(fn.body, (s) => {
      switch (s.k) {
        case "if": case "loop": return; // the condition: control only
        case "for": return; // bounds
        case "let": {
          const e = s.e;
          if (fn.vars.get(s.dst)?.k === "bool" || candidates.has(s.dst)) return; // reaches no result
          if (e.k === "load") return drop(e.arr); // the index steers which element is read
          for (const a of stmtReads(s)) drop(a);
          return;
        }
        case "call":
          // a call whose results all reach nothing, and that can write no array it is given (it is given none,
          // or neither it nor anything it calls stores into an array: `while (r(C, 0, y[i]) > 1)`)
          if (s.dsts.every((d) => candidates.has(d)) && (s.args.every(numeric) || storesNothing(fns, s.fn))) return;
          for (const a of s.args) drop(a);
          return;
        case "store":
          // (a store into an array whose elements reach nothing reaches nothing; the index only selects)
          if (s.arr.k === "var" && candidates.has(s.arr.name)) return;
          return (drop(s.arr), drop(s.value));
        default:
          for (const a of stmtReads(s)) drop(a);
      }
    });
  }
  return candidates;
}
