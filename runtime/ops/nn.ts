// torch.nn.functional's layers: linear, layerNorm and dropout (the losses are in
// loss.ts). Built from the device-aware ops, so they run on WebGPU with those
// ops' kernels; the checks name the op and the shapes before anything runs.
import { Tensor } from "../tensor.js";
import { deviceAware } from "../device.js";
import { describe, fmt, sameShape } from "../shape.js";
import * as mm from "./matmul.js";
import * as permuteOps from "./permute.js";
import * as reduceOps from "./reduce.js";
import { add, ge, mul, rsqrt, sub } from "./elementwise-api.gen.js";
import { rand, type RandomOptions } from "../factories.js";

const matmul = deviceAware("matmul", mm.matmul);
const transpose = deviceAware("t", permuteOps.t);
const mean = deviceAware("mean", reduceOps.mean);

function tensorArg(op: string, what: string, x: unknown, optional = false): Tensor | undefined {
  if (optional && (x === undefined || x === null)) return undefined;
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor for ${what}, got ${describe(x)}`);
  return x;
}

function sameDevice(op: string, ts: (Tensor | undefined)[]): void {
  const devs = [...new Set(ts.filter((t): t is Tensor => t !== undefined).map((t) => t.device))];
  if (devs.length > 1) throw new TypeError(`${op}: tensors are on different devices (${devs.join(" and ")})`);
}

/** input Wᵀ + bias over any leading dims of input [..., in]; weight [out, in] (or [in]: no output dim), bias [out] (torch.nn.functional.linear). */
export function linear(input: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  const x = tensorArg("linear", "input", input)!, W = tensorArg("linear", "weight", weight)!, b = tensorArg("linear", "bias", bias, true);
  const inF = x.shape[x.shape.length - 1];
  if (x.shape.length < 1 || W.shape.length < 1 || W.shape.length > 2 || W.shape[W.shape.length - 1] !== inF) {
    throw new RangeError(`linear: weight must be [out, ${x.shape.length ? inF : "in"}] or [${x.shape.length ? inF : "in"}] for input ${fmt(x.shape)}, got ${fmt(W.shape)}`);
  }
  const outShape = W.shape.length === 2 ? [W.shape[0]] : [];
  if (b && !(sameShape(b.shape, outShape) || (b.shape.length === 0 && outShape.length === 1) || (b.shape.length === 1 && b.shape[0] === 1))) {
    throw new RangeError(`linear: bias must be ${fmt(outShape)} for weight ${fmt(W.shape)}, got ${fmt(b.shape)}`);
  }
  sameDevice("linear", [x, W, b]);
  const y = matmul(x, transpose(W));
  return b ? add(y, b) : y;
}

/** The trailing dims normalizedShape names, checked against the input. */
function normalizedDims(input: Tensor, normalizedShape: unknown): number[] {
  const shape = typeof normalizedShape === "number" ? [normalizedShape] : normalizedShape;
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((s) => Number.isInteger(s) && s >= 0)) {
    throw new TypeError(`layerNorm: normalizedShape must be an integer or a non-empty array of integers, got ${describe(normalizedShape)}`);
  }
  const k = shape.length;
  if (input.shape.length < k || !sameShape(input.shape.slice(-k), shape)) {
    throw new RangeError(`layerNorm: input ${fmt(input.shape)} does not end in normalizedShape ${fmt(shape)}`);
  }
  return Array.from({ length: k }, (_, i) => i - k);
}

/**
 * (input − mean) / √(var + eps) over the trailing dims `normalizedShape` (the biased variance), then
 * × weight + bias, each of shape normalizedShape (torch.nn.functional.layer_norm).
 */
export function layerNorm(input: Tensor, normalizedShape: number | readonly number[], weight?: Tensor, bias?: Tensor, eps = 1e-5): Tensor {
  const x = tensorArg("layerNorm", "input", input)!;
  const w = tensorArg("layerNorm", "weight", weight, true), b = tensorArg("layerNorm", "bias", bias, true);
  const dims = normalizedDims(x, normalizedShape);
  const want = x.shape.slice(dims[0] + x.shape.length);
  for (const [what, p] of [["weight", w], ["bias", b]] as const) {
    if (p && !sameShape(p.shape, want)) throw new RangeError(`layerNorm: ${what} must be ${fmt(want)} (normalizedShape) for input ${fmt(x.shape)}, got ${fmt(p.shape)}`);
  }
  if (typeof eps !== "number" || !(eps >= 0)) throw new RangeError(`layerNorm: eps must be a number ≥ 0, got ${typeof eps === "number" ? eps : describe(eps)}`);
  sameDevice("layerNorm", [x, w, b]);
  const c = sub(x, mean(x, dims, true));
  let y = mul(c, rsqrt(add(mean(mul(c, c), dims, true), eps)));
  if (w) y = mul(y, w);
  return b ? add(y, b) : y;
}

/**
 * torch.nn.functional.dropout: while `training`, each entry is zeroed with probability p and the
 * others scaled by 1 / (1 − p), one uniform draw per entry (`opts`: rand's seed or generator);
 * otherwise the input itself. Inside a differentiated function it is a random op (SPEC §2) unless
 * `training` is the literal false.
 */
export function dropout(input: Tensor, p = 0.5, training = true, opts?: Pick<RandomOptions, "seed" | "generator">): Tensor {
  const x = tensorArg("dropout", "input", input)!;
  if (typeof p !== "number" || !(p >= 0 && p <= 1)) throw new RangeError(`dropout: probability p must be between 0 and 1, got ${describe(p)}`);
  if (typeof training !== "boolean") throw new TypeError(`dropout: training must be a boolean, got ${describe(training)}`);
  if (!training || p === 0) return x;
  if (x.dtype === "bool" || x.dtype === "int32") throw new TypeError(`dropout: expected a float tensor, got a ${x.dtype} one (shape ${fmt(x.shape)})`);
  const keep = ge(rand(x.shape, { ...opts, dtype: x.dtype, device: x.device }), p);
  // (x · mask, then the scale as a number in x's dtype: PyTorch's noise.div_(1 − p))
  return p === 1 ? mul(x, 0) : mul(mul(x, keep), 1 / (1 - p));
}
