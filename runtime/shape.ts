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
 * A reduction over `dim` of `shape`: the dims it folds (dimMask), the result's
 * shape (a 1 in each folded dim's place with keepdim) and how many elements
 * fold into each result element.
 */
export function reduction(op: string, dim: number | readonly number[] | null | undefined, shape: readonly number[], keepdim: unknown): { mask: boolean[]; outShape: number[]; count: number } {
  const mask = dimMask(op, dim, shape);
  const outShape: number[] = [];
  let count = 1;
  shape.forEach((n, i) => {
    if (mask[i]) {
      count *= n;
      if (keepdim) outShape.push(1);
    } else outShape.push(n);
  });
  return { mask, outShape, count };
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

/**
 * expand's result: `target` sizes over `shape` (-1 keeps a dim's size, a size-1
 * dim repeats, leading new dims are added), and the strides that read a
 * contiguous tensor of `shape` as that result (0 along repeated dims).
 */
export function expandTo(shape: readonly number[], target: readonly unknown[], op = "expand"): { shape: number[]; strides: number[] } {
  const lead = target.length - shape.length;
  const bad = (): never => {
    throw new RangeError(`${op}: cannot expand ${fmt(shape)} to [${target.map(String).join(",")}]`);
  };
  if (lead < 0) bad();
  const s = contiguousStrides(shape);
  const out: number[] = [], strides: number[] = [];
  target.forEach((size, i) => {
    if (typeof size !== "number" || !Number.isInteger(size) || size < -1) bad();
    const n = size as number;
    if (i < lead) {
      if (n < 0) bad(); // a new dim has no size to keep
      out.push(n);
      strides.push(0);
      return;
    }
    const have = shape[i - lead];
    if (n === -1 || n === have) {
      out.push(have);
      strides.push(s[i - lead]);
    } else if (have === 1) {
      out.push(n);
      strides.push(0);
    } else bad();
  });
  return { shape: out, strides };
}

/**
 * torch.matmul's shapes: a 1-D left operand is a row [1, k], a 1-D right one a
 * column [k, 1] (their added dim left out of the result); the matrices are
 * m×k and k×n; the leading (batch) dims broadcast.
 */
export function matmulShape(a: readonly number[], b: readonly number[]): { m: number; k: number; n: number; aBatch: number[]; bBatch: number[]; batch: number[]; shape: number[] } {
  if (a.length === 0 || b.length === 0) {
    throw new RangeError(`matmul: both arguments need at least 1 dim, got ${fmt(a)} @ ${fmt(b)}`);
  }
  const as = a.length === 1 ? [1, a[0]] : a;
  const bs = b.length === 1 ? [b[0], 1] : b;
  const m = as[as.length - 2], k = as[as.length - 1];
  const k2 = bs[bs.length - 2], n = bs[bs.length - 1];
  if (k !== k2) throw new RangeError(`matmul: inner dimensions differ: ${fmt(a)} @ ${fmt(b)}`);
  const aBatch = as.slice(0, -2), bBatch = bs.slice(0, -2);
  let batch: number[];
  try {
    batch = broadcastShapes("matmul", aBatch, bBatch);
  } catch {
    throw new RangeError(`matmul: batch dimensions ${fmt(aBatch)} and ${fmt(bBatch)} cannot be broadcast: ${fmt(a)} @ ${fmt(b)}`);
  }
  const shape = [...batch];
  if (a.length > 1) shape.push(m);
  if (b.length > 1) shape.push(n);
  return { m, k, n, aBatch, bBatch, batch, shape };
}

/**
 * cat's operands, dim and result shape: 1-D empty operands (shape [0]) are
 * skipped, as in PyTorch; the others have dims and agree but in `dim`.
 */
export function catShape<T extends { shape: readonly number[] }>(all: readonly T[], dim: unknown): { list: T[]; dim: number; shape: number[] } {
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
  const shape = first.shape.slice();
  shape[d] = list.reduce((a, x) => a + x.shape[d], 0);
  return { list, dim: d, shape };
}

/** flatten's result shape: dims startDim..endDim merged into one; a 0-d shape becomes [1]. */
export function flattenShape(shape: readonly number[], startDim: unknown, endDim: unknown): number[] {
  const s = normDim("flatten", startDim, shape), e = normDim("flatten", endDim, shape);
  if (s > e) throw new RangeError(`flatten: startDim ${startDim} comes after endDim ${endDim} for shape ${fmt(shape)}`);
  if (shape.length === 0) return [1];
  return [...shape.slice(0, s), numelOf(shape.slice(s, e + 1)), ...shape.slice(e + 1)];
}

/** squeeze's result shape: size-1 dims dropped, all of them or those among `dim` (a dim of another size is kept, as in PyTorch). */
export function squeezeShape(shape: readonly number[], dim?: number | readonly number[]): number[] {
  const nd = shape.length;
  const drop = new Array<boolean>(nd).fill(dim === undefined);
  if (dim !== undefined) {
    for (const d of typeof dim === "number" ? [dim] : dim) {
      const k = normDim("squeeze", d, shape);
      if (nd > 0) drop[k] = true;
    }
  }
  return shape.filter((n, i) => !(drop[i] && n === 1));
}

/** unsqueeze's result shape: a size-1 dim inserted at `dim` (in -ndim-1..ndim). */
export function unsqueezeShape(shape: readonly number[], dim: unknown): number[] {
  const k = normDim("unsqueeze", dim, shape, 1);
  const out = shape.slice();
  out.splice(k, 0, 1);
  return out;
}

/** stack's new dim and result shape: every operand has the first one's shape. */
export function stackShape(shapes: readonly (readonly number[])[], dim: unknown): { dim: number; shape: number[] } {
  const shape = shapes[0];
  shapes.forEach((x, i) => {
    if (!sameShape(x, shape)) throw new RangeError(`stack: expected every tensor to have shape ${fmt(shape)}, got ${fmt(x)} at position ${i}`);
  });
  const d = normDim("stack", dim, shape, 1);
  const out = shape.slice();
  out.splice(d, 0, shapes.length);
  return { dim: d, shape: out };
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
