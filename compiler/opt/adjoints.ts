// Adjoint clean-up of a reverse sweep (issue 19): the transform emits, per
// reversed statement, "accumulate into the operands' cotangents, then zero
// the result's" — `t7_bar = t7_bar + y_bar; y_bar = 0; y_bar = y_bar + t7_bar`.
// Three passes over the number cotangents (and nothing else) turn that into
// the moves a hand-written sweep makes:
//   1. known zeros: a cotangent known to hold 0 (zero at the sweep's entry, or
//      just zeroed) that is accumulated into becomes a plain copy,
//      `x = 0 + e` → `x = e` (equal except that −0 stays −0);
//   2. copy propagation: after `a = b`, reads of `a` read `b` until either is
//      written;
//   3. dead stores: a cotangent definition nobody reads before the next write
//      or the sweep's end is dropped (the caller names the cotangents read
//      after the sweep: the parameters').
// Every rewrite keeps each value the sweep computes; loops are handled by a
// fixpoint at their head, so a fact holds on every iteration. Pops, stores and
// calls are never removed: the tape's order and the arrays stay as they were.
import { type Atom, type Expr, type Stmt, stmtDefs, stmtReads, walk } from "../ir/ir.js";

export interface AdjointVars {
  /** number cotangents the sweep may rewrite (the only variables these passes touch) */
  bars: Set<string>;
  /** of those, the ones that hold 0 when the sweep starts */
  zeroAtEntry: Set<string>;
  /** of those, the ones read after the sweep (never removed as dead) */
  liveOut: Set<string>;
}

export function simplifyAdjoints(rev: Stmt[], vars: AdjointVars): Stmt[] {
  let out = knownZeros(rev, new Set(vars.zeroAtEntry), vars.bars).out;
  for (let round = 0; round < 4; round++) {
    // a round changed the sweep iff it substituted a read or dropped a statement (both passes only do that)
    substituted = 0;
    const before = countStmts(out);
    out = copies(out, vars.bars);
    out = deadStores(out, new Set(vars.liveOut), vars.bars).out;
    if (!substituted && countStmts(out) === before) break;
  }
  return out;
}

let substituted = 0;

function countStmts(list: Stmt[]): number {
  let n = 0;
  walk(list, () => void n++);
  return n;
}

const isZero = (a: Atom, Z: Set<string>) => (a.k === "var" && Z.has(a.name)) || (a.k === "lit" && a.v === 0);
const intersect = (a: Set<string>, b: Set<string>) => new Set([...a].filter((x) => b.has(x)));
const same = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((x) => b.has(x));

/** Every variable a block (nested blocks included) may write. */
function writes(list: Stmt[]): Set<string> {
  const w = new Set<string>();
  walk(list, (s) => stmtDefs(s).forEach((d) => w.add(d)));
  return w;
}

// ---------------------------------------------------------------- 1. known zeros

/** Forward: `Z` = the cotangents known to be 0 before each statement; accumulations into them become copies. */
function knownZeros(list: Stmt[], Z: Set<string>, bars: Set<string>): { out: Stmt[]; Z: Set<string> } {
  const out: Stmt[] = [];
  for (const s of list) {
    switch (s.k) {
      case "let": {
        let e: Expr = s.e;
        if (bars.has(s.dst) && e.k === "prim" && e.op === "add" && e.args.length === 2) {
          const [a, b] = e.args;
          if (a.k === "var" && bars.has(a.name) && Z.has(a.name)) e = { k: "atom", a: b };
          else if (b.k === "var" && bars.has(b.name) && Z.has(b.name)) e = { k: "atom", a };
        }
        if (bars.has(s.dst) && e.k === "atom" && isZero(e.a, Z)) Z.add(s.dst);
        else Z.delete(s.dst);
        out.push(e === s.e ? s : { ...s, e });
        break;
      }
      case "if": {
        const t = knownZeros(s.then, new Set(Z), bars);
        const f = knownZeros(s.else, new Set(Z), bars);
        out.push({ ...s, then: t.out, else: f.out });
        Z = intersect(t.Z, f.Z);
        break;
      }
      case "for": {
        // the facts at the head hold before the first iteration and after every one
        let head = new Set(Z);
        let body: Stmt[];
        for (;;) {
          const r = knownZeros(s.body, new Set(head), bars);
          const next = intersect(Z, r.Z);
          if (same(next, head)) {
            body = r.out;
            break;
          }
          head = next;
        }
        out.push({ ...s, body });
        Z = head;
        break;
      }
      case "loop": {
        // a while loop (rare in a reverse sweep): only what it never writes stays known
        const w = writes([s]);
        const head = new Set([...Z].filter((x) => !w.has(x)));
        out.push({ ...s, pre: knownZeros(s.pre, new Set(head), bars).out, body: knownZeros(s.body, new Set(head), bars).out });
        Z = head;
        break;
      }
      default:
        for (const d of stmtDefs(s)) Z.delete(d);
        out.push(s);
    }
  }
  return { out, Z };
}

// ---------------------------------------------------------------- 2. copies

function subst(s: Stmt, r: (a: Atom) => Atom): Stmt {
  const re = (e: Expr): Expr => {
    switch (e.k) {
      case "atom": return { ...e, a: r(e.a) };
      case "prim": return { ...e, args: e.args.map(r) };
      case "load": return { ...e, arr: r(e.arr), index: r(e.index) };
      default: return e; // the other expressions read vectors and sizes, never a number cotangent
    }
  };
  switch (s.k) {
    case "let": return { ...s, e: re(s.e) };
    case "store": return { ...s, index: r(s.index), value: r(s.value) };
    case "call": return { ...s, args: s.args.map(r) };
    case "effect": return { ...s, args: s.args.map(r) };
    default: return s;
  }
}

/** Within each straight-line run: after `a = b` (a a cotangent), reads of `a` read `b` until a or b is written. */
function copies(list: Stmt[], bars: Set<string>): Stmt[] {
  const out: Stmt[] = [];
  const copy = new Map<string, string>(); // a → b
  const kill = (x: string) => {
    for (const [a, b] of copy) if (a === x || b === x) copy.delete(a);
  };
  const r = (a: Atom): Atom => {
    if (a.k !== "var" || !copy.has(a.name)) return a;
    substituted++;
    return { k: "var", name: copy.get(a.name)! };
  };
  for (const s0 of list) {
    if (s0.k === "if" || s0.k === "for" || s0.k === "loop") {
      // nested blocks are simplified on their own; what they write ends a fact here
      const s = s0.k === "if" ? { ...s0, cond: r(s0.cond), then: copies(s0.then, bars), else: copies(s0.else, bars) } : s0.k === "for" ? { ...s0, body: copies(s0.body, bars) } : { ...s0, pre: copies(s0.pre, bars), body: copies(s0.body, bars) };
      for (const w of writes([s])) kill(w);
      out.push(s);
      continue;
    }
    const s = subst(s0, r);
    for (const d of stmtDefs(s)) kill(d);
    if (s.k === "let" && bars.has(s.dst) && s.e.k === "atom" && s.e.a.k === "var") {
      if (s.e.a.name === s.dst) continue; // x = x
      copy.set(s.dst, s.e.a.name);
    }
    out.push(s);
  }
  return out;
}

// ---------------------------------------------------------------- 3. dead stores

const pure = (e: Expr) => e.k === "atom" || e.k === "prim";

/**
 * Backward liveness; drops pure definitions of cotangents that are not live after them.
 * Only cotangents are tracked: only they are ever dropped, and a variable's liveness
 * never depends on another's, so the other variables would only make the sets bigger.
 */
function deadStores(list: Stmt[], live: Set<string>, bars: Set<string>): { out: Stmt[]; live: Set<string> } {
  const out: Stmt[] = [];
  const read = (s: Stmt, into: Set<string>) => {
    for (const a of stmtReads(s)) if (a.k === "var" && bars.has(a.name)) into.add(a.name);
  };
  for (let i = list.length - 1; i >= 0; i--) {
    const s = list[i];
    switch (s.k) {
      case "let":
        if (bars.has(s.dst) && !live.has(s.dst) && pure(s.e)) continue;
        live.delete(s.dst);
        read(s, live);
        out.push(s);
        break;
      case "if": {
        const f = deadStores(s.else, new Set(live), bars);
        const t = deadStores(s.then, live, bars);
        live = t.live;
        for (const x of f.live) live.add(x);
        read(s, live);
        out.push({ ...s, then: t.out, else: f.out });
        break;
      }
      case "for": {
        // live at the head: live after the loop, or at the body's entry of another iteration
        // (the pass that finds the head unchanged is the one kept: one pass fewer per nesting level)
        let head = live;
        let body: Stmt[];
        for (;;) {
          const r = deadStores(s.body, new Set(head), bars);
          const next = new Set(head);
          for (const x of r.live) next.add(x);
          if (next.size === head.size) {
            // (next ⊇ head: the same size is the same set)
            body = r.out;
            break;
          }
          head = next;
        }
        live = head;
        live.delete(s.index);
        read(s, live);
        out.push({ ...s, body });
        break;
      }
      case "loop": {
        // kept as it is: everything it reads is live, nothing it writes is killed
        walk([s], (x) => read(x, live));
        out.push(s);
        break;
      }
      default:
        for (const d of stmtDefs(s)) live.delete(d);
        read(s, live);
        out.push(s);
    }
  }
  return { out: out.reverse(), live };
}
