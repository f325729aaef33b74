// Block-local common-subexpression elimination of pure number primitives:
// `t9 = sin(th)` after `t15 = sin(th)` in the same block, with neither `th`
// nor `t15` assigned in between, becomes `t9 = t15`. A forward sweep computes
// a primitive and then its rule's partials (`cos th` then `-sin th`), and a
// later statement may compute the same value again (`sin th`); V8 does not merge
// Math calls. The value is the same number, so results are bit-identical.
// Nested blocks start empty (a loop body runs many times) and, being able to
// reassign anything, empty the enclosing block's table.
import { type Fn, type Stmt, v } from "../ir/ir.js";
import { ruleOf } from "../rules/index.js";

/** `fn` with repeated pure number primitives of a block read from their first variable. */
export function cseNumbers(fn: Fn): Fn {
  const pure = (op: string) => op !== "random" && !ruleOf(op).tensor;
  const isNum = (x: string) => {
    const t = fn.vars.get(x);
    return t?.k === "num" || t?.k === "bool";
  };
  const block = (list: Stmt[]): Stmt[] => {
    const table = new Map<string, string>(); // "op(a|b)" → the variable holding it
    const uses = new Map<string, Set<string>>(); // variable → keys that read it or are held in it
    const note = (x: string, key: string) => {
      let s = uses.get(x);
      if (!s) uses.set(x, (s = new Set()));
      s.add(key);
    };
    const kill = (x: string) => {
      for (const key of uses.get(x) ?? []) table.delete(key);
      uses.delete(x);
    };
    const out: Stmt[] = [];
    for (const s of list) {
      if (s.k === "if") {
        out.push({ ...s, then: block(s.then), else: block(s.else) });
        (table.clear(), uses.clear());
        continue;
      }
      if (s.k === "loop") {
        out.push({ ...s, pre: block(s.pre), body: block(s.body) });
        (table.clear(), uses.clear());
        continue;
      }
      if (s.k === "for") {
        out.push({ ...s, body: block(s.body) });
        (table.clear(), uses.clear());
        continue;
      }
      if (s.k === "call") s.dsts.forEach(kill);
      if (s.k !== "let") {
        out.push(s);
        continue;
      }
      const e = s.e;
      const candidate = e.k === "prim" && pure(e.op) && isNum(s.dst) && e.args.every((a) => a.k === "lit" || isNum(a.name)) && !e.attrs?.length;
      const key = candidate ? `${e.op}(${e.args.map((a) => (a.k === "var" ? a.name : `#${String(a.v)}`)).join("|")})` : "";
      const hit = candidate ? table.get(key) : undefined;
      kill(s.dst);
      if (hit !== undefined && hit !== s.dst) {
        out.push({ ...s, e: { k: "atom", a: v(hit) } });
        continue;
      }
      out.push(s);
      if (candidate && e.k === "prim" && !e.args.some((a) => a.k === "var" && a.name === s.dst)) {
        table.set(key, s.dst);
        note(s.dst, key);
        for (const a of e.args) if (a.k === "var") note(a.name, key);
      }
    }
    return out;
  };
  return { ...fn, body: block(fn.body) };
}
