// The assembly of Jacobian blocks (shape out.shape ++ in.shape) row by row or column by column.
import { Tensor } from "../tensor.js";
import { gpuArgs, gpuCall } from "../device.js";
import { allocJacobian, type DType } from "../dtype.js";
import { isT, shapeOf, dtypeOf, type Val } from "./values.js";
import * as ops from "../ops/index.js";
import { adItem } from "./numbers.js";

/**
 * A zero Jacobian block: shape out.shape ++ in.shape, dtype of the input (reverse) or output (forward).
 * `label` ("jacrev(f)") names the marker when the block is too big to allocate.
 */
export function adBlock(out: Val, inp: Val, dtypeFrom: "in" | "out", label = "jacobian"): Tensor {
  if (gpuArgs(arguments)) return gpuCall("adBlock", arguments); // WebGPU tensors: runtime/webgpu/ad.ts
  const shape = [...shapeOf(out), ...shapeOf(inp)];
  // (a mask's or an int32 result's block, all zeros, takes the input's dtype in both modes)
  const from = dtypeFrom === "in" || (isT(out) && (out.dtype === "bool" || out.dtype === "int32")) ? inp : out;
  return new Tensor(allocJacobian(label, shape, dtypeOf(from)), shape);
}

/** A Jacobian's storage for generated code (the direct kernels): runtime/dtype.ts allocJacobian. */
export function adJacobianStorage(label: string, shape: readonly number[], dtype: DType): Float64Array | Float32Array {
  return allocJacobian(label, shape, dtype);
}

/** Writes row r of a block: the cotangent of the input (undefined: a zero row). */
export function adSetRow(J: Tensor, r: number, bar: Val | undefined, nIn: number): void {
  if (gpuArgs(arguments)) return gpuCall("adSetRow", arguments); // WebGPU tensors: runtime/webgpu/ad.ts
  if (bar === undefined) return;
  const base = r * nIn;
  if (typeof bar === "number") J.data[base] = bar;
  else {
    const src = isT(bar) ? bar.data : bar;
    for (let c = 0; c < nIn; c++) J.data[base + c] = src[c];
  }
}

/** Writes column c of a block: the tangent of the output. */
export function adSetCol(J: Tensor, c: number, d: Val | undefined, nIn: number): void {
  if (gpuArgs(arguments)) return gpuCall("adSetCol", arguments); // WebGPU tensors: runtime/webgpu/ad.ts
  if (d === undefined) return;
  if (typeof d === "number") J.data[c] = d;
  else {
    const src = isT(d) ? d.data : d;
    for (let r = 0; r < src.length; r++) J.data[r * nIn + c] = src[r];
  }
}

/**
 * ctᵀ·J for one Jacobian block (shape out.shape ++ in.shape) and the cotangent of its output: the
 * input's cotangent, of shape in.shape (a number for a number input). vjp of a function that runs a
 * reverse sweep itself gets its blocks by forward mode and contracts them here (compiler/ad/drivers.ts).
 */
export function adContract(J: Val, ct: Val, asNumber = false): any {
  if (typeof J === "number") return J * (ct as number);
  const Jt = J as Tensor;
  const outShape = shapeOf(ct);
  const c = typeof ct === "number" ? ct : isT(ct) ? ct : new Tensor(Float64Array.from(ct), outShape);
  // ct broadcast over the block's input dims, then summed over its output dims (any device)
  const inNdim = Jt.shape.length - outShape.length;
  const lead = typeof c === "number" ? c : ops.reshape(c, [...outShape, ...new Array<number>(inNdim).fill(1)]);
  const prod = ops.mul(Jt, lead as Tensor);
  const r = outShape.length ? ops.sum(prod, outShape.map((_, i) => i)) : prod;
  // (a number input's cotangent is a number: on WebGPU a 0-d device tensor, as other number cotangents are)
  return asNumber && typeof r !== "number" ? adItem(r) : r;
}
