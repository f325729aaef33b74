// The values generated code hands the AD helpers: numbers, Tensors, number arrays.
import { Tensor } from "../tensor.js";
import { floatOf } from "../dtype.js";

export type Val = number | Tensor | ArrayLike<number>;

export const isT = (x: unknown): x is Tensor => x instanceof Tensor;

export function shapeOf(x: Val): number[] {
  if (typeof x === "number") return [];
  if (isT(x)) return [...x.shape];
  return [x.length];
}

export function dtypeOf(x: Val): "float32" | "float64" {
  if (isT(x)) return floatOf(x.dtype);
  return x instanceof Float32Array ? "float32" : "float64";
}
