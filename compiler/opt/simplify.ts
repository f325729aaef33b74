// Clean-up before emission: remove pure definitions nobody reads (dead
// tangents and cotangents the transforms produced), to a fixpoint. Never
// folds arithmetic: `0 * v` stays (NaN must propagate, SPEC §4).
import { type Expr, type Fn, type Stmt, walk } from "../ir/ir.js";
import { stmtReads } from "../ad/vjp.js";

const PURE = new Set<Expr["k"]>(["atom", "prim", "load", "len", "newvec", "veclit", "copyvec", "ext", "tape", "wrap", "tdata"]);

/** Variables read anywhere in a body. */
function readsOf(body: Stmt[]): Map<string, number> {
  const n = new Map<string, number>();
  walk(body, (s) => {
    for (const a of stmtReads(s)) if (a.k === "var") n.set(a.name, (n.get(a.name) ?? 0) + 1);
  });
  return n;
}

function prune(list: Stmt[], reads: Map<string, number>, params: Set<string>): { out: Stmt[]; changed: boolean } {
  let changed = false;
  const out: Stmt[] = [];
  for (const s of list) {
    if (s.k === "let" && PURE.has(s.e.k) && !reads.has(s.dst) && !params.has(s.dst)) {
      changed = true;
      continue;
    }
    if (s.k === "let" && s.e.k === "atom" && s.e.a.k === "var" && s.e.a.name === s.dst) {
      changed = true; // x = x
      continue;
    }
    if (s.k === "if") {
      const t = prune(s.then, reads, params);
      const e = prune(s.else, reads, params);
      changed ||= t.changed || e.changed;
      if (!t.out.length && !e.out.length) {
        changed = true;
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

/** A copy of `fn` without dead pure definitions. */
export function simplify(fn: Fn): Fn {
  const params = new Set(fn.params.map((p) => p.name));
  let body = fn.body;
  for (;;) {
    const r = prune(body, readsOf(body), params);
    body = r.out;
    if (!r.changed) break;
  }
  return { ...fn, body };
}
