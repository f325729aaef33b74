// The Hessian's sparsity pattern, computed by a generated twin of the primal:
// every number carries the set of input indices it depends on, and every
// nonlinear operation records which pairs of inputs interact (Walther's
// nonlinear interaction domains). The pattern is a superset of the Hessian's
// non-zeros; hessian() colours its columns with it and runs one
// forward-over-reverse sweep per colour instead of one per input.
import { type Atom, type Expr, type Fn, type Stmt } from "../ir/ir.js";
import { atom } from "./js.js";
import { safeText } from "./text.js";

/** Primitives whose second derivative is zero (they only carry dependence). */
const LINEAR = new Set(["add", "sub", "neg", "select", "max", "min", "abs"]);
/** Primitives without any derivative. */
const NONE = new Set(["sign", "floor", "ceil", "round", "trunc", "lt", "le", "gt", "ge", "eq", "ne", "not", "and", "or", "isundef", "random"]);

export class Unpatternable extends Error {}

/**
 * JavaScript for `pat_<f>(P, ...params, ...paramShadows)`, which runs f and
 * returns [results..., shadows...], adding interacting index pairs to P.
 */
export function emitPatterns(fns: Map<string, Fn>, root: string, ts: boolean): { code: string; name: string } {
  const done = new Map<string, string>();
  const out: string[] = [];
  const any = ts ? ": any" : "";
  const emitFn = (name: string): string => {
    const hit = done.get(name);
    if (hit) return hit;
    const f = fns.get(name)!;
    const pname = `__jaccPattern_${name}`;
    done.set(name, pname);
    const lines: string[] = [];
    const sh = (x: string) => `${x}$d`;
    const shAtom = (a: Atom) => (a.k === "var" ? sh(a.name) : "__jt.adPatEmpty");
    const vecShadow = (a: Atom) => (a.k === "var" ? sh(a.name) : "[]");
    const locals = [...f.vars.keys()].filter((v) => !f.params.some((p) => p.name === v));
    const ind = (d: number) => "  ".repeat(d);
    const expr = (e: Expr): [string, string] => {
      switch (e.k) {
        case "atom": return [atom(e.a), shAtom(e.a)];
        case "prim": {
          const args = e.args.map(atom);
          const js = primJs(e.op, args);
          if (NONE.has(e.op)) return [js, "__jt.adPatEmpty"];
          const ds = e.args.map(shAtom);
          if (LINEAR.has(e.op)) return [js, `__jt.adPatUnion(${ds.join(", ")})`];
          if (e.op === "mul") return [js, `__jt.adPatMul(P, ${ds[0]}, ${ds[1]})`];
          return [js, `__jt.adPatNonlinear(P, ${ds.join(", ")})`];
        }
        case "load": return [`${atom(e.arr)}[${atom(e.index)}]`, `(${vecShadow(e.arr)}[${atom(e.index)}] ?? __jt.adPatEmpty)`];
        case "len": return [`${atom(e.arr)}.length`, "__jt.adPatEmpty"];
        case "newvec": return [`new Float64Array(${atom(e.len)})`, `new Array(${atom(e.len)}).fill(__jt.adPatEmpty)`];
        case "veclit": return [`[${e.items.map(atom).join(", ")}]`, `[${e.items.map(shAtom).join(", ")}]`];
        case "copyvec": return [`Float64Array.from(${atom(e.src)})`, `${vecShadow(e.src)}.slice()`];
        case "ext": return [e.text, "__jt.adPatEmpty"];
        default: throw new Unpatternable(e.k);
      }
    };
    const stmts = (list: Stmt[], d: number) => {
      for (const s of list) {
        switch (s.k) {
          case "let": {
            const [js, dj] = expr(s.e);
            lines.push(`${ind(d)}${s.dst} = ${js};`, `${ind(d)}${sh(s.dst)} = ${dj};`);
            break;
          }
          case "store":
            lines.push(`${ind(d)}${atom(s.arr)}[${atom(s.index)}] = ${atom(s.value)};`, `${ind(d)}${vecShadow(s.arr)}[${atom(s.index)}] = ${shAtom(s.value)};`);
            break;
          case "call": {
            const callee = fns.get(s.fn)!;
            const pn = emitFn(s.fn);
            const all = [...s.dsts, ...s.dsts.map(sh)];
            const args = [...s.args.map(atom), ...s.args.map((a, i) => (callee.params[i].type.k === "vec" ? vecShadow(a) : shAtom(a)))];
            lines.push(`${ind(d)}[${all.join(", ")}] = ${pn}(P, ${args.join(", ")});`);
            break;
          }
          case "if":
            lines.push(`${ind(d)}if (${atom(s.cond)}) {`);
            stmts(s.then, d + 1);
            lines.push(`${ind(d)}} else {`);
            stmts(s.else, d + 1);
            lines.push(`${ind(d)}}`);
            break;
          case "loop":
            lines.push(`${ind(d)}for (;;) {`);
            stmts(s.pre, d + 1);
            lines.push(`${ind(d + 1)}if (!${atom(s.cond)}) break;`);
            stmts(s.body, d + 1);
            lines.push(`${ind(d)}}`);
            break;
          case "for":
            lines.push(`${ind(d)}for (${s.index} = ${atom(s.from)}; ${s.index} < ${atom(s.to)}; ${s.index}++) {`);
            stmts(s.body, d + 1);
            lines.push(`${ind(d)}}`);
            break;
          case "return":
            lines.push(`${ind(d)}return [${[...s.values.map(atom), ...s.values.map(shAtom)].join(", ")}];`);
            break;
          case "comment":
            break;
          default:
            throw new Unpatternable(s.k);
      }
      }
    };
    for (const t of f.vars.values()) if (t.k === "tensor" || t.k === "opaque") throw new Unpatternable("tensor");
    const params = [...f.params.map((p) => p.name), ...f.params.map((p) => sh(p.name))];
    lines.push(`// the Hessian pattern of ${safeText(f.source ?? f.name)}: dependence sets and interacting pairs`);
    lines.push(`function ${pname}(P${any}, ${params.map((p) => `${p}${any}`).join(", ")})${any} {`);
    const decl = [...locals, ...locals.map(sh)];
    if (decl.length) lines.push(`  let ${decl.map((x) => `${x}${any}`).join(", ")};`);
    stmts(f.body, 1);
    lines.push("}");
    out.push(lines.join("\n"));
    return pname;
  };
  const name = emitFn(root);
  return { code: out.join("\n\n"), name };
}

/** The primal JavaScript of a scalar primitive (the same as the main emitter's). */
import { scalarRules } from "../rules/scalar.js";
function primJs(op: string, args: string[]): string {
  const r = scalarRules[op];
  if (!r) throw new Unpatternable(op);
  return r.js(args);
}
