// Argument checks shared by the ops: operands must be Tensors (or numbers where
// PyTorch takes a scalar) and live on the CPU, on one device.

import { Tensor } from "./tensor.js";
import { describe, fmt } from "./shape.js";
import type { FloatDType } from "./dtype.js";
import { INTEGRAL_OPS } from "./ops/elementwise.gen.js";

export type Operand = Tensor | number;

/** Throws a TypeError unless `x` is a Tensor on the CPU. */
export function tensorArg(op: string, x: unknown, what = "input"): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor for ${what}, got ${describe(x)}`);
  cpuOnly(op, [x]);
  return x;
}

/** A non-empty array of Tensors (cat, stack); the caller checks their devices. */
export function tensorList(op: string, tensors: unknown): Tensor[] {
  if (!Array.isArray(tensors)) throw new TypeError(`${op}: expected an array of Tensors, got ${describe(tensors)}`);
  if (tensors.length === 0) throw new RangeError(`${op}: expected a non-empty array of Tensors`);
  tensors.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor at position ${i}, got ${describe(t)}`);
  });
  return tensors as Tensor[];
}

/** Throws a TypeError unless `x` is a Tensor or a number. */
export function operandArg(op: string, x: unknown, what: string): Operand {
  if (typeof x === "number" || x instanceof Tensor) return x;
  throw new TypeError(`${op}: expected a Tensor or a number for ${what}, got ${describe(x)}`);
}

/**
 * The CPU kernels read `data` directly, so every tensor must be on the CPU,
 * and mixing devices in one call is an error whatever the devices are.
 */
export function cpuOnly(op: string, xs: readonly unknown[]): void {
  let first: Tensor | undefined;
  for (const x of xs) {
    if (!(x instanceof Tensor)) continue;
    if (first && x.device !== first.device) {
      throw new TypeError(`${op}: tensors are on different devices (${first.device} and ${x.device})`);
    }
    first ??= x;
  }
  if (first && first.device !== "cpu") {
    throw new TypeError(`${op}: expected tensors on the cpu device, got ${first.device} (move them with .to("cpu"))`);
  }
}

/**
 * PyTorch's result type for floats: numbers never promote, and a 0-d tensor
 * does not promote a tensor with dims (`ones(3).add(tensor(1, {dtype:"float64"}))`
 * stays float32); otherwise float64 wins. A bool tensor reads as 0 / 1 and an
 * int32 tensor as its integers in the others' float type (float32 when all are
 * bool, int32 or numbers).
 */
export function resultDtype(xs: readonly unknown[]): FloatDType {
  let dimmed: FloatDType | undefined;
  let zeroDim: FloatDType | undefined;
  for (const x of xs) {
    if (!(x instanceof Tensor) || x.dtype === "bool" || x.dtype === "int32") continue;
    if (x.shape.length > 0) dimmed = dimmed === "float64" || x.dtype === "float64" ? "float64" : "float32";
    else zeroDim = zeroDim === "float64" || x.dtype === "float64" ? "float64" : "float32";
  }
  return dimmed ?? zeroDim ?? "float32";
}

/**
 * Whether an op whose registry entry keeps integer types (`integral`: add, sub,
 * mul, pow, maximum, minimum, fmod, remainder, neg, abs, …) gives int32 here, as
 * PyTorch's type promotion does: every tensor operand is int32 or bool, one at
 * least int32, and every number is an integer (a JavaScript number cannot say
 * whether it was written `2` or `2.0`: an integral one counts as an int).
 */
export function keepsInt32(xs: readonly unknown[]): boolean {
  let int = false;
  for (const x of xs) {
    if (x instanceof Tensor) {
      if (x.dtype === "int32") int = true;
      else if (x.dtype !== "bool") return false;
    } else if (typeof x === "number" && !Number.isInteger(x)) return false;
  }
  return int;
}

/** A float op (a reduction to a mean, a norm, a loss, …) given a bool or int32 tensor: a TypeError naming the op, as PyTorch's. */
export function floatTensor(op: string, x: Tensor): void {
  if (x.dtype === "bool" || x.dtype === "int32") throw new TypeError(`${op}: expected a float tensor, got a ${x.dtype} tensor of shape ${fmt(x.shape)}; convert it first with .float()`);
}

/**
 * Bool operands of a float op. PyTorch keeps integer types through add, mul,
 * maximum, … (bool + bool is bool, - refuses bools), and jacc has no integer
 * dtype: two bool tensors there, or `neg` of one, are a TypeError naming the op
 * and the dtypes. Elsewhere a bool reads as 0 / 1 (resultDtype).
 */
export function boolOperands(op: string, xs: readonly unknown[]): void {
  const bools = xs.filter((x): x is Tensor => x instanceof Tensor && x.dtype === "bool");
  if (op === "neg" && bools.length) throw new TypeError(`neg: a bool tensor (shape ${fmt(bools[0].shape)}) cannot be negated; use logicalNot, or convert it with .float()`);
  if (bools.length === 2 && INTEGRAL_OPS.has(op)) {
    throw new TypeError(`${op}: both operands are bool tensors (shapes ${fmt(bools[0].shape)} and ${fmt(bools[1].shape)}), whose result PyTorch keeps integral; use logicalAnd / logicalOr, or convert one with .float()`);
  }
}
