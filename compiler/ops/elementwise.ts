// The elementwise tensor ops, each defined once (issue 15's registry, first
// step): its surface (a Tensor method and a jacc function of the same name,
// with literal parameters after the operands), its scalar formula in JS and in
// WGSL, its jvp and vjp, and the domain its tests draw from. Everything else
// is derived from this table:
//   - the derivative rules `t.<name>` (compiler/rules/tensor.ts),
//   - the front end's op spec (compiler/front/tensor-ops.ts),
//   - fusion and direct kernels (compiler/opt/fuse.ts: the JS formula),
//   - the WebGPU kernels `unary_<name>` / `binary_<name>` and fused kernels
//     (compiler/emit/wgsl: the WGSL formula),
//   - the CPU loops, public op functions and Tensor methods of the runtime,
//     which `npm run gen:ops` writes to runtime/ops/*.gen.ts (the runtime never
//     imports the compiler, and a loop per op keeps each body a single
//     expression V8 compiles without a call per element),
//   - the WebGPU runtime's op table (runtime/webgpu/ops.ts, from the names),
//   - test/rules-tensor.test.ts's cases and test/webgpu-kernels.test.ts.
//
// Formulas read their operands as `x` (and `y` for a binary op) and their
// parameters by name. An op whose JS formula reads each operand once, calls no
// helper and has no parameters fuses into elementwise chains.
import { type Atom, type Builder, lit, NUM, TENSOR, type Type } from "../ir/ir.js";

type Tan = Atom | null;

/** The jvp / vjp pair of a tensor rule (compiler/rules/tensor.ts's shapes). */
export interface DiffRule {
  jvp: (b: Builder, x: Atom[], dx: Tan[], out: Atom, attrs: unknown[]) => Tan;
  vjp: (b: Builder, x: Atom[], out: Atom, ct: Atom, active: boolean[], attrs: unknown[], types: Type[]) => Tan[];
  /** the op's output never depends differentiably on its operands: AD treats it as a constant (no cotangent to send back) */
  zero?: true;
}

/**
 * The kernels' own WGSL helpers a formula may call (compiler/emit/wgsl/kernels.ts's HELPERS); the math
 * library's `jacc_*` functions (compiler/emit/wgsl/math.ts) are found in the formula's text.
 */
export type WgslHelper = "sincos" | "pow" | "log1p";

export interface ElementwiseOp {
  /** tensor operands (a binary op broadcasts them, and takes a number for either) */
  arity: 1 | 2;
  /** one line for the runtime function's documentation */
  doc: string;
  /** literal parameters after the operands, with PyTorch's defaults (softplus's beta = 1, threshold = 20) */
  params?: readonly (readonly [name: string, dflt: number])[];
  /** the value in JS, float64 (float32 tensors store it rounded) */
  js: string;
  /** JS helpers the formula calls (runtime/ops/scalar-math.ts) */
  jsHelpers?: readonly ("powC" | "remainderC" | "roundHalfEven" | "erfC" | "erfcC")[];
  /** the value in WGSL, f32, with NaN passed through where the builtin may not */
  wgsl: string;
  wgslHelpers?: readonly WgslHelper[];
  /** derivatives: built from other tensor primitives, so they are differentiable again */
  rule: DiffRule;
  /**
   * An options object whose one field picks a sibling entry: gelu's `{ approximate: "none" | "tanh" }`
   * (the first value is this op). The front end reads it as a literal (compiler/front/op-options.ts).
   */
  variants?: { option: string; ops: Readonly<Record<string, string>> };
  /** An entry reached only through another's variants (geluTanh through gelu's `approximate: "tanh"`): no function or method of its own; its runtime call is the other's with the option. */
  variantOf?: readonly [op: string, option: string, value: string];
  /** `add(x, y, { alpha })`: other scaled first (PyTorch's alpha) */
  alpha?: boolean;
  /**
   * "bool": a mask (comparisons, logical ops, isnan): the result is a bool tensor, the formula's value 0 or 1
   * (operands of any dtype, a bool read as 0 / 1, nonzero and NaN true); no derivative, structure class
   * "none", never fused into float chains. Absent: a float result.
   */
  result?: "bool";
  /**
   * PyTorch keeps integer operands' type through this op (add, mul, maximum, neg, floor, …): int32
   * operands (with bool ones, and integral numbers) give an int32 result (runtime/check.ts keepsInt32);
   * two bool operands would give a bool or integer result PyTorch defines and jacc does not, so the
   * runtime refuses them (a TypeError naming the op and the dtypes). Ops that promote to float (div,
   * atan2, exp) read bool as 0 / 1 and int32 as its integers, in float32.
   */
  integral?: true;
  /**
   * Structured Jacobians (compiler/ops/structure.ts): every elementwise op's class is "diagonal"; an op
   * linear in a tangent names the runtime entry that tangent takes (scaled or added rows). Without
   * one, a tangent through the op runs it once per basis column.
   */
  structure?: { sj: "sjMul" | "sjDiv" | "sjNeg" | "sjAdd" | "sjSub" };
  /**
   * What the generated tests (test/rules-tensor.test.ts) draw from: an interval per operand, kinks to stay
   * away from, whether second derivatives are checked, and extra cases (f(x, y) with operand shapes, "num": a number).
   */
  test: {
    dom: readonly (readonly [number, number])[];
    kinks?: readonly number[];
    smooth: boolean;
    cases?: readonly { expr: string; args: readonly (readonly number[] | "num")[]; dom?: readonly [number, number]; kinks?: readonly number[] }[];
  };
}

// ---- builders over tensors or numbers (an operand of a binary op may be a number); the tensor rules use them too
export const T = (b: Builder, op: string, args: Atom[], attrs: unknown[] = []) => b.t(op, args, attrs);
const isNum = (b: Builder, a: Atom) => a.k === "lit" || b.fn.vars.get(a.name)?.k === "num";
/** `op` on tensors, or the scalar primitive when every operand is a number. */
const ew = (b: Builder, op: string, ...args: Atom[]): Atom => (args.every((a) => isNum(b, a)) ? b.p(op, ...args) : T(b, `t.${op}`, args));
export const sumTo = (b: Builder, t: Atom, like: Atom, likeType: Type): Atom => b.t("ad.sumTo", [t, like], [], likeType.k === "num" ? NUM : TENSOR);
export const expandAs = (b: Builder, t: Atom, like: Atom): Atom => T(b, "ad.expandAs", [t, like]);
export const tadd = (b: Builder, x: Tan, y: Tan): Tan => (!x ? y : !y ? x : T(b, "t.add", [x, y]));

/** A local derivative ∂out/∂x_i, built in the rule's builder. */
type Partial = (b: Builder, x: Atom[], out: Atom, attrs: unknown[]) => Atom;

/**
 * The rule of an elementwise op from its partial derivatives: jvp = Σ dx_i ∂_i
 * (broadcast to the output), vjp_i = ct ∂_i summed back to x_i's shape.
 */
export function elementwise(...partials: Partial[]): DiffRule {
  const binary = partials.length === 2;
  return {
    jvp: (b, x, dx, out, attrs) => {
      let r: Tan = null;
      partials.forEach((d, i) => {
        const dxi = dx[i];
        if (dxi) r = tadd(b, r, T(b, "t.mul", [dxi, d(b, x, out, attrs)]));
      });
      return r && binary ? expandAs(b, r, out) : r;
    },
    vjp: (b, x, out, ct, act, attrs, ty) =>
      partials.map((d, i) => {
        if (!act[i]) return null;
        const g = T(b, "t.mul", [ct, d(b, x, out, attrs)]);
        return binary ? sumTo(b, g, x[i], ty[i]) : g;
      }),
  };
}

/** The rule of an op linear in its one operand: the jvp applies the op to the tangent, the vjp is `back`. */
function linearUnary(prim: string, back: (b: Builder, ct: Atom) => Atom): DiffRule {
  return { jvp: (b, x, [dx], _o, attrs) => (dx ? T(b, prim, [dx, ...x.slice(1)], attrs) : null), vjp: (b, _x, _o, ct) => [back(b, ct)] };
}

/** The rule of a piecewise-constant op (floor, sign, …): no derivative anywhere it has one (PyTorch's zeros). */
const constant: DiffRule = { jvp: () => null, vjp: (_b, x) => x.map(() => null), zero: true };

const recip = (b: Builder, a: Atom) => T(b, "t.div", [lit(1), a]);
const sq = (b: Builder, a: Atom) => T(b, "t.mul", [a, a]);
const step = (b: Builder, a: Atom) => T(b, "ad.step", [a]);
/**
 * where(x > 0, 1, other): the derivative of ops that are the identity above 0 (elu, leakyRelu).
 * A selection, as PyTorch's backward is: elu's other, alpha·eˣ, is ∞ above x ≈ 709, and a blend
 * s + (1 − s)·other made 0 · ∞ = NaN there (found by the fuzzer, seed 20290047).
 */
const identityAbove0 = (b: Builder, x: Atom, other: Atom) => T(b, "t.where", [T(b, "t.gt", [x, lit(0)]), lit(1), other]);

const R = [-2, 2] as const;
const POS = [0.3, 2] as const;
const one = (d: readonly [number, number]) => [d] as const;
const two = (d: readonly [number, number], e: readonly [number, number] = d) => [d, e] as const;
// NaN as WGSL bits (a literal NaN is not allowed)
const NAN = "f32_of(0x7fc00000u)";

/** log of a tensor, or of a number base (pow(2, x)) */
const logOf = (b: Builder, x: Atom): Atom => (isNum(b, x) ? b.p("log", x) : T(b, "t.log", [x]));

/** y x^(y-1); PyTorch gives 0 when y == 0 */
function powBase(b: Builder, x: Atom, y: Atom): Atom {
  if (y.k === "lit") {
    if (y.v === 0) return lit(0);
    if (y.v === 1) return lit(1);
    return T(b, "t.mul", [T(b, "t.pow", [x, lit((y.v as number) - 1)]), y]);
  }
  return T(b, "t.mul", [T(b, "t.pow", [x, isNum(b, y) ? b.p("sub", y, lit(1)) : b.t("t.sub", [y, lit(1)], [], TENSOR)]), y]);
}

/** maximum / minimum: the cotangent goes to the larger (smaller) operand, halved on ties (PyTorch) */
function pick(max: boolean): DiffRule {
  const w = (b: Builder, x: Atom, y: Atom) => b.t("ad.pickWeight", [x, y], [max], TENSOR);
  const rest1 = (b: Builder, t: Atom) => T(b, "t.sub", [lit(1), t]);
  return {
    jvp: (b, [x, y], [dx, dy], out) => {
      const wx = w(b, x, y);
      const r = tadd(b, dx ? T(b, "t.mul", [dx, wx]) : null, dy ? T(b, "t.mul", [dy, rest1(b, wx)]) : null);
      return r ? expandAs(b, r, out) : null;
    },
    vjp: (b, [x, y], _o, ct, act, _a, ty) => {
      const wx = w(b, x, y);
      return [act[0] ? sumTo(b, T(b, "t.mul", [ct, wx]), x, ty[0]) : null, act[1] ? sumTo(b, T(b, "t.mul", [ct, rest1(b, wx)]), y, ty[1]) : null];
    },
  };
}

const num = (a: unknown) => lit(a as number);
/** A WGSL formula with NaN passed through (the library's functions and builtins may not). */
const nanSafe = (e: string) => `select(${e}, x, is_nan(x))`;
const LN2 = Math.LN2, LN10 = Math.LN10;

export const ELEMENTWISE = {
  // ---- binary, broadcasting
  // d(x + y) = dx + dy; x̄ = sumTo(ct, x)
  add: {
    arity: 2, integral: true, structure: { sj: "sjAdd" }, alpha: true, doc: "input + alpha * other, broadcasting.",
    js: "x + y", wgsl: "x + y",
    rule: {
      jvp: (b, _x, [dx, dy], out) => (dx && dy ? T(b, "t.add", [dx, dy]) : dx ? expandAs(b, dx, out) : dy ? expandAs(b, dy, out) : null),
      vjp: (b, [x, y], _o, ct, act, _a, ty) => [act[0] ? sumTo(b, ct, x, ty[0]) : null, act[1] ? sumTo(b, ct, y, ty[1]) : null],
    },
    test: { dom: two(R), smooth: true },
  },
  // d(x - y) = dx - dy
  sub: {
    arity: 2, integral: true, structure: { sj: "sjSub" }, alpha: true, doc: "input - alpha * other, broadcasting.",
    js: "x - y", wgsl: "x - y",
    rule: {
      jvp: (b, _x, [dx, dy], out) => (dx && dy ? T(b, "t.sub", [dx, dy]) : dx ? expandAs(b, dx, out) : dy ? expandAs(b, isNum(b, dy) ? b.p("neg", dy) : T(b, "t.neg", [dy]), out) : null),
      vjp: (b, [x, y], _o, ct, act, _a, ty) => [act[0] ? sumTo(b, ct, x, ty[0]) : null, act[1] ? sumTo(b, T(b, "t.neg", [ct]), y, ty[1]) : null],
    },
    test: { dom: two(R), smooth: true },
  },
  // d(x y) = dx y + x dy
  mul: {
    arity: 2, integral: true, structure: { sj: "sjMul" }, doc: "input * other, broadcasting.",
    js: "x * y", wgsl: "x * y",
    rule: {
      jvp: (b, [x, y], [dx, dy], out) => {
        const r = tadd(b, dx ? T(b, "t.mul", [dx, y]) : null, dy ? T(b, "t.mul", [x, dy]) : null);
        return r ? expandAs(b, r, out) : null;
      },
      vjp: (b, [x, y], _o, ct, act, _a, ty) => [act[0] ? sumTo(b, T(b, "t.mul", [ct, y]), x, ty[0]) : null, act[1] ? sumTo(b, T(b, "t.mul", [ct, x]), y, ty[1]) : null],
    },
    test: { dom: two(R), smooth: true },
  },
  // d(x / y) = dx / y - out dy / y
  div: {
    arity: 2, structure: { sj: "sjDiv" }, doc: "True division, broadcasting (IEEE: x/0 is ±Infinity or NaN).",
    js: "x / y", wgsl: "x / y",
    rule: {
      jvp: (b, [, y], [dx, dy], out) => {
        const a = dx ? T(b, "t.div", [dx, y]) : null;
        const c = dy ? T(b, "t.div", [T(b, "t.mul", [out, dy]), y]) : null;
        const r = a && c ? T(b, "t.sub", [a, c]) : a ?? (c ? T(b, "t.neg", [c]) : null);
        return r ? expandAs(b, r, out) : null;
      },
      vjp: (b, [x, y], out, ct, act, _a, ty) => [
        act[0] ? sumTo(b, T(b, "t.div", [ct, y]), x, ty[0]) : null,
        act[1] ? sumTo(b, T(b, "t.neg", [T(b, "t.div", [T(b, "t.mul", [ct, out]), y])]), y, ty[1]) : null,
      ],
    },
    test: { dom: two(R, POS), smooth: true },
  },
  // d(x^y) = y x^(y-1) dx + out log(x) dy
  pow: {
    arity: 2, integral: true, doc: "input ** exponent, broadcasting (C's pow: pow(1, y) = 1).",
    js: "powC(x, y)", jsHelpers: ["powC"], wgsl: "pow_c(x, y)", wgslHelpers: ["pow"],
    rule: {
      jvp: (b, [x, y], [dx, dy], out) => {
        const r = tadd(b, dx ? T(b, "t.mul", [dx, powBase(b, x, y)]) : null, dy ? T(b, "t.mul", [dy, T(b, "t.mul", [out, logOf(b, x)])]) : null);
        return r ? expandAs(b, r, out) : null;
      },
      vjp: (b, [x, y], out, ct, act, _a, ty) => [
        act[0] ? sumTo(b, T(b, "t.mul", [ct, powBase(b, x, y)]), x, ty[0]) : null,
        act[1] ? sumTo(b, T(b, "t.mul", [ct, T(b, "t.mul", [out, logOf(b, x)])]), y, ty[1]) : null,
      ],
    },
    test: { dom: two(POS, [-1.5, 1.5]), smooth: true },
  },
  // NaN wins, as torch.maximum / torch.minimum
  maximum: {
    arity: 2, integral: true, doc: "Elementwise max, broadcasting; NaN wins.",
    js: "Math.max(x, y)", wgsl: `select(select(y, x, x > y), ${NAN}, is_nan(x) || is_nan(y))`,
    rule: pick(true),
    test: { dom: two(R), smooth: false },
  },
  minimum: {
    arity: 2, integral: true, doc: "Elementwise min, broadcasting; NaN wins.",
    js: "Math.min(x, y)", wgsl: `select(select(y, x, x < y), ${NAN}, is_nan(x) || is_nan(y))`,
    rule: pick(false),
    test: { dom: two(R), smooth: false },
  },
  // atan2(y, x) = the angle of (x, y): ∂/∂y = x / (x² + y²), ∂/∂x = -y / (x² + y²) (derivatives.yaml)
  atan2: {
    arity: 2, doc: "The angle of the point (other, input) in radians, broadcasting (atan(input / other) with the quadrant).",
    js: "Math.atan2(x, y)", wgsl: `select(atan2(x, y), ${NAN}, is_nan(x) || is_nan(y))`,
    rule: elementwise(
      (b, [x, y]) => ew(b, "div", y, ew(b, "add", ew(b, "mul", x, x), ew(b, "mul", y, y))),
      (b, [x, y]) => ew(b, "neg", ew(b, "div", x, ew(b, "add", ew(b, "mul", x, x), ew(b, "mul", y, y)))),
    ),
    test: { dom: two(R, POS), smooth: true, cases: [{ expr: "atan2(y, x)", args: [[2, 3], [3]], dom: [0.3, 2] }, { expr: "x.atan2(2.5)", args: [[3]] }] },
  },

  // C's fmod (JS's %): the dividend's sign; d/dx = 1, d/dy = -trunc(x / y) (derivatives.yaml)
  fmod: {
    arity: 2, integral: true, doc: "Remainder of truncated division, the dividend's sign (C's fmod, JS's %), broadcasting.",
    js: "x % y", wgsl: "jacc_fmod(x, y)",
    rule: elementwise(() => lit(1), (b, [x, y]) => T(b, "t.neg", [T(b, "t.trunc", [T(b, "t.div", [x, y])])])),
    test: { dom: two([0.1, 0.9], [1, 2]), smooth: true, cases: [{ expr: "x.fmod(1.5)", args: [[2, 3]], dom: [-1.4, -0.1] }] },
  },
  // Python's %: the divisor's sign; d/dx = 1, d/dy = -floor(x / y)
  remainder: {
    arity: 2, integral: true, doc: "Remainder of floor division, the divisor's sign (Python's %), broadcasting.",
    js: "remainderC(x, y)", jsHelpers: ["remainderC"], wgsl: "select(jacc_fmod(x, y) + y, jacc_fmod(x, y), jacc_fmod(x, y) == 0.0 || (jacc_fmod(x, y) < 0.0) == (y < 0.0))",
    rule: elementwise(() => lit(1), (b, [x, y]) => T(b, "t.neg", [T(b, "t.floor", [T(b, "t.div", [x, y])])])),
    test: { dom: two([0.1, 0.9], [1, 2]), smooth: true, cases: [{ expr: "remainder(x, -1.5)", args: [[5]], dom: [0.1, 1.4] }] },
  },
  // √(x² + y²) without overflow; ∂/∂x = x / out, ∂/∂y = y / out
  hypot: {
    arity: 2, doc: "sqrt(input² + other²) without overflow, broadcasting.",
    js: "Math.hypot(x, y)", wgsl: "jacc_hypot(x, y)",
    rule: elementwise((b, [x], out) => T(b, "t.div", [x, out]), (b, [, y], out) => T(b, "t.div", [y, out])),
    test: { dom: two(POS, [-2, -0.3]), smooth: true },
  },
  // x log y, 0 where x = 0 (unless y is NaN); ∂/∂x = xlogy(x ≠ 0, y), ∂/∂y = x / y
  xlogy: {
    arity: 2, doc: "input * log(other), 0 where input is 0 (unless other is NaN), broadcasting.",
    js: "x === 0 && y === y ? 0 : x * Math.log(y)", wgsl: "select(x * jacc_log(y), 0.0, x == 0.0 && !is_nan(y))",
    rule: elementwise((b, [x, y]) => T(b, "t.xlogy", [sq(b, T(b, "t.sign", [x])), y]), (b, [x, y]) => T(b, "t.div", [x, y])),
    test: { dom: two(R, POS), smooth: true, cases: [{ expr: "xlogy(x, y)", args: [[3], [2, 3]], dom: [0.3, 2] }] },
  },

  // ---- unary
  neg: { arity: 1, integral: true, structure: { sj: "sjNeg" }, doc: "-input.", js: "-x", wgsl: "-x", rule: linearUnary("t.neg", (b, ct) => T(b, "t.neg", [ct])), test: { dom: one(R), smooth: true } },
  exp: { arity: 1, doc: "e ** input.", js: "Math.exp(x)", wgsl: "select(exp(x), x, is_nan(x))", rule: elementwise((_b, _x, out) => out), test: { dom: one(R), smooth: true } },
  log: {
    arity: 1, doc: "Natural log (NaN below 0, -Infinity at 0).",
    js: "Math.log(x)", wgsl: `select(select(log(x), f32_of(0xff800000u), x == 0.0), ${NAN}, x < 0.0 || is_nan(x))`,
    rule: elementwise((b, [x]) => T(b, "t.div", [lit(1), x])), test: { dom: one(POS), smooth: true },
  },
  sqrt: {
    arity: 1, doc: "Square root (NaN below 0).",
    js: "Math.sqrt(x)", wgsl: `select(sqrt(x), ${NAN}, x < 0.0 || is_nan(x))`,
    rule: elementwise((b, _x, out) => T(b, "t.div", [lit(0.5), out])), test: { dom: one(POS), smooth: true },
  },
  sin: { arity: 1, doc: "Sine.", js: "Math.sin(x)", wgsl: "select(sin_cos_poly(x, false), x, is_nan(x))", wgslHelpers: ["sincos"], rule: elementwise((b, [x]) => T(b, "t.cos", [x])), test: { dom: one([-3, 3]), smooth: true } },
  cos: { arity: 1, doc: "Cosine.", js: "Math.cos(x)", wgsl: "select(sin_cos_poly(x, true), x, is_nan(x))", wgslHelpers: ["sincos"], rule: elementwise((b, [x]) => T(b, "t.neg", [T(b, "t.sin", [x])])), test: { dom: one([-3, 3]), smooth: true } },
  // tanh through its builtin where that is accurate, ±1 past |x| = 10 (no inf / inf)
  tanh: { arity: 1, doc: "Hyperbolic tangent.", js: "Math.tanh(x)", wgsl: "select(select(tanh(x), sign(x), abs(x) > 10.0), x, is_nan(x))", rule: elementwise((b, _x, out) => T(b, "t.sub", [lit(1), T(b, "t.mul", [out, out])])), test: { dom: one(R), smooth: true } },
  // exp(-x) overflows to Infinity for very negative x, giving exactly 0
  sigmoid: { arity: 1, doc: "1 / (1 + e ** -input).", js: "1 / (1 + Math.exp(-x))", wgsl: "select(1.0 / (1.0 + exp(-x)), x, is_nan(x))", rule: elementwise((b, _x, out) => T(b, "t.mul", [out, T(b, "t.sub", [lit(1), out])])), test: { dom: one([-3, 3]), smooth: true } },
  // NaN passes through, as torch.relu's clamp_min does
  relu: { arity: 1, integral: true, doc: "max(input, 0); NaN passes through.", js: "x > 0 || x !== x ? x : 0", wgsl: "select(0.0, x, x > 0.0 || is_nan(x))", rule: elementwise((b, [x]) => T(b, "ad.step", [x])), test: { dom: one(R), kinks: [0], smooth: false } },
  abs: { arity: 1, integral: true, doc: "|input|.", js: "Math.abs(x)", wgsl: "abs(x)", rule: elementwise((b, [x]) => T(b, "ad.sign", [x])), test: { dom: one(R), kinks: [0], smooth: false } },
  // softplus = log(1 + e^(βx)) / β, x itself past βx > threshold (PyTorch);
  // d = sigmoid(βx) below the threshold, 1 above (the step has no derivative)
  softplus: {
    arity: 1, doc: "log(1 + e ** (beta * input)) / beta; input itself where beta * input > threshold.",
    params: [["beta", 1], ["threshold", 20]],
    js: "x * beta > threshold ? x : Math.log1p(Math.exp(x * beta)) / beta",
    wgsl: "select(select(log1p_f(exp(x * beta)) / beta, x, x * beta > threshold), x, is_nan(x))", wgslHelpers: ["log1p"],
    rule: elementwise((b, [x], _o, [beta, threshold]) => {
      const bx = T(b, "t.mul", [x, num(beta)]);
      const above = T(b, "ad.step", [T(b, "t.sub", [bx, num(threshold)])]);
      return T(b, "t.add", [above, T(b, "t.mul", [T(b, "t.sub", [lit(1), above]), T(b, "t.sigmoid", [bx])])]);
    }),
    test: {
      dom: one([-3, 3]), smooth: true,
      // across the threshold (x = threshold / beta), with parameters given
      cases: [{ expr: "x.softplus(2, 1).mul(y)", args: [[2, 3], [3]], kinks: [0.5] }, { expr: "softplus(x, 0.5)", args: [[4]] }],
    },
  },

  // ---- more unary math (issue 17), PyTorch's names and derivatives.yaml's formulas
  // d log1p(x) = dx / (1 + x)
  log1p: { arity: 1, doc: "log(1 + input), accurate near 0.", js: "Math.log1p(x)", wgsl: nanSafe("jacc_log1p(x)"), rule: elementwise((b, [x]) => recip(b, T(b, "t.add", [x, lit(1)]))), test: { dom: one([-0.5, 2]), smooth: true } },
  // d expm1(x) = (out + 1) dx
  expm1: { arity: 1, doc: "e ** input - 1, accurate near 0.", js: "Math.expm1(x)", wgsl: nanSafe("jacc_expm1(x)"), rule: elementwise((b, _x, out) => T(b, "t.add", [out, lit(1)])), test: { dom: one(R), smooth: true } },
  // d 2^x = out ln 2 dx
  exp2: { arity: 1, doc: "2 ** input.", js: "2 ** x", wgsl: nanSafe("exp2(x)"), rule: elementwise((b, _x, out) => T(b, "t.mul", [out, lit(LN2)])), test: { dom: one(R), smooth: true } },
  // d log2(x) = dx / (x ln 2)
  log2: { arity: 1, doc: "Base-2 log (NaN below 0, -Infinity at 0).", js: "Math.log2(x)", wgsl: nanSafe("jacc_log2(x)"), rule: elementwise((b, [x]) => recip(b, T(b, "t.mul", [x, lit(LN2)]))), test: { dom: one(POS), smooth: true } },
  // d log10(x) = dx / (x ln 10)
  log10: { arity: 1, doc: "Base-10 log (NaN below 0, -Infinity at 0).", js: "Math.log10(x)", wgsl: nanSafe("jacc_log10(x)"), rule: elementwise((b, [x]) => recip(b, T(b, "t.mul", [x, lit(LN10)]))), test: { dom: one(POS), smooth: true } },
  // d tan(x) = (1 + out²) dx
  tan: { arity: 1, doc: "Tangent.", js: "Math.tan(x)", wgsl: nanSafe("jacc_tan(x)"), rule: elementwise((b, _x, out) => T(b, "t.add", [lit(1), sq(b, out)])), test: { dom: one([-1.2, 1.2]), smooth: true } },
  // d asin(x) = dx / √(1 - x²), d acos(x) = -dx / √(1 - x²)
  asin: { arity: 1, doc: "Arcsine (NaN outside [-1, 1]).", js: "Math.asin(x)", wgsl: nanSafe("jacc_asin(x)"), rule: elementwise((b, [x]) => T(b, "t.rsqrt", [T(b, "t.sub", [lit(1), sq(b, x)])])), test: { dom: one([-0.9, 0.9]), smooth: true } },
  acos: { arity: 1, doc: "Arccosine (NaN outside [-1, 1]).", js: "Math.acos(x)", wgsl: nanSafe("jacc_acos(x)"), rule: elementwise((b, [x]) => T(b, "t.neg", [T(b, "t.rsqrt", [T(b, "t.sub", [lit(1), sq(b, x)])])])), test: { dom: one([-0.9, 0.9]), smooth: true } },
  // d atan(x) = dx / (1 + x²)
  atan: { arity: 1, doc: "Arctangent.", js: "Math.atan(x)", wgsl: nanSafe("jacc_atan(x)"), rule: elementwise((b, [x]) => recip(b, T(b, "t.add", [lit(1), sq(b, x)]))), test: { dom: one(R), smooth: true } },
  // d sinh = cosh dx, d cosh = sinh dx
  sinh: { arity: 1, doc: "Hyperbolic sine.", js: "Math.sinh(x)", wgsl: nanSafe("jacc_sinh(x)"), rule: elementwise((b, [x]) => T(b, "t.cosh", [x])), test: { dom: one(R), smooth: true } },
  cosh: { arity: 1, doc: "Hyperbolic cosine.", js: "Math.cosh(x)", wgsl: nanSafe("jacc_cosh(x)"), rule: elementwise((b, [x]) => T(b, "t.sinh", [x])), test: { dom: one(R), smooth: true } },
  // d asinh(x) = dx / √(x² + 1), d acosh(x) = dx / √((x - 1)(x + 1)), d atanh(x) = dx / (1 - x²)
  asinh: { arity: 1, doc: "Inverse hyperbolic sine.", js: "Math.asinh(x)", wgsl: nanSafe("jacc_asinh(x)"), rule: elementwise((b, [x]) => T(b, "t.rsqrt", [T(b, "t.add", [sq(b, x), lit(1)])])), test: { dom: one(R), smooth: true } },
  acosh: { arity: 1, doc: "Inverse hyperbolic cosine (NaN below 1).", js: "Math.acosh(x)", wgsl: nanSafe("jacc_acosh(x)"), rule: elementwise((b, [x]) => T(b, "t.rsqrt", [T(b, "t.mul", [T(b, "t.sub", [x, lit(1)]), T(b, "t.add", [x, lit(1)])])])), test: { dom: one([1.2, 3]), smooth: true } },
  atanh: { arity: 1, doc: "Inverse hyperbolic tangent (NaN outside [-1, 1]).", js: "Math.atanh(x)", wgsl: nanSafe("jacc_atanh(x)"), rule: elementwise((b, [x]) => recip(b, T(b, "t.sub", [lit(1), sq(b, x)]))), test: { dom: one([-0.9, 0.9]), smooth: true } },
  // d x² = 2x dx
  square: { arity: 1, integral: true, doc: "input * input.", js: "x * x", wgsl: "x * x", rule: elementwise((b, [x]) => T(b, "t.mul", [x, lit(2)])), test: { dom: one(R), smooth: true } },
  // d x^(-1/2) = -out³ / 2 dx
  rsqrt: { arity: 1, doc: "1 / sqrt(input) (NaN below 0, Infinity at 0).", js: "1 / Math.sqrt(x)", wgsl: `select(1.0 / sqrt(x), ${NAN}, x < 0.0 || is_nan(x))`, rule: elementwise((b, _x, out) => T(b, "t.mul", [T(b, "t.mul", [out, sq(b, out)]), lit(-0.5)])), test: { dom: one(POS), smooth: true } },
  // d (1/x) = -out² dx
  reciprocal: { arity: 1, doc: "1 / input.", js: "1 / x", wgsl: "1.0 / x", rule: elementwise((b, _x, out) => T(b, "t.neg", [sq(b, out)])), test: { dom: one(POS), smooth: true } },
  // piecewise constant: zero derivatives (PyTorch's)
  sign: { arity: 1, integral: true, doc: "-1, 0 or 1 (0 for NaN, as PyTorch 1.13).", js: "x > 0 ? 1 : x < 0 ? -1 : 0", wgsl: "select(select(select(0.0, -1.0, x < 0.0), 1.0, x > 0.0), 0.0, is_nan(x))", rule: constant, test: { dom: one(R), kinks: [0], smooth: false } },
  floor: { arity: 1, integral: true, doc: "Round down.", js: "Math.floor(x)", wgsl: nanSafe("floor(x)"), rule: constant, test: { dom: one(R), kinks: [-2, -1, 0, 1, 2], smooth: false } },
  ceil: { arity: 1, integral: true, doc: "Round up.", js: "Math.ceil(x)", wgsl: nanSafe("ceil(x)"), rule: constant, test: { dom: one(R), kinks: [-2, -1, 0, 1, 2], smooth: false } },
  // halves to even, as torch.round (Math.round takes halves up); WGSL's round does the same
  round: { arity: 1, integral: true, doc: "Round to the nearest integer, halves to even.", js: "roundHalfEven(x)", jsHelpers: ["roundHalfEven"], wgsl: nanSafe("round(x)"), rule: constant, test: { dom: one(R), kinks: [-1.5, -0.5, 0.5, 1.5], smooth: false } },
  trunc: { arity: 1, integral: true, doc: "Round towards 0.", js: "Math.trunc(x)", wgsl: nanSafe("trunc(x)"), rule: constant, test: { dom: one(R), kinks: [-2, -1, 0, 1, 2], smooth: false } },
  // d (x - trunc x) = dx
  frac: { arity: 1, doc: "input - trunc(input).", js: "x - Math.trunc(x)", wgsl: "x - trunc(x)", rule: elementwise(() => lit(1)), test: { dom: one(R), kinks: [-2, -1, 0, 1, 2], smooth: false } },

  // d erf(x) = 2/√π e^(-x²) dx, d erfc = -d erf
  erf: { arity: 1, doc: "The error function.", js: "erfC(x)", jsHelpers: ["erfC"], wgsl: nanSafe("jacc_erf(x)"), rule: elementwise((b, [x]) => T(b, "t.mul", [T(b, "t.exp", [T(b, "t.neg", [sq(b, x)])]), lit(2 / Math.sqrt(Math.PI))])), test: { dom: one(R), smooth: true } },
  erfc: { arity: 1, doc: "1 - erf(input), without the cancellation for large input.", js: "erfcC(x)", jsHelpers: ["erfcC"], wgsl: nanSafe("1.0 - jacc_erf(x)"), rule: elementwise((b, [x]) => T(b, "t.mul", [T(b, "t.exp", [T(b, "t.neg", [sq(b, x)])]), lit(-2 / Math.sqrt(Math.PI))])), test: { dom: one(R), smooth: true } },

  // ---- activations (torch.nn.functional), literal parameters with PyTorch's defaults
  // gelu (exact) = x Φ(x) = x (1 + erf(x/√2)) / 2; d = Φ(x) + x φ(x), φ(x) = e^(-x²/2)/√(2π)
  gelu: {
    arity: 1, doc: "input * Φ(input), Φ the standard normal's CDF (PyTorch's exact gelu).", js: "0.5 * x * (1 + erfC(x * Math.SQRT1_2))", jsHelpers: ["erfC"],
    wgsl: nanSafe("0.5 * x * (1.0 + jacc_erf(x * 0.7071067811865476))"),
    rule: elementwise((b, [x]) => {
      const cdf = T(b, "t.mul", [T(b, "t.add", [lit(1), T(b, "t.erf", [T(b, "t.mul", [x, lit(Math.SQRT1_2)])])]), lit(0.5)]);
      const pdf = T(b, "t.mul", [T(b, "t.exp", [T(b, "t.mul", [sq(b, x), lit(-0.5)])]), lit(1 / Math.sqrt(2 * Math.PI))]);
      return T(b, "t.add", [cdf, T(b, "t.mul", [x, pdf])]);
    }),
    test: { dom: one([-3, 3]), smooth: true },
    variants: { option: "approximate", ops: { none: "gelu", tanh: "geluTanh" } },
  },
  // gelu(x, { approximate: "tanh" }) = x (1 + tanh u) / 2, u = √(2/π) (x + 0.044715 x³);
  // d = (1 + tanh u) / 2 + x (1 − tanh² u) √(2/π) (1 + 3 · 0.044715 x²) / 2
  geluTanh: {
    arity: 1, doc: "input * (1 + tanh(√(2/π) (input + 0.044715 input³))) / 2 (PyTorch's gelu with approximate \"tanh\").",
    js: "0.5 * x * (1 + Math.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))",
    wgsl: nanSafe("0.5 * x * (1.0 + jacc_tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))"),
    variantOf: ["gelu", "approximate", "tanh"],
    rule: elementwise((b, [x]) => {
      const k = Math.sqrt(2 / Math.PI);
      const th = T(b, "t.tanh", [T(b, "t.mul", [T(b, "t.add", [x, T(b, "t.mul", [T(b, "t.mul", [sq(b, x), x]), lit(0.044715)])]), lit(k)])]);
      const du = T(b, "t.mul", [T(b, "t.add", [T(b, "t.mul", [sq(b, x), lit(3 * 0.044715)]), lit(1)]), lit(k)]);
      const left = T(b, "t.mul", [T(b, "t.add", [th, lit(1)]), lit(0.5)]);
      return T(b, "t.add", [left, T(b, "t.mul", [T(b, "t.mul", [T(b, "t.mul", [x, T(b, "t.sub", [lit(1), sq(b, th)])]), du]), lit(0.5)])]);
    }),
    test: { dom: one([-3, 3]), smooth: true },
  },
  // silu = x σ(x); d = σ(x) (1 + x (1 - σ(x)))
  silu: {
    arity: 1, doc: "input * sigmoid(input).", js: "x / (1 + Math.exp(-x))", wgsl: nanSafe("x / (1.0 + exp(-x))"),
    rule: elementwise((b, [x]) => {
      const s = T(b, "t.sigmoid", [x]);
      return T(b, "t.mul", [s, T(b, "t.add", [lit(1), T(b, "t.mul", [x, T(b, "t.sub", [lit(1), s])])])]);
    }),
    test: { dom: one([-3, 3]), smooth: true },
  },
  // mish = x tanh(softplus x); d = tanh(sp) + x σ(x) (1 - tanh(sp)²)
  mish: {
    arity: 1, doc: "input * tanh(softplus(input)).", js: "x * Math.tanh(Math.log1p(Math.exp(x)))", wgsl: nanSafe("x * jacc_tanh(log1p_f(exp(x)))"), wgslHelpers: ["log1p"],
    rule: elementwise((b, [x]) => {
      const t = T(b, "t.tanh", [T(b, "t.softplus", [x], [1, 20])]);
      return T(b, "t.add", [t, T(b, "t.mul", [T(b, "t.mul", [x, T(b, "t.sigmoid", [x])]), T(b, "t.sub", [lit(1), sq(b, t)])])]);
    }),
    test: { dom: one([-3, 3]), smooth: true },
  },
  // elu = x above 0, α (eˣ - 1) below; d = 1 above, α eˣ below
  elu: {
    arity: 1, doc: "input where > 0, alpha * (e ** input - 1) elsewhere.", params: [["alpha", 1]],
    js: "x > 0 ? x : alpha * Math.expm1(x)", wgsl: "select(alpha * jacc_expm1(x), x, x > 0.0 || is_nan(x))",
    rule: elementwise((b, [x], _o, [alpha]) => identityAbove0(b, x, T(b, "t.mul", [T(b, "t.exp", [x]), num(alpha)]))),
    test: { dom: one(R), kinks: [0], smooth: false, cases: [{ expr: "x.elu(0.5).mul(y)", args: [[2, 3], [3]] }] },
  },
  // d = 1 above 0, negativeSlope at and below (PyTorch)
  leakyRelu: {
    arity: 1, doc: "input where > 0, negativeSlope * input elsewhere.", params: [["negativeSlope", 0.01]],
    js: "x > 0 ? x : x * negativeSlope", wgsl: "select(x * negativeSlope, x, x > 0.0 || is_nan(x))",
    rule: elementwise((b, [x], _o, [slope]) => identityAbove0(b, x, num(slope))),
    test: { dom: one(R), kinks: [0], smooth: false, cases: [{ expr: "leakyRelu(x, 0.2)", args: [[4]] }] },
  },
  // logSigmoid = -softplus(-x), computed without overflow; d = σ(-x)
  logSigmoid: {
    arity: 1, doc: "log(sigmoid(input)), without overflow.", js: "x < 0 ? x - Math.log1p(Math.exp(x)) : -Math.log1p(Math.exp(-x))",
    wgsl: nanSafe("select(-log1p_f(exp(-x)), x - log1p_f(exp(x)), x < 0.0)"), wgslHelpers: ["log1p"],
    rule: elementwise((b, [x]) => T(b, "t.sigmoid", [T(b, "t.neg", [x])])),
    test: { dom: one([-3, 3]), smooth: true },
  },
  // clamp to [minVal, maxVal]; d = 1 strictly inside, 0 elsewhere (PyTorch)
  hardtanh: {
    arity: 1, doc: "input clamped to [minVal, maxVal]; NaN passes through.", params: [["minVal", -1], ["maxVal", 1]],
    js: "x < minVal ? minVal : x > maxVal ? maxVal : x", wgsl: nanSafe("select(select(x, maxVal, x > maxVal), minVal, x < minVal)"),
    rule: elementwise((b, [x], _o, [lo, hi]) => T(b, "t.mul", [step(b, T(b, "t.sub", [x, num(lo)])), step(b, T(b, "t.sub", [num(hi), x]))])),
    test: { dom: one(R), kinks: [-1, 1], smooth: false, cases: [{ expr: "x.hardtanh(-0.5, 2).mul(y)", args: [[2, 3], [3]], kinks: [-0.5] }] },
  },
  relu6: {
    arity: 1, doc: "input clamped to [0, 6]; NaN passes through.", js: "x < 0 ? 0 : x > 6 ? 6 : x", wgsl: nanSafe("select(select(x, 6.0, x > 6.0), 0.0, x < 0.0)"),
    rule: elementwise((b, [x]) => T(b, "t.mul", [step(b, x), step(b, T(b, "t.sub", [lit(6), x]))])),
    test: { dom: one([-2, 8]), kinks: [0, 6], smooth: false },
  },

  // ---- masks (issue 17 §3): bool results, 0 / 1 in the formulas; constants to AD (no derivative, as in PyTorch).
  // WGSL may assume comparisons never see NaN, so NaN is tested by its bits (is_nan).
  gt: { arity: 2, result: "bool", doc: "input > other, broadcasting: a bool tensor (false where either is NaN).", js: "x > y ? 1 : 0", wgsl: "select(0.0, 1.0, x > y && !is_nan(x) && !is_nan(y))", rule: constant, test: { dom: two(R), smooth: false } },
  lt: { arity: 2, result: "bool", doc: "input < other, broadcasting: a bool tensor (false where either is NaN).", js: "x < y ? 1 : 0", wgsl: "select(0.0, 1.0, x < y && !is_nan(x) && !is_nan(y))", rule: constant, test: { dom: two(R), smooth: false } },
  ge: { arity: 2, result: "bool", doc: "input >= other, broadcasting: a bool tensor (false where either is NaN).", js: "x >= y ? 1 : 0", wgsl: "select(0.0, 1.0, x >= y && !is_nan(x) && !is_nan(y))", rule: constant, test: { dom: two(R), smooth: false } },
  le: { arity: 2, result: "bool", doc: "input <= other, broadcasting: a bool tensor (false where either is NaN).", js: "x <= y ? 1 : 0", wgsl: "select(0.0, 1.0, x <= y && !is_nan(x) && !is_nan(y))", rule: constant, test: { dom: two(R), smooth: false } },
  eq: { arity: 2, result: "bool", doc: "input == other, broadcasting: a bool tensor (false where either is NaN).", js: "x === y ? 1 : 0", wgsl: "select(0.0, 1.0, x == y && !is_nan(x) && !is_nan(y))", rule: constant, test: { dom: two(R), smooth: false, cases: [{ expr: "x.round().eq(y.round()).mul(x)", args: [[2, 3], [3]], dom: [-2, 2], kinks: [-1.5, -0.5, 0.5, 1.5] }] } },
  ne: { arity: 2, result: "bool", doc: "input != other, broadcasting: a bool tensor (true where either is NaN).", js: "x !== y ? 1 : 0", wgsl: "select(1.0, 0.0, x == y && !is_nan(x) && !is_nan(y))", rule: constant, test: { dom: two(R), smooth: false } },
  logicalAnd: { arity: 2, result: "bool", doc: "Both nonzero (NaN counts as true), broadcasting: a bool tensor.", js: "x !== 0 && y !== 0 ? 1 : 0", wgsl: "select(0.0, 1.0, (x != 0.0 || is_nan(x)) && (y != 0.0 || is_nan(y)))", rule: constant, test: { dom: two(R), smooth: false } },
  logicalOr: { arity: 2, result: "bool", doc: "Either nonzero (NaN counts as true), broadcasting: a bool tensor.", js: "x !== 0 || y !== 0 ? 1 : 0", wgsl: "select(0.0, 1.0, x != 0.0 || is_nan(x) || y != 0.0 || is_nan(y))", rule: constant, test: { dom: two(R), smooth: false } },
  logicalXor: { arity: 2, result: "bool", doc: "Exactly one nonzero (NaN counts as true), broadcasting: a bool tensor.", js: "(x !== 0) !== (y !== 0) ? 1 : 0", wgsl: "select(0.0, 1.0, (x != 0.0 || is_nan(x)) != (y != 0.0 || is_nan(y)))", rule: constant, test: { dom: two(R), smooth: false } },
  logicalNot: { arity: 1, result: "bool", doc: "input == 0: a bool tensor (NaN counts as true, so its not is false).", js: "x === 0 ? 1 : 0", wgsl: "select(0.0, 1.0, x == 0.0 && !is_nan(x))", rule: constant, test: { dom: one(R), smooth: false } },
  isnan: { arity: 1, result: "bool", doc: "Where input is NaN: a bool tensor.", js: "x !== x ? 1 : 0", wgsl: "select(0.0, 1.0, is_nan(x))", rule: constant, test: { dom: one(R), smooth: false } },
  isinf: { arity: 1, result: "bool", doc: "Where input is ±Infinity: a bool tensor.", js: "x === Infinity || x === -Infinity ? 1 : 0", wgsl: "select(0.0, 1.0, is_inf(x))", rule: constant, test: { dom: one(R), smooth: false } },
  // (x - x is 0 for a finite x, NaN for ±Infinity and NaN)
  isfinite: { arity: 1, result: "bool", doc: "Where input is neither ±Infinity nor NaN: a bool tensor.", js: "x - x === 0 ? 1 : 0", wgsl: "select(1.0, 0.0, is_nan(x) || is_inf(x))", rule: constant, test: { dom: one(R), smooth: false } },
} satisfies Record<string, ElementwiseOp>;

export type ElementwiseName = keyof typeof ELEMENTWISE;
/** The registry with its entries typed as ElementwiseOp (optional fields readable). */
export const ELEMENTWISE_OPS: Record<ElementwiseName, ElementwiseOp> = ELEMENTWISE;
export const ELEMENTWISE_NAMES = Object.keys(ELEMENTWISE) as ElementwiseName[];
export const UNARY_NAMES = ELEMENTWISE_NAMES.filter((n) => ELEMENTWISE_OPS[n].arity === 1);
export const BINARY_NAMES = ELEMENTWISE_NAMES.filter((n) => ELEMENTWISE_OPS[n].arity === 2);

/** `formula` with its operands (x, y) and parameters replaced by `args` (identifiers or parenthesised expressions). */
export function substitute(formula: string, args: Record<string, string>): string {
  return formula.replace(/\b[A-Za-z_]\w*\b/g, (id) => args[id] ?? id);
}

/** Whether an op fuses into elementwise chains: it reads each operand once, calls no helper, takes no parameter, gives a float. */
export function fusable(op: ElementwiseOp): boolean {
  if (op.params?.length || op.jsHelpers?.length || op.result === "bool") return false;
  const uses = (id: string) => (op.js.match(new RegExp(`\\b${id}\\b`, "g")) ?? []).length;
  return uses("x") === 1 && (op.arity === 1 || uses("y") === 1);
}

/** The JS of op `name` applied to operand expressions (each a name, a literal or parenthesised). */
export function jsOf(name: string, args: string[], params: readonly number[] = []): string {
  const op = ELEMENTWISE_OPS[name as ElementwiseName];
  const env: Record<string, string> = { x: args[0], y: args[1] ?? "y" };
  op.params?.forEach(([p], i) => (env[p] = String(params[i])));
  return substitute(op.js, env);
}
