// The `sj.` rules: a tangent op of a structured Jacobian (compiler/ad/structured.ts)
// calls the runtime entry its primitive's structure class names
// (compiler/ops/structure.ts), chosen here at compile time, with the
// arguments of the op's own runtime call.
import { structureOf } from "../ops/index.js";
import type { RuntimeCall } from "../ops/tensor.js";

/**
 * The `sj.<prim>` rule: the base op's arguments, passed to its structured entry (`__jt.sjMul(own, a, b)`);
 * the entries that run any op (sjMove, sjColumns) take the op's runtime function first.
 */
export function sjJs(prim: string, base: RuntimeCall): (a: string[], attrs: unknown[]) => string {
  const entry = structureOf(prim)?.sj ?? "sjColumns";
  return (a, attrs) => {
    const own = attrs[0] as number;
    const args = base.args(a, attrs.slice(1));
    const head = entry === "sjMove" || entry === "sjColumns" ? [`__jt.${base.fn}`, own] : [own];
    return `__jt.${entry}(${[...head, ...args].join(", ")})`;
  };
}
