// torch.nn.functional's cross_entropy (mean reduction): −mean over the batch of
// Σ_c D_c · log softmax(input)_c, where D is the target distribution: the
// target itself when it has the input's shape (probabilities), else the
// one-hot of its class indices (a float tensor of integral values: jacc has no
// integer dtype). Built from the device-aware ops, so it runs on WebGPU too (an
// index that is not a class: a RangeError on the CPU, a NaN loss on the device).

import { Tensor } from "../tensor.js";
import { alloc, floatOf } from "../dtype.js";
import { describe, fmt, sameShape } from "../shape.js";
import { deviceAware } from "../device.js";
import * as sm from "./softmax.js";
import * as reduce from "./reduce.js";
import * as whereOps from "./where.js";
import * as reshapeOps from "./reshape.js";
import { arange, zeros } from "../factories.js";
import { eq, ge, logicalAnd, lt, mul, neg, round } from "./elementwise-api.gen.js";

// (the device-aware ops, as runtime/ops/index.ts exports them)
const logSoftmax = deviceAware("logSoftmax", sm.logSoftmax);
const sum = deviceAware("sum", reduce.sum);
const mean = deviceAware("mean", reduce.mean);
const where = deviceAware("where", whereOps.where);
const unsqueeze = deviceAware("unsqueeze", reshapeOps.unsqueeze);

function check(input: unknown, target: unknown): { x: Tensor; t: Tensor; probs: boolean } {
  if (!(input instanceof Tensor)) throw new TypeError(`crossEntropy: expected a Tensor for input, got ${describe(input)}`);
  if (!(target instanceof Tensor)) throw new TypeError(`crossEntropy: expected a Tensor for target, got ${describe(target)}`);
  const x = input, t = target;
  if (x.shape.length < 1 || x.shape.length > 2) throw new RangeError(`crossEntropy: input must be [C] or [N, C] (class scores), got ${fmt(x.shape)}`);
  const probs = sameShape(x.shape, t.shape);
  if (!probs && !sameShape(x.shape.slice(0, -1), t.shape)) {
    throw new RangeError(`crossEntropy: target must be class indices ${fmt(x.shape.slice(0, -1))} or probabilities ${fmt(x.shape)} for input ${fmt(x.shape)}, got ${fmt(t.shape)}`);
  }
  if (x.device !== t.device) throw new TypeError(`crossEntropy: tensors are on different devices (${x.device} and ${t.device})`);
  return { x, t, probs };
}

/** The target distribution D of crossEntropy(input, target): the probabilities, or the one-hot of the class indices. */
export function adCeTarget(input: Tensor, target: Tensor): Tensor {
  const { x, t, probs } = check(input, target);
  if (probs) return t;
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
    if (!Number.isInteger(k) || k < 0 || k >= C) throw new RangeError(`crossEntropy: target ${k} at position ${i} is not a class index in 0..${C - 1} (input ${fmt(x.shape)})`);
    out[i * C + k] = 1;
  }
  return new Tensor(out, [...x.shape]);
}

/** How D moves with the target: `v` (a tangent or cotangent of the target's shape) for probabilities, zeros for class indices. */
export function adCeTargetTangent(input: Tensor, target: Tensor, v: Tensor): Tensor {
  const { x, probs } = check(input, target);
  if (probs) return v;
  return x.device === "cpu" ? new Tensor(alloc(floatOf(x.dtype), x.numel()), [...x.shape]) : zeros([...x.shape], { dtype: "float32", device: x.device });
}

/** Cross-entropy of class scores `input` [C] or [N, C] against `target`, averaged over the batch (PyTorch's default reduction). */
export function crossEntropy(input: Tensor, target: Tensor): Tensor {
  const D = adCeTarget(input, target);
  return neg(mean(sum(mul(D, logSoftmax(input, -1)), -1)));
}
