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
 * together (Curtis–Powell–Reid), and each entry is read back directly. With
 * `lanes` (the sweep carrying L tangent columns, compiler/ad/lanes.ts), L
 * colours share one sweep: its primal and reverse-sweep control run once
 * (`jvp`, one colour per sweep, is then not needed: undefined).
 */
export function adHessianSparse(
  given: unknown[],
  argnum: number,
  pattern: (P: Pattern, ...a: unknown[]) => unknown,
  jvp: ((...a: unknown[]) => unknown[]) | undefined,
  nParams = given.length,
  label = "hessian",
  cache?: Map<string | number, Colouring>,
  lanes?: (...a: unknown[]) => unknown[],
  L = 1,
  nScratch = 0,
): Tensor {
  // parameters left out take their defaults inside the generated functions
  const args = given.length < nParams ? [...given, ...new Array(nParams - given.length).fill(undefined)] : given;
  const x = args[argnum] as ArrayLike<number>;
  const n = x.length;
  const f32 = x instanceof Float32Array;
  // the result first: one too big is a RangeError before the pattern's work
  const H = allocJacobian(label, [n, n], f32 ? "float32" : "float64");
  // a program whose path depends on its arguments' lengths only (compiler/ad/shape-only.ts) has one pattern per lengths
  const key = cache && (args.length === 1 ? n : args.map((a) => (Array.isArray(a) || ArrayBuffer.isView(a) ? (a as ArrayLike<number>).length : "")).join(","));
  let c = key === undefined ? undefined : cache!.get(key);
  if (!c || c.f32 !== f32) {
    c = colouring(args, argnum, n, pattern, f32);
    if (key !== undefined) {
      if (cache!.size >= 16) cache!.clear(); // a few sizes in turn, not every size ever seen
      cache!.set(key, c);
    }
  }
  const { ncolors, rows, seeds } = c;
  const cols = c.cols;
  if (lanes) {
    // ⌈colours / L⌉ sweeps; a lane past the last colour gets a zero seed (its tangent is not read).
    // The zero seed, the arrays a sweep writes its results into (compiler/ad/lanes.ts intoScratch) and
    // the argument list are the colouring's, made once: a call allocates the Hessian alone.
    const newVec = () => (f32 ? new Float32Array(n) : new Float64Array(n));
    const zero = ncolors % L ? (c.zero ??= newVec()) : undefined;
    const scratch = nScratch ? (c.scratch ??= Array.from({ length: nScratch }, newVec)) : [];
    const laneArgs = (c.laneArgs ??= [...args, ...new Array(L), ...scratch]);
    for (let i = 0; i < args.length; i++) laneArgs[i] = args[i];
    for (let k0 = 0; k0 < ncolors; k0 += L) {
      for (let l = 0; l < L; l++) laneArgs[args.length + l] = k0 + l < ncolors ? seeds[k0 + l] : zero;
      const r = lanes(...laneArgs);
      const m = r.length - L; // the primal results come first
      for (let l = 0; l < L && k0 + l < ncolors; l++) scatter(H, n, cols[k0 + l], rows, r[m + l]);
    }
    for (let i = 0; i < args.length; i++) laneArgs[i] = undefined; // the cache keeps no argument alive
  } else {
    for (let k = 0; k < ncolors; k++) {
      const r = jvp!(...args, seeds[k]);
      scatter(H, n, cols[k], rows, r[r.length - 1]);
    }
  }
  return new Tensor(H, [n, n]);
}

/** Writes the compressed column `dJ` (one colour's sweep) into H: entry (i, j) for each column j of the colour. */
function scatter(H: Float64Array | Float32Array, n: number, cols: Int32Array, rows: Int32Array[], dJ: unknown): void {
  const d = dJ instanceof Tensor ? dJ.data : (dJ as ArrayLike<number>);
  for (let p = 0; p < cols.length; p++) {
    const j = cols[p];
    const rj = rows[j];
    for (let q = 0; q < rj.length; q++) H[rj[q] * n + j] = d[rj[q]];
  }
}

/**
 * A Hessian's column colouring: colour per column, the rows of each column's
 * non-zeros, the columns of each colour and each colour's seed (kept with the
 * colouring, so a cached one costs no allocation per call).
 */
export interface Colouring {
  colors: Int32Array;
  ncolors: number;
  rows: Int32Array[];
  cols: Int32Array[];
  seeds: (Float64Array | Float32Array)[];
  f32: boolean;
  /** the laned sweep's result arrays, its zero seed and its argument list, made on first use */
  scratch?: (Float64Array | Float32Array)[];
  zero?: Float64Array | Float32Array;
  laneArgs?: unknown[];
}

function colouring(args: unknown[], argnum: number, n: number, pattern: (P: Pattern, ...a: unknown[]) => unknown, f32: boolean): Colouring {
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
  const cols = Array.from({ length: ncolors }, (_, k) => Int32Array.from(colors.keys()).filter((j) => colors[j] === k));
  const seeds = cols.map((cs) => {
    const s = f32 ? new Float32Array(n) : new Float64Array(n);
    for (const j of cs) s[j] = 1;
    return s;
  });
  return { colors, ncolors, rows, cols, seeds, f32 };
}
