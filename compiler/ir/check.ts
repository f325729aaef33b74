// The IR checker (in the spirit of Autodidax's typecheck_jaxpr): what every
// pass must leave true of a function, checked after each pass when
// `CompileOptions.checkIR` is set (the tests set it). A violation is a
// compiler bug, reported as an internal error naming the pass, the function
// and the statement, never a wrong number downstream.
import { exprReads, type Fn, type Stmt, stmtReads, type Type, walk } from "./ir.js";

/** What a checked primitive needs to be: its rule's result type, or undefined for an unknown op. */
export type PrimInfo = (op: string) => { tensor: boolean; type?: (args: Type[]) => Type } | undefined;

/**
 * The problems of `f` (empty when it is well formed): every variable read or
 * written is declared with a type, every variable read is assigned somewhere
 * (a parameter, a capture, a `let`, a call's result, a loop index), every
 * primitive has a rule and a Tensor op (`t.`, `tz.`) writes a tensor (or its rule's type),
 * every call names a function of `fns` with at most its parameters and
 * results (or a generated helper: `helper`, fused regions), and the body
 * ends in its one `return` of the declared results.
 */
export function checkFn(f: Fn, fns: ReadonlyMap<string, Fn>, prim: PrimInfo, helper: (name: string) => boolean = () => false): string[] {
  const out: string[] = [];
  const where = (s: Stmt) => `${f.name}: ${describe(s)}`;
  const assigned = new Set<string>([...f.params.map((p) => p.name), ...f.captures]);
  walk(f.body, (s) => {
    if (s.k === "let") assigned.add(s.dst);
    else if (s.k === "call") s.dsts.forEach((d) => assigned.add(d));
    else if (s.k === "for") assigned.add(s.index);
  });
  for (const p of f.params) if (!f.vars.has(p.name)) out.push(`${f.name}: parameter ${p.name} has no type`);
  const declared = (name: string, s: Stmt) => {
    if (!f.vars.has(name) && !f.captures.includes(name)) out.push(`${where(s)}: ${name} is not declared`);
  };
  walk(f.body, (s) => {
    const reads = s.k === "let" ? exprReads(s.e) : stmtReads(s);
    for (const a of reads) {
      if (a.k !== "var") continue;
      declared(a.name, s);
      if (!assigned.has(a.name)) out.push(`${where(s)}: ${a.name} is read but never assigned`);
    }
    if (s.k === "let") {
      declared(s.dst, s);
      if (s.e.k === "prim") {
        const info = prim(s.e.op);
        if (!info) out.push(`${where(s)}: no rule for primitive ${s.e.op}`);
        else if (info.tensor && /^tz?\./.test(s.e.op)) {
          const want = info.type?.(s.e.args.map((a) => (a.k === "lit" ? { k: "num" } : f.vars.get(a.name) ?? { k: "opaque" })));
          const got = f.vars.get(s.dst)?.k;
          const ok = want ? want.k === got || got === "opaque" : got === "tensor" || got === "opaque" || got === "num";
          if (!ok) out.push(`${where(s)}: ${s.dst} is ${got}, the op gives ${want?.k ?? "a tensor"}`);
        }
      }
    } else if (s.k === "call") {
      s.dsts.forEach((d) => declared(d, s));
      const g = fns.get(s.fn);
      if (!g) {
        if (!helper(s.fn)) out.push(`${where(s)}: calls an unknown function ${s.fn}`);
      }
      else {
        if (s.args.length > g.params.length) out.push(`${where(s)}: ${s.args.length} arguments for ${g.params.length} parameters of ${s.fn}`);
        if (s.dsts.length > g.results.length) out.push(`${where(s)}: ${s.dsts.length} results taken of ${g.results.length}`);
      }
    } else if (s.k === "for") declared(s.index, s);
  });
  const last = f.body[f.body.length - 1];
  if (!last || last.k !== "return") out.push(`${f.name}: the body does not end in a return`);
  else if (last.values.length !== f.results.length) out.push(`${f.name}: returns ${last.values.length} values, declares ${f.results.length}`);
  let returns = 0;
  walk(f.body, (s) => void (s.k === "return" && returns++));
  if (returns !== 1) out.push(`${f.name}: ${returns} return statements (one at the end is the IR's form)`);
  return out;
}

function describe(s: Stmt): string {
  switch (s.k) {
    case "let": return `${s.dst} = ${s.e.k === "prim" ? s.e.op : s.e.k}`;
    case "call": return `[${s.dsts.join(", ")}] = ${s.fn}(…)`;
    default: return s.k;
  }
}
