// One dispatch of a fused elementwise chain's or region's kernel
// (compiler/emit/wgsl/fused.ts): params = [n, the bits of each number
// operand], then the tensor operands in order, then the output(s).
import { grid } from "./executor.js";
import { bits } from "./ops.js";
import { binding, emptyOn, WebGPUTensor } from "./tensor.js";

/** Threads per workgroup of the fused kernels (kernels.ts's WG). */
const WG = 64;

/**
 * The chain on the device, or undefined when its operands are not all
 * WebGPU tensors of one shape on one device and numbers where `kinds` says
 * "n" (the helper then runs the ops, which broadcast or raise the device error).
 */
export function gpuFused(kernel: string, kinds: string, operands: readonly unknown[], outputs?: number): WebGPUTensor | WebGPUTensor[] | undefined {
  let first: WebGPUTensor | undefined;
  const params: number[] = [0];
  const inputs: WebGPUTensor[] = [];
  for (let k = 0; k < kinds.length; k++) {
    const x = operands[k];
    if (kinds[k] === "n") {
      if (typeof x !== "number") return undefined;
      params.push(bits(x));
      continue;
    }
    if (!(x instanceof WebGPUTensor)) return undefined;
    if (first === undefined) first = x;
    else if (x.executor !== first.executor || x.shape.length !== first.shape.length || x.shape.some((n, d) => n !== first!.shape[d])) return undefined;
    inputs.push(x);
  }
  if (first === undefined) return undefined;
  const ex = first.executor;
  const op = `fused elementwise chain (${kernel})`;
  ex.check(op);
  const n = first.numel();
  const outs = Array.from({ length: outputs ?? 1 }, () => emptyOn(ex, op, first!.shape));
  params[0] = n;
  if (n > 0) ex.dispatch(kernel, op, Uint32Array.from(params), [...inputs.map(binding), ...outs.map(binding)], grid(n, WG));
  return outputs === undefined ? outs[0] : outs;
}

/** The backend's entry (runtime/fused.ts calls it by name). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- called with the generated code's arguments
export const gpuFusedTable: Record<string, (...args: any[]) => unknown> = { adFuseGpu: gpuFused };
