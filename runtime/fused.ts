// The WebGPU path of a fused elementwise chain (compiler/opt/fuse.ts): the
// generated helper asks here first when its operands are not CPU tensors of
// one shape. Through the device seam, so a program that never calls
// initWebGPU loads none of the WebGPU code.
import { backend, gpuArgs } from "./device.js";
import type { Tensor } from "./tensor.js";

/**
 * The chain's result from one dispatch of its compiled kernel, when WebGPU is
 * on and every tensor operand is a WebGPU tensor of one shape (`kinds`: "t"
 * for a tensor operand, "n" for a number); undefined otherwise, and the
 * helper runs the ops one by one (broadcasting, or the ops' device errors).
 * A region's kernel (compiler/opt/fuse-region.ts) writes `outputs` tensors,
 * returned as an array.
 */
export function adFuseGpu(kernel: string, kinds: string, operands: readonly unknown[]): Tensor | undefined;
export function adFuseGpu(kernel: string, kinds: string, operands: readonly unknown[], outputs: number): Tensor[] | undefined;
export function adFuseGpu(kernel: string, kinds: string, operands: readonly unknown[], outputs?: number): Tensor | Tensor[] | undefined {
  if (backend.current === undefined || !gpuArgs(operands)) return undefined;
  return backend.current.call("adFuseGpu", [kernel, kinds, operands, outputs]) as Tensor | Tensor[] | undefined;
}
