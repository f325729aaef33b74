// Shape arithmetic and the argument checks every op shares. Errors name the op
// and the shapes involved, and are thrown before anything is allocated.

/** `[2,3]`: how shapes appear in every error message. */
export function fmt(shape: readonly number[]): string {
  return `[${shape.join(",")}]`;
}

export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  return n;
}

/** Row-major strides of a contiguous tensor. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

function isSize(n: unknown): n is number {
  return typeof n === "number" && Number.isInteger(n) && n >= 0;
}

/** Throws unless every size is a non-negative integer. */
export function checkSizes(op: string, sizes: readonly unknown[]): number[] {
  for (const n of sizes) {
    if (!isSize(n)) throw new RangeError(`${op}: sizes must be non-negative integers, got [${sizes.map(String).join(",")}]`);
  }
  return sizes as number[];
}

/**
 * Wraps a possibly negative dim into [0, ndim + extra): `extra` is 1 for ops
 * that insert a dim (unsqueeze, stack). A 0-d tensor accepts dim 0 and -1,
 * as in PyTorch.
 */
export function normDim(op: string, dim: unknown, shape: readonly number[], extra = 0): number {
  const n = Math.max(shape.length + extra, 1);
  if (typeof dim !== "number" || !Number.isInteger(dim)) {
    throw new TypeError(`${op}: dim must be an integer, got ${describe(dim)} (shape ${fmt(shape)})`);
  }
  if (dim < -n || dim >= n) {
    throw new RangeError(`${op}: dim ${dim} out of range for shape ${fmt(shape)} (expected ${-n}..${n - 1})`);
  }
  return dim < 0 ? dim + n : dim;
}

/**
 * The dims a reduction folds, as a mask over the tensor's dims. `undefined`,
 * `null` and `[]` mean all dims (PyTorch's `dim=None` / `dim=[]`).
 */
export function dimMask(op: string, dim: number | readonly number[] | null | undefined, shape: readonly number[]): boolean[] {
  const ndim = shape.length;
  const mask = new Array<boolean>(ndim).fill(dim == null || (Array.isArray(dim) && dim.length === 0));
  if (dim == null) return mask;
  const dims = typeof dim === "number" ? [dim] : dim;
  if (!Array.isArray(dims)) throw new TypeError(`${op}: dim must be a number or an array of numbers, got ${describe(dim)}`);
  for (const d of dims) {
    const k = normDim(op, d, shape);
    if (ndim === 0) continue;
    if (mask[k]) {
      throw new RangeError(`${op}: dim ${d} appears more than once in [${dims.join(",")}]`);
    }
    mask[k] = true;
  }
  return mask;
}

/** PyTorch broadcasting: align from the right; each pair of sizes is equal or has a 1. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const x = i < n - a.length ? 1 : a[i - (n - a.length)];
    const y = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (x !== y && x !== 1 && y !== 1) {
      throw new RangeError(`${op}: shapes ${fmt(a)} and ${fmt(b)} cannot be broadcast`);
    }
    out[i] = x === 1 ? y : x;
  }
  return out;
}

/** Strides that read `shape` (contiguous) as if it had `outShape`: 0 along broadcast dims. */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const s = contiguousStrides(shape);
  const out = new Array<number>(outShape.length).fill(0);
  const lead = outShape.length - shape.length;
  for (let i = 0; i < shape.length; i++) out[lead + i] = shape[i] === 1 ? 0 : s[i];
  return out;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Sizes given as one array or as separate numbers (`reshape([2, 3])` or
 * `reshape(2, 3)`), as PyTorch accepts them. Values are checked by the caller.
 */
export function sizesArg(op: string, args: readonly unknown[]): unknown[] {
  if (args.length === 1 && (Array.isArray(args[0]) || ArrayBuffer.isView(args[0]))) return Array.from(args[0] as ArrayLike<unknown>);
  for (const a of args) {
    if (typeof a !== "number") throw new TypeError(`${op}: sizes must be numbers or one array of numbers, got ${describe(a)}`);
  }
  return args.slice();
}

/** A short description of a value for error messages. */
/** Sizes or dims as the user wrote them: numbers plainly, anything else described. */
export function fmtList(xs: readonly unknown[]): string {
  return `[${xs.map((x) => (typeof x === "number" ? String(x) : describe(x))).join(",")}]`;
}

export function describe(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return "an array";
  if (ArrayBuffer.isView(x)) return (x as object).constructor.name;
  if (typeof x === "object") {
    const name = (x as object).constructor?.name;
    return name && name !== "Object" ? `a ${name}` : "an object";
  }
  return typeof x === "string" ? JSON.stringify(x) : `${typeof x} ${String(x)}`;
}
