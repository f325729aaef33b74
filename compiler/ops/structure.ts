// Structure classes, decided at compile time: what each tensor primitive does
// to a structured Jacobian (compiler/ad/structured.ts, compiler/ad/jacobian-plan.ts,
// runtime/jac.ts) and what each scalar primitive does to a Hessian's sparsity
// pattern (compiler/emit/pattern.ts). A tensor op's class is a field of its
// entry (compiler/ops/elementwise.ts: "diagonal"; compiler/ops/tensor.ts,
// compiler/ops/internal.ts), so an op without one is a type error;
// compiler/ops/index.ts looks them up.
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

export interface OpStructure {
  structure: Structure;
  /** the runtime entry a tangent through the op calls (default: sjColumns, the op once per basis column) */
  sj?: SjEntry;
}

export const MOVE: OpStructure = { structure: "move", sj: "sjMove" };
export const RESHAPE: OpStructure = { structure: "reshape", sj: "sjMove" };
/** nonlinear in their operand: a tangent never passes through them in a jvp, but if one did, columns */
export const DENSE: OpStructure = { structure: "dense" };
export const NONE: OpStructure = { structure: "none" };

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
  add: "linear", sub: "linear", neg: "linear", fround: "linear", select: "linear", max: "linear", min: "linear", abs: "linear",
  mul: "bilinear",
  div: nonlinear, pow: nonlinear, mod: nonlinear, exp: nonlinear, log: nonlinear, sqrt: nonlinear, cbrt: nonlinear,
  sin: nonlinear, cos: nonlinear, tan: nonlinear, asin: nonlinear, acos: nonlinear, atan: nonlinear,
  sinh: nonlinear, cosh: nonlinear, tanh: nonlinear, asinh: nonlinear, acosh: nonlinear, atanh: nonlinear, hypot: nonlinear,
  log1p: nonlinear, expm1: nonlinear, log2: nonlinear, log10: nonlinear, atan2: nonlinear,
  sign: "none", floor: "none", ceil: "none", round: "none", trunc: "none",
  lt: "none", le: "none", gt: "none", ge: "none", eq: "none", ne: "none", not: "none", and: "none", or: "none",
  isundef: "none", random: "none", prop: "none", slice: "none",
};

/** A primitive's pattern class (primitives outside the scalar table: nonlinear, the safe superset). */
export function patternOf(prim: string): PatternClass {
  return (SCALAR_PATTERN as Record<string, PatternClass>)[prim] ?? "nonlinear";
}
