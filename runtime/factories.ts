// Tensor factories (SPEC §5). Sizes come as one array or as separate numbers,
// with an options object last: zeros([2, 3]), zeros(2, 3, { dtype: "float64" }).

import { Tensor } from "./tensor.js";
import { alloc, convert, DEFAULT_DTYPE, isDType, isDevice, type DType, type FloatDType, type Device, type Storage } from "./dtype.js";
import { checkSizes, describe, numelOf, sizesArg } from "./shape.js";
import { defaultGenerator, Generator } from "./random.js";

export interface TensorOptions {
  dtype?: DType;
  device?: Device;
}
export interface RandomOptions extends TensorOptions {
  /** A seed for a fresh generator: the same seed always gives the same values. */
  seed?: number;
  /** A generator to draw from (advances it); the default one when neither is given. */
  generator?: Generator;
}

type TypedArray = Float32Array | Float64Array | Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array;
/** What `tensor()` reads: numbers, booleans (1 / 0), typed arrays, nested arrays of those. */
export type NestedData = number | boolean | TypedArray | readonly NestedData[];

/** Size arguments followed by an optional options object. */
type SizeArgs<O> = [shape: readonly number[], options?: O] | [...sizes: number[], options: O] | number[];

function isOptions(x: unknown): boolean {
  return typeof x === "object" && x !== null && !Array.isArray(x) && !ArrayBuffer.isView(x);
}

function splitSizeArgs<O>(op: string, args: readonly unknown[]): { sizes: number[]; opts: O | undefined } {
  const last = args[args.length - 1];
  const hasOpts = args.length > 0 && (isOptions(last) || last === undefined);
  const rest = hasOpts ? args.slice(0, -1) : args;
  return { sizes: checkSizes(op, sizesArg(op, rest)), opts: hasOpts ? (last as O | undefined) : undefined };
}

const FLOATS: readonly DType[] = ["float32", "float64"];
const ANY: readonly DType[] = ["float32", "float64", "bool", "int32"];

/**
 * The dtype option, one of `allowed`: any for tensor, zeros, ones, full, eye; floats and int32 for
 * arange; floats only for linspace and the random factories (PyTorch's refuse bool there, and jacc
 * draws no random integers).
 */
function dtypeOpt(op: string, opts: TensorOptions | undefined, fallback: DType, allowed: readonly DType[] = FLOATS): DType {
  const d = opts?.dtype;
  if (d === undefined) return fallback;
  if (!isDType(d) || !allowed.includes(d)) {
    throw new TypeError(`${op}: dtype must be ${allowed.slice(0, -1).map((x) => `"${x}"`).join(", ")} or "${allowed[allowed.length - 1]}", got ${describe(d)}`);
  }
  return d;
}

/** Applies `opts.device` (the tensor was built on the CPU). */
function placed(op: string, t: Tensor, opts: TensorOptions | undefined): Tensor {
  const dev = opts?.device;
  if (dev === undefined || dev === "cpu") return t;
  if (!isDevice(dev)) throw new TypeError(`${op}: device must be "cpu" or "webgpu", got ${describe(dev)}`);
  return t.to(dev);
}

/** The shape of nested data, read down its first elements (validated while flattening). */
function inferShape(data: NestedData): number[] {
  const shape: number[] = [];
  let v: unknown = data;
  while (Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView))) {
    const a = v as ArrayLike<unknown>;
    shape.push(a.length);
    if (a.length === 0) break;
    v = a[0];
  }
  return shape;
}

/**
 * A new tensor holding a copy of `data`. The dtype defaults to float32, as
 * torch.tensor's, except that data held in Float64Arrays is float64, data of
 * booleans only is bool, and a Tensor keeps its own dtype.
 */
export function tensor(data: NestedData | Tensor, opts?: TensorOptions): Tensor {
  if (data instanceof Tensor) {
    const dtype = dtypeOpt("tensor", opts, data.dtype, ANY);
    const converted = data.to(dtype);
    return placed("tensor", converted === data ? data.clone() : converted, opts);
  }
  const shape = inferShape(data);
  const n = numelOf(shape);
  let sawFloat64 = false;
  let sawNumber = false;
  // (data held in Int32Arrays only is int32, as torch.tensor of an int32 array is)
  let sawInt32 = false, sawOther = false;
  const flat = new Float64Array(n);
  let k = 0;
  const fill = (v: unknown, depth: number): void => {
    if (depth === shape.length) {
      if (typeof v === "number") (flat[k++] = v), (sawNumber = true);
      else if (typeof v === "boolean") flat[k++] = v ? 1 : 0;
      else if (Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView))) {
        throw new RangeError(`tensor: nested data is ragged: expected a number at depth ${depth}, got an array (shape so far ${JSON.stringify(shape)})`);
      } else throw new TypeError(`tensor: expected numbers, got ${describe(v)}`);
      return;
    }
    if (!Array.isArray(v) && !ArrayBuffer.isView(v)) {
      throw new RangeError(`tensor: nested data is ragged: expected a sequence of length ${shape[depth]} at depth ${depth}, got ${describe(v)}`);
    }
    const a = v as ArrayLike<unknown>;
    if (a.length !== shape[depth]) {
      throw new RangeError(`tensor: nested data is ragged: expected a sequence of length ${shape[depth]} at depth ${depth}, got length ${a.length}`);
    }
    if (v instanceof Float64Array) sawFloat64 = true;
    if (ArrayBuffer.isView(v)) sawNumber = true;
    if (depth === shape.length - 1) {
      if (v instanceof Int32Array) sawInt32 = true;
      else sawOther = true;
    }
    if (depth === shape.length - 1 && ArrayBuffer.isView(v)) {
      flat.set(v as unknown as ArrayLike<number>, k);
      k += a.length;
      return;
    }
    for (let i = 0; i < a.length; i++) fill(a[i], depth + 1);
  };
  fill(data, 0);
  // booleans alone make a bool tensor (PyTorch's); mixed with numbers they read as 1 / 0
  const dtype = dtypeOpt("tensor", opts, sawFloat64 ? "float64" : sawInt32 && !sawOther ? "int32" : !sawNumber && n > 0 ? "bool" : DEFAULT_DTYPE, ANY);
  const storage: Storage = dtype === "float64" ? flat : convert(flat, dtype);
  return placed("tensor", new Tensor(storage, shape), opts);
}

function filled(op: string, args: readonly unknown[], value: number): Tensor {
  const { sizes, opts } = splitSizeArgs<TensorOptions>(op, args);
  const dtype = dtypeOpt(op, opts, DEFAULT_DTYPE, ANY);
  const data = alloc(dtype, numelOf(sizes));
  if (value !== 0) data.fill(dtype === "bool" ? 1 : value);
  return placed(op, new Tensor(data, sizes), opts);
}

export function zeros(...args: SizeArgs<TensorOptions>): Tensor {
  return filled("zeros", args, 0);
}
export function ones(...args: SizeArgs<TensorOptions>): Tensor {
  return filled("ones", args, 1);
}

/** A tensor of `size` filled with `fillValue`. */
export function full(size: number | readonly number[], fillValue: number, opts?: TensorOptions): Tensor {
  if (typeof fillValue !== "number") throw new TypeError(`full: fillValue must be a number, got ${describe(fillValue)}`);
  return filled("full", [typeof size === "number" ? [size] : size, opts], fillValue);
}

function likeOpts(op: string, t: Tensor, opts: TensorOptions | undefined): TensorOptions {
  if (!(t instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor, got ${describe(t)}`);
  return { dtype: opts?.dtype ?? t.dtype, device: opts?.device ?? t.device };
}
export function zerosLike(input: Tensor, opts?: TensorOptions): Tensor {
  return filled("zerosLike", [input.shape, likeOpts("zerosLike", input, opts)], 0);
}
export function onesLike(input: Tensor, opts?: TensorOptions): Tensor {
  return filled("onesLike", [input.shape, likeOpts("onesLike", input, opts)], 1);
}
export function fullLike(input: Tensor, fillValue: number, opts?: TensorOptions): Tensor {
  return full(input.shape, fillValue, likeOpts("fullLike", input, opts));
}

/** The n×m identity (m defaults to n). */
export function eye(n: number, m?: number | TensorOptions, opts?: TensorOptions): Tensor {
  if (typeof m === "object") [m, opts] = [undefined, m];
  const cols = m ?? n;
  checkSizes("eye", [n, cols]);
  const data = alloc(dtypeOpt("eye", opts, DEFAULT_DTYPE, ANY), n * cols);
  for (let i = 0; i < Math.min(n, cols); i++) data[i * cols + i] = 1;
  return placed("eye", new Tensor(data, [n, cols]), opts);
}

/**
 * start, start + step, … below end (above it for a negative step); arange(n)
 * is 0 … n-1. PyTorch makes integer ranges int64; here they are float32 unless
 * `{ dtype: "int32" }` is given (a fractional start or step is then a RangeError).
 */
export function arange(start: number, end?: number | TensorOptions, step?: number | TensorOptions, opts?: TensorOptions): Tensor {
  if (typeof step === "object") [step, opts] = [undefined, step];
  if (typeof end === "object") [end, opts] = [undefined, end];
  if (end === undefined) [start, end] = [0, start];
  step ??= 1;
  for (const [name, v] of [["start", start], ["end", end], ["step", step]] as const) {
    if (typeof v !== "number" || !Number.isFinite(v)) throw new TypeError(`arange: ${name} must be a finite number, got ${describe(v)}`);
  }
  if (step === 0) throw new RangeError("arange: step must be nonzero");
  if ((end - start) * step < 0) {
    throw new RangeError(`arange: end and step have inconsistent signs (start ${start}, end ${end}, step ${step})`);
  }
  const n = Math.ceil((end - start) / step);
  const dtype = dtypeOpt("arange", opts, DEFAULT_DTYPE, ["float32", "float64", "int32"]);
  if (dtype === "int32" && !(Number.isInteger(start) && Number.isInteger(step))) {
    throw new RangeError(`arange: an int32 range needs an integral start and step, got start ${start}, step ${step}`);
  }
  const data = alloc(dtype, n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return placed("arange", new Tensor(data, [n]), opts);
}

/**
 * `steps` evenly spaced values from start to end inclusive. Like PyTorch, the
 * first half counts up from start and the second half down from end, so both
 * ends are exact.
 */
export function linspace(start: number, end: number, steps: number, opts?: TensorOptions): Tensor {
  for (const [name, v] of [["start", start], ["end", end]] as const) {
    if (typeof v !== "number") throw new TypeError(`linspace: ${name} must be a number, got ${describe(v)}`);
  }
  if (typeof steps !== "number" || !Number.isInteger(steps) || steps < 0) {
    throw new RangeError(`linspace: steps must be a non-negative integer, got ${describe(steps)}`);
  }
  const data = alloc(dtypeOpt("linspace", opts, DEFAULT_DTYPE), steps);
  if (steps === 1) data[0] = start;
  const step = (end - start) / (steps - 1);
  const half = Math.floor(steps / 2);
  for (let i = 0; i < steps && steps > 1; i++) data[i] = i < half ? start + i * step : end - (steps - 1 - i) * step;
  return placed("linspace", new Tensor(data, [steps]), opts);
}

function random(op: string, args: readonly unknown[], normal: boolean): Tensor {
  const { sizes, opts } = splitSizeArgs<RandomOptions>(op, args);
  const data = alloc(dtypeOpt(op, opts, DEFAULT_DTYPE) as FloatDType, numelOf(sizes)); // (bool refused)
  const seed = opts?.seed;
  const gen = seed !== undefined ? new Generator(seed) : opts?.generator ?? defaultGenerator;
  if (!(gen instanceof Generator)) throw new TypeError(`${op}: generator must be a Generator, got ${describe(gen)}`);
  if (normal) gen.fillNormal(data);
  else gen.fillUniform(data);
  return placed(op, new Tensor(data, sizes), opts);
}

/** Uniform samples on [0, 1); `{ seed }` makes them reproducible. */
export function rand(...args: SizeArgs<RandomOptions>): Tensor {
  return random("rand", args, false);
}
/** Standard normal samples; `{ seed }` makes them reproducible. */
export function randn(...args: SizeArgs<RandomOptions>): Tensor {
  return random("randn", args, true);
}

/** rand / randn of `input`'s shape, dtype and device (torch.rand_like / randn_like); `{ seed }` as rand's. */
export function randLike(input: Tensor, opts?: RandomOptions): Tensor {
  return random("randLike", [input.shape, { ...opts, ...likeOpts("randLike", input, opts) }], false);
}
export function randnLike(input: Tensor, opts?: RandomOptions): Tensor {
  return random("randnLike", [input.shape, { ...opts, ...likeOpts("randnLike", input, opts) }], true);
}
