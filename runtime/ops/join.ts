// cat and stack: join a list of tensors along an existing or a new dim.

import { Tensor } from "../tensor.js";
import { alloc } from "../dtype.js";
import { describe, fmt, normDim, numelOf } from "../shape.js";
import { cpuOnly, resultDtype } from "../check.js";

function tensorList(op: string, tensors: unknown): Tensor[] {
  if (!Array.isArray(tensors)) throw new TypeError(`${op}: expected an array of Tensors, got ${describe(tensors)}`);
  if (tensors.length === 0) throw new RangeError(`${op}: expected a non-empty array of Tensors`);
  tensors.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor at position ${i}, got ${describe(t)}`);
  });
  cpuOnly(op, tensors);
  return tensors as Tensor[];
}

/**
 * Joins tensors along an existing dim; all other sizes must agree. As in
 * PyTorch, 1-D empty tensors (shape [0]) are skipped and dtypes promote.
 */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  const all = tensorList("cat", tensors);
  const dtype = resultDtype(all);
  const kept = all.filter((x) => !(x.shape.length === 1 && x.shape[0] === 0));
  const list = kept.length > 0 ? kept : [all[0]];
  const first = list[0];
  list.forEach((x, i) => {
    if (x.shape.length === 0) throw new RangeError(`cat: a 0-d tensor (at position ${i}) cannot be concatenated`);
  });
  const d = normDim("cat", dim, first.shape);
  for (const x of list) {
    const ok = x.shape.length === first.shape.length && x.shape.every((n, i) => i === d || n === first.shape[i]);
    if (!ok) throw new RangeError(`cat: shapes ${fmt(first.shape)} and ${fmt(x.shape)} must match except in dim ${d}`);
  }
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
  const shape = first.shape.slice();
  shape[d] = list.reduce((a, x) => a + x.shape[d], 0);
  return new Tensor(out, shape);
}

/** Joins same-shape tensors along a new dim inserted at `dim`. */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  const list = tensorList("stack", tensors);
  const shape = list[0].shape;
  list.forEach((x, i) => {
    const same = x.shape.length === shape.length && x.shape.every((n, k) => n === shape[k]);
    if (!same) throw new RangeError(`stack: expected every tensor to have shape ${fmt(shape)}, got ${fmt(x.shape)} at position ${i}`);
  });
  const d = normDim("stack", dim, shape, 1);
  const outer = numelOf(shape.slice(0, d)), inner = numelOf(shape.slice(d)), k = list.length;
  const out = alloc(resultDtype(list), outer * k * inner);
  for (let o = 0; o < outer; o++) {
    list.forEach((x, j) => out.set(x.data.subarray(o * inner, (o + 1) * inner), (o * k + j) * inner));
  }
  const outShape = shape.slice();
  outShape.splice(d, 0, k);
  return new Tensor(out, outShape);
}
