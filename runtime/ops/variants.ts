// An elementwise op whose options object picks a sibling kernel (gelu's
// `{ approximate: "none" | "tanh" }`, compiler/ops/elementwise.ts `variants`):
// the option checked, the function of the value it names.
import { describe } from "../shape.js";

export function pickVariant<F>(op: string, option: string, opts: unknown, fns: Readonly<Record<string, F>>): F {
  const values = Object.keys(fns);
  if (opts === undefined || opts === null) return fns[values[0]];
  if (typeof opts !== "object") throw new TypeError(`${op}: options must be an object like { ${option}: ${JSON.stringify(values[1])} }, got ${describe(opts)}`);
  for (const k of Object.keys(opts)) if (k !== option) throw new RangeError(`${op}: unknown option ${JSON.stringify(k)} (it takes { ${option} })`);
  const v = (opts as Record<string, unknown>)[option] ?? values[0];
  if (typeof v !== "string" || !Object.hasOwn(fns, v)) throw new RangeError(`${op}: ${option} must be ${values.map((x) => JSON.stringify(x)).join(" or ")}, got ${describe(v)}`);
  return fns[v];
}
