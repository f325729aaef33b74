// gather and scatterAdd on WebGPU with the index on the device (runtime/ops/scatter.ts
// checks the shapes, and a CPU index's values, then uploads it): gather_dim reads x
// at each index element's place; scatter_add_dim sums src into zeros shaped as x
// (each output element looks for the index elements aimed at it: no atomics), and
// x is added. Layout of params: compiler/emit/wgsl/index-kernels.ts.
import type { Tensor } from "../tensor.js";
import { contiguousStrides } from "../shape.js";
import { binary, devices, run1d } from "./ops.js";
import { emptyOn, type WebGPUTensor } from "./tensor.js";

const one = (s: readonly number[]) => (s.length ? [...s] : [1]);

function meta(n: number, m: number, dim: number, x: Tensor, index: Tensor, src?: Tensor): number[] {
  const rank = one(x.shape).length;
  return [n, m, rank, dim, one(x.shape)[dim], ...one(index.shape), ...contiguousStrides(one(x.shape)), ...(src ? contiguousStrides(one(src.shape)) : new Array<number>(rank).fill(0))];
}

function gatherDim(op: string, input: Tensor, index: Tensor, dim: number): WebGPUTensor {
  const ex = devices(op, [input, index]);
  const x = input as WebGPUTensor;
  const n = index.numel();
  const out = emptyOn(ex, op, index.shape.slice(), x.gpuDtype);
  return run1d(ex, "gather_dim", op, meta(n, n, dim, x, index), [x, index as WebGPUTensor], out, n);
}

function scatterAddDim(op: string, input: Tensor, index: Tensor, dim: number, src: Tensor): WebGPUTensor {
  const ex = devices(op, [input, index, src]);
  const x = input as WebGPUTensor;
  const n = x.numel();
  const added = run1d(ex, "scatter_add_dim", op, meta(n, index.numel(), dim, x, index, src), [src as WebGPUTensor, index as WebGPUTensor], emptyOn(ex, op, x.shape.slice()), n);
  return binary("add", op, x, added);
}

export const gpuScatter: Record<string, (...args: any[]) => unknown> = { gatherDim, scatterAddDim };
