// How much a derivative's own rounding moves it at a point: the second
// rounding test, for differences between modes that the program's largest
// value (magnitude.ts) does not explain.
//
// A derivative can be ill-conditioned although no value is large. Where a loop
// iterates acc += sin(acc) into its fixed point −3π, the tangent is multiplied
// by 1 + cos(acc) ≈ 3.6e-10 on each step, computed as t + cos(acc)·t: the sum
// cancels, and each mode keeps only eps / 3.6e-10 ≈ 6e-7 of its digits. Forward
// and reverse mode then differ by 1.7e-7 relative, both being that far from the
// exact derivative of the path the float64 program takes (seed 20420028 in
// test/fuzz/OPEN.md: its exact derivative, computed with 60-digit tangents on
// the float64 primal path, lies 2.5e-7 from jacfwd's and 7.7e-8 from jacrev's).
// Moving the point does not resample that rounding: the fixed point absorbs it.
//
// Scaling the seed does. jvp with tangent s·e_k and vjp with cotangent s·e_r
// run the same primal path, and in exact arithmetic give s times the unscaled
// entry, whether the code is right or wrong (derivative code is linear in its
// seed). For s = 3, 5, 7, 1/3 the mantissas differ, so every tangent and
// cotangent sum rounds afresh: the spread of one mode's results divided by s
// is that mode's rounding noise. A compiler bug (a missing or wrong term) moves
// all of one mode's results together: its spread stays at rounding and the
// difference between modes stands. Only a difference within the two spreads is
// excused, and only where the spreads are below 1e-5·(1 + |entry|) (a seed that
// entered nonlinearly, a bug of another kind, would spread by far more).
import { Tensor } from "jacc";
import type { Subject } from "./check.js";
import { type Arg, copyArg, flatLeaf, sizeOf } from "./values.js";

export const SEED_SCALES = [1, 3, 5, 7, 1 / 3];
/** the largest spread that is still taken for rounding (relative to 1 + |entry|) */
export const SPREAD_CAP = 1e-5;

/** The module that gives jvp and vjp of `f` with any seed (compiled only where a mode differs). */
export function seedNoiseCode(s: Subject): string {
  const ps = s.params.map((p) => `${p.name}: ${p.type}`);
  const ts = s.params.map((p) => `${p.name}_t: ${p.type}`);
  const names = s.params.map((p) => p.name).join(", ");
  return [
    `import { jvp, vjp } from "jacc";`,
    ...(s.imports ? [s.imports] : []),
    s.source,
    "// ---- appended by the fuzzer (test/fuzz/seed-noise.ts)",
    `export const jv = (${[...ps, ...ts].join(", ")}) => jvp(f, [${names}], [${s.params.map((p) => `${p.name}_t`).join(", ")}]);`,
    `export const vj = (${ps.join(", ")}) => vjp(f, [${names}]);`,
    "",
  ].join("\n");
}


/** A value shaped like `like` (an argument or an output leaf), zero but for `v` at element e (none for e < 0). */
function basis(like: unknown, e: number, v: number): unknown {
  if (typeof like === "number") return e === 0 ? v : 0;
  if (like instanceof Tensor) {
    const d = new Float64Array(like.data.length);
    if (e >= 0) d[e] = v;
    return new Tensor(d, like.shape);
  }
  const n = (like as ArrayLike<number>).length;
  const d = like instanceof Float64Array ? new Float64Array(n) : new Array<number>(n).fill(0);
  if (e >= 0) d[e] = v;
  return d;
}

export interface Spread {
  /** per element of the block [out i][in j] (row-major out ++ in): max − min of the forward results / s */
  forward: Float64Array;
  reverse: Float64Array;
}

type SeedModule = { f: (...a: Arg[]) => unknown; jv: (...a: unknown[]) => unknown; vj: (...a: Arg[]) => unknown };

/**
 * Block [out i][in j] (row-major out ++ in) computed by jvp, one column per
 * input element, and by vjp, one row per output element, with seeds sc·e,
 * each result divided by sc.
 */
export function seededBlock(s: Subject, mod: SeedModule, args: Arg[], i: number, j: number, sc: number): { forward: Float64Array; reverse: Float64Array } {
  const y = mod.f(...args.map(copyArg));
  const outs = s.tuple ? (y as unknown[]) : [y];
  const m = flatLeaf(outs[i]).length;
  const n = sizeOf(args[j]);
  const forward = new Float64Array(m * n);
  const reverse = new Float64Array(m * n);
  for (let e = 0; e < n; e++) {
    const tangents = args.map((a, k) => basis(a, k === j ? e : -1, sc));
    const [, out] = mod.jv(...args.map(copyArg), ...tangents) as [unknown, unknown];
    const col = flatLeaf(s.tuple ? (out as unknown[])[i] : out);
    for (let q = 0; q < m; q++) forward[q * n + e] = col[q] / sc;
  }
  const [, back] = mod.vj(...args.map(copyArg)) as [unknown, (ct: unknown) => unknown[]];
  for (let q = 0; q < m; q++) {
    const leaves = outs.map((o, k) => basis(o, k === i ? q : -1, sc));
    const row = flatLeaf(back(s.tuple ? leaves : leaves[0])[j]);
    for (let e = 0; e < n; e++) reverse[q * n + e] = row[e] / sc;
  }
  return { forward, reverse };
}

/** The spread of block [out i][in j] over SEED_SCALES, in each mode. */
export function seedSpread(s: Subject, mod: SeedModule, args: Arg[], i: number, j: number): Spread {
  let lo: Spread | undefined;
  let hi: Spread | undefined;
  for (const sc of SEED_SCALES) {
    const b = seededBlock(s, mod, args, i, j, sc);
    if (!lo || !hi) {
      lo = { forward: b.forward.slice(), reverse: b.reverse.slice() };
      hi = { forward: b.forward.slice(), reverse: b.reverse.slice() };
      continue;
    }
    for (const k of ["forward", "reverse"] as const) {
      b[k].forEach((v, q) => {
        lo![k][q] = Math.min(lo![k][q], v);
        hi![k][q] = Math.max(hi![k][q], v);
      });
    }
  }
  return { forward: hi!.forward.map((v, q) => v - lo!.forward[q]), reverse: hi!.reverse.map((v, q) => v - lo!.reverse[q]) };
}

/** What block [i][j] may differ by between two modes: both spreads, where each is small enough to be rounding. */
export function spreadAllowance(sp: Spread, expected: Float64Array): Float64Array {
  return expected.map((x, k) => {
    const a = sp.forward[k] + sp.reverse[k];
    return Number.isFinite(a) && a <= SPREAD_CAP * (1 + Math.abs(x)) ? a : 0;
  });
}
