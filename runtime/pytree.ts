// Structured arguments (torch.func's and JAX's pytrees): a record or tuple
// argument of a generated function is passed as its leaves, in the order the
// compiler flattened the parameter's type (compiler/front/lower.ts). The
// compiler writes each parameter's structure as a tree: a number is a leaf,
// an array a tuple, `{ keys, items }` a record, `{ list, of, axis }` an array
// of any length of records or tuples of numbers (`ps: Point[]`), passed as one
// Float64Array of their numbers, element after element.
import { Tensor } from "./tensor.js";
import { packTensors } from "./tensor-list.js";

/** A parameter's structure, as the compiler writes it. */
export type PyTree = number | PyTree[] | { keys: string[]; items: PyTree[] } | PyList;
/** An array of records or tuples of numbers: `list` is one element's structure, its leaves the numbers' offsets. */
export interface PyList { list: PyTree; of: PyTree; axis: number; tensors?: true; param?: number }

const isList = (t: PyTree): t is PyList => typeof t === "object" && "list" in t;

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
  if (isList(t)) {
    const flat = t.tensors ? tensorList(x, t) : flatList(x, t);
    if (!flat) return false;
    out.push(flat);
    return true;
  }
  if (x === null || typeof x !== "object") return false;
  for (let i = 0; i < t.keys.length; i++) {
    const k = t.keys[i];
    if (!(k in x) || !leaves((x as Record<string, unknown>)[k], t.items[i], out)) return false;
  }
  return true;
}

/** The numbers of an array of records or tuples, element after element; undefined where it is not one. */
function flatList(x: unknown, t: PyList): Float64Array | undefined {
  if (!Array.isArray(x)) return undefined;
  const k = width(t.list);
  const flat = new Float64Array(x.length * k);
  for (let e = 0; e < x.length; e++) if (!numbers(x[e], t.list, flat, e * k)) return undefined;
  return flat;
}

/** An array of Tensors (or records or tuples of them) as one flat Tensor of their entries (runtime/tensor-list.ts); undefined where it is not one. */
function tensorList(x: unknown, t: PyList): Tensor | undefined {
  if (!Array.isArray(x)) return undefined;
  const k = width(t.list);
  const pieces = new Array<unknown>(x.length * k);
  for (let e = 0; e < x.length; e++) if (!tensors(x[e], t.list, pieces, e * k)) return undefined;
  return packTensors(pieces, "array of Tensors");
}

/** Puts the Tensors of one element at `base` + each leaf's offset; false where it does not fit. */
function tensors(x: unknown, t: PyTree, out: unknown[], base: number): boolean {
  if (typeof t === "number") {
    if (!(x instanceof Tensor)) return false;
    out[base + t] = x;
    return true;
  }
  if (Array.isArray(t)) return Array.isArray(x) && x.length === t.length && t.every((s, i) => tensors(x[i], s, out, base));
  if (isList(t) || x === null || typeof x !== "object") return false;
  return t.keys.every((k, i) => k in x && tensors((x as Record<string, unknown>)[k], t.items[i], out, base));
}

/** Writes the numbers of one element at `base` + each leaf's offset; false where it does not fit. */
function numbers(x: unknown, t: PyTree, flat: Float64Array, base: number): boolean {
  if (typeof t === "number") {
    if (typeof x !== "number") return false;
    flat[base + t] = x;
    return true;
  }
  if (Array.isArray(t)) {
    if (!Array.isArray(x) || x.length !== t.length) return false;
    return t.every((s, i) => numbers(x[i], s, flat, base));
  }
  if (isList(t) || x === null || typeof x !== "object") return false;
  return t.keys.every((k, i) => k in x && numbers((x as Record<string, unknown>)[k], t.items[i], flat, base));
}

const width = (t: PyTree): number => (typeof t === "number" ? 1 : Array.isArray(t) ? t.reduce<number>((n, s) => n + width(s), 0) : isList(t) ? 1 : t.items.reduce<number>((n, s) => n + width(s), 0));

/**
 * A result block of an array-of-records input (its axis `axis` running over
 * the elements' numbers) as the user's array: `build` makes one element from
 * `b[j][i]`, the slice at the element's number j of the i-th block.
 */
export function adUnlist(blocks: readonly unknown[], k: number, axis: number, build: (b: unknown[][]) => unknown): unknown[] {
  const first = blocks[0] as Tensor | ArrayLike<number>;
  const size = "shape" in first ? first.shape[axis < 0 ? first.shape.length + axis : axis] : first.length;
  const out = new Array<unknown>(size / k);
  for (let e = 0; e < out.length; e++) {
    const b: unknown[][] = [];
    for (let j = 0; j < k; j++) b.push(blocks.map((blk) => pick(blk as Tensor | ArrayLike<number>, axis, e * k + j)));
    out[e] = build(b);
  }
  return out;
}

/** One index of a block along `axis`: a number from a vector (a Tensor, or vjp's cotangent of a vector), else a Tensor. */
function pick(t: Tensor | ArrayLike<number>, axis: number, i: number): unknown {
  if (!("shape" in t)) return t[i];
  if (t.shape.length === 1 && t.device === "cpu") return t.data[i];
  const s = t.select(axis, i);
  return s.shape.length === 0 ? s.item() : s;
}

/** Throws the TypeError for the first place where `x` does not have the tree's structure. */
function explain(x: unknown, t: PyTree, path: string, label: string): void {
  if (typeof t === "number") return;
  if (isList(t)) {
    if (!Array.isArray(x)) throw new TypeError(`${label}: ${path} must be an array of ${typeof t.list === "number" && t.tensors ? "Tensors" : shapeText(t.list)}, got ${kind(x)}`);
    x.forEach((el, e) => explainNumbers(el, t.list, `${path}[${e}]`, label, t.tensors ? "Tensor" : "number"));
    return;
  }
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

/** The TypeError for the first place where an element of an array of records does not fit its structure of numbers. */
function explainNumbers(x: unknown, t: PyTree, path: string, label: string, leaf: "number" | "Tensor" = "number"): void {
  if (typeof t === "number") {
    if (leaf === "number" ? typeof x !== "number" : !(x instanceof Tensor)) throw new TypeError(`${label}: ${path} must be a ${leaf}, got ${kind(x)}`);
    return;
  }
  if (Array.isArray(t)) {
    if (!Array.isArray(x) || x.length !== t.length) throw new TypeError(`${label}: ${path} must be an array of ${t.length} entries, got ${kind(x)}`);
    t.forEach((s, i) => explainNumbers(x[i], s, `${path}[${i}]`, label, leaf));
    return;
  }
  if (isList(t)) return;
  if (x === null || typeof x !== "object") throw new TypeError(`${label}: ${path} must be an object with ${t.keys.map((k) => `\`${k}\``).join(", ")}, got ${kind(x)}`);
  t.keys.forEach((k, i) => {
    if (!(k in x)) throw new TypeError(`${label}: ${path} has no property \`${k}\``);
    explainNumbers((x as Record<string, unknown>)[k], t.items[i], `${path}.${k}`, label, leaf);
  });
}

/** How an element's structure reads in a message: "records with `x`, `y`" or "tuples of 2 entries". */
const shapeText = (t: PyTree): string => (Array.isArray(t) ? `tuples of ${t.length} entries` : typeof t === "object" && "keys" in t ? `records with ${t.keys.map((k) => `\`${k}\``).join(", ")}` : "numbers");
