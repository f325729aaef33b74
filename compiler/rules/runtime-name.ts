// The runtime function a tensor rule's call text names, and the `sj.` rules
// built on it (a tangent op of a structured Jacobian calls the runtime's `sj`
// dispatcher with the base op's name: compiler/ad/structured.ts).

/** The runtime function a tensor rule's call text names: `__jt.NAME(` or `__jt.adZ("NAME", k, `. */
export function runtimeName(js: string): { name: string; rest: string } | undefined {
  const z = /^__jt\.adZ\("(\w+)", \d+(?:, )?/.exec(js);
  if (z) return { name: z[1], rest: js.slice(z[0].length) };
  const c = /^__jt\.(\w+)\(/.exec(js);
  if (c) return { name: c[1], rest: js.slice(c[0].length) };
  return undefined;
}

/** The `sj.` rule: the base op's runtime call, through the structured dispatcher. */
export function sjJs(baseJs: (a: string[], attrs: unknown[]) => string): (a: string[], attrs: unknown[]) => string {
  return (a, attrs) => {
    const own = attrs[0] as number;
    const text = baseJs(a, attrs.slice(1));
    const r = runtimeName(text)!;
    return `__jt.sj(${JSON.stringify(r.name)}, ${own}${r.rest.startsWith(")") ? "" : ", "}${r.rest}`;
  };
}
