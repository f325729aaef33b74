// One lookup over both rule tables (scalar Math primitives, tensor ops).
import type { Atom, Builder, Type } from "../ir/ir.js";
import { scalarRules } from "./scalar.js";
import { tensorRules } from "./tensor.js";
import { batchedRules, batchRules } from "./batch.js";
import { sjJs } from "./structured.js";
import { call, lits, runtimeCall } from "../ops/tensor.js";

type Tan = Atom | null;

export interface Rule {
  zero?: boolean;
  js: (a: string[], attrs: unknown[]) => string;
  jvp?: (b: Builder, x: Atom[], dx: Tan[], out: Atom, attrs: unknown[]) => Tan;
  vjp?: (b: Builder, x: Atom[], out: Atom, ct: Atom, active: boolean[], attrs: unknown[], types: Type[]) => Tan[];
  /** how many leading arguments are differentiable (the rest are integers) */
  operands?: number;
  tensor: boolean;
}

const cache = new Map<string, Rule>();

export function ruleOf(op: string): Rule {
  let r = cache.get(op);
  if (r) return r;
  if (op.startsWith("tz.")) {
    // the same op on tangents that may be undefined (structural zeros)
    const base = ruleOf(`t.${op.slice(3)}`);
    const name = op.slice(3);
    const nOperands = base.operands ?? 1;
    r = { ...base, js: call("adZ", (a, attrs) => [JSON.stringify(name), String(nOperands), ...a, ...lits(attrs)]) };
    cache.set(op, r);
    return r;
  }
  if (op.startsWith("fuse:")) {
    // a fused elementwise chain or one-block Jacobian (compiler/opt/fuse.ts, fuse-jacobian.ts): its generated helper
    r = { tensor: true, zero: true, js: (a) => `${op.slice(5)}(${a.join(", ")})` };
    cache.set(op, r);
    return r;
  }
  if (op.startsWith("sj.")) {
    // a tangent op on structured Jacobians (compiler/ad/structured.ts): never differentiated again
    // (a tz. op's structured form is its t. op's: the sj entries take undefined tangents)
    const prim = op.slice(3);
    const base = runtimeCall(ruleOf(prim.startsWith("tz.") ? `t.${prim.slice(3)}` : prim).js);
    if (!base) throw new Error(`internal: ${prim} calls no runtime function, so it has no structured form`);
    r = { tensor: true, zero: true, js: sjJs(prim, base) };
    cache.set(op, r);
    return r;
  }
  const s = scalarRules[op];
  if (s) r = { zero: s.zero, js: (a, attrs) => s.js(a, attrs), jvp: s.jvp, vjp: s.vjp ? (b, x, out, ct, act) => s.vjp!(b, x, out, ct, act) : undefined, tensor: false };
  else {
    const t = tensorRules[op] ?? batchRules[op] ?? batchedRules[op];
    if (!t) throw new Error(`no derivative rule for primitive ${op}`);
    r = { ...t, tensor: true };
  }
  cache.set(op, r);
  return r;
}
