// torch.nn.functional's losses, each with PyTorch's `reduction` ("mean", the
// default, "sum" or "none"):
//   crossEntropy(input, target, { weight, ignoreIndex = −100, labelSmoothing = 0 }):
//     −Σ_c D_c · log softmax(input)_c per row, D the target distribution: the
//     target itself when it has the input's shape (probabilities), else the
//     one-hot of its class indices (a float tensor of integral values: jacc has
//     no integer dtype), mixed with the uniform distribution by labelSmoothing,
//     times the class weight w_c; a row whose class is ignoreIndex counts for
//     nothing, and "mean" divides by the weight of the rows that count, Σ w_target
//     (their number without a weight; for probabilities, the number of rows), as
//     PyTorch's: NaN when none counts;
//   nllLoss(logp, target, { weight, ignoreIndex }): −w_target · logp[row, target] per row (class indices);
//   input [C], [N, C] or [N, C, d1, …] (the classes along dim 1, as PyTorch's:
//     moved last, where every formula here has them), target [], [N] or [N, d1, …];
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
import { movedim } from "./moves.js";
import { add, div, eq, ge, logicalAnd, logicalNot, logSigmoid, lt, mul, neg, round, square, sub } from "./elementwise-api.gen.js";

// (the device-aware ops, as runtime/ops/index.ts exports them)
const logSoftmax = deviceAware("logSoftmax", sm.logSoftmax);
const sum = deviceAware("sum", reduce.sum);
const mean = deviceAware("mean", reduce.mean);
const where = deviceAware("where", whereOps.where);
const unsqueeze = deviceAware("unsqueeze", reshapeOps.unsqueeze);

export type Reduction = "mean" | "sum" | "none";
export interface LossOptions { reduction?: Reduction }
export interface NllLossOptions extends LossOptions { ignoreIndex?: number; weight?: Tensor }
export interface CrossEntropyOptions extends NllLossOptions { labelSmoothing?: number }
/** weight: each element's loss rescaled (broadcast to the input); posWeight: the positive term's weight (broadcast likewise, PyTorch's pos_weight: one per class along the last dim) */
export interface BceOptions extends LossOptions { weight?: Tensor; posWeight?: Tensor }

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

/** ignoreIndex (PyTorch's default −100), labelSmoothing (0) and the class weight [C] (none), checked. */
function classOptions(op: string, opts: CrossEntropyOptions | undefined, x: Tensor): { ignoreIndex: number; smoothing: number; weight: Tensor | undefined } {
  const ignoreIndex = opts?.ignoreIndex ?? -100, smoothing = opts?.labelSmoothing ?? 0, weight = opts?.weight;
  if (typeof ignoreIndex !== "number" || !Number.isInteger(ignoreIndex)) throw new TypeError(`${op}: ignoreIndex must be an integer, got ${describe(ignoreIndex)}`);
  if (typeof smoothing !== "number" || !(smoothing >= 0 && smoothing <= 1)) throw new RangeError(`${op}: labelSmoothing must be between 0 and 1, got ${describe(smoothing)}`);
  if (weight !== undefined) checkWeight(op, weight, x, classDim(x));
  return { ignoreIndex, smoothing, weight };
}

/** The classes' dim of an input: 0 for [C], else 1 ([N, C, d1, …]), as PyTorch's. */
const classDim = (x: Tensor) => (x.shape.length === 1 ? 0 : 1);

/** A class weight: a Tensor [C] on the input's device (C the size of dim `cd` of x). */
function checkWeight(op: string, w: unknown, x: Tensor, cd: number): asserts w is Tensor {
  if (!(w instanceof Tensor)) throw new TypeError(`${op}: weight must be a Tensor of one weight per class, got ${describe(w)}`);
  const C = x.shape[cd];
  if (w.shape.length !== 1 || w.shape[0] !== C) throw new RangeError(`${op}: weight must be [${C}] (one per class of input ${fmt(x.shape)}), got ${fmt(w.shape)}`);
  if (w.device !== x.device) throw new TypeError(`${op}: weight is on ${w.device}, input on ${x.device}`);
}

function reduced(t: Tensor, r: Reduction): Tensor {
  return r === "none" ? t : r === "sum" ? sum(t) : mean(t);
}

/**
 * A public call's input [C], [N, C] or [N, C, d1, …] and target: class indices of the input's shape
 * without the classes' dim, or (where `probsOk`) probabilities of the input's shape.
 */
function checkClasses(op: string, input: unknown, target: unknown, probsOk: boolean): { x: Tensor; t: Tensor; probs: boolean } {
  const x = tensorArg(op, "input", input), t = tensorArg(op, "target", target);
  if (x.shape.length < 1) throw new RangeError(`${op}: input must be [C], [N, C] or [N, C, d1, …] (class scores), got ${fmt(x.shape)}`);
  const probs = probsOk && sameShape(x.shape, t.shape);
  const indices = x.shape.filter((_, i) => i !== classDim(x));
  if (!probs && !sameShape(indices, t.shape)) {
    const want = probsOk ? `class indices ${fmt(indices)} or probabilities ${fmt(x.shape)}` : `class indices ${fmt(indices)}`;
    throw new RangeError(`${op}: target must be ${want} for input ${fmt(x.shape)}, got ${fmt(t.shape)}`);
  }
  if (x.device !== t.device) throw new TypeError(`${op}: tensors are on different devices (${x.device} and ${t.device})`);
  return { x, t, probs };
}

/** The class-last helpers' input (classes along the last dim, any leading dims: vmap's batches) and target. */
function classLastArgs(op: string, input: Tensor, target: Tensor): { x: Tensor; t: Tensor; probs: boolean } {
  const x = tensorArg(op, "input", input), t = tensorArg(op, "target", target);
  const probs = sameShape(x.shape, t.shape);
  if (!probs && !sameShape(x.shape.slice(0, -1), t.shape)) throw new RangeError(`${op}: target must be class indices ${fmt(x.shape.slice(0, -1))} or probabilities ${fmt(x.shape)} for input ${fmt(x.shape)}, got ${fmt(t.shape)}`);
  return { x, t, probs };
}

/**
 * The target distribution of class indices `t` (any leading dims) over x's last dim: the one-hot,
 * mixed with the uniform distribution by `smoothing`, times the class weight `w`; zero rows where t
 * is `ignoreIndex`, and for reduction "mean" every row scaled by rows / the weight of the rows that
 * count (so the mean over rows is PyTorch's).
 */
function classTarget(op: string, x: Tensor, t: Tensor, w: Tensor | undefined, ignoreIndex: number, smoothing: number, reduction: Reduction, batched: boolean): Tensor {
  // (vmap's batched code: each example — the target's leading index — has its own rows that count)
  const C = x.shape[x.shape.length - 1], rows = t.numel(), groups = batched && t.shape.length ? t.shape[0] : 1, per = groups ? rows / groups : 0;
  const on = 1 - smoothing + smoothing / C, off = smoothing / C;
  if (x.device !== "cpu") {
    // on the device the indices cannot be read back synchronously: the one-hot by comparison with
    // 0..C-1, and a row of NaN (a NaN loss) for an index that is not a class, where the CPU throws
    const hot = eq(unsqueeze(t, -1), arange(C, { dtype: "float32", device: x.device }));
    const valid = logicalAnd(logicalAnd(ge(t, 0), lt(t, C)), eq(t, round(t)));
    const ignored = eq(t, ignoreIndex);
    const mixed = smoothing ? add(mul(hot, on - off), off) : hot;
    const D = where(unsqueeze(ignored, -1), 0, where(unsqueeze(valid, -1), w ? mul(mixed, w) : mixed, NaN));
    if (reduction !== "mean") return D;
    const rest = [...Array(t.shape.length).keys()].slice(groups > 1 || batched ? 1 : 0);
    // (each row's weight: w at its class, 1 without a weight; 0 where ignored)
    const counts = w ? mul(sum(mul(hot, w), -1), logicalNot(ignored)) : logicalNot(ignored);
    const counted = rest.length ? sum(counts, rest, true) : counts;
    return mul(D, unsqueeze(div(per, counted), -1));
  }
  const out = alloc(floatOf(x.dtype), x.numel());
  const wd = w?.data;
  for (let g = 0; g < groups; g++) {
    let counted = 0;
    for (let i = g * per; i < (g + 1) * per; i++) {
      const k = t.data[i];
      if (k === ignoreIndex) continue;
      if (!Number.isInteger(k) || k < 0 || k >= C) throw new RangeError(`${op}: target ${k} at position ${i} is not a class index in 0..${C - 1} (input ${fmt(x.shape)})`);
      counted += wd ? wd[k] : 1;
      if (smoothing) for (let c = 0; c < C; c++) out[i * C + c] = wd ? off * wd[c] : off;
      out[i * C + k] = wd ? on * wd[k] : on;
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
 * The target distribution D of crossEntropy(input, target) with the classes last (any leading dims:
 * vmap's batches): the probabilities, mixed with the uniform by `smoothing`, times the class weight,
 * or classTarget of the class indices.
 */
export function adCeTarget(input: Tensor, target: Tensor, weight?: Tensor, ignoreIndex = -100, smoothing = 0, reduction: Reduction = "none", batched = false): Tensor {
  const { x, t, probs } = classLastArgs("crossEntropy", input, target);
  if (weight !== undefined) checkWeight("crossEntropy", weight, x, x.shape.length - 1);
  if (!probs) return classTarget("crossEntropy", x, t, weight, ignoreIndex, smoothing, reduction, batched);
  if (ignoreIndex >= 0) throw new RangeError(`crossEntropy: ignoreIndex (${ignoreIndex}) is not supported for a target of probabilities ${fmt(t.shape)}`);
  const D = smoothing ? add(mul(t, 1 - smoothing), smoothing / x.shape[x.shape.length - 1]) : t;
  return weight ? mul(D, weight) : D;
}

/** How D moves with the target: `v` (a tangent or cotangent of the target's shape) times (1 − smoothing) · weight for probabilities, zeros for class indices. */
export function adCeTargetTangent(input: Tensor, target: Tensor, v: Tensor, weight?: Tensor, smoothing = 0): Tensor {
  if (v === undefined) return undefined as never; // a structural zero (forward over reverse)
  const { x, probs } = classLastArgs("crossEntropy", input, target);
  if (probs) {
    const scaled = smoothing ? mul(v, 1 - smoothing) : v;
    return weight ? mul(scaled, weight) : scaled;
  }
  return x.device === "cpu" ? new Tensor(alloc(floatOf(x.dtype), x.numel()), [...x.shape]) : zeros([...x.shape], { dtype: "float32", device: x.device });
}

/** nllLoss's weighted one-hot of its class indices (classes last, any leading dims), as classTarget. */
export function adNllTarget(input: Tensor, target: Tensor, weight?: Tensor, ignoreIndex = -100, reduction: Reduction = "none", batched = false): Tensor {
  const { x, t, probs } = classLastArgs("nllLoss", input, target);
  if (probs) throw new RangeError(`nllLoss: target must be class indices ${fmt(x.shape.slice(0, -1))} for input ${fmt(x.shape)}, got ${fmt(t.shape)}`);
  if (weight !== undefined) checkWeight("nllLoss", weight, x, x.shape.length - 1);
  return classTarget("nllLoss", x, t, weight, ignoreIndex, 0, reduction, batched);
}

/**
 * `a` with the classes' dim of `x` moved last (`last`) or back to dim 1 (PyTorch's [N, C, d1, …]):
 * only where x has spatial dims and `a` has x's rank (x itself, its tangent, probabilities), so class
 * indices, [C] and [N, C] pass through. aB / xB: a and x carry vmap's batch dim first.
 */
export function adClassMove(a: Tensor, x: Tensor, last: boolean, aB = false, xB = false): Tensor {
  if (a === undefined) return undefined as never; // a structural zero
  const rank = x.shape.length - (xB ? 1 : 0);
  if (rank <= 2 || a.shape.length - (aB ? 1 : 0) !== rank) return a;
  const cd = aB ? 2 : 1;
  return last ? movedim(a, cd, -1) : movedim(a, -1, cd);
}

/** Cross-entropy of class scores `input` [C], [N, C] or [N, C, d1, …] against class indices or probabilities (torch.nn.functional.cross_entropy). */
export function crossEntropy(input: Tensor, target: Tensor, opts?: CrossEntropyOptions): Tensor {
  const r = reductionOf("crossEntropy", opts, ["weight", "ignoreIndex", "labelSmoothing"]);
  const { x, t } = checkClasses("crossEntropy", input, target, true);
  const { ignoreIndex, smoothing, weight } = classOptions("crossEntropy", opts, x);
  const [xl, tl] = [adClassMove(x, x, true), adClassMove(t, x, true)];
  return reduced(neg(sum(mul(adCeTarget(xl, tl, weight, ignoreIndex, smoothing, r), logSoftmax(xl, -1)), -1)), r);
}

/** The negative log-likelihood of log-probabilities `input` [C], [N, C] or [N, C, d1, …] at class indices `target` (torch.nn.functional.nll_loss). */
export function nllLoss(input: Tensor, target: Tensor, opts?: NllLossOptions): Tensor {
  const r = reductionOf("nllLoss", opts, ["weight", "ignoreIndex"]);
  const { x, t } = checkClasses("nllLoss", input, target, false);
  const { ignoreIndex, weight } = classOptions("nllLoss", opts, x);
  const xl = adClassMove(x, x, true);
  return reduced(neg(sum(mul(adNllTarget(xl, t, weight, ignoreIndex, r), xl), -1)), r);
}

/** The squared error (input − target)², broadcasting, reduced (torch.nn.functional.mse_loss). */
export function mseLoss(input: Tensor, target: Tensor, opts?: LossOptions): Tensor {
  const r = reductionOf("mseLoss", opts);
  const x = tensorArg("mseLoss", "input", input), t = tensorArg("mseLoss", "target", target);
  broadcastShapes("mseLoss", x.shape, t.shape);
  return reduced(square(sub(x, t)), r);
}

/**
 * Binary cross-entropy of logits `input` against targets in [0, 1] of the same shape, without overflow
 * (torch.nn.functional.binary_cross_entropy_with_logits): w ((1 − y) x − L log σ(x)), L = (p − 1) y + 1 with
 * p the posWeight (1 without one) and w the weight (1 without one), each broadcast to the input's shape.
 */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, opts?: BceOptions): Tensor {
  const op = "binaryCrossEntropyWithLogits";
  const r = reductionOf(op, opts, ["weight", "posWeight"]);
  const x = tensorArg(op, "input", input), y = tensorArg(op, "target", target);
  if (!sameShape(x.shape, y.shape)) throw new RangeError(`${op}: target must have the input's shape ${fmt(x.shape)}, got ${fmt(y.shape)}`);
  const w = opts?.weight, p = opts?.posWeight;
  for (const [name, t] of [["weight", w], ["posWeight", p]] as const) {
    if (t === undefined) continue;
    if (!(t instanceof Tensor)) throw new TypeError(`${op}: ${name} must be a Tensor, got ${describe(t)}`);
    let fits = false;
    try {
      fits = sameShape(broadcastShapes(op, t.shape, x.shape), x.shape);
    } catch {
      // (not broadcastable at all: the same message)
    }
    if (!fits) throw new RangeError(`${op}: ${name} of shape ${fmt(t.shape)} does not broadcast to the input's shape ${fmt(x.shape)}`);
  }
  const L = p === undefined ? undefined : add(mul(sub(p, 1), y), 1);
  const l = sub(mul(sub(1, y), x), L === undefined ? logSigmoid(x) : mul(L, logSigmoid(x)));
  return reduced(w === undefined ? l : mul(l, w), r);
}
