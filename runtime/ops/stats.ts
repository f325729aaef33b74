// norm, logsumexp, var and std: reductions built from other ops (sum, amax,
// abs, exp…), so they run on the device of their argument with those ops'
// kernels. Arguments are checked here first, so errors name these ops.
import { Tensor } from "../tensor.js";
import { describe, dimMask, fmt } from "../shape.js";
import { floatTensor } from "../check.js";
import { deviceAware } from "../device.js";
import * as reduce from "./reduce.js";
import { abs, add, div, exp, isfinite, log, mul, sqrt, square, sub } from "./elementwise-api.gen.js";
import * as whereOps from "./where.js";
import { squeeze } from "./reshape.js";

const sum = deviceAware("sum", reduce.sum);
const mean = deviceAware("mean", reduce.mean);
const amax = deviceAware("max", reduce.max);
const squeezeOn = deviceAware("squeeze", squeeze);
const where = deviceAware("where", whereOps.where);

/** The orders `norm` takes (PyTorch's vector norms; "fro" is the 2-norm). */
export type NormOrder = number | "fro";

function floatInput(op: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor for input, got ${describe(x)}`);
  floatTensor(op, x);
  return x;
}

/** The folded dims, checked against x's shape (so a bad dim names `op`), and how many elements fold together. */
function folded(op: string, x: Tensor, dim: reduce.Dims, keepdim: unknown): number {
  if (keepdim !== undefined && typeof keepdim !== "boolean") throw new TypeError(`${op}: keepdim must be a boolean, got ${describe(keepdim)}`);
  const mask = dimMask(op, dim, x.shape);
  return x.shape.reduce((n, s, i) => (mask[i] ? n * s : n), 1);
}

/** Checks norm's order; "fro" (Frobenius) folds at most two dims, as in PyTorch. */
export function normOrder(p: unknown, dim: reduce.Dims, shape: readonly number[]): NormOrder {
  if (p === "fro") {
    if (Array.isArray(dim) && dim.length > 2) throw new RangeError(`norm: "fro" takes at most 2 dims, got [${dim.join(",")}] (input ${fmt(shape)})`);
    return p;
  }
  if (p !== 1 && p !== 2 && p !== Infinity) {
    throw new RangeError(`norm: p must be 1, 2, Infinity or "fro", got ${typeof p === "number" ? p : describe(p)} (input ${fmt(shape)})`);
  }
  return p;
}

/**
 * The p-norm over `dim` (all dims when omitted), as torch.norm: p = 2 (and
 * "fro") is sqrt(Σ x²), p = 1 is Σ |x|, p = Infinity is max |x|.
 */
export function norm(input: Tensor, p: NormOrder = 2, dim?: reduce.Dims, keepdim = false): Tensor {
  const x = floatInput("norm", input);
  folded("norm", x, dim, keepdim);
  const order = normOrder(p, dim, x.shape);
  if (order === 1) return sum(abs(x), dim, keepdim);
  if (order === Infinity) {
    if (x.numel() === 0) throw new RangeError(`norm: the Infinity-norm of an empty tensor (input ${fmt(x.shape)}) is undefined`);
    return amax(abs(x), dim, keepdim);
  }
  return sqrt(sum(square(x), dim, keepdim));
}

/**
 * log Σ exp(x) over `dim` (required, as in PyTorch), stable: the slice's max
 * is subtracted first. An infinite max is not subtracted (PyTorch's rule), so a
 * slice of -inf gives -inf and one holding +inf gives +inf.
 */
export function logsumexp(input: Tensor, dim: number | readonly number[], keepdim = false): Tensor {
  const x = floatInput("logsumexp", input);
  if (dim === undefined || dim === null) throw new TypeError(`logsumexp: dim is required (input ${fmt(x.shape)})`);
  folded("logsumexp", x, dim, keepdim);
  if (x.numel() === 0) return log(sum(x, dim, keepdim));
  const m = amax(x, dim, true);
  const shift = where(isfinite(m), m, 0);
  const out = add(log(sum(exp(sub(x, shift)), dim, true)), shift);
  return keepdim || x.shape.length === 0 ? out : squeezeOn(out, reducedDims(x, dim));
}

function reducedDims(x: Tensor, dim: reduce.Dims): number[] {
  const mask = dimMask("logsumexp", dim, x.shape);
  return mask.flatMap((m, i) => (m ? [i] : []));
}

/** var / std's options (PyTorch's keyword arguments): `correction` (1, Bessel's, by default) and `keepdim`. */
export interface VarOptions {
  correction?: number;
  keepdim?: boolean;
}

function varOptions(op: string, opts: unknown, shape: readonly number[]): { correction: number; keepdim: boolean } {
  if (opts === undefined || opts === null) return { correction: 1, keepdim: false };
  if (typeof opts !== "object" || Array.isArray(opts)) throw new TypeError(`${op}: options must be an object { correction?, keepdim? }, got ${describe(opts)} (input ${fmt(shape)})`);
  const { correction = 1, keepdim = false, ...rest } = opts as VarOptions;
  const extra = Object.keys(rest);
  if (extra.length) throw new TypeError(`${op}: unknown option ${extra[0]} (it takes correction and keepdim)`);
  if (typeof correction !== "number" || !Number.isFinite(correction) || correction < 0) throw new RangeError(`${op}: correction must be a finite number >= 0, got ${describe(correction)}`);
  if (typeof keepdim !== "boolean") throw new TypeError(`${op}: keepdim must be a boolean, got ${describe(keepdim)}`);
  return { correction, keepdim };
}

/**
 * Variance over `dim` (all dims when omitted): Σ (x - mean)² / max(0, N - correction),
 * as torch.var(input, dim, correction=, keepdim=). N <= correction gives NaN or inf, as in PyTorch.
 */
export function variance(op: string, input: unknown, dim?: reduce.Dims, opts?: VarOptions): Tensor {
  const x = floatInput(op, input);
  const { correction, keepdim } = varOptions(op, opts, x.shape);
  const n = folded(op, x, dim, keepdim);
  const d = sub(x, mean(x, dim, true));
  return div(sum(mul(d, d), dim, keepdim), Math.max(0, n - correction));
}

export function var_(input: Tensor, dim?: reduce.Dims, opts?: VarOptions): Tensor {
  return variance("var", input, dim, opts);
}

/** Standard deviation: sqrt of var, with the same arguments. */
export function std(input: Tensor, dim?: reduce.Dims, opts?: VarOptions): Tensor {
  return sqrt(variance("std", input, dim, opts));
}

/** How many elements var over `dim` folds, minus the correction (never below 0): the divisor (derivative rules). */
export function varDivisor(x: Tensor, dim: reduce.Dims, correction: number, batched = false): number {
  const shape = batched ? x.shape.slice(1) : x.shape;
  const mask = dimMask("var", dim, shape);
  return Math.max(0, shape.reduce((n, s, i) => (mask[i] ? n * s : n), 1) - correction);
}
