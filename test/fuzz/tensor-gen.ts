// Random tensor programs (SPEC §5 ops, PyTorch broadcasting) as fast-check
// arbitraries: elementwise chains, reductions over dims (with and without
// keepdim; logsumexp, 2-norm, var, std), softmax, cumsum, cumprod, nn's layerNorm, mseLoss and
// binaryCrossEntropyWithLogits (each reduction), matmul or linear with a captured constant matrix, shape ops (gather and scatter with captured indices, maskedSelect with a captured mask),
// conv1d and the 2-D pools, where
// with a captured mask, a mask from the data (`a.gt(c)`) or a data-dependent
// condition, clamp, number parameters
// mixed in, helper functions (some with a loop and an early return),
// recursion with a data-dependent depth; loops (for, and counter-driven while,
// do…while and while (true) loops whose counter moves inside branches, by 1 or
// 2, with break, continue and early returns, nested loops that share or derive
// counters, data-dependent trip counts), loop-carried Tensors, rows and slices
// taken at a loop's counter, and branches on a number parameter or on a
// tensor's value.
//
// The renderer tracks every value's static shape; an op whose operands do not
// fit (shapes that do not broadcast, a reduction of a 0-d tensor) falls back to
// something that does (the operand reduced to 0-d, the operand itself), so
// every value of the arbitrary, shrunk or not, renders to a valid program.
import fc from "fast-check";
import { Tensor } from "jacc";
import type { Subject } from "./check.js";
import { poolValue } from "./gen.js";
import { BINARY_NAMES, ELEMENTWISE_OPS, UNARY_NAMES, type ElementwiseName } from "../../compiler/ops/elementwise.js";

/**
 * An operand (either one of a binary op) moved into the op's test domain (the registry's
 * `test.dom`) where that is narrower than the reals' [-2, 2]: bounded above (asin, atanh, tan: into (-hi, hi) by tanh),
 * or bounded below (log, log1p, acosh: x² + lo).
 */
const inDomain = (c: string, name: string, k: number): string => {
  const [lo, hi] = ELEMENTWISE_OPS[name as ElementwiseName]?.test.dom[k] ?? [-2, 2];
  if (hi < 2 && lo < 0) return `${c}.tanh().mul(${Math.min(hi, -lo)})`;
  return lo > -2 ? `${c}.mul(${c}).add(${lo})` : c;
};

/**
 * Every float elementwise op of the registry (compiler/ops/elementwise.ts) is generated; these have
 * hand-made operands. The masks (bool results) appear as where's condition instead.
 */
const UN_HAND = ["exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "abs", "neg", "pow2", "pow3", "powf"] as const;
const floatOp = (n: ElementwiseName) => ELEMENTWISE_OPS[n].result !== "bool";
export const UN = [...UN_HAND, ...UNARY_NAMES.filter((n) => floatOp(n) && !(UN_HAND as readonly string[]).includes(n))] as const;
export type Un = (typeof UN)[number];
export const BIN = BINARY_NAMES.filter((n) => n !== "pow" && floatOp(n));
/** The comparisons a data mask is drawn from: where(a.gt(c), a, b). */
const CMP = ["gt", "lt", "ge", "le"] as const;
export const JOIN = ["cat", "stack", "outer", "dot"] as const;
export type Join = (typeof JOIN)[number];
export type Bin = (typeof BIN)[number];
export const RED = ["sum", "mean", "max", "min", "prod", "softmax", "logSoftmax", "all", "logsumexp", "norm", "var", "std", "cumsum", "cumprod", "layerNorm", "mseLoss", "bceLogits"] as const;
export type Red = (typeof RED)[number];
export const SHAPE = [
  "t", "unsqueeze", "flatten", "transpose", "reshape", "select", "narrow", "permute", "squeeze", "expand",
  "flip", "roll", "repeat", "tile", "movedim", "unflatten", "clone", "diag", "diagonal", "trace", "tril", "triu", "chunk", "unbind", "pad",
  "conv1d", "maxPool2d", "avgPool2d",
  "gather", "scatter", "scatterAdd", "maskedSelect",
] as const;
export type ShapeOp = (typeof SHAPE)[number];

export type TE =
  | { t: "x"; i: number }
  | { t: "un"; f: Un; a: TE }
  | { t: "bin"; op: Bin; a: TE; b: TE }
  | { t: "sc"; op: "add" | "sub" | "mul" | "div"; a: TE; k: number; v: number } // with a number (a parameter, or the constant v)
  | { t: "red"; f: Red; dim: number; keep: boolean; a: TE }
  | { t: "mm"; a: TE; m: number; seed: number }
  | { t: "shape"; op: ShapeOp; a: TE }
  | { t: "where"; a: TE; b: TE; seed: number }
  | { t: "clamp"; a: TE; lo: number }
  | { t: "help"; h: number; a: TE }
  | { t: "join"; op: Join; a: TE; b: TE }
  | { t: "row"; a: TE; l: number } // a.select(0, i) at a loop's counter (in range, or taken modulo the size)
  | { t: "nar"; a: TE; l: number } // a.narrow(0, i % (n - 1), 2): a slice that moves with a counter
  | { t: "whr"; c: TC; a: TE; b: TE } // where(<a number condition>, a, b)
  | { t: "tern"; c: TC; a: TE; b: TE } // c ? a : b
  | { t: "lhelp"; h: number; a: TE } // a helper with a loop and an early return
  | { t: "trec"; r: number; a: TE; d: number }; // a recursive helper with a data-dependent depth

/**
 * A number condition: `k > at` for k a number parameter or a tensor's value
 * (`t.sum().item()`), or, with el, the row a loop is at
 * (`x.select(0, i).sum().item() > at`).
 */
export interface TC {
  k: number;
  at: number;
  el: boolean;
}

/** A counter-driven loop over tensors (the scalar generator's Loop, gen.ts, with tensor statements). */
export interface TLoop {
  t: "loop";
  /** 0 while, 1 do…while, 2 while (true) exiting at the top, 3 at the bottom, 4 for, 5 `while (i++ < n)`, 6 `do … while (++i < n)` */
  form: number;
  /** 0 up to the bound, 1 down from it */
  dir: number;
  /** 0: a tensor's size(0) (nv picks it); 1-3: that constant; 4: 0 to 4 from the data */
  n: number;
  nv: number;
  /** 0 from 0, 1 from the enclosing counter, 2 the enclosing counter itself */
  init: number;
  dc: TC | null;
  guard: boolean;
  step: number;
  stepB: number;
  /** 0 step at the end; 1 in both arms of `if (sc)`; 2 after ta / tb in those arms */
  place: number;
  sc: TC;
  ta: TS[];
  tb: TS[];
  body: TS[];
}

export type TS =
  | { t: "let"; e: TE }
  | { t: "set"; v: number; e: TE }
  | { t: "for"; n: number; body: TS[] }
  | { t: "if"; c: TC; a: TS[]; b: TS[]; xa: number; xb: number; re: TE } // xa, xb: an arm ends with 1 break, 2 continue, 3 return re
  | TLoop
  | { t: "step"; l: number; form: number; c: TC } // moves an enclosing counter (forms 0-5 forward, 6 back)
  | { t: "brk"; c: TC; cont: boolean }
  | { t: "ret"; c: TC; e: TE };

/** A helper `tl(a)` with a loop over a loop-carried Tensor and an early return (elementwise: the shape is kept). */
export interface LoopHelper {
  /** 0 while, 1 do…while, 2 for */
  form: number;
  n: number;
  at: number;
  at2: number;
  step: number;
  upd: TE;
  out: TE;
}
/** A recursive helper `tr(a, d)` that stops at depth 0 or where the data says. */
export interface TRec {
  at: number;
  base: TE;
  step: TE;
  /** 0: tr(step).mul(0.8).add(a.mul(0.1)); 1: tr(step).add(base); 2: the recursive call's result only */
  comb: number;
}

export interface TParam {
  kind: "t" | "num";
  shape: number[];
}
export interface TensorProgram {
  params: TParam[];
  helpers: TE[]; // helper bodies over their parameter (elementwise: the shape is kept)
  lhelpers: LoopHelper[];
  trecs: TRec[];
  body: TS[];
  ret: TE;
  reduceOut: boolean; // return a 0-d tensor (.sum()): second derivatives are checked
}
export interface TensorCase {
  prog: TensorProgram;
  pools: [number[], number[]];
}

// ---------------------------------------------------------------- arbitraries

const nat = (max: number) => fc.nat({ max });
const lit = <T extends string>(v: T) => fc.constant(v);
const cst = fc.integer({ min: -20, max: 20 }).map((v) => v / 10);

const tleaf: fc.Arbitrary<TE> = fc.record({ t: lit("x"), i: nat(7) });
const tcond: fc.Arbitrary<TC> = fc.record({ k: nat(3), at: cst, el: fc.boolean() });
const texprs = new Map<number, fc.Arbitrary<TE>>();
export function texpr(d: number): fc.Arbitrary<TE> {
  const hit = texprs.get(d);
  if (hit) return hit;
  let a: fc.Arbitrary<TE>;
  if (d <= 0) a = tleaf;
  else {
    const s = texpr(d - 1);
    a = fc.oneof(
      { withCrossShrink: true },
      { arbitrary: tleaf, weight: 3 },
      { arbitrary: fc.record({ t: lit("un"), f: fc.constantFrom(...UN), a: s }), weight: 5 },
      { arbitrary: fc.record({ t: lit("bin"), op: fc.constantFrom(...BIN), a: s, b: s }), weight: 5 },
      { arbitrary: fc.record({ t: lit("sc"), op: fc.constantFrom("add" as const, "sub" as const, "mul" as const, "div" as const), a: s, k: nat(3), v: cst }), weight: 2 },
      { arbitrary: fc.record({ t: lit("red"), f: fc.constantFrom(...RED), dim: nat(3), keep: fc.boolean(), a: s }), weight: 3 },
      { arbitrary: fc.record({ t: lit("mm"), a: s, m: fc.integer({ min: 1, max: 3 }), seed: nat(1000) }), weight: 2 },
      { arbitrary: fc.record({ t: lit("shape"), op: fc.constantFrom(...SHAPE), a: s }), weight: 2 },
      { arbitrary: fc.record({ t: lit("where"), a: s, b: s, seed: nat(1000) }), weight: 1 },
      { arbitrary: fc.record({ t: lit("clamp"), a: s, lo: fc.integer({ min: -8, max: 0 }).map((v) => v / 10) }), weight: 1 },
      { arbitrary: fc.record({ t: lit("help"), h: nat(15), a: s }), weight: 1 },
      { arbitrary: fc.record({ t: lit("join"), op: fc.constantFrom(...JOIN), a: s, b: s }), weight: 1 },
      { arbitrary: fc.record({ t: lit("row"), a: s, l: nat(3) }), weight: 2 },
      { arbitrary: fc.record({ t: lit("nar"), a: s, l: nat(3) }), weight: 1 },
      { arbitrary: fc.record({ t: lit("whr"), c: tcond, a: s, b: s }), weight: 1 },
      { arbitrary: fc.record({ t: lit("tern"), c: tcond, a: s, b: s }), weight: 1 },
      { arbitrary: fc.record({ t: lit("lhelp"), h: nat(3), a: s }), weight: 1 },
      { arbitrary: fc.record({ t: lit("trec"), r: nat(3), a: s, d: nat(3) }), weight: 1 },
    );
  }
  texprs.set(d, a);
  return a;
}

const elementwise: fc.Arbitrary<TE> = fc.oneof(
  fc.record({ t: lit("un"), f: fc.constantFrom(...UN), a: fc.record({ t: lit("un"), f: fc.constantFrom(...UN), a: tleaf }) }),
  fc.record({ t: lit("bin"), op: fc.constantFrom(...BIN), a: fc.record({ t: lit("un"), f: fc.constantFrom(...UN), a: tleaf }), b: tleaf }),
  fc.record({ t: lit("sc"), op: fc.constantFrom("add" as const, "mul" as const), a: fc.record({ t: lit("un"), f: fc.constantFrom(...UN), a: tleaf }), k: nat(3), v: cst }),
);

const tstmts = new Map<number, fc.Arbitrary<TS>>();
export function tstmt(d: number): fc.Arbitrary<TS> {
  const hit = tstmts.get(d);
  if (hit) return hit;
  const simple = fc.oneof(
    { arbitrary: fc.record({ t: lit("let"), e: texpr(2) }), weight: 4 },
    { arbitrary: fc.record({ t: lit("set"), v: nat(3), e: texpr(2) }), weight: 3 },
    { arbitrary: fc.record({ t: lit("step"), l: nat(3), form: nat(6), c: tcond }), weight: 1 },
    { arbitrary: fc.record({ t: lit("brk"), c: tcond, cont: fc.boolean() }), weight: 1 },
    { arbitrary: fc.record({ t: lit("ret"), c: tcond, e: texpr(1) }), weight: 1 },
  );
  let a: fc.Arbitrary<TS> = simple;
  if (d > 0) {
    const block = fc.array(tstmt(d - 1), { minLength: 1, maxLength: 3 });
    const arm = fc.array(tstmt(0), { maxLength: 2 });
    const exit = fc.oneof({ arbitrary: fc.constant(0), weight: 5 }, { arbitrary: fc.integer({ min: 1, max: 3 }), weight: 2 });
    const loop: fc.Arbitrary<TLoop> = fc.record({
      t: lit("loop"),
      form: nat(6),
      dir: fc.constantFrom(0, 0, 0, 1),
      n: fc.constantFrom(0, 0, 0, 1, 2, 3, 4),
      nv: nat(3),
      init: fc.constantFrom(0, 0, 1, 2, 2),
      dc: fc.oneof({ arbitrary: fc.constant(null), weight: 3 }, { arbitrary: tcond, weight: 2 }),
      guard: fc.constantFrom(false, false, false, true),
      step: nat(5),
      stepB: nat(5),
      place: nat(2),
      sc: tcond,
      ta: arm,
      tb: arm,
      body: block,
    });
    a = fc.oneof(
      { withCrossShrink: true },
      { arbitrary: simple, weight: 6 },
      { arbitrary: fc.record({ t: lit("for"), n: nat(3), body: block }), weight: 1 },
      { arbitrary: fc.record({ t: lit("if"), c: tcond, a: block, b: block, xa: exit, xb: exit, re: texpr(1) }), weight: 2 },
      { arbitrary: loop, weight: 3 },
    );
  }
  tstmts.set(d, a);
  return a;
}

const shapes: number[][] = [[3], [2, 3], [2, 1], [1, 3], [2], [], [3, 2], [2, 2, 3]];
const tparam: fc.Arbitrary<TParam> = fc.oneof(
  { arbitrary: fc.record({ kind: lit("t"), shape: fc.constantFrom(...shapes) }), weight: 4 },
  { arbitrary: fc.record({ kind: lit("num"), shape: fc.constant([] as number[]) }), weight: 1 },
);

const tensorParam: fc.Arbitrary<TParam> = fc.record({ kind: lit("t"), shape: fc.constantFrom(...shapes) });

const lhelper: fc.Arbitrary<LoopHelper> = fc.record({ form: nat(2), n: fc.integer({ min: 1, max: 4 }), at: cst, at2: cst, step: nat(5), upd: elementwise, out: elementwise });
const trec: fc.Arbitrary<TRec> = fc.record({ at: cst, base: elementwise, step: elementwise, comb: nat(2) });

export const tensorProgram: fc.Arbitrary<TensorProgram> = fc.record({
  // at least one Tensor parameter (a program of numbers only would need a factory inside f)
  params: fc.tuple(tensorParam, fc.array(tparam, { maxLength: 2 })).map(([a, rest]) => [a, ...rest]),
  helpers: fc.array(elementwise, { maxLength: 2 }),
  lhelpers: fc.array(lhelper, { maxLength: 1 }),
  trecs: fc.array(trec, { maxLength: 1 }),
  body: fc.array(tstmt(2), { maxLength: 4 }),
  ret: texpr(2),
  reduceOut: fc.boolean(),
});

const pool = fc.array(fc.integer({ min: -150, max: 150 }), { minLength: 24, maxLength: 24 });
export const tensorCase: fc.Arbitrary<TensorCase> = fc.record({ prog: tensorProgram, pools: fc.tuple(pool, pool) });

// ---------------------------------------------------------------- rendering

interface TVal {
  code: string;
  shape: number[];
}
/** A loop counter in scope (see gen.ts). */
interface TCtr {
  name: string;
  dir: number;
  guard: { v: boolean };
}
/** A loop bounded by x.size(0): until its counter moves forward in the body, x.select(0, i) is in range. */
interface TSafe {
  ctr: TCtr;
  name: string;
  dirty: { v: boolean };
}

interface TScope {
  tensors: { name: string; shape: number[] }[];
  nums: string[];
  helpers: number;
  lhelpers: number;
  trecs: number;
  consts: string[]; // module-level constants, shared by the whole program
  fresh: { n: number };
  indent: string;
  loops: TCtr[]; // innermost last
  inLoop: boolean;
  /** what a `continue` of the innermost loop runs first (its counter's step, a bottom exit) */
  cont: string[];
  safe: TSafe[];
  /** every TSafe of the function (a statement that moves a counter, however deep, dirties them all) */
  allSafe: TSafe[];
  /** f's output shape (early returns convert to it); undefined while it is not known yet */
  out?: number[];
}

const tcounter = (sc: TScope, l: number): TCtr | undefined =>
  sc.loops.length ? sc.loops[sc.loops.length - 1 - Math.min([0, 0, 1, 2][l % 4], sc.loops.length - 1)] : undefined;

/** Row i of a tensor variable at a counter: in range (a safe loop's tensor), else modulo its size. */
function rowAt(sc: TScope, t: { name: string; shape: number[] }, c: TCtr): string {
  const safe = sc.safe.some((x) => x.ctr === c && x.name === t.name && !x.dirty.v);
  return `${t.name}.select(0, ${safe ? c.name : `${c.name} % ${t.shape[0]}`})`;
}

export function renderTC(c: TC, sc: TScope): string {
  const ctr = tcounter(sc, 0);
  if (c.el && ctr) {
    // the row the loop is at: the safe loop's own tensor first
    const own = sc.safe.find((x) => x.ctr === ctr && !x.dirty.v);
    const ranked = sc.tensors.filter((t) => t.shape.length > 0);
    const t = (own && sc.tensors.find((x) => x.name === own.name)) ?? ranked[c.k % Math.max(1, ranked.length)];
    if (t) return `${rowAt(sc, t, ctr)}.sum().item() > ${c.at}`;
  }
  const t = sc.tensors.length ? sc.tensors[sc.tensors.length - 1 - (c.k % sc.tensors.length)] : undefined;
  const k = sc.nums.length && (c.k % 2 === 0 || !t) ? sc.nums[c.k % sc.nums.length] : t ? `${t.name}.sum().item()` : "1";
  return `${k} > ${c.at}`;
}

const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);
function broadcast(a: number[], b: number[]): number[] | undefined {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out.push(Math.max(x, y));
  }
  return out;
}
const same = (a: number[], b: number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** A deterministic value table for constants (no Math.random in tests). */
function values(seed: number, n: number): number[] {
  let a = (seed * 2654435761) >>> 0;
  return Array.from({ length: n }, () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.round((((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5) * 20) / 10;
  });
}
function nestedArray(shape: number[], flat: number[]): string {
  if (shape.length === 0) return String(flat[0]);
  const step = numel(shape.slice(1));
  return `[${Array.from({ length: shape[0] }, (_, i) => nestedArray(shape.slice(1), flat.slice(i * step, (i + 1) * step))).join(", ")}]`;
}

function constant(sc: TScope, shape: number[], vals: number[]): string {
  const name = `K${sc.consts.length}`;
  sc.consts.push(`const ${name} = tensor(${nestedArray(shape, vals)}, { dtype: "float64" });`);
  return name;
}

const MAX_RANK = 3;
const MAX_NUMEL = 12;

export function renderTE(e: TE, sc: TScope): TVal {
  const r = (x: TE) => renderTE(x, sc);
  switch (e.t) {
    case "x": {
      if (sc.tensors.length === 0) return { code: "tensor(0.5, { dtype: \"float64\" })", shape: [] };
      const v = sc.tensors[sc.tensors.length - 1 - (e.i % sc.tensors.length)];
      return { code: v.name, shape: v.shape };
    }
    case "un": {
      const a = r(e.a);
      const c = a.code;
      const code = {
        exp: `${c}.tanh().exp()`,
        log: `${c}.mul(${c}).add(1).log()`,
        sqrt: `${c}.mul(${c}).add(1).sqrt()`,
        sin: `${c}.sin()`,
        cos: `${c}.cos()`,
        tanh: `${c}.tanh()`,
        sigmoid: `${c}.sigmoid()`,
        relu: `${c}.relu()`,
        abs: `${c}.abs()`,
        neg: `${c}.neg()`,
        pow2: `${c}.pow(2)`,
        pow3: `${c}.pow(3)`,
        powf: `${c}.sigmoid().add(0.5).pow(1.5)`,
        // (a variant: reached through its op's options)
        geluTanh: `${c}.gelu({ approximate: "tanh" })`,
      }[e.f as string] ?? `${inDomain(c, e.f, 0)}.${e.f}()`;
      return { code, shape: a.shape };
    }
    case "bin": {
      const a = r(e.a);
      let b = r(e.b);
      let shape = broadcast(a.shape, b.shape);
      if (!shape || numel(shape) > MAX_NUMEL || shape.length > MAX_RANK) {
        b = { code: `${b.code}.sum()`, shape: [] };
        shape = a.shape;
      }
      const bc = e.op === "div" ? `${b.code}.mul(${b.code}).add(1)` : inDomain(b.code, e.op, 1);
      // (both operands: hypot's partials are 0/0 where both are 0, and the modes then spread that NaN
      // differently, rows against columns, as PyTorch's do; its declared domain keeps input > 0)
      return { code: `${inDomain(a.code, e.op, 0)}.${e.op}(${bc})`, shape };
    }
    case "sc": {
      const a = r(e.a);
      const k = sc.nums.length ? sc.nums[e.k % sc.nums.length] : String(e.v);
      if (e.op === "div") return { code: `${a.code}.div(1 + ${k} * ${k})`, shape: a.shape };
      return { code: `${a.code}.${e.op}(${k})`, shape: a.shape };
    }
    case "red": {
      const a = r(e.a);
      const rank = a.shape.length;
      if (rank === 0) return a;
      if (e.f === "all") return { code: `${a.code}.sum()`, shape: [] };
      const dim = e.dim % rank;
      if (e.f === "softmax" || e.f === "logSoftmax" || e.f === "cumsum" || e.f === "cumprod") return { code: `${a.code}.${e.f}(${dim})`, shape: a.shape };
      // nn: layerNorm over the trailing dims from `dim` (eps keeps a constant row smooth); losses against a function of the operand, keep: reduction "none"
      if (e.f === "layerNorm") return { code: `layerNorm(${a.code}, [${a.shape.slice(dim).join(", ")}], undefined, undefined, 0.1)`, shape: a.shape };
      if (e.f === "mseLoss" || e.f === "bceLogits") {
        const fn = e.f === "mseLoss" ? "mseLoss" : "binaryCrossEntropyWithLogits";
        const red = e.keep ? "none" : dim === 0 ? "mean" : "sum";
        return { code: `${fn}(${a.code}, ${a.code}.sin().sigmoid(), { reduction: "${red}" })`, shape: e.keep ? a.shape : [] };
      }
      const shape = e.keep ? a.shape.map((d, i) => (i === dim ? 1 : d)) : a.shape.filter((_, i) => i !== dim);
      // (finite and smooth: the 2-norm of random values, var with correction 0, std only over more than one element)
      if (e.f === "norm") return { code: `${a.code}.norm(2, ${dim}${e.keep ? ", true" : ""})`, shape };
      if (e.f === "var" || e.f === "std") {
        const f = e.f === "std" && a.shape[dim] > 1 ? "std" : "var";
        return { code: `${a.code}.${f}(${dim}, { correction: 0${e.keep ? ", keepdim: true" : ""} })`, shape };
      }
      return { code: `${a.code}.${e.f}(${dim}${e.keep ? ", true" : ""})`, shape };
    }
    case "mm": {
      const a = r(e.a);
      if (a.shape.length === 0) return a;
      const k = a.shape[a.shape.length - 1];
      const shape = [...a.shape.slice(0, -1), e.m];
      if (numel(shape) > MAX_NUMEL) return a;
      const W = constant(sc, [k, e.m], values(e.seed, k * e.m));
      // (odd seeds: the same product as nn's linear, x (Wᵀ)ᵀ)
      return { code: e.seed % 2 ? `linear(${a.code}, ${W}.t())` : `${a.code}.matmul(${W})`, shape };
    }
    case "shape": {
      const a = r(e.a);
      const s = a.shape;
      switch (e.op) {
        case "t":
          return s.length === 2 ? { code: `${a.code}.t()`, shape: [s[1], s[0]] } : a;
        case "transpose":
          return s.length >= 2 ? { code: `${a.code}.transpose(0, ${s.length - 1})`, shape: [s[s.length - 1], ...s.slice(1, -1), s[0]] } : a;
        case "unsqueeze":
          return s.length < MAX_RANK ? { code: `${a.code}.unsqueeze(0)`, shape: [1, ...s] } : a;
        case "flatten":
          return s.length >= 1 ? { code: `${a.code}.flatten()`, shape: [numel(s)] } : a;
        case "reshape":
          return s.length >= 1 ? { code: `${a.code}.reshape(${numel(s)}, 1)`, shape: [numel(s), 1] } : a;
        case "select":
          // inside a loop, the row of the loop's index
          return s.length >= 1 ? { code: `${a.code}.select(0, ${sc.loops.length ? `${sc.loops[sc.loops.length - 1].name} % ${s[0]}` : s[0] - 1})`, shape: s.slice(1) } : a;
        case "narrow":
          return s.length >= 1 && s[s.length - 1] >= 2 ? { code: `${a.code}.narrow(${s.length - 1}, 1, ${s[s.length - 1] - 1})`, shape: [...s.slice(0, -1), s[s.length - 1] - 1] } : a;
        case "permute":
          return s.length === 3 ? { code: `${a.code}.permute(2, 0, 1)`, shape: [s[2], s[0], s[1]] } : s.length === 2 ? { code: `${a.code}.permute([1, 0])`, shape: [s[1], s[0]] } : a;
        case "squeeze": {
          const d = s.indexOf(1);
          return d >= 0 ? { code: `${a.code}.squeeze(${d})`, shape: s.filter((_, i) => i !== d) } : a;
        }
        case "expand": {
          const d = s.indexOf(1);
          if (d < 0 || numel(s) * 2 > MAX_NUMEL) return a;
          const to = s.map((x, i) => (i === d ? 2 : x));
          return { code: `${a.code}.expand(${to.join(", ")})`, shape: to };
        }
        // the movement ops of issue 17
        case "flip":
          return s.length >= 1 ? { code: `${a.code}.flip(${s.length > 1 ? "0, -1" : "0"})`, shape: s } : a;
        case "roll":
          return s.length >= 1 ? { code: s.length > 1 ? `${a.code}.roll([1, -1], [0, ${s.length - 1}])` : `${a.code}.roll(2)`, shape: s } : a;
        case "repeat":
        case "tile": {
          if (numel(s) * 2 > MAX_NUMEL || s.length >= MAX_RANK) return a;
          // repeat: one size per dim and one more in front; tile: one size, the last dim's
          return e.op === "repeat" ? { code: `${a.code}.repeat(${[2, ...s.map(() => 1)].join(", ")})`, shape: [2, ...s] } : s.length ? { code: `${a.code}.tile([2])`, shape: [...s.slice(0, -1), 2 * s[s.length - 1]] } : a;
        }
        case "movedim":
          return s.length >= 2 ? { code: `${a.code}.movedim(0, -1)`, shape: [...s.slice(1), s[0]] } : a;
        case "unflatten":
          return s.length >= 1 && s.length < MAX_RANK ? { code: `${a.code}.unflatten(0, [1, -1])`, shape: [1, ...s] } : a;
        case "clone":
          return { code: `${a.code}.clone()`, shape: s };
        case "diag":
          if (s.length === 1 && (s[0] + 1) ** 2 <= MAX_NUMEL) return { code: `${a.code}.diag(1)`, shape: [s[0] + 1, s[0] + 1] };
          return s.length === 2 ? { code: `${a.code}.diag()`, shape: [Math.min(s[0], s[1])] } : a;
        case "diagonal":
          return s.length >= 2 ? { code: `${a.code}.diagonal(0, 0, -1)`, shape: [...s.slice(1, -1), Math.min(s[0], s[s.length - 1])] } : a;
        case "trace":
          return s.length === 2 ? { code: `${a.code}.trace()`, shape: [] } : a;
        case "tril":
        case "triu":
          return s.length >= 2 ? { code: `${a.code}.${e.op}(${e.op === "tril" ? 0 : -1})`, shape: s } : a;
        case "chunk":
          // the second piece of two (the first when the dim has one entry)
          return s.length >= 1 && s[0] >= 2 ? { code: `${a.code}.chunk(2)[1]`, shape: [s[0] - Math.ceil(s[0] / 2), ...s.slice(1)] } : a;
        case "unbind":
          return s.length >= 1 ? { code: `${a.code}.unbind(0)[${s[0] - 1}]`, shape: s.slice(1) } : a;
        case "pad":
          // one entry of 0.5 before the last dim, its last entry cut
          return s.length >= 1 ? { code: `${a.code}.pad([1, -1], 0.5)`, shape: s } : a;
        // nn (CPU only): a [C, L] or [N, C, L] signal through two filters of width 2 (padding 1); pools of [C, H, W]
        case "conv1d": {
          if (s.length < 2 || s[s.length - 1] < 2) return a;
          const C = s[s.length - 2], L = s[s.length - 1];
          const shape = [...s.slice(0, -2), 2, L + 1];
          if (numel(shape) > MAX_NUMEL) return a;
          const W = constant(sc, [2, C, 2], values(C * 7 + L, 4 * C));
          return { code: `conv1d(${a.code}, ${W}, undefined, 1, 1)`, shape };
        }
        case "maxPool2d":
        case "avgPool2d":
          return s.length === 3 && s[1] >= 2 && s[2] >= 2 ? { code: `${e.op}(${a.code}, 2, 1)`, shape: [s[0], s[1] - 1, s[2] - 1] } : a;
        // gather / scatterAdd along the last dim with a captured index of a's shape (repeats included),
        // scatter with a permutation (each place written once: its src derivative is exact), and
        // maskedSelect with a captured mask (its length known here)
        case "gather":
        case "scatterAdd":
        case "scatter": {
          if (s.length === 0) return a;
          const n = s[s.length - 1];
          const idx = Array.from({ length: numel(s) }, (_, i) => (e.op === "scatter" ? ((i % n) + 1) % n : (i * (e.op === "gather" ? 7 : 5) + 3) % n));
          const K = constant(sc, s, idx);
          return { code: e.op === "gather" ? `${a.code}.gather(-1, ${K})` : `${a.code}.${e.op}(-1, ${K}, ${a.code}.sin())`, shape: s };
        }
        case "maskedSelect": {
          if (s.length === 0) return a;
          const bits = Array.from({ length: numel(s) }, (_, i) => (i * 3 + 1) % 4 !== 0);
          const name = `K${sc.consts.length}`;
          sc.consts.push(`const ${name} = tensor(${nestedArray(s, bits.map(Number)).replace(/\d+/g, (d) => (d === "1" ? "true" : "false"))});`);
          return { code: `${a.code}.maskedSelect(${name})`, shape: [bits.filter(Boolean).length] };
        }
      }
      return a;
    }
    case "join": {
      const a = r(e.a);
      const b = r(e.b);
      switch (e.op) {
        case "cat":
          if (a.shape.length >= 1 && same(a.shape.slice(1), b.shape.slice(1)) && b.shape.length === a.shape.length && numel(a.shape) + numel(b.shape) <= MAX_NUMEL)
            return { code: `cat([${a.code}, ${b.code}], 0)`, shape: [a.shape[0] + b.shape[0], ...a.shape.slice(1)] };
          return a.shape.length >= 1 && numel(a.shape) * 2 <= MAX_NUMEL ? { code: `cat([${a.code}, ${a.code}.cos()], 0)`, shape: [a.shape[0] * 2, ...a.shape.slice(1)] } : a;
        case "stack": {
          const other = same(a.shape, b.shape) ? b.code : `${a.code}.sin()`;
          return numel(a.shape) * 2 <= MAX_NUMEL && a.shape.length < MAX_RANK ? { code: `stack([${a.code}, ${other}])`, shape: [2, ...a.shape] } : a;
        }
        case "outer": {
          if (a.shape.length !== 1) return a;
          const v = b.shape.length === 1 ? b : { code: `${a.code}.cos()`, shape: a.shape };
          return numel([a.shape[0], v.shape[0]]) <= MAX_NUMEL ? { code: `${a.code}.outer(${v.code})`, shape: [a.shape[0], v.shape[0]] } : a;
        }
        case "dot": {
          if (a.shape.length !== 1) return a;
          const v = same(a.shape, b.shape) ? b.code : `${a.code}.sin()`;
          return { code: `${a.code}.dot(${v})`, shape: [] };
        }
      }
      return a;
    }
    case "where": {
      const a = r(e.a);
      const b = r(e.b);
      const shape = broadcast(a.shape, b.shape);
      if (!shape || numel(shape) > MAX_NUMEL) return a;
      // one in three: a mask from the data, a comparison of a with a constant (a kink, as relu's)
      if (e.seed % 3 === 0) return { code: `where(${a.code}.${CMP[e.seed % 4]}(${((e.seed % 7) - 3) / 4}), ${a.code}, ${b.code})`, shape };
      const mask = constant(sc, shape, values(e.seed, numel(shape)).map((v) => (v > 0 ? 1 : 0)));
      return { code: `where(${mask}, ${a.code}, ${b.code})`, shape };
    }
    case "clamp": {
      const a = r(e.a);
      return { code: `${a.code}.clamp(${e.lo}, ${Math.round(e.lo * 10 + 10) / 10})`, shape: a.shape };
    }
    case "help": {
      const a = r(e.a);
      if (sc.helpers === 0) return a;
      const h = `th${e.h % sc.helpers}`;
      // a quarter of the calls through a marker inside f (SPEC: a marker may appear inside a differentiated function):
      // the helper's tangent or cotangent, a Tensor of a's shape
      if (e.h >= 12) return { code: `vjp(${h}, [${a.code}])[1](${a.code}.sin())[0]`, shape: a.shape };
      if (e.h >= 8 && e.h < 10) return { code: `jvp(${h}, [${a.code}], [${a.code}.cos()])[1]`, shape: a.shape };
      return { code: `${h}(${a.code})`, shape: a.shape };
    }
    case "row": {
      const a = r(e.a);
      if (a.shape.length === 0) return a;
      const c = tcounter(sc, e.l);
      const v = sc.tensors.find((t) => t.name === a.code);
      if (!c) return { code: `${a.code}.select(0, ${a.shape[0] - 1})`, shape: a.shape.slice(1) };
      return { code: v ? rowAt(sc, v, c) : `${a.code}.select(0, ${c.name} % ${a.shape[0]})`, shape: a.shape.slice(1) };
    }
    case "nar": {
      const a = r(e.a);
      if (a.shape.length === 0 || a.shape[0] < 2) return a;
      const c = tcounter(sc, e.l);
      return { code: `${a.code}.narrow(0, ${c ? `${c.name} % ${a.shape[0] - 1}` : 0}, 2)`, shape: [2, ...a.shape.slice(1)] };
    }
    case "whr": case "tern": {
      const a = r(e.a);
      const b = r(e.b);
      const c = renderTC(e.c, sc);
      if (e.t === "tern") return { code: `(${c} ? ${a.code} : ${same(a.shape, b.shape) ? b.code : `${a.code}.mul(0.5)`})`, shape: a.shape };
      const shape = broadcast(a.shape, b.shape);
      if (!shape || numel(shape) > MAX_NUMEL) return { code: `where(${c}, ${a.code}, ${b.code}.sum())`, shape: a.shape };
      return { code: `where(${c}, ${a.code}, ${b.code})`, shape };
    }
    case "lhelp": {
      const a = r(e.a);
      return sc.lhelpers ? { code: `tl${e.h % sc.lhelpers}(${a.code})`, shape: a.shape } : a;
    }
    case "trec": {
      const a = r(e.a);
      if (!sc.trecs) return a;
      const ranked = sc.tensors.find((t) => t.shape.length > 0);
      const num = sc.nums.length ? sc.nums[0] : `${a.code}.sum().item()`;
      const d = e.d === 0 ? "3" : e.d === 1 ? `Math.floor(2 + 2 * Math.tanh(${num}))` : ranked ? `${ranked.name}.size(0)` : "2";
      return { code: `tr${e.r % sc.trecs}(${a.code}, ${d})`, shape: a.shape };
    }
  }
}

/** A nested block's own locals feed the accumulator `acc` (0-d), so that they reach the result. */
function ownSum(inner: TScope, outer: TScope): string[] {
  const own = inner.tensors.filter((t) => !outer.tensors.includes(t));
  if (!own.length || !outer.tensors.some((t) => t.name === "acc")) return [];
  return [`${inner.indent}acc = acc.add(${own.map((t) => `${t.name}.sum()`).join(".add(")}${")".repeat(own.length - 1)}.tanh());`];
}
function nested(body: TS[], inner: TScope, outer: TScope): string[] {
  return [...body.flatMap((x) => renderTS(x, inner)), ...ownSum(inner, outer)];
}
const childT = (sc: TScope, over: Partial<TScope> = {}): TScope => ({ ...sc, tensors: [...sc.tensors], loops: [...sc.loops], indent: sc.indent + "  ", ...over });

/** Converts a value to f's output shape for an early return. */
function toOut(v: TVal, sc: TScope): string {
  const o = sc.out;
  if (!o || same(v.shape, o)) return v.code;
  if (o.length === 0) return `${v.code}.sum()`;
  return `${constant(sc, o, values(o.length * 7 + numel(o), numel(o)))}.mul(${v.code}.sum().tanh())`;
}

const GUARD = 6;
function upStep(form: number, i: string, c: () => string): string {
  switch (form % 6) {
    case 0: return `${i}++`;
    case 1: return `${i} += 1`;
    case 2: return `${i} = ${i} + 2`;
    case 3: return `${i} += ${c()} ? 2 : 1`;
    case 4: return `++${i}`;
    default: return `${i} += 2`;
  }
}
function downStep(form: number, i: string): string {
  return [`${i}--`, `${i} -= 1`, `${i} = ${i} - 1`, `--${i}`][form % 4];
}

function renderIf(s: Extract<TS, { t: "if" }>, sc: TScope, tailA: string[], tailB: string[]): string[] {
  const I = sc.indent;
  const arm = (body: TS[], x: number, tail: string[]): string[] => {
    const inner = childT(sc);
    const J = inner.indent;
    const lines = [...nested(body, inner, sc), ...tail.map((l) => J + l)];
    if (x === 3) lines.push(`${J}return ${toOut(renderTE(s.re, inner), inner)};`);
    else if (x === 1 && sc.inLoop) lines.push(`${J}break;`);
    else if (x === 2 && sc.inLoop) lines.push(...(tail.length ? sc.cont.slice(1) : sc.cont).map((l) => J + l), `${J}continue;`);
    return lines;
  };
  return [`${I}if (${renderTC(s.c, sc)}) {`, ...arm(s.a, s.xa, tailA), `${I}} else {`, ...arm(s.b, s.xb, tailB), `${I}}`];
}

function renderLoop(s: TLoop, sc: TScope): string[] {
  const I = sc.indent;
  const outer = sc.loops[sc.loops.length - 1];
  const shared = s.init === 2 && outer !== undefined && outer.dir === 0 && s.dir === 0;
  const dir = s.dir === 1 && !shared ? 1 : 0;
  const form = dir === 1 ? ([0, 0, 2, 2, 4, 0, 2] as const)[s.form] : s.form;
  const ctr: TCtr = shared ? outer : { name: `i${sc.fresh.n++}`, dir, guard: { v: false } };
  const i = ctr.name;
  const ranked = sc.tensors.filter((t) => t.shape.length > 0);
  const over = s.n === 0 && ranked.length ? ranked[s.nv % ranked.length] : undefined;
  const num = sc.nums.length ? sc.nums[s.nv % sc.nums.length] : `${sc.tensors[s.nv % sc.tensors.length].name}.sum().item()`;
  const N = over ? `${over.name}.size(0)` : s.n === 4 ? `Math.floor(2 + 2 * Math.sin(${num}))` : String(Math.max(1, s.n));
  const from = s.init === 1 && outer ? outer.name : undefined;
  const checked = form === 0 || form === 2 || form === 4 || ((form === 1 || form === 3 || form === 6) && !shared && from === undefined);
  const inRange = over !== undefined && (dir === 1 ? from === undefined : checked);
  const safe: TSafe[] = inRange ? [{ ctr, name: over!.name, dirty: { v: false } }] : [];
  sc.allSafe.push(...safe);
  const inner = childT(sc, { inLoop: true, loops: shared ? [...sc.loops] : [...sc.loops, ctr], cont: [], safe });
  const J = inner.indent;
  const unsafe = { ...inner, safe: [] };
  const dc = s.dc ? renderTC(s.dc, (dir === 1 && form !== 4) || form === 5 || form === 6 ? unsafe : inner) : undefined;
  const and = dc ? ` && ${dc}` : "";
  const go = (dir === 0 ? `${i} < ${N}` : form === 4 ? `${i} >= 0` : `${i} > 0`) + and;
  // (a bound from the data is NaN where the data is: an exit that holds then too)
  const nan = !over && s.n === 4;
  const stop = (dir === 0 ? (nan ? `!(${i} < ${N})` : `${i} >= ${N}`) : nan ? `!(${i} > 0)` : `${i} <= 0`) + (dc ? ` || !(${dc})` : "");
  const stepOf = (f: number, at: TScope = inner) => (dir === 0 ? upStep(f, i, () => renderTC(s.sc, at)) : downStep(f, i));
  const stepsAtEnd = dir === 0 && form <= 3;
  if (stepsAtEnd) inner.cont = [`${stepOf(s.step, unsafe)};`, ...(form === 3 ? [`if (${stop}) break;`] : [])];
  const top: TScope = { ...inner, tensors: [...inner.tensors] };
  const lines: string[] = [];
  if (dir === 1 && form !== 4) lines.push(`${J}${stepOf(s.step)};`);
  lines.push(...s.body.flatMap((x) => renderTS(x, inner)));
  if (stepsAtEnd && s.place === 2) {
    lines.push(...renderIf({ t: "if", c: s.sc, a: s.ta, b: s.tb, xa: 0, xb: 0, re: { t: "x", i: 0 } }, inner, [`${stepOf(s.step, unsafe)};`], [`${stepOf(s.stepB, unsafe)};`]));
  }
  lines.push(...ownSum(inner, sc));
  if (stepsAtEnd && s.place === 0) lines.push(`${J}${stepOf(s.step)};`);
  if (stepsAtEnd && s.place === 1) lines.push(`${J}if (${renderTC(s.sc, inner)}) {`, `${J}  ${stepOf(s.step)};`, `${J}} else {`, `${J}  ${stepOf(s.stepB)};`, `${J}}`);
  if (form === 3) lines.push(`${J}if (${stop}) break;`);
  const header = form === 4 ? stepOf(s.step, top) : "";
  if (shared) for (const x of sc.allSafe) if (x.ctr === ctr) x.dirty.v = true;
  const guarded = s.guard || ctr.guard.v;
  const g = `g${sc.fresh.n++}`;
  const pre = guarded ? [`${I}let ${g} = 0;`] : [];
  const gc = guarded ? ` && ${g} < ${GUARD}` : "";
  const gTop = guarded ? [form === 2 || form === 3 ? `${J}if (++${g} > ${GUARD}) break;` : `${J}${g}++;`] : [];
  const init = shared ? "" : `let ${i} = ${from ?? (dir === 0 ? "0" : form === 4 ? `${N} - 1` : N)}`;
  const decl = shared || form === 4 ? [] : [`${I}${init};`];
  switch (form) {
    case 0: return [...pre, ...decl, `${I}while (${go}${gc}) {`, ...gTop, ...lines, `${I}}`];
    case 1: return [...pre, ...decl, `${I}do {`, ...gTop, ...lines, `${I}} while (${go}${gc});`];
    case 2: return [...pre, ...decl, `${I}while (true) {`, ...gTop, `${J}if (${stop}) break;`, ...lines, `${I}}`];
    case 3: return [...pre, ...decl, `${I}while (true) {`, ...gTop, ...lines, `${I}}`];
    case 4: return [...pre, `${I}for (${init}; ${go}${gc}; ${header}) {`, ...gTop, ...lines, `${I}}`];
    case 5: return [...pre, ...decl, `${I}while (${i}++ < ${N}${and}${gc}) {`, ...gTop, ...lines, `${I}}`];
    default: return [...pre, ...decl, `${I}do {`, ...gTop, ...lines, `${I}} while (++${i} < ${N}${and}${gc});`];
  }
}

function renderTS(s: TS, sc: TScope): string[] {
  const I = sc.indent;
  switch (s.t) {
    case "let": {
      const v = renderTE(s.e, sc);
      const name = `t${sc.fresh.n++}`;
      sc.tensors.push({ name, shape: v.shape });
      return [`${I}let ${name} = ${v.code};`];
    }
    case "set": {
      const locals = sc.tensors.filter((t) => /^t\d/.test(t.name));
      if (locals.length === 0) return [];
      const tgt = locals[locals.length - 1 - (s.v % locals.length)];
      const v = renderTE(s.e, sc);
      const b = broadcast(tgt.shape, v.shape);
      const code = b && same(b, tgt.shape) ? v.code : `${v.code}.sum()`;
      return [`${I}${tgt.name} = ${tgt.name}.mul(0.5).add(${code}.tanh());`];
    }
    case "for": {
      const first = sc.tensors.find((t) => t.shape.length > 0);
      const n = s.n === 0 && first ? `${first.name}.size(0)` : String(Math.max(1, s.n));
      const ctr: TCtr = { name: `i${sc.fresh.n++}`, dir: 0, guard: { v: false } };
      const i = ctr.name;
      const safe: TSafe[] = s.n === 0 && first ? [{ ctr, name: first.name, dirty: { v: false } }] : [];
      sc.allSafe.push(...safe);
      const inner = childT(sc, { loops: [...sc.loops, ctr], inLoop: true, cont: [], safe });
      const body = nested(s.body, inner, sc);
      // (a statement of the body that moved the counter back, or an enclosing one: a guard)
      if (!ctr.guard.v) return [`${I}for (let ${i} = 0; ${i} < ${n}; ${i}++) {`, ...body, `${I}}`];
      const g = `g${sc.fresh.n++}`;
      return [`${I}let ${g} = 0;`, `${I}for (let ${i} = 0; ${i} < ${n} && ${g} < ${GUARD}; ${i}++) {`, `${I}  ${g}++;`, ...body, `${I}}`];
    }
    case "if":
      return renderIf(s, sc, [], []);
    case "loop":
      return renderLoop(s, sc);
    case "step": {
      const c = tcounter(sc, s.l);
      if (!c) return [];
      for (let k = sc.loops.length - 1; k >= 0 && sc.loops[k] !== c; k--) sc.loops[k].guard.v = true;
      const i = c.name;
      if (c.dir === 1) return [s.form % 2 ? `${I}if (${i} > 0) ${i}--;` : `${I}if (${renderTC(s.c, sc)} && ${i} > 0) ${i} -= 1;`];
      if (s.form === 6) {
        c.guard.v = true;
        return [`${I}if (${i} > 0) ${i}--;`];
      }
      for (const x of sc.allSafe) if (x.ctr === c) x.dirty.v = true;
      return [`${I}${upStep(s.form, i, () => renderTC(s.c, sc))};`];
    }
    case "brk": {
      if (!sc.inLoop) return [];
      const c = renderTC(s.c, sc);
      if (!s.cont || sc.cont.length === 0) return [`${I}if (${c}) ${s.cont ? "continue" : "break"};`];
      return [`${I}if (${c}) {`, ...sc.cont.map((l) => `${I}  ${l}`), `${I}  continue;`, `${I}}`];
    }
    case "ret":
      return [`${I}if (${renderTC(s.c, sc)}) return ${toOut(renderTE(s.e, sc), sc)};`];
  }
}

export interface RenderedTensor {
  source: string;
  imports: string;
  params: { name: string; type: string }[];
  outShape: number[];
}

export function renderTensorFull(p: TensorProgram): RenderedTensor {
  // twice: the first pass finds f's output shape, which early returns convert to in the second
  return renderPass(p, renderPass(p, undefined).outShape);
}

function renderPass(p: TensorProgram, out: number[] | undefined): RenderedTensor {
  const consts: string[] = [];
  const fresh = { n: 0 };
  const scope = (tensors: TScope["tensors"], over: Partial<TScope> = {}): TScope => ({
    tensors, nums: [], helpers: 0, lhelpers: 0, trecs: 0, consts, fresh: { n: 0 }, indent: "  ", loops: [], inLoop: false, cont: [], safe: [], allSafe: [], ...over,
  });
  const helpers = p.helpers.map((h, k) => {
    const sc = scope([{ name: "a", shape: [] }], { helpers: k });
    // elementwise bodies keep any shape; rendered for a 0-d shape (broadcasting never applies: one operand)
    return `function th${k}(a: Tensor): Tensor {\n  return ${renderTE(h, sc).code};\n}`;
  });
  // a loop over a loop-carried Tensor with an early return, and a counter that moves by 1 or 2
  const lhelpers = p.lhelpers.map((h, k) => {
    const sc = scope([{ name: "a", shape: [] }, { name: "r", shape: [] }], { helpers: p.helpers.length });
    const early = `    if (r.sum().item() > ${h.at}) return ${renderTE(h.out, sc).code};`;
    const upd = `    r = r.mul(0.5).add(${renderTE(h.upd, sc).code}.tanh());`;
    const step = `    ${upStep(h.step, "i", () => `r.sum().item() > ${h.at2}`)};`;
    const loop =
      h.form === 0
        ? ["  let i = 0;", `  while (i < ${h.n}) {`, early, upd, step, "  }"]
        : h.form === 1
          ? ["  let i = 0;", "  do {", early, upd, step, `  } while (i < ${h.n});`]
          : [`  for (let i = 0; i < ${h.n}; i++) {`, early, upd, "  }"];
    return [`function tl${k}(a: Tensor): Tensor {`, "  let r = a;", ...loop, "  return r;", "}"].join("\n");
  });
  // recursion whose depth depends on the data
  const trecs = p.trecs.map((r, k) => {
    const sc = scope([{ name: "a", shape: [] }], { helpers: p.helpers.length });
    const call = `tr${k}(${renderTE(r.step, sc).code}.tanh(), d - 1)`;
    const base = renderTE(r.base, sc).code;
    const ret = r.comb === 0 ? `${call}.mul(0.8).add(a.mul(0.1))` : r.comb === 1 ? `${call}.add(${base})` : call;
    return [`function tr${k}(a: Tensor, d: number): Tensor {`, `  if (d <= 0 || a.sum().item() > ${r.at}) return ${base};`, `  return ${ret};`, "}"].join("\n");
  });
  const names = p.params.map((q, k) => (q.kind === "t" ? `x${k}` : `k${k}`));
  const sc = scope(
    p.params.flatMap((q, k) => (q.kind === "t" ? [{ name: names[k], shape: q.shape }] : [])),
    { nums: p.params.flatMap((q, k) => (q.kind === "num" ? [names[k]] : [])), helpers: p.helpers.length, lhelpers: p.lhelpers.length, trecs: p.trecs.length, fresh, out },
  );
  const body: string[] = [];
  if (p.body.length) {
    const x = sc.tensors[0];
    body.push(`  let acc = ${x.name}.sum().mul(0.5);`);
    sc.tensors.push({ name: "acc", shape: [] });
  }
  const top = sc.tensors.length;
  body.push(...p.body.flatMap((s) => renderTS(s, sc)));
  let ret = renderTE(p.ret, sc);
  // the top-level locals (and the accumulator) reach the result
  const live = sc.tensors.slice(top - (p.body.length ? 1 : 0)).map((t) => (t.shape.length ? `${t.name}.sum()` : t.name));
  if (live.length) ret = { code: `${ret.code}.add(${live.join(".add(")}${")".repeat(live.length - 1)}.mul(0.5))`, shape: ret.shape };
  if (p.reduceOut || ret.shape.length > 2 || numel(ret.shape) > MAX_NUMEL) ret = { code: `${ret.code}.sum()`, shape: [] };
  const fn = [
    `export function f(${p.params.map((q, k) => `${names[k]}: ${q.kind === "t" ? "Tensor" : "number"}`).join(", ")}): Tensor {`,
    ...body,
    `  return ${ret.code};`,
    "}",
  ];
  return {
    imports: `import { tensor, where, cat, stack, conv1d, maxPool2d, avgPool2d, layerNorm, linear, mseLoss, binaryCrossEntropyWithLogits, vjp, jvp, type Tensor } from "jacc";`,
    source: [...consts, ...helpers, ...lhelpers, ...trecs, ...fn].join("\n") + "\n",
    params: p.params.map((q, k) => ({ name: names[k], type: q.kind === "t" ? "Tensor" : "number" })),
    outShape: ret.shape,
  };
}

export const renderTensor = (p: TensorProgram): string => {
  const r = renderTensorFull(p);
  return `${r.imports}\n${r.source}`;
};

export function tensorArgs(c: TensorCase, p: number): (number | Tensor)[] {
  const pool = c.pools[p];
  let k = 0;
  const next = () => +poolValue(pool, k++).toFixed(6);
  return c.prog.params.map((q) => {
    if (q.kind === "num") return next();
    const n = numel(q.shape);
    return new Tensor(Float64Array.from({ length: n }, next), q.shape);
  });
}

export function tensorSubject(c: TensorCase): Subject {
  const r = renderTensorFull(c.prog);
  return {
    source: r.source,
    imports: r.imports,
    params: r.params,
    outShapes: [r.outShape],
    tuple: false,
    scalarOut: r.outShape.length === 0,
    tensorOut: true,
    points: [tensorArgs(c, 0), tensorArgs(c, 1)],
  };
}
