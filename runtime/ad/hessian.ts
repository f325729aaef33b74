// Hessian sparsity (compiler/emit/pattern.ts generates the pattern functions)
import { Tensor } from "../tensor.js";
import { allocJacobian } from "../dtype.js";

/** The dependence set of a constant. */
export const adPatEmpty: readonly number[] = Object.freeze([]) as readonly number[];

/** Union of sorted index sets. */
export function adPatUnion(...sets: (readonly number[])[]): readonly number[] {
  let out: readonly number[] = adPatEmpty;
  for (const s of sets) {
    if (!s.length || s === out) continue;
    if (!out.length) {
      out = s;
      continue;
    }
    const m: number[] = [];
    let i = 0;
    let j = 0;
    while (i < out.length || j < s.length) {
      const a = i < out.length ? out[i] : Infinity;
      const b = j < s.length ? s[j] : Infinity;
      if (a === b) (m.push(a), i++, j++);
      else if (a < b) (m.push(a), i++);
      else (m.push(b), j++);
    }
    out = m;
  }
  return out;
}

type Pattern = Map<number, Set<number>>;

function interact(P: Pattern, a: readonly number[], b: readonly number[]): void {
  for (const i of a) {
    let row = P.get(i);
    if (!row) P.set(i, (row = new Set()));
    for (const j of b) {
      row.add(j);
      let col = P.get(j);
      if (!col) P.set(j, (col = new Set()));
      col.add(i);
    }
  }
}

/** u·v: the pairs (i, j), i from u, j from v, interact. */
export function adPatMul(P: Pattern, a: readonly number[], b: readonly number[]): readonly number[] {
  if (a.length && b.length) interact(P, a, b);
  return adPatUnion(a, b);
}

/** A nonlinear function of its operands: every pair of their inputs interacts. */
export function adPatNonlinear(P: Pattern, ...sets: (readonly number[])[]): readonly number[] {
  const u = adPatUnion(...sets);
  if (u.length) interact(P, u, u);
  return u;
}

/**
 * hessian(f) for a vector argument, compressed by column colouring: columns
 * that share no row of the pattern get one forward-over-reverse sweep
 * together (Curtis–Powell–Reid), and each entry is read back directly.
 */
export function adHessianSparse(
  given: unknown[],
  argnum: number,
  pattern: (P: Pattern, ...a: unknown[]) => unknown,
  jvp: (...a: unknown[]) => unknown[],
  nParams = given.length,
  label = "hessian",
  cache?: Map<string, Colouring>,
): Tensor {
  // parameters left out take their defaults inside the generated functions
  const args = given.length < nParams ? [...given, ...new Array(nParams - given.length).fill(undefined)] : given;
  const x = args[argnum] as ArrayLike<number>;
  const n = x.length;
  const f32 = x instanceof Float32Array;
  // the result first: one too big is a RangeError before the pattern's work
  const H = allocJacobian(label, [n, n], f32 ? "float32" : "float64");
  // a program whose path depends on its arguments' lengths only (compiler/ad/shape-only.ts) has one pattern per lengths
  const key = cache && args.map((a) => (Array.isArray(a) || ArrayBuffer.isView(a) ? (a as ArrayLike<number>).length : "")).join(",");
  let c = key === undefined ? undefined : cache!.get(key);
  if (!c) {
    c = colouring(args, argnum, n, pattern);
    if (key !== undefined) {
      if (cache!.size >= 16) cache!.clear(); // a few sizes in turn, not every size ever seen
      cache!.set(key, c);
    }
  }
  const seed = f32 ? new Float32Array(n) : new Float64Array(n);
  const { colors, ncolors, rows } = c;
  for (let k = 0; k < ncolors; k++) {
    for (let j = 0; j < n; j++) seed[j] = colors[j] === k ? 1 : 0;
    const r = jvp(...args, seed);
    const dJ = r[r.length - 1] as Tensor | ArrayLike<number>;
    const d = dJ instanceof Tensor ? dJ.data : dJ;
    for (let j = 0; j < n; j++) {
      if (colors[j] !== k) continue;
      const rj = rows[j];
      for (let q = 0; q < rj.length; q++) H[rj[q] * n + j] = d[rj[q]];
    }
  }
  return new Tensor(H, [n, n]);
}

/** A Hessian's column colouring: colour per column, and the rows of each column's non-zeros. */
export interface Colouring {
  colors: Int32Array;
  ncolors: number;
  rows: Int32Array[];
}

function colouring(args: unknown[], argnum: number, n: number, pattern: (P: Pattern, ...a: unknown[]) => unknown): Colouring {
  const shadows = args.map((a, k) => (k === argnum ? Array.from({ length: n }, (_, i) => [i]) : Array.isArray(a) || ArrayBuffer.isView(a) ? Array.from(a as ArrayLike<number>, () => adPatEmpty) : adPatEmpty));
  const P: Pattern = new Map();
  pattern(P, ...args, ...shadows);
  const colors = new Int32Array(n).fill(-1);
  let ncolors = 0;
  const forbidden = new Int32Array(n + 1).fill(-1);
  for (let j = 0; j < n; j++) {
    for (const i of P.get(j) ?? []) for (const k of P.get(i) ?? []) if (colors[k] >= 0) forbidden[colors[k]] = j;
    let c = 0;
    while (forbidden[c] === j) c++;
    colors[j] = c;
    if (c + 1 > ncolors) ncolors = c + 1;
  }
  const rows = Array.from({ length: n }, (_, j) => Int32Array.from(P.get(j) ?? []));
  return { colors, ncolors, rows };
}
