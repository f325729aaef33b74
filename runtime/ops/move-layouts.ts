// Index maps of the movement ops (flip roll repeat tile movedim diagonal diag):
// each result is a few strided copies ("pieces") of its input into a fresh
// contiguous tensor, zeros elsewhere where `zero` is set. The maps are pure
// shape arithmetic, shared by the CPU loop and WebGPU's copy_strided kernel
// (runtime/ops/moves.ts), and check the arguments (errors name the op and the
// shape) before anything is allocated.
import { contiguousStrides, describe, fmt, fmtList, normDim, numelOf } from "../shape.js";

/** out[outOff + Σ i·outStrides] = in[inOff + Σ i·inStrides] over `shape`. */
export interface Piece {
  shape: number[];
  inOff: number;
  inStrides: number[];
  outOff: number;
  outStrides: number[];
}

export interface Layout {
  shape: number[];
  pieces: Piece[];
  /** elements no piece writes are zeros */
  zero?: boolean;
  /** …or this value (pad) */
  fill?: number;
}

/** One gather: the result (contiguous, of `shape`) read from the input through `strides` from `offset`. */
export function gatherLayout(shape: number[], strides: number[], offset = 0): Layout {
  return { shape, pieces: [{ shape, inOff: offset, inStrides: strides, outOff: 0, outStrides: contiguousStrides(shape) }] };
}

/** The layout that puts a result of `layout` back where it came from (a scatter into zeros of `inShape`); for injective maps. */
export function scatterLayout(layout: Layout, inShape: number[]): Layout {
  return { shape: inShape, zero: true, pieces: layout.pieces.map((p) => ({ shape: p.shape, inOff: p.outOff, inStrides: p.outStrides, outOff: p.inOff, outStrides: p.inStrides })) };
}

export function intArg(op: string, what: string, v: unknown, shape: readonly number[]): number {
  if (typeof v !== "number" || !Number.isInteger(v)) throw new TypeError(`${op}: ${what} must be an integer, got ${describe(v)} (shape ${fmt(shape)})`);
  return v;
}

/** An int or a list of ints (dims, shifts, sizes), as a list. */
export function intList(op: string, what: string, v: unknown, shape: readonly number[]): number[] {
  const list = typeof v === "number" ? [v] : Array.isArray(v) || ArrayBuffer.isView(v) ? Array.from(v as ArrayLike<unknown>) : undefined;
  if (!list) throw new TypeError(`${op}: ${what} must be an integer or an array of integers, got ${describe(v)} (shape ${fmt(shape)})`);
  return list.map((x) => intArg(op, what, x, shape));
}

/** Distinct dims, wrapped. */
export function dimList(op: string, dims: readonly number[], shape: readonly number[]): number[] {
  const ds = dims.map((d) => normDim(op, d, shape));
  if (new Set(ds).size !== ds.length) throw new RangeError(`${op}: dims ${fmtList(dims)} repeat a dim (shape ${fmt(shape)})`);
  return ds;
}

/** Entries reversed along `dims`: negative strides from the last entry. */
export function flipLayout(shape: number[], dims: readonly number[]): Layout {
  const strides = contiguousStrides(shape);
  let off = 0;
  for (const d of dimList("flip", dims, shape)) {
    if (shape[d] > 0) off += (shape[d] - 1) * strides[d];
    strides[d] = -strides[d];
  }
  return gatherLayout(shape.slice(), strides, off);
}

/** out[(i + shift) mod n] = in[i] along each dim; two pieces per rolled dim. */
export function rollLayout(shape: number[], shifts: number[], dims: number[]): Layout {
  if (shifts.length !== dims.length) throw new RangeError(`roll: shifts ${fmtList(shifts)} and dims ${fmtList(dims)} must have the same length (shape ${fmt(shape)})`);
  const ds = dims.map((d) => normDim("roll", d, shape));
  const st = contiguousStrides(shape);
  let pieces: Piece[] = [{ shape: shape.slice(), inOff: 0, inStrides: st, outOff: 0, outStrides: st }];
  ds.forEach((d, k) => {
    const n = shape[d];
    const s = n === 0 ? 0 : ((shifts[k] % n) + n) % n;
    if (s === 0) return;
    pieces = pieces.flatMap((p) => {
      // in [0, n - s) → out [s, n); in [n - s, n) → out [0, s)
      const part = (len: number, from: number, to: number): Piece => {
        const sh = p.shape.slice();
        sh[d] = len;
        return { ...p, shape: sh, inOff: p.inOff + from * st[d], outOff: p.outOff + to * st[d] };
      };
      return [part(n - s, 0, s), part(s, n - s, 0)];
    });
  });
  return { shape: shape.slice(), pieces };
}

/**
 * x repeated `sizes[i]` times along each dim (PyTorch's repeat; new leading dims
 * when sizes are more than x's dims): one walk over [r0, s0, r1, s1, …] reading
 * x with stride 0 along each r.
 */
export function repeatLayout(op: string, shape: number[], sizes: number[]): Layout {
  if (sizes.length < shape.length) throw new RangeError(`${op}: got ${sizes.length} repeat sizes ${fmtList(sizes)} for shape ${fmt(shape)}; give at least one per dim`);
  for (const r of sizes) if (r < 0) throw new RangeError(`${op}: repeat sizes must be non-negative, got ${fmtList(sizes)} (shape ${fmt(shape)})`);
  const xs = [...new Array<number>(sizes.length - shape.length).fill(1), ...shape];
  const xst = contiguousStrides(xs);
  const walk = sizes.flatMap((r, i) => [r, xs[i]]);
  const inStrides = sizes.flatMap((_, i) => [0, xst[i]]);
  return { shape: sizes.map((r, i) => r * xs[i]), pieces: [{ shape: walk, inOff: 0, inStrides, outOff: 0, outStrides: contiguousStrides(walk) }] };
}

/** PyTorch's tile: repeat, with sizes padded in front by 1s to x's dims. */
export function tileSizes(shape: readonly number[], sizes: number[]): number[] {
  return sizes.length < shape.length ? [...new Array<number>(shape.length - sizes.length).fill(1), ...sizes] : sizes;
}

/** The permutation of movedim: source dims go to their destinations, the others keep their order. */
export function movedimPerm(shape: readonly number[], source: number[], destination: number[]): number[] {
  if (source.length !== destination.length) throw new RangeError(`movedim: source ${fmtList(source)} and destination ${fmtList(destination)} must have the same length (shape ${fmt(shape)})`);
  const src = dimList("movedim", source, shape), dst = dimList("movedim", destination, shape);
  const nd = shape.length;
  const perm = new Array<number>(nd).fill(-1);
  src.forEach((s, i) => (perm[dst[i]] = s));
  const rest = [...Array(nd).keys()].filter((d) => !src.includes(d));
  for (let i = 0, k = 0; i < nd; i++) if (perm[i] < 0) perm[i] = rest[k++];
  return perm;
}

export function permuteLayout(shape: number[], perm: number[]): Layout {
  const s = contiguousStrides(shape);
  return gatherLayout(perm.map((d) => shape[d]), perm.map((d) => s[d]));
}

/** dim `dim` of shape split into `sizes` (one -1 inferred). */
export function unflattenShape(shape: readonly number[], dim: number, sizes: number[]): number[] {
  const d = normDim("unflatten", dim, shape);
  if (shape.length === 0) throw new RangeError(`unflatten: cannot be applied to a 0-d tensor`);
  if (sizes.length === 0) throw new RangeError(`unflatten: sizes must not be empty (shape ${fmt(shape)})`);
  const bad = () => new RangeError(`unflatten: sizes ${fmtList(sizes)} do not multiply to dim ${d} of size ${shape[d]} (shape ${fmt(shape)})`);
  const infer = sizes.indexOf(-1);
  if (sizes.some((s, i) => s < -1 || (s === -1 && i !== infer))) throw bad();
  const known = sizes.reduce((a, s) => (s === -1 ? a : a * s), 1);
  const out = sizes.slice();
  if (infer >= 0) {
    if (known === 0 || shape[d] % known !== 0) throw bad();
    out[infer] = shape[d] / known;
  } else if (known !== shape[d]) throw bad();
  return [...shape.slice(0, d), ...out, ...shape.slice(d + 1)];
}

/** The diagonal of dims d1, d2 (shifted by offset), as the result's last dim. */
export function diagonalLayout(op: string, shape: number[], offset: number, dim1: number, dim2: number): Layout {
  if (shape.length < 2) throw new RangeError(`${op}: expected a tensor with at least 2 dims, got ${fmt(shape)}`);
  const d1 = normDim(op, dim1, shape), d2 = normDim(op, dim2, shape);
  if (d1 === d2) throw new RangeError(`${op}: dim1 and dim2 are the same dim ${d1} (shape ${fmt(shape)})`);
  const st = contiguousStrides(shape);
  const n1 = shape[d1], n2 = shape[d2];
  const L = Math.max(0, offset >= 0 ? Math.min(n1, n2 - offset) : Math.min(n1 + offset, n2));
  const keep = shape.map((_, i) => i).filter((i) => i !== d1 && i !== d2);
  const off = L === 0 ? 0 : offset >= 0 ? offset * st[d2] : -offset * st[d1];
  return gatherLayout([...keep.map((i) => shape[i]), L], [...keep.map((i) => st[i]), st[d1] + st[d2]], off);
}

/** diag: a vector onto the k-th diagonal of a square matrix (zeros elsewhere), or a matrix's k-th diagonal. */
export function diagLayout(shape: number[], k: number): Layout {
  if (shape.length === 2) return diagonalLayout("diag", shape, k, 0, 1);
  if (shape.length !== 1) throw new RangeError(`diag: expected a 1-D or 2-D tensor, got ${fmt(shape)}`);
  const n = shape[0], N = n + Math.abs(k);
  return { shape: [N, N], zero: true, pieces: [{ shape: [n], inOff: 0, inStrides: [1], outOff: k >= 0 ? k : -k * N, outStrides: [N + 1] }] };
}

/**
 * pad (constant mode): pads[2k], pads[2k + 1] entries before and after the k-th dim from the end
 * (negative: that many cut off), filled with `value`.
 */
export function padLayout(shape: number[], pads: number[], value: number): Layout {
  if (pads.length % 2 !== 0 || pads.length > 2 * shape.length) throw new RangeError(`pad: expected an even number of pads, at most 2 per dim, got ${fmtList(pads)} for shape ${fmt(shape)}`);
  if (typeof value !== "number") throw new TypeError(`pad: value must be a number, got ${describe(value)} (shape ${fmt(shape)})`);
  const st = contiguousStrides(shape);
  const out = shape.slice();
  const piece = shape.slice();
  const before: number[] = shape.map(() => 0), cut: number[] = shape.map(() => 0);
  for (let k = 0; k < pads.length / 2; k++) {
    const d = shape.length - 1 - k, l = pads[2 * k], r = pads[2 * k + 1];
    out[d] = shape[d] + l + r;
    if (out[d] < 0) throw new RangeError(`pad: pads ${fmtList(pads)} leave dim ${d} of shape ${fmt(shape)} with ${out[d]} entries`);
    piece[d] = Math.max(0, shape[d] - Math.max(0, -l) - Math.max(0, -r));
    before[d] = Math.max(0, l);
    cut[d] = Math.max(0, -l);
  }
  const ost = contiguousStrides(out);
  const inOff = cut.reduce((a, c, d) => a + c * st[d], 0), outOff = before.reduce((a, b, d) => a + b * ost[d], 0);
  return { shape: out, fill: value, pieces: [{ shape: piece, inOff, inStrides: st, outOff, outStrides: ost }] };
}

/** tril / triu: the last two dims must exist. */
export function triCheck(op: string, shape: readonly number[], k: unknown): number {
  if (shape.length < 2) throw new RangeError(`${op}: expected a tensor with at least 2 dims, got ${fmt(shape)}`);
  return intArg(op, "diagonal", k, shape);
}

/** Whether element (i, j) of a matrix is kept by tril / triu with diagonal k. */
export const triKeeps = (upper: boolean, k: number, i: number, j: number) => (upper ? j - i >= k : j - i <= k);

/**
 * The sizes of chunk's / split's pieces along dim d: chunk(n) pieces of ceil(size / n) (the last
 * smaller, fewer than n where they run out, as PyTorch's); split(k) pieces of k (the last smaller);
 * split([a, b, …]) those sizes, which must add up to the dim's size.
 */
export function pieceSizes(op: string, shape: readonly number[], d: number, arg: unknown): number[] {
  const size = shape[d];
  if (op === "chunk") {
    const n = intArg("chunk", "chunks", arg, shape);
    if (n <= 0) throw new RangeError(`chunk: chunks must be positive, got ${n} (shape ${fmt(shape)})`);
    const each = Math.ceil(size / n);
    return each === 0 ? new Array<number>(n).fill(0) : Array.from({ length: Math.ceil(size / each) }, (_, i) => Math.min(each, size - i * each));
  }
  if (typeof arg === "number") {
    const k = intArg("split", "split size", arg, shape);
    if (k < 0 || (k === 0 && size > 0)) throw new RangeError(`split: split size must be positive, got ${k} (shape ${fmt(shape)})`);
    return size === 0 ? [0] : Array.from({ length: Math.ceil(size / k) }, (_, i) => Math.min(k, size - i * k));
  }
  const sizes = intList("split", "split sizes", arg, shape);
  if (sizes.some((s) => s < 0) || sizes.reduce((a, b) => a + b, 0) !== size) throw new RangeError(`split: sizes ${fmtList(sizes)} must be non-negative and add up to dim ${d} of size ${size} (shape ${fmt(shape)})`);
  return sizes;
}

export const layoutNumel = (l: Layout) => numelOf(l.shape);
