// torch.nn.functional's losses, each with PyTorch's `reduction` ("mean", the
// default, "sum" or "none"):
//   crossEntropy(input, target): −Σ_c D_c · log softmax(input)_c per row, D the
//     target distribution: the target itself when it has the input's shape
//     (probabilities), else the one-hot of its class indices (a float tensor of
//     integral values: jacc has no integer dtype);
//   nllLoss(logp, target): −logp[row, target] per row (class indices);
//   mseLoss(input, target): (input − target)², broadcasting as PyTorch does;
//   binaryCrossEntropyWithLogits(input, target): (1 − y) x − log σ(x) elementwise.
// Built from the device-aware ops, so they run on WebGPU too (an index that is
// not a class: a RangeError on the CPU, a NaN loss on the device).

import { Tensor } from "../tensor.js";
import { alloc, floatOf } from "../dtype.js";
import { broadcastShapes, describe, fmt, sameShape } from "../shape.js";
import { deviceAware } from "../device.js";
import * as sm from "./softmax.js";
import * as reduce from "./reduce.js";
import * as whereOps from "./where.js";
import * as reshapeOps from "./reshape.js";
import { arange, zeros } from "../factories.js";
import { eq, ge, logicalAnd, logSigmoid, lt, mul, neg, round, square, sub } from "./elementwise-api.gen.js";

// (the device-aware ops, as runtime/ops/index.ts exports them)
const logSoftmax = deviceAware("logSoftmax", sm.logSoftmax);
const sum = deviceAware("sum", reduce.sum);
const mean = deviceAware("mean", reduce.mean);
const where = deviceAware("where", whereOps.where);
const unsqueeze = deviceAware("unsqueeze", reshapeOps.unsqueeze);

export type Reduction = "mean" | "sum" | "none";
export interface LossOptions { reduction?: Reduction }

function tensorArg(op: string, what: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor for ${what}, got ${describe(x)}`);
  return x;
}

/** The options' reduction, checked. */
function reductionOf(op: string, opts: unknown): Reduction {
  if (opts === undefined) return "mean";
  if (typeof opts !== "object" || opts === null) throw new TypeError(`${op}: options must be an object like { reduction: "sum" }, got ${describe(opts)}`);
  const r = (opts as LossOptions).reduction ?? "mean";
  if (r !== "mean" && r !== "sum" && r !== "none") throw new RangeError(`${op}: reduction must be "mean", "sum" or "none", got ${JSON.stringify(r)}`);
  for (const k of Object.keys(opts)) if (k !== "reduction") throw new RangeError(`${op}: unknown option ${JSON.stringify(k)} (it takes { reduction })`);
  return r;
}

function reduced(t: Tensor, r: Reduction): Tensor {
  return r === "none" ? t : r === "sum" ? sum(t) : mean(t);
}

/** Input [C] or [N, C] and a target of class indices [] / [N] (or, where `probs` is allowed, probabilities of the input's shape). */
function checkClasses(op: string, input: unknown, target: unknown, probsOk: boolean, rank = true): { x: Tensor; t: Tensor; probs: boolean } {
  const x = tensorArg(op, "input", input), t = tensorArg(op, "target", target);
  if (rank && (x.shape.length < 1 || x.shape.length > 2)) throw new RangeError(`${op}: input must be [C] or [N, C] (class scores), got ${fmt(x.shape)}`);
  const probs = probsOk && sameShape(x.shape, t.shape);
  if (!probs && !sameShape(x.shape.slice(0, -1), t.shape)) {
    const want = probsOk ? `class indices ${fmt(x.shape.slice(0, -1))} or probabilities ${fmt(x.shape)}` : `class indices ${fmt(x.shape.slice(0, -1))}`;
    throw new RangeError(`${op}: target must be ${want} for input ${fmt(x.shape)}, got ${fmt(t.shape)}`);
  }
  if (x.device !== t.device) throw new TypeError(`${op}: tensors are on different devices (${x.device} and ${t.device})`);
  return { x, t, probs };
}

/** The one-hot of class indices `t` (any leading dims) over x's last dim. */
function oneHot(op: string, x: Tensor, t: Tensor): Tensor {
  const C = x.shape[x.shape.length - 1];
  if (x.device !== "cpu") {
    // on the device the indices cannot be read back synchronously: the one-hot by comparison with
    // 0..C-1, and a row of NaN (a NaN loss) for an index that is not a class, where the CPU throws
    const hot = eq(unsqueeze(t, -1), arange(C, { dtype: "float32", device: x.device }));
    const valid = logicalAnd(logicalAnd(ge(t, 0), lt(t, C)), eq(t, round(t)));
    return where(unsqueeze(valid, -1), hot, NaN);
  }
  const out = alloc(floatOf(x.dtype), x.numel());
  for (let i = 0; i < t.numel(); i++) {
    const k = t.data[i];
    if (!Number.isInteger(k) || k < 0 || k >= C) throw new RangeError(`${op}: target ${k} at position ${i} is not a class index in 0..${C - 1} (input ${fmt(x.shape)})`);
    out[i * C + k] = 1;
  }
  return new Tensor(out, [...x.shape]);
}

/** The target distribution D of crossEntropy(input, target): the probabilities, or the one-hot of the class indices (any leading dims: vmap's batches). */
export function adCeTarget(input: Tensor, target: Tensor): Tensor {
  const { x, t, probs } = checkClasses("crossEntropy", input, target, true, false);
  return probs ? t : oneHot("crossEntropy", x, t);
}

/** How D moves with the target: `v` (a tangent or cotangent of the target's shape) for probabilities, zeros for class indices. */
export function adCeTargetTangent(input: Tensor, target: Tensor, v: Tensor): Tensor {
  const { x, probs } = checkClasses("crossEntropy", input, target, true, false);
  if (probs) return v;
  return x.device === "cpu" ? new Tensor(alloc(floatOf(x.dtype), x.numel()), [...x.shape]) : zeros([...x.shape], { dtype: "float32", device: x.device });
}

/** nllLoss's one-hot of its class indices (any leading dims). */
export function adNllTarget(input: Tensor, target: Tensor): Tensor {
  const { x, t } = checkClasses("nllLoss", input, target, false, false);
  return oneHot("nllLoss", x, t);
}

/** Cross-entropy of class scores `input` [C] or [N, C] against class indices or probabilities (torch.nn.functional.cross_entropy). */
export function crossEntropy(input: Tensor, target: Tensor, opts?: LossOptions): Tensor {
  const r = reductionOf("crossEntropy", opts);
  checkClasses("crossEntropy", input, target, true);
  return reduced(neg(sum(mul(adCeTarget(input, target), logSoftmax(input, -1)), -1)), r);
}

/** The negative log-likelihood of log-probabilities `input` [C] or [N, C] at class indices `target` [] or [N] (torch.nn.functional.nll_loss). */
export function nllLoss(input: Tensor, target: Tensor, opts?: LossOptions): Tensor {
  const r = reductionOf("nllLoss", opts);
  checkClasses("nllLoss", input, target, false);
  return reduced(neg(sum(mul(adNllTarget(input, target), input), -1)), r);
}

/** The squared error (input − target)², broadcasting, reduced (torch.nn.functional.mse_loss). */
export function mseLoss(input: Tensor, target: Tensor, opts?: LossOptions): Tensor {
  const r = reductionOf("mseLoss", opts);
  const x = tensorArg("mseLoss", "input", input), t = tensorArg("mseLoss", "target", target);
  broadcastShapes("mseLoss", x.shape, t.shape);
  return reduced(square(sub(x, t)), r);
}

/** Binary cross-entropy of logits `input` against targets in [0, 1] of the same shape, without overflow (torch.nn.functional.binary_cross_entropy_with_logits). */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, opts?: LossOptions): Tensor {
  const op = "binaryCrossEntropyWithLogits";
  const r = reductionOf(op, opts);
  const x = tensorArg(op, "input", input), y = tensorArg(op, "target", target);
  if (!sameShape(x.shape, y.shape)) throw new RangeError(`${op}: target must have the input's shape ${fmt(x.shape)}, got ${fmt(y.shape)}`);
  // (1 − y) x − log σ(x)
  return reduced(sub(mul(sub(1, y), x), logSigmoid(x)), r);
}
