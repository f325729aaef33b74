// Element types and their storage: the two float types of differentiable
// values, bool for masks (comparisons, isnan, …) and int32 for indices
// (argmax, argmin, gather's index): neither is ever differentiated.
// A typed array per dtype keeps kernels tight; a bool is a byte, 0 or 1.

export type FloatDType = "float32" | "float64";
export type DType = FloatDType | "bool" | "int32";
export type Device = "cpu" | "webgpu";
export type FloatStorage = Float32Array | Float64Array;
export type Storage = FloatStorage | Uint8Array | Int32Array;

/** PyTorch's default for numbers and plain arrays. */
export const DEFAULT_DTYPE: DType = "float32";

export function isDType(x: unknown): x is DType {
  return x === "float32" || x === "float64" || x === "bool" || x === "int32";
}

/** float32 or float64: a differentiable dtype. */
export const isFloat = (d: DType): d is FloatDType => d === "float32" || d === "float64";

/** The dtype a float op computes in for an operand of dtype `d`: a bool (0 / 1) or an int32 reads in float32 (PyTorch's promotion of integers in float ops). */
export function floatOf(d: DType): FloatDType {
  return isFloat(d) ? d : "float32";
}

export function isDevice(x: unknown): x is Device {
  return x === "cpu" || x === "webgpu";
}

export function alloc(dtype: FloatDType, n: number): FloatStorage;
export function alloc(dtype: DType, n: number): Storage;
export function alloc(dtype: DType, n: number): Storage {
  return dtype === "float64" ? new Float64Array(n) : dtype === "bool" ? new Uint8Array(n) : dtype === "int32" ? new Int32Array(n) : new Float32Array(n);
}

/**
 * The most elements a typed array may have (V8's limit, 2^32; where an engine allows fewer bytes,
 * the allocation itself fails and says so, which allocJacobian reports the same way).
 */
const MAX_ELEMENTS = 2 ** 32;

/**
 * The zero-filled storage of a Jacobian (a result block) of `shape`. One too big to allocate is a
 * RangeError naming the marker (`label`, "jacrev(f)"), the shape and the bytes, thrown before any
 * allocation is tried (past the engine's limit) or when the allocation fails, instead of the
 * engine's "Invalid typed array length" / "Array buffer allocation failed" from inside a driver.
 * The emitted prelude's __jaccJac (compiler/emit/js.ts) is the same check for number-only code.
 */
export function allocJacobian(label: string, shape: readonly number[], dtypeIn: DType): FloatStorage {
  // (the Jacobian of a mask is a float block of zeros)
  const dtype = floatOf(dtypeIn);
  let n = 1;
  for (const d of shape) n *= d;
  if (n <= MAX_ELEMENTS) {
    try {
      return alloc(dtype, n);
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
    }
  }
  throw new RangeError(`${label}: the Jacobian of shape [${shape.join(", ")}] needs ${n * (dtype === "float64" ? 8 : 4)} bytes (${dtype}), more than can be allocated`);
}

/**
 * A copy of `src` in `dtype` (the conversion rounds when narrowing to float32; to bool, nonzero and NaN are
 * true; to int32, truncation toward zero, as PyTorch's `.int()`, and JavaScript's Int32Array conversion for
 * what has no int32 value: NaN and ±Infinity give 0, and out-of-range values wrap modulo 2^32).
 */
export function convert(src: ArrayLike<number>, dtype: DType): Storage {
  if (dtype === "bool") {
    const out = new Uint8Array(src.length);
    for (let i = 0; i < out.length; i++) out[i] = src[i] !== 0 ? 1 : 0;
    return out;
  }
  if (dtype === "int32") return Int32Array.from(src);
  return dtype === "float64" ? Float64Array.from(src) : Float32Array.from(src);
}

/** float32 with float64 is float64: the wider type wins (a bool or an int32 counts as float32). */
export function promote(a: DType, b: DType): FloatDType {
  return a === "float64" || b === "float64" ? "float64" : "float32";
}
