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
  | { t: "p"; i: number } // a number parameter of the function (never written), else a constant
  | { t: "c"; v: number } // a constant
  | { t: "ix"; o: number; l: number } // a loop counter (an integer, not differentiated), l picks the loop (mostly the innermost)
  | { t: "rd"; v: number; o: number; l: number } // a vector element, index (loop counter + o) % length
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
  | { t: "par" } // a condition on the loop index only
  | { t: "elt"; op: ">" | "<" | ">=" | "<="; v: number; b: E }; // the element a loop is at against a value: y[i] < b

export type Bound = { t: "len"; v: number } | { t: "int" } | { t: "c"; n: number } | { t: "tri" } | { t: "data"; e: E };

/**
 * A counter-driven loop, the shapes users write: `while (i < n) { …; i++; }`,
 * `do { … } while (…)`, `while (true) { if (i >= n) break; … }`, `for` with
 * steps in the body too. Every value renders to a loop that terminates: the
 * counter moves towards its bound on every path (the mandatory step, and a
 * step before each `continue` where the update is not in a `for` header);
 * a loop whose counter may also move back gets a guard counter.
 */
export interface Loop {
  t: "loop";
  /**
   * 0 while, 1 do…while, 2 while (true) with the exit at the top, 3 while
   * (true) with the exit at the bottom, 4 for, 5 `while (i++ < n)`, 6 `do …
   * while (++i < n)`, 7 a two-pointer `for (let i = 0, j = n - 1; i < j; i++)
   * { …; j--; }`
   */
  form: number;
  /** 0 counts up from 0 (or from the enclosing counter) to the bound; 1 counts down from the bound to 0 */
  dir: number;
  n: Bound;
  /**
   * 0: a new counter from 0; 1: a new counter from the enclosing loop's; 2:
   * the enclosing loop's counter itself (shared); 3: the counter of an earlier
   * loop of the block, reset (`i = 0;`)
   */
  init: number;
  /** an extra, data-dependent condition to go on (the trip count depends on the data) */
  dc: C | null;
  /** a guard counter even where termination does not need one */
  guard: boolean;
  /** the mandatory step's form (Step forms 0-5), and the else arm's */
  step: number;
  stepB: number;
  /**
   * 0: at the end of the body; 1: `if (sc) { step } else { stepB }`; 2: `if
   * (sc) { ta; step } else { tb; stepB }`; 3: into both arms of the body's
   * last if/else (else as 2)
   */
  place: number;
  sc: C;
  ta: S[];
  tb: S[];
  /**
   * Inside another loop: 1 `break` or 2 `continue` the enclosing loop from
   * this one, half the time by a label (`L3: <enclosing> { … <this loop> {
   * if (fc) { <its step>; continue L3; } … } … }`), else through a flag:
   * `let f = false; <this loop> { if (fc) { f = true; break; } … } if (f) break;`
   */
  flag: number;
  fc: C;
  body: S[];
}

export type S =
  | { t: "let"; e: E }
  | { t: "set"; v: number; op: "=" | "+=" | "-=" | "*=" | "/=" | "++" | "--"; e: E }
  | { t: "arr"; kind: "f64" | "fill" | "lit"; len: number; init: E[] }
  | { t: "aset"; v: number; o: number; op: "=" | "+=" | "-="; e: E }
  | { t: "ret"; c: C; es: E[] }
  | { t: "brk"; c: C; cont: boolean; step: number }
  | { t: "step"; l: number; form: number; c: C } // moves an enclosing loop's counter (forward, or back: the loop then gets a guard)
  | Loop
  | { t: "for"; n: Bound; body: S[] }
  | { t: "while"; c: C; max: number; dw: boolean; body: S[] }
  | { t: "if"; c: C; a: S[]; b: S[] | null; xa: number; xb: number; re: E } // xa, xb: an arm ends with 1 break, 2 continue, 3 return (re); 0 nothing
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
/**
 * kind 0: r(u, d) recursing on d down to 0; kind 1: r(w, i, u) recursing over
 * a vector's indices; kind 2: r(u, d) that also stops early on a condition of
 * u (a data-dependent depth); kind 3: r(w, i, u) over a vector that skips an
 * element on a condition (its index moves by 1 or 2).
 */
export interface Rec {
  kind: number;
  base: E;
  step: E;
  comb: E;
  stop: C;
  alt: E;
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
  { arbitrary: fc.record({ t: lit("p"), i: nat(3) }), weight: 1 },
  { arbitrary: fc.record({ t: lit("rd"), v: nat(7), o: nat(3), l: nat(3) }), weight: 3 },
  { arbitrary: fc.record({ t: lit("ix"), o: nat(2), l: nat(3) }), weight: 1 },
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
    { arbitrary: fc.record({ t: lit("rec"), r: nat(3), a: sub, d: nat(4) }), weight: 1 },
    { arbitrary: fc.record({ t: lit("acall"), g: nat(3), a: sub }), weight: 1 },
  );
});

/** y[i] < b: the element a loop is at against a value */
const elt = memo(
  (d) =>
    fc.record({
      t: lit("elt"),
      op: fc.constantFrom(">" as const, "<" as const, ">=" as const, "<=" as const),
      v: nat(7),
      // mostly a constant or a parameter (a threshold), else anything
      b: fc.oneof({ arbitrary: fc.record({ t: lit("c"), v: cst }), weight: 2 }, { arbitrary: fc.record({ t: lit("p"), i: nat(3) }), weight: 2 }, { arbitrary: expr(Math.max(0, d - 1)), weight: 1 }),
    }) as fc.Arbitrary<C>,
);

export const cond: (d: number) => fc.Arbitrary<C> = memo((d) => {
  const sub = expr(Math.max(0, d));
  const cmp = fc.record({ t: lit("cmp"), op: fc.constantFrom(">" as const, "<" as const, ">=" as const, "<=" as const), a: sub, b: sub });
  const base: fc.Arbitrary<C> = fc.oneof({ arbitrary: cmp, weight: 6 }, { arbitrary: fc.record({ t: lit("par") }), weight: 1 }, { arbitrary: elt(d), weight: 3 });
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
  { arbitrary: fc.record({ t: lit("len"), v: nat(7) }), weight: 4 },
  { arbitrary: fc.record({ t: lit("int") }), weight: 1 },
  { arbitrary: fc.record({ t: lit("c"), n: fc.integer({ min: 1, max: 3 }) }), weight: 1 },
  { arbitrary: fc.record({ t: lit("tri") }), weight: 1 },
  { arbitrary: fc.record({ t: lit("data"), e: expr(1) }), weight: 1 },
);

const ED = 2; // expression depth in statements
const es3 = fc.tuple(expr(ED), expr(ED), expr(ED)).map((t) => [...t]);
/** null more often than not (shrinks to null) */
const maybe = <T>(a: fc.Arbitrary<T>) => fc.oneof({ arbitrary: fc.constant(null), weight: 3 }, { arbitrary: a, weight: 2 });

const simpleStmt: fc.Arbitrary<S> = fc.oneof(
  { arbitrary: fc.record({ t: lit("let"), e: expr(ED) }), weight: 6 },
  {
    arbitrary: fc.record({ t: lit("set"), v: nat(7), op: fc.constantFrom("=" as const, "+=" as const, "-=" as const, "*=" as const, "/=" as const, "++" as const, "--" as const), e: expr(ED) }),
    weight: 4,
  },
  { arbitrary: fc.record({ t: lit("arr"), kind: fc.constantFrom("f64" as const, "fill" as const, "lit" as const), len: nat(3), init: es3 }), weight: 2 },
  { arbitrary: fc.record({ t: lit("aset"), v: nat(7), o: nat(3), op: fc.constantFrom("=" as const, "+=" as const, "-=" as const), e: expr(ED) }), weight: 3 },
  { arbitrary: fc.record({ t: lit("ret"), c: cond(1), es: es3 }), weight: 1 },
  { arbitrary: fc.record({ t: lit("brk"), c: cond(1), cont: fc.boolean(), step: nat(5) }), weight: 2 },
  { arbitrary: fc.record({ t: lit("step"), l: nat(3), form: nat(8), c: cond(0) }), weight: 2 },
  { arbitrary: fc.record({ t: lit("arrow"), e: expr(ED) }), weight: 1 },
  { arbitrary: fc.record({ t: lit("destr"), h: nat(3), a: expr(ED), b: expr(ED), w: nat(7) }), weight: 1 },
);

export const stmt: (d: number) => fc.Arbitrary<S> = memo((d) => {
  if (d <= 0) return simpleStmt;
  const block = fc.array(stmt(d - 1), { minLength: 1, maxLength: d > 1 ? 3 : 4 });
  const loop: fc.Arbitrary<Loop> = fc.record({
    t: lit("loop"),
    form: nat(7),
    dir: fc.constantFrom(0, 0, 0, 1),
    n: bound,
    init: fc.constantFrom(0, 0, 1, 2, 2, 3),
    dc: maybe(cond(1)),
    guard: fc.constantFrom(false, false, false, true),
    step: nat(5),
    stepB: nat(5),
    place: nat(3),
    sc: fc.oneof({ arbitrary: cond(1), weight: 1 }, { arbitrary: elt(1), weight: 1 }),
    ta: fc.array(simpleStmt, { maxLength: 2 }),
    tb: fc.array(simpleStmt, { maxLength: 2 }),
    flag: fc.constantFrom(0, 0, 0, 1, 2),
    fc: fc.oneof({ arbitrary: cond(1), weight: 1 }, { arbitrary: elt(1), weight: 1 }),
    body: block,
  });
  const exit = fc.oneof({ arbitrary: fc.constant(0), weight: 5 }, { arbitrary: fc.integer({ min: 1, max: 3 }), weight: 2 });
  return fc.oneof(
    { withCrossShrink: true },
    { arbitrary: simpleStmt, weight: 8 },
    { arbitrary: loop, weight: 4 },
    { arbitrary: fc.record({ t: lit("for"), n: bound, body: block }), weight: 1 },
    { arbitrary: fc.record({ t: lit("while"), c: cond(1), max: fc.integer({ min: 1, max: 4 }), dw: fc.boolean(), body: block }), weight: 1 },
    { arbitrary: fc.record({ t: lit("if"), c: cond(1), a: block, b: fc.option(block, { nil: null, freq: 3 }), xa: exit, xb: exit, re: expr(ED) }), weight: 3 },
    { arbitrary: fc.record({ t: lit("forof"), v: nat(7), body: block }), weight: 1 },
  );
});

const helper: fc.Arbitrary<Helper> = fc.record({
  np: fc.integer({ min: 1, max: 2 }),
  vec: fc.boolean(),
  form: nat(2),
  body: fc.array(stmt(2), { maxLength: 3 }),
  ret: expr(ED),
  ret2: expr(1),
});
const rec: fc.Arbitrary<Rec> = fc.record({ kind: nat(3), base: expr(1), step: expr(1), comb: expr(ED), stop: cond(0), alt: expr(1) });

const param = fc.record({ kind: fc.constantFrom<ParamKind>("num", "arr", "num", "int", "f64"), len: fc.integer({ min: 1, max: 4 }) });

export const scalarProgram: fc.Arbitrary<ScalarProgram> = fc.record({
  params: fc.array(param, { minLength: 1, maxLength: 3 }),
  out: fc.record({ kind: fc.constantFrom<OutKind>("num", "num", "tuple", "arr", "f64"), n: fc.integer({ min: 2, max: 3 }) }),
  consts: fc.array(fc.array(cst, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 2 }),
  helpers: fc.array(helper, { maxLength: 2 }),
  recs: fc.array(rec, { maxLength: 1 }),
  body: fc.array(stmt(3), { maxLength: 5 }),
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

/**
 * The arguments of point p (0 or 1): numbers in [-2, 2]; integer parameters
 * (loop bounds) in 0..3 plus a little over 0.25, so round() keeps the integer
 * and the value is generic: off every literal of the grammar (0.25, -0.25,
 * 0.3, …) and different from every other integer parameter, so no max/min tie
 * or exponent of exactly 0 sits at the point (two false positives, seeds
 * 20261713 and 20261736, had n0 = 0.25 on a literal or on n1).
 */
export function argsOf(c: ScalarCase, p: number): Arg[] {
  const pool = c.pools[p];
  let k = 0;
  const next = () => +poolValue(pool, k++).toFixed(6);
  return c.prog.params.map((q) => {
    if (q.kind === "num") return next();
    if (q.kind === "int") return (Math.abs(pool[k % pool.length]) % 4) + 0.2503 + 0.0001 * k++;
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

/** A loop counter in scope. */
interface Ctr {
  name: string;
  /** 0 counts up to a bound, 1 counts down to 0 */
  dir: number;
  /** set when a statement moves it back, or moves it inside a nested loop (whose bound may derive from it): its loop then needs a guard counter to terminate */
  guard: { v: boolean };
}

/**
 * A loop whose counter is, at the top of its body, an index in range of a
 * vector (`while (i < y.length)`): until a statement moves the counter forward
 * (dirty), its body reads `y[i]` as users write it, not `y[(i + o) % y.length]`.
 */
interface Safe {
  ctr: Ctr;
  vec: string;
  dirty: { v: boolean };
}

interface Scope {
  scalars: string[];
  locals: string[]; // assignable scalars
  vecs: Vec[];
  loops: Ctr[]; // loop counters, innermost last
  inLoop: boolean; // break/continue allowed
  /** what must run before a `continue` of the innermost loop for it to make progress (its counter's step, an exit check) */
  cont: string[];
  /** the loops whose counter indexes a vector in range (reads of an enclosing loop's counter inside a nested loop are never) */
  safe: Safe[];
  /** every Safe of the function (a statement that moves a counter, however deep, dirties them all) */
  allSafe: Safe[];
  /** counters of loops of this block that have ended (declared before their loop: still in scope) */
  done: string[];
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
  /** an optional parameter narrowed by `p1 ??= 0.5`: no literal `true` condition (TypeScript forgets the narrowing in the unreachable arm) */
  narrowed?: boolean;
  /** the innermost loop's label, named once a nested loop jumps to it (`L3: while (…)`, `continue L3;`) */
  label?: { name?: string };
}

const child = (s: Scope, over: Partial<Scope> = {}): Scope => ({
  ...s,
  scalars: [...s.scalars],
  locals: [...s.locals],
  vecs: [...s.vecs],
  loops: [...s.loops],
  arrows: [...s.arrows],
  done: [], // (a block's own: a loop of a nested block ends with its block)
  indent: s.indent + "  ",
  ...over,
});

const num = (v: number): string => (v < 0 ? `(${v})` : String(v));
const squash = (s: number, u: string): string =>
  s % 4 === 0 ? `Math.sin(${u})` : s % 4 === 1 ? `Math.tanh(${u})` : s % 4 === 2 ? `Math.cos(${u})` : `(${u}) / (1 + (${u}) ** 2)`;

/** A loop counter: l = 0, 1 the innermost, 2 the next, 3 the one after (as far as there are). */
function counter(sc: Scope, l: number): Ctr | undefined {
  if (sc.loops.length === 0) return undefined;
  const up = [0, 0, 1, 2][l % 4];
  return sc.loops[sc.loops.length - 1 - Math.min(up, sc.loops.length - 1)];
}

function vecRead(sc: Scope, v: number, o: number, l = 0): string {
  // every other read prefers the parameters and local arrays to the captured constants
  const own = sc.vecs.filter((x) => !/^C\d/.test(x.name));
  const vecs = v % 2 === 0 && own.length ? own : sc.vecs;
  if (vecs.length === 0) return "0.5";
  const x = vecs[v % vecs.length].name;
  const ix = counter(sc, l)?.name;
  // (counters never go below 0: the index stays in range)
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
    case "p":
      return sc.params.length ? sc.params[e.i % sc.params.length] : String(0.25 + e.i / 4);
    case "ix": {
      const c = counter(sc, e.l);
      return c ? (e.o ? `(${c.name} + ${e.o})` : c.name) : String(e.o + 1);
    }
    case "rd": {
      const c = counter(sc, e.l);
      const safe = c && e.o <= 1 ? sc.safe.find((x) => x.ctr === c && !x.dirty.v) : undefined;
      return safe ? `${safe.vec}[${c!.name}]` : vecRead(sc, e.v, e.o, e.l);
    }
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
      if (sc.recs[k].kind % 2 === 1) {
        const arrs = sc.vecs.filter((v) => v.type === "arr");
        return `r${k}(${arrs.length ? arrs[e.d % arrs.length].name : `[${r(e.a)}, 0.75]`}, 0, ${r(e.a)})`;
      }
      // the depth: an integer parameter, a length, a constant, or one that depends on the data (0 to 4)
      const a = r(e.a);
      // (tanh: finite for infinite values too, so that the recursion ends)
      if (e.d === 4) return `r${k}(${a}, Math.floor(2 + 2 * Math.tanh(${a})))`;
      const depths = [...(sc.intParam ? [`Math.round(${sc.intParam})`] : []), ...sc.vecs.map((v) => `${v.name}.length`), "2"];
      return `r${k}(${a}, ${depths[e.d % depths.length]})`;
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
    case "par": return sc.loops.length ? `${sc.loops[sc.loops.length - 1].name} % 2 === 0` : sc.narrowed ? "1 > 0" : "true";
    case "elt": {
      const x = renderE({ t: "rd", v: c.v, o: 0, l: 0 }, sc);
      const b = renderE(c.b, sc);
      return c.op === ">" || c.op === ">=" ? `${x} ${c.op} ${b}` : `${b} ${c.op === "<" ? ">" : ">="} ${x}`;
    }
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

/** A nested block's own locals feed the enclosing function's first local (its accumulator), so they reach the result. */
function ownSum(inner: Scope, outer: Scope): string[] {
  const own = inner.locals.filter((v) => !outer.locals.includes(v));
  if (!own.length || !outer.locals.length) return [];
  const sum = own.join(" + ");
  return [`${inner.indent}${outer.locals[0]} += ${inner.inLoop ? squash(0, sum) : `0.5 * (${sum})`};`];
}

/** Trips a loop with a guard counter makes at most. */
const GUARD = 6;

/** A step of an up counter by 1 or 2 (as a statement, or a for header's update). */
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
/** A step of a down counter by 1. */
function downStep(form: number, i: string): string {
  switch (form % 4) {
    case 0: return `${i}--`;
    case 1: return `${i} -= 1`;
    case 2: return `${i} = ${i} - 1`;
    default: return `--${i}`;
  }
}

/** The vector a `len` bound is the length of: every other one prefers the parameters and local arrays to the captured constants. */
function boundVec(b: Bound, sc: Scope): string | undefined {
  if (b.t !== "len" || sc.vecs.length === 0) return undefined;
  const own = sc.vecs.filter((x) => !/^C\d/.test(x.name));
  const vecs = b.v % 2 === 0 && own.length ? own : sc.vecs;
  return vecs[(b.v >> 1) % vecs.length].name;
}

function boundText(b: Bound, sc: Scope, shared: boolean): string {
  const vec = boundVec(b, sc);
  if (vec) return `${vec}.length`;
  if (b.t === "int" && sc.intParam) return `Math.round(${sc.intParam})`;
  // (a loop that shares the enclosing counter cannot be bounded by it)
  if (b.t === "tri" && sc.loops.length && !shared) return `${sc.loops[sc.loops.length - 1].name} + 1`;
  // 0 to 4, from the data
  if (b.t === "data") return `Math.floor(2 + 2 * Math.sin(${renderE(b.e, sc)}))`;
  return String(b.t === "c" ? b.n : 2);
}

/**
 * `if (c) { a } else { b }`; an arm may end with break, continue (after what
 * the loop needs to make progress) or return, and with `tailA` / `tailB` (a
 * loop's mandatory step, moved into the arms).
 */
function renderIf(s: Extract<S, { t: "if" }>, sc: Scope, tailA: string[], tailB: string[]): string[] {
  const I = sc.indent;
  const arm = (body: S[], x: number, tail: string[]): string[] => {
    const inner = child(sc);
    const J = inner.indent;
    const lines = [...renderBlock(body, inner), ...ownSum(inner, sc), ...tail.map((l) => J + l)];
    if (x === 3) lines.push(`${J}return ${retText([s.re, { t: "v", i: 0 }, { t: "v", i: 1 }], inner)};`);
    else if (x === 1 && sc.inLoop) lines.push(`${J}break;`);
    else if (x === 2 && sc.inLoop) lines.push(...(tail.length ? sc.cont.slice(1) : sc.cont).map((l) => J + l), `${J}continue;`);
    return lines;
  };
  const lines = [`${I}if (${renderC(s.c, sc)}) {`, ...arm(s.a, s.xa, tailA), `${I}}`];
  if (s.b || tailB.length) lines.push(`${I}else {`, ...arm(s.b ?? [], s.xb, tailB), `${I}}`);
  return lines;
}

/** A counter-driven loop (see Loop). */
function renderLoop(s: Loop, sc: Scope): string[] {
  const I = sc.indent;
  const outer = sc.loops[sc.loops.length - 1];
  const shared = s.init === 2 && outer !== undefined && outer.dir === 0 && s.dir === 0;
  const dir = s.dir === 1 && !shared && s.form !== 7 ? 1 : 0;
  // (a down loop steps first: no do…while, bottom exit or stepping condition)
  const form = dir === 1 ? ([0, 0, 2, 2, 4, 0, 2] as const)[s.form] : s.form;
  // a counter of an earlier loop of this block, reset (`i = 0;`), or a new one
  const reuse = s.init === 3 && sc.done.length && form !== 7 ? sc.done[s.step % sc.done.length] : undefined;
  const ctr: Ctr = shared ? outer : { name: reuse ?? `i${sc.fresh.n++}`, dir, guard: { v: false } };
  const i = ctr.name;
  // (evaluated again after the counter moved: no reads in range there)
  const N = boundText(s.n, { ...sc, safe: [] }, shared);
  const from = s.init === 1 && outer ? outer.name : undefined;
  // the second counter of a two-pointer loop: from the bound down to i
  const j: Ctr | undefined = form === 7 ? { name: `j${sc.fresh.n++}`, dir: 1, guard: ctr.guard } : undefined;
  // `y[i]` is in range at the top of the body when the bound is y.length: where the condition was checked before it (a
  // do…while or bottom exit: and the counter starts at 0), not after `while (i++ < n)`
  const vec = boundVec(s.n, sc);
  const checked = form === 0 || form === 2 || form === 4 || form === 7 || ((form === 1 || form === 3 || form === 6) && !shared && from === undefined);
  const inRange = vec !== undefined && (dir === 1 ? from === undefined : checked);
  const safe: Safe[] = inRange ? [{ ctr, vec, dirty: { v: false } }, ...(j ? [{ ctr: j, vec, dirty: { v: false } }] : [])] : [];
  sc.allSafe.push(...safe);
  const label: { name?: string } = {};
  const inner = child(sc, { inLoop: true, loops: shared ? [...sc.loops] : [...sc.loops, ctr, ...(j ? [j] : [])], cont: [], safe, done: [], label });
  const J = inner.indent;
  // (the condition of a down loop reads the counter before its step: it may equal the bound there; so does i++ < n)
  const unsafe = { ...inner, safe: [] };
  const dc = s.dc ? renderC(s.dc, (dir === 1 && form !== 4) || form === 5 || form === 6 ? unsafe : inner) : undefined;
  const and = dc ? ` && ${dc}` : "";
  const go = (dir === 0 ? `${i} < ${N}` : form === 4 ? `${i} >= 0` : `${i} > 0`) + and;
  // (a bound from the data is NaN where the data is: an exit that holds then too)
  const nan = s.n.t === "data";
  const stop = (dir === 0 ? (nan ? `!(${i} < ${N})` : `${i} >= ${N}`) : nan ? `!(${i} > 0)` : `${i} <= 0`) + (dc ? ` || !(${dc})` : "");
  const stepOf = (form: number, at = inner) => (dir === 0 ? upStep(form, i, () => renderC(s.sc, at)) : downStep(form, i));
  // while-like loops counting up step at the end of the body: a `continue` steps first (and checks a bottom exit)
  const stepsAtEnd = dir === 0 && form <= 3;
  if (stepsAtEnd) inner.cont = [`${stepOf(s.step, unsafe)};`, ...(form === 3 ? [`if (${stop}) break;`] : [])];
  // (what the for header's update may read: the scope before the body)
  const top: Scope = { ...inner, scalars: [...inner.scalars], locals: [...inner.locals], vecs: [...inner.vecs], arrows: [...inner.arrows] };
  const lines: string[] = [];
  if (dir === 1 && form !== 4) lines.push(`${J}${stepOf(s.step)};`);
  // leaving the enclosing loop from this one: a labelled jump (half the time), or a flag set before this loop's break
  const jump = s.flag && sc.inLoop && sc.label && s.step % 2 === 0 ? (sc.label.name ??= `L${sc.fresh.n++}`) : undefined;
  const flag = s.flag && sc.inLoop && !jump ? `f${sc.fresh.n++}` : undefined;
  if (flag) lines.push(`${J}if (${renderC(s.fc, inner)}) {`, `${J}  ${flag} = true;`, `${J}  break;`, `${J}}`);
  if (jump) {
    // (a continue runs what the enclosing loop needs first: its step, its bottom exit, which leaves that loop)
    const before = s.flag === 1 ? [] : sc.cont.map((l) => `${J}  ${l.replace(/\bbreak;$/, `break ${jump};`)}`);
    lines.push(`${J}if (${renderC(s.fc, inner)}) {`, ...before, `${J}  ${s.flag === 1 ? "break" : "continue"} ${jump};`, `${J}}`);
  }
  const last = s.body[s.body.length - 1];
  const merge = stepsAtEnd && s.place === 3 && last?.t === "if" && last.b !== null ? last : undefined;
  lines.push(...renderBlock(merge ? s.body.slice(0, -1) : s.body, inner));
  // (the arms' steps run after the arms, which may have moved the counter: no reads in range there)
  if (merge) lines.push(...renderIf(merge, inner, [`${stepOf(s.step, unsafe)};`], [`${stepOf(s.stepB, unsafe)};`]));
  lines.push(...ownSum(inner, sc));
  if (stepsAtEnd && !merge) {
    if (s.place === 0) lines.push(`${J}${stepOf(s.step)};`);
    else if (s.place === 1) lines.push(`${J}if (${renderC(s.sc, inner)}) {`, `${J}  ${stepOf(s.step)};`, `${J}}`, `${J}else {`, `${J}  ${stepOf(s.stepB)};`, `${J}}`);
    else lines.push(...renderIf({ t: "if", c: s.sc, a: s.ta, b: s.tb, xa: 0, xb: 0, re: { t: "c", v: 0 } }, inner, [`${stepOf(s.step, unsafe)};`], [`${stepOf(s.stepB, unsafe)};`]));
  }
  if (form === 3) lines.push(`${J}if (${stop}) break;`);
  // the two-pointer loop's j moves down at the end (by 1, or on a condition)
  if (j) lines.push(s.place === 0 ? `${J}${j.name}--;` : `${J}if (${renderC(s.sc, unsafe)}) ${j.name}--;`);
  const header = form === 4 ? stepOf(s.step, top) : "";
  // after a loop that moved the enclosing counter, reading with it is not safe any more
  if (shared) for (const x of sc.allSafe) if (x.ctr === ctr) x.dirty.v = true;
  // the guard (decided after the body: a statement in it may have moved the counter back)
  const guarded = s.guard || ctr.guard.v;
  const g = `g${sc.fresh.n++}`;
  const pre = guarded ? [`${I}let ${g} = 0;`] : [];
  const gc = guarded ? ` && ${g} < ${GUARD}` : "";
  const gTop = guarded ? [form === 2 || form === 3 ? `${J}if (++${g} > ${GUARD}) break;` : `${J}${g}++;`] : [];
  const start = from ?? (dir === 0 ? "0" : form === 4 ? `${N} - 1` : N);
  const init = shared ? "" : reuse ? `${i} = ${start}` : `let ${i} = ${start}`;
  const decl = shared || form === 4 || form === 7 ? [] : [`${I}${init};`];
  // a counter declared before its loop stays in scope: later statements read its last value (a trip count), later loops reuse it
  if (!shared && !reuse && form !== 4 && form !== 7) {
    sc.done.push(i);
    sc.scalars.splice(Math.max(0, sc.scalars.length - 3), 0, i);
  }
  const lab = label.name ? `${label.name}: ` : "";
  const loop = (): string[] => {
    switch (form) {
      case 0: return [...pre, ...decl, `${I}${lab}while (${go}${gc}) {`, ...gTop, ...lines, `${I}}`];
      case 1: return [...pre, ...decl, `${I}${lab}do {`, ...gTop, ...lines, `${I}} while (${go}${gc});`];
      case 2: return [...pre, ...decl, `${I}${lab}while (true) {`, ...gTop, `${J}if (${stop}) break;`, ...lines, `${I}}`];
      case 3: return [...pre, ...decl, `${I}${lab}while (true) {`, ...gTop, ...lines, `${I}}`];
      case 4: return [...pre, `${I}${lab}for (${init}; ${go}${gc}; ${header}) {`, ...gTop, ...lines, `${I}}`];
      // the condition steps: `while (i++ < n)`, `do … while (++i < n)`
      case 5: return [...pre, ...decl, `${I}${lab}while (${i}++ < ${N}${and}${gc}) {`, ...gTop, ...lines, `${I}}`];
      case 6: return [...pre, ...decl, `${I}${lab}do {`, ...gTop, ...lines, `${I}} while (++${i} < ${N}${and}${gc});`];
      default: return [...pre, `${I}${lab}for (let ${i} = ${from ?? 0}, ${j!.name} = ${N} - 1; ${i} < ${j!.name}${and}${gc}; ${i}++) {`, ...gTop, ...lines, `${I}}`];
    }
  };
  if (!flag) return loop();
  const after = s.flag === 1 || sc.cont.length === 0 ? [`${I}if (${flag}) ${s.flag === 1 ? "break" : "continue"};`] : [`${I}if (${flag}) {`, ...sc.cont.map((l) => `${I}  ${l}`), `${I}  continue;`, `${I}}`];
  return [`${I}let ${flag} = false;`, ...loop(), ...after];
}

/** A statement that moves an enclosing loop's counter. */
function renderStep(s: Extract<S, { t: "step" }>, sc: Scope): string[] {
  const c = counter(sc, s.l);
  if (!c) return [];
  const I = sc.indent;
  // a loop inside the counter's own (whose bound may derive from the counter) needs a guard now
  for (let k = sc.loops.length - 1; k >= 0 && sc.loops[k] !== c; k--) sc.loops[k].guard.v = true;
  const i = c.name;
  if (c.dir === 1) {
    switch (s.form % 3) {
      case 0: return [`${I}if (${i} > 0) ${i}--;`];
      case 1: return [`${I}if (${renderC(s.c, sc)} && ${i} > 0) ${i} -= 1;`];
      default: return [`${I}${i} = Math.max(0, ${i} - 1);`];
    }
  }
  if (s.form === 6 || s.form === 7) {
    c.guard.v = true; // back: the loop needs its guard
    return [s.form === 6 ? `${I}if (${i} > 0) ${i}--;` : `${I}${i} = Math.max(0, ${i} - 1);`];
  }
  // forward: the counter may have left its range
  for (const x of sc.allSafe) if (x.ctr === c) x.dirty.v = true;
  if (s.form === 8 && sc.locals.length && sc.vecs.length) {
    // reads and steps in one: acc += sin(x[i++ % x.length])
    const x = sc.vecs[s.l % sc.vecs.length].name;
    return [`${I}${sc.locals[s.l % sc.locals.length]} += ${squash(s.l, `${x}[${i}++ % ${x}.length]`)};`];
  }
  return [`${I}${upStep(s.form, i, () => renderC(s.c, sc))};`];
}

function renderS(s: S, sc: Scope): string[] {
  const I = sc.indent;
  const r = (e: E) => renderE(e, sc);
  const nested = (body: S[], inner: Scope): string[] => [...renderBlock(body, inner), ...ownSum(inner, sc)];
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
      const ix = sc.loops.length ? `(${sc.loops[sc.loops.length - 1].name} + ${s.o}) % ${x}.length` : `${s.o} % ${x}.length`;
      const e = r(s.e);
      return [`${I}${x}[${ix}] ${s.op} ${sc.inLoop && s.op !== "=" ? squash(0, e) : e};`];
    }
    case "ret":
      return [`${I}if (${renderC(s.c, sc)}) return ${retText(s.es, sc)};`];
    case "brk": {
      if (!sc.inLoop) return [];
      const c = renderC(s.c, sc);
      if (!s.cont || sc.cont.length === 0) return [`${I}if (${c}) ${s.cont ? "continue" : "break"};`];
      return [`${I}if (${c}) {`, ...sc.cont.map((l) => `${I}  ${l}`), `${I}  continue;`, `${I}}`];
    }
    case "step":
      return renderStep(s, sc);
    case "loop":
      return renderLoop(s, sc);
    case "arrow": {
      const name = `g${sc.fresh.n++}`;
      // the arrow reads its parameter and the enclosing function's parameters
      const inner = child(sc, { scalars: ["t", ...sc.params], locals: [], vecs: sc.vecs.filter((v) => !v.writable), loops: [], inLoop: false, cont: [], safe: [] });
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
    case "for":
      // for (let i = 0; i < n; i++) { … }
      return renderLoop({ t: "loop", form: 4, dir: 0, n: s.n, init: 0, dc: null, guard: false, step: 0, stepB: 0, place: 0, sc: { t: "par" }, ta: [], tb: [], flag: 0, fc: { t: "par" }, body: s.body }, sc);
    case "while": {
      const it = `it${sc.fresh.n++}`;
      const c = renderC(s.c, sc);
      // (a loop of its own: a nested loop's labelled jump names this one, never one further out, whose step it would skip)
      const label: { name?: string } = {};
      const body = nested(s.body, child(sc, { inLoop: true, cont: [], safe: [], label }));
      const lab = label.name ? `${label.name}: ` : "";
      const inc = `${I}  ${it}++;`;
      return s.dw
        ? [`${I}let ${it} = 0;`, `${I}${lab}do {`, inc, ...body, `${I}} while (${c} && ${it} < ${s.max});`]
        : [`${I}let ${it} = 0;`, `${I}${lab}while (${c} && ${it} < ${s.max}) {`, inc, ...body, `${I}}`];
    }
    case "if":
      return renderIf(s, sc, [], []);
    case "forof": {
      if (sc.vecs.length === 0) return [];
      const x = sc.vecs[s.v % sc.vecs.length].name;
      const el = `e${sc.fresh.n++}`;
      const label: { name?: string } = {};
      const body = nested(s.body, child(sc, { inLoop: true, cont: [], safe: [], scalars: [...sc.scalars, el], label }));
      return [`${I}${label.name ? `${label.name}: ` : ""}for (const ${el} of ${x}) {`, ...body, `${I}}`];
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

/**
 * `let acc = 0;` (a local the body's statements and nested blocks update) before the body's lines; the
 * function's number parameters are assignable too (`p0 *= …`: a parameter's second definition).
 */
function accumulate(sc: Scope, body: () => string[], params: string[] = []): string[] {
  sc.scalars.push("acc");
  sc.locals.push("acc", ...params);
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
    scalars: [], locals: [], vecs: [...consts], loops: [], inLoop: false, cont: [], safe: [], allSafe: [], done: [], helpers: 0, helperSigs: p.helpers, recs: [],
    arrows: [], outLen: 1, retKind: "helper", fresh: { n: 0 }, indent: "  ", params: [], ...over,
  });
  p.helpers.forEach((h, k) => {
    const ps = ["p0", "p1"].slice(0, h.np);
    const defaulted = h.form === 1 && h.np === 2 && !h.vec;
    // (a parameter calls may omit, spelled three ways: a default value; optional, then `=== undefined`; optional, then `??=`)
    const spelling = defaulted ? (k + h.body.length) % 3 : 0;
    const sig = [...ps.map((q, i) => (defaulted && i === 1 ? (spelling === 0 ? `${q} = 0.5` : `${q}?: number`) : `${q}: number`)), ...(h.vec ? ["w: number[]"] : [])].join(", ");
    // (spelling 1 reads p1 only through u1, whose other arm has p1 in a partial of p0: a reverse sweep that
    // took that arm for an omitted p1 multiplies by undefined; p1 itself is never assigned, so its test is recomputed)
    const entry = spelling === 1 ? ["  const u1 = p1 === undefined ? 0.5 : p1 * (1 + 0.5 * Math.tanh(p0));"] : spelling === 2 ? ["  p1 ??= 0.5;"] : [];
    const own = spelling === 1 ? ["p0", "u1"] : ps;
    const sc = base({
      // (an optional parameter is not read by local arrows: TypeScript does not narrow it inside them)
      scalars: own, helpers: k, params: spelling ? ["p0"] : ps, vecs: [...consts, ...(h.vec ? [{ name: "w", type: "arr" as const, writable: false }] : [])],
      retKind: h.form === 2 ? "tuple" : "helper", outLen: h.form === 2 ? 2 : 1, narrowed: spelling === 2,
    });
    const body = [...entry, ...(h.body.length ? accumulate(sc, () => renderBlock(h.body, sc), spelling === 1 ? ["p0"] : ps) : [])];
    const ret = `${renderE(h.ret, sc)}${live(sc, 0, 1)}${spelling === 1 ? " + 0.25 * u1" : ""}`;
    if (h.form === 2) lines.push(`function h${k}(${sig}): [number, number] {`, ...body, `  return [${ret}, ${renderE(h.ret2, sc)}];`, "}");
    else lines.push(`function h${k}(${sig}): number {`, ...body, `  return ${ret};`, "}");
  });
  p.recs.forEach((r, k) => {
    const plain = base({ scalars: ["u"], helpers: p.helpers.length, params: ["u"] });
    if (r.kind % 2 === 0) {
      const withT = base({ scalars: ["u", "t"], helpers: p.helpers.length, params: ["u"] });
      lines.push(
        `function r${k}(u: number, d: number): number {`,
        `  if (d <= 0) return ${renderE(r.base, plain)};`,
        // kind 2: stops early where the data says (a depth that depends on u)
        ...(r.kind === 2 ? [`  if (${renderC(r.stop, plain)}) return ${renderE(r.alt, plain)};`] : []),
        `  const t = r${k}(${renderE(r.step, plain)}, d - 1);`,
        `  return ${renderE(r.comb, withT)};`,
        "}",
      );
    } else {
      const w = { name: "w", type: "arr" as const, writable: false };
      // (after the base case, i < w.length: w[i] is in range)
      const ctr: Ctr = { name: "i", dir: 0, guard: { v: false } };
      const at = { loops: [ctr], safe: [{ ctr, vec: "w", dirty: { v: false } }], helpers: p.helpers.length, params: ["u"] };
      const sc = base({ scalars: ["u"], vecs: [w], ...at });
      const withT = base({ scalars: ["u", "t"], vecs: [w], ...at });
      lines.push(
        `function r${k}(w: number[], i: number, u: number): number {`,
        `  if (i >= w.length) return ${renderE(r.base, plain)};`,
        // kind 3: skips the next element where the data says (the index moves by 1 or 2)
        ...(r.kind === 3 ? [`  if (${renderC(r.stop, sc)}) return r${k}(w, i + 2, ${renderE(r.alt, sc)});`] : []),
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
  body.push(...(p.body.length ? accumulate(sc, () => renderBlock(p.body, sc), names.filter((_, k) => p.params[k].kind === "num")) : []));
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
