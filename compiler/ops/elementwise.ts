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
}

/** WGSL helper functions a formula may call (compiler/emit/wgsl/kernels.ts's HELPERS). */
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
  jsHelpers?: readonly "powC"[];
  /** the value in WGSL, f32, with NaN passed through where the builtin may not */
  wgsl: string;
  wgslHelpers?: readonly WgslHelper[];
  /** derivatives: built from other tensor primitives, so they are differentiable again */
  rule: DiffRule;
  /** `add(x, y, { alpha })`: other scaled first (PyTorch's alpha) */
  alpha?: boolean;
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

export const ELEMENTWISE = {
  // ---- binary, broadcasting
  // d(x + y) = dx + dy; x̄ = sumTo(ct, x)
  add: {
    arity: 2, structure: { sj: "sjAdd" }, alpha: true, doc: "input + alpha * other, broadcasting.",
    js: "x + y", wgsl: "x + y",
    rule: {
      jvp: (b, _x, [dx, dy], out) => (dx && dy ? T(b, "t.add", [dx, dy]) : dx ? expandAs(b, dx, out) : dy ? expandAs(b, dy, out) : null),
      vjp: (b, [x, y], _o, ct, act, _a, ty) => [act[0] ? sumTo(b, ct, x, ty[0]) : null, act[1] ? sumTo(b, ct, y, ty[1]) : null],
    },
    test: { dom: two(R), smooth: true },
  },
  // d(x - y) = dx - dy
  sub: {
    arity: 2, structure: { sj: "sjSub" }, alpha: true, doc: "input - alpha * other, broadcasting.",
    js: "x - y", wgsl: "x - y",
    rule: {
      jvp: (b, _x, [dx, dy], out) => (dx && dy ? T(b, "t.sub", [dx, dy]) : dx ? expandAs(b, dx, out) : dy ? expandAs(b, isNum(b, dy) ? b.p("neg", dy) : T(b, "t.neg", [dy]), out) : null),
      vjp: (b, [x, y], _o, ct, act, _a, ty) => [act[0] ? sumTo(b, ct, x, ty[0]) : null, act[1] ? sumTo(b, T(b, "t.neg", [ct]), y, ty[1]) : null],
    },
    test: { dom: two(R), smooth: true },
  },
  // d(x y) = dx y + x dy
  mul: {
    arity: 2, structure: { sj: "sjMul" }, doc: "input * other, broadcasting.",
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
    arity: 2, doc: "input ** exponent, broadcasting (C's pow: pow(1, y) = 1).",
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
    arity: 2, doc: "Elementwise max, broadcasting; NaN wins.",
    js: "Math.max(x, y)", wgsl: `select(select(y, x, x > y), ${NAN}, is_nan(x) || is_nan(y))`,
    rule: pick(true),
    test: { dom: two(R), smooth: false },
  },
  minimum: {
    arity: 2, doc: "Elementwise min, broadcasting; NaN wins.",
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

  // ---- unary
  neg: { arity: 1, structure: { sj: "sjNeg" }, doc: "-input.", js: "-x", wgsl: "-x", rule: linearUnary("t.neg", (b, ct) => T(b, "t.neg", [ct])), test: { dom: one(R), smooth: true } },
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
  relu: { arity: 1, doc: "max(input, 0); NaN passes through.", js: "x > 0 || x !== x ? x : 0", wgsl: "select(0.0, x, x > 0.0 || is_nan(x))", rule: elementwise((b, [x]) => T(b, "ad.step", [x])), test: { dom: one(R), kinks: [0], smooth: false } },
  abs: { arity: 1, doc: "|input|.", js: "Math.abs(x)", wgsl: "abs(x)", rule: elementwise((b, [x]) => T(b, "ad.sign", [x])), test: { dom: one(R), kinks: [0], smooth: false } },
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

/** Whether an op fuses into elementwise chains: it reads each operand once, calls no helper, takes no parameter. */
export function fusable(op: ElementwiseOp): boolean {
  if (op.params?.length || op.jsHelpers?.length) return false;
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
