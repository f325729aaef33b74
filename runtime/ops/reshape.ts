// Ops that change the shape but not the order of elements: reshape view
// flatten squeeze unsqueeze. Results own a copy of the data (no views), except
// detach's, which shares it as PyTorch's does.

import { Tensor } from "../tensor.js";
import { flattenShape, fmt, fmtList, normDim, numelOf, sizesArg, squeezeShape, unsqueezeShape } from "../shape.js";
import { tensorArg } from "../check.js";

function withShape(x: Tensor, shape: number[]): Tensor {
  return new Tensor(x.data.slice(), shape);
}

/** Sizes for reshape / view: integers ≥ 0, at most one -1 inferred from the rest. */
function resolveShape(op: string, x: Tensor, args: readonly unknown[]): number[] {
  const sizes = sizesArg(op, args);
  let infer = -1;
  let known = 1;
  sizes.forEach((s, i) => {
    if (typeof s !== "number" || !Number.isInteger(s) || s < -1) {
      throw new RangeError(`${op}: sizes must be integers ≥ -1, got ${fmtList(sizes)} for shape ${fmt(x.shape)}`);
    }
    if (s === -1) {
      if (infer >= 0) throw new RangeError(`${op}: only one dimension can be -1, got ${fmtList(sizes)} for shape ${fmt(x.shape)}`);
      infer = i;
    } else known *= s;
  });
  const shape = sizes as number[];
  const n = x.data.length;
  if (infer >= 0) {
    if (known === 0 || n % known !== 0) {
      throw new RangeError(`${op}: cannot reshape ${fmt(x.shape)} (${n} elements) to ${fmt(shape)}`);
    }
    shape[infer] = n / known;
  } else if (known !== n) {
    throw new RangeError(`${op}: cannot reshape ${fmt(x.shape)} (${n} elements) to ${fmt(shape)}`);
  }
  return shape;
}

/** The same elements in `shape` (one array or separate numbers; one -1 is inferred). */
export function reshape(input: Tensor, ...shape: (number | readonly number[])[]): Tensor {
  const x = tensorArg("reshape", input);
  return withShape(x, resolveShape("reshape", x, shape));
}
/** As reshape (PyTorch's view shares storage; here every result is a copy). */
export function view(input: Tensor, ...shape: (number | readonly number[])[]): Tensor {
  const x = tensorArg("view", input);
  return withShape(x, resolveShape("view", x, shape));
}

/** Merges dims startDim..endDim into one; a 0-d tensor becomes [1]. */
export function flatten(input: Tensor, startDim = 0, endDim = -1): Tensor {
  const x = tensorArg("flatten", input);
  return withShape(x, flattenShape(x.shape, startDim, endDim));
}

/** Drops size-1 dims: all of them, or those among `dim` (a dim of another size is kept, as in PyTorch). */
export function squeeze(input: Tensor, dim?: number | readonly number[]): Tensor {
  const x = tensorArg("squeeze", input);
  return withShape(x, squeezeShape(x.shape, dim));
}

/** Inserts a size-1 dim at `dim` (in -ndim-1..ndim). */
export function unsqueeze(input: Tensor, dim: number): Tensor {
  const x = tensorArg("unsqueeze", input);
  return withShape(x, unsqueezeShape(x.shape, dim));
}

/**
 * The same tensor, cut from differentiation (PyTorch's detach): compiled code
 * gives it a zero derivative. It shares x's storage, as PyTorch's does.
 */
export function detach(input: Tensor): Tensor {
  const x = tensorArg("detach", input);
  return new Tensor(x.data, x.shape.slice());
}
