/* eslint-disable @typescript-eslint/no-explicit-any -- values flowing between generated code and ops */
// number cotangents that may live on the device (compiler/opt/device-numbers.ts)
// A number parameter's cotangent in a tensor program is a sum over a tensor
// (adSumTo to a number): a number on the CPU, a 0-d WebGPU tensor on the device
// (read with `await t.read()`; a synchronous read does not exist there). The
// generated code does its arithmetic on such cotangents through these helpers.
import { Tensor } from "../tensor.js";
import * as ops from "../ops/index.js";
import { gpuArgs, gpuCall } from "../device.js";
import { type Val } from "./values.js";

const bothNum = (a: unknown, b: unknown): boolean => typeof a === "number" && typeof b === "number";

export function adNumAdd(a: Val, b: Val): any {
  return bothNum(a, b) ? (a as number) + (b as number) : ops.add(a as Tensor, b as Tensor);
}

export function adNumSub(a: Val, b: Val): any {
  return bothNum(a, b) ? (a as number) - (b as number) : ops.sub(a as Tensor, b as Tensor);
}

export function adNumMul(a: Val, b: Val): any {
  return bothNum(a, b) ? (a as number) * (b as number) : ops.mul(a as Tensor, b as Tensor);
}

export function adNumDiv(a: Val, b: Val): any {
  return bothNum(a, b) ? (a as number) / (b as number) : ops.div(a as Tensor, b as Tensor);
}

export function adNumNeg(a: Val): any {
  return typeof a === "number" ? -a : ops.neg(a as Tensor);
}

/** Math.exp & co (and `**`) of numbers that may be 0-d device tensors: the tensor op of the same name there. */
export function adNumMath(fn: "exp" | "log" | "sqrt" | "sin" | "cos" | "tanh" | "pow", a: Val, b?: Val): any {
  if (fn === "pow") return bothNum(a, b) ? (a as number) ** (b as number) : ops.pow(a as Tensor, b as Tensor);
  return typeof a === "number" ? Math[fn](a) : ops[fn](a as Tensor);
}

/** `t.item()` in generated code: the number on the CPU; on WebGPU, the 0-d device tensor holding it (WebGPU reads nothing synchronously). */
export function adItem(t: Tensor): any {
  if (gpuArgs(arguments)) return gpuCall("adItem", arguments); // runtime/webgpu/ad.ts
  return t.item();
}

/** A number at an operation of numbers only: a device value there cannot be read, so it is an error that says so. */
export function adNumPlain(a: unknown, op: string): any {
  if (typeof a !== "object" || a === null) return a;
  throw new TypeError(
    `WebGPU: a number that lives on the device as a 0-d tensor (\`.item()\` of a WebGPU tensor, or the derivative with respect to a number parameter) reaches \`${op}\`, ` +
      `which takes only numbers (a synchronous read-back, which WebGPU does not allow); keep it a tensor (\`t.sum()\` rather than \`t.sum().item()\`), ` +
      `pass a number parameter as a tensor on the device or use forward mode for it, or run on the CPU`,
  );
}

/** A vector of number cotangents: a plain array (a typed array cannot hold a tensor); f32: its numbers are rounded as a Float32Array's. */
type NumVec = unknown[] & { f32?: true };

/** A zeroed vector of number cotangents. */
export function adNumVec(n: number, f32 = false): NumVec {
  const out: NumVec = new Array<number>(n).fill(0);
  if (f32) out.f32 = true;
  return out;
}

/** A copy of a vector of number cotangents (a snapshot), float32 rounding included. */
export function adNumCopy(src: ArrayLike<unknown>): NumVec {
  const out: NumVec = Array.from(src);
  if ((src as NumVec).f32 === true || src instanceof Float32Array) out.f32 = true;
  return out;
}

/** v as stored in `arr`: a number rounded to float32 where a Float32Array would hold it; a device value as it is (a typed array cannot hold one: an error, not a NaN). */
export function adNumFit(v: unknown, arr: ArrayLike<unknown>): unknown {
  if (typeof v === "number") return (arr as NumVec).f32 === true ? Math.fround(v) : v;
  if (ArrayBuffer.isView(arr)) adNumPlain(v, "a typed array");
  return v;
}

/** A vector of number cotangents as a Tensor of `shape`: on the device when one of them is there (float32), else float64 (float32 for a float32 vector). */
export function adWrapNums(data: ArrayLike<unknown>, shape: number[]): Tensor {
  if (gpuArgs([data])) return gpuCall("adWrapNums", [data, shape]); // WebGPU: runtime/webgpu/ad.ts
  const arr = data as ArrayLike<number>;
  return new Tensor((data as NumVec).f32 === true || data instanceof Float32Array ? Float32Array.from(arr) : Float64Array.from(arr), shape);
}
