// The Tensor: a shape, a dtype, a device and contiguous row-major storage in a
// typed array. Every op is a function in ops/ and a method here that calls it.

import { convert, isDevice, isDType, type Device, type DType, type Storage } from "./dtype.js";
import { contiguousStrides, describe, fmt, normDim } from "./shape.js";
import type { Operand } from "./check.js";
import type { NestedData } from "./factories.js";
import * as ops from "./ops/index.js";
import { backend } from "./device.js";
import { TensorElementwise } from "./ops/elementwise-api.gen.js";

/** What `toArray()` returns: a number (a boolean for a bool tensor) for a 0-d tensor, nested arrays otherwise. */
export type NestedArray = number | boolean | NestedArray[];
type Sizes = (number | readonly number[])[];

/** A tensor; its elementwise methods (exp, add, …) come from the op registry (TensorElementwise). */
export class Tensor extends TensorElementwise {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly device: Device = "cpu";
  /** Contiguous row-major storage; its type is the dtype. */
  data: Storage;
  private _strides?: readonly number[];

  /**
   * Wraps `data` (not copied) as a tensor of `shape`; the dtype is the typed
   * array's. Generated code builds every result this way, so it stays cheap.
   */
  constructor(data: Storage, shape: readonly number[]) {
    super();
    if (data instanceof Float64Array) this.dtype = "float64";
    else if (data instanceof Float32Array) this.dtype = "float32";
    else if (data instanceof Uint8Array) this.dtype = "bool";
    else if (data instanceof Int32Array) this.dtype = "int32";
    else throw new TypeError(`Tensor: data must be a Float32Array, a Float64Array, a Uint8Array (bool) or an Int32Array, got ${describe(data)}`);
    let n = 1;
    for (let i = 0; i < shape.length; i++) {
      const d = shape[i];
      if (!Number.isInteger(d) || d < 0) throw new RangeError(`Tensor: shape ${fmt(shape)} must hold non-negative integers`);
      n *= d;
    }
    if (n !== data.length) throw new RangeError(`Tensor: shape ${fmt(shape)} holds ${n} elements but the data has ${data.length}`);
    this.data = data;
    this.shape = shape;
  }

  /** Row-major strides, in elements (computed on first use). */
  get strides(): readonly number[] {
    return (this._strides ??= contiguousStrides(this.shape));
  }
  numel(): number {
    return this.data.length;
  }
  get ndim(): number {
    return this.shape.length;
  }
  dim(): number {
    return this.shape.length;
  }
  /** The shape (a copy), or the size of one dim (negative counts from the end). */
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number | number[] {
    if (dim === undefined) return this.shape.slice();
    if (this.shape.length === 0) throw new RangeError("size: a 0-d tensor has no dims");
    return this.shape[normDim("size", dim, this.shape)];
  }

  /** Nested arrays of numbers (booleans for a bool tensor); a 0-d tensor gives a number (a boolean). */
  toArray(): NestedArray {
    const { data, shape } = this;
    const at = this.dtype === "bool" ? (i: number) => data[i] !== 0 : (i: number) => data[i];
    if (shape.length === 0) return at(0);
    const strides = this.strides;
    const build = (d: number, off: number): NestedArray[] => {
      const n = shape[d];
      const out = new Array<NestedArray>(n);
      if (d === shape.length - 1) for (let i = 0; i < n; i++) out[i] = at(off + i);
      else for (let i = 0; i < n; i++) out[i] = build(d + 1, off + i * strides[d]);
      return out;
    };
    return build(0, 0);
  }
  /** The value of a one-element tensor (a bool tensor's is 0 or 1, as the Tensor API's numbers are). */
  item(): number {
    if (this.data.length !== 1) {
      throw new RangeError(`item: only a one-element tensor converts to a number, got shape ${fmt(this.shape)}`);
    }
    return this.data[0];
  }
  /** A copy with its own storage. */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape.slice());
  }
  /** The same values with no derivative: compiled code cuts the gradient here (PyTorch's detach; shares the storage). */
  detach(): Tensor { return ops.detach(this); }
  /** The storage. On the CPU this is `data` itself (no copy). */
  async read(): Promise<Storage> {
    return this.data;
  }

  /**
   * Converts to a dtype or moves to a device; returns this tensor itself when
   * nothing changes, as PyTorch does. `to("webgpu")` (after `await initWebGPU()`)
   * copies a float32 tensor to the device; a WebGPU tensor comes back only
   * through `await t.read()`.
   */
  to(target: DType | Device | { dtype?: DType; device?: Device }): Tensor {
    const { dtype, device } = typeof target === "string" ? (isDType(target) ? { dtype: target } : { device: target }) : (target ?? {});
    if (dtype !== undefined && !isDType(dtype)) throw new TypeError(`to: expected "float32", "float64", "bool", "int32", "cpu" or "webgpu", got ${describe(target)}`);
    if (device !== undefined && !isDevice(device)) throw new TypeError(`to: expected "float32", "float64", "bool", "int32", "cpu" or "webgpu", got ${describe(target)}`);
    const converted = dtype === undefined || dtype === this.dtype ? this : new Tensor(convert(this.data, dtype), this.shape.slice());
    if (device === "webgpu") {
      if (!backend.current) throw new Error('to: WebGPU is not initialised (call `await initWebGPU()` first)');
      return backend.current.upload(converted) as Tensor; // float32 only: float64 throws
    }
    return converted;
  }
  float(): Tensor {
    return this.to("float32");
  }
  double(): Tensor {
    return this.to("float64");
  }
  /** Nonzero (and NaN) as true, PyTorch's `.bool()`. */
  bool(): Tensor {
    return this.to("bool");
  }
  /** Truncated toward zero to int32 (PyTorch's `.int()`; NaN and ±Infinity give 0, out-of-range values wrap). */
  int(): Tensor {
    return this.to("int32");
  }

  override toString(): string {
    return formatTensor(this);
  }
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return formatTensor(this);
  }

  // elementwise
  clamp(min?: Operand | null, max?: Operand | null): Tensor { return ops.clamp(this, min, max); }
  /** This tensor where `condition` holds, else `other` (PyTorch's Tensor.where). */
  where(condition: Tensor | NestedData, other: Operand): Tensor { return ops.where(condition, this, other); }
  /** `value` where the bool `mask` holds, else this tensor (PyTorch's masked_fill, out of place). */
  maskedFill(mask: Tensor, value: Operand): Tensor { return ops.maskedFill(this, mask, value); }

  // reductions
  sum(dim?: ops.Dims, keepdim = false): Tensor { return ops.sum(this, dim, keepdim); }
  mean(dim?: ops.Dims, keepdim = false): Tensor { return ops.mean(this, dim, keepdim); }
  prod(dim?: ops.Dims, keepdim = false): Tensor { return ops.prod(this, dim, keepdim); }
  /** Max over dims (values only); with a tensor argument, elementwise maximum. */
  max(dim?: ops.Dims | Tensor, keepdim = false): Tensor { return ops.max(this, dim, keepdim); }
  /** Min over dims (values only); with a tensor argument, elementwise minimum. */
  min(dim?: ops.Dims | Tensor, keepdim = false): Tensor { return ops.min(this, dim, keepdim); }
  /** Max over dims (PyTorch's amax; the compiler reads `x.max(dim)` as it): all dims when omitted. */
  amax(dim?: ops.Dims, keepdim = false): Tensor { return ops.max(this, dim, keepdim); }
  /** Min over dims (PyTorch's amin). */
  amin(dim?: ops.Dims, keepdim = false): Tensor { return ops.min(this, dim, keepdim); }

  /** Whether every element over `dim` (all when omitted) is nonzero: a bool tensor. */
  all(dim?: ops.Dims, keepdim = false): Tensor { return ops.all(this, dim, keepdim); }
  /** Whether some element over `dim` (all when omitted) is nonzero: a bool tensor. */
  any(dim?: ops.Dims, keepdim = false): Tensor { return ops.any(this, dim, keepdim); }
  /** The p-norm (2, 1, Infinity or "fro") over `dim` (all when omitted). */
  norm(p: ops.NormOrder = 2, dim?: ops.Dims, keepdim = false): Tensor { return ops.norm(this, p, dim, keepdim); }
  /** log Σ exp over `dim` (required), computed stably. */
  logsumexp(dim: number | readonly number[], keepdim = false): Tensor { return ops.logsumexp(this, dim, keepdim); }
  /** Variance over `dim` (all when omitted), with `correction` (default 1) and `keepdim` options. */
  var(dim?: ops.Dims, opts?: ops.VarOptions): Tensor { return ops.var(this, dim, opts); }
  /** Standard deviation over `dim`: sqrt of var. */
  std(dim?: ops.Dims, opts?: ops.VarOptions): Tensor { return ops.std(this, dim, opts); }
  /** The index of the largest value over `dim` (the flattened tensor when omitted), as a float tensor. */
  argmax(dim?: number, keepdim = false): Tensor { return ops.argmax(this, dim, keepdim); }
  /** The index of the smallest value over `dim` (the flattened tensor when omitted), as a float tensor. */
  argmin(dim?: number, keepdim = false): Tensor { return ops.argmin(this, dim, keepdim); }
  /** Running sums along `dim`. */
  cumsum(dim: number): Tensor { return ops.cumsum(this, dim); }
  /** Running products along `dim`. */
  cumprod(dim: number): Tensor { return ops.cumprod(this, dim); }

  // products
  matmul(other: Tensor): Tensor { return ops.matmul(this, other); }
  dot(other: Tensor): Tensor { return ops.dot(this, other); }
  outer(vec2: Tensor): Tensor { return ops.outer(this, vec2); }
  cross(other: Tensor, dim?: number): Tensor { return ops.cross(this, other, dim); }

  // shape
  reshape(...shape: Sizes): Tensor { return ops.reshape(this, ...shape); }
  view(...shape: Sizes): Tensor { return ops.view(this, ...shape); }
  flatten(startDim = 0, endDim = -1): Tensor { return ops.flatten(this, startDim, endDim); }
  squeeze(dim?: number | readonly number[]): Tensor { return ops.squeeze(this, dim); }
  unsqueeze(dim: number): Tensor { return ops.unsqueeze(this, dim); }
  transpose(dim0: number, dim1: number): Tensor { return ops.transpose(this, dim0, dim1); }
  permute(...dims: Sizes): Tensor { return ops.permute(this, ...dims); }
  expand(...sizes: Sizes): Tensor { return ops.expand(this, ...sizes); }
  t(): Tensor { return ops.t(this); }
  /** All dims reversed (PyTorch's `.T`). */
  get T(): Tensor { return ops.permute(this, this.shape.map((_, i) => this.shape.length - 1 - i)); }
  flip(...dims: Sizes): Tensor { return ops.flip(this, ...dims); }
  roll(shifts: number | readonly number[], dims?: number | readonly number[] | null): Tensor { return ops.roll(this, shifts, dims); }
  repeat(...sizes: Sizes): Tensor { return ops.repeat(this, ...sizes); }
  tile(...dims: Sizes): Tensor { return ops.tile(this, ...dims); }
  movedim(source: number | readonly number[], destination: number | readonly number[]): Tensor { return ops.movedim(this, source, destination); }
  unflatten(dim: number, sizes: readonly number[]): Tensor { return ops.unflatten(this, dim, sizes); }
  broadcastTo(...sizes: Sizes): Tensor { return ops.broadcastTo(this, ...sizes); }
  expandAs(other: Tensor): Tensor { return ops.expandAs(this, other); }
  diag(diagonal = 0): Tensor { return ops.diag(this, diagonal); }
  diagonal(offset = 0, dim1 = 0, dim2 = 1): Tensor { return ops.diagonal(this, offset, dim1, dim2); }
  trace(): Tensor { return ops.trace(this); }
  tril(diagonal = 0): Tensor { return ops.tril(this, diagonal); }
  triu(diagonal = 0): Tensor { return ops.triu(this, diagonal); }
  chunk(chunks: number, dim = 0): Tensor[] { return ops.chunk(this, chunks, dim); }
  split(splitSizeOrSections: number | readonly number[], dim = 0): Tensor[] { return ops.split(this, splitSizeOrSections, dim); }
  unbind(dim = 0): Tensor[] { return ops.unbind(this, dim); }
  /** PyTorch's `F.pad(x, pads, value)` (constant mode) as a method. */
  pad(pads: readonly number[], value = 0): Tensor { return ops.pad(this, pads, value); }

  // slicing
  narrow(dim: number, start: number, length: number): Tensor { return ops.narrow(this, dim, start, length); }
  select(dim: number, index: number): Tensor { return ops.select(this, dim, index); }
  index(indices: number | NestedData | Tensor): Tensor { return ops.index(this, indices); }
  /** The entries at `index` (integers; a float tensor of integral values for now) along dim. */
  indexSelect(dim: number, index: number | readonly number[] | Tensor): Tensor { return ops.indexSelect(this, dim, index); }
  /** The entries picked along dim by index (a float tensor of integral values): torch.gather. */
  gather(dim: number, index: Tensor): Tensor { return ops.gather(this, dim, index); }
  /** A copy with src (a Tensor or a number) written where index points along dim. */
  scatter(dim: number, index: Tensor, src: Tensor | number): Tensor { return ops.scatter(this, dim, index, src); }
  /** A copy with src added where index points along dim. */
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor { return ops.scatterAdd(this, dim, index, src); }
  /** The entries where the bool mask (broadcast) is true, as a 1-d tensor. */
  maskedSelect(mask: Tensor): Tensor { return ops.maskedSelect(this, mask); }

  softmax(dim: number): Tensor { return ops.softmax(this, dim); }
  logSoftmax(dim: number): Tensor { return ops.logSoftmax(this, dim); }
}

/** The shortest decimal that reads back as the same float32 / float64; True / False for a bool (PyTorch's). */
function formatNumber(v: number, dtype: DType): string {
  if (dtype === "bool") return v ? "True" : "False";
  if (dtype === "float64" || dtype === "int32" || !Number.isFinite(v)) return String(v);
  for (let p = 1; p < 9; p++) {
    const s = v.toPrecision(p);
    if (Math.fround(Number(s)) === v) return String(Number(s));
  }
  return String(v);
}

/**
 * PyTorch-like text: `tensor([[1, 2],\n        [3, 4]], dtype=float32)`.
 * Past 1000 elements each dim shows its first and last 3 entries.
 */
function formatTensor(t: Tensor): string {
  const { data, shape, dtype } = t;
  const summarize = t.numel() > 1000;
  const strides = t.strides;
  const prefix = "tensor(";
  const fmtAt = (d: number, off: number): string => {
    if (d === shape.length) return formatNumber(data[off], dtype);
    const n = shape[d];
    const items: string[] = [];
    for (let i = 0; i < n; i++) {
      if (summarize && n > 6 && i === 3) {
        items.push("...");
        i = n - 4;
        continue;
      }
      items.push(fmtAt(d + 1, off + i * strides[d]));
    }
    const sep = d === shape.length - 1 ? ", " : "," + "\n".repeat(shape.length - d - 1) + " ".repeat(prefix.length + d + 1);
    return `[${items.join(sep)}]`;
  };
  // like PyTorch, an empty tensor prints as [] with its size when that is not [0]
  if (t.numel() === 0) return `${prefix}[]${shape.length === 1 ? "" : `, size=${fmt(shape)}`}, dtype=${dtype})`;
  return `${prefix}${fmtAt(0, 0)}, dtype=${dtype})`;
}
