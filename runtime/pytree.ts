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
  for (let i = 0; i < trees.length; i++) {
    // (the fast walk builds no paths: a bad argument is walked again to say where)
    if (!leaves(args[i], trees[i], out)) explain(args[i], trees[i], `argument ${i + 1}`, label);
  }
  return out;
}

/** Pushes the leaves of `x`; false where it does not have the tree's structure. */
function leaves(x: unknown, t: PyTree, out: unknown[]): boolean {
  if (typeof t === "number") {
    out.push(x);
    return true;
  }
  if (Array.isArray(t)) {
    if (!Array.isArray(x) || x.length !== t.length) return false;
    for (let i = 0; i < t.length; i++) if (!leaves(x[i], t[i], out)) return false;
    return true;
  }
  if (x === null || typeof x !== "object") return false;
  for (let i = 0; i < t.keys.length; i++) {
    const k = t.keys[i];
    if (!(k in x) || !leaves((x as Record<string, unknown>)[k], t.items[i], out)) return false;
  }
  return true;
}

/** Throws the TypeError for the first place where `x` does not have the tree's structure. */
function explain(x: unknown, t: PyTree, path: string, label: string): void {
  if (typeof t === "number") return;
  if (Array.isArray(t)) {
    if (!Array.isArray(x) || x.length !== t.length) throw new TypeError(`${label}: ${path} must be an array of ${t.length} entries, got ${kind(x)}`);
    t.forEach((s, i) => explain(x[i], s, `${path}[${i}]`, label));
    return;
  }
  if (x === null || typeof x !== "object") throw new TypeError(`${label}: ${path} must be an object with ${t.keys.map((k) => `\`${k}\``).join(", ")}, got ${kind(x)}`);
  t.keys.forEach((k, i) => {
    if (!(k in x)) throw new TypeError(`${label}: ${path} has no property \`${k}\``);
    explain((x as Record<string, unknown>)[k], t.items[i], `${path}.${k}`, label);
  });
}
