/* eslint-disable @typescript-eslint/no-explicit-any -- values flowing between generated code and ops */
// The derivatives of var / std (their divisor) and of the scans (cumsum, cumprod). cumprod's are written with
// dual numbers along each slice (a product carried with its tangent), never
// dividing by the input, so they are exact where the input has zeros.
import { Tensor } from "../tensor.js";
import { alloc, floatOf } from "../dtype.js";
import { gpuArgs, gpuCall } from "../device.js";
import { eachSlice, revCumsum, slices } from "../ops/scan.js";
import { varDivisor } from "../ops/stats.js";

/** 1 / var's divisor over `dim` (Infinity when N <= correction, as var itself divides by 0); `batched`: x's dim 0 is a vmap batch. */
export function adVarScale(x: Tensor, dim: number | readonly number[] | null | undefined, correction: number, batched = false): number {
  return 1 / varDivisor(x, dim, correction, batched);
}

/** Backward of cumsum: sums from the end along `dim`. */
export function adRevCumsum(ct: Tensor, dim: number): Tensor {
  if (gpuArgs(arguments)) return gpuCall("adRevCumsum", arguments); // WebGPU tensors: runtime/webgpu/scans.ts
  if (ct === undefined) return undefined as never; // a structural zero (forward over reverse)
  return revCumsum(ct, dim);
}

function outFor(x: Tensor): Float32Array | Float64Array {
  return alloc(floatOf(x.dtype), x.numel()) as Float32Array | Float64Array;
}

/** cumprod's tangent: d out_k = d out_{k-1} x_k + out_{k-1} dx_k. */
export function adCumprodJvp(x: Tensor, dx: Tensor, dim: number): Tensor {
  if (gpuArgs(arguments)) return gpuCall("adCumprodJvp", arguments);
  if (dx === undefined) return undefined as never;
  const s = slices("cumprod", x, dim);
  const out = outFor(x), a = x.data, da = dx.data;
  eachSlice(s, (at) => {
    let p = 1, d = 0;
    for (let k = 0; k < s.size; k++) {
      const i = at(k);
      d = d * a[i] + p * da[i];
      p *= a[i];
      out[i] = d;
    }
  });
  return new Tensor(out, x.shape.slice());
}

/** The tangent of adCumprodJvp(x, dx) as x moves along ex (dx fixed): the mixed part of a hyper-dual product. */
export function adCumprodJvp2(x: Tensor, dx: Tensor, ex: Tensor, dim: number): Tensor {
  if (gpuArgs(arguments)) return gpuCall("adCumprodJvp2", arguments);
  if (dx === undefined || ex === undefined) return undefined as never;
  const s = slices("cumprod", x, dim);
  const out = outFor(x), a = x.data, da = dx.data, ea = ex.data;
  eachSlice(s, (at) => {
    let p = 1, d1 = 0, d2 = 0, d12 = 0;
    for (let k = 0; k < s.size; k++) {
      const i = at(k);
      d12 = d12 * a[i] + d1 * ea[i] + d2 * da[i];
      d1 = d1 * a[i] + p * da[i];
      d2 = d2 * a[i] + p * ea[i];
      p *= a[i];
      out[i] = d12;
    }
  });
  return new Tensor(out, x.shape.slice());
}

/**
 * Backward of cumprod: x̄_i = Σ_{k>=i} ct_k Π_{j<=k, j≠i} x_j, each product
 * carried along the slice without x_i (and, with `dx`, its tangent). O(size²)
 * per slice, exact at zeros.
 */
function cumprodBack(ct: Tensor, x: Tensor, dx: Tensor | undefined, dim: number): Tensor {
  const s = slices("cumprod", x, dim);
  const out = outFor(x), a = x.data, c = ct.data, da = dx?.data;
  eachSlice(s, (at) => {
    for (let i = 0; i < s.size; i++) {
      let p = 1, d = 0, acc = 0;
      for (let k = 0; k < s.size; k++) {
        const j = at(k);
        if (k !== i) {
          if (da) d = d * a[j] + p * da[j];
          p *= a[j];
        }
        if (k >= i) acc += c[j] * (da ? d : p);
      }
      out[at(i)] = acc;
    }
  });
  return new Tensor(out, x.shape.slice());
}

export function adCumprodBackward(ct: Tensor, x: Tensor, dim: number): Tensor {
  if (gpuArgs(arguments)) return gpuCall("adCumprodBackward", arguments);
  if (ct === undefined) return undefined as never;
  return cumprodBack(ct, x, undefined, dim);
}

/** The tangent of adCumprodBackward(ct, x) as x moves along dx (ct fixed). */
export function adCumprodBackwardJvp(ct: Tensor, x: Tensor, dx: Tensor, dim: number): Tensor {
  if (gpuArgs(arguments)) return gpuCall("adCumprodBackwardJvp", arguments);
  if (ct === undefined || dx === undefined) return undefined as never;
  return cumprodBack(ct, x, dx, dim);
}
