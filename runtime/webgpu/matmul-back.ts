// The two matmul backward helpers of runtime/ad.ts on WebGPU. The CPU versions
// build bᵀ / aᵀ with transpose, which on the device is a full copy of the
// matrix; in a Jacobian's reverse sweeps (one per output element) that is one
// copy of W per sweep, each held until garbage collection returns it to the
// pool. Here the matmul kernel reads the stored operand transposed in place.

import type { Tensor } from "../tensor.js";
import { adSumTo } from "../ad.js";
import { binary, devices, gpuOpsTable, matmul } from "./ops.js";
import { viewOf, type WebGPUTensor } from "./tensor.js";

/** A view with a 1 inserted at dim d (d < 0 counts from the end, as unsqueeze). */
function unsqueezed(t: WebGPUTensor, d: number): WebGPUTensor {
  const shape = t.shape.slice();
  shape.splice(d < 0 ? shape.length + 1 + d : d, 0, 1);
  return viewOf(t, shape);
}

/** ct @ bᵀ (b read transposed), 1-D operands and batch broadcasting undone. */
function adMatmulBackA(ct: Tensor, a: Tensor, b: Tensor): unknown {
  if (ct === undefined) return undefined;
  devices("adMatmulBackA", [ct, a, b]);
  if (a.ndim === 1 && b.ndim === 1) return binary("mul", "adMatmulBackA", b, ct);
  const B = b.ndim === 1 ? unsqueezed(b as WebGPUTensor, 1) : (b as WebGPUTensor);
  let C = ct as WebGPUTensor;
  if (a.ndim === 1) C = unsqueezed(C, -2);
  if (b.ndim === 1) C = unsqueezed(C, -1);
  let r: Tensor = matmul(C, B, "adMatmulBackA", false, true);
  if (a.ndim === 1) r = gpuOpsTable().squeeze(r, -2) as Tensor;
  return adSumTo(r, a);
}

/** aᵀ @ ct (a read transposed), 1-D operands and batch broadcasting undone. */
function adMatmulBackB(ct: Tensor, a: Tensor, b: Tensor): unknown {
  if (ct === undefined) return undefined;
  devices("adMatmulBackB", [ct, a, b]);
  if (a.ndim === 1 && b.ndim === 1) return binary("mul", "adMatmulBackB", a, ct);
  const A = a.ndim === 1 ? unsqueezed(a as WebGPUTensor, 0) : (a as WebGPUTensor);
  let C = ct as WebGPUTensor;
  if (a.ndim === 1) C = unsqueezed(C, -2);
  if (b.ndim === 1) C = unsqueezed(C, -1);
  let r: Tensor = matmul(A, C, "adMatmulBackB", true, false);
  if (b.ndim === 1) r = gpuOpsTable().squeeze(r, -1) as Tensor;
  return adSumTo(r, b);
}

export const gpuMatmulBack: Record<string, (...args: any[]) => unknown> = { adMatmulBackA, adMatmulBackB };
