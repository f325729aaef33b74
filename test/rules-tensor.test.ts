// A rule test for every tensor primitive, generated from the rule table
// (compiler/rules/tensor.ts): each user-facing entry ("t.*" without
// `zero: true`) must have cases in CASES below, or the coverage test fails, so
// a new op cannot go untested. For each case the harness compiles
//   export const f = (x: Tensor, y: Tensor) => <expr>;
//   export const jr = jacrev(f, { argnums: [0, 1] });   // reverse
//   export const jf = jacfwd(f, { argnums: [0, 1] });   // forward
// (+ vjp / jvp markers and hessian(f, { argnums }) where the case asks) and
// checks, at seeded random float64 points of the case's domain (away from kinks
// and ties), every block's STRUCTURE (SPEC §3: a Tensor of shape out.shape ++
// in.shape, float64; a number only for number → number) and its values against
// fourth-order central finite differences of f (tolerance 1e-6 relative +
// absolute); hessians against finite differences of the checked jacrev result.
//
// Each op's cases are compiled as one module; if that fails (a diagnostic, a
// compiler crash, an import error), each case, then each marker family of a
// case, is compiled on its own, so a failure names the case and the family.
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import { pathToFileURL } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as runtime from "jacc";
import { tensorRules } from "../compiler/rules/tensor.js";
import { ELEMENTWISE_NAMES, ELEMENTWISE_OPS, type ElementwiseName } from "../compiler/ops/elementwise.js";
import { compileModule, formatDiagnostic } from "../compiler/index.js";
import { tmpDir } from "./util/compile.js";
import { prng, seedOf } from "./util/scalar-check.js";
import {
  type Arg, type ArgSpec, checkBlock, cloneArg, fdJacobian, flat, fmtShape, kind, makeArg, numel, pullback, pushforward, shapeOf,
} from "./util/tensor-check.js";

type Interval = [number, number];

interface Case {
  /** the body of f(x, y, z): parameters are named x, y, z in order */
  expr: string;
  /** one entry per parameter: a Tensor's shape, or "num" for a number */
  args: ArgSpec[];
  /** where values are drawn from: one interval for all parameters, or one per parameter (default [-2, 2]) */
  dom?: Interval | Interval[];
  /** fixed flat values per parameter (one point) instead of random points */
  values?: number[][];
  /** every input value at least this far from every other (no ties for max / min / maximum) */
  gap?: number;
  /** reject a point where some input value is in this set (kinks, clamp bounds) */
  avoid?: (v: number) => boolean;
  /** module-level declarations the expression reads (captured constants) */
  consts?: string;
  /** also check hessian(f, { argnums }) against FD of the jacrev result */
  hessian?: boolean;
  /** also check the vjp and jvp markers */
  jvp?: boolean;
}

const POINTS = 2;
const R: Interval = [-2, 2];
const POS: Interval = [0.3, 2];
const awayFrom = (...kinks: number[]) => (v: number) => kinks.some((k) => Math.abs(v - k) < 0.05);
const MASK = `const mask = tensor([[1, 0, 1], [0, 1, 1]], { dtype: "float64" });`;
const BMASK = `const bmask = tensor([[true, false, true], [false, true, true]]);`;
const GI = `const GI = tensor([[2, 0, 2], [1, 1, 0]], { dtype: "float64" });`;
const GI0 = `const GI0 = tensor([[1, 0, 1], [0, 0, 1]], { dtype: "float64" });`;
// (GS repeats an index: fine for a number src; a tensor src's gradient there is PyTorch's, not the FD's, so GU has none)
const GS = `const GS = tensor([[2, 0], [1, 1]], { dtype: "float64" });`;
const GU = `const GU = tensor([[2, 0], [1, 2]], { dtype: "float64" });`;
const GU0 = `const GU0 = tensor([[1, 0], [0, 1]], { dtype: "float64" });`;

// ---------------------------------------------------------------- elementwise ops (the registry's entries)
interface Unary { dom: Interval; avoid?: (v: number) => boolean; smooth: boolean }

/** f(x) alone; f(x) times a broadcast y (a cotangent ≠ 1); the function form; f of a product. */
/** Where x may be drawn for x² to fall in `dom` (and x² ≥ 0.01): both signs unless dom is positive. */
function squareRoots([lo, hi]: Interval): Interval {
  if (lo > 0) return [Math.sqrt(lo), Math.sqrt(hi)];
  const m = Math.min(1.5, Math.sqrt(hi));
  return [-m, m];
}

function unaryCases(name: string, u: Unary): Case[] {
  const two = ["exp", "sin", "tanh"].includes(name);
  return [
    { expr: `x.${name}()`, args: [[2, 3]], dom: u.dom, avoid: u.avoid, hessian: two },
    { expr: `x.${name}().mul(y)`, args: [[2, 3], [3]], dom: [u.dom, R], avoid: u.avoid, hessian: true, jvp: name === "exp" },
    { expr: `${name}(x)`, args: [[4]], dom: u.dom, avoid: u.avoid },
    // (x drawn so that x² stays inside the op's domain)
    { expr: `x.mul(x).${name}().sum(0)`, args: [[3, 2]], dom: squareRoots(u.dom), avoid: (v) => Math.abs(v) < 0.1, hessian: u.smooth },
  ];
}

/** A broadcast pair, the function form, a number operand, and the op under a nonlinear one (a varying cotangent). */
function binaryCases(name: string, dom: Interval[], smooth: boolean, avoid?: (v: number) => boolean): Case[] {
  return [
    { expr: `x.${name}(y)`, args: [[2, 3], [3]], dom, avoid, gap: smooth ? undefined : 0.05, jvp: true, hessian: smooth },
    { expr: `x.${name}(y)`, args: [[2, 1], [1, 3]], dom, avoid, gap: smooth ? undefined : 0.05 },
    { expr: `${name}(x, y)`, args: [[3], [2, 3]], dom, avoid, gap: smooth ? undefined : 0.05 },
    { expr: `x.${name}(y)`, args: [[2, 3], "num"], dom, avoid, gap: smooth ? undefined : 0.05, hessian: smooth },
    { expr: `x.${name}(y).sin()`, args: [[2, 3], [3]], dom, avoid, gap: smooth ? undefined : 0.05, hessian: smooth },
  ];
}

/**
 * A mask (a bool result): alone, broadcast, the function form, a number operand, and scaling a float
 * (mask·x differentiates to the mask, a constant: no derivative flows through the mask itself).
 */
function maskCases(name: string, arity: 1 | 2, dom: Interval[]): Case[] {
  if (arity === 1) {
    return [
      { expr: `x.${name}()`, args: [[2, 3]], dom: dom[0], jvp: true },
      { expr: `x.${name}().mul(y)`, args: [[2, 3], [3]], dom: [dom[0], R], hessian: true },
      { expr: `${name}(x)`, args: [[4]], dom: dom[0] },
      { expr: `x.mul(x).${name}().mul(x).sum(0)`, args: [[3, 2]], dom: dom[0], hessian: true },
    ];
  }
  const gap = 0.05; // (away from ties, where a comparison jumps)
  return [
    { expr: `x.${name}(y)`, args: [[2, 3], [3]], dom, gap, jvp: true },
    { expr: `x.${name}(y)`, args: [[2, 1], [1, 3]], dom, gap },
    { expr: `${name}(x, y)`, args: [[3], [2, 3]], dom, gap },
    { expr: `x.${name}(y)`, args: [[2, 3], "num"], dom, gap },
    { expr: `x.${name}(y).mul(x).sin()`, args: [[2, 3], [3]], dom, gap, hessian: true },
  ];
}

/** The generated cases of a registry entry (compiler/ops/elementwise.ts), with the entry's own extra cases. */
function registryCases(name: ElementwiseName): Case[] {
  const op = ELEMENTWISE_OPS[name];
  const avoid = op.test.kinks?.length ? awayFrom(...op.test.kinks) : undefined;
  const dom = op.test.dom.map((d) => [d[0], d[1]] as Interval);
  const base = op.result === "bool" ? maskCases(name, op.arity, dom) : op.arity === 1 ? unaryCases(name, { dom: dom[0], avoid, smooth: op.test.smooth }) : binaryCases(name, dom, op.test.smooth, avoid);
  const extra = (op.test.cases ?? []).map((c): Case => ({ expr: c.expr, args: c.args.map((a) => (a === "num" ? "num" : [...a])), dom: c.dom ? [c.dom[0], c.dom[1]] : dom[0], avoid: c.kinks ? awayFrom(...c.kinks) : avoid, hessian: op.test.smooth }));
  return [...base, ...extra];
}

/** Reductions with dims: all, one dim, negative, keepdim, a list of dims. */
function reductionCases(m: string, dom: Interval, extra: Partial<Case> = {}): Case[] {
  return [
    { expr: `x.${m}()`, args: [[2, 3]], dom, ...extra },
    { expr: `x.${m}(1)`, args: [[2, 3]], dom, ...extra },
    { expr: `x.${m}(0, true)`, args: [[2, 3]], dom, ...extra },
    { expr: `x.${m}(-1, true)`, args: [[2, 3, 2]], dom, ...extra },
    { expr: `x.${m}(-2, false)`, args: [[2, 3, 2]], dom, ...extra },
    { expr: `x.${m}([0, 2])`, args: [[2, 3, 2]], dom, ...extra },
    { expr: `x.${m}([-1, 0], true)`, args: [[2, 2, 2]], dom, ...extra },
    { expr: `x.mul(y).${m}(1)`, args: [[2, 3], [3]], dom, ...extra },
  ];
}

// ---------------------------------------------------------------- the table
const CASES: Record<string, Case[]> = {
  "t.add": [
    { expr: "x.add(y)", args: [[2, 3], [3]], jvp: true },
    { expr: "x.add(y)", args: [[2, 1], [1, 3]] },
    { expr: "x.add(2.5).mul(x)", args: [[2, 3]] },
    { expr: "add(x, y)", args: [[3], [2, 3]] },
    { expr: "x.add(y)", args: [[2, 3], []] },
    { expr: "x.add(y).mul(y)", args: [[2, 3], "num"] },
    { expr: "x.add(y).exp()", args: [[2, 3], [3]], hessian: true }, // second order: a varying cotangent flows into the op
  ],
  "t.sub": [
    { expr: "x.sub(y)", args: [[2, 3], [3]] },
    { expr: "y.sub(x)", args: [[2, 1], [1, 3]] },
    { expr: "x.sub(1.5).mul(x)", args: [[2, 3]] },
    { expr: "sub(x, y)", args: [[3], [2, 3]] },
    { expr: "x.sub(y).mul(y)", args: [[2, 3], "num"] },
    { expr: "x.sub(y).sin()", args: [[2, 1], [1, 3]], hessian: true }, // second order: a varying cotangent flows into the op
  ],
  "t.mul": [
    { expr: "x.mul(y)", args: [[2, 3], [3]], jvp: true, hessian: true },
    { expr: "x.mul(y)", args: [[2, 1], [1, 3]] },
    { expr: "x.mul(-1.5)", args: [[2, 3]] },
    { expr: "x.mul(x)", args: [[2, 3]], hessian: true },
    { expr: "mul(x, y)", args: [[3], [2, 3]] },
    { expr: "x.mul(y)", args: [[2, 3], "num"], hessian: true, jvp: true },
    { expr: "x.mul(y).sin()", args: [[2, 3], [3]], hessian: true }, // second order: a varying cotangent flows into the op
  ],
  "t.div": [
    { expr: "x.div(y)", args: [[2, 3], [3]], dom: [R, POS], jvp: true, hessian: true },
    { expr: "x.div(y)", args: [[2, 1], [1, 3]], dom: [R, [-2, -0.3]] },
    { expr: "x.div(2.5)", args: [[2, 3]] },
    { expr: "y.div(x)", args: [[2, 3], [3]], dom: [POS, R], hessian: true },
    { expr: "div(x, y)", args: [[3], [2, 3]], dom: [R, POS] },
    { expr: "x.div(y)", args: [[2, 3], "num"], dom: [R, POS], hessian: true },
  ],
  "t.pow": [
    { expr: "x.pow(y)", args: [[2, 3], [3]], dom: [[0.5, 2], [-1.5, 2.5]], hessian: true },
    { expr: "x.pow(y)", args: [[2, 1], [1, 3]], dom: [[0.5, 2], [-1.5, 2.5]] },
    { expr: "x.pow(2)", args: [[2, 3]], hessian: true },
    { expr: "x.pow(3)", args: [[2, 3]] },
    { expr: "x.pow(0.5)", args: [[2, 3]], dom: POS },
    { expr: "x.pow(-1.5)", args: [[2, 3]], dom: POS, hessian: true },
    { expr: "pow(x, y)", args: [[3], "num"], dom: [[0.5, 2], [-1.5, 2.5]], hessian: true },
    { expr: "pow(2, x)", args: [[2, 3]] }, // torch.pow(2, x): a number base
  ],
  "t.sum": [...reductionCases("sum", R), { expr: "sum(x, 1)", args: [[2, 3]] }, { expr: "x.sum(1).exp()", args: [[2, 3]], hessian: true }, { expr: "x.sum(-1, true).sin()", args: [[2, 3, 2]], hessian: true }],
  "t.mean": [...reductionCases("mean", R), { expr: "mean(x, [0, 1], true)", args: [[2, 3]] }, { expr: "x.mean(0).exp()", args: [[2, 3]], hessian: true }],
  "t.prod": [
    ...reductionCases("prod", [0.5, 1.5]),
    { expr: "x.prod(1)", args: [[2, 3]], values: [[0.5, 0, 1.5, 2, -1, 0.7]] }, // one zero in a row: ∂ is the product of the others
    { expr: "x.prod()", args: [[2, 3]], values: [[0, 0, 1.5, 2, -1, 0.7]] }, // two zeros: the gradient is 0 except at neither
    { expr: "x.prod(0, true)", args: [[2, 3]], values: [[0, 0.4, 1.5, 2, 0, 0.7]] },
    { expr: "x.prod(1).sin()", args: [[2, 3]], dom: [0.5, 1.5], hessian: true }, // second order: a varying cotangent flows into the op
    { expr: "prod(x, 0, true)", args: [[2, 3]], dom: [0.5, 1.5] }, // function form
  ],
  "t.amax": [
    ...reductionCases("max", R, { gap: 0.05 }),
    { expr: "max(x, 1)", args: [[2, 3]], gap: 0.05 },
    { expr: "x.max(1).exp()", args: [[2, 3]], gap: 0.05, hessian: true }, // second order: a varying cotangent flows into the op
  ],
  "t.amin": [
    ...reductionCases("min", R, { gap: 0.05 }),
    { expr: "min(x, 1)", args: [[2, 3]], gap: 0.05 },
    { expr: "x.min(0, true).exp()", args: [[2, 3]], gap: 0.05, hessian: true }, // second order: a varying cotangent flows into the op
  ],
  "t.maximum": [
    { expr: "x.maximum(y)", args: [[2, 3], [3]], gap: 0.05 },
    { expr: "x.maximum(y)", args: [[2, 1], [1, 3]], gap: 0.05 },
    { expr: "x.maximum(0.3)", args: [[2, 3]], avoid: awayFrom(0.3) },
    { expr: "maximum(x, y)", args: [[3], [2, 3]], gap: 0.05 },
    { expr: "max(x, y)", args: [[2, 3], [2, 3]], gap: 0.05 },
    { expr: "x.maximum(y)", args: [[2, 3], "num"], gap: 0.05 },
    { expr: "x.maximum(y).exp()", args: [[2, 3], [3]], gap: 0.05, hessian: true }, // second order: a varying cotangent flows into the op
  ],
  "t.minimum": [
    { expr: "x.minimum(y)", args: [[2, 3], [3]], gap: 0.05 },
    { expr: "x.minimum(y)", args: [[2, 1], [1, 3]], gap: 0.05 },
    { expr: "x.minimum(0.3)", args: [[2, 3]], avoid: awayFrom(0.3) },
    { expr: "minimum(x, y)", args: [[3], [2, 3]], gap: 0.05 },
    { expr: "min(x, y)", args: [[2, 3], [2, 3]], gap: 0.05 },
    { expr: "x.minimum(y)", args: [[2, 3], "num"], gap: 0.05 },
    { expr: "x.minimum(y).exp()", args: [[2, 3], [3]], gap: 0.05, hessian: true }, // second order: a varying cotangent flows into the op
  ],
  "t.where": [
    { expr: "where(mask, x, y)", args: [[2, 3], [3]], consts: MASK, jvp: true },
    { expr: "x.where(mask, y)", args: [[2, 3], [2, 1]], consts: MASK },
    { expr: "where(mask, x, 0.5)", args: [[2, 3]], consts: MASK },
    { expr: "where(mask, x.exp(), x.sin())", args: [[2, 3]], consts: MASK, hessian: true },
    { expr: "where(mask, x, y)", args: [[3], "num"], consts: MASK },
    { expr: "where(mask, x, y).exp()", args: [[2, 3], [3]], consts: MASK, hessian: true }, // second order: a varying cotangent flows into the op
    { expr: "where(mask, 1.5, x)", args: [[2, 3]], consts: MASK },
    // a bool mask from the data (a constant to AD): where(x > 0, …), kinks at 0 avoided
    { expr: "where(x.gt(0), x.mul(y), x.exp())", args: [[2, 3], [3]], avoid: awayFrom(0), jvp: true, hessian: true },
    { expr: "where(x.isfinite().logicalAnd(y.lt(0.5)), x, y)", args: [[2, 3], [3]], avoid: awayFrom(0.5), jvp: true },
  ],
  // maskedFill: differentiable in input (zero where filled) and in a number value
  "t.maskedFill": [
    { expr: "x.maskedFill(x.gt(0.3), 0.5)", args: [[2, 3]], avoid: awayFrom(0.3), jvp: true, hessian: true },
    { expr: "maskedFill(x, bmask, y)", args: [[2, 3], "num"], consts: BMASK, jvp: true, hessian: true },
    { expr: "x.mul(x).maskedFill(y.lt(0), y.sum())", args: [[2, 3], [3]], avoid: awayFrom(0), hessian: true },
    { expr: "x.maskedFill(bmask, y).exp().sum()", args: [[2, 3], "num"], consts: BMASK, hessian: true }, // second order: a varying cotangent flows into the op
  ],
  "t.clamp": [
    { expr: "x.clamp(-0.5, 0.5)", args: [[2, 3]], dom: [-1.5, 1.5], avoid: awayFrom(-0.5, 0.5) },
    { expr: "x.clamp(-0.5)", args: [[2, 3]], avoid: awayFrom(-0.5) },
    { expr: "x.clamp(undefined, 0.5)", args: [[2, 3]], avoid: awayFrom(0.5) },
    { expr: "x.clamp(null, 0.5)", args: [[2, 3]], avoid: awayFrom(0.5) }, // the runtime's signature: clamp(min?: Operand | null, max?)
    { expr: "clamp(x, -1, 1).mul(y)", args: [[2, 3], [3]], avoid: awayFrom(-1, 1) },
    { expr: "x.clamp(-0.5, 0.5).exp()", args: [[2, 3]], dom: [-1.5, 1.5], avoid: awayFrom(-0.5, 0.5), hessian: true }, // second order: a varying cotangent flows into the op
  ],
  "t.matmul": [
    { expr: "x.matmul(y)", args: [[3], [3]] },
    { expr: "x.matmul(y)", args: [[2, 3], [3]] },
    { expr: "x.matmul(y)", args: [[2], [2, 3]] },
    { expr: "x.matmul(y)", args: [[2, 3], [3, 2]], hessian: true },
    { expr: "x.matmul(y)", args: [[2, 2, 3], [3, 2]], jvp: true },
    { expr: "x.matmul(y)", args: [[2, 2, 3], [2, 3, 2]] },
    { expr: "x.matmul(y)", args: [[2, 1, 2, 3], [3, 3, 2]] },
    { expr: "x.matmul(y)", args: [[3], [2, 3, 2]] },
    { expr: "x.matmul(y)", args: [[2, 2, 3], [3]] },
    { expr: "matmul(x, x)", args: [[3, 3]], hessian: true },
    { expr: "x.matmul(y).tanh()", args: [[2, 3], [3, 2]], hessian: true },
  ],
  "t.dot": [
    { expr: "x.dot(y)", args: [[4], [4]], hessian: true },
    { expr: "dot(x, x)", args: [[3]], hessian: true },
    { expr: "x.mul(2).dot(y.exp())", args: [[3], [3]] },
    { expr: "x.dot(y).sin()", args: [[3], [3]], hessian: true }, // second order: a varying cotangent flows into the op
  ],
  "t.outer": [
    { expr: "x.outer(y)", args: [[3], [2]], hessian: true },
    { expr: "outer(x, x)", args: [[3]] },
    { expr: "x.sin().outer(y.exp())", args: [[2], [3]] },
    { expr: "x.outer(y).exp()", args: [[3], [2]], hessian: true }, // second order: a varying cotangent flows into the op
  ],
  "t.select": [
    { expr: "x.select(0, 1)", args: [[2, 3]] },
    { expr: "x.select(1, -1)", args: [[2, 3]] },
    { expr: "x.select(-1, 0)", args: [[2, 3, 2]] },
    { expr: "x.select(0, 1).select(0, 2)", args: [[2, 3]] },
    { expr: "x.select(1, 0).mul(x.select(1, 2))", args: [[2, 3]] },
    { expr: "x.select(0, 1).exp()", args: [[2, 3]], hessian: true }, // second order: a varying cotangent flows into the op
    { expr: "select(x, 1, 2)", args: [[2, 3]] }, // function form
  ],
  "t.narrow": [
    { expr: "x.narrow(1, 1, 2)", args: [[2, 4]] },
    { expr: "x.narrow(0, 0, 1)", args: [[2, 3]] },
    { expr: "x.narrow(-1, 1, 1)", args: [[2, 3, 3]] },
    { expr: "x.narrow(0, 1, 2).mul(x.narrow(0, 0, 2))", args: [[3, 2]] },
    { expr: "x.narrow(1, 1, 2).exp()", args: [[2, 4]], hessian: true }, // second order: a varying cotangent flows into the op
    { expr: "narrow(x, 0, 1, 1)", args: [[2, 3]] }, // function form
  ],
  "t.index": [
    { expr: "x.index([1, 0, 1])", args: [[2, 3]] },
    { expr: "x.index([2, 0])", args: [[3]] },
    { expr: "x.index(1)", args: [[2, 3]] },
    { expr: "x.index([-1, 0]).mul(y)", args: [[3, 2], [2]] },
    { expr: "x.index([1, 0, 1]).exp()", args: [[2, 3]], hessian: true }, // second order: a varying cotangent flows into the op
    { expr: "index(x, [0, 0])", args: [[2, 3]] }, // function form
  ],
  "t.reshape": [
    { expr: "x.reshape([3, 2])", args: [[2, 3]] },
    { expr: "x.reshape(3, 2)", args: [[2, 3]] },
    { expr: "x.reshape(-1)", args: [[2, 3]] },
    { expr: "x.reshape([2, -1, 1])", args: [[2, 3]] },
    { expr: "x.mul(y).reshape(6)", args: [[2, 3], [3]] },
    { expr: "x.reshape([3, 2]).exp()", args: [[2, 3]], hessian: true }, // second order: a varying cotangent flows into the op
    { expr: "reshape(x, [6])", args: [[2, 3]] }, // function form
  ],
  "t.view": [
    { expr: "x.view([3, 2])", args: [[2, 3]] },
    { expr: "x.view(6)", args: [[2, 3]] },
    { expr: "x.view(-1, 2)", args: [[2, 3, 2]] },
    { expr: "x.view(6).sin()", args: [[2, 3]], hessian: true }, // second order: a varying cotangent flows into the op
    { expr: "view(x, 3, 2)", args: [[2, 3]] }, // function form
  ],
  "t.flatten": [
    { expr: "x.flatten()", args: [[2, 3, 2]] },
    { expr: "x.flatten(1)", args: [[2, 3, 2]] },
    { expr: "x.flatten(0, 1)", args: [[2, 3, 2]] },
    { expr: "x.flatten(-2, -1).mul(y)", args: [[2, 3, 2], [6]] },
    { expr: "x.flatten().exp()", args: [[2, 3]], hessian: true }, // second order: a varying cotangent flows into the op
    { expr: "flatten(x, 1)", args: [[2, 3, 2]] }, // function form
  ],
  "t.squeeze": [
    { expr: "x.squeeze()", args: [[2, 1, 3]] },
    { expr: "x.squeeze(1)", args: [[2, 1, 3]] },
    { expr: "x.squeeze(-1)", args: [[2, 3, 1]] },
    { expr: "x.squeeze([0, 2])", args: [[1, 3, 1]] },
    { expr: "x.squeeze(0)", args: [[2, 3]] },
    { expr: "x.squeeze().exp()", args: [[2, 1, 3]], hessian: true }, // second order: a varying cotangent flows into the op
    { expr: "squeeze(x, 1)", args: [[2, 1, 3]] }, // function form
  ],
  "t.unsqueeze": [
    { expr: "x.unsqueeze(0)", args: [[2, 3]] },
    { expr: "x.unsqueeze(-1)", args: [[2, 3]] },
    { expr: "x.unsqueeze(1).mul(y)", args: [[2, 3], [2, 3]] },
    { expr: "x.unsqueeze(0).exp()", args: [[2, 3]], hessian: true }, // second order: a varying cotangent flows into the op
    { expr: "unsqueeze(x, 1)", args: [[2, 3]] }, // function form
  ],
  "t.transpose": [
    { expr: "x.transpose(0, 1)", args: [[2, 3]] },
    { expr: "x.transpose(-1, -2)", args: [[2, 3, 2]] },
    { expr: "x.transpose(0, 2)", args: [[2, 3, 2]] },
    { expr: "x.transpose(0, 1).matmul(x)", args: [[2, 3]] },
    { expr: "x.transpose(0, 1).exp()", args: [[2, 3]], hessian: true }, // second order: a varying cotangent flows into the op
    { expr: "transpose(x, 1, 0)", args: [[2, 3]] }, // function form
  ],
  "t.t": [
    { expr: "x.t()", args: [[2, 3]] },
    { expr: "x.t()", args: [[3]] },
    { expr: "t(x).matmul(y)", args: [[2, 3], [2]] },
    { expr: "x.t().exp()", args: [[2, 3]], hessian: true }, // second order: a varying cotangent flows into the op
  ],
  "t.permute": [
    { expr: "x.permute([2, 0, 1])", args: [[2, 3, 2]] },
    { expr: "x.permute(1, 0)", args: [[2, 3]] },
    { expr: "x.permute(-1, 0, 1)", args: [[2, 3, 2]] },
    { expr: "x.permute([1, 2, 0]).mul(y)", args: [[2, 3, 2], [2]] },
    { expr: "x.permute(1, 0).exp()", args: [[2, 3]], hessian: true }, // second order: a varying cotangent flows into the op
    { expr: "permute(x, [1, 0])", args: [[2, 3]] }, // function form
  ],
  "t.expand": [
    { expr: "x.expand([2, 3])", args: [[3]], jvp: true },
    { expr: "x.expand(2, 3)", args: [[3]] },
    { expr: "x.expand(2, -1, 2)", args: [[1, 3, 1]] },
    { expr: "x.expand([2, 2, 3])", args: [[2, 1]] },
    { expr: "x.expand(2, 3).exp()", args: [[3]], hessian: true }, // second order: a varying cotangent flows into the op
    { expr: "expand(x, [2, 3])", args: [[1, 3]] }, // function form
  ],
  // (A kept well-conditioned: a fixed diagonally dominant matrix plus a small x)
  "t.linalgSolve": [
    { expr: "linalg.solve(x.mul(0.2).add(tensor([[3, 0.5], [0.2, 2]])), y)", args: [[2, 2], [2]], hessian: true, jvp: true },
    { expr: "linalg.solve(x.mul(0.2).add(tensor([[3, 0.5], [0.2, 2]])), y)", args: [[2, 2], [2, 3]] },
    { expr: "linalg.solve(x.mul(0.1).add(tensor([[3, 0.5], [0.2, 2]])), y)", args: [[3, 2, 2], [2, 1]] }, // a batch of A, one B (broadcast)
    { expr: "linalg.solve(tensor([[3, 0.5], [0.2, 2]]), y.mul(x))", args: [[2, 2, 3], [3]] }, // a batch of B, one A
  ],
  "t.crossEntropy": [
    { expr: "crossEntropy(x, y.softmax(-1))", args: [[2, 3], [2, 3]], hessian: true, jvp: true }, // probabilities
    { expr: "crossEntropy(x, tensor([2, 0]))", args: [[2, 3]], hessian: true }, // class indices
    { expr: "crossEntropy(x.mul(y), tensor(1))", args: [[4], [4]] }, // one example: [C] and a 0-d index
    { expr: "crossEntropy(x, y.softmax(-1), { reduction: \"sum\" })", args: [[2, 3], [2, 3]], hessian: true, jvp: true },
    { expr: "crossEntropy(x, tensor([2, 0]), { reduction: \"none\" })", args: [[2, 3]], hessian: true },
    // a class weight (mean: by the weight of the rows that count) and spatial dims ([N, C, d]: the classes along dim 1)
    { expr: "crossEntropy(x, tensor([2, 0, 2]), { weight: tensor([0.5, 2, 1.5]), labelSmoothing: 0.1 })", args: [[3, 3]], hessian: true, jvp: true },
    { expr: "crossEntropy(x, y.softmax(1), { weight: tensor([0.5, 2, 1.5]) })", args: [[2, 3, 2], [2, 3, 2]], hessian: true, jvp: true },
    { expr: "crossEntropy(x.mul(x), tensor([[2, 0], [1, 1]]), { reduction: \"none\" })", args: [[2, 3, 2]], hessian: true, jvp: true },
  ],
  // torch.nn.functional (issue 17 §3, nn)
  "t.nllLoss": [
    { expr: "nllLoss(x.logSoftmax(-1), tensor([2, 0]))", args: [[2, 3]], hessian: true, jvp: true },
    { expr: "nllLoss(x.mul(y), tensor([1, 1, 0]), { reduction: \"sum\" })", args: [[3, 2], [2]], hessian: true },
    { expr: "nllLoss(x, tensor([2, 0]), { reduction: \"none\" }).exp()", args: [[2, 3]], jvp: true },
    { expr: "nllLoss(x, tensor(1))", args: [[3]] },
    { expr: "nllLoss(x.logSoftmax(1), tensor([[2, 0], [1, 1]]), { weight: tensor([0.5, 2, 1.5]) })", args: [[2, 3, 2]], hessian: true, jvp: true },
  ],
  "t.mseLoss": [
    { expr: "mseLoss(x, y)", args: [[2, 3], [2, 3]], hessian: true, jvp: true },
    { expr: "mseLoss(x, y, { reduction: \"sum\" })", args: [[2, 3], [3]], hessian: true }, // broadcasting
    { expr: "mseLoss(x.sin(), y, { reduction: \"none\" })", args: [[2, 3], [2, 1]], jvp: true },
  ],
  "t.binaryCrossEntropyWithLogits": [
    { expr: "binaryCrossEntropyWithLogits(x, y.sigmoid())", args: [[2, 3], [2, 3]], hessian: true, jvp: true },
    { expr: "binaryCrossEntropyWithLogits(x.mul(3), y, { reduction: \"sum\" })", args: [[4], [4]], dom: [-3, 3], hessian: true },
    { expr: "binaryCrossEntropyWithLogits(x, y, { reduction: \"none\" }).sin()", args: [[2, 2], [2, 2]], jvp: true },
  ],
  "t.linear": [
    { expr: "linear(x, y, z)", args: [[2, 3], [4, 3], [4]], hessian: true, jvp: true },
    { expr: "linear(x, y)", args: [[3], [2, 3]], jvp: true },
    { expr: "linear(x, y, z).tanh()", args: [[2, 2, 3], [2, 3], [2]], hessian: true }, // leading dims
    { expr: "linear(x, y).exp()", args: [[2, 3], [3]], hessian: true }, // a 1-D weight
  ],
  "t.layerNorm": [
    { expr: "layerNorm(x, 3)", args: [[2, 3]], hessian: true, jvp: true },
    { expr: "layerNorm(x, [2, 3], y, z).sin()", args: [[2, 2, 3], [2, 3], [2, 3]], hessian: true, jvp: true },
    { expr: "layerNorm(x, [3], y, undefined, 0.1).mul(x)", args: [[2, 3], [3]], hessian: true },
    { expr: "layerNorm(x, 2, undefined, y)", args: [[3, 2], [2]] },
  ],
  "t.geluTanh": [
    { expr: "x.gelu({ approximate: \"tanh\" })", args: [[2, 3]], dom: [-3, 3], hessian: true, jvp: true },
    { expr: "gelu(x, { approximate: \"tanh\" }).mul(y)", args: [[2, 3], [3]], dom: [-3, 3], hessian: true },
    { expr: "gelu(x.mul(x), { approximate: \"tanh\" }).sum(0)", args: [[3, 2]], dom: [-1.5, 1.5], hessian: true },
  ],
  "t.cross": [
    { expr: "x.cross(y)", args: [[3], [3]], hessian: true, jvp: true },
    { expr: "cross(x, y, 0)", args: [[3, 2], [3, 2]] },
    { expr: "x.cross(y).exp()", args: [[2, 3], [3]] }, // broadcasting
    { expr: "x.cross(y, -1).mul(x)", args: [[4, 3], [4, 3]], hessian: true },
  ],
  // nn (issue 17): x the input, y the weight, z the bias; hessians run the derivative kernels' own rules
  "t.conv1d": [
    { expr: "conv1d(x, y, z)", args: [[2, 2, 5], [3, 2, 2], [3]], jvp: true, hessian: true },
    { expr: "conv1d(x, y, undefined, 2, 1, 2)", args: [[2, 2, 6], [2, 2, 3]] }, // groups left out, the others given
    { expr: "conv1d(x, y, null, 1, [1], 1, 2).exp()", args: [[4, 5], [2, 2, 2]], hessian: true }, // unbatched, groups 2
    { expr: "conv1d(x.mul(x), y, z).sin().sum()", args: [[1, 2, 4], [2, 2, 3], [2]], hessian: true },
  ],
  "t.conv2d": [
    { expr: "conv2d(x, y, z)", args: [[2, 2, 3, 3], [2, 2, 2, 2], [2]], jvp: true, hessian: true },
    { expr: "conv2d(x, y, z, [2, 1], [1, 0], [1, 2])", args: [[1, 2, 4, 5], [3, 2, 2, 2], [3]] },
    { expr: "conv2d(x, y, undefined, 1, 1, 1, 2).exp()", args: [[4, 3, 3], [2, 2, 2, 2]], hessian: true }, // unbatched, groups 2
    { expr: "conv2d(x, y).tanh().sum()", args: [[1, 1, 3, 4], [2, 1, 2, 3]], hessian: true },
  ],
  // (values far apart: no ties, where the max jumps)
  "t.maxPool2d": [
    { expr: "maxPool2d(x, 2)", args: [[1, 2, 4, 4]], jvp: true, gap: 0.01 },
    { expr: "maxPool2d(x, [2, 3], 1, [1, 1], 1, true).mul(y)", args: [[2, 3, 4], [4]], gap: 0.01 },
    { expr: "maxPool2d(x, 2, 1, 0, 2).exp()", args: [[1, 4, 5]], gap: 0.01, hessian: true },
    { expr: "maxPool2d(x.mul(y), 3, 2, 1).sin()", args: [[1, 1, 5, 5], [5]], gap: 0.01, hessian: true },
  ],
  "t.avgPool2d": [
    { expr: "avgPool2d(x, 2)", args: [[1, 2, 4, 4]], jvp: true },
    { expr: "avgPool2d(x, [2, 3], 1, 1, true, false).mul(y)", args: [[2, 3, 4], [4]] },
    { expr: "avgPool2d(x, 3, 2, 1).exp()", args: [[1, 1, 5, 5]], hessian: true },
    { expr: "avgPool2d(x.mul(x), 2, [1, 2], 0, false).sin()", args: [[1, 3, 4]], hessian: true },
  ],
  "t.linalgInv": [
    { expr: "linalg.inv(x.mul(0.2).add(tensor([[3, 0.5], [0.2, 2]])))", args: [[2, 2]], hessian: true, jvp: true },
    { expr: "linalg.inv(x.mul(0.1).add(tensor([[3, 0.5, 0], [0.2, 2, 0.1], [0, 0.3, 4]]))).mul(y)", args: [[3, 3], [3]] },
    { expr: "linalg.inv(x.mul(0.1).add(tensor([[3, 0.5], [0.2, 2]])))", args: [[2, 2, 2]] }, // a batch
  ],
  // det / slogdet / cholesky / norm of torch.linalg (A kept well-conditioned where a hessian divides by det)
  "t.linalgDet": [
    { expr: "linalg.det(x.mul(0.2).add(tensor([[3, 0.5], [0.2, 2]])))", args: [[2, 2]], hessian: true, jvp: true },
    { expr: "linalg.det(x).mul(y)", args: [[3, 3], "num"] },
    { expr: "linalg.det(x.mul(0.3).add(tensor([[2, 0.5, 0], [0.2, 2, 0.1], [0, 0.3, 3]])))", args: [[2, 3, 3]], hessian: true }, // a batch
    { expr: "linalg.det(x)", args: [[1, 1]] },
  ],
  "t.linalgSlogdet": [
    { expr: "linalg.slogdet(x.mul(0.2).add(tensor([[3, 0.5], [0.2, 2]])))[1]", args: [[2, 2]], hessian: true, jvp: true },
    { expr: "linalg.slogdet(x.mul(0.3).add(tensor([[-2, 0.5, 0], [0.2, 2, 0.1], [0, 0.3, 3]])))[1].mul(linalg.slogdet(x.add(tensor([[-2, 0.5, 0], [0.2, 2, 0.1], [0, 0.3, 3]])))[0])", args: [[2, 3, 3]], dom: [-0.5, 0.5] }, // sign -1, a batch
  ],
  "t.linalgCholesky": [
    { expr: "linalg.cholesky(x.matmul(x.t()).add(tensor([[2, 0], [0, 2]])))", args: [[2, 2]], hessian: true, jvp: true },
    { expr: "linalg.cholesky(x.matmul(x.transpose(-2, -1)).add(tensor([[2, 0.5, 0], [0.5, 2, 0], [0, 0, 1]]))).mul(y)", args: [[2, 3, 3], [3]] },
  ],
  "t.linalgNorm": [
    { expr: "linalg.norm(x)", args: [[2, 3]], hessian: true, jvp: true },
    { expr: "linalg.norm(x, 2, -1)", args: [[2, 3]], hessian: true },
    { expr: "linalg.norm(x, 1, 0, true)", args: [[3, 2]], avoid: awayFrom(0) },
    { expr: "linalg.norm(x, Infinity)", args: [[4]], gap: 0.05, avoid: awayFrom(0) },
    { expr: "linalg.norm(x, \"fro\").mul(y)", args: [[2, 3], [2]] },
    { expr: "linalg.norm(x, null, [0, 1])", args: [[2, 2, 2]] },
  ],
  // movement ops (issue 17): each also with .exp() after it (a varying cotangent, second order) and in function form
  "t.flip": [
    { expr: "x.flip(0)", args: [[2, 3]], jvp: true },
    { expr: "x.flip([0, -1]).mul(y)", args: [[2, 3], [3]] },
    { expr: "x.flip(1, 2).sum(0)", args: [[2, 3, 2]] },
    { expr: "x.flip(0).exp()", args: [[3, 2]], hessian: true },
    { expr: "flip(x, [1])", args: [[2, 3]] },
  ],
  "t.roll": [
    { expr: "x.roll(1, 1)", args: [[2, 3]], jvp: true },
    { expr: "x.roll([1, -1], [0, 1]).mul(y)", args: [[3, 3], [3]] },
    { expr: "x.roll(4)", args: [[2, 3]] },
    { expr: "x.roll(-2, 0).exp()", args: [[3, 2]], hessian: true },
    { expr: "roll(x, 2, -1)", args: [[2, 3]] },
  ],
  "t.repeat": [
    { expr: "x.repeat(2, 1)", args: [[2, 3]], jvp: true },
    { expr: "x.repeat([2, 1, 2]).mul(y)", args: [[2, 3], [6]] },
    { expr: "x.repeat(3, 2)", args: [[2]] },
    { expr: "x.repeat(2, 2).exp()", args: [[2, 2]], hessian: true },
    { expr: "repeat(x, [1, 2])", args: [[2, 3]] },
  ],
  "t.tile": [
    { expr: "x.tile([2])", args: [[2, 3]], jvp: true },
    { expr: "x.tile(2, 1, 2).mul(y)", args: [[2, 3], [6]] },
    { expr: "x.tile([2, 2]).exp()", args: [[3]], hessian: true },
    { expr: "tile(x, [2, 1])", args: [[2, 3]] },
  ],
  "t.movedim": [
    { expr: "x.movedim(0, -1)", args: [[2, 3, 2]], jvp: true },
    { expr: "x.movedim([0, 1], [2, 0]).mul(y)", args: [[2, 3, 2], [2]] },
    { expr: "x.movedim(1, 0).exp()", args: [[2, 3]], hessian: true },
    { expr: "movedim(x, 2, 0)", args: [[2, 3, 2]] },
  ],
  "t.unflatten": [
    { expr: "x.unflatten(1, [2, 3])", args: [[2, 6]], jvp: true },
    { expr: "x.unflatten(0, [-1, 2]).mul(y)", args: [[4, 3], [3]] },
    { expr: "x.unflatten(-1, [3, 2]).exp()", args: [[6]], hessian: true },
    { expr: "unflatten(x, 0, [2, 2])", args: [[4]] },
  ],
  "t.broadcastTo": [
    { expr: "x.broadcastTo([2, 3])", args: [[3]], jvp: true },
    { expr: "x.broadcastTo(2, -1, 2).mul(y)", args: [[1, 3, 1], [2]] },
    { expr: "x.broadcastTo(2, 3).exp()", args: [[3]], hessian: true },
    { expr: "broadcastTo(x, [2, 3])", args: [[1, 3]] },
  ],
  "t.expandAs": [
    { expr: "x.expandAs(y)", args: [[3], [2, 3]], jvp: true },
    { expr: "x.expandAs(y).mul(y)", args: [[2, 1], [2, 3]] },
    { expr: "x.expandAs(y).exp()", args: [[3], [2, 3]], hessian: true },
    { expr: "expandAs(x, y)", args: [[1, 3], [2, 3]] },
  ],
  // dtype conversions: float ↔ float carries the derivative back in the input's dtype; a mask or int32 is a constant
  // (float32 rounding makes finite differences of x.float() noisy: its cases cancel it exactly; test/int32.test.ts
  // checks x.float()'s derivative against the closed form)
  "t.float": [
    { expr: "x.mul(x.gt(0).float())", args: [[2, 3]], avoid: awayFrom(0), jvp: true, hessian: true },
    { expr: "x.float().mul(2).double().sub(x.float().double().mul(2)).add(x.mul(x))", args: [[3, 2]], jvp: true, hessian: true },
  ],
  "t.double": [
    { expr: "x.double().mul(x)", args: [[3]], jvp: true, hessian: true },
    { expr: "x.gt(0).double().mul(x).add(x.argmax().double())", args: [[2, 3]] },
    { expr: "x.mul(x.int().double()).add(x.gt(0).bool().double())", args: [[2, 3]], avoid: awayFrom(-2, -1, 0, 1, 2) },
  ],
  "t.clone": [
    { expr: "x.clone()", args: [[2, 3]], jvp: true },
    { expr: "x.clone().mul(x)", args: [[3]] },
    { expr: "x.clone().exp()", args: [[2, 2]], hessian: true },
    { expr: "clone(x)", args: [[2]] },
  ],
  "t.diag": [
    { expr: "x.diag()", args: [[3]], jvp: true },
    { expr: "x.diag(1).mul(y)", args: [[2], [3]] },
    { expr: "x.diag(-1)", args: [[3, 4]] },
    { expr: "x.diag().exp()", args: [[3, 3]], hessian: true },
    { expr: "x.diag(-1).exp()", args: [[2]], hessian: true },
    { expr: "diag(x, 1)", args: [[3, 3]] },
  ],
  "t.diagonal": [
    { expr: "x.diagonal()", args: [[3, 3]], jvp: true },
    { expr: "x.diagonal(1).mul(y)", args: [[3, 4], [3]] },
    { expr: "x.diagonal(-1, 0, 2)", args: [[3, 2, 3]] },
    { expr: "x.diagonal(0, -1, 0).exp()", args: [[2, 2, 3]], hessian: true },
    { expr: "diagonal(x, 0, 1, 2)", args: [[2, 2, 2]] },
  ],
  "t.trace": [
    { expr: "x.trace()", args: [[3, 3]], jvp: true },
    { expr: "x.trace().mul(y)", args: [[2, 3], [2]] },
    { expr: "x.exp().trace().exp()", args: [[2, 2]], hessian: true },
    { expr: "trace(x.mul(y))", args: [[3, 2], [3, 2]], hessian: true },
  ],
  "t.tril": [
    { expr: "x.tril()", args: [[3, 3]], jvp: true },
    { expr: "x.tril(1).mul(y)", args: [[2, 3, 3], [3]] },
    { expr: "x.tril(-1).exp()", args: [[3, 2]], hessian: true },
    { expr: "tril(x, 0)", args: [[2, 4]] },
  ],
  "t.triu": [
    { expr: "x.triu()", args: [[3, 3]], jvp: true },
    { expr: "x.triu(-1).mul(y)", args: [[2, 3, 3], [3]] },
    { expr: "x.triu(1).exp()", args: [[3, 4]], hessian: true },
    { expr: "triu(x, 0)", args: [[2, 4]] },
  ],
  "t.pad": [
    { expr: "x.pad([1, 2])", args: [[2, 3]], jvp: true },
    { expr: "pad(x, [1, -1, 0, 1], 0.5).mul(y)", args: [[2, 3], [3]] },
    { expr: "x.pad([-1, 1], 2).exp()", args: [[2, 3]], hessian: true },
    { expr: "pad(x, [0, 0, 2, 0])", args: [[2, 2]] },
  ],
  "t.indexSelect": [
    { expr: "x.indexSelect(1, [2, 0, 2])", args: [[2, 3]], jvp: true },
    { expr: "indexSelect(x, 0, IDX).mul(y)", args: [[3, 2], [2]], consts: `const IDX = tensor([1, -1, 1], { dtype: "float64" });` },
    { expr: "x.indexSelect(-1, [1, 1]).exp()", args: [[2, 3]], hessian: true },
    { expr: "indexSelect(x, 0, [0])", args: [[2]] },
  ],
  // gather / scatter / scatterAdd: the index a float tensor of integral values (a constant); repeated indices included
  "t.gather": [
    { expr: "x.gather(1, GI)", args: [[2, 3]], consts: GI, jvp: true },
    { expr: "gather(x, 0, GI0).mul(y)", args: [[2, 3], [3]], consts: GI0 },
    { expr: "x.gather(-1, GI.narrow(1, 0, 2)).exp()", args: [[2, 3]], consts: GI, hessian: true },
    { expr: "x.mul(x).gather(0, GI0).sum()", args: [[3, 3]], consts: GI0, hessian: true },
  ],
  "t.scatter": [
    { expr: "x.scatter(1, GU, y)", args: [[2, 3], [2, 2]], consts: GU, jvp: true },
    { expr: "scatter(x, 0, GU0, y.exp())", args: [[2, 3], [3, 3]], consts: GU0, hessian: true }, // (src larger than the index)
    { expr: "x.scatter(1, GS, y).mul(x)", args: [[2, 3], "num"], consts: GS, jvp: true, hessian: true },
    { expr: "x.exp().scatter(-1, GS, 0.5).sum()", args: [[2, 3]], consts: GS, hessian: true },
  ],
  "t.scatterAdd": [
    { expr: "x.scatterAdd(1, GI, y)", args: [[2, 3], [2, 3]], consts: GI, jvp: true },
    { expr: "scatterAdd(x, 0, GI0.narrow(1, 0, 2), y).mul(x)", args: [[2, 3], [3, 3]], consts: GI0, hessian: true }, // (src larger than the index)
    { expr: "x.scatterAdd(1, GI, x.exp()).sin().sum()", args: [[2, 3]], consts: GI, hessian: true },
  ],
  // maskedSelect: a 1-d result as long as the mask's true count
  "t.maskedSelect": [
    { expr: "x.maskedSelect(bmask)", args: [[2, 3]], consts: BMASK, jvp: true },
    { expr: "maskedSelect(x, x.gt(0.3)).exp()", args: [[2, 3]], avoid: awayFrom(0.3), hessian: true },
    { expr: "x.maskedSelect(bmask).mul(y.maskedSelect(bmask))", args: [[3], [2, 3]], consts: BMASK, jvp: true, hessian: true }, // (x broadcast by the mask)
  ],
  // chunk / split / unbind: usable when the number of pieces is known (a literal index, a count, a list of sizes)
  "t.chunk": [
    { expr: "x.chunk(2)[1]", args: [[4, 2]], jvp: true },
    { expr: "x.chunk(2, 1)[0].mul(x.chunk(2, 1)[1])", args: [[2, 4]] },
    { expr: "x.chunk(3, -1)[2].exp()", args: [[2, 5]], hessian: true },
    { expr: "chunk(x, 2)[0]", args: [[3]] },
  ],
  "t.split": [
    { expr: "x.split(2)[1]", args: [[3, 2]], jvp: true },
    { expr: "x.split([1, 2], 1)[1].mul(x.split([1, 2], 1)[0])", args: [[2, 3]] },
    { expr: "x.split(2, -1)[0].exp()", args: [[2, 3]], hessian: true },
    { expr: "split(x, [2, 1])[0]", args: [[3]] },
  ],
  "t.unbind": [
    { expr: "x.unbind()[1]", args: [[3, 2]], jvp: true },
    { expr: "x.unbind(1)[0].mul(x.unbind(1)[2])", args: [[2, 3]] },
    { expr: "x.unbind(-1)[1].exp()", args: [[2, 2]], hessian: true },
    { expr: "unbind(x, 0)[2]", args: [[3]] },
  ],
  "t.softmax": [
    { expr: "x.softmax(1)", args: [[2, 3]], hessian: true, jvp: true },
    { expr: "x.softmax(0)", args: [[2, 3]], hessian: true },
    { expr: "x.softmax(-1)", args: [[2, 2, 3]] },
    { expr: "x.softmax(1)", args: [[2, 3, 2]] },
    { expr: "softmax(x.mul(y), -1)", args: [[2, 3], [3]], hessian: true },
    { expr: "softmax(x, 0)", args: [[3]] }, // function form
  ],
  // ---- reductions and scans (issue 17 §3); kinks at given values: zeros, ties
  "t.norm": [
    { expr: "x.norm()", args: [[2, 3]], hessian: true, jvp: true },
    { expr: "x.norm(2, 1)", args: [[2, 3]], hessian: true },
    { expr: "x.norm(1, 0, true).mul(y)", args: [[2, 3], [3]], avoid: awayFrom(0), hessian: true },
    { expr: "x.norm(Infinity, 1)", args: [[2, 3]], gap: 0.05, avoid: awayFrom(0) },
    { expr: 'norm(x, "fro", [0, 1]).sin()', args: [[2, 3]], hessian: true },
    { expr: "x.norm(2, -1, true)", args: [[2, 2, 3]], jvp: true },
    // a zero row: the 2-norm's gradient is 0 there (PyTorch), the 1-norm's sign(0) = 0
    { expr: "x.norm(2, 1)", args: [[2, 3]], values: [[0, 0, 0, 0.5, -1, 2]] },
    { expr: "x.norm(1, 1)", args: [[2, 3]], values: [[0, 0.3, 0, 0.5, -1, 2]] },
    // ties of the Infinity-norm split the gradient evenly
    { expr: "x.norm(Infinity, 1)", args: [[2, 3]], values: [[1.5, -1.5, 0.2, 0.5, -1, 2]] },
  ],
  "t.logsumexp": [
    { expr: "x.logsumexp(1)", args: [[2, 3]], hessian: true, jvp: true },
    { expr: "x.logsumexp([0, 1])", args: [[2, 3]], hessian: true },
    { expr: "logsumexp(x.mul(y), -1, true)", args: [[2, 3], [3]], hessian: true },
    { expr: "x.logsumexp(0)", args: [[4]], values: [[30, 31, -2, 29.5]] }, // large values: stable
  ],
  "t.var": [
    { expr: "x.var()", args: [[2, 3]], hessian: true, jvp: true },
    { expr: "x.var(1)", args: [[2, 3]], hessian: true },
    { expr: "x.var(0, { correction: 0, keepdim: true }).mul(y)", args: [[2, 3], [3]], hessian: true },
    { expr: "x.var([0, 2], { keepdim: true })", args: [[2, 2, 3]] },
  ],
  "t.std": [
    { expr: "x.std()", args: [[2, 3]], hessian: true, jvp: true },
    { expr: "x.std(1, { correction: 0 })", args: [[2, 3]], hessian: true },
    { expr: "std(x, -1, { keepdim: true }).mul(y)", args: [[2, 3], [3]], hessian: true },
  ],
  "t.cumsum": [
    { expr: "x.cumsum(1)", args: [[2, 3]], jvp: true, hessian: true },
    { expr: "x.cumsum(0).sin()", args: [[2, 3]], hessian: true },
    { expr: "cumsum(x, -1).mul(y)", args: [[2, 2, 3], [3]] },
    { expr: "x.cumsum(0)", args: [[]] },
  ],
  "t.cumprod": [
    { expr: "x.cumprod(1)", args: [[2, 3]], jvp: true, hessian: true },
    { expr: "x.cumprod(0).sin()", args: [[3, 2]], hessian: true },
    { expr: "cumprod(x, -1).mul(y)", args: [[2, 2, 3], [3]], hessian: true },
    // zeros in the input: one, two in a slice, at the start and at the end (the division-free formula)
    { expr: "x.cumprod(1)", args: [[3, 4]], values: [[0.5, 0, 1.5, 2, 0, 0.4, 0, 0.7, 1.2, -0.8, 0.9, 0]], jvp: true, hessian: true },
    { expr: "x.cumprod(0).mul(y).sum()", args: [[4], [4]], values: [[1.5, 0, -0.5, 2], [0.3, -1, 0.7, 1.1]], hessian: true },
  ],
  "t.logSoftmax": [
    { expr: "x.logSoftmax(1)", args: [[2, 3]], hessian: true },
    { expr: "x.logSoftmax(0)", args: [[2, 3]] },
    { expr: "x.logSoftmax(-1)", args: [[2, 2, 3]], jvp: true },
    { expr: "x.logSoftmax(1)", args: [[2, 3, 2]] },
    { expr: "logSoftmax(x.mul(y), -1)", args: [[2, 3], [3]], hessian: true },
    { expr: "logSoftmax(x, 0)", args: [[3]] }, // function form
  ],
  "t.cat": [
    { expr: "cat([x, y], 0)", args: [[2, 3], [1, 3]], jvp: true },
    { expr: "cat([x, y], 1)", args: [[2, 3], [2, 2]] },
    { expr: "cat([x, y, x], -1)", args: [[2, 2], [2, 1]] },
    { expr: "cat([x, y])", args: [[2], [3]] },
    { expr: "cat([x.exp(), y.mul(x.select(0, 0))], 0)", args: [[2, 3], [1, 3]], hessian: true },
    { expr: "cat([x, y], 1).exp()", args: [[2, 3], [2, 2]], hessian: true }, // second order: a varying cotangent flows into the op
  ],
  // item: a differentiable number (PyTorch's .item() leaves the graph; jacc's stays in it)
  "t.item": [
    { expr: "x.sum().item()", args: [[2, 3]], jvp: true, hessian: true },
    { expr: "x.mul(x).sum().item()", args: [[2, 3]], jvp: true, hessian: true },
    { expr: "x.item()", args: [[]], jvp: true, hessian: true }, // a 0-d tensor
    { expr: "x.exp().item()", args: [[1, 1]], hessian: true }, // one element, not 0-d: x̄ takes x's shape
    { expr: "x.sin().sum().item() * y", args: [[2, 3], "num"], jvp: true, hessian: true }, // number arithmetic on it
    { expr: "Math.exp(x.mul(y).sum().item())", args: [[3], [3]], dom: [-1, 1], jvp: true, hessian: true },
    { expr: "x.mul(x.sum().item())", args: [[2, 3]], jvp: true, hessian: true }, // back into a tensor op as a number operand
    { expr: "x.exp().mul(y.mul(y).sum().item()).sin()", args: [[2, 2], [3]], hessian: true },
    { expr: "x.prod().item() + x.select(0, 1).item()", args: [[3]], dom: [0.5, 1.5], jvp: true, hessian: true },
  ],
  "t.stack": [
    { expr: "stack([x, y])", args: [[2, 3], [2, 3]] },
    { expr: "stack([x, y], 1)", args: [[2, 3], [2, 3]] },
    { expr: "stack([x, y, x], -1)", args: [[2, 2], [2, 2]] },
    { expr: "stack([x.sin(), y], 2)", args: [[2, 2], [2, 2]], hessian: true },
    { expr: "stack([x, y]).exp()", args: [[2, 3], [2, 3]], hessian: true }, // second order: a varying cotangent flows into the op
  ],
};
// every registry entry without hand-written cases above: its generated cases
// einsum has no primitive of its own: the front end lowers it to diagonal, sum, movedim, unsqueeze and
// mul (compiler/front/einsum.ts), so its cases run with diagonal's (the op its repeated letters take)
CASES["t.diagonal"].push(
  { expr: "einsum(\"ij,jk->ik\", x, y)", args: [[2, 3], [3, 2]], hessian: true, jvp: true },
  { expr: "einsum(\"ii->i\", x).exp()", args: [[3, 3]], hessian: true },
  { expr: "einsum(\"ii\", x.exp())", args: [[3, 3]], jvp: true }, // the trace, an implicit output
  { expr: "einsum(\"ij,ij->\", x, y)", args: [[2, 3], [2, 3]], hessian: true },
  { expr: "einsum(\"bij,bjk->bik\", x, y)", args: [[2, 2, 3], [2, 3, 2]] },
  { expr: "einsum(\"...ij,...jk\", x, y).sin()", args: [[2, 2, 3], [3, 2]], hessian: true }, // an ellipsis that broadcasts
  { expr: "einsum(\"i,j->ji\", x, y)", args: [[3], [2]] },
  { expr: "einsum(\"iij,jk->ki\", x, y)", args: [[2, 2, 3], [3, 2]] },
  { expr: "einsum(\"ij,j->i\", x, y)", args: [[2, 1], [3]] }, // a size-1 dim broadcasts
  { expr: "einsum(\"ijk->\", x.exp())", args: [[2, 3, 2]] },
  { expr: "einsum(\"i...j,j->i...\", x, y)", args: [[2, 3, 4], [4]] }, // an output ellipsis after a letter
  { expr: "einsum(\"ij,jk,kl->il\", [x, y, x.t()])", args: [[2, 3], [3, 3]] }, // three operands, in an array
);
for (const name of ELEMENTWISE_NAMES) CASES[`t.${name}`] ??= registryCases(name);

// ---------------------------------------------------------------- coverage
const userOps = Object.entries(tensorRules).filter(([p, r]) => p.startsWith("t.") && !r.zero).map(([p]) => p);

test("coverage: every user-facing tensor op of the rule table has test cases", () => {
  const missing = userOps.filter((p) => !CASES[p]?.length);
  assert.equal(missing, [], `tensor ops without a rule test (add them to CASES in test/rules-tensor.test.ts): ${missing.join(", ")}`);
  const unknown = Object.keys(CASES).filter((p) => !(p in tensorRules));
  assert.equal(unknown, [], `CASES names ops the rule table does not have: ${unknown.join(", ")}`);
});

test("coverage: each op's first case really exercises its primitive (jacrev's IR contains it)", () => {
  const absent: string[] = [];
  for (const [prim, cases] of Object.entries(CASES)) {
    const c = cases[0];
    const src = moduleText([[c, 0, ["jacrev"]]]);
    const r = compileModule(src, path.join(tmpDir, "coverage-tensor.ts"), { target: "js", explain: true });
    if (r.diagnostics.length) {
      absent.push(`${prim} (${c.expr}: ${r.diagnostics.map((d) => d.message).join("; ")})`);
      continue;
    }
    const ir = (r.markers ?? []).map((m) => m.ir).join("\n");
    if (!ir.includes(`${prim}(`)) absent.push(`${prim} (${c.expr})`);
  }
  assert.equal(absent, [], `entries whose IR does not contain the primitive: ${absent.join(", ")}`);
});

// ---------------------------------------------------------------- generated modules
const FAMILIES = ["jacrev", "jacfwd", "vjp", "jvp", "hessian"] as const;
type Family = (typeof FAMILIES)[number];
const familiesOf = (c: Case): Family[] => ["jacrev", "jacfwd", ...(c.jvp ? (["vjp", "jvp"] as const) : []), ...(c.hessian ? (["hessian"] as const) : [])];

const NAMES = ["x", "y", "z"];
const RUNTIME_FNS = new Set(Object.keys(runtime).filter((k) => typeof (runtime as Record<string, unknown>)[k] === "function"));
const RUNTIME_OBJECTS = new Set(Object.keys(runtime).filter((k) => { const v = (runtime as Record<string, unknown>)[k]; return typeof v === "object" && v !== null && Object.values(v).some((f) => typeof f === "function"); }));

/** The module text for the given (case, index, families) triples. */
function moduleText(entries: [Case, number, Family[]][]): string {
  const fns = new Set<string>(["jacrev", "jacfwd", "jvp", "vjp", "hessian", "tensor"]);
  const consts = new Set<string>();
  const body: string[] = [];
  for (const [c, i, families] of entries) {
    for (const m of c.expr.matchAll(/(?<![.\w])([A-Za-z_]\w*)\(/g)) if (RUNTIME_FNS.has(m[1])) fns.add(m[1]);
    // jacc's namespaces of functions (linalg.solve)
    for (const m of c.expr.matchAll(/(?<![.\w])([A-Za-z_]\w*)\.\w+\(/g)) if (RUNTIME_OBJECTS.has(m[1])) fns.add(m[1]);
    if (c.consts) consts.add(c.consts);
    const names = c.args.map((_, k) => NAMES[k]);
    const params = c.args.map((s, k) => `${names[k]}: ${s === "num" ? "number" : "Tensor"}`).join(", ");
    const argnums = `{ argnums: [${c.args.map((_, k) => k).join(", ")}] }`;
    body.push(`export const f${i} = (${params}) => ${c.expr};`);
    // hessian is checked against FD of jacrev, so its module always has jacrev
    if (families.includes("jacrev") || families.includes("hessian")) {
      body.push(`export const jr${i} = jacrev(f${i}, ${argnums});`);
      if (c.args.length === 1) body.push(`export const jrd${i} = jacrev(f${i});`);
    }
    if (families.includes("jacfwd")) {
      body.push(`export const jf${i} = jacfwd(f${i}, ${argnums});`);
      if (c.args.length === 1) body.push(`export const jfd${i} = jacfwd(f${i});`);
    }
    if (families.includes("vjp")) body.push(`export const vj${i} = (${params}) => vjp(f${i}, [${names.join(", ")}]);`);
    if (families.includes("jvp")) {
      const tparams = c.args.map((s, k) => `t${names[k]}: ${s === "num" ? "number" : "Tensor"}`).join(", ");
      body.push(`export const jv${i} = (${params}, ${tparams}) => jvp(f${i}, [${names.join(", ")}], [${names.map((n) => `t${n}`).join(", ")}]);`);
    }
    if (families.includes("hessian")) body.push(`export const h${i} = hessian(f${i}, ${argnums});`);
  }
  return [`import { ${[...fns].sort().join(", ")}, type Tensor } from "jacc";`, ...consts, ...body, ""].join("\n");
}

type Loaded = { mod: Record<string, any> } | { error: string };

async function load(src: string, name: string): Promise<Loaded> {
  try {
    fs.mkdirSync(tmpDir, { recursive: true });
    const r = compileModule(src, path.join(tmpDir, `${name}.ts`), { target: "js", checkIR: true });
    if (r.diagnostics.length) return { error: r.diagnostics.map(formatDiagnostic).join("\n") };
    const hash = crypto.createHash("sha1").update(r.code).digest("hex").slice(0, 10);
    const out = path.join(tmpDir, `${name}-${hash}.mjs`);
    fs.writeFileSync(out, r.code);
    return { mod: await import(pathToFileURL(out).href) };
  } catch (e) {
    return { error: `compile/import threw: ${e instanceof Error ? e.stack ?? e.message : String(e)}` };
  }
}

const slug = (s: string) => s.replace(/[^A-Za-z0-9]+/g, "_");
const opModules = new Map<string, Promise<Map<string, Loaded>>>();

/** Loads an op's modules once: all cases together, else per case, else per case and family. */
function modulesOf(prim: string): Promise<Map<string, Loaded>> {
  let p = opModules.get(prim);
  if (!p) {
    p = (async () => {
      const cases = CASES[prim];
      const res = new Map<string, Loaded>();
      const all = await load(moduleText(cases.map((c, i) => [c, i, familiesOf(c)])), `rt-${slug(prim)}`);
      if ("mod" in all) {
        cases.forEach((c, i) => familiesOf(c).forEach((f) => res.set(`${i}|${f}`, all)));
        return res;
      }
      for (const [i, c] of cases.entries()) {
        const one = await load(moduleText([[c, i, familiesOf(c)]]), `rt-${slug(prim)}-${i}`);
        for (const f of familiesOf(c)) {
          res.set(`${i}|${f}`, "mod" in one ? one : await load(moduleText([[c, i, [f]]]), `rt-${slug(prim)}-${i}-${f}`));
        }
      }
      return res;
    })();
    opModules.set(prim, p);
  }
  return p;
}

// ---------------------------------------------------------------- points
function pointsOf(c: Case, key: string): Arg[][] {
  if (c.values) return [c.args.map((s, k) => makeArg(s, c.values![k]))];
  const rnd = prng(seedOf(key));
  const dom = (k: number): Interval => (c.dom === undefined ? R : Array.isArray(c.dom[0]) ? (c.dom as Interval[])[k] : (c.dom as Interval));
  const out: Arg[][] = [];
  for (let tries = 0; out.length < POINTS && tries < 100000; tries++) {
    const vals = c.args.map((s, k) => {
      const [lo, hi] = dom(k);
      return Array.from({ length: numel(shapeOf(s)) }, () => lo + (hi - lo) * rnd());
    });
    const all = vals.flat();
    if (c.avoid && all.some(c.avoid)) continue;
    if (c.gap !== undefined) {
      const sorted = [...all].sort((a, b) => a - b);
      if (sorted.some((v, k) => k > 0 && v - sorted[k - 1] < c.gap!)) continue;
    }
    out.push(c.args.map((s, k) => makeArg(s, vals[k])));
  }
  if (out.length < POINTS) throw new Error("not enough points outside the avoided set");
  return out;
}

const describeArgs = (args: Arg[]) => args.map((a) => (typeof a === "number" ? String(a) : JSON.stringify(a.toArray()))).join(", ");
const sameArg = (a: Arg, b: Arg) => (typeof a === "number" ? a === b : typeof b !== "number" && a.data.every((v, k) => Object.is(v, b.data[k])) && fmtShape(a.shape) === fmtShape(b.shape));

/** A random value of the given shape (a number when shape is null), for cotangents and tangents. */
function randomLike(shape: number[] | null, rnd: () => number): Arg {
  const vals = Array.from({ length: shape === null ? 1 : numel(shape) }, () => 2 * rnd() - 1);
  return shape === null ? vals[0] : makeArg(shape, vals);
}

// ---------------------------------------------------------------- the checks
function checkFamily(family: Family, c: Case, i: number, m: Record<string, any>, args: Arg[]): string[] {
  const f = m[`f${i}`] as (...a: Arg[]) => unknown;
  const out = flat(f(...args.map(cloneArg)));
  if (!out) return [`f returned ${kind(f(...args))}`];
  const outShape = out.shape ?? [];
  const outIsNum = out.shape === null;
  const J = c.args.map((_, j) => fdJacobian(f, args, j));
  const bad: string[] = [];
  const call = (label: string, fn: unknown, a: Arg[]): unknown => {
    if (typeof fn !== "function") throw new Error(`${label} is not a function (${typeof fn})`);
    const copies = a.map(cloneArg);
    const r = (fn as (...a: Arg[]) => unknown)(...copies);
    copies.forEach((x, k) => {
      if (!sameArg(x, a[k])) bad.push(`${label} mutated argument ${k}`);
    });
    return r;
  };
  const blocks = (label: string, got: unknown) => {
    if (!Array.isArray(got) || got.length !== c.args.length) {
      bad.push(`${label}: got ${kind(got)}, expected an array of ${c.args.length} block(s) (argnums is an array)`);
      return;
    }
    c.args.forEach((s, j) => bad.push(...checkBlock(`${label}[${j}]`, got[j], [...outShape, ...shapeOf(s)], outIsNum && s === "num", J[j])));
  };
  const rnd = prng(seedOf(`${family}|${c.expr}|${describeArgs(args)}`));
  switch (family) {
    case "jacrev":
    case "jacfwd": {
      const k = family === "jacrev" ? "jr" : "jf";
      blocks(`${family}(f, argnums all)`, call(family, m[`${k}${i}`], args));
      if (c.args.length === 1) {
        const s = c.args[0];
        bad.push(...checkBlock(`${family}(f)`, call(`${family}(f)`, m[`${k}d${i}`], args), [...outShape, ...shapeOf(s)], outIsNum && s === "num", J[0]));
      }
      break;
    }
    case "vjp": {
      const r = call("vjp", m[`vj${i}`], args) as unknown[];
      if (!Array.isArray(r) || r.length !== 2 || typeof r[1] !== "function") {
        bad.push(`vjp returned ${kind(r)}, expected [output, vjpFn]`);
        break;
      }
      bad.push(...checkBlock("vjp output", r[0], outShape, outIsNum, out.data, undefined, out.dtype));
      const ct = randomLike(out.shape, rnd);
      const cts = (r[1] as (ct: Arg) => unknown)(cloneArg(ct));
      if (!Array.isArray(cts) || cts.length !== c.args.length) {
        bad.push(`vjpFn(ct) returned ${kind(cts)}, expected an array of ${c.args.length} cotangent(s)`);
        break;
      }
      const ctData = flat(ct)!.data;
      c.args.forEach((s, j) => bad.push(...checkBlock(`vjpFn(ct)[${j}]`, cts[j], shapeOf(s), s === "num", pullback(J[j], ctData, numel(shapeOf(s))))));
      break;
    }
    case "jvp": {
      const tangents = c.args.map((s) => randomLike(s === "num" ? null : s, rnd));
      const r = call("jvp", m[`jv${i}`], [...args, ...tangents]) as unknown[];
      if (!Array.isArray(r) || r.length !== 2) {
        bad.push(`jvp returned ${kind(r)}, expected [output, jvpOut]`);
        break;
      }
      bad.push(...checkBlock("jvp output", r[0], outShape, outIsNum, out.data, undefined, out.dtype));
      const want = new Float64Array(out.data.length);
      c.args.forEach((_, j) => pushforward(J[j], flat(tangents[j])!.data, want.length).forEach((v, o) => (want[o] += v)));
      // (a mask's tangent is a float32 zero tensor)
      bad.push(...checkBlock("jvp tangent", r[1], outShape, outIsNum, want, undefined, out.dtype === "bool" ? "float32" : undefined));
      break;
    }
    case "hessian": {
      const jr = m[`jr${i}`] as (...a: Arg[]) => unknown[];
      const H = call("hessian", m[`h${i}`], args) as unknown[][];
      if (!Array.isArray(H) || H.length !== c.args.length || !H.every((row) => Array.isArray(row) && row.length === c.args.length)) {
        bad.push(`hessian(f, argnums all) returned ${kind(H)}, expected ${c.args.length}×${c.args.length} nested arrays of blocks`);
        break;
      }
      c.args.forEach((si, a) =>
        c.args.forEach((sj, b) => {
          const want = fdJacobian((...x: Arg[]) => jr(...x)[a], args, b, 1e-3);
          const shape = [...outShape, ...shapeOf(si), ...shapeOf(sj)];
          bad.push(...checkBlock(`hessian[${a}][${b}]`, H[a][b], shape, outIsNum && si === "num" && sj === "num", want));
        }),
      );
      break;
    }
  }
  return bad;
}

for (const [prim, cases] of Object.entries(CASES)) {
  cases.forEach((c, i) => {
    const shapes = c.args.map((s) => (s === "num" ? "number" : fmtShape(s))).join(", ");
    for (const family of familiesOf(c)) {
      test(`${prim} #${i} ${family}: (${shapes}) => ${c.expr}`, async () => {
        const loaded = (await modulesOf(prim)).get(`${i}|${family}`)!;
        if ("error" in loaded) assert.unreachable(`${c.expr} (${family}) does not compile or load:\n${loaded.error}`);
        const m = (loaded as { mod: Record<string, any> }).mod;
        const bad: string[] = [];
        for (const args of pointsOf(c, `${prim}|${c.expr}|${shapes}`)) {
          let problems: string[];
          try {
            problems = checkFamily(family, c, i, m, args);
          } catch (e) {
            problems = [`threw ${e instanceof Error ? e.message : String(e)}`];
          }
          if (problems.length) bad.push(`at (${describeArgs(args)}):`, ...problems.map((p) => `  ${p}`));
        }
        assert.ok(bad.length === 0, `${family} of (${shapes}) => ${c.expr}:\n  ${bad.slice(0, 12).join("\n  ")}${bad.length > 12 ? `\n  … ${bad.length - 12} more` : ""}`);
      });
    }
  });
}

test.run();
