// vmap's run-time part: maps a compiled function over a batch dimension, one
// call per row, and stacks the results at outDims (torch.func.vmap semantics).
// The compiler passes the generated function; nothing here is evaluated from text.
import { Tensor } from "./tensor.js";
import * as ops from "./ops/index.js";
import { gpuArgs, gpuCall } from "./device.js";
import { alloc, allocJacobian } from "./dtype.js";

type Dim = number | null;

function batchSize(x: unknown, d: number, i: number): number {
  if (x instanceof Tensor) {
    const nd = x.shape.length;
    if (d < -nd || d >= nd) throw new RangeError(`vmap: inDims[${i}] = ${d} is out of range for an argument of shape [${x.shape.join(",")}]`);
    return x.shape[d < 0 ? d + nd : d];
  }
  if (Array.isArray(x) || ArrayBuffer.isView(x)) {
    if (d !== 0 && d !== -1) throw new RangeError(`vmap: inDims[${i}] = ${d} is out of range for a 1-D batch of numbers`);
    return (x as ArrayLike<number>).length;
  }
  throw new TypeError(`vmap: argument ${i} is batched (inDims ${d}) but is not a Tensor or an array of numbers`);
}

function row(x: unknown, d: number, b: number): unknown {
  if (x instanceof Tensor) return ops.select(x, d, b);
  return (x as ArrayLike<number>)[b];
}

function stackRows(rows: unknown[], outDim: Dim, i: string): unknown {
  const first = rows[0];
  if (outDim === null) return first;
  if (typeof first === "number") {
    if (outDim !== 0 && outDim !== -1) throw new RangeError(`vmap: outDims${i} = ${outDim} is out of range for a number output`);
    return new Tensor(Float64Array.from(rows as number[]), [rows.length]);
  }
  if (first instanceof Tensor) return ops.stack(rows as Tensor[], outDim);
  throw new TypeError(`vmap: output${i} must be a number or a Tensor`);
}

export function adVmap(fn: (...a: unknown[]) => unknown, args: unknown[], inDims: Dim | readonly Dim[], outDims: Dim | readonly Dim[]): unknown {
  const dims = Array.isArray(inDims) ? inDims : args.map(() => inDims as Dim);
  if (dims.length !== args.length) throw new RangeError(`vmap: inDims has ${dims.length} entries but the function got ${args.length} arguments`);
  let B = -1;
  dims.forEach((d, i) => {
    if (d === null) return;
    const n = batchSize(args[i], d, i);
    if (B >= 0 && n !== B) throw new RangeError(`vmap: mismatched batch sizes: argument ${i} has ${n} along dim ${d}, expected ${B}`);
    B = n;
  });
  if (B < 0) throw new RangeError("vmap: at least one argument must be batched (inDims all null)");
  const results: unknown[] = [];
  for (let b = 0; b < B; b++) results.push(fn(...args.map((x, i) => (dims[i] === null ? x : row(x, dims[i] as number, b)))));
  if (Array.isArray(results[0])) {
    const k = (results[0] as unknown[]).length;
    const od = Array.isArray(outDims) ? outDims : new Array(k).fill(outDims);
    return Array.from({ length: k }, (_, j) => stackRows(results.map((r) => (r as unknown[])[j]), od[j], `[${j}]`));
  }
  return stackRows(results, Array.isArray(outDims) ? outDims[0] : (outDims as Dim), "");
}

// ---- helpers of the compiled batching transform (compiler/ad/batch.ts)

const fmtShape = (s: readonly number[]) => `[${s.join(", ")}]`;

function batchLenOf(label: string, name: string, x: unknown, d: number): number {
  if (x instanceof Tensor) {
    const nd = x.shape.length;
    if (d < -nd || d >= nd) throw new RangeError(`${label}: inDims ${d} is out of range for argument \`${name}\` of shape ${fmtShape(x.shape)}`);
    return x.shape[d < 0 ? d + nd : d];
  }
  if (Array.isArray(x) || ArrayBuffer.isView(x)) {
    if (d !== 0 && d !== -1) throw new RangeError(`${label}: inDims ${d} is out of range for argument \`${name}\` (an array of ${(x as ArrayLike<unknown>).length} rows has one batch dim: 0)`);
    return (x as ArrayLike<unknown>).length;
  }
  throw new TypeError(`${label}: argument \`${name}\` is batched (inDims ${d}) but got ${typeof x === "number" ? "a number" : String(x)}; pass an array, a typed array or a Tensor, or set its inDims to null`);
}

/** The batch size B, the same for every batched argument. */
export function adBatchSize(label: string, args: unknown[], names: string[], dims: number[]): number {
  let B = -1;
  let first = "";
  args.forEach((x, i) => {
    const n = batchLenOf(label, names[i], x, dims[i]);
    if (B >= 0 && n !== B) throw new RangeError(`${label}: mismatched batch sizes: \`${names[i]}\` has ${n} rows along dim ${dims[i]}, \`${first}\` has ${B}`);
    if (B < 0) (B = n), (first = names[i]);
  });
  return B;
}

/** What a value that should have been a number is, for the TypeError (as the generated __jaccKind says it). */
function kindOf(v: unknown): string {
  if (v instanceof Tensor) return `a Tensor of shape ${fmtShape(v.shape)}`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (ArrayBuffer.isView(v)) return "a typed array";
  return typeof v === "string" ? `the string ${JSON.stringify(v)}` : v === null || v === undefined ? String(v) : `a ${typeof v}`;
}

/** Every element of a plain array is a number (one pass, no allocation): "1" is an error, not coerced. */
function checkNumbers(xs: unknown[], what: () => string): void {
  for (let i = 0; i < xs.length; i++) if (typeof xs[i] !== "number") throw new TypeError(`${what()}, element ${i} is ${kindOf(xs[i])}`);
}

/** A batch of numbers as a vector: number[], a typed array, or a 1-D Tensor. */
export function adBatchVec(x: unknown, label: string, name: string): ArrayLike<number> {
  if (x instanceof Tensor) {
    if (x.shape.length !== 1) throw new RangeError(`${label}: argument \`${name}\` is a batch of numbers and must be 1-D, got a Tensor of shape ${fmtShape(x.shape)}`);
    return x.data;
  }
  if (Array.isArray(x)) checkNumbers(x, () => `${label}: argument \`${name}\` must be a number[] (a batch of numbers)`);
  if (Array.isArray(x) || ArrayBuffer.isView(x)) return x as ArrayLike<number>;
  batchLenOf(label, name, x, 0); // throws the TypeError that says what was given
  return x as never;
}

/** A batch of vectors or Tensors as a Tensor (number[][] rows become a float64 Tensor). */
export function adBatchTensor(x: unknown, label: string, name: string): Tensor {
  if (x instanceof Tensor) return x;
  if (Array.isArray(x) && x.length && (Array.isArray(x[0]) || ArrayBuffer.isView(x[0]))) {
    const n = (x[0] as ArrayLike<number>).length;
    const data = new Float64Array(x.length * n);
    x.forEach((r: ArrayLike<number>, b: number) => {
      if (r.length !== n) throw new RangeError(`${label}: argument \`${name}\`: row ${b} has ${r.length} entries, row 0 has ${n}`);
      if (Array.isArray(r)) checkNumbers(r, () => `${label}: argument \`${name}\`: row ${b} must be a number[]`);
      data.set(r, b * n);
    });
    return new Tensor(data, [x.length, n]);
  }
  batchLenOf(label, name, x, 0);
  throw new TypeError(`${label}: argument \`${name}\` is batched but is not a Tensor or an array of rows`);
}

/** Writes row `b` of a [B, ...row.shape] result (allocated at the first row written), in place. */
export function adPutRow(out: unknown, r: Tensor | undefined, b: number, B: number): Tensor | undefined {
  if (gpuArgs(arguments)) return gpuCall("adPutRow", arguments); // WebGPU tensors: runtime/webgpu/ad.ts
  if (r === undefined) return out instanceof Tensor ? out : undefined;
  let o = out instanceof Tensor ? out : undefined;
  if (!o) {
    const size = r.data.length;
    o = new Tensor(alloc(r.dtype, B * size), [B, ...r.shape]);
  } else if (o.shape.length !== r.shape.length + 1 || r.shape.some((s, k) => s !== o!.shape[k + 1])) {
    throw new RangeError(`vmap: every row's result must have the same shape: row ${b} has ${fmtShape(r.shape)}, earlier rows ${fmtShape(o.shape.slice(1))}`);
  }
  o.data.set(r.data, b * r.data.length);
  return o;
}

/** Moves dim `from` of t to position `to` (outDims), as torch.movedim. */
export function adMoveDim(t: Tensor, from: number, to: number): Tensor {
  const nd = t.shape.length;
  const f = from < 0 ? from + nd : from;
  const d = to < 0 ? to + nd : to;
  if (d < 0 || d >= nd) throw new RangeError(`vmap: outDims ${to} is out of range for a result of shape ${fmtShape(t.shape)}`);
  if (f === d) return t;
  const perm = [...Array(nd).keys()].filter((k) => k !== f);
  perm.splice(d, 0, f);
  return ops.permute(t, perm);
}

/** Row b of a batch of vectors (a Tensor with the batch at dim d): a view of the storage when d = 0. */
export function adRowView(x: Tensor, b: number, d: number): ArrayLike<number> {
  if (x.shape.length !== 2) throw new RangeError(`vmap: a batch of number[] must be a 2-D Tensor, got shape ${fmtShape(x.shape)}`);
  if (d === 0 || d === -2) {
    const n = x.shape[1];
    return x.data.subarray(b * n, (b + 1) * n);
  }
  return ops.select(x, d, b).data;
}

/** The row length of a batch of vectors read in place by a row loop (a 2-D Tensor, batch first). */
export function adRowLen(x: Tensor): number {
  if (!(x instanceof Tensor) || x.shape.length !== 2) throw new RangeError(`vmap: a batch of number[] must be a 2-D Tensor, got ${x instanceof Tensor ? `shape ${fmtShape(x.shape)}` : kindOf(x)}`);
  return x.shape[1];
}

/** The storage of B rows of a Jacobian block of `shape` (row 0's), allocated once (checked as one block). */
export function adRowsAlloc(B: number, shape: number[], label: string, f32: boolean): Float64Array | Float32Array {
  return allocJacobian(label, [B, ...shape], f32 ? "float32" : "float64") as Float64Array | Float32Array;
}

/** Every later row's block has row 0's size. */
export function adRowsSize(out: ArrayLike<number>, B: number, size: number, row: number): void {
  if (out.length !== B * size) throw new RangeError(`vmap: every row's result must have the same shape: row ${row} has ${size} entries, earlier rows ${out.length / B}`);
}

/** The storage of a batched number result: float32 when every batch of numbers is float32. */
export function adNewBatch(B: number, ...batches: unknown[]): Float32Array | Float64Array {
  const f32 = batches.length > 0 && batches.every((x) => x instanceof Float32Array || (x instanceof Tensor && x.dtype === "float32"));
  return f32 ? new Float32Array(B) : new Float64Array(B);
}

/** An argument vmap does not batch (inDims null) where the function takes a number. */
export function adPlainNumber(x: unknown, label: string, name: string, omittable = false): void {
  if (typeof x !== "number" && !(omittable && x === undefined)) {
    const what = x instanceof Tensor ? `a Tensor of shape ${fmtShape(x.shape)}` : Array.isArray(x) || ArrayBuffer.isView(x) ? `an array of ${(x as ArrayLike<unknown>).length}` : String(x);
    throw new TypeError(`${label}: argument \`${name}\` is not batched (inDims null) and must be a number, got ${what}`);
  }
}

/** randomness "same": the draws of the batch's rows, shared by position. */
export interface RandomDraws { values: number[]; next: number }
export function adRandState(): RandomDraws {
  return { values: [], next: 0 };
}
export function adRandRewind(s: RandomDraws): void {
  s.next = 0;
}
export function adRandSame(s: RandomDraws): number {
  if (s.next === s.values.length) s.values.push(Math.random());
  return s.values[s.next++];
}

// ---------------------------------------------------------------- vmap(vmap(f)): one batch of every level's rows
//
// Nested vmaps of tensor code run as ONE vmap over the product of their batches
// (compiler/ad/batch-nested.ts): each argument's batch dims, one per level
// (outermost first, null where a level does not batch it), are folded into a
// single leading dim of B₀·B₁·… rows, and each result is unfolded back to the
// levels' outDims. Level l's dims index the argument as levels 0..l-1 leave it.

/** Each level's batch size, outermost first (a RangeError names the level, the argument and the sizes). */
export function adBatchSizes(label: string, args: unknown[], names: string[], dims: Dim[][]): number[] {
  const shapes = args.map((x, i) => {
    if (x instanceof Tensor) return [...x.shape];
    throw new TypeError(`${label}: argument \`${names[i]}\` is batched but got ${kindOf(x)}; pass a Tensor`);
  });
  const sizes: number[] = [];
  for (let l = 0; l < dims[0].length; l++) {
    let B = -1;
    let first = "";
    args.forEach((_, i) => {
      const d = dims[i][l];
      if (d === null) return;
      const shape = shapes[i];
      const nd = shape.length;
      if (d < -nd || d >= nd) throw new RangeError(`${label}: inDims ${d} of vmap level ${l + 1} is out of range for argument \`${names[i]}\` (shape ${fmtShape(shape)} at that level)`);
      const n = shape.splice(d < 0 ? d + nd : d, 1)[0];
      if (B >= 0 && n !== B) throw new RangeError(`${label}: mismatched batch sizes at vmap level ${l + 1}: \`${names[i]}\` has ${n} rows, \`${first}\` has ${B}`);
      if (B < 0) (B = n), (first = names[i]);
    });
    sizes.push(B);
  }
  return sizes;
}

/** An argument with its batch dims moved to the front, level by level (expanded where a level does not batch it), then merged into one. */
export function adFoldBatch(x: Tensor, sizes: number[], dims: Dim[]): Tensor {
  let t = x;
  dims.forEach((d, l) => {
    if (d === null) {
      const u = ops.unsqueeze(t, l);
      const shape = [...u.shape];
      shape[l] = sizes[l];
      t = ops.expand(u, shape);
      return;
    }
    const nd = t.shape.length - l;
    t = adMoveDim(t, (d < 0 ? d + nd : d) + l, l);
  });
  return ops.reshape(t, [sizes.reduce((a, b) => a * b, 1), ...t.shape.slice(sizes.length)]);
}

/** A result of the merged batch, split back into the levels and each level's batch dim put at its outDims (innermost first). */
export function adUnfoldBatch(r: Tensor, sizes: number[], outDims: number[]): Tensor {
  let t = ops.reshape(r, [...sizes, ...r.shape.slice(1)]);
  for (let l = sizes.length - 1; l >= 0; l--) {
    const nd = t.shape.length - l;
    const od = outDims[l];
    const k = od < 0 ? od + nd : od;
    if (k < 0 || k >= nd) throw new RangeError(`vmap: outDims ${od} of vmap level ${l + 1} is out of range for a result of shape ${fmtShape(t.shape.slice(l))}`);
    t = adMoveDim(t, l, l + k);
  }
  return t;
}

/**
 * jacrev(vmap(f)) / jacfwd(vmap(f)) from each example's Jacobian (compiler/ad/jac-vmap.ts): J is
 * [B, m…, n…] (example b's Jacobian of its output m… by its input n…), x the differentiated input as
 * given (batched at `id`, or null: unbatched). The vmap's output has the batch at `od`, so the
 * Jacobian's shape is that output's shape then x's. An unbatched x: each example's block is the
 * derivative of its row of the output, J with its batch moved to `od`. A batched x: rows do not
 * depend on other rows' inputs, so the Jacobian is zero but where both batch indices are b.
 */
export function adJacOfRows(J: Tensor, x: Tensor, od: number, id: number | null, label: string): Tensor {
  const B = J.shape[0];
  const nShape = id === null ? x.shape.slice() : x.shape.filter((_, k) => k !== (id < 0 ? id + x.shape.length : id));
  const mShape = J.shape.slice(1, J.shape.length - nShape.length);
  const o = od < 0 ? od + mShape.length + 1 : od;
  if (o < 0 || o > mShape.length) throw new RangeError(`${label}: outDims ${od} is out of range for a result of ${mShape.length + 1} dims`);
  if (id === null) return o === 0 ? J : adMoveDim(J, 0, o);
  const i = id < 0 ? id + x.shape.length : id;
  const outShape = [...mShape.slice(0, o), B, ...mShape.slice(o)];
  const shape = [...outShape, ...x.shape];
  const data = allocJacobian(label, shape, J.dtype);
  // strides of the result, and each example-free index's offset in it
  const strides = new Array<number>(shape.length);
  for (let k = shape.length - 1, s = 1; k >= 0; s *= shape[k], k--) strides[k] = s;
  const offsets = (dims: number[], skip: number, first: number): Float64Array => {
    const n = dims.reduce((a, b) => a * b, 1);
    const out = new Float64Array(n);
    const st = dims.map((_, k) => strides[first + (k < skip ? k : k + 1)]);
    for (let f = 0; f < n; f++) {
      let r = f, off = 0;
      for (let k = dims.length - 1; k >= 0; k--) (off += (r % dims[k]) * st[k]), (r = Math.floor(r / dims[k]));
      out[f] = off;
    }
    return out;
  };
  const offM = offsets(mShape, o, 0), offN = offsets(nShape, i, outShape.length);
  const diag = strides[o] + strides[outShape.length + i];
  const M = offM.length, N = offN.length, src = J.data;
  for (let b = 0; b < B; b++) {
    for (let r = 0; r < M; r++) {
      const base = b * diag + offM[r], at = (b * M + r) * N;
      for (let c = 0; c < N; c++) data[base + offN[c]] = src[at + c];
    }
  }
  return new Tensor(data, shape);
}
