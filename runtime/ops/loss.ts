// torch.nn.functional's losses, each with PyTorch's `reduction` ("mean", the
// default, "sum" or "none"):
//   crossEntropy(input, target, { ignoreIndex = −100, labelSmoothing = 0 }):
//     −Σ_c D_c · log softmax(input)_c per row, D the target distribution: the
//     target itself when it has the input's shape (probabilities), else the
//     one-hot of its class indices (a float tensor of integral values: jacc has
//     no integer dtype), mixed with the uniform distribution by labelSmoothing;
//     a row whose class is ignoreIndex counts for nothing, and "mean" divides by
//     the rows that count (PyTorch's: NaN when none does);
//   nllLoss(logp, target, { ignoreIndex }): −logp[row, target] per row (class indices);
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
import { add, div, eq, ge, logicalAnd, logicalNot, logSigmoid, lt, mul, neg, round, square, sub } from "./elementwise-api.gen.js";

// (the device-aware ops, as runtime/ops/index.ts exports them)
const logSoftmax = deviceAware("logSoftmax", sm.logSoftmax);
const sum = deviceAware("sum", reduce.sum);
const mean = deviceAware("mean", reduce.mean);
const where = deviceAware("where", whereOps.where);
const unsqueeze = deviceAware("unsqueeze", reshapeOps.unsqueeze);

export type Reduction = "mean" | "sum" | "none";
export interface LossOptions { reduction?: Reduction }
export interface NllLossOptions extends LossOptions { ignoreIndex?: number }
export interface CrossEntropyOptions extends NllLossOptions { labelSmoothing?: number }

function tensorArg(op: string, what: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor for ${what}, got ${describe(x)}`);
  return x;
}

/** The options' reduction, checked (`extra`: the op's other options, checked by the caller). */
function reductionOf(op: string, opts: unknown, extra: readonly string[] = []): Reduction {
  if (opts === undefined) return "mean";
  if (typeof opts !== "object" || opts === null) throw new TypeError(`${op}: options must be an object like { reduction: "sum" }, got ${describe(opts)}`);
  const r = (opts as LossOptions).reduction ?? "mean";
  if (r !== "mean" && r !== "sum" && r !== "none") throw new RangeError(`${op}: reduction must be "mean", "sum" or "none", got ${JSON.stringify(r)}`);
  const known = ["reduction", ...extra];
  for (const k of Object.keys(opts)) if (!known.includes(k)) throw new RangeError(`${op}: unknown option ${JSON.stringify(k)} (it takes { ${known.join(", ")} })`);
  return r;
}

/** ignoreIndex (PyTorch's default −100) and labelSmoothing (0), checked. */
function classOptions(op: string, opts: CrossEntropyOptions | undefined): { ignoreIndex: number; smoothing: number } {
  const ignoreIndex = opts?.ignoreIndex ?? -100, smoothing = opts?.labelSmoothing ?? 0;
  if (typeof ignoreIndex !== "number" || !Number.isInteger(ignoreIndex)) throw new TypeError(`${op}: ignoreIndex must be an integer, got ${describe(ignoreIndex)}`);
  if (typeof smoothing !== "number" || !(smoothing >= 0 && smoothing <= 1)) throw new RangeError(`${op}: labelSmoothing must be between 0 and 1, got ${describe(smoothing)}`);
  return { ignoreIndex, smoothing };
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

/**
 * The target distribution of class indices `t` (any leading dims) over x's last dim: the one-hot,
 * mixed with the uniform distribution by `smoothing`; zero rows where t is `ignoreIndex`, and for
 * reduction "mean" every row scaled by rows / rows that count (so the mean over rows is PyTorch's).
 */
function classTarget(op: string, x: Tensor, t: Tensor, ignoreIndex: number, smoothing: number, reduction: Reduction, batched: boolean): Tensor {
  // (vmap's batched code: each example — the target's leading index — has its own rows that count)
  const C = x.shape[x.shape.length - 1], rows = t.numel(), groups = batched && t.shape.length ? t.shape[0] : 1, per = groups ? rows / groups : 0;
  const on = 1 - smoothing + smoothing / C, off = smoothing / C;
  if (x.device !== "cpu") {
    // on the device the indices cannot be read back synchronously: the one-hot by comparison with
    // 0..C-1, and a row of NaN (a NaN loss) for an index that is not a class, where the CPU throws
    const hot = eq(unsqueeze(t, -1), arange(C, { dtype: "float32", device: x.device }));
    const valid = logicalAnd(logicalAnd(ge(t, 0), lt(t, C)), eq(t, round(t)));
    const ignored = eq(t, ignoreIndex);
    const dist = smoothing ? add(mul(hot, on - off), off) : hot;
    const D = where(unsqueeze(ignored, -1), 0, where(unsqueeze(valid, -1), dist, NaN));
    if (reduction !== "mean") return D;
    const rest = [...Array(t.shape.length).keys()].slice(groups > 1 || batched ? 1 : 0);
    const counted = rest.length ? sum(logicalNot(ignored), rest, true) : logicalNot(ignored);
    return mul(D, unsqueeze(div(per, counted), -1));
  }
  const out = alloc(floatOf(x.dtype), x.numel());
  for (let g = 0; g < groups; g++) {
    let counted = 0;
    for (let i = g * per; i < (g + 1) * per; i++) {
      const k = t.data[i];
      if (k === ignoreIndex) continue;
      if (!Number.isInteger(k) || k < 0 || k >= C) throw new RangeError(`${op}: target ${k} at position ${i} is not a class index in 0..${C - 1} (input ${fmt(x.shape)})`);
      counted++;
      if (smoothing) out.fill(off, i * C, (i + 1) * C);
      out[i * C + k] = on;
    }
    // (no row counts: 0 · ∞, a NaN loss, as PyTorch's 0 / 0)
    if (reduction === "mean" && counted !== per) {
      const scale = per / counted;
      for (let i = g * per * C; i < (g + 1) * per * C; i++) out[i] *= scale;
    }
  }
  return new Tensor(out, [...x.shape]);
}

/**
 * The target distribution D of crossEntropy(input, target) (any leading dims: vmap's batches): the
 * probabilities, mixed with the uniform by `smoothing`, or classTarget of the class indices.
 */
export function adCeTarget(input: Tensor, target: Tensor, ignoreIndex = -100, smoothing = 0, reduction: Reduction = "none", batched = false): Tensor {
  const { x, t, probs } = checkClasses("crossEntropy", input, target, true, false);
  if (!probs) return classTarget("crossEntropy", x, t, ignoreIndex, smoothing, reduction, batched);
  if (ignoreIndex >= 0) throw new RangeError(`crossEntropy: ignoreIndex (${ignoreIndex}) is not supported for a target of probabilities ${fmt(t.shape)}`);
  return smoothing ? add(mul(t, 1 - smoothing), smoothing / x.shape[x.shape.length - 1]) : t;
}

/** How D moves with the target: `v` (a tangent or cotangent of the target's shape) times 1 − smoothing for probabilities, zeros for class indices. */
export function adCeTargetTangent(input: Tensor, target: Tensor, v: Tensor, smoothing = 0): Tensor {
  if (v === undefined) return undefined as never; // a structural zero (forward over reverse)
  const { x, probs } = checkClasses("crossEntropy", input, target, true, false);
  if (probs) return smoothing ? mul(v, 1 - smoothing) : v;
  return x.device === "cpu" ? new Tensor(alloc(floatOf(x.dtype), x.numel()), [...x.shape]) : zeros([...x.shape], { dtype: "float32", device: x.device });
}

/** nllLoss's one-hot of its class indices (any leading dims), as classTarget. */
export function adNllTarget(input: Tensor, target: Tensor, ignoreIndex = -100, reduction: Reduction = "none", batched = false): Tensor {
  const { x, t } = checkClasses("nllLoss", input, target, false, false);
  return classTarget("nllLoss", x, t, ignoreIndex, 0, reduction, batched);
}

/** Cross-entropy of class scores `input` [C] or [N, C] against class indices or probabilities (torch.nn.functional.cross_entropy). */
export function crossEntropy(input: Tensor, target: Tensor, opts?: CrossEntropyOptions): Tensor {
  const r = reductionOf("crossEntropy", opts, ["ignoreIndex", "labelSmoothing"]);
  const { ignoreIndex, smoothing } = classOptions("crossEntropy", opts);
  checkClasses("crossEntropy", input, target, true);
  return reduced(neg(sum(mul(adCeTarget(input, target, ignoreIndex, smoothing, r), logSoftmax(input, -1)), -1)), r);
}

/** The negative log-likelihood of log-probabilities `input` [C] or [N, C] at class indices `target` [] or [N] (torch.nn.functional.nll_loss). */
export function nllLoss(input: Tensor, target: Tensor, opts?: NllLossOptions): Tensor {
  const r = reductionOf("nllLoss", opts, ["ignoreIndex"]);
  const { ignoreIndex } = classOptions("nllLoss", opts);
  checkClasses("nllLoss", input, target, false);
  return reduced(neg(sum(mul(adNllTarget(input, target, ignoreIndex, r), input), -1)), r);
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
