// softmax and logSoftmax along one dim, stable: the slice's max is subtracted
// before exp, so large inputs do not overflow.

import { Tensor } from "../tensor.js";
import { alloc, floatOf } from "../dtype.js";
import { normDim, numelOf } from "../shape.js";
import { tensorArg } from "../check.js";

function run(op: string, input: Tensor, dim: number, log: boolean): Tensor {
  const x = tensorArg(op, input);
  if (dim === undefined) throw new TypeError(`${op}: dim is required`);
  const d = normDim(op, dim, x.shape);
  const size = x.shape.length === 0 ? 1 : x.shape[d];
  const outer = numelOf(x.shape.slice(0, d)), inner = numelOf(x.shape.slice(d + 1));
  const src = x.data;
  const out = alloc(floatOf(x.dtype), src.length);
  // one slice per inner position: walk the slices of a block side by side so reads stay contiguous
  const m = new Float64Array(inner), s = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const base = o * size * inner;
    m.fill(-Infinity);
    s.fill(0);
    for (let k = 0; k < size; k++) {
      const row = base + k * inner;
      for (let i = 0; i < inner; i++) {
        const v = src[row + i];
        if (v > m[i] || v !== v) m[i] = v; // NaN sticks: the whole slice becomes NaN
      }
    }
    for (let k = 0; k < size; k++) {
      const row = base + k * inner;
      for (let i = 0; i < inner; i++) s[i] += Math.exp(src[row + i] - m[i]);
    }
    if (log) {
      for (let i = 0; i < inner; i++) s[i] = Math.log(s[i]);
      for (let k = 0; k < size; k++) {
        const row = base + k * inner;
        // (x - max) - log(sum): subtracting the large max first keeps the small parts exact
        for (let i = 0; i < inner; i++) out[row + i] = src[row + i] - m[i] - s[i];
      }
    } else {
      for (let k = 0; k < size; k++) {
        const row = base + k * inner;
        for (let i = 0; i < inner; i++) out[row + i] = Math.exp(src[row + i] - m[i]) / s[i];
      }
    }
  }
  return new Tensor(out, x.shape.slice());
}

/** exp(x) / sum(exp(x)) along `dim` (required, as in PyTorch). */
export function softmax(input: Tensor, dim: number): Tensor {
  return run("softmax", input, dim, false);
}
/** x - logsumexp(x) along `dim`, computed without forming softmax. */
export function logSoftmax(input: Tensor, dim: number): Tensor {
  return run("logSoftmax", input, dim, true);
}
