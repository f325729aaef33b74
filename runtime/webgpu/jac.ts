/* eslint-disable @typescript-eslint/no-explicit-any -- values flowing between generated code and ops */
// Structured Jacobians (runtime/jac.ts) on WebGPU: the tangent of a value with
// respect to a whole input, all basis directions at once, as device tensors.
//
//   diag   J[o, i] = d[o] when i = o: d a tensor of the value's shape, or null for the identity
//   dense  an m×n matrix, an [m, n] tensor (m: the value's elements, n: the input's)
//
// runtime/jac.ts sends every call of its entries (sjMul, sjSum, sjMove, …,
// sjSeed, sjBlock) with a WebGPU operand to the entry of the same name here
// (device.ts's gpuArgs: a GpuSJ says device "webgpu"). Each rule is a few
// ops on whole matrices: elementwise factors scale the diagonal (or the dense
// rows: M · y[:, None]), matmul(W, I) is W and matmul(W, M) one product,
// reductions and broadcasts are reductions and expansions of M viewed as
// [...shape, n], index maps gather rows, where picks rows. The CPU's sparse forms have no
// device counterpart: what is sparse rows there is dense here. Any other op,
// or a combination without a rule, runs once per basis column on columns of
// the dense matrix (the sweep, for that op alone), so every op stays correct.

import { Tensor } from "../tensor.js";
import * as ops from "../ops/index.js";
import * as ad from "../ad.js";
import { sjStats } from "../jac.js";
import { broadcastShapes, normDim, numelOf, reduction, sameShape } from "../shape.js";
import type { Executor } from "./executor.js";
import { binary, copyStrided, devices, fullOn, gpuOpsTable, matmul, reduce, unary } from "./ops.js";
import { emptyOn, viewOf, WebGPUTensor } from "./tensor.js";

/** A structured Jacobian on the device: `shape` is the value's shape (its numel rows), `n` the input's numel (columns). */
export class GpuSJ {
  /** device.ts routes calls with this operand to the WebGPU backend */
  readonly device = "webgpu";
  constructor(
    readonly kind: "diag" | "dense",
    readonly shape: readonly number[],
    readonly n: number,
    readonly ex: Executor,
    /** diag: the diagonal (null: the identity) */
    readonly d: WebGPUTensor | null,
    /** dense: the [m, n] matrix */
    readonly M: WebGPUTensor | null,
    /** M is a tensor the caller also holds (W of W @ I): copied before it is returned */
    readonly shared = false,
  ) {}
  get m(): number {
    return numelOf(this.shape);
  }
}

const isG = (x: unknown): x is GpuSJ => x instanceof GpuSJ;
const diag = (J: { shape: readonly number[]; n: number; ex: Executor }, shape: readonly number[], d: WebGPUTensor | null, shared = false) => new GpuSJ("diag", shape, J.n, J.ex, d, null, shared);
const dense = (J: { n: number; ex: Executor }, shape: readonly number[], M: WebGPUTensor, shared = false) =>
  new GpuSJ("dense", shape, J.n, J.ex, null, viewOf(M, [numelOf(shape), J.n]), shared);

/** The seed: d x / d x, the identity over x's elements. */
function sjSeed(x: Tensor): GpuSJ {
  const ex = devices("jacobian", [x]);
  sjStats.calls++;
  return new GpuSJ("diag", x.shape.slice(), x.numel(), ex, null, null);
}

/** The dense [m, n] matrix of J (a diagonal: zeros, then the diagonal written with stride n + 1). */
function toDense(J: GpuSJ): WebGPUTensor {
  if (J.kind === "dense") return J.M!;
  const m = J.m, n = J.n;
  const out = fullOn(J.ex, "jacobian", [m, n], 0);
  if (m === 0) return out;
  const src = J.d ?? fullOn(J.ex, "jacobian", [1], 1);
  return copyStrided("jacobian", src, 0, [J.d ? 1 : 0], out, 0, [n + 1], [m]);
}

/** M viewed as [...shape, n]: the value's dims, then the basis direction. */
function rows(J: GpuSJ): WebGPUTensor {
  return viewOf(toDense(J), [...J.shape, J.n]);
}

/** J's diagonal as a tensor of its shape (ones for the identity). */
function diagValues(J: GpuSJ): WebGPUTensor {
  return J.d ?? fullOn(J.ex, "jacobian", J.shape, 1);
}

/** J (op) y, y broadcast against J's rows (a number, or a tensor of a shape broadcast with J's). */
function scaleRows(J: GpuSJ, y: number | WebGPUTensor, op: "mul" | "div"): GpuSJ {
  const yShape = typeof y === "number" ? [] : y.shape;
  const shape = broadcastShapes(op, J.shape, yShape);
  if (J.kind === "diag" && sameShape(shape, J.shape)) {
    // 1·y = y: y itself is the diagonal (device tensors are never written after their op)
    if (!J.d && op === "mul" && typeof y !== "number" && sameShape(y.shape, J.shape)) return diag(J, J.shape, y);
    return diag(J, J.shape, binary(op, "jacobian", diagValues(J), y));
  }
  const yRows = typeof y === "number" ? y : viewOf(y, [...y.shape, 1]);
  return dense(J, shape, binary(op, "jacobian", rows(J), yRows));
}

function addSJ(A: GpuSJ, B: GpuSJ, sub: boolean): GpuSJ {
  const op = sub ? "sub" : "add";
  const shape = broadcastShapes(op, A.shape, B.shape);
  if (A.kind === "diag" && B.kind === "diag" && sameShape(A.shape, B.shape)) {
    if (!A.d && !B.d) return diag(A, shape, fullOn(A.ex, "jacobian", shape, sub ? 0 : 2));
    return diag(A, shape, binary(op, "jacobian", A.d ?? 1, B.d ?? 1));
  }
  return dense(A, shape, binary(op, "jacobian", rows(A), rows(B)));
}

/** J broadcast to `shape` (rows repeated). */
function expandTo(J: GpuSJ, shape: readonly number[]): GpuSJ {
  if (sameShape(J.shape, shape)) return J;
  broadcastShapes("adExpandAs", J.shape, shape);
  return dense(J, shape, gpuOpsTable().expand(rows(J), [...shape, J.n]) as WebGPUTensor);
}

/** Rows summed over `dims` of J's shape (mean: divided by their count). */
function reduceRows(J: GpuSJ, dims: number[], keepdim: boolean, outShape: readonly number[], mean: boolean): GpuSJ {
  if (dims.length === 0) return J;
  if (J.kind === "diag" && dims.length === J.shape.length && J.m > 0) {
    // the total of a diagonal is one row, the diagonal itself (a gradient of a sum never builds the m×n identity)
    const d = diagValues(J);
    const row = mean ? binary("div", "jacobian", d, J.m) : d;
    return dense(J, outShape, viewOf(row, [1, J.n]), row === J.d);
  }
  return dense(J, outShape, reduce("sum", mean ? "mean" : "sum", rows(J), dims, keepdim, mean));
}

/** J summed down to `like`'s shape (undoing a broadcast). */
function sumTo(J: GpuSJ, like: readonly number[]): GpuSJ {
  if (sameShape(J.shape, like)) return J;
  const lead = J.shape.length - like.length;
  const dims = J.shape.map((s, i) => i).filter((i) => i < lead || (like[i - lead] === 1 && J.shape[i] !== 1));
  return reduceRows(J, dims, true, like, false);
}

/** A @ J, J the tangent of the right operand (A a 1-D or 2-D primal, J 1-D or 2-D). */
function matmulLeft(A0: WebGPUTensor, J: GpuSJ): GpuSJ | undefined {
  if (A0.ndim < 1 || A0.ndim > 2 || J.shape.length < 1 || J.shape.length > 2 || J.shape[0] !== A0.shape[A0.ndim - 1]) return undefined;
  const A = A0.ndim === 1 ? viewOf(A0, [1, A0.shape[0]]) : A0; // a 1-D left operand: one row, its dim dropped
  const [p, q] = A.shape;
  const r = J.shape.length === 2 ? J.shape[1] : 1;
  const shape = [...(A0.ndim === 2 ? [p] : []), ...(J.shape.length === 2 ? [r] : [])];
  if (J.kind === "diag" && r === 1) {
    // W @ I = W; W @ diag(d) = W with its columns scaled
    if (!J.d) return dense(J, shape, A, true);
    return dense(J, shape, binary("mul", "jacobian", A, viewOf(J.d, [1, q])));
  }
  return dense(J, shape, matmul(A, viewOf(toDense(J), [q, r * J.n]), "jacobian"));
}

/** J @ B, J the tangent of the left operand (1-D or 2-D), B a 1-D or 2-D primal. */
function matmulRight(J: GpuSJ, B: Tensor): GpuSJ | undefined {
  if (B.ndim < 1 || B.ndim > 2 || J.shape.length < 1 || J.shape.length > 2) return undefined;
  const q = J.shape[J.shape.length - 1];
  if (B.shape[0] !== q) return undefined;
  const p = J.shape.length === 2 ? J.shape[0] : 1;
  const r = B.ndim === 2 ? B.shape[1] : 1;
  const shape = [...(J.shape.length === 2 ? [p] : []), ...(B.ndim === 2 ? [r] : [])];
  // rows (i, j) = Σ_k B[k, j] · rows (i, k): Bᵀ @ M[i] for every i, a batch of p products (Bᵀ read in place)
  const M = viewOf(toDense(J), [p, q, J.n]);
  const out = B.ndim === 2 ? matmul(B, M, "jacobian", true, false) : matmul(viewOf(B as WebGPUTensor, [1, q]), M, "jacobian");
  return dense(J, shape, out);
}

function iota(shape: readonly number[]): Tensor {
  const n = numelOf(shape);
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = i;
  return new Tensor(d, shape);
}

/** Row r of the result is row src[r] of J. */
function gatherRows(J: GpuSJ, src: ArrayLike<number>, shape: readonly number[]): GpuSJ {
  let same = src.length === J.m;
  for (let r = 0; r < src.length && same; r++) same = src[r] === r;
  if (same) return J.kind === "diag" ? diag(J, shape, J.d && viewOf(J.d, shape), J.shared) : dense(J, shape, J.M!, J.shared);
  if (src.length === 0) return dense(J, shape, emptyOn(J.ex, "jacobian", [0, J.n]));
  const idx = new Tensor(Float64Array.from(src), [src.length]);
  return dense(J, shape, gpuOpsTable().index(toDense(J), idx) as WebGPUTensor);
}

/** J's pieces joined along dim d (cat) or a new dim d (stack): the [..., n] views joined the same way. */
function join(op: "cat" | "stack", list: GpuSJ[], dim: number): GpuSJ | undefined {
  const first = list[0];
  if (list.some((J) => J.n !== first.n)) return undefined;
  if (list.some((J) => J.shape.length === 1 && J.shape[0] === 0)) return undefined; // cat skips these: the general path
  const d = op === "stack" ? normDim(op, dim, first.shape, 1) : normDim(op, dim, first.shape);
  const out = gpuOpsTable()[op](list.map(rows), d) as WebGPUTensor;
  return dense(first, out.shape.slice(0, -1), out);
}

// ---- the generic path: the op once per basis column

type Op = (...a: any[]) => any;

function generic(fn: Op, args: unknown[]): GpuSJ {
  const op = fn.name || "jacobian";
  let J0: GpuSJ | undefined;
  const Ms = new Map<GpuSJ, WebGPUTensor>();
  const visit = (a: unknown) => {
    if (isG(a)) {
      J0 ??= a;
      if (!Ms.has(a)) Ms.set(a, toDense(a));
    }
  };
  args.forEach((a) => (Array.isArray(a) ? a.forEach(visit) : visit(a)));
  const J = J0!, n = J.n, ex = J.ex;
  const column = (a: unknown, c: number): unknown => {
    if (Array.isArray(a)) return a.map((x) => column(x, c));
    if (!isG(a)) return a;
    const col = emptyOn(ex, op, a.shape);
    return a.m === 0 ? col : copyStrided(op, Ms.get(a)!, c, [n], col, 0, [1], [a.m]);
  };
  let out: WebGPUTensor | undefined, shape: readonly number[] = [];
  for (let c = 0; c < n; c++) {
    const res = fn(...args.map((a) => column(a, c)));
    if (!(res instanceof WebGPUTensor)) throw new TypeError(`${op}: expected a webgpu tensor, got ${res instanceof Tensor ? res.device : typeof res}`);
    if (!out) ((shape = res.shape), (out = emptyOn(ex, op, [res.numel(), n])));
    if (res.numel() > 0) copyStrided(op, res, 0, [1], out, c, [n], [res.numel()]);
  }
  sjStats.fallbackColumns += n;
  return dense(J, shape, out ?? emptyOn(ex, op, [0, 0]));
}

// ---- the entries (runtime/jac.ts's, for WebGPU operands): each a rule, or the op once per basis column

const hasG = (args: unknown[]) => args.some((x) => isG(x) || (Array.isArray(x) && x.some(isG)));

/** An entry: without a structured operand the op itself; otherwise `rule` (undefined: the op once per basis column). */
function entry(fn: Op, rule: (args: any[]) => any): (own: number, ...args: any[]) => any {
  return (_own: number, ...args: any[]): any => (hasG(args) ? (rule(args) ?? generic(fn, args)) : fn(...args));
}

function scaleRule(op: "mul" | "div") {
  return ([a, b]: any[]): GpuSJ | undefined => {
    const [J, y, which] = isG(a) ? [a, b, 1] : [b as GpuSJ, a, 2];
    if (isG(y) || (op === "div" && which === 2)) return undefined;
    return typeof y === "number" || y instanceof WebGPUTensor ? scaleRows(J, y, op) : undefined;
  };
}

/** Each result element is one element of the operand: the op run on indices (on the CPU) says which. */
function move(fn: Op, [a, ...rest]: any[]): GpuSJ | undefined {
  // (an operand on the device, as gather's index, cannot meet CPU indices: the op runs per column)
  if (!isG(a) || rest.some((r) => r instanceof WebGPUTensor)) return undefined;
  const t = fn(iota(a.shape), ...rest) as Tensor;
  return gatherRows(a, t.data, t.shape);
}

function reduceRule(op: "sum" | "mean") {
  return ([a, b, c]: any[]): GpuSJ | undefined => {
    if (!isG(a)) return undefined;
    const keep = c === true;
    const { mask, outShape, count } = reduction(op, b ?? null, a.shape, keep);
    if (op === "mean" && count === 0) return undefined;
    return reduceRows(a, a.shape.map((_, i) => i).filter((i) => mask[i]), keep, outShape, op === "mean");
  };
}

function joinRule(op: "cat" | "stack") {
  return ([a, b]: any[]): GpuSJ | undefined => (Array.isArray(a) && a.length > 0 && a.every(isG) ? join(op, a, b ?? 0) : undefined);
}

const entries = {
  sjMul: entry(ops.mul, scaleRule("mul")),
  sjDiv: entry(ops.div, scaleRule("div")),
  sjNeg: entry(ops.neg, ([a]) => (isG(a) ? (a.kind === "diag" ? diag(a, a.shape, a.d ? unary("neg", "jacobian", a.d) : fullOn(a.ex, "jacobian", a.shape, -1)) : dense(a, a.shape, unary("neg", "jacobian", a.M!))) : undefined)),
  sjAdd: entry(ops.add, ([a, b]) => (isG(a) && isG(b) ? addSJ(a, b, false) : undefined)),
  sjSub: entry(ops.sub, ([a, b]) => (isG(a) && isG(b) ? addSJ(a, b, true) : undefined)),
  // adAcc: an undefined side is a zero
  sjAcc: entry(ad.adAcc, ([a, b]) => (a === undefined ? b : b === undefined ? a : isG(a) && isG(b) ? addSJ(a, b, false) : undefined)),
  sjExpandAs: entry(ad.adExpandAs, ([a, b]) => (!isG(a) ? undefined : b instanceof Tensor ? expandTo(a, b.shape) : a)),
  sjSumTo: entry(ad.adSumTo, ([a, b]) => (isG(a) ? sumTo(a, typeof b === "number" ? [] : (b as Tensor).shape) : undefined)),
  // the flat order is kept: the same rows under b's shape (the compiler's reshapes match in size)
  sjReshapeAs: entry(ad.adReshapeAs, ([a, b]) => (isG(a) && b instanceof Tensor && numelOf(b.shape) === a.m ? gatherRows(a, iota([a.m]).data, b.shape) : undefined)),
  sjSum: entry(ops.sum, reduceRule("sum")),
  sjMean: entry(ops.mean, reduceRule("mean")),
  sjMatmul: entry(ops.matmul, ([a, b]) => (isG(b) && a instanceof WebGPUTensor ? matmulLeft(a, b) : isG(a) && b instanceof WebGPUTensor ? matmulRight(a, b) : undefined)),
  // y · J: the row vector yᵀ M
  sjDot: entry(ops.dot, ([a, b]) => {
    const [J, y] = isG(a) ? [a, b] : [b, a];
    return isG(J) && y instanceof WebGPUTensor && y.ndim === 1 && J.shape.length === 1 && J.shape[0] === y.shape[0] ? dense(J, [], matmul(viewOf(y, [1, y.shape[0]]), toDense(J), "jacobian")) : undefined;
  }),
  // the condition picks rows: where(cond[..., None], rows of A, rows of B); a number side is a constant row
  sjWhere: entry(ops.where, ([a, b, c]) => {
    const side = (x: unknown) => isG(x) || typeof x === "number";
    if (!(a instanceof WebGPUTensor && side(b) && side(c) && (isG(b) || isG(c)))) return undefined;
    const rowsOf = (x: GpuSJ | number) => (isG(x) ? rows(x) : x);
    const out = gpuOpsTable().where(viewOf(a, [...a.shape, 1]), rowsOf(b), rowsOf(c)) as WebGPUTensor;
    return dense(isG(b) ? b : (c as GpuSJ), out.shape.slice(0, -1), out);
  }),
  sjCat: entry(ops.cat, joinRule("cat")),
  sjStack: entry(ops.stack, joinRule("stack")),
  sjMove: (fn: Op, _own: number, ...args: any[]): any => (hasG(args) ? (move(fn, args) ?? generic(fn, args)) : fn(...args)),
  sjColumns: (fn: Op, _own: number, ...args: any[]): any => (hasG(args) ? generic(fn, args) : fn(...args)),
};

/** The Jacobian block of `out` w.r.t. `x` (shape out.shape ++ x.shape), a new device tensor. */
function sjBlock(J: GpuSJ | Tensor | undefined, out: Tensor, x: Tensor, _dtypeFrom: "in" | "out"): WebGPUTensor {
  const ex = devices("jacobian", [out, x]);
  const shape = [...out.shape, ...x.shape];
  if (!isG(J)) return fullOn(ex, "jacobian", shape, 0);
  sjStats[J.kind]++;
  const M = toDense(J);
  return viewOf(J.shared ? (M.clone() as WebGPUTensor) : M, shape);
}

function sjKind(J: unknown): string {
  return isG(J) ? (J.kind === "diag" && !J.d ? "identity" : J.kind) : "zero";
}

/** The structured-Jacobian entry points by name, as device.ts dispatches them. */
export const gpuJac: Record<string, (...args: any[]) => unknown> = { ...entries, sjSeed, sjBlock, sjKind };
