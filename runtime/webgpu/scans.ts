// The scans (cumsum, cumprod), argmax / argmin and the scans' derivative
// helpers on WebGPU: the same checks as the CPU (runtime/ops/scan.ts,
// runtime/ad/reductions.ts), then one dispatch of a kernel of
// compiler/emit/wgsl/scan-kernels.ts.
import { Tensor } from "../tensor.js";
import { describe, fmt, normDim } from "../shape.js";
import { slices } from "../ops/scan.js";
import { devices, run1d } from "./ops.js";
import { emptyOn, type WebGPUTensor } from "./tensor.js";

function gpuInput(op: string, x: unknown): WebGPUTensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor for input, got ${describe(x)}`);
  devices(op, [x]);
  return x as WebGPUTensor;
}

function scan(op: string, input: unknown, dim: number, product: boolean, reverse: boolean): WebGPUTensor {
  const x = gpuInput(op, input);
  const s = slices(op, x, dim);
  const n = s.size === 0 ? 0 : s.outer * s.inner;
  return run1d(x.executor, "scan", op, [n, s.size, s.inner, product ? 1 : 0, reverse ? 1 : 0], [x], emptyOn(x.executor, op, x.shape, x.dtype === "int32" ? "int32" : "float32"), n);
}

/** cumprod's tangent (dx) or, with ex, its mixed second-order part. */
function cumprodJvp(op: string, x: WebGPUTensor, dx: WebGPUTensor, ex: WebGPUTensor | undefined, dim: number): WebGPUTensor {
  const ec = devices(op, ex ? [x, dx, ex] : [x, dx]);
  const s = slices("cumprod", x, dim);
  const n = s.size === 0 ? 0 : s.outer * s.inner;
  return run1d(ec, "cumprod_jvp", op, [n, s.size, s.inner, ex ? 1 : 0], [x, dx, ex ?? dx], emptyOn(ec, op, x.shape), n);
}

function cumprodBack(op: string, ct: WebGPUTensor, x: WebGPUTensor, dx: WebGPUTensor | undefined, dim: number): WebGPUTensor {
  const ec = devices(op, dx ? [ct, x, dx] : [ct, x]);
  const s = slices("cumprod", x, dim);
  const n = x.numel();
  return run1d(ec, "cumprod_back", op, [n, s.size, s.inner, dx ? 1 : 0], [ct, x, dx ?? x], emptyOn(ec, op, x.shape), n);
}

function argExtremum(op: string, input: unknown, dim: number | null | undefined, keepdim: unknown, min: boolean): WebGPUTensor {
  const x = gpuInput(op, input);
  if (keepdim !== undefined && typeof keepdim !== "boolean") throw new TypeError(`${op}: keepdim must be a boolean, got ${describe(keepdim)}`);
  const all = dim === undefined || dim === null;
  const s = all ? { outer: 1, size: x.numel(), inner: 1 } : slices(op, x, dim);
  if (s.size === 0) throw new RangeError(`${op}: cannot take the ${op} of an empty dim (input ${fmt(x.shape)})`);
  const shape = all ? (keepdim ? x.shape.map(() => 1) : []) : x.shape.flatMap((n, i) => (i === normDim(op, dim, x.shape) ? (keepdim ? [1] : []) : [n]));
  const n = s.outer * s.inner;
  return run1d(x.executor, "arg_extremum", op, [n, s.size, s.inner, min ? 1 : 0], [x], emptyOn(x.executor, op, shape, "int32"), n);
}

type G = WebGPUTensor;
export const gpuScans: Record<string, (...args: any[]) => unknown> = {
  cumsum: (x: unknown, dim: number) => scan("cumsum", x, dim, false, false),
  cumprod: (x: unknown, dim: number) => scan("cumprod", x, dim, true, false),
  argmax: (x: unknown, dim?: number | null, keepdim = false) => argExtremum("argmax", x, dim, keepdim, false),
  argmin: (x: unknown, dim?: number | null, keepdim = false) => argExtremum("argmin", x, dim, keepdim, true),
  // derivative helpers (a structural zero, undefined, stays undefined)
  adRevCumsum: (ct: G | undefined, dim: number) => (ct === undefined ? undefined : scan("cumsum", ct, dim, false, true)),
  adCumprodJvp: (x: G, dx: G | undefined, dim: number) => (dx === undefined ? undefined : cumprodJvp("adCumprodJvp", x, dx, undefined, dim)),
  adCumprodJvp2: (x: G, dx: G | undefined, ex: G | undefined, dim: number) => (dx === undefined || ex === undefined ? undefined : cumprodJvp("adCumprodJvp2", x, dx, ex, dim)),
  adCumprodBackward: (ct: G | undefined, x: G, dim: number) => (ct === undefined ? undefined : cumprodBack("adCumprodBackward", ct, x, undefined, dim)),
  adCumprodBackwardJvp: (ct: G | undefined, x: G, dx: G | undefined, dim: number) => (ct === undefined || dx === undefined ? undefined : cumprodBack("adCumprodBackwardJvp", ct, x, dx, dim)),
};
