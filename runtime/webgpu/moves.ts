// The movement ops' index maps (runtime/ops/move-layouts.ts) on WebGPU: each
// piece one copy_strided dispatch into a fresh buffer, filled with zeros first
// where the layout says so. runtime/ops/moves.ts computes the layouts.
import type { Tensor } from "../tensor.js";
import type { Layout } from "../ops/move-layouts.js";
import { numelOf } from "../shape.js";
import { copyStrided, devices, fillWith } from "./ops.js";
import { emptyOn, type WebGPUTensor } from "./tensor.js";

function movePieces(op: string, input: Tensor, layout: Layout): WebGPUTensor {
  const ex = devices(op, [input]);
  const x = input as WebGPUTensor;
  const out = emptyOn(ex, op, layout.shape, x.gpuDtype);
  if ((layout.zero || layout.fill !== undefined) && out.numel() > 0) fillWith(out, layout.fill ?? 0, op);
  for (const p of layout.pieces) if (numelOf(p.shape) > 0) copyStrided(op, x, p.inOff, p.inStrides, out, p.outOff, p.outStrides, p.shape);
  return out;
}

export const gpuMoves: Record<string, (...args: any[]) => unknown> = { movePieces };
