// The WebGPU side of a top-level vmap: the row kernel of the batched scalar
// program (compiler/opt/kernel-bounds.ts, then compiler/emit/wgsl/scalar-kernel.ts) and what the runtime needs to run it
// (runtime/webgpu/vmap.ts). When the program cannot be a kernel (Tensor ops,
// recursion, vectors of unknown length), the reason is kept: a call with
// WebGPU inputs then fails saying why, and the CPU path is unchanged.
import type { Fn } from "../ir/ir.js";
import { type ScalarKernelOptions, WgslKernelError } from "../ir/kernel.js";
import type { analyseKernel } from "../opt/kernel-bounds.js";
import { emitScalarKernel } from "./wgsl/scalar-kernel.js";

export interface VmapKernel {
  name: string;
  text?: string;
  meta: Record<string, unknown>;
  /** source text of captured numbers the kernel reads at run time (passed by the glue, in order) */
  externals: string[];
}

/** `analyse`: compiler/opt/kernel-bounds.ts's analyseKernel, which the caller runs (an emitter does not import passes). */
export function vmapKernel(
  fns: { get(name: string): Fn | undefined },
  gpu: { target: string; inDims: (number | null)[]; outDims: (number | null)[]; label: string },
  entry: Fn,
  name: string,
  analyse: typeof analyseKernel,
): VmapKernel {
  const meta: Record<string, unknown> = { label: gpu.label };
  try {
    const options: ScalarKernelOptions = { batched: gpu.inDims.map((d) => d !== null), layoutStorage: true, separateInputs: true };
    const { code, signature: sig } = emitScalarKernel(options, analyse(fns, gpu.target, options));
    if (sig.inputs.some((i) => i.source === "external" && i.vector)) throw new WgslKernelError("captured", "it reads a captured array");
    Object.assign(meta, {
      inputs: sig.inputs.map((i) => ({ param: i.param, external: i.source === "external", batched: i.source === "param" && gpu.inDims[i.param!] !== null, length: i.length, vector: i.vector })),
      outputs: sig.outputs.map((o) => ({ shape: o.shape, offset: o.offset, size: o.size })),
      outDims: gpu.outDims,
      rowWidth: sig.rowWidth,
      separateInputs: Array.isArray(sig.bindings.inputs),
      workgroupSize: sig.workgroupSize,
      tuple: entry.tupleResult || entry.results.length !== 1,
    });
    return { name, text: code, meta, externals: sig.inputs.filter((i) => i.source === "external").map((i) => i.name) };
  } catch (err) {
    if (!(err instanceof WgslKernelError)) throw err;
    meta.reason = err.message;
    return { name, meta, externals: [] };
  }
}
