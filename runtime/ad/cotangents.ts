/* eslint-disable @typescript-eslint/no-explicit-any -- values flowing between generated code and ops */
// Cotangent and tangent arithmetic for generated code: accumulation where a
// cotangent may not exist yet, un-broadcasting, zeros and basis directions,
// tangent ops where undefined is a structural zero, fused chains' output storage.
import { Tensor } from "../tensor.js";
import * as ops from "../ops/index.js";
import { zeros } from "../factories.js";
import { floatOf } from "../dtype.js";
import { gpuArgs, gpuCall } from "../device.js";
import { isT, type Val } from "./values.js";

/** a + b where a may not exist yet (a cotangent accumulated for the first time). */
export function adAcc(a: Val | undefined, b: Val | undefined): any {
  if (a === undefined) return b;
  if (b === undefined) return a; // a callee's reverse that no cotangent reached
  if (typeof a === "number" && typeof b === "number") return a + b;
  return ops.add(a as Tensor, b as Tensor);
}

/**
 * Sums `t` down to the shape of `like` (undoing broadcasting); a number `like`
 * takes the total. An undefined `t` (in forward over reverse, the tangent of a
 * cotangent nothing varied has reached yet: a zero) stays undefined for a
 * Tensor `like` and is 0 for a number one: number values are never undefined
 * (a number parameter's cotangent adds it with adNumAdd).
 */
export function adSumTo(t: Val | undefined, like: Val): any {
  if (t === undefined) return typeof like === "number" ? 0 : undefined;
  if (typeof like === "number" && gpuArgs(arguments)) return gpuCall("adSumTo", arguments); // WebGPU: a 0-d device tensor
  if (!isT(t)) return t;
  if (typeof like === "number") return ops.sum(t).item();
  const shape = (like as Tensor).shape;
  if (t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i])) return t;
  const lead = t.shape.length - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < t.shape.length; i++) {
    if (i < lead || (shape[i - lead] === 1 && t.shape[i] !== 1)) dims.push(i);
  }
  let r = dims.length ? ops.sum(t, dims, true) : t;
  if (lead > 0) r = ops.reshape(r, [...shape]);
  return r.shape.length === shape.length ? r : ops.reshape(r, [...shape]);
}

/** `t` broadcast (materialised) to the shape of `like`. */
export function adExpandAs(t: Val, like: Val): any {
  if (gpuArgs(arguments)) return gpuCall("adExpandAs", arguments); // WebGPU tensors: runtime/webgpu/ad.ts
  if (t === undefined) return undefined as never; // a structural zero (forward over reverse)
  if (!isT(like)) return t;
  const tt = isT(t) ? t : ops.mul(ops.add(zeros([...like.shape], { dtype: like.dtype }), 1), t as number);
  if (tt.shape.length === like.shape.length && tt.shape.every((d, i) => d === like.shape[i])) return tt;
  return ops.add(zeros([...like.shape], { dtype: tt.dtype }), tt);
}

export function adZerosLike(x: Val): any {
  if (gpuArgs(arguments)) return gpuCall("adZerosLike", arguments); // WebGPU tensors: runtime/webgpu/ad.ts
  // (a zero tangent: a mask's is float32)
  return isT(x) ? zeros([...x.shape], { dtype: floatOf(x.dtype) }) : 0;
}

/** A tensor shaped like x, zero but a 1 at flat index k (a basis direction). */
export function adOneHot(x: Tensor, k: number): Tensor {
  if (gpuArgs(arguments)) return gpuCall("adOneHot", arguments); // WebGPU tensors: runtime/webgpu/ad.ts
  const data = x.dtype === "float32" ? new Float32Array(x.numel()) : new Float64Array(x.numel());
  data[k] = 1;
  return new Tensor(data, x.shape);
}

export function adNumel(x: Val): number {
  if (typeof x === "number") return 1;
  if (isT(x)) return x.numel();
  return x.length;
}

/** Ops whose public signature puts integer arguments before an operand (scatter(dim, index, src)): called from the compiler's operands-first order. */
const OPERANDS_FIRST: Record<string, (...a: any[]) => unknown> = {
  scatter: (x: Tensor, src: Tensor | number, dim: number, index: Tensor) => ops.scatter(x, dim, index, src),
  scatterAdd: (x: Tensor, src: Tensor, dim: number, index: Tensor) => ops.scatterAdd(x, dim, index, src),
};

/**
 * A tensor op on tangents, where `undefined` is a structural zero (a cotangent
 * that nothing reached yet, differentiated again): sums skip it, where takes
 * it as 0, products and other ops linear in it give undefined.
 */
export function adZ(op: string, operands: number, ...args: unknown[]): any {
  if (!args.slice(0, operands).some((a) => a === undefined)) return (OPERANDS_FIRST[op] ?? (ops as unknown as Record<string, (...a: unknown[]) => unknown>)[op])(...args);
  const [a, b] = args;
  if (op === "add") return a === undefined ? b : a;
  if (op === "sub") return a === undefined ? (b === undefined ? undefined : ops.neg(b as Tensor)) : a;
  // where(c, da, db) is linear in (da, db) together: one of them undefined is 0
  if (op === "where") return args[1] === undefined && args[2] === undefined ? undefined : ops.where(a as Tensor, (args[1] ?? 0) as Tensor, (args[2] ?? 0) as Tensor);
  return undefined;
}

/**
 * The output storage of a fused elementwise chain (compiler/opt/fuse.ts):
 * fresh storage of the operands' dtype when every tensor operand is a CPU
 * Tensor of one shape and one dtype; otherwise undefined (the chain then runs
 * op by op, with broadcasting and promotion).
 */
export function adFuseOut(...ts: unknown[]): Float64Array | Float32Array | undefined {
  const a = ts[0];
  if (!isT(a) || a.device !== "cpu") return undefined;
  for (let k = 1; k < ts.length; k++) {
    const b = ts[k];
    if (!isT(b) || b.dtype !== a.dtype || b.device !== "cpu" || b.shape.length !== a.shape.length) return undefined;
    for (let d = 0; d < a.shape.length; d++) if (a.shape[d] !== b.shape[d]) return undefined;
  }
  return a.dtype === "float32" ? new Float32Array(a.numel()) : new Float64Array(a.numel());
}
