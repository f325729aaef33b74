// Movement ops: flip roll repeat tile movedim unflatten broadcastTo expandAs
// clone diag diagonal trace tril triu, and chunk split unbind (arrays of tensors). Each works out its index map
// (runtime/ops/move-layouts.ts) and runs it on the tensor's device: a loop here
// on the CPU, copy_strided (and fill) on WebGPU (runtime/webgpu/moves.ts). tril
// and triu mask with `where` on WebGPU; trace is the sum of the diagonal.
import { Tensor } from "../tensor.js";
import { alloc } from "../dtype.js";
import { describe, expandTo, fmt, normDim, numelOf, sizesArg } from "../shape.js";
import { backend, gpuCall } from "../device.js";
import { eachRow } from "./strided.js";
import * as L from "./move-layouts.js";
// (the device-aware ops; used at call time only, so the import cycle is harmless)
import * as ops from "./index.js";

type Sizes = (number | readonly number[])[];

/** A Tensor on any device (the layouts run on either). */
function anyTensor(op: string, x: unknown, what = "input"): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: expected a Tensor for ${what}, got ${describe(x)}`);
  return x;
}

const onGpu = (x: Tensor) => x.device === "webgpu";

/** The layout's copies of `x` into a new contiguous tensor (zeros where no piece writes, if `zero`). */
export function runLayout(op: string, x: Tensor, layout: L.Layout): Tensor {
  if (onGpu(x)) return gpuCall("movePieces", [op, x, layout]);
  const out = alloc(x.dtype, numelOf(layout.shape));
  if (layout.fill) out.fill(layout.fill);
  const src = x.data;
  for (const p of layout.pieces) {
    eachRow(p.shape, [p.inStrides, p.outStrides], (off, n, inner) => {
      let si = p.inOff + off[0], oi = p.outOff + off[1];
      const ss = inner[0], os = inner[1];
      for (let i = 0; i < n; i++, si += ss, oi += os) out[oi] = src[si];
    });
  }
  return new Tensor(out, layout.shape);
}

/** Entries in reverse order along each of `dims` (one array or separate numbers). */
export function flip(input: Tensor, ...dims: Sizes): Tensor {
  const x = anyTensor("flip", input);
  return runLayout("flip", x, L.flipLayout(x.shape.slice(), L.intList("flip", "dims", sizesArg("flip", dims), x.shape)));
}

/** Entries shifted by `shifts` along `dims` (wrapping around); without dims, over the flattened tensor. */
export function roll(input: Tensor, shifts: number | readonly number[], dims?: number | readonly number[] | null): Tensor {
  const x = anyTensor("roll", input);
  const s = L.intList("roll", "shifts", shifts, x.shape);
  if (dims === undefined || dims === null) {
    if (s.length !== 1) throw new RangeError(`roll: without dims, shifts must be one integer, got [${s.join(",")}] (shape ${fmt(x.shape)})`);
    const flat = runLayout("roll", x, L.rollLayout([x.numel()], s, [0]));
    return ops.reshape(flat, x.shape.slice());
  }
  return runLayout("roll", x, L.rollLayout(x.shape.slice(), s, L.intList("roll", "dims", dims, x.shape)));
}

/** x repeated sizes[i] times along dim i (more sizes than dims add leading dims), as PyTorch's repeat. */
export function repeat(input: Tensor, ...sizes: Sizes): Tensor {
  const x = anyTensor("repeat", input);
  return runLayout("repeat", x, L.repeatLayout("repeat", x.shape.slice(), L.intList("repeat", "sizes", sizesArg("repeat", sizes), x.shape)));
}

/** As repeat, with fewer sizes than dims read as 1s in front (PyTorch's tile). */
export function tile(input: Tensor, ...dims: Sizes): Tensor {
  const x = anyTensor("tile", input);
  const sizes = L.intList("tile", "dims", sizesArg("tile", dims), x.shape);
  return runLayout("tile", x, L.repeatLayout("tile", x.shape.slice(), L.tileSizes(x.shape, sizes)));
}

/** Dims `source` moved to positions `destination`; the others keep their order. */
export function movedim(input: Tensor, source: number | readonly number[], destination: number | readonly number[]): Tensor {
  const x = anyTensor("movedim", input);
  const perm = L.movedimPerm(x.shape, L.intList("movedim", "source", source, x.shape), L.intList("movedim", "destination", destination, x.shape));
  return runLayout("movedim", x, L.permuteLayout(x.shape.slice(), perm));
}

/** Dim `dim` split into `sizes` (one may be -1). */
export function unflatten(input: Tensor, dim: number, sizes: readonly number[]): Tensor {
  const x = anyTensor("unflatten", input);
  const d = L.intArg("unflatten", "dim", dim, x.shape);
  return ops.reshape(x, L.unflattenShape(x.shape, d, L.intList("unflatten", "sizes", sizes, x.shape)));
}

/** x broadcast to `sizes` (a copy; -1 keeps a size). */
export function broadcastTo(input: Tensor, ...sizes: Sizes): Tensor {
  const x = anyTensor("broadcastTo", input);
  const { shape, strides } = expandTo(x.shape, sizesArg("broadcastTo", sizes), "broadcastTo");
  return runLayout("broadcastTo", x, L.gatherLayout(shape, strides));
}

/** x broadcast to other's shape. */
export function expandAs(input: Tensor, other: Tensor): Tensor {
  const x = anyTensor("expandAs", input);
  const o = anyTensor("expandAs", other, "other");
  const { shape, strides } = expandTo(x.shape, o.shape, "expandAs");
  return runLayout("expandAs", x, L.gatherLayout(shape, strides));
}

/** x padded with `value` (PyTorch's constant pad): pads[2k], pads[2k + 1] before and after the k-th dim from the end; negative pads cut. */
export function pad(input: Tensor, pads: readonly number[], value = 0): Tensor {
  const x = anyTensor("pad", input);
  return runLayout("pad", x, L.padLayout(x.shape.slice(), L.intList("pad", "pads", pads, x.shape), value));
}

/** A copy with its own storage. */
export function clone(input: Tensor): Tensor {
  return anyTensor("clone", input).clone();
}

/** A 1-D tensor onto the k-th diagonal of a square matrix, or a 2-D tensor's k-th diagonal. */
export function diag(input: Tensor, diagonal = 0): Tensor {
  const x = anyTensor("diag", input);
  return runLayout("diag", x, L.diagLayout(x.shape.slice(), L.intArg("diag", "diagonal", diagonal, x.shape)));
}

/** The diagonal of dims dim1, dim2 shifted by offset (above for offset > 0), as the last dim. */
export function diagonal(input: Tensor, offset = 0, dim1 = 0, dim2 = 1): Tensor {
  const x = anyTensor("diagonal", input);
  return runLayout("diagonal", x, L.diagonalLayout("diagonal", x.shape.slice(), L.intArg("diagonal", "offset", offset, x.shape), dim1, dim2));
}

/** The sum of a matrix's diagonal (a 0-d tensor). */
export function trace(input: Tensor): Tensor {
  const x = anyTensor("trace", input);
  if (x.shape.length !== 2) throw new RangeError(`trace: expected a 2-D tensor, got ${fmt(x.shape)}`);
  return ops.sum(diagonal(x));
}

/** The lower (tril) or upper (triu) triangle of the last two dims from diagonal k; zeros elsewhere. */
function triangle(op: "tril" | "triu", input: Tensor, diagonal: number): Tensor {
  const x = anyTensor(op, input);
  const k = L.triCheck(op, x.shape, diagonal);
  const upper = op === "triu";
  const [n, m] = x.shape.slice(-2);
  if (onGpu(x)) {
    const mask = alloc("float32", n * m);
    for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) mask[i * m + j] = L.triKeeps(upper, k, i, j) ? 1 : 0;
    const kept = ops.where(backend.current!.upload(new Tensor(mask, [n, m])) as Tensor, x, 0);
    return x.dtype === "bool" || x.dtype === "int32" ? kept.to(x.dtype) : kept; // (a mask stays a mask, an int32 an int32, as on the CPU)
  }
  const out = alloc(x.dtype, x.numel());
  const src = x.data;
  for (let b = 0, base = 0; base < out.length; b++, base += n * m) {
    for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) if (L.triKeeps(upper, k, i, j)) out[base + i * m + j] = src[base + i * m + j];
  }
  return new Tensor(out, x.shape.slice());
}
export const tril = (input: Tensor, diagonal = 0): Tensor => triangle("tril", input, diagonal);
export const triu = (input: Tensor, diagonal = 0): Tensor => triangle("triu", input, diagonal);


/** x cut into `chunks` pieces along dim (each ceil(size / chunks); fewer when they run out), as PyTorch's chunk. */
export function chunk(input: Tensor, chunks: number, dim = 0): Tensor[] {
  return cut("chunk", input, chunks, dim);
}
/** x cut along dim into pieces of `splitSize` (the last smaller) or of the given sizes. */
export function split(input: Tensor, splitSizeOrSections: number | readonly number[], dim = 0): Tensor[] {
  return cut("split", input, splitSizeOrSections, dim);
}
/** The slices of x along dim, that dim removed. */
export function unbind(input: Tensor, dim = 0): Tensor[] {
  const x = anyTensor("unbind", input);
  if (x.shape.length === 0) throw new RangeError(`unbind: cannot be applied to a 0-d tensor`);
  const d = normDim("unbind", dim, x.shape);
  return Array.from({ length: x.shape[d] }, (_, i) => ops.select(x, d, i));
}

function cut(op: "chunk" | "split", input: Tensor, arg: unknown, dim: number): Tensor[] {
  const x = anyTensor(op, input);
  if (x.shape.length === 0) throw new RangeError(`${op}: cannot be applied to a 0-d tensor`);
  const d = normDim(op, dim, x.shape);
  let start = 0;
  return L.pieceSizes(op, x.shape, d, arg).map((n) => ops.narrow(x, d, (start += n) - n, n));
}

/**
 * Integer indices for indexSelect: a number, an array, or a CPU tensor holding integral values (int32,
 * or float), 0-D or 1-D, each in range for dim d.
 */
export function indexList(op: string, index: unknown, shape: readonly number[], d: number): number[] {
  if (index instanceof Tensor && index.device === "webgpu") throw new TypeError(`${op}: indices on the webgpu device cannot be read synchronously; pass them as an array or a CPU tensor (shape ${fmt(shape)})`);
  if (index instanceof Tensor && index.shape.length > 1) throw new RangeError(`${op}: index must be 0-D or 1-D, got shape ${fmt(index.shape)} (input ${fmt(shape)})`);
  const list = index instanceof Tensor ? Array.from(index.data) : L.intList(op, "index", index, shape);
  return list.map((i) => {
    if (!Number.isInteger(i)) throw new TypeError(`${op}: indices must be integers, got ${i} (shape ${fmt(shape)})`);
    if (i < -shape[d] || i >= shape[d]) throw new RangeError(`${op}: index ${i} out of range for dim ${d} of size ${shape[d]} (shape ${fmt(shape)})`);
    return i < 0 ? i + shape[d] : i;
  });
}

/** The entries of x at `index` along dim (PyTorch's index_select): rows picked along dim 0, with the dim moved there and back. */
export function indexSelect(input: Tensor, dim: number, index: number | readonly number[] | Tensor): Tensor {
  const x = anyTensor("indexSelect", input);
  if (x.shape.length === 0) throw new RangeError(`indexSelect: cannot be applied to a 0-d tensor`);
  const d = normDim("indexSelect", dim, x.shape);
  const idx = indexList("indexSelect", index, x.shape, d);
  const rows = ops.index(d === 0 ? x : ops.movedim(x, d, 0), idx);
  return d === 0 ? rows : ops.movedim(rows, 0, d);
}
