// The convolutions and pools (runtime/ops/conv.ts) over a batch: the batch dim folds into the
// ops' own N. A batched spatial operand is [B, N, C, ...] (folded to
// [B·N, C, ...] and unfolded after) or [B, C, ...] (its examples unbatched:
// B is the op's N as it stands); the other operands (weights, bias) are
// unbatched, as the compile-time rule checks (compiler/ops/tensor.ts).
import { Tensor } from "./tensor.js";
import * as conv from "./ops/conv.js";
import * as ops from "./ops/index.js";

const FNS: Record<string, (...a: never[]) => Tensor> = {
  conv1d: conv.conv1d, conv2d: conv.conv2d, maxPool2d: conv.maxPool2d, avgPool2d: conv.avgPool2d,
  adConvInput: conv.adConvInput, adMaxPoolJvp: conv.adMaxPoolJvp, adMaxPoolBackward: conv.adMaxPoolBackward, adAvgPoolBackward: conv.adAvgPoolBackward,
};

/**
 * fn(...args, ...attrs) over a batch: the args at the positions `fold` batched at dim 0 with `sp`
 * spatial dims each, the others unbatched. undefined when a folded operand is (a cotangent not reached).
 */
export function bFold(fn: string, sp: number, fold: readonly number[], args: readonly unknown[], ...attrs: unknown[]): Tensor | undefined {
  const f = FNS[fn] as ((...a: unknown[]) => Tensor) | undefined;
  if (!f) throw new Error(`internal: bFold has no nn op ${fn}`);
  if (fold.some((i) => args[i] === undefined)) return undefined;
  const first = args[fold[0]] as Tensor;
  const call = (each: (t: Tensor) => Tensor) => f(...args.map((a, i) => (fold.includes(i) ? each(a as Tensor) : a)), ...attrs);
  // an example of another rank: the op's own error, for that example's shape
  if (first.shape.length !== sp + 2 && first.shape.length !== sp + 3) return call((t) => ops.select(t, 0, 0));
  // examples with their own N: [B, N, C, ...] → [B·N, C, ...]
  const withN = first.shape.length === sp + 3;
  const B = first.shape[0];
  const out = call((t) => (withN ? ops.flatten(t, 0, 1) : t));
  return withN ? ops.unflatten(out, 0, [B, out.shape[0] / B]) : out;
}
