// Element types and their storage. Only the two float types exist: the runtime
// is for differentiable values, and a typed array per dtype keeps kernels tight.

export type DType = "float32" | "float64";
export type Device = "cpu" | "webgpu";
export type Storage = Float32Array | Float64Array;

/** PyTorch's default for numbers and plain arrays. */
export const DEFAULT_DTYPE: DType = "float32";

export function isDType(x: unknown): x is DType {
  return x === "float32" || x === "float64";
}

export function isDevice(x: unknown): x is Device {
  return x === "cpu" || x === "webgpu";
}

export function alloc(dtype: DType, n: number): Storage {
  return dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
}

/** A copy of `src` in `dtype` (the conversion rounds when narrowing to float32). */
export function convert(src: ArrayLike<number>, dtype: DType): Storage {
  return dtype === "float64" ? Float64Array.from(src) : Float32Array.from(src);
}

/** float32 with float64 is float64: the wider type wins. */
export function promote(a: DType, b: DType): DType {
  return a === "float64" || b === "float64" ? "float64" : "float32";
}
