// The run-time half of vmap's batching transform (compiler/ad/batch-tensor.ts):
// a batched value is a Tensor with the batch at dim 0, whose per-example shape
// is the rest of its shape. The compiler does not know ranks, so the few
// choices that depend on them (how far to pad an operand so its batch dim
// lines up, which matmul form a per-example product becomes) are made here,
// once per batch. `nums`: a batch of numbers, a float64 Tensor [B].
import { Tensor } from "./tensor.js";
import * as ops from "./ops/index.js";
import { adExpandAs, adMatmulBackA, adMatmulBackB, adSumTo } from "./ad.js";
import { adNewBatch } from "./vmap.js";
import { eye, zeros } from "./factories.js";
import { backend, gpuArgs } from "./device.js";

type Val = Tensor | number | undefined;
const isT = (x: unknown): x is Tensor => typeof x === "object" && x !== null && "shape" in (x as object);
/** Per-example rank: a number is 0-d; a batched value's first dim is the batch. */
const rankOf = (x: Val, batched: boolean): number => (isT(x) ? x.shape.length - (batched ? 1 : 0) : 0);

/** The same elements in a new shape: shared storage on the CPU (the batched program never writes a value in place). */
function view(x: Tensor, shape: number[]): Tensor {
  // (a WebGPU tensor's data is on the device: its own reshape)
  if ((x as { device?: string }).device !== "webgpu") return new Tensor(x.data, shape);
  return ops.reshape(x, shape);
}

/** Batched x [B, ...s] as [B, 1, …, 1, ...s] with per-example rank `r` (no change when s already has r dims). */
function padTo(x: Tensor, r: number): Tensor {
  const s = x.shape.length - 1;
  return s >= r ? x : view(x, [x.shape[0], ...new Array<number>(r - s).fill(1), ...x.shape.slice(1)]);
}

/**
 * An operand of a broadcasting op, batched, lined up with the others: padded
 * to their largest per-example rank, so right-aligned broadcasting keeps the
 * batch dims together. A batch of numbers meeting a Tensor takes its dtype
 * (a number does in the row-by-row program).
 */
export function bAlign(x: Tensor, flags: readonly boolean[], isNum: boolean, ...others: Val[]): Tensor {
  if (x === undefined) return x; // a structural zero tangent (tz. ops take it)
  let r = 0;
  let like: Tensor | undefined;
  others.forEach((o, i) => {
    r = Math.max(r, rankOf(o, flags[i]));
    if (isT(o)) like ??= o;
  });
  let y = padTo(x, r);
  if (isNum && like && like.dtype === "float32" && y.dtype === "float64") y = new Tensor(Float32Array.from(y.data), y.shape);
  return y;
}

/** An unbatched value (Tensor, number, or undefined for a cotangent not reached) repeated B times. */
export function bBroadcast(x: Tensor | number, B: number): Tensor;
export function bBroadcast(x: Val, B: number): Tensor | undefined;
export function bBroadcast(x: Val, B: number): Tensor | undefined {
  if (x === undefined) return undefined;
  if (!isT(x)) return new Tensor(new Float64Array(B).fill(x), [B]);
  // (a mask or an int32 tensor is copied by expand: bool + bool is refused, int32 + float is float)
  if (x.dtype === "bool" || x.dtype === "int32") return ops.expand(ops.unsqueeze(x, 0), [B, ...x.shape]);
  return ops.add(zeros([B, ...x.shape], { dtype: x.dtype }), x);
}

/** A batch of numbers (number[], Float64Array, Float32Array) as a float64 Tensor [B]. */
export function bNums(v: ArrayLike<number>): Tensor {
  return new Tensor(Float64Array.from(v), [v.length]);
}

/** A batch of numbers out: float32 only when every batch of numbers came in as float32 (as vmap's row loop gives). */
export function bNumsOut(t: Tensor, ...batches: unknown[]): Float64Array | Float32Array {
  const out = adNewBatch(t.shape[0], ...batches);
  out.set(t.data);
  return out;
}

/** item() of each example: its one element, as a batch of numbers. */
export function bItem(x: Tensor): Tensor {
  if (x.numel() !== x.shape[0]) throw new RangeError(`item: a Tensor with ${x.numel() / Math.max(1, x.shape[0])} elements per example cannot be converted to a number`);
  return new Tensor(Float64Array.from(x.data), [x.shape[0]]);
}

/** A reduction over every per-example dim (dim left out): the batch dim stays. */
export function bReduceAll(op: "sum" | "mean" | "prod" | "max" | "min" | "all" | "any", x: Tensor, keepdim: boolean): Tensor {
  const r = x.shape.length - 1;
  // the reduction of a 0-d example is itself (all / any: whether it is nonzero)
  if (r === 0) return op === "all" || op === "any" ? ops.ne(x, 0) : x;
  const dims = Array.from({ length: r }, (_, i) => i + 1);
  return (ops[op] as (t: Tensor, d: number[], k: boolean) => Tensor)(x, dims, keepdim);
}

/** The per-example transpose t(): 0-d and 1-D examples are unchanged. */
export function bT(x: Tensor): Tensor {
  return x.shape.length <= 2 ? x : ops.transpose(x, 1, 2);
}

/** reshape / view of each example. */
export function bReshape(x: Tensor, sizes: readonly number[]): Tensor {
  return ops.reshape(x, [x.shape[0], ...sizes]);
}

/** flatten(start, end) of each example (a 0-d example becomes [1]). */
export function bFlatten(x: Tensor, start: number, end: number): Tensor {
  const r = x.shape.length - 1;
  if (r === 0) return view(x, [x.shape[0], 1]);
  const norm = (d: number) => (d < 0 ? d + r : d) + 1;
  return ops.flatten(x, norm(start), norm(end));
}

/** squeeze of each example: all its size-1 dims, or those among `dims` (never the batch dim). */
export function bSqueeze(x: Tensor, dims?: number | readonly number[]): Tensor {
  const r = x.shape.length - 1;
  const list = dims === undefined ? [...Array(r).keys()] : (Array.isArray(dims) ? dims : [dims as number]).map((d) => (d < 0 ? d + r : d));
  const drop = new Set(list.filter((d) => x.shape[d + 1] === 1).map((d) => d + 1));
  return view(x, x.shape.filter((_, i) => !drop.has(i)));
}

/** expand of each example to `sizes` (-1 keeps a size; new dims are added in front). */
export function bExpand(x: Tensor, sizes: readonly number[]): Tensor {
  const y = padTo(x, sizes.length);
  return ops.expand(y, [y.shape[0], ...sizes]);
}

/** x's last dim as a row (a dim of 1 before it), or as a column (a dim of 1 after it). */
const asRow = (x: Tensor): Tensor => view(x, [...x.shape.slice(0, -1), 1, x.shape[x.shape.length - 1]]);
const asColumn = (x: Tensor): Tensor => view(x, [...x.shape, 1]);

/** A per-example 1-D operand of a matrix product as a row (left) or column (right) of each example. */
const asMatrix = (x: Tensor, batched: boolean, left: boolean): Tensor => (rankOf(x, batched) !== 1 ? x : left ? asRow(x) : asColumn(x));

/** A matrix product's cotangent where an operand was a vector (ranks ra, ry): as the cotangent of the product of matrices. */
function ctAsMatrix(ct: Tensor, ra: number, ry: number): Tensor {
  const c = ra === 1 ? asRow(ct) : ct;
  return ry === 1 ? asColumn(c) : c;
}

/** torch.matmul of each example; `flags`: which operands are batched. */
export function bMatmul(x: Tensor, y: Tensor, flags: readonly boolean[]): Tensor {
  const [xb, yb] = flags;
  const rx = rankOf(x, xb), ry = rankOf(y, yb);
  if (!xb && !yb) return ops.matmul(x, y);
  // W @ x for a batch of vectors x: one [B, n] @ Wᵀ
  if (!xb && rx === 2 && ry === 1) return ops.matmul(y, ops.t(x));
  // a batch of vectors @ an unbatched vector or matrix: matmul already reads x's rows as the batch
  if (xb && !yb && rx === 1 && ry <= 2) return ops.matmul(x, y);
  // a batch of dot products
  if (xb && yb && rx === 1 && ry === 1) return ops.sum(ops.mul(x, y), -1);
  let a = asMatrix(x, xb, true), b = asMatrix(y, yb, false);
  const r = Math.max(rankOf(a, xb), rankOf(b, yb));
  if (xb) a = padTo(a, r);
  if (yb) b = padTo(b, r);
  let out = ops.matmul(a, b);
  const s = out.shape.slice();
  if (ry === 1) s.splice(s.length - 1, 1);
  if (rx === 1) s.splice(s.length - (ry === 1 ? 1 : 2), 1);
  if (s.length !== out.shape.length) out = view(out, s);
  return out;
}

/** dot of each example (two 1-D examples). */
export function bDot(x: Tensor, y: Tensor, flags: readonly boolean[]): Tensor {
  const [xb, yb] = flags;
  if (rankOf(x, xb) !== 1 || rankOf(y, yb) !== 1) return ops.dot(x, y); // the op's own error
  return xb && yb ? ops.sum(ops.mul(x, y), -1) : ops.matmul(xb ? x : y, xb ? y : x);
}

/** outer of each example: out[b, i, j] = x[b, i] * y[b, j]. */
export function bOuter(x: Tensor, y: Tensor, flags: readonly boolean[]): Tensor {
  const [xb, yb] = flags;
  if (rankOf(x, xb) !== 1 || rankOf(y, yb) !== 1) return ops.outer(x, y);
  const a = xb ? view(x, [...x.shape, 1]) : view(x, [x.shape[0], 1]);
  const b = yb ? view(y, [y.shape[0], 1, y.shape[1]]) : y;
  return ops.mul(a, b);
}

/** The per-example shape of x. */
const exShape = (x: Val, batched: boolean): number[] => (isT(x) ? (batched ? x.shape.slice(1) : x.shape.slice()) : []);

/** sumTo (undo broadcasting) of each example down to `like`'s per-example shape. */
export function bSumTo(t: Val, like: Val, flags: readonly boolean[]): Val {
  const [tb, lb] = flags;
  if (t === undefined) return typeof like === "number" ? 0 : undefined;
  if (!tb) return adSumTo(t, lb && isT(like) ? zeros(exShape(like, lb), { dtype: like.dtype }) : (like as Tensor));
  const T = t as Tensor;
  const S = exShape(like, lb);
  const P = T.shape.slice(1);
  const lead = P.length - S.length;
  const dims: number[] = [];
  for (let i = 0; i < P.length; i++) if (i < lead || (S[i - lead] === 1 && P[i] !== 1)) dims.push(i + 1);
  const r = dims.length ? ops.sum(T, dims, true) : T;
  return view(r, [T.shape[0], ...S]);
}

/** expandAs of each example to `like`'s per-example shape. */
export function bExpandAs(t: Val, like: Val, flags: readonly boolean[]): Val {
  const [tb, lb] = flags;
  if (t === undefined) return undefined;
  if (!tb && !lb) return adExpandAs(t, like as Tensor);
  const S = exShape(like, lb);
  const B = tb ? (t as Tensor).shape[0] : (like as Tensor).shape[0];
  const src = tb ? padTo(t as Tensor, S.length) : t;
  const dtype = isT(like) ? like.dtype : isT(t) ? t.dtype : "float64";
  return ops.add(zeros([B, ...S], { dtype }), src as Tensor);
}

/** a + b where either may be undefined (a cotangent not reached yet), lined up per example. */
export function bAcc(a: Val, b: Val, flags: readonly boolean[]): Val {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const [ab, bb] = flags;
  const x = ab ? bAlign(a as Tensor, [bb], false, b) : a;
  const y = bb ? bAlign(b as Tensor, [ab], false, a) : b;
  return ops.add(x as Tensor, y as Tensor);
}

/** matmul's backward for its first operand, per example: sumTo(ct @ yᵀ, a). */
export function bMatmulBackA(ct: Tensor, a: Tensor, y: Tensor, flags: readonly boolean[]): Val {
  const [cb, ab, yb] = flags;
  if (ct === undefined) return undefined;
  if (!cb && !ab && !yb) return adMatmulBackA(ct, a, y);
  const ra = rankOf(a, ab), ry = rankOf(y, yb);
  if (ra === 1 && ry === 1) return bMul(ct, cb, y, yb);
  let r = bMatmul(ctAsMatrix(ct, ra, ry), ops.transpose(asMatrix(y, yb, false), -1, -2), [cb, yb]);
  if (ra === 1) r = view(r, [...r.shape.slice(0, -2), r.shape[r.shape.length - 1]]);
  return bSumTo(r, a, [cb || yb, ab]);
}

/** matmul's backward for its second operand, per example: sumTo(aᵀ @ ct, y). */
export function bMatmulBackB(ct: Tensor, a: Tensor, y: Tensor, flags: readonly boolean[]): Val {
  const [cb, ab, yb] = flags;
  if (ct === undefined) return undefined;
  if (!cb && !ab && !yb) return adMatmulBackB(ct, a, y);
  const ra = rankOf(a, ab), ry = rankOf(y, yb);
  if (ra === 1 && ry === 1) return bMul(ct, cb, a, ab);
  let r = bMatmul(ops.transpose(asMatrix(a, ab, true), -1, -2), ctAsMatrix(ct, ra, ry), [ab, cb]);
  if (ry === 1) r = view(r, r.shape.slice(0, -1));
  return bSumTo(r, y, [cb || ab, yb]);
}

function bMul(x: Val, xb: boolean, y: Val, yb: boolean): Tensor {
  const a = xb ? bAlign(x as Tensor, [yb], false, y) : x;
  const b = yb ? bAlign(y as Tensor, [xb], false, x) : y;
  return ops.mul(a as Tensor, b as Tensor);
}

/** size(d), dim() and numel of each example. */
export function bSize(x: Tensor, d: number): number {
  return x.size(d < 0 ? d : d + 1);
}
export function bDim(x: Tensor): number {
  return x.shape.length - 1;
}
export function bNumel(x: Tensor): number {
  return x.shape[0] === 0 ? 0 : x.numel() / x.shape[0];
}

// vmap(jacrev(f)) / vmap(jacfwd(f)) of tensor code: each example's Jacobian
// from one batched jvp over B·n rows (example b with basis direction k at row
// b·n + k), n the number of elements of the differentiated input `like`.

/** Each row of x repeated n times: [B·n, ...]. */
export function bRepeatRows(x: Tensor, like: Tensor): Tensor {
  const B = like.shape[0], n = B ? like.numel() / B : 0, rest = x.shape.slice(1);
  return ops.reshape(ops.expand(ops.unsqueeze(x, 1), [B, n, ...rest]), [B * n, ...rest]);
}

/** The basis directions of each example: row b·n + k is e_k in the example's shape. */
export function bBasis(like: Tensor): Tensor {
  const B = like.shape[0], n = B ? like.numel() / B : 0, rest = like.shape.slice(1);
  const I = eye(n, { dtype: like.dtype });
  const rows = ops.reshape(ops.expand(ops.unsqueeze(I, 0), [B, n, n]), [B * n, ...rest]);
  return (like as { device?: string }).device === "webgpu" ? (backend.current!.upload(rows) as Tensor) : rows;
}

/** The tangents of the B·n rows as Jacobians [B, ...out, ...in] (PyTorch's layout). */
export function bJacRows(d: Tensor, like: Tensor): Tensor {
  const B = like.shape[0], n = B ? like.numel() / B : 0, out = d.shape.slice(1), m = out.reduce((a, b) => a * b, 1);
  const J = ops.transpose(ops.reshape(d, [B, n, m]), 1, 2);
  return ops.reshape(J, [B, ...out, ...like.shape.slice(1)]);
}

// chunkSize on the batched path: the rows [start, start + size) of a batched
// argument, and each chunk's result copied into the whole batch's.

/** Rows start… of a batched argument (a Tensor batched at `dim`, or a batch of numbers). */
export function bChunk(x: Tensor | Float64Array | Float32Array | number[], start: number, B: number, dim: number, size: number): unknown {
  const len = Math.min(size, B - start);
  if (isT(x)) return ops.narrow(x, dim, start, len);
  return ArrayBuffer.isView(x) ? (x as Float64Array).subarray(start, start + len) : (x as number[]).slice(start, start + len);
}

/** out with the chunk r (its batch at dim `od`) written at rows start…; out is allocated at the first chunk. */
export function bPutChunk(out: unknown, r: Tensor | Float64Array | Float32Array, start: number, B: number, od: number): unknown {
  if (!isT(r)) {
    const o = (out ?? new (r.constructor as Float64ArrayConstructor)(B)) as Float64Array;
    o.set(r, start);
    return o;
  }
  const nd = r.shape.length, d = od < 0 ? od + nd : od;
  const shape = r.shape.slice();
  const L = shape[d];
  shape[d] = B;
  const o = (out as Tensor | undefined) ?? new Tensor(r.dtype === "float32" ? new Float32Array(numel(shape)) : new Float64Array(numel(shape)), shape);
  const outer = numel(r.shape.slice(0, d)), inner = numel(r.shape.slice(d + 1));
  for (let k = 0; k < outer; k++) o.data.set(r.data.subarray(k * L * inner, (k + 1) * L * inner), (k * B + start) * inner);
  return o;
}

const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Whether each example of x (batched at dim, or null: unbatched) has at most `max` entries; anything else says yes (the batched code reports it). */
export function bExampleAtMost(x: unknown, dim: number | null, max: number): boolean {
  if (!(x instanceof Tensor)) return true;
  const d = dim === null ? -1 : dim < 0 ? dim + x.shape.length : dim;
  const n = d < 0 ? x.numel() : x.shape.reduce((a, s, k) => (k === d ? a : a * s), 1);
  return n <= max;
}

/** Whether a vmap's arguments include a WebGPU tensor (its row loop runs them). */
export function bOnDevice(...args: unknown[]): boolean {
  return gpuArgs(args);
}

/**
 * Whether vmap may run the number-program twin of tensor code (compiler/ad/scalarize.ts):
 * every tensor input a CPU tensor of the twin's dtype whose examples are 1-D (batched at
 * dims[i], or unbatched: null) with at least minLen[i] entries for its constant indices.
 */
export function bScalarRows(args: unknown[], dims: (number | null)[], minLen: number[], dtype: "float64" | "float32" = "float64"): boolean {
  for (let i = 0; i < args.length; i++) {
    const x = args[i];
    if (!(x instanceof Tensor) || x.dtype !== dtype || gpuArgs([x])) return false;
    const d = dims[i];
    if (x.shape.length !== (d === null ? 1 : 2)) return false;
    const n = d === null ? x.shape[0] : x.shape[d === 0 || d === -2 ? 1 : 0];
    if (n < minLen[i]) return false;
  }
  return true;
}

/** A per-example value's shape: a batched value's shape after its batch dim, an unbatched one's own. */
const exampleShape = (x: Val | boolean, batched: boolean): readonly number[] => (isT(x) ? (batched ? x.shape.slice(1) : x.shape) : []);

const COMPARE: Record<string, (a: number, b: number) => boolean> = {
  lt: (a, b) => a < b, le: (a, b) => a <= b, gt: (a, b) => a > b, ge: (a, b) => a >= b, eq: (a, b) => a === b, ne: (a, b) => a !== b,
  and: (a, b) => a !== 0 && b !== 0, or: (a, b) => a !== 0 || b !== 0, not: (a) => a === 0,
};

/**
 * A comparison or logic op (`lt le gt ge eq ne and or not`) of batched numbers, for a condition on
 * batched values: 1 where it holds, else 0, a float64 Tensor [B]. `flags`: which operands are batched.
 */
export function bCmp(...args: unknown[]): Tensor {
  const flags = args.pop() as boolean[];
  const op = args.pop() as string;
  const B = (args.find((_, i) => flags[i]) as Tensor).shape[0];
  const at = (x: unknown, batched: boolean, i: number): number => (batched ? (x as Tensor).data[i] : Number(x));
  const fn = COMPARE[op];
  if (!fn) throw new Error(`vmap: internal: no batched comparison ${op}`);
  const out = new Float64Array(B);
  for (let i = 0; i < B; i++) out[i] = fn(at(args[0], flags[0], i), args.length > 1 ? at(args[1], flags[1], i) : 0) ? 1 : 0;
  return new Tensor(out, [B]);
}

/**
 * The merge of the two arms of an if on a batched condition (compiler/ad/batch-tensor.ts): row i is
 * `then`'s where cond[i] holds, else `other`'s. Both arms must give one shape per example, as the row
 * loop's stacking needs, unless every row took the same arm (then that arm's batch, as the row loop gives).
 */
export function bWhere(cond: Tensor | boolean | number, then: Val | boolean, other: Val | boolean, B: number, flags: readonly boolean[]): Val {
  const [cb, tb, ob] = flags;
  const asBatch = (x: Val | boolean, batched: boolean): Val => (batched ? (x as Val) : bBroadcast(typeof x === "boolean" ? Number(x) : x, B));
  // (a ternary whose values are batched but whose condition is not: one arm for every row)
  if (!cb) return cond ? asBatch(then, tb) : asBatch(other, ob);
  cond = cond as Tensor;
  const st = exampleShape(then, tb), so = exampleShape(other, ob);
  const c = cond.data;
  if (st.length !== so.length || st.some((d, k) => d !== so[k])) {
    let all = true, none = true;
    for (let i = 0; i < c.length; i++) (c[i] !== 0 ? (none = false) : (all = false));
    if (all) return asBatch(then, tb);
    if (none) return asBatch(other, ob);
    throw new RangeError(`vmap: the two branches of a condition on batched values give examples of shapes [${st.join(", ")}] and [${so.join(", ")}]: rows taking different branches cannot be stacked`);
  }
  // the condition as [B, 1, …, 1]: one per example, broadcast over its elements
  const c1 = view(cond, [B, ...new Array<number>(st.length).fill(1)]);
  const num = (x: Val | boolean) => (typeof x === "boolean" ? Number(x) : x);
  return ops.where(c1, num(then) as Tensor | number, num(other) as Tensor | number);
}
