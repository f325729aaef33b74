// Non-finite derivatives that IEEE arithmetic gives in any AD, PyTorch's too:
// the third excuse the oracle knows, after rounding (magnitude.ts, seed-noise.ts).
//
// Seed 20480029 (test/fuzz/OPEN.md) computes tanh(0.9045 ** J) with J ≈ −20236:
// the pow overflows to ∞ and tanh gives 1. Its derivative in either mode is
// sech²(∞) · ∞ · ln 0.9045 = 0 · ∞ = NaN, where the exact value is finite. A
// Jacobian then differs between modes in entries that do not depend on J at
// all, because each lane of a Jacobian runs the whole sweep with a zero seed
// for the others: jacrev's row for a constant output sends a zero cotangent
// through that path (0 · ∞ = NaN) and jacfwd's column for another input a
// zero tangent. functorch 1.13 on `x ↦ (0, x·(1 + tanh(0.9045^x)/2))` at
// x = −20000 gives exactly jacc's numbers: jacrev (NaN, NaN), jacfwd (0, NaN);
// only torch.autograd.functional.jacobian without `vectorize`, which
// differentiates one output at a time, gives 0 for the constant output.
//
// Two more ways a finite derivative shows as non-finite in one mode only, and
// what the oracle accepts for each, narrowly:
//
// - the seed's own products overflow: a tangent carried through values near
//   1e306 exceeds the largest double although the derivative is 11201.5 (the
//   shrunk seed 20480029). Derivative code is linear in its seed, so the block
//   is computed again with seeds scaled by 2^-300 (exact: a power of two) and
//   divided back; that value must then agree with the other mode as usual.
// - a zero seed meets an infinite partial (above): an entry non-finite in one
//   mode only is accepted where another entry of its lane (reverse: another
//   output element of the same input element; forward: another input element
//   of the same output element) is non-finite in both modes, i.e. the lane
//   really runs through a non-finite derivative.
//
// Against finite differences, an entry non-finite in both modes (after the
// scaled seeds) is accepted only where the program itself computed ±∞ or NaN
// at the point (magnitude.ts measureAt). Earlier bugs of this family (a zero
// cotangent through an overflowed value on a path the run does not take,
// fixtures/scalar/untaken_paths.ts) stay visible: there forward mode is finite
// everywhere, so none of the three applies.

export type Mode = "forward" | "reverse";

/** Both modes' Jacobians at a point: blocks [out i][in j], each row-major (out element ++ in element). */
export interface Jacobians {
  reverse: Float64Array[][];
  forward: Float64Array[][];
  outSizes: number[];
  inSizes: number[];
}

/** the seed scale that keeps a tangent or cotangent of the scale of 1e300 finite */
export const OVERFLOW_SCALE = 2 ** -300;

const bad = (v: number) => !Number.isFinite(v);

/**
 * Whether entry q of block [i][j], non-finite in `mode` only, may come from a
 * zero seed meeting another entry's non-finite derivative in the same lane.
 */
export function zeroSeedLane(J: Jacobians, mode: Mode, i: number, j: number, q: number): boolean {
  const n = J.inSizes[j];
  const a = Math.floor(q / n);
  const b = q % n;
  const both = (i2: number, j2: number, q2: number) => bad(J.reverse[i2][j2][q2]) && bad(J.forward[i2][j2][q2]);
  if (mode === "reverse") {
    // the row of output element a ran through every output's path
    for (let i2 = 0; i2 < J.outSizes.length; i2++) {
      for (let a2 = 0; a2 < J.outSizes[i2]; a2++) if ((i2 !== i || a2 !== a) && both(i2, j, a2 * n + b)) return true;
    }
    return false;
  }
  for (let j2 = 0; j2 < J.inSizes.length; j2++) {
    const n2 = J.inSizes[j2];
    for (let b2 = 0; b2 < n2; b2++) if ((j2 !== j || b2 !== b) && both(i, j2, a * n2 + b2)) return true;
  }
  return false;
}
