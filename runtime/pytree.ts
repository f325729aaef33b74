// Structured arguments (torch.func's and JAX's pytrees): a record or tuple
// argument of a generated function is passed as its leaves, in the order the
// compiler flattened the parameter's type (compiler/front/lower.ts). The
// compiler writes each parameter's structure as a tree: a number is a leaf,
// an array a tuple, `{ keys, items }` a record.

/** A parameter's structure, as the compiler writes it. */
export type PyTree = number | PyTree[] | { keys: string[]; items: PyTree[] };

const kind = (x: unknown): string => (x === null ? "null" : Array.isArray(x) ? `an array of ${x.length}` : typeof x === "object" ? "an object" : typeof x);

/**
 * The leaves of `args`, one parameter per tree, in order; a TypeError naming
 * the marker and the path of what is missing or of the wrong kind. `min`: the
 * arguments that must be given (trailing leaves with defaults may be left out).
 */
export function adFlatten(args: readonly unknown[], trees: readonly PyTree[], min: number, label: string): unknown[] {
  if (args.length < min || args.length > trees.length) {
    const want = min === trees.length ? `${min}` : `${min} to ${trees.length}`;
    throw new TypeError(`${label}: expected ${want} argument${trees.length === 1 ? "" : "s"}, got ${args.length}`);
  }
  const out: unknown[] = [];
  const go = (x: unknown, t: PyTree, path: string): void => {
    if (typeof t === "number") {
      out.push(x);
      return;
    }
    if (Array.isArray(t)) {
      if (!Array.isArray(x) || x.length !== t.length) throw new TypeError(`${label}: ${path} must be an array of ${t.length} entries, got ${kind(x)}`);
      t.forEach((s, i) => go(x[i], s, `${path}[${i}]`));
      return;
    }
    if (x === null || typeof x !== "object") throw new TypeError(`${label}: ${path} must be an object with ${t.keys.map((k) => `\`${k}\``).join(", ")}, got ${kind(x)}`);
    t.keys.forEach((k, i) => {
      if (!(k in x)) throw new TypeError(`${label}: ${path} has no property \`${k}\``);
      go((x as Record<string, unknown>)[k], t.items[i], `${path}.${k}`);
    });
  };
  trees.forEach((t, i) => go(args[i], t, `argument ${i + 1}`));
  return out;
}
