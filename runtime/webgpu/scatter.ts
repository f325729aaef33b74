// gather and scatterAdd on WebGPU (runtime/ops/scatter.ts reads the CPU index
// and works out the flat offset of each index element): gather is the
// gather_rows kernel with rows of one element, scatterAdd sums src's entries
// into zeros with scatter_rows_add (a gather over the offsets, no atomics) and
// adds the input.
import type { Tensor } from "../tensor.js";
import { binary, devices, gpuOpsTable, run1d } from "./ops.js";
import { emptyOn, WebGPUTensor } from "./tensor.js";

function gatherAt(op: string, input: Tensor, offsets: Uint32Array, shape: number[]): WebGPUTensor {
  const ex = devices(op, [input]);
  const x = input as WebGPUTensor;
  const out = emptyOn(ex, op, shape, x.gpuDtype);
  if (offsets.length === 0) return out;
  const buf = new WebGPUTensor(ex.upload(op, offsets), [offsets.length]);
  return run1d(ex, "gather_rows", op, [offsets.length, 1], [x, buf], out, offsets.length);
}

function scatterAddAt(op: string, input: Tensor, src: Tensor, offsets: Uint32Array, shape: number[]): WebGPUTensor {
  const ex = devices(op, [input, src]);
  const x = input as WebGPUTensor;
  if (offsets.length === 0 || x.numel() === 0) return binary("add", op, x, 0); // (a copy)
  // src's entries at the index's coordinates: src itself, or its leading corner
  let s = src as WebGPUTensor;
  shape.forEach((n, d) => {
    if (s.shape[d] !== n) s = gpuOpsTable().narrow(s, d, 0, n) as WebGPUTensor;
  });
  const buf = new WebGPUTensor(ex.upload(op, offsets), [offsets.length]);
  const added = run1d(ex, "scatter_rows_add", op, [x.numel(), 1, offsets.length], [s, buf], emptyOn(ex, op, x.shape.slice()), x.numel());
  return binary("add", op, x, added);
}

export const gpuScatter: Record<string, (...args: any[]) => unknown> = { gatherAt, scatterAddAt };
