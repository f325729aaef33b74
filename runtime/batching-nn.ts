// The batched forms of the nn losses (compiler/ops/tensor.ts lossBatch): each
// example's loss with reduction "none" in one call over the batch, then
// reduced over each example's own dims, so vmap of a loss runs once, not per row.
import { Tensor } from "./tensor.js";
import * as ops from "./ops/index.js";
import { bReduceAll } from "./batching.js";
import { arange } from "./factories.js";
import { adClassMove } from "./ops/loss.js";
import type { CrossEntropyOptions, Reduction } from "./ops/loss.js";

type LossOp = "crossEntropy" | "nllLoss" | "mseLoss" | "binaryCrossEntropyWithLogits";

/**
 * loss(x, t) of each example, `flags` saying which of x and t carry the batch (dim 0); `classOpts`:
 * crossEntropy's / nllLoss's ignoreIndex and labelSmoothing (undefined: the defaults); `weight`: their
 * class weight [C], the same for every example.
 */
export function bLoss(x: Tensor, t: Tensor, weight: Tensor | undefined, op: LossOp, reduction: Reduction, flags: readonly boolean[], classOpts?: CrossEntropyOptions): Tensor {
  const B = (flags[0] ? x : t).shape[0];
  let [xb, tb] = [x, t].map((a, i) => (flags[i] ? a : ops.expand(ops.unsqueeze(a, 0), [B, ...a.shape])));
  const none = { reduction: "none" } as const;
  let l: Tensor;
  if (op === "crossEntropy" || op === "nllLoss") {
    const ignoreIndex = classOpts?.ignoreIndex ?? -100, labelSmoothing = classOpts?.labelSmoothing ?? 0;
    const opts = op === "crossEntropy" ? { ...none, ignoreIndex, labelSmoothing, weight } : { ...none, ignoreIndex, weight };
    // each example's classes last ([B, N, C, d…] → [B, N, d…, C]; probabilities move with them), then
    // every row of every example as one [R, C] input, its losses [R] read back as [B, N, d…]
    const probs = tb.shape.length === xb.shape.length;
    const xl = adClassMove(xb, xb, true, true, true), tl = probs ? adClassMove(tb, xb, true, true, true) : tb;
    const rows = xl.shape.slice(0, -1), C = xl.shape[xl.shape.length - 1];
    l = ops.reshape(ops[op](ops.reshape(xl, [-1, C]), ops.reshape(tl, probs ? [-1, C] : [-1]), opts), rows);
    // "mean" over each example's rows that count, by their weight: an ignored row's loss is 0 and weighs 0 (0 / 0 = NaN where none counts)
    if (reduction === "mean" && !probs) {
      const counted = ops.ne(tl, ignoreIndex);
      const weighed = weight ? ops.mul(ops.sum(ops.mul(ops.eq(ops.unsqueeze(tl, -1), arange(C, { dtype: "float32", device: tl.device })), weight), -1), counted) : counted;
      const dims = rows.slice(1).map((_, i) => i + 1);
      return dims.length ? ops.div(ops.sum(l, dims), ops.sum(weighed, dims)) : ops.div(l, weighed);
    }
  } else {
    // mseLoss broadcasts within an example: the lower-rank operand gains dims after the batch dim
    while (op === "mseLoss" && xb.shape.length < tb.shape.length) xb = ops.unsqueeze(xb, 1);
    while (op === "mseLoss" && tb.shape.length < xb.shape.length) tb = ops.unsqueeze(tb, 1);
    l = ops[op](xb, tb, none);
  }
  return reduction === "none" ? l : bReduceAll(reduction, l, false);
}
