// Forward mode's structural zeros on the path a run takes (the forward twin of
// vjp.ts maybeUnreached).
//
// Activity analysis is flow-insensitive: `acc` varies when any assignment to it
// reads an input, though the run may take only assignments from constants
// (`let acc = 0; if (0 > x) acc += x; … acc = 0.5 * acc + tanh(1.2 ** (2 ** 16))`).
// Its tangent is then 0, and a rule multiplying 0 by an infinite partial
// (tanh's at ∞ times pow's, 0 · ∞) gives NaN, where PyTorch and JAX, whose
// forward mode carries no tangent for a value that does not depend on the
// inputs on this run, give the derivative (seed 20560041). Such a variable gets
// a run-time switch: false where its value came from constants on this path,
// true once an input reached it; a definition whose switched operands are off
// computes its tangent as if they did not vary (the rule's structural zeros),
// not as 0 · partial.
//
// `switched(fn, varied)` is the set of varied number variables that may be off:
// defined, on some path, by a statement none of whose varied operands is surely
// on (a fixpoint). Every other varied variable is on wherever it is defined.
import type { Atom, Expr, Fn, Stmt } from "../ir/ir.js";
import { walk } from "../ir/ir.js";
import { ruleOf } from "../rules/index.js";

/** The operands a definition's tangent reads (null: one whose tangent is always on, a load or a pop). */
export function tangentOperands(s: Stmt): Atom[] | null {
  if (s.k === "call") return s.nodiff ? [] : s.args;
  if (s.k !== "let") return null;
  const e = s.e;
  if (e.k === "atom") return [e.a];
  if (e.k === "prim") {
    const r = ruleOf(e.op);
    return r.zero ? [] : e.args.slice(0, r.operands ?? e.args.length);
  }
  return null;
}

export function switched(fn: Fn, varied: Set<string>, usesTape: (fnName: string) => boolean): Set<string> {
  const off = new Set<string>();
  const defs = new Map<string, Stmt[]>();
  const note = (x: string, s: Stmt) => varied.has(x) && fn.vars.get(x)?.k === "num" && defs.set(x, [...(defs.get(x) ?? []), s]);
  walk(fn.body, (s) => {
    if (s.k === "let") note(s.dst, s);
    // (a call that runs a sweep of its own carries tangents on the tape: always on)
    else if (s.k === "call" && !usesTape(s.fn)) s.dsts.forEach((d) => note(d, s));
  });
  // (a number parameter's tangent is the seed: always on)
  for (const p of fn.params) defs.delete(p.name);
  const surelyOn = (a: Atom) => a.k === "var" && varied.has(a.name) && !off.has(a.name);
  let changed = true;
  while (changed) {
    changed = false;
    for (const [x, list] of defs) {
      if (off.has(x)) continue;
      const mayBeOff = list.some((s) => {
        const ops = tangentOperands(s);
        return ops !== null && !ops.some(surelyOn);
      });
      if (mayBeOff) {
        off.add(x);
        changed = true;
      }
    }
  }
  return off;
}

/** ops whose tangent never multiplies an operand's by a factor that can be ±∞ or NaN where the value is finite (sums; tanh, sigmoid, atan: bounded derivatives from their outputs) */
const BOUNDED = new Set(["add", "sub", "neg", "tanh", "sigmoid", "atan", "t.add", "t.sub", "t.neg", "t.tanh", "t.sigmoid", "t.atan"]);

/**
 * Whether the tangent of `e` may multiply operand `x`'s by a factor that is not finite: only then does a
 * structural zero have to be kept apart from a 0 (0 · ∞). A sum, or a product with a literal, never does.
 */
export function scaledByPartial(e: Expr, x: string): boolean {
  if (e.k !== "prim") return false;
  if (BOUNDED.has(e.op)) return false;
  const isX = (a: Atom) => a.k === "var" && a.name === x;
  const literal = (a: Atom) => a.k === "lit" && typeof a.v === "number" && Number.isFinite(a.v);
  if (e.op === "mul" || e.op === "t.mul") return !e.args.slice(0, 2).every((a) => isX(a) || literal(a)) || e.args.slice(0, 2).every(isX);
  const d = e.args[1];
  if (e.op === "div" || e.op === "t.div") return !(isX(e.args[0]) && d.k === "lit" && literal(d) && d.v !== 0);
  return true;
}
