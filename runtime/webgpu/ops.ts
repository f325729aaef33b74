// The tensor ops of SPEC §5 on WebGPU. Each checks its arguments as the CPU
// op does (same messages: the op, the shapes), works out sizes and strides,
// and dispatches one of the kernels compiled into the program (the layouts of
// `meta` are those of compiler/emit/wgsl/kernels.ts). Views (reshape, view,
// flatten, squeeze, unsqueeze) share the input's buffer; everything else
// writes a fresh contiguous buffer.

import { Tensor } from "../tensor.js";
import { broadcastShapes, broadcastStrides, catShape, contiguousStrides, describe, dimMask, expandTo, flattenShape, fmt, matmulShape, normDim, numelOf, sizesArg, squeezeShape, stackShape, unsqueezeShape } from "../shape.js";
import { boolOperands, keepsInt32, tensorList } from "../check.js";
import { tensor, type NestedData } from "../factories.js";
import { coalesce } from "../ops/strided.js";
import { ALPHA_OPS, BINARY_OPS, BOOL_OPS, INTEGRAL_OPS, OP_PARAMS, UNARY_OPS, type BinaryOp, type UnaryOp } from "../ops/elementwise.gen.js";
import { boolMean } from "../ops/reduce.js";
import { checkParams } from "../ops/unary.js";
import type { Executor } from "./executor.js";
import { grid } from "./executor.js";
import { binding, emptyOn, uploadTensor, viewOf, WebGPUTensor, type GpuDType } from "./tensor.js";

type Operand = Tensor | number;
type Dims = number | readonly number[] | null | undefined;

const WG = 64;
const TILE = 16;

let scratch: { f: Float32Array; u: Uint32Array } | undefined; // made on first use: no module side effects (tree-shaking)
/** A float's bits (as float32) for the kernels' parameters. */
export function bits(x: number): number {
  if (!scratch) {
    const f = new Float32Array(1);
    scratch = { f, u: new Uint32Array(f.buffer) };
  }
  scratch.f[0] = x;
  return scratch.u[0];
}

/** The executor every tensor argument lives on; a CPU tensor among them is a device mismatch. */
export function devices(op: string, xs: readonly unknown[]): Executor {
  let ex: Executor | undefined;
  let cpu = false;
  for (const x of xs) {
    if (x instanceof WebGPUTensor) {
      if (ex && ex !== x.executor) throw new Error(`${op}: tensors come from different WebGPU devices (one was created before initWebGPU() was called again)`);
      ex = x.executor;
    } else if (x instanceof Tensor) cpu = true;
  }
  if (cpu || !ex) throw new TypeError(`${op}: tensors are on different devices (webgpu and cpu); move them with .to("webgpu") (float32) or read the webgpu ones back with await t.read()`);
  ex.check(op);
  return ex;
}

function gpuTensor(op: string, x: unknown, what = "input"): WebGPUTensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor for ${what}, got ${describe(x)}`);
  devices(op, [x]);
  return x as WebGPUTensor;
}

function operand(op: string, x: unknown, what: string): Operand {
  if (typeof x === "number" || x instanceof Tensor) return x;
  throw new TypeError(`${op}: expected a Tensor or a number for ${what}, got ${describe(x)}`);
}

const shapeOf = (x: Operand | null | undefined): readonly number[] => (x instanceof Tensor ? x.shape : []);

/** One 1-D dispatch over n threads (none when n is 0). */
export function run1d(ex: Executor, kernel: string, op: string, meta: number[], bufs: WebGPUTensor[], out: WebGPUTensor, n: number): WebGPUTensor {
  if (n > 0) ex.dispatch(kernel, op, Uint32Array.from(meta), [...bufs.map(binding), binding(out)], grid(n, WG));
  return out;
}

let placeholders: WeakMap<Executor, WebGPUTensor> | undefined;
/** The binding of a scalar operand (its value travels in the parameters): one small buffer per device, never written. */
function dummy(ex: Executor, op: string): WebGPUTensor {
  placeholders ??= new WeakMap();
  let t = placeholders.get(ex);
  if (!t) placeholders.set(ex, (t = emptyOn(ex, op, [1])));
  return t;
}

/**
 * Broadcast operands as (tensor | scalar) bindings, flags and the coalesced
 * shape and strides of the strided kernels: meta = [n, rank, flags, bits…, shape, strides…].
 */
export function stridedMeta(ex: Executor, op: string, shape: number[], operands: (Operand | null)[], scalarSlots: number[]): { meta: number[]; bufs: WebGPUTensor[] } {
  const n = numelOf(shape);
  const tensors = operands.filter((x): x is WebGPUTensor => x instanceof Tensor);
  const c = coalesce(shape, tensors.map((t) => broadcastStrides(t.shape, shape)));
  const rank = c.shape.length;
  let flags = 0;
  const scalars: number[] = [];
  const bufs: WebGPUTensor[] = [];
  const strides: number[][] = [];
  let k = 0;
  operands.forEach((x, j) => {
    if (x instanceof Tensor) {
      bufs.push(x as WebGPUTensor);
      strides.push(c.strides[k++]);
    } else {
      bufs.push(dummy(ex, op));
      strides.push(new Array(rank).fill(0));
    }
    const slot = scalarSlots.indexOf(j);
    if (slot >= 0) {
      if (!(x instanceof Tensor)) flags |= 1 << slot;
      scalars[slot] = x instanceof Tensor ? 0 : bits(x === null ? 0 : x);
    }
  });
  return { meta: [n, rank, flags, ...scalars, ...c.shape, ...strides.flat()], bufs };
}

/** The registry's binary ops (runtime/ops/elementwise.gen.ts) and the AD helpers' kernels. */
export type BinaryKind = BinaryOp | "pick_max" | "pick_min";

/**
 * a (op) b with broadcasting on the device; `label` names the op in errors. A mask (gt, logicalAnd, …) gives a
 * bool tensor; int32 operands stay int32 where the CPU's do (computed in f32: exact within ±2^24).
 */
export function binary(kind: BinaryKind, label: string, a: Operand, b: Operand, dtype: GpuDType = BOOL_OPS.has(kind) ? "bool" : INTEGRAL_OPS.has(kind) && keepsInt32([a, b]) ? "int32" : "float32"): WebGPUTensor {
  operand(label, a, "input");
  operand(label, b, "other");
  if (typeof a === "number" && typeof b === "number") throw new TypeError(`${label}: expected at least one Tensor operand, got two numbers`);
  const ex = devices(label, [a, b]);
  boolOperands(label, [a, b]);
  const shape = broadcastShapes(label, shapeOf(a), shapeOf(b));
  const out = emptyOn(ex, label, shape, dtype);
  const { meta, bufs } = stridedMeta(ex, label, shape, [a, b], [0, 1]);
  return run1d(ex, `binary_${kind}`, label, meta, bufs, out, numelOf(shape));
}

function scaled(op: string, other: Operand, opts?: { alpha?: number }): Operand {
  const alpha = opts?.alpha;
  if (alpha === undefined || alpha === 1) return other;
  if (typeof alpha !== "number") throw new TypeError(`${op}: alpha must be a number, got ${typeof alpha}`);
  return typeof other === "number" ? other * alpha : binary("mul", op, other, alpha);
}

export type UnaryKind = UnaryOp | "step" | "sgn";

/** op(input) elementwise; `params`: the op's literal parameters, passed as f32 bits after n. */
export function unary(kind: UnaryKind, op: string, input: unknown, params: readonly unknown[] = []): WebGPUTensor {
  const x = gpuTensor(op, input);
  checkParams(op, params);
  boolOperands(op, [x]);
  const n = x.numel();
  const out = emptyOn(x.executor, op, x.shape, BOOL_OPS.has(kind) ? "bool" : x.dtype === "int32" && INTEGRAL_OPS.has(kind) ? "int32" : "float32");
  return run1d(x.executor, `unary_${kind}`, op, [n, ...params.map((p) => bits(p as number))], [x], out, n);
}

function where(condition: unknown, input: Operand, other: Operand): WebGPUTensor {
  operand("where", input, "input");
  operand("where", other, "other");
  const ex = devices("where", [condition, input, other].filter((x) => x instanceof Tensor));
  // nested data as a condition is uploaded (a constant of the program)
  const cond = condition instanceof Tensor ? condition : uploadTensor(ex, tensor(condition as NestedData, { dtype: "float32" }), "where");
  const shape = broadcastShapes("where", broadcastShapes("where", cond.shape, shapeOf(input)), shapeOf(other));
  const bothBool = input instanceof Tensor && other instanceof Tensor && input.dtype === "bool" && other.dtype === "bool";
  const out = emptyOn(ex, "where", shape, bothBool ? "bool" : keepsInt32([input, other]) ? "int32" : "float32");
  const { meta, bufs } = stridedMeta(ex, "where", shape, [cond, input, other], [1, 2]);
  return run1d(ex, "where", "where", meta, bufs, out, numelOf(shape));
}

function clamp(input: Tensor, min?: Operand | null, max?: Operand | null): WebGPUTensor {
  const x = gpuTensor("clamp", input);
  if (min == null && max == null) throw new TypeError("clamp: at least one of min and max must be given");
  if (min != null) operand("clamp", min, "min");
  if (max != null) operand("clamp", max, "max");
  const ex = devices("clamp", [x, min, max]);
  if ((min == null || typeof min === "number") && (max == null || typeof max === "number")) {
    const n = x.numel();
    return run1d(ex, "clamp_scalar", "clamp", [n, bits(min ?? -Infinity), bits(max ?? Infinity)], [x], emptyOn(ex, "clamp", x.shape), n);
  }
  broadcastShapes("clamp", broadcastShapes("clamp", x.shape, shapeOf(min)), shapeOf(max));
  const lower = min == null ? x : binary("maximum", "clamp", x, min);
  return max == null ? lower : binary("minimum", "clamp", lower, max);
}

type Fold = "sum" | "prod" | "max" | "min";

/** A reduction over `dim` (all dims when omitted), one workgroup per output element. */
export function reduce(fold: Fold, op: string, input: unknown, dim: Dims, keepdim: unknown, mean = false): WebGPUTensor {
  const x = gpuTensor(op, input);
  if (keepdim !== undefined && typeof keepdim !== "boolean") throw new TypeError(`${op}: keepdim must be a boolean, got ${typeof keepdim}`);
  const mask = dimMask(op, dim, x.shape);
  const strides = contiguousStrides(x.shape);
  const outShape: number[] = [];
  const kept: number[] = [], keptStrides: number[] = [], red: number[] = [], redStrides: number[] = [];
  x.shape.forEach((n, i) => {
    if (mask[i]) {
      red.push(n);
      redStrides.push(strides[i]);
      if (keepdim) outShape.push(1);
    } else {
      kept.push(n);
      keptStrides.push(strides[i]);
      outShape.push(n);
    }
  });
  const count = numelOf(red);
  if (count === 0 && (fold === "max" || fold === "min")) {
    throw new RangeError(`${op}: cannot reduce over a dim of size 0 (input ${fmt(x.shape)}), there is no identity`);
  }
  const ex = x.executor;
  // (an int32 tensor's sum, prod, max and min stay int32, as on the CPU)
  const out = emptyOn(ex, op, outShape, x.dtype === "int32" && !mean ? "int32" : "float32");
  const nOut = numelOf(outShape);
  if (nOut > 0) {
    const meta = [nOut, count, kept.length, red.length, bits(mean ? count : 1), ...kept, ...keptStrides, ...red, ...redStrides];
    ex.dispatch(`reduce_${fold}`, op, Uint32Array.from(meta), [binding(x), binding(out)], grid(nOut, 1));
  }
  return out;
}

/**
 * input @ other; `ta` / `tb` (for operands of 2 dims or more): the operand's last
 * two dims are read swapped in place (matmul(transpose(a, -1, -2), c) without the copy).
 */
export function matmul(input: unknown, other: unknown, op = "matmul", ta = false, tb = false): WebGPUTensor {
  const x = gpuTensor(op, input, "input");
  const y = gpuTensor(op, other, "other");
  const ex = devices(op, [x, y]);
  if ((ta && x.shape.length < 2) || (tb && y.shape.length < 2)) throw new RangeError(`${op}: a transposed operand needs 2 dims or more, got ${fmt(x.shape)} @ ${fmt(y.shape)}`);
  const swap = (s: readonly number[]) => [...s.slice(0, -2), s[s.length - 1], s[s.length - 2]];
  const { m, k, n, aBatch: xBatch, bBatch: yBatch, batch, shape } = matmulShape(ta ? swap(x.shape) : x.shape, tb ? swap(y.shape) : y.shape);
  const out = emptyOn(ex, op, shape);
  const nb = numelOf(batch);
  if (nb * m * n === 0) return out;
  if (k === 0) return fillWith(out, 0, op);
  const aStr = broadcastStrides(xBatch, batch).map((s) => s * m * k);
  const bStr = broadcastStrides(yBatch, batch).map((s) => s * k * n);
  const meta = [m, k, n, batch.length, (ta ? 1 : 0) | (tb ? 2 : 0), ...batch, ...aStr, ...bStr];
  if (nb > 65535) throw new RangeError(`${op}: at most 65535 batched matrices on WebGPU, got ${nb}`);
  ex.dispatch("matmul", op, Uint32Array.from(meta), [binding(x), binding(y), binding(out)], [Math.ceil(n / TILE), Math.ceil(m / TILE), nb]);
  return out;
}

function dot(input: unknown, other: unknown): WebGPUTensor {
  const x = gpuTensor("dot", input, "input");
  const y = gpuTensor("dot", other, "other");
  devices("dot", [x, y]);
  if (x.shape.length !== 1 || y.shape.length !== 1 || x.shape[0] !== y.shape[0]) {
    throw new RangeError(`dot: expected two 1-D tensors of the same length, got ${fmt(x.shape)} and ${fmt(y.shape)}`);
  }
  return matmul(x, y, "dot");
}

function outer(input: unknown, vec2: unknown): WebGPUTensor {
  const x = gpuTensor("outer", input, "input");
  const y = gpuTensor("outer", vec2, "vec2");
  devices("outer", [x, y]);
  if (x.shape.length !== 1 || y.shape.length !== 1) throw new RangeError(`outer: expected two 1-D tensors, got ${fmt(x.shape)} and ${fmt(y.shape)}`);
  return binary("mul", "outer", viewOf(x, [x.shape[0], 1]), viewOf(y, [1, y.shape[0]]));
}

/** Fills t with `value` (the fill kernel). */
export function fillWith(t: WebGPUTensor, value: number, op: string): WebGPUTensor {
  return run1d(t.executor, "fill", op, [t.numel(), bits(value)], [], t, t.numel());
}

/** A new device tensor of `shape` filled with `value`. */
export function fullOn(ex: Executor, op: string, shape: readonly number[], value: number): WebGPUTensor {
  return fillWith(emptyOn(ex, op, shape), value, op);
}

// ---- views and index maps

function resolveShape(op: string, x: Tensor, args: readonly unknown[]): number[] {
  const sizes = sizesArg(op, args);
  let infer = -1;
  let known = 1;
  sizes.forEach((s, i) => {
    if (typeof s !== "number" || !Number.isInteger(s) || s < -1) throw new RangeError(`${op}: sizes must be integers ≥ -1, got [${sizes.map(describe).join(",")}]`);
    if (s === -1) {
      if (infer >= 0) throw new RangeError(`${op}: only one dimension can be -1, got [${sizes.join(",")}]`);
      infer = i;
    } else known *= s;
  });
  const shape = sizes as number[];
  const n = x.numel();
  if (infer >= 0) {
    if (known === 0 || n % known !== 0) throw new RangeError(`${op}: cannot reshape ${fmt(x.shape)} (${n} elements) to ${fmt(shape)}`);
    shape[infer] = n / known;
  } else if (known !== n) throw new RangeError(`${op}: cannot reshape ${fmt(x.shape)} (${n} elements) to ${fmt(shape)}`);
  return shape;
}

function reshapeLike(op: string) {
  return (input: unknown, ...shape: (number | readonly number[])[]): WebGPUTensor => {
    const x = gpuTensor(op, input);
    return viewOf(x, resolveShape(op, x, shape));
  };
}

function flatten(input: unknown, startDim = 0, endDim = -1): WebGPUTensor {
  const x = gpuTensor("flatten", input);
  return viewOf(x, flattenShape(x.shape, startDim, endDim));
}

/** A view of the same buffer: detach only cuts the derivative (compiled code), as on the CPU. */
function detach(input: unknown): WebGPUTensor {
  const x = gpuTensor("detach", input);
  return viewOf(x, x.shape);
}

function squeeze(input: unknown, dim?: number | readonly number[]): WebGPUTensor {
  const x = gpuTensor("squeeze", input);
  return viewOf(x, squeezeShape(x.shape, dim));
}

function unsqueeze(input: unknown, dim: number): WebGPUTensor {
  const x = gpuTensor("unsqueeze", input);
  return viewOf(x, unsqueezeShape(x.shape, dim));
}

/**
 * out (at outOff, through outStrides) ← x (at inOff, through inStrides) over
 * `shape`: the copy_strided kernel.
 */
export function copyStrided(op: string, x: WebGPUTensor, inOff: number, inStrides: readonly number[], out: WebGPUTensor, outOff: number, outStrides: readonly number[], shape: readonly number[]): WebGPUTensor {
  const n = numelOf(shape);
  const c = coalesce(shape, [inStrides, outStrides]);
  const meta = [n, c.shape.length, inOff, outOff, ...c.shape, ...c.strides[0], ...c.strides[1]];
  return run1d(x.executor, "copy_strided", op, meta, [x], out, n);
}

/** A contiguous copy of x read through `strides` as `shape`. */
function gather(op: string, x: WebGPUTensor, shape: number[], strides: number[], offset = 0): WebGPUTensor {
  const out = emptyOn(x.executor, op, shape, x.gpuDtype);
  return copyStrided(op, x, offset, strides, out, 0, contiguousStrides(shape), shape);
}

function permute(input: unknown, ...dims: (number | readonly number[])[]): WebGPUTensor {
  const x = gpuTensor("permute", input);
  const nd = x.shape.length;
  const order = sizesArg("permute", dims);
  if (order.length !== nd) throw new RangeError(`permute: expected ${nd} dims for shape ${fmt(x.shape)}, got [${order.map(describe).join(",")}]`);
  const perm = order.map((d) => normDim("permute", d, x.shape));
  if (new Set(perm).size !== nd) throw new RangeError(`permute: dims [${order.join(",")}] repeat a dim`);
  const s = contiguousStrides(x.shape);
  return gather("permute", x, perm.map((d) => x.shape[d]), perm.map((d) => s[d]));
}

function transpose(input: unknown, dim0: number, dim1: number): WebGPUTensor {
  const x = gpuTensor("transpose", input);
  const a = normDim("transpose", dim0, x.shape), b = normDim("transpose", dim1, x.shape);
  if (x.shape.length === 0) return gather("transpose", x, [], []);
  return permute(x, x.shape.map((_, i) => (i === a ? b : i === b ? a : i)));
}

function t(input: unknown): WebGPUTensor {
  const x = gpuTensor("t", input);
  if (x.shape.length > 2) throw new RangeError(`t: expected a tensor with at most 2 dims, got ${fmt(x.shape)}`);
  return x.shape.length < 2 ? gather("t", x, x.shape.slice(), contiguousStrides(x.shape)) : permute(x, [1, 0]);
}

function expand(input: unknown, ...sizes: (number | readonly number[])[]): WebGPUTensor {
  const x = gpuTensor("expand", input);
  const { shape, strides } = expandTo(x.shape, sizesArg("expand", sizes));
  return gather("expand", x, shape, strides);
}

function integer(op: string, what: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v)) throw new TypeError(`${op}: ${what} must be an integer, got ${describe(v)}`);
  return v;
}

function narrow(input: unknown, dim: number, start: number, length: number): WebGPUTensor {
  const x = gpuTensor("narrow", input);
  if (x.shape.length === 0) throw new RangeError("narrow: cannot be applied to a 0-d tensor");
  const d = normDim("narrow", dim, x.shape);
  const size = x.shape[d];
  integer("narrow", "start", start);
  integer("narrow", "length", length);
  if (start < -size || start > size) throw new RangeError(`narrow: start ${start} out of range for dim ${d} of size ${size} (shape ${fmt(x.shape)})`);
  const s = start < 0 ? start + size : start;
  if (length < 0 || s + length > size) throw new RangeError(`narrow: start ${start} + length ${length} exceeds dim ${d} of size ${size} (shape ${fmt(x.shape)})`);
  const shape = x.shape.slice();
  shape[d] = length;
  const strides = contiguousStrides(x.shape);
  return gather("narrow", x, shape, strides, s * strides[d]);
}

function select(input: unknown, dim: number, index: number): WebGPUTensor {
  const x = gpuTensor("select", input);
  if (x.shape.length === 0) throw new RangeError("select: cannot be applied to a 0-d tensor");
  const d = normDim("select", dim, x.shape);
  const size = x.shape[d];
  integer("select", "index", index);
  if (index < -size || index >= size) throw new RangeError(`select: index ${index} out of range for dim ${d} of size ${size} (shape ${fmt(x.shape)})`);
  const strides = contiguousStrides(x.shape);
  const shape = x.shape.slice();
  shape.splice(d, 1);
  const st = strides.slice();
  st.splice(d, 1);
  return gather("select", x, shape, st, (index < 0 ? index + size : index) * strides[d]);
}

/** Integer row indices (CPU data) checked against `size`, wrapped, as u32. */
export function rowIndices(op: string, indices: unknown, size: number, shape: readonly number[]): { rows: Uint32Array; shape: number[] } {
  if (indices instanceof WebGPUTensor) throw new TypeError(`${op}: indices on the webgpu device cannot be read synchronously; pass them as an array or a CPU tensor`);
  const idx = indices instanceof Tensor ? indices : typeof indices === "number" ? tensor([indices], { dtype: "float64" }) : tensor(indices as NestedData, { dtype: "float64" });
  const rows = new Uint32Array(idx.numel());
  for (let i = 0; i < rows.length; i++) {
    const r = idx.data[i];
    if (!Number.isInteger(r)) throw new TypeError(`${op}: indices must be integers, got ${r}`);
    if (r < -size || r >= size) throw new RangeError(`${op}: index ${r} out of range for dim 0 of size ${size} (shape ${fmt(shape)})`);
    rows[i] = r < 0 ? r + size : r;
  }
  return { rows, shape: [...idx.shape] };
}

function hasBoolean(v: unknown): boolean {
  return typeof v === "boolean" || (Array.isArray(v) && v.some(hasBoolean));
}

function index(input: unknown, indices: unknown): WebGPUTensor {
  const x = gpuTensor("index", input);
  if (x.shape.length === 0) throw new RangeError("index: cannot be applied to a 0-d tensor");
  if (typeof indices === "number") return select(x, 0, indices);
  if (hasBoolean(indices)) throw new TypeError("index: boolean masks are not supported; pass integer indices");
  const { rows, shape } = rowIndices("index", indices, x.shape[0], x.shape);
  const ex = x.executor;
  const inner = numelOf(x.shape.slice(1));
  const out = emptyOn(ex, "index", [...shape, ...x.shape.slice(1)], x.gpuDtype);
  const n = rows.length * inner;
  if (n === 0) return out;
  const rowBuf = new WebGPUTensor(ex.upload("index", rows), [rows.length]);
  return run1d(ex, "gather_rows", "index", [n, inner], [x, rowBuf], out, n);
}

function gpuList(op: string, tensors: unknown): WebGPUTensor[] {
  const list = tensorList(op, tensors);
  devices(op, list);
  return list as WebGPUTensor[];
}

function cat(tensors: readonly Tensor[], dim = 0): WebGPUTensor {
  const { list, dim: d, shape } = catShape(gpuList("cat", tensors), dim);
  const first = list[0];
  const out = emptyOn(first.executor, "cat", shape, joined(list));
  const os = contiguousStrides(shape);
  let at = 0;
  for (const x of list) {
    copyStrided("cat", x, 0, contiguousStrides(x.shape), out, at * os[d], os, x.shape);
    at += x.shape[d];
  }
  return out;
}

function stack(tensors: readonly Tensor[], dim = 0): WebGPUTensor {
  const list = gpuList("stack", tensors);
  const { dim: d, shape: outShape } = stackShape(list.map((x) => x.shape), dim);
  const out = emptyOn(list[0].executor, "stack", outShape, joined(list));
  const os = contiguousStrides(outShape);
  const pieceStrides = os.slice();
  pieceStrides.splice(d, 1);
  list.forEach((x, j) => copyStrided("stack", x, 0, contiguousStrides(x.shape), out, j * os[d], pieceStrides, x.shape));
  return out;
}

/** Masks join as a mask, int32 tensors (with masks) as int32 (the CPU's cat / stack). */
const joined = (list: readonly WebGPUTensor[]): GpuDType => (list.every((x) => x.dtype === "bool") ? "bool" : keepsInt32(list) ? "int32" : "float32");

function softmaxLike(op: string, log: boolean) {
  return (input: unknown, dim: number): WebGPUTensor => {
    const x = gpuTensor(op, input);
    if (dim === undefined) throw new TypeError(`${op}: dim is required`);
    const d = normDim(op, dim, x.shape);
    const size = x.shape.length === 0 ? 1 : x.shape[d];
    const outer = numelOf(x.shape.slice(0, d)), inner = numelOf(x.shape.slice(d + 1));
    const slices = size === 0 ? 0 : outer * inner;
    return run1d(x.executor, log ? "log_softmax" : "softmax", op, [slices, size, inner], [x], emptyOn(x.executor, op, x.shape), slices);
  };
}

/** An op's parameters as given, PyTorch's defaults for those left out. */
function defaults(op: string, given: readonly unknown[]): unknown[] {
  return (OP_PARAMS[op] ?? []).map(([, d], k) => (given[k] === undefined ? d : given[k]));
}

/** The ops by name (the names of runtime/ops/index.ts), as device.ts dispatches them (built on first use). */
export function gpuOpsTable(): Record<string, (...args: any[]) => unknown> {
  return (table ??= makeTable());
}
let table: Record<string, (...args: any[]) => unknown> | undefined;

function makeTable(): Record<string, (...args: any[]) => unknown> {
  return {
  // the registry's elementwise ops (runtime/ops/elementwise.gen.ts): add and sub scale `other` by alpha
  ...Object.fromEntries(BINARY_OPS.map((op) => [op, (a: Operand, b: Operand, opts?: { alpha?: number }) => binary(op, op, a, (ALPHA_OPS as readonly string[]).includes(op) ? scaled(op, b, opts) : b)])),
  ...Object.fromEntries(UNARY_OPS.map((op) => [op, (x: unknown, ...params: unknown[]) => unary(op, op, x, defaults(op, params))])),
  where,
  clamp,
  sum: (x: unknown, dim?: Dims, keepdim = false) => reduce("sum", "sum", x, dim, keepdim),
  mean: (x: unknown, dim?: Dims, keepdim = false) => {
    if (x instanceof Tensor && (x.dtype === "bool" || x.dtype === "int32")) throw boolMean(x);
    return reduce("sum", "mean", x, dim, keepdim, true);
  },
  prod: (x: unknown, dim?: Dims, keepdim = false) => reduce("prod", "prod", x, dim, keepdim),
  max: (x: unknown, dim?: Dims | Tensor, keepdim = false) => (dim instanceof Tensor ? binary("maximum", "maximum", x as Tensor, dim) : reduce("max", "max", x, dim, keepdim)),
  min: (x: unknown, dim?: Dims | Tensor, keepdim = false) => (dim instanceof Tensor ? binary("minimum", "minimum", x as Tensor, dim) : reduce("min", "min", x, dim, keepdim)),
  matmul: (a: unknown, b: unknown) => matmul(a, b),
  dot,
  outer,
  reshape: reshapeLike("reshape"),
  view: reshapeLike("view"),
  flatten,
  squeeze,
  unsqueeze,
  detach,
  permute,
  transpose,
  t,
  expand,
  cat,
  stack,
  narrow,
  select,
  index,
  softmax: softmaxLike("softmax", false),
  logSoftmax: softmaxLike("logSoftmax", true),
  };
}
