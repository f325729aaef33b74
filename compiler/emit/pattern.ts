// The Hessian's sparsity pattern, computed by a generated twin of the primal:
// every number carries the set of input indices it depends on, and every
// nonlinear operation records which pairs of inputs interact (Walther's
// nonlinear interaction domains). The pattern is a superset of the Hessian's
// non-zeros; hessian() colours its columns with it and runs one
// forward-over-reverse sweep per colour instead of one per input.
import { type Atom, type Expr, type Fn, type Stmt } from "../ir/ir.js";
import { atom as atomText } from "./js.js";
import { safeText } from "./text.js";
import { patternOf } from "../ops/structure.js";


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
    // Each line keeps the names it reads; an assignment to a name no kept line reads is dropped
    // (or kept as a bare call when it records pairs into P), so that TypeScript's noUnusedLocals holds.
    interface Line { text: string | ((live: Set<string>) => string | undefined); reads: string[]; targets?: string[]; effect?: boolean }
    const lines: Line[] = [];
    const names = (text: string) => text.match(/[A-Za-z_$][\w$]*/g) ?? [];
    const push = (text: string) => lines.push({ text, reads: names(text) });
    const sh = (x: string) => `${x}$d`;
    const atom = atomText;
    const shAtom = (a: Atom) => (a.k === "var" ? sh(a.name) : "__jt.adPatEmpty");
    const vecShadow = (a: Atom) => (a.k === "var" ? sh(a.name) : "[]");
    // an unread target: the expression stays if it records interacting pairs into P
    const assign = (d: number, x: string, e: string): Line => ({
      text: (live) => (live.has(x) ? `${ind(d)}${x} = ${e};` : e.includes("(P, ") ? `${ind(d)}${e};` : undefined),
      reads: names(e), targets: [x], effect: e.includes("(P, "),
    });
    const locals = [...f.vars.keys()].filter((v) => !f.params.some((p) => p.name === v));
    const ind = (d: number) => "  ".repeat(d);
    const expr = (e: Expr): [string, string] => {
      switch (e.k) {
        case "atom": return [atom(e.a), shAtom(e.a)];
        case "prim": {
          const args = e.args.map(atom);
          const js = primJs(e.op, args);
          // what the op does to the pattern: compiler/ops/structure.ts
          const cls = patternOf(e.op);
          if (cls === "none") return [js, "__jt.adPatEmpty"];
          const ds = e.args.map(shAtom);
          if (cls === "linear") return [js, `__jt.adPatUnion(${ds.join(", ")})`];
          if (cls === "bilinear") return [js, `__jt.adPatMul(P, ${ds[0]}, ${ds[1]})`];
          return [js, `__jt.adPatNonlinear(P, ${ds.join(", ")})`];
        }
        case "load": return [`${atom(e.arr)}[${atom(e.index)}]`, `(${vecShadow(e.arr)}[${atom(e.index)}] ?? __jt.adPatEmpty)`];
        case "len": return [`${atom(e.arr)}.length`, "__jt.adPatEmpty"];
        case "newvec": return [e.plain ? `new Array(${atom(e.len)}).fill(0)` : `new Float64Array(${atom(e.len)})`, `new Array(${atom(e.len)}).fill(__jt.adPatEmpty)`];
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
            lines.push(assign(d, s.dst, js), assign(d, sh(s.dst), dj));
            break;
          }
          case "store":
            push(`${ind(d)}${atom(s.arr)}[${atom(s.index)}] = ${atom(s.value)};`);
            push(`${ind(d)}${vecShadow(s.arr)}[${atom(s.index)}] = ${shAtom(s.value)};`);
            break;
          case "call": {
            const callee = fns.get(s.fn)!;
            const pn = emitFn(s.fn);
            const all = [...s.dsts, ...s.dsts.map(sh)];
            const args = [...s.args.map(atom), ...s.args.map((a, i) => (callee.params[i].type.k === "vec" ? vecShadow(a) : shAtom(a)))];
            const call = `${pn}(P, ${args.join(", ")})`;
            lines.push({
              text: (live) => (all.some((x) => live.has(x)) ? `${ind(d)}[${all.map((x) => (live.has(x) ? x : "")).join(", ")}] = ${call};` : `${ind(d)}${call};`),
              reads: names(call), targets: all, effect: true,
            });
            break;
          }
          case "if":
            push(`${ind(d)}if (${atom(s.cond)}) {`);
            stmts(s.then, d + 1);
            push(`${ind(d)}} else {`);
            stmts(s.else, d + 1);
            push(`${ind(d)}}`);
            break;
          case "loop":
            push(`${ind(d)}for (;;) {`);
            stmts(s.pre, d + 1);
            push(`${ind(d + 1)}if (!${atom(s.cond)}) break;`);
            stmts(s.body, d + 1);
            push(`${ind(d)}}`);
            break;
          case "for":
            push(`${ind(d)}for (${s.index} = ${atom(s.from)}; ${s.index} < ${atom(s.to)}; ${s.index}++) {`);
            stmts(s.body, d + 1);
            push(`${ind(d)}}`);
            break;
          case "return":
            push(`${ind(d)}return [${[...s.values.map(atom), ...s.values.map(shAtom)].join(", ")}];`);
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
    push(`// the Hessian pattern of ${safeText(f.source ?? f.name)}: dependence sets and interacting pairs`);
    push(`function ${pname}(P${any}, ${params.map((p) => `${p}${any}`).join(", ")})${any} {`);
    const at = lines.length;
    stmts(f.body, 1);
    push("}");
    // (types: numbers and their dependence sets; vectors, and anything else, stay any)
    const typeOf = (x: string) => {
      if (!ts) return "";
      const t = f.vars.get(x.endsWith("$d") ? x.slice(0, -2) : x);
      if (t?.k === "vec") return ": any";
      return x.endsWith("$d") ? ": readonly number[]" : t?.k === "num" ? ": number" : t?.k === "bool" ? ": boolean" : ": any";
    };
    // live names: read by a line that is kept (always, or an effect, or an assignment to a live name), to a fixed point
    const live = new Set<string>();
    for (let grew = true; grew; ) {
      grew = false;
      for (const l of lines) {
        if (l.targets && !l.effect && !l.targets.some((x) => live.has(x))) continue;
        for (const x of l.reads) if (!live.has(x)) (live.add(x), (grew = true));
      }
    }
    const decl = [...locals, ...locals.map(sh)].filter((x) => live.has(x));
    const text = lines.map((l) => (typeof l.text === "string" ? l.text : l.text(live))).filter((l) => l !== undefined);
    if (decl.length) text.splice(at, 0, `  let ${decl.map((x) => `${x}${typeOf(x)}`).join(", ")};`);
    out.push(text.join("\n"));
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
