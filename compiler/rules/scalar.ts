// The derivative rules of the scalar primitives: one entry per primitive, its
// JavaScript, its jvp (tangent) and its vjp (cotangent) side by side. Rules
// build IR through the Builder, so a derivative is again differentiable
// (hessian = jvp of vjp). Formulas are PyTorch's (tools/autograd/derivatives.yaml),
// evaluated in IEEE arithmetic: NaN and infinities propagate.

import { type Atom, type Builder, lit } from "../ir/ir.js";

type Tan = Atom | null; // null: a structural zero (no dependence), never a numeric 0

export interface ScalarRule {
  /** number of operands, or "n" for Math.max / min / hypot */
  arity: number | "n";
  js: (a: string[], attrs?: unknown[]) => string;
  /** no derivative at all (comparisons, logic, floor…): the result is a constant */
  zero?: boolean;
  jvp?: (b: Builder, x: Atom[], dx: Tan[], out: Atom) => Tan;
  /** contributions to each operand's cotangent; only `active` ones are built */
  vjp?: (b: Builder, x: Atom[], out: Atom, ct: Atom, active: boolean[]) => Tan[];
}

// Tangent arithmetic that keeps structural zeros structural.
export function tadd(b: Builder, x: Tan, y: Tan): Tan {
  if (!x) return y;
  if (!y) return x;
  return b.p("add", x, y);
}
const tmul = (b: Builder, x: Tan, k: Atom): Tan => (x ? b.p("mul", x, k) : null);

/** A unary rule from its local derivative f'(x) (given x and f(x)). */
function unary(js: (a: string) => string, deriv: (b: Builder, x: Atom, out: Atom) => Atom): ScalarRule {
  return {
    arity: 1,
    js: ([a]) => js(a),
    jvp: (b, [x], [dx], out) => tmul(b, dx, deriv(b, x, out)),
    vjp: (b, [x], out, ct) => [b.p("mul", ct, deriv(b, x, out))],
  };
}
const mathFn = (name: string) => (a: string) => `Math.${name}(${a})`;
const zeroRule = (arity: number | "n", js: (a: string[], attrs?: unknown[]) => string): ScalarRule => ({ arity, js, zero: true });
const bin = (op: string) => (a: string[]) => `${a[0]} ${op} ${a[1]}`;

const LN2 = Math.LN2;
const LN10 = Math.LN10;

/** Math.max / Math.min: ties split the derivative evenly among every tied argument (PyTorch). */
function extremum(name: "max" | "min"): ScalarRule {
  // d out = Σ_i [x_i == out] dx_i / #{i : x_i == out}
  const count = (b: Builder, x: Atom[], out: Atom) =>
    x.map((xi) => b.p("select", b.p("eq", xi, out), lit(1), lit(0))).reduce((s, c) => b.p("add", s, c));
  return {
    arity: "n",
    js: (a) => `Math.${name}(${a.join(", ")})`,
    jvp: (b, x, dx, out) => {
      if (x.length === 1) return dx[0];
      const n = count(b, x, out);
      let sum: Tan = null;
      x.forEach((xi, i) => {
        if (dx[i]) sum = tadd(b, sum, b.p("select", b.p("eq", xi, out), dx[i]!, lit(0)));
      });
      return sum ? b.p("div", sum, n) : null;
    },
    vjp: (b, x, out, ct, active) => {
      if (x.length === 1) return [ct];
      const share = b.p("div", ct, count(b, x, out));
      return x.map((xi, i) => (active[i] ? b.p("select", b.p("eq", xi, out), share, lit(0)) : null));
    },
  };
}

const SCALAR_RULES = {
  // d(x + y) = dx + dy
  add: { arity: 2, js: bin("+"), jvp: (b, _x, [dx, dy]) => tadd(b, dx, dy), vjp: (_b, _x, _o, ct) => [ct, ct] },
  // d(x - y) = dx - dy
  sub: {
    arity: 2,
    js: bin("-"),
    jvp: (b, _x, [dx, dy]) => (dy ? (dx ? b.p("sub", dx, dy) : b.p("neg", dy)) : dx),
    vjp: (b, _x, _o, ct, act) => [ct, act[1] ? b.p("neg", ct) : null],
  },
  // d(x y) = dx y + x dy
  mul: {
    arity: 2,
    js: bin("*"),
    jvp: (b, [x, y], [dx, dy]) => tadd(b, tmul(b, dx, y), dy ? b.p("mul", x, dy) : null),
    vjp: (b, [x, y], _o, ct, act) => [act[0] ? b.p("mul", ct, y) : null, act[1] ? b.p("mul", ct, x) : null],
  },
  // d(x / y) = dx / y - (x / y) dy / y
  div: {
    arity: 2,
    js: bin("/"),
    jvp: (b, [, y], [dx, dy], out) => {
      const a = dx ? b.p("div", dx, y) : null;
      if (!dy) return a;
      const c = b.p("div", b.p("mul", out, dy), y);
      return a ? b.p("sub", a, c) : b.p("neg", c);
    },
    vjp: (b, [, y], out, ct, act) => [
      act[0] ? b.p("div", ct, y) : null,
      act[1] ? b.p("neg", b.p("div", b.p("mul", ct, out), y)) : null,
    ],
  },
  neg: { arity: 1, js: ([a]) => `-${a}`, jvp: (b, _x, [dx]) => (dx ? b.p("neg", dx) : null), vjp: (b, _x, _o, ct) => [b.p("neg", ct)] },
  // PyTorch pow_backward: d/dx = y x^(y-1) (0 when y == 0); d/dy = out log x, 0 where x == 0 and y >= 0
  pow: {
    arity: 2,
    js: ([a, c]) => `${a} ** ${c}`,
    jvp: (b, [x, y], [dx, dy], out) => tadd(b, dx ? b.p("mul", dx, powDx(b, x, y)) : null, dy ? b.p("mul", dy, powDy(b, x, y, out)) : null),
    vjp: (b, [x, y], out, ct, act) => [
      act[0] ? b.p("mul", ct, powDx(b, x, y)) : null,
      act[1] ? b.p("mul", ct, powDy(b, x, y, out)) : null,
    ],
  },
  // fmod: d/da = 1, d/db = -trunc(a / b)
  mod: {
    arity: 2,
    js: bin("%"),
    jvp: (b, [x, y], [dx, dy]) => tadd(b, dx, dy ? b.p("mul", dy, b.p("neg", b.p("trunc", b.p("div", x, y)))) : null),
    vjp: (b, [x, y], _o, ct, act) => [ct, act[1] ? b.p("mul", ct, b.p("neg", b.p("trunc", b.p("div", x, y)))) : null],
  },
  exp: unary(mathFn("exp"), (_b, _x, out) => out), // d exp x = exp x dx
  log: unary(mathFn("log"), (b, x) => b.p("div", lit(1), x)), // d log x = dx / x
  log1p: unary(mathFn("log1p"), (b, x) => b.p("div", lit(1), b.p("add", x, lit(1)))),
  expm1: unary(mathFn("expm1"), (b, _x, out) => b.p("add", out, lit(1))),
  log2: unary(mathFn("log2"), (b, x) => b.p("div", lit(1), b.p("mul", x, lit(LN2)))),
  log10: unary(mathFn("log10"), (b, x) => b.p("div", lit(1), b.p("mul", x, lit(LN10)))),
  sqrt: unary(mathFn("sqrt"), (b, _x, out) => b.p("div", lit(1), b.p("mul", lit(2), out))), // d√x = dx / (2√x)
  cbrt: unary(mathFn("cbrt"), (b, _x, out) => b.p("div", lit(1), b.p("mul", lit(3), b.p("mul", out, out)))),
  sin: unary(mathFn("sin"), (b, x) => b.p("cos", x)),
  cos: unary(mathFn("cos"), (b, x) => b.p("neg", b.p("sin", x))),
  tan: unary(mathFn("tan"), (b, _x, out) => b.p("add", lit(1), b.p("mul", out, out))), // 1 + tan²
  asin: unary(mathFn("asin"), (b, x) => b.p("div", lit(1), b.p("sqrt", b.p("sub", lit(1), b.p("mul", x, x))))),
  acos: unary(mathFn("acos"), (b, x) => b.p("div", lit(-1), b.p("sqrt", b.p("sub", lit(1), b.p("mul", x, x))))),
  atan: unary(mathFn("atan"), (b, x) => b.p("div", lit(1), b.p("add", lit(1), b.p("mul", x, x)))),
  sinh: unary(mathFn("sinh"), (b, x) => b.p("cosh", x)),
  cosh: unary(mathFn("cosh"), (b, x) => b.p("sinh", x)),
  tanh: unary(mathFn("tanh"), (b, _x, out) => b.p("sub", lit(1), b.p("mul", out, out))), // 1 - tanh²
  asinh: unary(mathFn("asinh"), (b, x) => b.p("div", lit(1), b.p("sqrt", b.p("add", b.p("mul", x, x), lit(1))))),
  acosh: unary(mathFn("acosh"), (b, x) => b.p("div", lit(1), b.p("sqrt", b.p("sub", b.p("mul", x, x), lit(1))))),
  atanh: unary(mathFn("atanh"), (b, x) => b.p("div", lit(1), b.p("sub", lit(1), b.p("mul", x, x)))),
  // abs'(x) = sign(x), so abs'(0) = 0 (PyTorch)
  abs: unary(mathFn("abs"), (b, x) => b.p("sign", x)),
  // atan2(y, x): d/dy = x / (x² + y²), d/dx = -y / (x² + y²); NaN at (0, 0) as in PyTorch
  atan2: {
    arity: 2,
    js: ([a, c]) => `Math.atan2(${a}, ${c})`,
    jvp: (b, [y, x], [dy, dx]) => {
      const r = b.p("div", lit(1), b.p("add", b.p("mul", x, x), b.p("mul", y, y)));
      return tadd(b, dy ? b.p("mul", dy, b.p("mul", x, r)) : null, dx ? b.p("mul", dx, b.p("neg", b.p("mul", y, r))) : null);
    },
    vjp: (b, [y, x], _o, ct, act) => {
      const r = b.p("div", ct, b.p("add", b.p("mul", x, x), b.p("mul", y, y)));
      return [act[0] ? b.p("mul", x, r) : null, act[1] ? b.p("neg", b.p("mul", y, r)) : null];
    },
  },
  // hypot: d out = Σ x_i dx_i / out
  hypot: {
    arity: "n",
    js: (a) => `Math.hypot(${a.join(", ")})`,
    jvp: (b, x, dx, out) => {
      let s: Tan = null;
      x.forEach((xi, i) => (s = tadd(b, s, dx[i] ? b.p("mul", xi, dx[i]!) : null)));
      return s ? b.p("div", s, out) : null;
    },
    vjp: (b, x, out, ct, act) => {
      const k = b.p("div", ct, out);
      return x.map((xi, i) => (act[i] ? b.p("mul", xi, k) : null));
    },
  },
  max: extremum("max"),
  min: extremum("min"),
  // select(c, a, b) = c ? a : b, differentiable in a and b only
  select: {
    arity: 3,
    js: ([c, a, d]) => `${c} ? ${a} : ${d}`,
    jvp: (b, [c], [, da, db]) => (da || db ? b.p("select", c, da ?? lit(0), db ?? lit(0)) : null),
    vjp: (b, [c], _o, ct, act) => [null, act[1] ? b.p("select", c, ct, lit(0)) : null, act[2] ? b.p("select", c, lit(0), ct) : null],
  },
  // float32 rounding, for the float32 twin of tensor code (compiler/ad/scalarize.ts): a cast, whose
  // derivative is 1 (PyTorch's `.float()`); tangents and cotangents pass through unrounded
  fround: { arity: 1, js: ([a]) => `Math.fround(${a})`, jvp: (_b, _x, [dx]) => dx, vjp: (_b, _x, _o, ct) => [ct] },
  // piecewise constant: derivative zero everywhere (PyTorch: floor'(x) = 0)
  sign: zeroRule(1, ([a]) => `Math.sign(${a})`),
  floor: zeroRule(1, ([a]) => `Math.floor(${a})`),
  ceil: zeroRule(1, ([a]) => `Math.ceil(${a})`),
  round: zeroRule(1, ([a]) => `Math.round(${a})`),
  trunc: zeroRule(1, ([a]) => `Math.trunc(${a})`),
  lt: zeroRule(2, bin("<")),
  le: zeroRule(2, bin("<=")),
  gt: zeroRule(2, bin(">")),
  ge: zeroRule(2, bin(">=")),
  eq: zeroRule(2, bin("===")),
  ne: zeroRule(2, bin("!==")),
  not: zeroRule(1, ([a]) => `!${a}`),
  isundef: zeroRule(1, ([a]) => `${a} === undefined`),
  // a property of a constant object (a record element of an array argument): attrs [name]; never differentiated
  prop: zeroRule(1, ([a], attrs) => {
    const key = String(attrs![0]);
    return /^[A-Za-z_$][\w$]*$/.test(key) ? `${a}.${key}` : `${a}[${JSON.stringify(key)}]`;
  }),
  // a constant array's elements from index a to b (xs.slice(a, b) of a constant array of rows or records), read in place after
  slice: zeroRule(3, ([a, s, e]) => `${a}.slice(${s}, ${e})`),
  random: zeroRule(0, () => "Math.random()"),
  and: zeroRule(2, bin("&&")),
  or: zeroRule(2, bin("||")),
} satisfies Record<string, ScalarRule>;

/** The scalar primitives' names: compiler/ops/structure.ts's pattern table is typed over them. */
export type ScalarPrim = keyof typeof SCALAR_RULES;
export const scalarRules: Record<string, ScalarRule> = SCALAR_RULES;

function powDx(b: Builder, x: Atom, y: Atom): Atom {
  // y == 0 → 0, else y * x^(y-1)
  if (y.k === "lit") {
    if (y.v === 0) return lit(0);
    if (y.v === 1) return lit(1);
    if (y.v === 2) return b.p("mul", lit(2), x);
    return b.p("mul", y, b.p("pow", x, lit((y.v as number) - 1)));
  }
  return b.p("select", b.p("eq", y, lit(0)), lit(0), b.p("mul", y, b.p("pow", x, b.p("sub", y, lit(1)))));
}

function powDy(b: Builder, x: Atom, y: Atom, out: Atom): Atom {
  // (x == 0 && y >= 0) → 0, else out * log x
  const mask = b.p("and", b.p("eq", x, lit(0)), b.p("ge", y, lit(0)));
  return b.p("select", mask, lit(0), b.p("mul", out, b.p("log", x)));
}

/** Math.<name> → primitive name */
export const MATH_PRIMS: Record<string, string> = {
  exp: "exp", log: "log", log1p: "log1p", expm1: "expm1", log2: "log2", log10: "log10", sqrt: "sqrt", cbrt: "cbrt",
  pow: "pow", sin: "sin", cos: "cos", tan: "tan", asin: "asin", acos: "acos", atan: "atan", atan2: "atan2",
  sinh: "sinh", cosh: "cosh", tanh: "tanh", asinh: "asinh", acosh: "acosh", atanh: "atanh", abs: "abs", sign: "sign",
  min: "min", max: "max", hypot: "hypot", floor: "floor", ceil: "ceil", round: "round", trunc: "trunc",
};
