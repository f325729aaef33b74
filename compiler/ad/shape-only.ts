// Whether a number program's path depends on its arguments' lengths only
// (issue 19): then the Hessian's sparsity pattern, which the pattern twin
// (emit/pattern.ts) builds by running the program, is the same for every call
// with the same lengths, and hessian() computes it and its colouring once per
// length and caches them. The path is decided by branch and loop conditions,
// loop bounds, array indices and sizes; each must be computed from literals and
// lengths alone — never from a number argument, an array element, a captured
// constant (it may change between calls) or a call's result.
import { type Expr, type Fn, type Stmt, walk } from "../ir/ir.js";

/** True if every decision `fn` makes reads only literals and the lengths of its array parameters. */
export function pathDependsOnLengthsOnly(fn: Fn): boolean {
  if (!fn.params.every((p) => p.type.k === "num" || p.type.k === "vec")) return false;
  // a value may depend on the arguments' values: taint, to a fixpoint over loops
  const tainted = new Set(fn.params.map((p) => p.name));
  const vecs = new Set(fn.params.filter((p) => p.type.k === "vec").map((p) => p.name));
  // arrays whose length is known from the key: the parameters, and arrays made here of a clean size (checked below)
  const sized = new Set(vecs);
  walk(fn.body, (s) => {
    // (not a plain Array: a write past its end, at an index computed from anything, grows it)
    if (s.k === "let" && s.e.k === "newvec" && !s.e.plain) sized.add(s.dst);
  });
  let ok = true;
  const exprTainted = (e: Expr): boolean => {
    switch (e.k) {
      case "atom": return e.a.k === "var" && tainted.has(e.a.name) && !vecs.has(e.a.name);
      case "prim": return e.args.some((a) => a.k === "var" && tainted.has(a.name));
      case "len": return !(e.arr.k === "var" && sized.has(e.arr.name)); // a parameter's length is part of the cache key
      case "newvec": return false;
      default: return true; // loads (array elements), captured constants, literals of arrays, tape reads
    }
  };
  for (let changed = true; changed; ) {
    changed = false;
    walk(fn.body, (s) => {
      if (s.k === "call" || s.k === "effect" || s.k === "push" || s.k === "pushobj" || s.k === "settape") ok = false;
      if (s.k === "let" && !tainted.has(s.dst) && exprTainted(s.e)) {
        tainted.add(s.dst);
        changed = true;
      }
    });
  }
  if (!ok) return false;
  const clean = (a: { k: string; name?: string }) => a.k !== "var" || !tainted.has(a.name!) || vecs.has(a.name!);
  const decides = (s: Stmt): boolean => {
    if (s.k === "if" || s.k === "loop") return clean(s.cond);
    if (s.k === "for") return clean(s.from) && clean(s.to);
    if (s.k === "store") return clean(s.index);
    if (s.k === "let" && s.e.k === "load") return clean(s.e.index);
    if (s.k === "let" && s.e.k === "newvec") return clean(s.e.len);
    return true;
  };
  walk(fn.body, (s) => {
    if (!decides(s)) ok = false;
  });
  // an array the program builds may be aliased or reassigned: only parameters are indexed safely
  walk(fn.body, (s) => {
    if (s.k === "let" && fn.vars.get(s.dst)?.k === "vec" && !(s.e.k === "newvec")) ok = false;
  });
  return ok;
}
