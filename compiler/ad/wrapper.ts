// A function that stands in front of others with their signature (vmap's
// dispatches: WebGPU or CPU, scalar rows or tensor code, nested levels
// merged): the same parameters (fresh names, same types), the given results,
// and the module values its callees read as its captures.
import { Builder, type Fn, type Loc, Names, type Stmt, type Type, v } from "../ir/ir.js";

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

/**
 * A wrapper that calls `then` where the run-time test `op` (a prim given every argument, or only
 * argument `arg`, with `attrs`) holds and `other` elsewhere: vmap's WebGPU / CPU and size dispatches.
 */
export function chooseFn(name: string, then: Fn, other: Fn, test: { op: string; arg?: number; attrs?: unknown[]; name: string }, at: { loc?: Loc; source?: string }): Fn {
  const { fn, b } = wrapperFn(name, then.params, then.results, [then, other], { ...at, tupleResult: then.tupleResult });
  const args = fn.params.map((p) => v(p.name));
  const dsts = then.results.map((t, i) => b.fresh(`r${i}`, t));
  const cond = b.let(test.name, { k: "bool" }, { k: "prim", op: test.op, args: test.arg === undefined ? args : [args[test.arg]], attrs: test.attrs });
  const call = (g: Fn): Stmt[] => [{ k: "call", dsts, fn: g.name, args, loc: at.loc }];
  b.emit({ k: "if", cond, then: call(then), else: call(other) });
  b.emit({ k: "return", values: dsts.map(v) });
  fn.body = b.stmts;
  return fn;
}
