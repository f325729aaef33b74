// A compact text form of the IR, for tests, `jacc explain` and debugging.
import { type Atom, type Expr, type Fn, type Stmt } from "./ir.js";

const a = (x: Atom): string => (x.k === "var" ? x.name : String(x.v));

function expr(e: Expr): string {
  switch (e.k) {
    case "atom": return a(e.a);
    case "prim": return e.op === "prop" ? `${a(e.args[0])}.${String(e.attrs?.[0])}` : `${e.op}(${e.args.map(a).join(", ")})`;
    case "load": return `${a(e.arr)}[${a(e.index)}]`;
    case "len": return `len(${a(e.arr)})`;
    case "newvec": return `zeros(${a(e.len)})`;
    case "veclit": return `[${e.items.map(a).join(", ")}]`;
    case "copyvec": return `copy(${a(e.src)})`;
    case "ext": return `ext(${e.text})`;
    case "pop": return "pop()";
    case "popobj": return "popobj()";
    case "tape": return "tape()";
    case "tdata": return `data(${a(e.t)})`;
    case "wrap": return `tensor(${a(e.data)}, [${e.dims.map((d) => ("size" in d ? a(d.size) : `...shape(${a(d.shapeOf)})`)).join(", ")}])`;
  }
}

function stmts(list: Stmt[], ind: string, out: string[]): void {
  for (const s of list) {
    switch (s.k) {
      case "let": out.push(`${ind}${s.dst} = ${expr(s.e)}`); break;
      case "store": out.push(`${ind}${a(s.arr)}[${a(s.index)}] ${s.accum ? "+=" : "="} ${a(s.value)}`); break;
      case "call": out.push(`${ind}${s.dsts.join(", ")} = ${s.fn}(${s.args.map(a).join(", ")})${s.nodiff ? " nodiff" : ""}`); break;
      case "if":
        out.push(`${ind}if ${a(s.cond)}`);
        stmts(s.then, ind + "  ", out);
        if (s.else.length) {
          out.push(`${ind}else`);
          stmts(s.else, ind + "  ", out);
        }
        break;
      case "loop":
        out.push(`${ind}loop`);
        stmts(s.pre, ind + "  ", out);
        out.push(`${ind}  while ${a(s.cond)}`);
        stmts(s.body, ind + "  ", out);
        break;
      case "for":
        out.push(`${ind}for ${s.index} in ${a(s.from)}..${a(s.to)}${s.down ? " reversed" : ""}`);
        stmts(s.body, ind + "  ", out);
        break;
      case "push": out.push(`${ind}push ${a(s.a)}`); break;
      case "pushobj": out.push(`${ind}pushobj ${a(s.a)}`); break;
      case "settape": out.push(`${ind}settape ${a(s.sp)}`); break;
      case "fill0": out.push(`${ind}fill0 ${a(s.arr)}`); break;
      case "return": out.push(`${ind}return ${s.values.map(a).join(", ")}`); break;
      case "comment": out.push(`${ind}# ${s.text}`); break;
    }
  }
}

export function printFn(f: Fn): string {
  const out = [`fn ${f.name}(${f.params.map((p) => `${p.name}: ${p.type.k}`).join(", ")}) -> (${f.results.map((t) => t.k).join(", ")})`];
  stmts(f.body, "  ", out);
  return out.join("\n");
}
