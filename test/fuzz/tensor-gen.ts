// Random tensor programs (SPEC §5 ops, PyTorch broadcasting) as fast-check
// arbitraries: elementwise chains, reductions over dims (with and without
// keepdim), softmax, matmul with a captured constant matrix, shape ops, where
// with a captured mask, clamp, number parameters mixed in, helper functions,
// loops and a branch on a number parameter.
//
// The renderer tracks every value's static shape; an op whose operands do not
// fit (shapes that do not broadcast, a reduction of a 0-d tensor) falls back to
// something that does (the operand reduced to 0-d, the operand itself), so
// every value of the arbitrary, shrunk or not, renders to a valid program.
import fc from "fast-check";
import { Tensor } from "jacc";
import type { Subject } from "./check.js";
import { poolValue } from "./gen.js";

export const UN = ["exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "abs", "neg", "pow2", "pow3", "powf"] as const;
export type Un = (typeof UN)[number];
export const BIN = ["add", "sub", "mul", "div", "maximum", "minimum"] as const;
export const JOIN = ["cat", "stack", "outer", "dot"] as const;
export type Join = (typeof JOIN)[number];
export type Bin = (typeof BIN)[number];
export const RED = ["sum", "mean", "max", "min", "prod", "softmax", "logSoftmax", "all"] as const;
export type Red = (typeof RED)[number];
export const SHAPE = ["t", "unsqueeze", "flatten", "transpose", "reshape", "select", "narrow", "permute", "squeeze", "expand"] as const;
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
  | { t: "join"; op: Join; a: TE; b: TE };

export type TS =
  | { t: "let"; e: TE }
  | { t: "set"; v: number; e: TE }
  | { t: "for"; n: number; body: TS[] }
  | { t: "if"; k: number; at: number; a: TS[]; b: TS[] };

export interface TParam {
  kind: "t" | "num";
  shape: number[];
}
export interface TensorProgram {
  params: TParam[];
  helpers: TE[]; // helper bodies over their parameter (elementwise: the shape is kept)
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
      { arbitrary: fc.record({ t: lit("help"), h: nat(3), a: s }), weight: 1 },
      { arbitrary: fc.record({ t: lit("join"), op: fc.constantFrom(...JOIN), a: s, b: s }), weight: 1 },
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
    { arbitrary: fc.record({ t: lit("set"), v: nat(3), e: texpr(2) }), weight: 2 },
  );
  let a: fc.Arbitrary<TS> = simple;
  if (d > 0) {
    const block = fc.array(tstmt(d - 1), { minLength: 1, maxLength: 3 });
    a = fc.oneof(
      { withCrossShrink: true },
      { arbitrary: simple, weight: 6 },
      { arbitrary: fc.record({ t: lit("for"), n: nat(3), body: block }), weight: 1 },
      { arbitrary: fc.record({ t: lit("if"), k: nat(3), at: cst, a: block, b: block }), weight: 1 },
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

export const tensorProgram: fc.Arbitrary<TensorProgram> = fc.record({
  // at least one Tensor parameter (a program of numbers only would need a factory inside f)
  params: fc.tuple(tensorParam, fc.array(tparam, { maxLength: 2 })).map(([a, rest]) => [a, ...rest]),
  helpers: fc.array(elementwise, { maxLength: 2 }),
  body: fc.array(tstmt(1), { maxLength: 4 }),
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
interface TScope {
  tensors: { name: string; shape: number[] }[];
  nums: string[];
  helpers: number;
  consts: string[]; // module-level constants, shared by the whole program
  fresh: { n: number };
  indent: string;
  loop?: string;
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
      }[e.f];
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
      const bc = e.op === "div" ? `${b.code}.mul(${b.code}).add(1)` : b.code;
      return { code: `${a.code}.${e.op}(${bc})`, shape };
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
      if (e.f === "softmax" || e.f === "logSoftmax") return { code: `${a.code}.${e.f}(${dim})`, shape: a.shape };
      const shape = e.keep ? a.shape.map((d, i) => (i === dim ? 1 : d)) : a.shape.filter((_, i) => i !== dim);
      return { code: `${a.code}.${e.f}(${dim}${e.keep ? ", true" : ""})`, shape };
    }
    case "mm": {
      const a = r(e.a);
      if (a.shape.length === 0) return a;
      const k = a.shape[a.shape.length - 1];
      const shape = [...a.shape.slice(0, -1), e.m];
      if (numel(shape) > MAX_NUMEL) return a;
      const W = constant(sc, [k, e.m], values(e.seed, k * e.m));
      return { code: `${a.code}.matmul(${W})`, shape };
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
          return s.length >= 1 ? { code: `${a.code}.select(0, ${sc.loop ? `${sc.loop} % ${s[0]}` : s[0] - 1})`, shape: s.slice(1) } : a;
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
      return { code: `th${e.h % sc.helpers}(${a.code})`, shape: a.shape };
    }
  }
}

/** A nested block; its own locals feed the accumulator `acc` (0-d), so that they reach the result. */
function nested(body: TS[], inner: TScope, outer: TScope): string[] {
  const lines = body.flatMap((x) => renderTS(x, inner));
  const own = inner.tensors.filter((t) => !outer.tensors.includes(t));
  if (own.length && outer.tensors.some((t) => t.name === "acc")) lines.push(`${inner.indent}acc = acc.add(${own.map((t) => `${t.name}.sum()`).join(".add(")}${")".repeat(own.length - 1)}.tanh());`);
  return lines;
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
      const i = `i${sc.indent.length}`;
      const inner: TScope = { ...sc, tensors: [...sc.tensors], indent: I + "  ", loop: i };
      return [`${I}for (let ${i} = 0; ${i} < ${n}; ${i}++) {`, ...nested(s.body, inner, sc), `${I}}`];
    }
    case "if": {
      // on a number parameter, or on a tensor's value (a comparison: piecewise constant, no derivative)
      const t = sc.tensors.length ? sc.tensors[sc.tensors.length - 1 - (s.k % sc.tensors.length)] : undefined;
      const k = sc.nums.length && (s.k % 2 === 0 || !t) ? sc.nums[s.k % sc.nums.length] : t ? `${t.name}.sum().item()` : "1";
      const a: TScope = { ...sc, tensors: [...sc.tensors], indent: I + "  " };
      const b: TScope = { ...sc, tensors: [...sc.tensors], indent: I + "  " };
      return [`${I}if (${k} > ${s.at}) {`, ...nested(s.a, a, sc), `${I}} else {`, ...nested(s.b, b, sc), `${I}}`];
    }
  }
}

export interface RenderedTensor {
  source: string;
  imports: string;
  params: { name: string; type: string }[];
  outShape: number[];
}

export function renderTensorFull(p: TensorProgram): RenderedTensor {
  const consts: string[] = [];
  const fresh = { n: 0 };
  const helpers = p.helpers.map((h, k) => {
    const sc: TScope = { tensors: [{ name: "a", shape: [] }], nums: [], helpers: k, consts, fresh: { n: 0 }, indent: "  " };
    // elementwise bodies keep any shape; rendered for a 0-d shape (broadcasting never applies: one operand)
    return `function th${k}(a: Tensor): Tensor {\n  return ${renderTE(h, sc).code};\n}`;
  });
  const names = p.params.map((q, k) => (q.kind === "t" ? `x${k}` : `k${k}`));
  const sc: TScope = {
    tensors: p.params.flatMap((q, k) => (q.kind === "t" ? [{ name: names[k], shape: q.shape }] : [])),
    nums: p.params.flatMap((q, k) => (q.kind === "num" ? [names[k]] : [])),
    helpers: p.helpers.length,
    consts,
    fresh,
    indent: "  ",
  };
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
    imports: `import { tensor, where, cat, stack, type Tensor } from "jacc";`,
    source: [...consts, ...helpers, ...fn].join("\n") + "\n",
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
