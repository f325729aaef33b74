// The call graph of a module's IR functions: what the markers reach, and the
// locals of enclosing scopes each function reads (the glue passes them first).
import type { Fn } from "../ir/ir.js";

/** Variables of enclosing (non-module) scopes each function reads, itself or through its callees. */
export function transitiveCaptures(fns: Map<string, Fn>, names: string[]): Map<string, string[]> {
  const out = new Map<string, Set<string>>(names.map((n) => [n, new Set(fns.get(n)!.captures)]));
  const callees = new Map<string, string[]>();
  for (const n of names) callees.set(n, reachable(fns, [n]).slice(1));
  let changed = true;
  while (changed) {
    changed = false;
    for (const n of names) {
      const set = out.get(n)!;
      for (const c of callees.get(n)!) for (const x of out.get(c) ?? []) if (!set.has(x)) (set.add(x), (changed = true));
    }
  }
  return new Map([...out].map(([k, v]) => [k, [...v].sort()]));
}

export function reachable(fns: Map<string, Fn>, roots: string[]): string[] {
  const seen = new Set<string>();
  const order: string[] = [];
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    order.push(name);
    const f = fns.get(name)!;
    const walkS = (list: Fn["body"]) => {
      for (const st of list) {
        if (st.k === "call") visit(st.fn);
        if (st.k === "if") (walkS(st.then), walkS(st.else));
        if (st.k === "loop") (walkS(st.pre), walkS(st.body));
        if (st.k === "for") walkS(st.body);
      }
    };
    walkS(f.body);
  };
  roots.forEach(visit);
  return order;
}

/** The locals of enclosing scopes function `name` and what it calls read (passed in first by the glue). */
export function capturesOf(fns: Map<string, Fn>, name: string): string[] {
  return transitiveCaptures(fns, reachable(fns, [name])).get(name) ?? [];
}
