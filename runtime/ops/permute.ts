// Ops that reorder or repeat elements: permute transpose t expand. Each is one
// strided copy into a new contiguous tensor.

import { Tensor } from "../tensor.js";
import { contiguousStrides, expandTo, fmt, fmtList, normDim, sizesArg } from "../shape.js";
import { tensorArg } from "../check.js";
import { stridedCopy } from "./strided.js";

/** Reorders the dims: result dim i is input dim dims[i]. */
export function permute(input: Tensor, ...dims: (number | readonly number[])[]): Tensor {
  const x = tensorArg("permute", input);
  const nd = x.shape.length;
  const order = sizesArg("permute", dims);
  if (order.length !== nd) {
    throw new RangeError(`permute: expected ${nd} dims for shape ${fmt(x.shape)}, got ${fmtList(order)}`);
  }
  const perm = order.map((d) => normDim("permute", d, x.shape));
  if (new Set(perm).size !== nd) throw new RangeError(`permute: dims ${fmtList(order)} repeat a dim (shape ${fmt(x.shape)})`);
  const s = contiguousStrides(x.shape);
  return stridedCopy(x, perm.map((d) => x.shape[d]), perm.map((d) => s[d]));
}

/** Swaps dims d0 and d1. */
export function transpose(input: Tensor, dim0: number, dim1: number): Tensor {
  const x = tensorArg("transpose", input);
  const nd = x.shape.length;
  const a = normDim("transpose", dim0, x.shape), b = normDim("transpose", dim1, x.shape);
  const perm = x.shape.map((_, i) => (i === a ? b : i === b ? a : i));
  return nd === 0 ? stridedCopy(x, [], []) : permute(x, perm);
}

/** Transposes a 2-D tensor; 0-d and 1-D tensors come back as they are (copied), as in PyTorch. */
export function t(input: Tensor): Tensor {
  const x = tensorArg("t", input);
  if (x.shape.length > 2) throw new RangeError(`t: expected a tensor with at most 2 dims, got ${fmt(x.shape)}`);
  return x.shape.length < 2 ? stridedCopy(x, x.shape.slice(), contiguousStrides(x.shape)) : permute(x, [1, 0]);
}

/**
 * Repeats size-1 dims (and adds leading dims) to reach `sizes`; -1 keeps a
 * dim's size. Sizes come as one array or separate numbers.
 */
export function expand(input: Tensor, ...sizes: (number | readonly number[])[]): Tensor {
  const x = tensorArg("expand", input);
  const { shape, strides } = expandTo(x.shape, sizesArg("expand", sizes));
  return stridedCopy(x, shape, strides);
}
