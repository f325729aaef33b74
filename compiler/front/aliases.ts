// Writes into arrays the function did not create (SPEC §4: only arrays created
// in the function can be written). The fence at the assignment sees only the
// name written (`x[i] = …` with x a parameter); an alias — `const y = x`,
// `m[0]` of a constant, `c ? x : a`, a helper returning its argument, a
// variable assigned one in a later loop iteration — slips past it, and such a
// write changes the caller's array: forward mode then runs its later sweeps on
// changed inputs (a wrong Jacobian column, silently). So after a function is
// lowered, every array variable that may hold an array from outside
// (a parameter, a captured value, a row of a constant, a result of a call that
// may return one) is found to a fixpoint, flow-insensitively, and a store into
// one is the `param-write` diagnostic at the write.
import type ts from "typescript";
import { type Fn, type Stmt, walk } from "../ir/ir.js";
import { fail } from "./diagnostics.js";

/** The variables of `f` that may hold an array it did not create (undefined: f is not lowered yet). */
function foreignArrays(f: Fn, fns: ReadonlyMap<string, Fn>, memo: Map<Fn, Set<string> | undefined>): Set<string> {
  if (memo.has(f)) return memo.get(f) ?? new Set(f.params.map((p) => p.name));
  memo.set(f, undefined); // (a recursive call meanwhile: its results may be anything)
  const isArr = (name: string) => f.vars.get(name)?.k === "vec";
  const out = new Set<string>([...f.params.filter((p) => p.type.k === "vec").map((p) => p.name), ...f.captures.filter(isArr)]);
  for (let changed = true; changed; ) {
    changed = false;
    const add = (name: string) => {
      if (!out.has(name) && isArr(name)) (out.add(name), (changed = true));
    };
    walk(f.body, (s) => {
      if (s.k === "let" && isArr(s.dst)) {
        const e = s.e;
        // a captured value, a row (or property) read out of a constant, a Tensor's storage or shape, a
        // choice between arrays (a primitive's array is never a new one), a copy of a foreign array
        if (e.k === "ext" || e.k === "load" || e.k === "tdata" || e.k === "prim") add(s.dst);
        else if (e.k === "atom" && e.a.k === "var" && out.has(e.a.name)) add(s.dst);
      } else if (s.k === "call") {
        const g = fns.get(s.fn);
        const done = g && g.body[g.body.length - 1]?.k === "return";
        const back = done ? returnedForeign(g!, fns, memo) : undefined;
        s.dsts.forEach((d, i) => (!back || back[i]) && add(d));
      }
    });
  }
  memo.set(f, out);
  return out;
}

/** Per result of `g`: whether it may be an array `g` did not create (its argument, a captured one). */
function returnedForeign(g: Fn, fns: ReadonlyMap<string, Fn>, memo: Map<Fn, Set<string> | undefined>): boolean[] {
  const inner = foreignArrays(g, fns, memo);
  const last = g.body[g.body.length - 1] as Extract<Stmt, { k: "return" }>;
  return last.values.map((a) => a.k === "var" && inner.has(a.name));
}

/**
 * Throws `param-write` for the first store of `f` into an array it did not
 * create. `writes` maps each store the user wrote to the expression written.
 */
export function checkForeignWrites(f: Fn, fns: ReadonlyMap<string, Fn>, writes: ReadonlyMap<Stmt, ts.Expression>): void {
  if (!writes.size) return;
  const foreign = foreignArrays(f, fns, new Map());
  walk(f.body, (s) => {
    const at = writes.get(s);
    if (!at || s.k !== "store" || s.arr.k !== "var" || !foreign.has(s.arr.name)) return;
    fail(at, "param-write", `write to \`${at.getText()}\`: it may be an array from outside the function (a parameter, a captured array, a row of a constant argument, or one a call returned), and only arrays created in the function can be written; copy it first (\`Float64Array.from(…)\`)`);
  });
}
