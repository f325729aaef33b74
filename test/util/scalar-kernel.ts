// A vmapped scalar kernel for tests that build and run one directly: the
// analysis then the emitter (compiler/module/glue.ts runs them so for vmap), and the
// default buffer layout (the runtime packs its own: runtime/webgpu/vmap.ts):
// inputs packed in order, outputs [B, k] row-major.
import type { Fn } from "../../compiler/ir/ir.js";
import type { ScalarKernel, ScalarKernelOptions, ScalarKernelSignature } from "../../compiler/ir/kernel.js";
import { analyseKernel } from "../../compiler/opt/kernel-bounds.js";
import { emitScalarKernel } from "../../compiler/emit/wgsl/scalar-kernel.js";

export { WgslKernelError, type ScalarKernel, type ScalarKernelOptions } from "../../compiler/ir/kernel.js";

/** The kernel of `entry`: compiler/opt/kernel-bounds.ts's analysis, then compiler/emit/wgsl/scalar-kernel.ts. */
export function scalarKernel(fns: { get(name: string): Fn | undefined }, entry: string, options: ScalarKernelOptions = {}): ScalarKernel {
  return emitScalarKernel(options, analyseKernel(fns, entry, options));
}

/** The default buffer layout for `rows` batch rows: inputs packed in order, outputs [B, k] row-major. */
export function kernelLayout(sig: ScalarKernelSignature, rows: number, batched: boolean[] = sig.inputs.map((i) => i.batched)) {
  const uniform = new Uint32Array(sig.uniformBytes / 4);
  uniform[0] = rows;
  uniform[1] = 0; // output base
  uniform[2] = sig.rowWidth; // output row stride
  uniform[3] = 1; // output column stride
  const offsets: number[] = [];
  let at = 0;
  sig.inputs.forEach((inp, i) => {
    const b = batched[i];
    offsets.push(at);
    uniform.set([at, b ? inp.length : 0, 1, 0], 4 + 4 * i);
    at += b ? rows * inp.length : inp.length;
  });
  return { uniform, offsets, inputFloats: Math.max(at, 1), outputFloats: Math.max(rows * sig.rowWidth, 1) };
}

/** Packs arguments (a batched one: B numbers or B·n row-major; unbatched: one value or n) into the input array. */
export function packInputs(sig: ScalarKernelSignature, rows: number, args: ArrayLike<number>[], batched?: boolean[]): { input: Float32Array; uniform: Uint32Array } {
  const lay = kernelLayout(sig, rows, batched);
  const input = new Float32Array(lay.inputFloats);
  args.forEach((a, i) => input.set(a, lay.offsets[i]));
  return { input, uniform: lay.uniform };
}

/** Workgroup counts for `rows` rows (2-D when more than 65535 workgroups are needed). */
export function dispatchSize(sig: ScalarKernelSignature, rows: number): [number, number] {
  const groups = Math.max(1, Math.ceil(rows / sig.workgroupSize));
  const x = Math.min(groups, 65535);
  return [x, Math.ceil(groups / x)];
}
