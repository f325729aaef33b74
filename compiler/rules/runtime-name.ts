// The runtime function a tensor rule's call text names, and the `sj.` rules
// built on it: a tangent op of a structured Jacobian (compiler/ad/structured.ts)
// calls the runtime entry its primitive's structure class names
// (compiler/ops/structure.ts), chosen here at compile time.
import { structureOf } from "../ops/index.js";

/** The runtime function a tensor rule's call text names: `__jt.NAME(` or `__jt.adZ("NAME", k, `. */
export function runtimeName(js: string): { name: string; rest: string } | undefined {
  const z = /^__jt\.adZ\("(\w+)", \d+(?:, )?/.exec(js);
  if (z) return { name: z[1], rest: js.slice(z[0].length) };
  const c = /^__jt\.(\w+)\(/.exec(js);
  if (c) return { name: c[1], rest: js.slice(c[0].length) };
  return undefined;
}

/**
 * The `sj.<prim>` rule: the base op's arguments, passed to its structured entry (`__jt.sjMul(own, a, b)`);
 * the entries that run any op (sjMove, sjColumns) take the op's runtime function first.
 */
export function sjJs(prim: string, baseJs: (a: string[], attrs: unknown[]) => string): (a: string[], attrs: unknown[]) => string {
  const entry = structureOf(prim)?.sj ?? "sjColumns";
  return (a, attrs) => {
    const own = attrs[0] as number;
    const r = runtimeName(baseJs(a, attrs.slice(1)))!;
    const head = entry === "sjMove" || entry === "sjColumns" ? `__jt.${entry}(__jt.${r.name}, ${own}` : `__jt.${entry}(${own}`;
    return `${head}${r.rest.startsWith(")") ? "" : ", "}${r.rest}`;
  };
}
