// A tensor on the WebGPU device: float32 storage in a GPUBuffer (shared by
// views such as reshape), read back only with `await t.read()`. Buffers return
// to the executor's pool when the last tensor viewing them is garbage. A bool
// tensor (a mask) is an f32 buffer of 0 / 1, so every float kernel reads it as
// PyTorch's promotion does; `read()` gives it back as a Uint8Array. An int32
// tensor is an f32 buffer of integers (exact within ±2^24: a larger one is
// refused on upload), read back as an Int32Array.

import { Tensor, type NestedArray } from "../tensor.js";
import type { Device, DType, Storage } from "../dtype.js";
import { ne, trunc } from "../ops/elementwise-api.gen.js";
import { isDType } from "../dtype.js";
import { fmt, numelOf } from "../shape.js";
import type { Executor, GpuBinding, GpuStorage } from "./executor.js";

const EMPTY = /*#__PURE__*/ new Float32Array(0);

/** The dtypes a device tensor may carry (all held as f32). */
export type GpuDType = "float32" | "bool" | "int32";

/** The most an int32 value held in f32 may be and stay exact. */
const F32_EXACT = 2 ** 24;

const registry = /*#__PURE__*/ new FinalizationRegistry<GpuStorage>((s) => {
  if (--s.refs === 0) s.executor.release(s);
});

function offDevice(what: string): never {
  throw new Error(`${what}: this tensor is on the webgpu device; read it with \`await t.read()\` (a Float32Array), which is the only way off the device`);
}

export class WebGPUTensor extends Tensor {
  override readonly device: Device = "webgpu";
  /** The device buffer (shared with views of this tensor). */
  readonly storage: GpuStorage;
  /**
   * Where the elements start in the buffer, in bytes: 0 except for the views a
   * vmapped kernel's results are (one aligned column each of one output buffer).
   */
  readonly byteOffset: number;

  constructor(storage: GpuStorage, shape: readonly number[], byteOffset = 0, dtype: GpuDType = "float32") {
    super(EMPTY, [0]);
    (this as { shape: readonly number[] }).shape = shape;
    (this as { dtype: DType }).dtype = dtype;
    Object.defineProperty(this, "data", {
      get: () => offDevice("data"),
      set: () => offDevice("data"),
      enumerable: false,
    });
    this.storage = storage;
    this.byteOffset = byteOffset;
    storage.refs++;
    registry.register(this, storage);
  }

  get executor(): Executor {
    return this.storage.executor;
  }
  override numel(): number {
    return numelOf(this.shape);
  }
  override toArray(): NestedArray {
    return offDevice("toArray");
  }
  override item(): number {
    return offDevice("item");
  }
  override clone(): Tensor {
    const ex = this.executor;
    const s = ex.alloc("clone", this.numel() * 4);
    ex.copy("clone", this.storage, this.byteOffset, s, 0, this.numel() * 4);
    return new WebGPUTensor(s, this.shape.slice(), 0, this.gpuDtype);
  }
  /** The dtype as the device holds it (float64 never is). */
  get gpuDtype(): GpuDType {
    return this.dtype === "float64" ? "float32" : this.dtype;
  }
  /** The values, after every op queued before this call has run (a mask's as a Uint8Array, an int32's as an Int32Array). */
  override async read(): Promise<Storage> {
    const v = await this.executor.read("read", this.storage, this.numel(), this.byteOffset);
    return this.dtype === "bool" ? Uint8Array.from(v) : this.dtype === "int32" ? Int32Array.from(v) : v;
  }
  override to(target: DType | Device | { dtype?: DType; device?: Device }): Tensor {
    const { dtype, device } = typeof target === "string" ? (isDType(target) ? { dtype: target } : { device: target }) : (target ?? {});
    if (device !== undefined && device !== "webgpu" && device !== "cpu") throw new TypeError(`to: expected "float32", "float64", "bool", "int32", "cpu" or "webgpu", got ${JSON.stringify(device)}`);
    if (dtype !== undefined && !isDType(dtype)) throw new TypeError(`to: expected "float32", "float64", "bool", "int32", "cpu" or "webgpu", got ${JSON.stringify(dtype)}`);
    if (device === "cpu") throw new Error('to("cpu"): a webgpu tensor cannot be moved synchronously; use `new Tensor(await t.read(), t.shape)`');
    if (dtype === "float64") throw new TypeError('to("float64"): WebGPU holds float32 only (WGSL has no f64); read the tensor with `await t.read()` and convert on the CPU');
    if (dtype === undefined || dtype === this.dtype) return this;
    // a mask's 0 / 1 and an int32's integers are already floats: a view; to bool: nonzero (and NaN) is true;
    // to int32: truncated toward zero (NaN and ±Infinity give 0 when read, as on the CPU)
    if (dtype === "bool") return ne(this, 0);
    if (dtype === "int32" && this.dtype === "float32") {
      const t = trunc(this) as WebGPUTensor;
      return new WebGPUTensor(t.storage, this.shape.slice(), t.byteOffset, "int32");
    }
    return new WebGPUTensor(this.storage, this.shape.slice(), this.byteOffset, dtype);
  }
  override toString(): string {
    return `tensor(<on webgpu>, size=${fmt(this.shape)}, dtype=${this.dtype}, device=webgpu)`;
  }
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }
}

/** A new tensor of `shape` in a fresh buffer (contents undefined until a kernel writes them). */
export function emptyOn(ex: Executor, op: string, shape: readonly number[], dtype: GpuDType = "float32"): WebGPUTensor {
  return new WebGPUTensor(ex.alloc(op, Math.max(4, numelOf(shape) * 4), shape), shape.slice(), 0, dtype);
}

/** A view of x's buffer with another shape (same elements, same order, same dtype). */
export function viewOf(x: WebGPUTensor, shape: readonly number[]): WebGPUTensor {
  return new WebGPUTensor(x.storage, shape.slice(), x.byteOffset, x.gpuDtype);
}

/** What a kernel binds for x: its buffer, from x's first element. */
export function binding(x: WebGPUTensor): GpuBinding {
  return x.byteOffset ? { storage: x.storage, offset: x.byteOffset } : x.storage;
}

/** A CPU tensor's copy on the device (a mask's as f32 0 / 1, an int32's as f32 integers); float64 is an error (no silent downcast). */
export function uploadTensor(ex: Executor, t: Tensor, op = "to"): WebGPUTensor {
  if (t.dtype === "bool") return new WebGPUTensor(ex.upload(op, Float32Array.from(t.data)), t.shape.slice(), 0, "bool");
  if (t.dtype === "int32") {
    for (const v of t.data) {
      if (v > F32_EXACT || v < -F32_EXACT) throw new RangeError(`${op}: the device holds int32 values in f32, exact within ±2^24; got ${v} in a tensor of shape ${fmt(t.shape)}`);
    }
    return new WebGPUTensor(ex.upload(op, Float32Array.from(t.data)), t.shape.slice(), 0, "int32");
  }
  if (t.dtype !== "float32") {
    throw new TypeError(
      `${op}: WebGPU holds float32 only (WGSL has no f64), got a float64 tensor of shape ${fmt(t.shape)}; convert it first with .to("float32") (or .to({ dtype: "float32", device: "webgpu" }))`,
    );
  }
  return new WebGPUTensor(ex.upload(op, t.data as Float32Array), t.shape.slice());
}
