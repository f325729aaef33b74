// The values the fuzzer passes and reads: arguments (numbers, number[], Float64Array, Tensor) and
// output leaves, flattened to Float64Array. Shared by check.ts and seed-noise.ts.
import { Tensor } from "jacc";

export type Arg = number | number[] | Float64Array | Tensor;

/** A copy the function under test may not change the original through. */
export const copyArg = (a: Arg): Arg => (typeof a === "number" ? a : a instanceof Tensor ? new Tensor(Float64Array.from(a.data), a.shape) : a.slice());
export const sizeOf = (a: Arg) => (typeof a === "number" ? 1 : a instanceof Tensor ? a.data.length : a.length);
/** One leaf's numbers: a number, a Tensor's data or an array's elements. */
export const flatLeaf = (p: unknown): Float64Array =>
  typeof p === "number" ? Float64Array.of(p) : p instanceof Tensor ? Float64Array.from(p.data) : Float64Array.from(p as ArrayLike<number>);
