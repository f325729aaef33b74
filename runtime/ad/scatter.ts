// The AD helpers of gather / scatter / scatterAdd / maskedSelect (runtime/ops/scatter.ts).
// Each is linear in its first operand (the compiler differentiates through it
// again) and passes a structural zero (undefined) on.
import { Tensor } from "../tensor.js";
import * as ops from "../ops/index.js";
import { alloc, floatOf } from "../dtype.js";
import { maskPlan } from "../ops/scatter.js";
import { fmt } from "../shape.js";
import { adSumTo } from "./cotangents.js";

/**
 * g cut or padded with zeros (at the end of each dim) to like's sizes along like's dims, counted
 * from the last (g's leading dims stay): scatter's src may be larger than its index, so the
 * gradient gathered at the index is padded out to src's shape. Its own transpose (fitted back).
 */
export function adFitTo(g: Tensor, like: Tensor): Tensor {
  if (g === undefined) return undefined as never; // a structural zero (forward over reverse)
  const n = like.shape.length;
  const off = g.shape.length - n;
  if (off < 0) throw new RangeError(`adFitTo: ${fmt(g.shape)} has fewer dims than ${fmt(like.shape)}`);
  if (like.shape.every((s, d) => s === g.shape[off + d])) return g;
  const pads: number[] = [];
  for (let d = n - 1; d >= 0; d--) pads.push(0, like.shape[d] - g.shape[off + d]);
  return ops.pad(g, pads);
}

/** Backward of maskedSelect: ct's entries put back at the mask's positions (zeros elsewhere), summed to x's shape where the mask broadcast x. */
export function adMaskedSelectBackward(ct: Tensor, x: Tensor, mask: Tensor): Tensor {
  if (ct === undefined) return undefined as never;
  const { shape, at } = maskPlan("maskedSelect", x, mask);
  if (!(ct instanceof Tensor) || ct.shape.length !== 1 || ct.shape[0] !== at.length) {
    throw new RangeError(`maskedSelect: the cotangent must be a 1-d tensor of ${at.length} entries (the mask's true count), got ${ct instanceof Tensor ? fmt(ct.shape) : typeof ct} (input ${fmt(x.shape)}, mask ${fmt(mask.shape)})`);
  }
  const out = alloc(floatOf(ct.dtype), shape.reduce((a, b) => a * b, 1));
  for (let k = 0; k < at.length; k++) out[at[k]] = ct.data[k];
  return adSumTo(new Tensor(out, shape), x);
}
