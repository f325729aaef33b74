// Random well-typed programs in jacc's differentiable language (SPEC §4), as
// fast-check arbitraries.
//
// A generated program is a small AST; `renderScalar` turns it into the text of
// a TypeScript module. References inside the AST are plain integers that the
// renderer resolves modulo what is in scope at that point (a variable, a
// vector, a helper), with a fallback when nothing of that kind is in scope, so
// EVERY value of the arbitrary, including every value fast-check reaches while
// shrinking, renders to a valid program. Domains are kept by construction:
// each Math function is rendered in a form whose argument stays inside its
// domain (log(1 + u ** 2), acosh(1.5 + u ** 2), atanh(0.5 * tanh(u)), …), and
// values that could grow without bound inside loops are squashed.
import fc from "fast-check";

// ---------------------------------------------------------------- AST

export type ParamKind = "num" | "int" | "arr" | "f64";
export type OutKind = "num" | "tuple" | "arr" | "f64";

export const M1 = [
  "exp", "log", "log1p", "expm1", "log2", "log10", "sqrt", "cbrt", "sin", "cos", "tan", "asin", "acos", "atan",
  "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "abs", "sign", "floor", "ceil", "round", "trunc",
] as const;
export type M1 = (typeof M1)[number];
export const M2 = ["pow", "atan2", "min", "max", "hypot", "fmod", "powi", "powr"] as const;
export type M2 = (typeof M2)[number];

export type E =
  | { t: "v"; i: number } // a scalar in scope
  | { t: "c"; v: number } // a constant
  | { t: "ix"; o: number } // the innermost loop index (an integer, not differentiated)
  | { t: "rd"; v: number; o: number } // a vector element, index (loop index + o) % length
  | { t: "bin"; op: "+" | "-" | "*"; a: E; b: E }
  | { t: "div"; form: number; a: E; b: E }
  | { t: "neg"; a: E }
  | { t: "m1"; f: M1; s: number; a: E } // s picks the squashing function where one is needed
  | { t: "m2"; f: M2; s: number; a: E; b: E }
  | { t: "q"; c: C; a: E; b: E } // ternary
  | { t: "call"; h: number; a: E; b: E; w: number } // a module-level helper
  | { t: "rec"; r: number; a: E; d: number } // a recursive function with a run-time depth
  | { t: "acall"; g: number; a: E }; // a local arrow function

export type C =
  | { t: "cmp"; op: ">" | "<" | ">=" | "<="; a: E; b: E }
  | { t: "and" | "or"; a: C; b: C }
  | { t: "not"; a: C }
  | { t: "par" }; // a condition on the loop index only

export type Bound = { t: "len"; v: number } | { t: "int" } | { t: "c"; n: number } | { t: "tri" };

export type S =
  | { t: "let"; e: E }
  | { t: "set"; v: number; op: "=" | "+=" | "-=" | "*=" | "/=" | "++" | "--"; e: E }
  | { t: "arr"; kind: "f64" | "fill" | "lit"; len: number; init: E[] }
  | { t: "aset"; v: number; o: number; op: "=" | "+=" | "-="; e: E }
  | { t: "ret"; c: C; es: E[] }
  | { t: "brk"; c: C; cont: boolean }
  | { t: "for"; n: Bound; body: S[] }
  | { t: "while"; c: C; max: number; dw: boolean; body: S[] }
  | { t: "if"; c: C; a: S[]; b: S[] | null }
  | { t: "forof"; v: number; body: S[] }
  | { t: "arrow"; e: E }
  | { t: "destr"; h: number; a: E; b: E; w: number };

export interface Helper {
  np: number; // 1 or 2 number parameters
  vec: boolean; // and a number[] parameter
  /** 0: plain; 1: the second number parameter has a default value (calls may omit it); 2: returns a tuple [ret, ret2] (called through destructuring) */
  form: number;
  body: S[];
  ret: E;
  ret2: E;
}
/** kind 0: r(u, d) recursing on d down to 0; kind 1: r(w, i, u) recursing over a vector's indices. */
export interface Rec {
  kind: number;
  base: E;
  step: E;
  comb: E;
}

export interface ScalarProgram {
  params: { kind: ParamKind; len: number }[];
  out: { kind: OutKind; n: number };
  consts: number[][];
  helpers: Helper[];
  recs: Rec[];
  body: S[];
  ret: E[];
}

/** Values for the arguments: two pools of numbers (hundredths), consumed in order by the parameters. */
export interface ScalarCase {
  prog: ScalarProgram;
  pools: [number[], number[]];
}

// ---------------------------------------------------------------- arbitraries

const nat = (max: number) => fc.nat({ max });
const cst = fc.integer({ min: -25, max: 25 }).map((v) => v / 10);
const lit = <T extends string>(v: T) => fc.constant(v);

function memo<T>(f: (d: number) => fc.Arbitrary<T>): (d: number) => fc.Arbitrary<T> {
  const cache = new Map<number, fc.Arbitrary<T>>();
  return (d) => {
    let a = cache.get(d);
    if (!a) cache.set(d, (a = f(d)));
    return a;
  };
}

const leaf: fc.Arbitrary<E> = fc.oneof(
  { arbitrary: fc.record({ t: lit("v"), i: nat(7) }), weight: 6 },
  { arbitrary: fc.record({ t: lit("c"), v: cst }), weight: 1 },
  { arbitrary: fc.record({ t: lit("rd"), v: nat(7), o: nat(3) }), weight: 3 },
  { arbitrary: fc.record({ t: lit("ix"), o: nat(2) }), weight: 1 },
);

export const expr: (d: number) => fc.Arbitrary<E> = memo((d) => {
  if (d <= 0) return leaf;
  const sub = expr(d - 1);
  return fc.oneof(
    { withCrossShrink: true },
    { arbitrary: leaf, weight: 4 },
    { arbitrary: fc.record({ t: lit("bin"), op: fc.constantFrom("+" as const, "-" as const, "*" as const), a: sub, b: sub }), weight: 5 },
    { arbitrary: fc.record({ t: lit("m1"), f: fc.constantFrom(...M1), s: nat(3), a: sub }), weight: 5 },
    { arbitrary: fc.record({ t: lit("m2"), f: fc.constantFrom(...M2), s: nat(3), a: sub, b: sub }), weight: 2 },
    { arbitrary: fc.record({ t: lit("div"), form: nat(1), a: sub, b: sub }), weight: 1 },
    { arbitrary: fc.record({ t: lit("neg"), a: sub }), weight: 1 },
    { arbitrary: fc.record({ t: lit("q"), c: cond(d - 1), a: sub, b: sub }), weight: 1 },
    { arbitrary: fc.record({ t: lit("call"), h: nat(3), a: sub, b: sub, w: nat(7) }), weight: 2 },
    { arbitrary: fc.record({ t: lit("rec"), r: nat(3), a: sub, d: nat(3) }), weight: 1 },
    { arbitrary: fc.record({ t: lit("acall"), g: nat(3), a: sub }), weight: 1 },
  );
});

export const cond: (d: number) => fc.Arbitrary<C> = memo((d) => {
  const sub = expr(Math.max(0, d));
  const cmp = fc.record({ t: lit("cmp"), op: fc.constantFrom(">" as const, "<" as const, ">=" as const, "<=" as const), a: sub, b: sub });
  const base: fc.Arbitrary<C> = fc.oneof({ arbitrary: cmp, weight: 6 }, { arbitrary: fc.record({ t: lit("par") }), weight: 1 });
  if (d <= 0) return base;
  const inner = cond(d - 1);
  return fc.oneof(
    { withCrossShrink: true },
    { arbitrary: base, weight: 6 },
    { arbitrary: fc.record({ t: fc.constantFrom("and" as const, "or" as const), a: inner, b: inner }), weight: 2 },
    { arbitrary: fc.record({ t: lit("not"), a: inner }), weight: 1 },
  );
});

const bound: fc.Arbitrary<Bound> = fc.oneof(
  fc.record({ t: lit("len"), v: nat(7) }),
  fc.record({ t: lit("int") }),
  fc.record({ t: lit("c"), n: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ t: lit("tri") }),
);

const ED = 2; // expression depth in statements
const es3 = fc.tuple(expr(ED), expr(ED), expr(ED)).map((t) => [...t]);

const simpleStmt: fc.Arbitrary<S> = fc.oneof(
  { arbitrary: fc.record({ t: lit("let"), e: expr(ED) }), weight: 6 },
  {
    arbitrary: fc.record({ t: lit("set"), v: nat(7), op: fc.constantFrom("=" as const, "+=" as const, "-=" as const, "*=" as const, "/=" as const, "++" as const, "--" as const), e: expr(ED) }),
    weight: 4,
  },
  { arbitrary: fc.record({ t: lit("arr"), kind: fc.constantFrom("f64" as const, "fill" as const, "lit" as const), len: nat(3), init: es3 }), weight: 2 },
  { arbitrary: fc.record({ t: lit("aset"), v: nat(7), o: nat(3), op: fc.constantFrom("=" as const, "+=" as const, "-=" as const), e: expr(ED) }), weight: 3 },
  { arbitrary: fc.record({ t: lit("ret"), c: cond(1), es: es3 }), weight: 1 },
  { arbitrary: fc.record({ t: lit("brk"), c: cond(1), cont: fc.boolean() }), weight: 1 },
  { arbitrary: fc.record({ t: lit("arrow"), e: expr(ED) }), weight: 1 },
  { arbitrary: fc.record({ t: lit("destr"), h: nat(3), a: expr(ED), b: expr(ED), w: nat(7) }), weight: 1 },
);

export const stmt: (d: number) => fc.Arbitrary<S> = memo((d) => {
  if (d <= 0) return simpleStmt;
  const block = fc.array(stmt(d - 1), { minLength: 1, maxLength: 4 });
  return fc.oneof(
    { withCrossShrink: true },
    { arbitrary: simpleStmt, weight: 8 },
    { arbitrary: fc.record({ t: lit("for"), n: bound, body: block }), weight: 3 },
    { arbitrary: fc.record({ t: lit("while"), c: cond(1), max: fc.integer({ min: 1, max: 4 }), dw: fc.boolean(), body: block }), weight: 1 },
    { arbitrary: fc.record({ t: lit("if"), c: cond(1), a: block, b: fc.option(block, { nil: null }) }), weight: 2 },
    { arbitrary: fc.record({ t: lit("forof"), v: nat(7), body: block }), weight: 1 },
  );
});

const helper: fc.Arbitrary<Helper> = fc.record({
  np: fc.integer({ min: 1, max: 2 }),
  vec: fc.boolean(),
  form: nat(2),
  body: fc.array(stmt(1), { maxLength: 3 }),
  ret: expr(ED),
  ret2: expr(1),
});
const rec: fc.Arbitrary<Rec> = fc.record({ kind: nat(1), base: expr(1), step: expr(1), comb: expr(ED) });

const param = fc.record({ kind: fc.constantFrom<ParamKind>("num", "arr", "num", "int", "f64"), len: fc.integer({ min: 1, max: 4 }) });

export const scalarProgram: fc.Arbitrary<ScalarProgram> = fc.record({
  params: fc.array(param, { minLength: 1, maxLength: 3 }),
  out: fc.record({ kind: fc.constantFrom<OutKind>("num", "num", "tuple", "arr", "f64"), n: fc.integer({ min: 2, max: 3 }) }),
  consts: fc.array(fc.array(cst, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 2 }),
  helpers: fc.array(helper, { maxLength: 2 }),
  recs: fc.array(rec, { maxLength: 1 }),
  body: fc.array(stmt(2), { maxLength: 6 }),
  ret: es3,
});

const pool = fc.array(fc.integer({ min: -200, max: 200 }), { minLength: 16, maxLength: 16 });
export const scalarCase: fc.Arbitrary<ScalarCase> = fc.record({ prog: scalarProgram, pools: fc.tuple(pool, pool) });

// ---------------------------------------------------------------- arguments

export type Arg = number | number[] | Float64Array;

/**
 * The k-th value of a pool: hundredths in [-2, 2] plus a small offset that
 * differs from position to position, so that no argument is exactly 0, equal
 * to a constant of the program or to another argument: at such a point a
 * branch (sign(0), a tie, x > 0.5 at 0.5) can take a path that its whole
 * neighbourhood does not take, which finite differences cannot see.
 */
export const poolValue = (pool: number[], k: number): number => (pool[k % pool.length] + 0.05 + 0.9 * ((k * 0.6180339887 + 0.31) % 1)) / 100;

/** The arguments of point p (0 or 1): numbers in [-2, 2]; integer parameters (loop bounds) in 0..3, plus 0.25 (a generic value, and round() keeps the integer). */
export function argsOf(c: ScalarCase, p: number): Arg[] {
  const pool = c.pools[p];
  let k = 0;
  const next = () => +poolValue(pool, k++).toFixed(6);
  return c.prog.params.map((q) => {
    if (q.kind === "num") return next();
    if (q.kind === "int") return (Math.abs(pool[k++ % pool.length]) % 4) + 0.25;
    const v = Array.from({ length: q.len }, next);
    return q.kind === "f64" ? Float64Array.from(v) : v;
  });
}

// ---------------------------------------------------------------- rendering

interface Vec {
  name: string;
  type: "arr" | "f64";
  writable: boolean;
}

interface Scope {
  scalars: string[];
  locals: string[]; // assignable scalars
  vecs: Vec[];
  loops: string[]; // for-loop indices, innermost last
  inLoop: boolean; // break/continue allowed
  helpers: number; // callable helpers h0 … h(n-1)
  helperSigs: Helper[];
  recs: Rec[];
  arrows: string[];
  intParam?: string;
  outLen: number; // components of the output (ret)
  retKind: OutKind | "helper";
  fresh: { n: number };
  indent: string;
  params: string[]; // the enclosing function's number parameters (what a local arrow may read)
}

const child = (s: Scope, over: Partial<Scope> = {}): Scope => ({
  ...s,
  scalars: [...s.scalars],
  locals: [...s.locals],
  vecs: [...s.vecs],
  loops: [...s.loops],
  arrows: [...s.arrows],
  indent: s.indent + "  ",
  ...over,
});

const num = (v: number): string => (v < 0 ? `(${v})` : String(v));
const squash = (s: number, u: string): string =>
  s % 4 === 0 ? `Math.sin(${u})` : s % 4 === 1 ? `Math.tanh(${u})` : s % 4 === 2 ? `Math.cos(${u})` : `(${u}) / (1 + (${u}) ** 2)`;

function vecRead(sc: Scope, v: number, o: number): string {
  // every other read prefers the parameters and local arrays to the captured constants
  const own = sc.vecs.filter((x) => !/^C\d/.test(x.name));
  const vecs = v % 2 === 0 && own.length ? own : sc.vecs;
  if (vecs.length === 0) return "0.5";
  const x = vecs[v % vecs.length].name;
  const ix = sc.loops.length ? sc.loops[sc.loops.length - 1] : undefined;
  return ix ? `${x}[(${ix} + ${o}) % ${x}.length]` : `${x}[${o} % ${x}.length]`;
}

function helperCall(k: number, a: E, b: E, w: number, sc: Scope): string {
  const h = sc.helperSigs[k];
  // a defaulted second parameter is omitted every other call
  const np = h.form === 1 && h.np === 2 && !h.vec && w % 2 === 1 ? 1 : h.np;
  const args = [renderE(a, sc), renderE(b, sc)].slice(0, np);
  if (h.vec) {
    const arrs = sc.vecs.filter((v) => v.type === "arr");
    args.push(arrs.length ? arrs[w % arrs.length].name : `[${args[0]}, 0.5]`);
  }
  return `h${k}(${args.join(", ")})`;
}

export function renderE(e: E, sc: Scope): string {
  const r = (x: E) => renderE(x, sc);
  switch (e.t) {
    case "v":
      // counted from the most recent, so that later statements use what earlier ones computed
      return sc.scalars.length ? sc.scalars[sc.scalars.length - 1 - (e.i % sc.scalars.length)] : vecRead(sc, e.i, 0);
    case "c":
      return num(e.v);
    case "ix":
      return sc.loops.length ? (e.o ? `(${sc.loops[sc.loops.length - 1]} + ${e.o})` : sc.loops[sc.loops.length - 1]) : String(e.o + 1);
    case "rd":
      return vecRead(sc, e.v, e.o);
    case "bin":
      return `(${r(e.a)} ${e.op} ${r(e.b)})`;
    case "neg":
      return `(-${r(e.a)})`;
    case "div":
      return e.form === 0 ? `(${r(e.a)} / (1 + ${r(e.b)} ** 2))` : `(${r(e.a)} / (2 + ${squash(1, r(e.b))}))`;
    case "q":
      return `(${renderC(e.c, sc)} ? ${r(e.a)} : ${r(e.b)})`;
    case "m1":
      return renderM1(e.f, e.s, r(e.a));
    case "m2": {
      const a = r(e.a);
      const b = r(e.b);
      switch (e.f) {
        case "pow": return `Math.pow(1.5 + ${squash(e.s, a)}, ${squash(e.s + 1, b)} * 2)`;
        case "powi": return e.s % 2 === 0 ? `(${a} ** ${2 + (e.s >> 1)})` : `Math.pow(${a}, ${2 + (e.s >> 1)})`;
        case "powr": return `((1.2 + ${squash(e.s, a)}) ** ${b})`;
        case "atan2": return e.s % 2 === 0 ? `Math.atan2(${a}, 1.5 + ${squash(e.s >> 1, b)})` : `Math.atan2(1 + ${a} ** 2, ${b})`;
        case "min": return e.s % 2 === 0 ? `Math.min(${a}, ${b})` : `Math.min(${a}, ${b}, 0.25)`;
        case "max": return e.s % 2 === 0 ? `Math.max(${a}, ${b})` : `Math.max(${a}, ${b}, -0.25)`;
        case "hypot": return e.s % 2 === 0 ? `Math.hypot(${a}, ${b}, 0.5)` : `Math.hypot(1, ${a}, ${b})`;
        case "fmod": return `(${a} % (1.5 + ${squash(e.s, b)}))`;
      }
      return a;
    }
    case "call": {
      // (helpers that return a tuple are called by destructuring statements)
      const ks = [...Array(sc.helpers).keys()].filter((k) => sc.helperSigs[k].form !== 2);
      if (ks.length === 0) return r(e.a);
      return helperCall(ks[e.h % ks.length], e.a, e.b, e.w, sc);
    }
    case "rec": {
      if (sc.recs.length === 0) return r(e.a);
      const k = e.r % sc.recs.length;
      if (sc.recs[k].kind === 1) {
        const arrs = sc.vecs.filter((v) => v.type === "arr");
        return `r${k}(${arrs.length ? arrs[e.d % arrs.length].name : `[${r(e.a)}, 0.75]`}, 0, ${r(e.a)})`;
      }
      const depths = [...(sc.intParam ? [`Math.round(${sc.intParam})`] : []), ...sc.vecs.map((v) => `${v.name}.length`), "2"];
      return `r${k}(${r(e.a)}, ${depths[e.d % depths.length]})`;
    }
    case "acall":
      return sc.arrows.length ? `${sc.arrows[e.g % sc.arrows.length]}(${r(e.a)})` : r(e.a);
  }
}

function renderM1(f: M1, s: number, u: string): string {
  const q = squash(s, u);
  switch (f) {
    case "exp": return `Math.exp(${q})`;
    case "expm1": return `Math.expm1(${q})`;
    case "log": return `Math.log(1 + ${u} ** 2)`;
    case "log1p": return `Math.log1p(${u} ** 2)`;
    case "log2": return `Math.log2(2 + ${q})`;
    case "log10": return `Math.log10(1.5 + ${q})`;
    case "sqrt": return `Math.sqrt(1 + ${u} ** 2)`;
    case "cbrt": return `Math.cbrt(2 + ${q})`;
    case "sin": case "cos": case "atan": case "tanh": case "asinh": case "abs": case "sign":
    case "floor": case "ceil": case "round": case "trunc":
      return `Math.${f}(${u})`;
    case "tan": return `Math.tan(${q})`;
    case "asin": return `Math.asin(0.9 * ${q})`;
    case "acos": return `Math.acos(0.9 * ${q})`;
    case "sinh": return `Math.sinh(${q})`;
    case "cosh": return `Math.cosh(${q})`;
    case "acosh": return `Math.acosh(1.5 + ${u} ** 2)`;
    case "atanh": return s % 2 === 0 ? `Math.atanh(0.5 * Math.tanh(${u}))` : `Math.atanh(0.9 * ${q})`;
  }
}

export function renderC(c: C, sc: Scope): string {
  switch (c.t) {
    // a < b is written b > a: TypeScript parses `i < (x > (y) ? …)` as a call with type arguments
    case "cmp":
      return c.op === ">" || c.op === ">=" ? `${renderE(c.a, sc)} ${c.op} ${renderE(c.b, sc)}` : `${renderE(c.b, sc)} ${c.op === "<" ? ">" : ">="} ${renderE(c.a, sc)}`;
    case "and": return `(${renderC(c.a, sc)} && ${renderC(c.b, sc)})`;
    case "or": return `(${renderC(c.a, sc)} || ${renderC(c.b, sc)})`;
    case "not": return `!(${renderC(c.a, sc)})`;
    case "par": return sc.loops.length ? `${sc.loops[sc.loops.length - 1]} % 2 === 0` : "true";
  }
}

/**
 * What the function's last statement adds to result component k of n: the
 * top-level locals (scalars, and an element of each local array), so that what
 * the body computed reaches the result.
 */
function live(sc: Scope, k: number, n: number): string {
  const terms = [
    ...sc.locals.filter((_, i) => i % n === k),
    ...sc.vecs.filter((v) => v.writable && v.name !== "out").filter((_, i) => i % n === k).map((v) => `${v.name}[${k} % ${v.name}.length]`),
  ];
  return terms.length ? ` + 0.5 * (${terms.join(" + ")})` : "";
}

function retText(es: E[], sc: Scope, final = false): string {
  const r = (i: number) => renderE(es[i % es.length], sc) + (final ? live(sc, i, sc.retKind === "tuple" ? 2 : sc.retKind === "arr" ? sc.outLen : 1) : "");
  switch (sc.retKind) {
    case "num": case "helper": return r(0);
    case "tuple": return `[${r(0)}, ${r(1)}]`;
    case "arr": return `[${Array.from({ length: sc.outLen }, (_, i) => r(i)).join(", ")}]`;
    case "f64": return "out";
  }
}

function renderBlock(ss: S[], sc: Scope): string[] {
  const lines: string[] = [];
  for (const s of ss) lines.push(...renderS(s, sc));
  return lines;
}

function renderS(s: S, sc: Scope): string[] {
  const I = sc.indent;
  const r = (e: E) => renderE(e, sc);
  // a nested block's own locals feed the enclosing function's first local (its accumulator), so they reach the result
  const nested = (body: S[], inner: Scope): string[] => {
    const lines = renderBlock(body, inner);
    const own = inner.locals.filter((v) => !sc.locals.includes(v));
    if (own.length && sc.locals.length) {
      const sum = own.join(" + ");
      lines.push(`${inner.indent}${sc.locals[0]} += ${inner.inLoop ? squash(0, sum) : `0.5 * (${sum})`};`);
    }
    return lines;
  };
  const loopBody = (body: S[], over: Partial<Scope>) => nested(body, child(sc, { inLoop: true, ...over }));
  switch (s.t) {
    case "let": {
      const name = `v${sc.fresh.n++}`;
      const line = `${I}let ${name} = ${r(s.e)};`;
      sc.scalars.push(name);
      sc.locals.push(name);
      return [line];
    }
    case "set": {
      if (sc.locals.length === 0) return [];
      const v = sc.locals[s.v % sc.locals.length];
      const e = r(s.e);
      const loop = sc.inLoop;
      switch (s.op) {
        case "=": return [`${I}${v} = ${loop ? `0.5 * ${v} + ${squash(1, e)}` : e};`];
        case "+=": case "-=": return [`${I}${v} ${s.op} ${loop ? squash(0, e) : e};`];
        case "*=": return [`${I}${v} *= ${loop ? `1 + 0.5 * ${squash(1, e)}` : e};`];
        case "/=": return [`${I}${v} /= 1 + ${e} ** 2;`];
        case "++": case "--": return [`${I}${v}${s.op};`];
      }
      return [];
    }
    case "arr": {
      const name = `a${sc.fresh.n++}`;
      const lens = [...sc.vecs.map((v) => `${v.name}.length`), "2", "3"];
      const len = lens[s.len % lens.length];
      let line: string;
      let type: "arr" | "f64" = "arr";
      if (s.kind === "f64") {
        line = `${I}const ${name} = new Float64Array(${len});`;
        type = "f64";
      } else if (s.kind === "fill") line = `${I}const ${name}: number[] = new Array(${len}).fill(0);`;
      else line = `${I}const ${name} = [${s.init.slice(0, 2 + (s.len % 2)).map(r).join(", ")}];`;
      sc.vecs.push({ name, type, writable: true });
      return [line];
    }
    case "aset": {
      const w = sc.vecs.filter((v) => v.writable);
      if (w.length === 0) return [];
      const x = w[w.length - 1 - (s.v % w.length)].name;
      const ix = sc.loops.length ? `(${sc.loops[sc.loops.length - 1]} + ${s.o}) % ${x}.length` : `${s.o} % ${x}.length`;
      const e = r(s.e);
      return [`${I}${x}[${ix}] ${s.op} ${sc.inLoop && s.op !== "=" ? squash(0, e) : e};`];
    }
    case "ret":
      return [`${I}if (${renderC(s.c, sc)}) return ${retText(s.es, sc)};`];
    case "brk":
      return sc.inLoop ? [`${I}if (${renderC(s.c, sc)}) ${s.cont ? "continue" : "break"};`] : [];
    case "arrow": {
      const name = `g${sc.fresh.n++}`;
      // the arrow reads its parameter and the enclosing function's parameters
      const inner = child(sc, { scalars: ["t", ...sc.params], locals: [], vecs: sc.vecs.filter((v) => !v.writable), loops: [], inLoop: false });
      const line = `${I}const ${name} = (t: number): number => ${renderE(s.e, inner)};`;
      sc.arrows.push(name);
      return [line];
    }
    case "destr": {
      const [a, b] = [`d${sc.fresh.n++}`, `d${sc.fresh.n++}`];
      const ks = [...Array(sc.helpers).keys()].filter((k) => sc.helperSigs[k].form === 2);
      const init = ks.length ? helperCall(ks[s.h % ks.length], s.a, s.b, s.w, sc) : `[${r(s.a)}, ${r(s.b)}]`;
      sc.scalars.push(a, b);
      return [`${I}const [${a}, ${b}] = ${init};`];
    }
    case "for": {
      const i = `i${sc.loops.length}`;
      let n: string;
      const b = s.n;
      if (b.t === "len" && sc.vecs.length) n = `${sc.vecs[b.v % sc.vecs.length].name}.length`;
      else if (b.t === "int" && sc.intParam) n = `Math.round(${sc.intParam})`;
      else if (b.t === "tri" && sc.loops.length) n = `${sc.loops[sc.loops.length - 1]} + 1`;
      else n = String(b.t === "c" ? b.n : 2);
      return [`${I}for (let ${i} = 0; ${i} < ${n}; ${i}++) {`, ...loopBody(s.body, { loops: [...sc.loops, i] }), `${I}}`];
    }
    case "while": {
      const it = `it${sc.fresh.n++}`;
      const c = renderC(s.c, sc);
      const body = loopBody(s.body, {});
      const inc = `${I}  ${it}++;`;
      return s.dw
        ? [`${I}let ${it} = 0;`, `${I}do {`, inc, ...body, `${I}} while (${c} && ${it} < ${s.max});`]
        : [`${I}let ${it} = 0;`, `${I}while (${c} && ${it} < ${s.max}) {`, inc, ...body, `${I}}`];
    }
    case "if": {
      const lines = [`${I}if (${renderC(s.c, sc)}) {`, ...nested(s.a, child(sc)), `${I}}`];
      if (s.b) lines.push(`${I}else {`, ...nested(s.b, child(sc)), `${I}}`);
      return lines;
    }
    case "forof": {
      if (sc.vecs.length === 0) return [];
      const x = sc.vecs[s.v % sc.vecs.length].name;
      const el = `e${sc.fresh.n++}`;
      return [`${I}for (const ${el} of ${x}) {`, ...loopBody(s.body, { scalars: [...sc.scalars, el] }), `${I}}`];
    }
  }
}

export function paramName(kind: ParamKind, k: number): string {
  return kind === "num" ? `s${k}` : kind === "int" ? `n${k}` : kind === "arr" ? `x${k}` : `y${k}`;
}
export const paramType = (kind: ParamKind): string => (kind === "arr" ? "number[]" : kind === "f64" ? "Float64Array" : "number");

export function outType(p: ScalarProgram): string {
  return p.out.kind === "num" ? "number" : p.out.kind === "tuple" ? "[number, number]" : p.out.kind === "arr" ? "number[]" : "Float64Array";
}

/** `let acc = 0;` (a local the body's statements and nested blocks update) before the body's lines. */
function accumulate(sc: Scope, body: () => string[]): string[] {
  sc.scalars.push("acc");
  sc.locals.push("acc");
  return [`${sc.indent}let acc = 0;`, ...body()];
}

/** The program's source (no imports, no markers): constants, helpers, recursive functions, and `export function f`. */
export function renderScalar(p: ScalarProgram): string {
  const lines: string[] = [];
  const consts = p.consts.map((c, k) => {
    lines.push(`const C${k} = [${c.join(", ")}];`);
    return { name: `C${k}`, type: "arr" as const, writable: false };
  });
  const base = (over: Partial<Scope>): Scope => ({
    scalars: [], locals: [], vecs: [...consts], loops: [], inLoop: false, helpers: 0, helperSigs: p.helpers, recs: [],
    arrows: [], outLen: 1, retKind: "helper", fresh: { n: 0 }, indent: "  ", params: [], ...over,
  });
  p.helpers.forEach((h, k) => {
    const ps = ["p0", "p1"].slice(0, h.np);
    const defaulted = h.form === 1 && h.np === 2 && !h.vec;
    const sig = [...ps.map((q, i) => (defaulted && i === 1 ? `${q} = 0.5` : `${q}: number`)), ...(h.vec ? ["w: number[]"] : [])].join(", ");
    const sc = base({
      scalars: [...ps], helpers: k, params: ps, vecs: [...consts, ...(h.vec ? [{ name: "w", type: "arr" as const, writable: false }] : [])],
      retKind: h.form === 2 ? "tuple" : "helper", outLen: h.form === 2 ? 2 : 1,
    });
    const body = h.body.length ? accumulate(sc, () => renderBlock(h.body, sc)) : [];
    const ret = `${renderE(h.ret, sc)}${live(sc, 0, 1)}`;
    if (h.form === 2) lines.push(`function h${k}(${sig}): [number, number] {`, ...body, `  return [${ret}, ${renderE(h.ret2, sc)}];`, "}");
    else lines.push(`function h${k}(${sig}): number {`, ...body, `  return ${ret};`, "}");
  });
  p.recs.forEach((r, k) => {
    if (r.kind === 0) {
      const sc = base({ scalars: ["u"], helpers: p.helpers.length, params: ["u"] });
      const withT = base({ scalars: ["u", "t"], helpers: p.helpers.length, params: ["u"] });
      lines.push(
        `function r${k}(u: number, d: number): number {`,
        `  if (d <= 0) return ${renderE(r.base, sc)};`,
        `  const t = r${k}(${renderE(r.step, sc)}, d - 1);`,
        `  return ${renderE(r.comb, withT)};`,
        "}",
      );
    } else {
      const w = { name: "w", type: "arr" as const, writable: false };
      const sc = base({ scalars: ["u"], vecs: [w], loops: ["i"], helpers: p.helpers.length, params: ["u"] });
      const withT = base({ scalars: ["u", "t"], vecs: [w], loops: ["i"], helpers: p.helpers.length, params: ["u"] });
      lines.push(
        `function r${k}(w: number[], i: number, u: number): number {`,
        `  if (i >= w.length) return ${renderE(r.base, base({ scalars: ["u"], helpers: p.helpers.length, params: ["u"] }))};`,
        `  const t = r${k}(w, i + 1, ${renderE(r.step, sc)});`,
        `  return ${renderE(r.comb, withT)};`,
        "}",
      );
    }
  });
  const names = p.params.map((q, k) => paramName(q.kind, k));
  const scalars = names.filter((_, k) => p.params[k].kind === "num" || p.params[k].kind === "int");
  const vecs: Vec[] = [
    ...p.params.flatMap((q, k) => (q.kind === "arr" || q.kind === "f64" ? [{ name: names[k], type: q.kind, writable: false }] : [])),
    ...consts,
  ];
  const intIdx = p.params.findIndex((q) => q.kind === "int");
  const sc = base({
    scalars, vecs, helpers: p.helpers.length, recs: p.recs, params: scalars, intParam: intIdx >= 0 ? names[intIdx] : undefined,
    outLen: p.out.kind === "tuple" ? 2 : p.out.n, retKind: p.out.kind,
  });
  const body: string[] = [];
  if (p.out.kind === "f64") {
    body.push(`  const out = new Float64Array(${p.out.n});`);
    sc.vecs.push({ name: "out", type: "f64", writable: true });
  }
  body.push(...(p.body.length ? accumulate(sc, () => renderBlock(p.body, sc)) : []));
  if (p.out.kind === "f64") {
    for (let k = 0; k < p.out.n; k++) body.push(`  out[${k}] += ${renderE(p.ret[k % p.ret.length], sc)}${live(sc, k, p.out.n)};`);
  }
  lines.push(
    `export function f(${p.params.map((q, k) => `${names[k]}: ${paramType(q.kind)}`).join(", ")}): ${outType(p)} {`,
    ...body,
    `  return ${retText(p.ret, sc, true)};`,
    "}",
  );
  return lines.join("\n") + "\n";
}
