// The batched forms of the nn losses (compiler/ops/tensor.ts lossBatch): each
// example's loss with reduction "none" in one call over the batch, then
// reduced over each example's own dims, so vmap of a loss runs once, not per row.
import { Tensor } from "./tensor.js";
import * as ops from "./ops/index.js";
import { bReduceAll } from "./batching.js";
import type { CrossEntropyOptions, Reduction } from "./ops/loss.js";

type LossOp = "crossEntropy" | "nllLoss" | "mseLoss" | "binaryCrossEntropyWithLogits";

/**
 * loss(x, t) of each example, `flags` saying which of x and t carry the batch (dim 0); `classOpts`:
 * crossEntropy's / nllLoss's ignoreIndex and labelSmoothing (undefined: the defaults).
 */
export function bLoss(x: Tensor, t: Tensor, op: LossOp, reduction: Reduction, flags: readonly boolean[], classOpts?: CrossEntropyOptions): Tensor {
  const B = (flags[0] ? x : t).shape[0];
  let [xb, tb] = [x, t].map((a, i) => (flags[i] ? a : ops.expand(ops.unsqueeze(a, 0), [B, ...a.shape])));
  const none = { reduction: "none" } as const;
  let l: Tensor;
  if (op === "crossEntropy" || op === "nllLoss") {
    // a batch of [N, C] examples is one [B·N, C] input, its losses [B·N] read back as [B, N]
    const ignoreIndex = classOpts?.ignoreIndex ?? -100, labelSmoothing = classOpts?.labelSmoothing ?? 0;
    const opts = op === "crossEntropy" ? { ...none, ignoreIndex, labelSmoothing } : { ...none, ignoreIndex };
    const rows = xb.shape.length === 3;
    // class indices [B, N] / [B] (probabilities have the input's shape)
    const indices = tb.shape.length < xb.shape.length ? tb : undefined;
    if (rows) [xb, tb] = [ops.flatten(xb, 0, 1), ops.flatten(tb, 0, 1)];
    l = ops[op](xb, tb, opts);
    if (rows) l = ops.reshape(l, [B, x.shape[flags[0] ? 1 : 0]]);
    // "mean" over each example's rows that count: an ignored row's loss is 0 and not counted (0 / 0 = NaN where none counts)
    if (reduction === "mean" && indices) {
      const counted = ops.ne(indices, ignoreIndex);
      return rows ? ops.div(ops.sum(l, -1), ops.sum(counted, -1)) : ops.div(l, counted);
    }
  } else {
    // mseLoss broadcasts within an example: the lower-rank operand gains dims after the batch dim
    while (op === "mseLoss" && xb.shape.length < tb.shape.length) xb = ops.unsqueeze(xb, 1);
    while (op === "mseLoss" && tb.shape.length < xb.shape.length) tb = ops.unsqueeze(tb, 1);
    l = ops[op](xb, tb, none);
  }
  return reduction === "none" ? l : bReduceAll(reduction, l, false);
}
