// Helpers for the tensor rule tests: float64 tensors from flat values, a
// flattened view of a result (number or Tensor), central finite differences of
// a function of tensor and number arguments, and structure checks for SPEC §3
// result blocks (number vs Tensor, shape out.shape ++ in.shape, dtype).
import { Tensor } from "jacc";

/** A differentiable argument: a Tensor of that shape, or a number. */
export type ArgSpec = number[] | "num";
export type Arg = Tensor | number;

export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
export const shapeOf = (s: ArgSpec): number[] => (s === "num" ? [] : s);
export const fmtShape = (s: readonly number[]): string => `[${s.join(",")}]`;

/** A float64 Tensor of `shape` holding `values` (copied). */
export function t64(values: ArrayLike<number>, shape: readonly number[]): Tensor {
  return new Tensor(Float64Array.from(values), shape.slice());
}

/** An argument from flat values. */
export function makeArg(spec: ArgSpec, values: ArrayLike<number>): Arg {
  return spec === "num" ? values[0] : t64(values, spec);
}

/** An independent copy of an argument. */
export function cloneArg(a: Arg): Arg {
  return typeof a === "number" ? a : t64(a.data, a.shape);
}

/** A value's flat data and shape; `shape` is null for a JS number. */
export interface Flat { shape: number[] | null; data: Float64Array; dtype: string }

export function isTensor(v: unknown): v is Tensor {
  return v instanceof Tensor || (v !== null && typeof v === "object" && typeof (v as Tensor).toArray === "function" && "shape" in (v as object));
}

export function flat(v: unknown): Flat | undefined {
  if (typeof v === "number") return { shape: null, data: Float64Array.of(v), dtype: "number" };
  if (isTensor(v)) return { shape: Array.from(v.shape), data: Float64Array.from(v.data), dtype: v.dtype };
  return undefined;
}

/** Describes a value for messages: n, T64[2,3], [a,b], or its type. */
export function kind(v: unknown): string {
  if (typeof v === "number") return "n";
  if (isTensor(v)) return `T${String(v.dtype).replace("float", "")}${fmtShape(v.shape)}`;
  if (Array.isArray(v)) return `[${v.map(kind).join(",")}]`;
  if (v === undefined) return "undefined";
  if (v === null) return "null";
  return typeof v;
}

/**
 * The Jacobian of `f` with respect to argument `j` by the fourth-order central
 * difference (−f(x+2h) + 8f(x+h) − 8f(x−h) + f(x−2h)) / 12h, h = step·max(1, |x_k|).
 * Row-major [out element][in element], the layout of a block out.shape ++ in.shape.
 */
export function fdJacobian(f: (...a: Arg[]) => unknown, args: Arg[], j: number, step = 1e-4): Float64Array {
  const base = flat(f(...args.map(cloneArg)));
  if (!base) throw new Error(`the function returned ${kind(f(...args))}, not a number or a Tensor`);
  const nOut = base.data.length;
  const x = args[j];
  const xs = typeof x === "number" ? Float64Array.of(x) : Float64Array.from(x.data);
  const nIn = xs.length;
  const J = new Float64Array(nOut * nIn);
  const at = (k: number, d: number): Float64Array => {
    const v = Float64Array.from(xs);
    v[k] += d;
    const a = args.map(cloneArg);
    a[j] = typeof x === "number" ? v[0] : t64(v, x.shape);
    return flat(f(...a))!.data;
  };
  for (let k = 0; k < nIn; k++) {
    const h = step * Math.max(1, Math.abs(xs[k]));
    const p2 = at(k, 2 * h), p1 = at(k, h), m1 = at(k, -h), m2 = at(k, -2 * h);
    for (let o = 0; o < nOut; o++) J[o * nIn + k] = (-p2[o] + 8 * p1[o] - 8 * m1[o] + m2[o]) / (12 * h);
  }
  return J;
}

/** |a − e| ≤ tol + tol·|e|, NaN-aware. */
export function near(a: number, e: number, tol = 1e-6): boolean {
  if (Number.isNaN(e)) return Number.isNaN(a);
  if (!Number.isFinite(e)) return a === e;
  return Number.isFinite(a) && Math.abs(a - e) <= tol + tol * Math.abs(e);
}

/**
 * Checks one result block: a number when `asNumber`, else a Tensor of `shape`
 * and `dtype`, with values `want` (flat, row-major). Returns the problems found.
 */
export function checkBlock(label: string, got: unknown, shape: number[], asNumber: boolean, want: ArrayLike<number>, tol = 1e-6, dtype = "float64"): string[] {
  const g = flat(got);
  if (!g) return [`${label}: got ${kind(got)}, expected ${asNumber ? "a number" : `a Tensor ${fmtShape(shape)}`}`];
  if (asNumber && g.shape !== null) return [`${label}: got ${kind(got)}, expected a number (SPEC §3: number output and number input)`];
  if (!asNumber && g.shape === null) return [`${label}: got a number, expected a Tensor ${fmtShape(shape)}`];
  if (!asNumber && fmtShape(g.shape!) !== fmtShape(shape)) return [`${label}: shape ${fmtShape(g.shape!)}, expected ${fmtShape(shape)} (out.shape ++ in.shape)`];
  const bad: string[] = [];
  if (!asNumber && g.dtype !== dtype) bad.push(`${label}: dtype ${g.dtype}, expected ${dtype}`);
  let shown = 0, count = 0;
  for (let i = 0; i < want.length; i++) {
    if (!near(g.data[i], want[i], tol)) {
      count++;
      if (shown++ < 3) bad.push(`${label}: element ${i} is ${g.data[i]}, expected ${want[i]}`);
    }
  }
  if (count > 3) bad.push(`${label}: … ${count - 3} more wrong elements of ${want.length}`);
  return bad;
}

/** Σ_o ct[o] J[o, k]: a cotangent pulled back through a flat Jacobian. */
export function pullback(J: Float64Array, ct: ArrayLike<number>, nIn: number): Float64Array {
  const r = new Float64Array(nIn);
  for (let o = 0; o < ct.length; o++) for (let k = 0; k < nIn; k++) r[k] += ct[o] * J[o * nIn + k];
  return r;
}

/** Σ_k J[o, k] t[k]: a tangent pushed forward through a flat Jacobian. */
export function pushforward(J: Float64Array, t: ArrayLike<number>, nOut: number): Float64Array {
  const r = new Float64Array(nOut);
  const nIn = t.length;
  for (let o = 0; o < nOut; o++) for (let k = 0; k < nIn; k++) r[o] += J[o * nIn + k] * t[k];
  return r;
}
