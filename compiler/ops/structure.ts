// Structure classes, decided at compile time: what each tensor primitive does
// to a structured Jacobian (compiler/ad/structured.ts, compiler/ad/jacobian-plan.ts,
// runtime/jac.ts) and what each scalar primitive does to a Hessian's sparsity
// pattern (compiler/emit/pattern.ts). The elementwise ops' entries live in the
// registry (compiler/ops/elementwise.ts: class "diagonal", and the runtime entry
// of the ops linear in a tangent); every other primitive is in the tables
// below, typed over the rule tables' names, so a primitive without a class is
// a type error.
import { ELEMENTWISE_OPS, type ElementwiseName } from "./elementwise.js";
import type { TensorPrim } from "../rules/tensor.js";
import type { ScalarPrim } from "../rules/scalar.js";

/**
 * What a tangent's structure becomes through the op:
 *   diagonal   elementwise: rows scaled by a primal, or tangents added (the structure is kept or becomes a diagonal)
 *   reshape    the same rows under another shape (the structure is kept)
 *   broadcast  rows repeated or summed to a broadcast shape (kept when the shapes agree, as they mostly do)
 *   move       each result element is one operand element: rows gathered (sparse rows)
 *   reduce     sums of elements: rows summed (sparse rows)
 *   bilinear   a product with a primal tensor (matmul, dot, outer): dense rows
 *   dense      no structured rule: the op runs once per basis column (dense)
 *   none       no tangent passes through (numbers, masks, runtime plumbing): the structured path does not take it
 */
export type Structure = "diagonal" | "reshape" | "broadcast" | "move" | "reduce" | "bilinear" | "dense" | "none";

/** The runtime entries (runtime/jac.ts, runtime/webgpu/jac.ts) a structured tangent op calls. */
export type SjEntry =
  | "sjMul" | "sjDiv" | "sjNeg" | "sjAdd" | "sjSub" | "sjAcc"
  | "sjExpandAs" | "sjSumTo" | "sjReshapeAs" | "sjSum" | "sjMean"
  | "sjMatmul" | "sjDot" | "sjWhere" | "sjCat" | "sjStack"
  | "sjMove" | "sjColumns";

/**
 * Each entry's runtime op (whose WGSL kernels it may run: compiler/emit/wgsl/index.ts) and whether it
 * gathers rows (the `index` kernel on WebGPU). sjMove and sjColumns take the op's function as their
 * first argument: their op is the one the emitted call passes.
 */
export const SJ_ENTRIES: Record<SjEntry, { op?: string; gathers?: boolean }> = {
  sjMul: { op: "mul" }, sjDiv: { op: "div" }, sjNeg: { op: "neg" }, sjAdd: { op: "add" }, sjSub: { op: "sub" }, sjAcc: { op: "adAcc" },
  sjExpandAs: { op: "adExpandAs" }, sjSumTo: { op: "adSumTo" }, sjReshapeAs: { op: "adReshapeAs", gathers: true },
  sjSum: { op: "sum" }, sjMean: { op: "mean" }, sjMatmul: { op: "matmul" }, sjDot: { op: "dot" },
  sjWhere: { op: "where" }, sjCat: { op: "cat" }, sjStack: { op: "stack" },
  sjMove: { gathers: true }, sjColumns: {},
};

interface OpStructure {
  structure: Structure;
  /** the runtime entry a tangent through the op calls (default: sjColumns, the op once per basis column) */
  sj?: SjEntry;
}

type Other = Exclude<TensorPrim, `t.${ElementwiseName}`>;

const move: OpStructure = { structure: "move", sj: "sjMove" };
const reshape: OpStructure = { structure: "reshape", sj: "sjMove" };
const dense: OpStructure = { structure: "dense" };
const none: OpStructure = { structure: "none" };

/** The non-elementwise tensor primitives. */
export const TENSOR_STRUCTURE: { [P in Other]: OpStructure } = {
  "t.sum": { structure: "reduce", sj: "sjSum" },
  "t.mean": { structure: "reduce", sj: "sjMean" },
  "t.matmul": { structure: "bilinear", sj: "sjMatmul" },
  "t.dot": { structure: "bilinear", sj: "sjDot" },
  "t.outer": { structure: "bilinear" },
  "t.select": move, "t.narrow": move, "t.transpose": move, "t.t": move, "t.permute": move, "t.expand": move, "t.index": move,
  "t.reshape": reshape, "t.view": reshape, "t.flatten": reshape, "t.squeeze": reshape, "t.unsqueeze": reshape,
  "t.where": { structure: "move", sj: "sjWhere" },
  "t.cat": { structure: "move", sj: "sjCat" },
  "t.stack": { structure: "move", sj: "sjStack" },
  // nonlinear in their operand: a tangent never passes through them in a jvp, but if one did, columns
  "t.softmax": dense, "t.logSoftmax": dense, "t.clamp": dense, "t.amax": dense, "t.amin": dense, "t.prod": dense,
  "t.item": none, "t.detach": none, "t.size": none, "t.dim": none, "t.numel": none, "t.shape": none, "t.factory": none,
  "ad.acc": { structure: "diagonal", sj: "sjAcc" },
  "ad.sumTo": { structure: "broadcast", sj: "sjSumTo" },
  "ad.expandAs": { structure: "broadcast", sj: "sjExpandAs" },
  "ad.reshapeAs": { structure: "reshape", sj: "sjReshapeAs" },
  // the reverse rules' helpers: linear, with no structured rule of their own
  "ad.sumBackward": dense, "ad.meanBackward": dense, "ad.selectBackward": dense, "ad.narrowBackward": dense,
  "ad.matmulBackA": dense, "ad.matmulBackB": dense, "ad.catPiece": dense, "ad.indexBackward": dense, "ad.block": dense,
  "ad.prodGrad": dense,
  "ad.step": none, "ad.pickWeight": dense, "ad.clampMask": none, "ad.extremumWeights": none, "ad.prodGradJvp": none,
  "ad.sign": none, "ad.zerosLike": none, "ad.oneHot": none, "ad.numel": none,
  "ad.sjSeed": none, "ad.sjOk": none, "ad.sjOkCpu": none, "ad.sjBlock": none,
  "ad.numAdd": none, "ad.numSub": none, "ad.numMul": none, "ad.numDiv": none, "ad.numNeg": none, "ad.numPlain": none,
  "ad.numMath": none, "ad.item": none, "ad.numVec": none, "ad.numCopy": none, "ad.numFit": none,
};

/** A tensor primitive's class and runtime entry (`t.name` or `tz.name`: the same op); undefined for other primitives. */
export function structureOf(prim: string): Required<OpStructure> | undefined {
  const base = prim.startsWith("tz.") ? `t.${prim.slice(3)}` : prim;
  if (base.startsWith("t.") && base.slice(2) in ELEMENTWISE_OPS) {
    return { structure: "diagonal", sj: ELEMENTWISE_OPS[base.slice(2) as ElementwiseName].structure?.sj ?? "sjColumns" };
  }
  const s = (TENSOR_STRUCTURE as Record<string, OpStructure>)[base];
  return s && { structure: s.structure, sj: s.sj ?? "sjColumns" };
}

/**
 * What a scalar primitive does to a Hessian's sparsity pattern (compiler/emit/pattern.ts):
 *   linear     its second derivative is zero: the dependence sets are united
 *   bilinear   x·y: the two operands' inputs interact
 *   nonlinear  every pair of inputs its operands depend on interacts
 *   none       no derivative: no dependence
 */
export type PatternClass = "linear" | "bilinear" | "nonlinear" | "none";

const nonlinear = "nonlinear" as const;
export const SCALAR_PATTERN: { [P in ScalarPrim]: PatternClass } = {
  add: "linear", sub: "linear", neg: "linear", select: "linear", max: "linear", min: "linear", abs: "linear",
  mul: "bilinear",
  div: nonlinear, pow: nonlinear, mod: nonlinear, exp: nonlinear, log: nonlinear, sqrt: nonlinear, cbrt: nonlinear,
  sin: nonlinear, cos: nonlinear, tan: nonlinear, asin: nonlinear, acos: nonlinear, atan: nonlinear,
  sinh: nonlinear, cosh: nonlinear, tanh: nonlinear, asinh: nonlinear, acosh: nonlinear, atanh: nonlinear, hypot: nonlinear,
  log1p: nonlinear, expm1: nonlinear, log2: nonlinear, log10: nonlinear, atan2: nonlinear,
  sign: "none", floor: "none", ceil: "none", round: "none", trunc: "none",
  lt: "none", le: "none", gt: "none", ge: "none", eq: "none", ne: "none", not: "none", and: "none", or: "none",
  isundef: "none", random: "none",
};

/** A primitive's pattern class (primitives outside the scalar table: nonlinear, the safe superset). */
export function patternOf(prim: string): PatternClass {
  return (SCALAR_PATTERN as Record<string, PatternClass>)[prim] ?? "nonlinear";
}
