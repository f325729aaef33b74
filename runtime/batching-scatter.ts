// maskedSelect over a batch (compiler/ops/tensor.ts): with one mask for every
// example, each example selects the same number of entries, so the batch's
// result is [B, k]. The mask is aligned to each example's dims (the batch dim
// stays first); a mask that varies over the batch has no batching rule.
import { Tensor } from "./tensor.js";
import * as ops from "./ops/index.js";
import { maskedSelect } from "./ops/scatter.js";
import { adMaskedSelectBackward } from "./ad/scatter.js";

/** x [B, …] viewed as [B, 1, …, 1, …] so its example dims line up with the mask's from the right. */
function lined(x: Tensor, mask: Tensor): Tensor {
  const extra = mask.shape.length - (x.shape.length - 1);
  return extra > 0 ? ops.reshape(x, [x.shape[0], ...new Array<number>(extra).fill(1), ...x.shape.slice(1)]) : x;
}

/** maskedSelect of each example of x [B, …] with one mask: [B, k]. */
export function bMaskedSelect(x: Tensor, mask: Tensor): Tensor {
  const flat = maskedSelect(lined(x, mask), mask);
  const B = x.shape[0];
  return ops.reshape(flat, [B, B === 0 ? 0 : flat.shape[0] / B]);
}

/** Its backward: ct [B, k] back at the mask's positions of each example of x (x [B, …]). */
export function bMaskedSelectBackward(ct: Tensor, x: Tensor, mask: Tensor): Tensor {
  if (ct === undefined) return undefined as never;
  const xl = lined(x, mask);
  return ops.reshape(adMaskedSelectBackward(ops.reshape(ct, [ct.numel()]), xl, mask), [...x.shape]);
}
