// cat and stack: join a list of tensors along an existing or a new dim.

import { Tensor } from "../tensor.js";
import { alloc, type DType } from "../dtype.js";
import { catShape, numelOf, stackShape } from "../shape.js";
import { cpuOnly, keepsInt32, resultDtype, tensorList } from "../check.js";

function cpuList(op: string, tensors: unknown): Tensor[] {
  const list = tensorList(op, tensors);
  cpuOnly(op, list);
  return list;
}

/**
 * Joins tensors along an existing dim; all other sizes must agree. As in
 * PyTorch, 1-D empty tensors (shape [0]) are skipped and dtypes promote.
 */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  const all = cpuList("cat", tensors);
  const dtype = joinedDtype(all);
  const { list, dim: d, shape } = catShape(all, dim);
  const first = list[0];
  const outer = numelOf(first.shape.slice(0, d));
  const inners = list.map((x) => numelOf(x.shape.slice(d)));
  const row = inners.reduce((a, b) => a + b, 0);
  const out = alloc(dtype, outer * row);
  for (let o = 0; o < outer; o++) {
    let at = o * row;
    list.forEach((x, j) => {
      const w = inners[j];
      out.set(x.data.subarray(o * w, (o + 1) * w), at);
      at += w;
    });
  }
  return new Tensor(out, shape);
}

/** Joins same-shape tensors along a new dim inserted at `dim`. */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  const list = cpuList("stack", tensors);
  const shape = list[0].shape;
  const { dim: d, shape: outShape } = stackShape(list.map((x) => x.shape), dim);
  const outer = numelOf(shape.slice(0, d)), inner = numelOf(shape.slice(d)), k = list.length;
  const out = alloc(joinedDtype(list), outer * k * inner);
  list.forEach((x, j) => {
    const src = x.data;
    // short runs (stacking columns of a batch): a plain loop, not a subarray per run
    if (inner < 16) {
      for (let o = 0; o < outer; o++) for (let i = 0, to = (o * k + j) * inner, from = o * inner; i < inner; i++) out[to + i] = src[from + i];
    } else {
      for (let o = 0; o < outer; o++) out.set(src.subarray(o * inner, (o + 1) * inner), (o * k + j) * inner);
    }
  });
  return new Tensor(out, outShape);
}

/** Masks join as a mask, int32 tensors (with masks) as int32; with floats, the promoted float type. */
function joinedDtype(list: readonly Tensor[]): DType {
  return list.every((x) => x.dtype === "bool") ? "bool" : keepsInt32(list) ? "int32" : resultDtype(list);
}
