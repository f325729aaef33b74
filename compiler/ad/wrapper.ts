// A function that stands in front of others with their signature (vmap's
// dispatches: WebGPU or CPU, scalar rows or tensor code, nested levels
// merged): the same parameters (fresh names, same types), the given results,
// and the module values its callees read as its captures.
import { Builder, type Fn, type Loc, Names, type Type } from "../ir/ir.js";

export function wrapperFn(name: string, params: Fn["params"], results: Type[], callees: Fn[], at: { loc?: Loc; source?: string; tupleResult?: boolean }): { fn: Fn; b: Builder } {
  const captures = [...new Set(callees.flatMap((c) => c.captures))];
  const fn: Fn = { name, params: [], results, tupleResult: at.tupleResult ?? false, body: [], vars: new Map(), loc: at.loc, source: at.source, captures };
  for (const c of captures) fn.vars.set(c, callees.map((g) => g.vars.get(c)).find(Boolean) ?? { k: "opaque" });
  const names = new Names([...captures]);
  const b = new Builder(fn, names, at.loc);
  for (const p of params) {
    const n = names.claim(p.name);
    fn.params.push({ name: n, type: p.type, source: p.source });
    fn.vars.set(n, p.type);
  }
  return { fn, b };
}
