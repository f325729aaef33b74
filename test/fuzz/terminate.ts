// The generator's own check: a generated program, run as plain JavaScript (no
// jacc), terminates and gives finite values at its points. Every loop of the
// grammar is meant to terminate by construction (a counter that moves towards
// its bound on every path, a guard counter where it may move back, bounded
// recursion depths) and every read to be in range (y[i] only where i < y.length
// holds, else an index modulo the length); a program that breaks either is a
// bug of the generator, which this finds without hanging: the call runs in a
// node:vm context with a time limit.
import vm from "node:vm";
import ts from "typescript";
import * as jacc from "jacc";
import type { Arg } from "./check.js";
import { subjectOf, type Kind } from "./engine.js";

export interface PlainRun {
  ok: boolean;
  /** why not: "timeout", "threw …", "not finite …" */
  why?: string;
}

const compilerOptions: ts.CompilerOptions = { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS };

const finite = (v: unknown): boolean =>
  typeof v === "number"
    ? Number.isFinite(v)
    : v instanceof jacc.Tensor
      ? [...v.data].every(Number.isFinite)
      : Array.isArray(v) || ArrayBuffer.isView(v) // (arrays made inside the vm context are of its realm)
        ? Array.from(v as ArrayLike<unknown>).every(finite)
        : false;

// vjp and jvp inside f (the tensor grammar's helper calls) are markers, which need the compiler: here they are
// stand-ins giving values of the right shapes (f's value, the given tangent, the given cotangent), enough to
// see that the program's loops end and its values stay finite
const plainJacc = {
  ...jacc,
  vjp: (h: (...a: unknown[]) => unknown, p: unknown[]) => [h(...p), (ct: unknown) => p.map(() => ct)],
  jvp: (h: (...a: unknown[]) => unknown, p: unknown[], t: unknown[]) => [h(...p), t[0]],
};
const ctx = vm.createContext({ exports: {}, require: (m: string) => (m === "jacc" ? plainJacc : undefined) });

/** Runs the generated f at each of its points, each call limited to `ms`. */
export function runPlain(kind: Kind, value: unknown, ms = 2000): PlainRun {
  const s = subjectOf(kind, value);
  const js = ts.transpileModule(`${s.imports ?? ""}\n${s.source}`, { compilerOptions }).outputText;
  // one context for all programs (creating one costs more than running most programs); each module in its own function scope
  ctx.exports = {};
  vm.runInContext(`(function (exports, require) {\n${js}\n})(exports, require);`, ctx, { timeout: ms });
  for (const [p, args] of s.points.entries()) {
    ctx.__args = args.map((a: Arg) => (typeof a === "number" ? a : a instanceof jacc.Tensor ? new jacc.Tensor(Float64Array.from(a.data), a.shape) : a.slice()));
    let out: unknown;
    try {
      out = vm.runInContext("exports.f(...__args)", ctx, { timeout: ms });
    } catch (e) {
      const m = String((e as Error).message);
      return { ok: false, why: /timed out/.test(m) ? `timeout at point ${p} (a loop or a recursion that does not end)` : `threw at point ${p}: ${m}` };
    }
    if (!finite(out)) return { ok: false, why: `not finite at point ${p}: ${String(out)}` };
  }
  return { ok: true };
}
