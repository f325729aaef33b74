// The tensor ops that are not elementwise, each defined once (issue 15's
// registry, second step): its surface (how the front end reads a call), its
// runtime call and jvp / vjp, its structure class for structured Jacobians and
// its batching rule, side by side. The table is typed over the op names, so a
// missing field is a type error. The elementwise ops are in
// compiler/ops/elementwise.ts; the runtime helpers the rules below emit (`ad.*`)
// are in compiler/ops/internal.ts. Derived from here: the rule table
// (compiler/rules/tensor.ts), the front end's op spec (compiler/front/tensor-ops.ts),
// the structure and batching lookups (compiler/ops/index.ts).
//
// Rules build IR from other tensor primitives, so derivatives are
// differentiable again. Operands that PyTorch broadcasts are un-broadcast in
// the vjp (ad.sumTo).
import { type Atom, type Builder, lit, NUM, TENSOR, type Type, VEC } from "../ir/ir.js";
import { expandAs, sumTo, T, tadd } from "./elementwise.js";
import { aligned, type BatchRule, dimArgs, type Kind, elementwiseRule, fallback, flagged, intsUnbatched, isB, join, reduction, same, shift, shiftNum, tensorOf } from "./batching.js";
import { type OpStructure, DENSE, MOVE, NONE, RESHAPE } from "./structure.js";
import { UnsupportedDerivative } from "./unsupported.js";

type Tan = Atom | null;

/** An op's derivative rule and runtime call (what AD and the emitters read). */
export interface TensorRule {
  /** differentiable operands first (tensors or numbers); then integer arguments */
  operands: number;
  js: (a: string[], attrs: unknown[]) => string;
  /** the output never depends differentiably on the operands: a constant to AD */
  zero?: boolean;
  type?: (args: Type[]) => Type;
  jvp?: (b: Builder, x: Atom[], dx: Tan[], out: Atom, attrs: unknown[]) => Tan;
  vjp?: (b: Builder, x: Atom[], out: Atom, ct: Atom, active: boolean[], attrs: unknown[], types: Type[]) => Tan[];
}

/** How the front end reads a call of the op (SPEC §5). */
export interface Surface {
  /** differentiable operands, the receiver included */
  operands: number;
  /** integer arguments with their defaults (undefined: required; NaN: optional, left out) */
  ints?: (number | undefined)[];
  /** literal arguments: an optional dim list + keepdim, a shape given as an array or as numbers; norm's order then dims + keepdim; var's dims then `{ correction, keepdim }`; or `lists` */
  lits?: "dims" | "sizes" | "norm" | "var" | "lists";
  /** the dims are required (logsumexp) */
  dimRequired?: true;
  /** lits "lists": one literal argument each (an integer or an array of integers), true where required (roll's shifts, dims) */
  lists?: boolean[];
  /** lits "lists": then boolean literal arguments with these defaults (avgPool2d's ceilMode, countIncludePad) */
  flags?: boolean[];
  /** operands from this index on may be left out or written `undefined` / `null` (PyTorch's None: conv2d's bias); they must be Tensors otherwise */
  optional?: number;
  /** the result is a number (never a Tensor) */
  result?: "num";
  /** the sizes may be run-time integers (`x.reshape(x.shape[0], -1)`: the vjp reads x's shape, not the sizes) */
  runtimeSizes?: true;
  /** the name users write, where it is not the entry's: `x.max()` / `max(x, dim)` read as amax (a tensor argument makes them maximum) */
  written?: string;
  /** a Tensor method only, not a jacc function */
  methodOnly?: true;
  /** a jacc function only, not a Tensor method (torch.linalg's) */
  functionOnly?: true;
  /** the operands after the receiver come after the ints (scatter(dim, index, src)); atoms stay operands first */
  operandsLast?: true;
  /** a call read by its own form: `cat([a, b], dim)` (an array literal), `where(c, a, b)` / `a.where(c, b)` */
  form?: "list" | "where" | "pieces";
  /**
   * A call read by its parameter list, in order (linear, layerNorm, the losses, dropout): operands (an
   * optional one left out is the literal `undefined`), literal arguments and an options object whose
   * fields are literals from declared sets (compiler/front/op-options.ts). Attrs: the literals, then
   * the options' fields, in order.
   */
  params?: readonly Param[];
}

export type OptionValue = string | number | boolean;
/** One field of an op's options object: its allowed values (a list, or any number / boolean) and its default. */
export interface OptionField {
  name: string;
  values: readonly OptionValue[] | "number" | "boolean";
  dflt: OptionValue;
  /** the least and greatest numbers allowed (values "number") */
  min?: number;
  max?: number;
  /** an integer (values "number") */
  integer?: boolean;
}
export type Param =
  | { k: "operand"; name: string; optional?: true }
  | { k: "lit"; name: string; kind: "number" | "boolean" | "shape"; dflt?: OptionValue; min?: number; max?: number }
  /** `tensors`: the names of fields that are Tensors (crossEntropy's weight): operands after the params' own, in order */
  | { k: "options"; fields: readonly OptionField[]; tensors?: readonly string[] };

export interface TensorOpDef {
  /** absent: the front end builds the primitive itself (factories, `.shape`) */
  surface?: Surface;
  rule: TensorRule;
  /** what a tangent's structure becomes through the op (compiler/ops/structure.ts) */
  structure: OpStructure;
  /** how the op runs once over a batch (compiler/ops/batching.ts), or why it cannot (vmap keeps the row loop) */
  batch: BatchRule;
}

export const lits = (attrs: unknown[]) => attrs.map((a) => (a === undefined ? "undefined" : JSON.stringify(a)));

/** A rule's call of a runtime function, which knows that function and its argument texts (structured tangents call the function's sj entry with the same arguments). */
export interface RuntimeCall {
  (a: string[], attrs: unknown[]): string;
  fn: string;
  args: (a: string[], attrs: unknown[]) => string[];
}
/** `__jt.fn(operands..., attrs...)`, or the arguments `args` gives */
export function call(fn: string, args: (a: string[], attrs: unknown[]) => string[] = (a, attrs) => [...a, ...lits(attrs)]): RuntimeCall {
  return Object.assign((a: string[], attrs: unknown[]) => `__jt.${fn}(${args(a, attrs).join(", ")})`, { fn, args });
}
/** The runtime call a rule's js makes, if it is one (a method like `x.item()` is not). */
export const runtimeCall = (js: TensorRule["js"]): RuntimeCall | undefined => ("fn" in js ? (js as RuntimeCall) : undefined);

const rest = (x: Atom[], n: number) => x.slice(n);

/** x converted to `dtype` (ad.cast): float to float is linear (the tangent converts alike, the cotangent back to x's dtype); to bool or int32, no derivative. */
function cast(dtype: "float32" | "float64" | "bool" | "int32"): TensorRule {
  const js = call("adCast", (a) => [a[0], JSON.stringify(dtype)]);
  if (dtype === "bool" || dtype === "int32") return { operands: 1, js, zero: true };
  return {
    operands: 1,
    js,
    jvp: (b, _x, [dx]) => (dx ? T(b, dtype === "float32" ? "t.float" : "t.double", [dx]) : null),
    vjp: (b, [x], _o, ct) => [T(b, "ad.castLike", [ct, x])],
  };
}

/** A rule for an op linear in its first operand: the jvp applies the op to the tangent. */
export function linear(fn: string, back: (b: Builder, ct: Atom, x: Atom[], attrs: unknown[]) => Atom, prim = `t.${fn}`): TensorRule {
  return {
    operands: 1,
    js: call(fn),
    jvp: (b, x, [dx], _o, attrs) => (dx ? T(b, prim, [dx, ...rest(x, 1)], attrs) : null),
    vjp: (b, x, _o, ct, _a, attrs) => [back(b, ct, x, attrs)],
  };
}

const unary = (operands = 1): Surface => ({ operands });
const withInts = (...ints: (number | undefined)[]): Surface => ({ operands: 1, ints });
const dims: Surface = { operands: 1, lits: "dims" };
const sizes: Surface = { operands: 1, lits: "sizes" };
const runtimeSizes: Surface = { ...sizes, runtimeSizes: true };
const REQ = undefined;

const shapeOnly = (op: string, why: string): BatchRule => fallback(`\`${op}\` ${why}`);

// the nn ops' parameters (Surface.params)
const operand = (name: string, optional?: true): Param => ({ k: "operand", name, ...(optional ? { optional } : {}) });
const REDUCTION: OptionField = { name: "reduction", values: ["mean", "sum", "none"], dflt: "mean" };
// the class-index losses' options (runtime/ops/loss.ts): PyTorch's ignore_index (−100) and label_smoothing
const IGNORE_INDEX: OptionField = { name: "ignoreIndex", values: "number", dflt: -100, integer: true };
const LABEL_SMOOTHING: OptionField = { name: "labelSmoothing", values: "number", dflt: 0, min: 0, max: 1 };

const TENSOR_OPS_TABLE = {
  // ---- reductions: linear; the vjp broadcasts ct back over the reduced dims
  sum: { surface: dims, rule: linear("sum", (b, ct, [x], attrs) => T(b, "ad.sumBackward", [ct, x], attrs)), structure: { structure: "reduce", sj: "sjSum" }, batch: reduction("t.sum", "sum") },
  mean: { surface: dims, rule: linear("mean", (b, ct, [x], attrs) => T(b, "ad.meanBackward", [ct, x], attrs)), structure: { structure: "reduce", sj: "sjMean" }, batch: reduction("t.mean", "mean") },
  // prod: ∂/∂x_i = product of the others (exact at zeros)
  prod: {
    surface: dims,
    rule: {
      operands: 1,
      js: call("prod"),
      jvp: (b, [x], [dx], _o, attrs) => (dx ? T(b, "t.sum", [T(b, "t.mul", [dx, T(b, "ad.prodGrad", [x], attrs)])], attrs) : null),
      vjp: (b, [x], _o, ct, _a, attrs) => [T(b, "t.mul", [T(b, "ad.sumBackward", [ct, x], attrs), T(b, "ad.prodGrad", [x], attrs)])],
    },
    structure: DENSE,
    batch: reduction("t.prod", "prod"),
  },
  // max / min reductions: split evenly among tied extrema
  amax: { surface: { ...dims, written: "max" }, rule: extremum("max"), structure: DENSE, batch: reduction("t.amax", "max") },
  amin: { surface: { ...dims, written: "min" }, rule: extremum("min"), structure: DENSE, batch: reduction("t.amin", "min") },
  // all / any: bool results, constants to AD
  all: { surface: dims, rule: { operands: 1, js: call("all"), zero: true }, structure: NONE, batch: reduction("t.all", "all") },
  any: { surface: dims, rule: { operands: 1, js: call("any"), zero: true }, structure: NONE, batch: reduction("t.any", "any") },
  // norm(p, dim, keepdim), p = 1 | 2 | Infinity ("inf" in the attrs) | "fro": PyTorch's norm_backward (a zero 2-norm has gradient 0)
  norm: { surface: { operands: 1, lits: "norm" }, rule: normRule(), structure: DENSE, batch: reduceAt("t.norm", 1, 2) },
  // logsumexp: d = Σ softmax(x) dx, the softmax read back from the result
  logsumexp: {
    surface: { ...dims, dimRequired: true },
    rule: {
      operands: 1,
      js: call("logsumexp"),
      jvp: (b, [x], [dx], out, attrs) => (dx ? T(b, "t.sum", [T(b, "t.mul", [dx, lseWeights(b, x, out, attrs)])], attrs) : null),
      vjp: (b, [x], out, ct, _a, attrs) => [T(b, "t.mul", [T(b, "ad.sumBackward", [ct, x], attrs), lseWeights(b, x, out, attrs)])],
    },
    structure: DENSE,
    batch: reduceAt("t.logsumexp", 0, 1),
  },
  // var(dim, { correction, keepdim }) / std: attrs [dim, correction, keepdim]; `var` is a reserved word, so a method only
  var: { surface: { operands: 1, lits: "var", methodOnly: true }, rule: varRule(false), structure: DENSE, batch: reduceAt("t.var", 0, 2) },
  std: { surface: { operands: 1, lits: "var" }, rule: varRule(true), structure: DENSE, batch: reduceAt("t.std", 0, 2) },
  // argmax / argmin: indices (float), constants to AD
  argmax: { surface: dims, rule: { operands: 1, js: call("argmax"), zero: true }, structure: NONE, batch: reduceAt("t.argmax", 0, 1) },
  argmin: { surface: dims, rule: { operands: 1, js: call("argmin"), zero: true }, structure: NONE, batch: reduceAt("t.argmin", 0, 1) },
  // scans along one dim: cumsum is linear (its vjp sums from the end); cumprod's derivatives are dual-number scans, exact at zeros
  cumsum: { surface: withInts(REQ), rule: linear("cumsum", (b, ct, x) => T(b, "ad.revCumsum", [ct, x[1]])), structure: DENSE, batch: dimArgs("t.cumsum", [1]) },
  cumprod: {
    surface: withInts(REQ),
    rule: {
      operands: 1,
      js: call("cumprod"),
      jvp: (b, x, [dx]) => (dx ? T(b, "ad.cumprodJvp", [x[0], dx, x[1]]) : null),
      vjp: (b, x, _o, ct) => [T(b, "ad.cumprodBackward", [ct, x[0], x[1]])],
    },
    structure: DENSE,
    batch: dimArgs("t.cumprod", [1]),
  },

  // ---- products. d(a @ b) = da @ b + a @ db
  matmul: {
    surface: unary(2),
    rule: {
      operands: 2,
      js: call("matmul"),
      jvp: productJvp("t.matmul"),
      vjp: (b, [x, y], _o, ct, act) => [act[0] ? T(b, "ad.matmulBackA", [ct, x, y]) : null, act[1] ? T(b, "ad.matmulBackB", [ct, x, y]) : null],
    },
    structure: { structure: "bilinear", sj: "sjMatmul" },
    // W @ x with W unbatched is one [B, n] @ Wᵀ (runtime/batching.ts picks the form from the ranks)
    batch: flagged("ad.bMatmul", 2),
  },
  dot: {
    surface: unary(2),
    rule: {
      operands: 2,
      js: call("dot"),
      jvp: productJvp("t.dot"),
      vjp: (b, [x, y], _o, ct, act) => [act[0] ? T(b, "t.mul", [ct, y]) : null, act[1] ? T(b, "t.mul", [ct, x]) : null],
    },
    structure: { structure: "bilinear", sj: "sjDot" },
    batch: flagged("ad.bDot", 2),
  },
  outer: {
    surface: unary(2),
    rule: {
      operands: 2,
      js: call("outer"),
      jvp: productJvp("t.outer"),
      vjp: (b, [x, y], _o, ct, act) => [act[0] ? T(b, "t.matmul", [ct, y]) : null, act[1] ? T(b, "t.matmul", [x, ct]) : null],
    },
    structure: { structure: "bilinear" },
    batch: flagged("ad.bOuter", 2),
  },

  // ---- torch.linalg (CPU only), written linalg.solve(A, B) / linalg.inv(A)
  linalgSolve: {
    surface: { operands: 2, written: "linalg.solve", functionOnly: true },
    rule: {
      operands: 2,
      js: call("linalgSolve"),
      // X = A⁻¹ B: dX = A⁻¹ (dB − dA X)
      jvp: (b, [A, B], [dA, dB], X) => {
        const r = dA ? (dB ? T(b, "t.sub", [dB, T(b, "t.matmul", [dA, X])]) : T(b, "t.neg", [T(b, "t.matmul", [dA, X])])) : dB;
        return r ? T(b, "t.linalgSolve", [A, r]) : null;
      },
      // ḡB = A⁻ᵀ ct (summed over B's broadcast batch dims), ḡA = −ḡB Xᵀ (matmul's ∂A, summed to A's shape)
      vjp: (b, [A, B], X, ct, act, _a, ty) => {
        const gB = T(b, "t.linalgSolve", [T(b, "t.transpose", [A, lit(-2), lit(-1)]), ct]);
        return [act[0] ? T(b, "t.neg", [T(b, "ad.matmulBackA", [gB, A, X])]) : null, act[1] ? sumTo(b, gB, B, ty[1]) : null];
      },
    },
    structure: DENSE,
    // (a batched B of vectors and an unbatched A read as a matrix B: the row loop keeps PyTorch's reading)
    batch: fallback("linalg.solve runs row by row under vmap"),
  },
  // torch.nn.functional.cross_entropy: L = reduce over rows of −Σ_c D_c log softmax(x)_c, D the target
  // distribution (the probabilities, or the one-hot of class indices, mixed with the uniform by
  // labelSmoothing, times the class weight, ignored rows zero, scaled for "mean" by rows / the weight
  // of the rows that count: ad.ceTarget). The rules work with the classes last (ad.classMove: PyTorch's
  // [N, C, d1, …] moves dim 1 last and back). attrs [reduction, ignoreIndex, labelSmoothing]; operands
  // input, target and the options' weight (undefined: none), never differentiated (PyTorch's neither)
  crossEntropy: {
    surface: { operands: 3, functionOnly: true, params: [operand("input"), operand("target"), { k: "options", fields: [REDUCTION, IGNORE_INDEX, LABEL_SMOOTHING], tensors: ["weight"] }] },
    rule: {
      operands: 3,
      js: withOptions("crossEntropy", ["reduction", "ignoreIndex", "labelSmoothing"], ["weight"]),
      // dL = −reduce Σ_c (D (dx − Σ_c' p dx) + dD log p)
      jvp: (b, [x, t, w], [dx, dt, dw], _o, [red, ignore, smooth]) => {
        constantWeight(b, "crossEntropy", dw);
        const [xl, tl] = [classLast(b, x, x), classLast(b, t, x)];
        const logp = T(b, "t.logSoftmax", [xl, lit(-1)]);
        const D = T(b, "ad.ceTarget", [xl, tl, w], [ignore, smooth, red]);
        const fromX = dx ? T(b, "t.mul", [D, T(b, "t.sub", [classLast(b, dx, x), keepSum(b, T(b, "t.mul", [T(b, "t.exp", [logp]), classLast(b, dx, x)]), lit(-1))])]) : null;
        const fromT = dt ? T(b, "t.mul", [T(b, "ad.ceTargetTangent", [xl, tl, classLast(b, dt, x), w], [smooth]), logp]) : null;
        const inner = tadd(b, fromX, fromT);
        return inner ? T(b, "t.neg", [reduced(b, T(b, "t.sum", [inner], [-1, false]), red)]) : null;
      },
      // each row's cotangent (−ct, or −ct / N for the mean), broadcast over the classes: ḡx = g (D − p Σ_c D), ḡD = g log p
      vjp: (b, [x, t, w], _o, ct, act, [red, ignore, smooth]) => {
        constantWeight(b, "crossEntropy", act[2]);
        const [xl, tl] = [classLast(b, x, x), classLast(b, t, x)];
        const logp = T(b, "t.logSoftmax", [xl, lit(-1)]);
        const D = T(b, "ad.ceTarget", [xl, tl, w], [ignore, smooth, red]);
        const rows = T(b, "t.sum", [T(b, "t.mul", [D, logp])], [-1, false]);
        const g = T(b, "t.neg", [T(b, "ad.sumBackward", [reducedBack(b, ct, rows, red), logp], [-1, false])]);
        return [
          act[0] ? classFirst(b, T(b, "t.mul", [g, T(b, "t.sub", [D, T(b, "t.mul", [T(b, "t.exp", [logp]), keepSum(b, D, lit(-1))])])]), x) : null,
          act[1] ? classFirst(b, T(b, "ad.ceTargetTangent", [xl, tl, T(b, "t.mul", [g, logp]), w], [smooth]), x) : null,
          null,
        ];
      },
    },
    structure: DENSE,
    batch: lossBatch("crossEntropy"),
  },
  // ---- torch.nn.functional (issue 17 §3, nn; runtime/ops/nn.ts and loss.ts)
  // nll_loss: L = reduce over rows of −logp[row, target]: linear in logp (D the weighted one-hot of the
  // class indices, ad.nllTarget, classes last as crossEntropy's); the target is a constant (class
  // indices), as in PyTorch, and so is the weight
  nllLoss: {
    surface: { operands: 3, functionOnly: true, params: [operand("input"), operand("target"), { k: "options", fields: [REDUCTION, IGNORE_INDEX], tensors: ["weight"] }] },
    rule: {
      operands: 3,
      js: withOptions("nllLoss", ["reduction", "ignoreIndex"], ["weight"]),
      jvp: (b, [x, t, w], [dx, , dw], _o, [red, ignore]) => {
        constantWeight(b, "nllLoss", dw);
        if (!dx) return null;
        const D = T(b, "ad.nllTarget", [classLast(b, x, x), t, w], [ignore, red]);
        return T(b, "t.neg", [reduced(b, T(b, "t.sum", [T(b, "t.mul", [D, classLast(b, dx, x)])], [-1, false]), red)]);
      },
      // (the rows have the target's shape)
      vjp: (b, [x, t, w], _o, ct, act, [red, ignore]) => {
        constantWeight(b, "nllLoss", act[2]);
        if (!act[0]) return [null, null, null];
        const xl = classLast(b, x, x);
        const D = T(b, "ad.nllTarget", [xl, t, w], [ignore, red]);
        return [classFirst(b, T(b, "t.neg", [T(b, "t.mul", [T(b, "ad.sumBackward", [reducedBack(b, ct, t, red), xl], [-1, false]), D])]), x), null, null];
      },
    },
    structure: DENSE,
    batch: lossBatch("nllLoss"),
  },
  // mse_loss: L = reduce (x − y)², broadcasting x and y as PyTorch does: d = 2 (x − y)(dx − dy)
  mseLoss: {
    surface: { operands: 2, functionOnly: true, params: [operand("input"), operand("target"), { k: "options", fields: [REDUCTION] }] },
    rule: {
      operands: 2,
      js: withOptions("mseLoss", ["reduction"]),
      jvp: (b, [x, y], [dx, dy], _o, [red]) => {
        const dd = dx ? (dy ? T(b, "t.sub", [dx, dy]) : dx) : dy ? T(b, "t.neg", [dy]) : null;
        return dd ? reduced(b, T(b, "t.mul", [T(b, "t.mul", [T(b, "t.sub", [x, y]), dd]), lit(2)]), red) : null;
      },
      vjp: (b, [x, y], _o, ct, act, [red], ty) => {
        const d = T(b, "t.sub", [x, y]);
        const g = T(b, "t.mul", [T(b, "t.mul", [reducedBack(b, ct, d, red), d]), lit(2)]);
        return [act[0] ? sumTo(b, g, x, ty[0]) : null, act[1] ? sumTo(b, T(b, "t.neg", [g]), y, ty[1]) : null];
      },
    },
    structure: DENSE,
    batch: lossBatch("mseLoss"),
  },
  // binary_cross_entropy_with_logits: ℓ = (1 − y) x − log σ(x) (PyTorch's stable form); ∂x = σ(x) − y,
  // ∂y = −x (PyTorch's target derivative); input and target of one shape
  // w ((1 − y) x − L log σ(x)), L = (p − 1) y + 1: ∂x = w ((1 − y) − L σ(−x)), ∂y = w (−x − (p − 1) log σ(x));
  // without a weight w = 1 and without a posWeight p = 1 (∂x = σ(x) − y, ∂y = −x), as the code emitted before them
  binaryCrossEntropyWithLogits: {
    surface: { operands: 4, functionOnly: true, params: [operand("input"), operand("target"), { k: "options", fields: [REDUCTION], tensors: ["weight", "posWeight"] }] },
    rule: {
      operands: 4,
      js: withOptions("binaryCrossEntropyWithLogits", ["reduction"], ["weight", "posWeight"], true),
      jvp: (b, [x, y, w, p], [dx, dy, dw, dp], _o, [red]) => {
        constantWeight(b, "binaryCrossEntropyWithLogits", dw || dp, "weight` or `posWeight");
        const d = tadd(b, dx ? T(b, "t.mul", [dx, bceX(b, x, y, w, p)]) : null, dy ? bceY(b, dy, x, w, p) : null);
        return d ? reduced(b, d, red) : null;
      },
      vjp: (b, [x, y, w, p], _o, ct, act, [red]) => {
        constantWeight(b, "binaryCrossEntropyWithLogits", act[2] || act[3], "weight` or `posWeight");
        const g = reducedBack(b, ct, x, red);
        return [act[0] ? T(b, "t.mul", [g, bceX(b, x, y, w, p)]) : null, act[1] ? bceY(b, g, x, w, p) : null, null, null];
      },
    },
    structure: DENSE,
    batch: (b, args, kinds, attrs, B) =>
      given(args[2]) || given(args[3]) ? "`binaryCrossEntropyWithLogits` with a weight or posWeight runs row by row under vmap" : lossBatch("binaryCrossEntropyWithLogits")(b, args, kinds, attrs, B),
  },
  // linear(x, W, b?) = x Wᵀ + b over any leading dims of x: d = dx Wᵀ + x dWᵀ + db; its vjp is matmul's
  linear: {
    surface: { operands: 3, functionOnly: true, params: [operand("input"), operand("weight"), operand("bias", true)] },
    rule: {
      operands: 3,
      js: call("linear"),
      jvp: (b, [x, W], [dx, dW, db], out) => {
        const d = tadd(b, dx ? T(b, "t.matmul", [dx, T(b, "t.t", [W])]) : null, dW ? T(b, "t.matmul", [x, T(b, "t.t", [dW])]) : null);
        return tadd(b, d, db ? expandAs(b, db, out) : null);
      },
      vjp: (b, [x, W, bias], _o, ct, act, _a, ty) => {
        const Wt = T(b, "t.t", [W]);
        return [act[0] ? T(b, "ad.matmulBackA", [ct, x, Wt]) : null, act[1] ? T(b, "t.t", [T(b, "ad.matmulBackB", [ct, x, Wt])]) : null, act[2] ? sumTo(b, ct, bias, ty[2]) : null];
      },
    },
    structure: DENSE,
    batch: linearBatch,
  },
  // layer_norm over the trailing dims `normalizedShape`: y = x̂ w + b, x̂ = (x − μ) r, r = 1 / √(σ² + eps)
  // (σ² biased); dx̂ = r (dx − mean dx − x̂ mean(x̂ dx)), a symmetric map, so the vjp is the same formula.
  // attrs [normalizedShape, eps]
  layerNorm: {
    surface: {
      operands: 3,
      functionOnly: true,
      params: [operand("input"), { k: "lit", name: "normalizedShape", kind: "shape" }, operand("weight", true), operand("bias", true), { k: "lit", name: "eps", kind: "number", dflt: 1e-5, min: 0 }],
    },
    rule: {
      operands: 3,
      js: call("layerNorm", (a, [shape, eps]) => [a[0], JSON.stringify(shape), a[1], a[2], String(eps)]),
      jvp: (b, [x, w], [dx, dw, db], out, [shape, eps]) => {
        const dims = lnDims(shape);
        const { xhat, r } = lnStats(b, x, dims, eps as number);
        let d: Tan = null;
        if (dx) {
          const centred = T(b, "t.sub", [dx, T(b, "t.mean", [dx], [dims, true])]);
          const dxh = T(b, "t.mul", [r, T(b, "t.sub", [centred, T(b, "t.mul", [xhat, T(b, "t.mean", [T(b, "t.mul", [xhat, dx])], [dims, true])])])]);
          d = given(w) ? T(b, "t.mul", [dxh, w]) : dxh;
        }
        d = tadd(b, d, dw ? T(b, "t.mul", [xhat, dw]) : null);
        return tadd(b, d, db ? expandAs(b, db, out) : null);
      },
      vjp: (b, [x, w, bias], _o, ct, act, [shape, eps], ty) => {
        const dims = lnDims(shape);
        const { xhat, r } = lnStats(b, x, dims, eps as number);
        const g = given(w) ? T(b, "t.mul", [ct, w]) : ct;
        const gx = () => {
          const centred = T(b, "t.sub", [g, T(b, "t.mean", [g], [dims, true])]);
          return T(b, "t.mul", [r, T(b, "t.sub", [centred, T(b, "t.mul", [xhat, T(b, "t.mean", [T(b, "t.mul", [xhat, g])], [dims, true])])])]);
        };
        return [act[0] ? gx() : null, act[1] ? sumTo(b, T(b, "t.mul", [ct, xhat]), w, ty[1]) : null, act[2] ? sumTo(b, ct, bias, ty[2]) : null];
      },
    },
    structure: DENSE,
    batch: layerNormBatch,
  },
  // a × b along a dim of size 3: bilinear; ḡa = b × ct, ḡb = ct × a (the triple product's cycles)
  cross: {
    surface: { operands: 2, ints: [-1] },
    rule: {
      operands: 2,
      js: call("cross"),
      jvp: (b, [x, y, dim], [dx, dy]) => tadd(b, dx ? T(b, "t.cross", [dx, y, dim]) : null, dy ? T(b, "t.cross", [x, dy, dim]) : null),
      vjp: (b, [x, y, dim], _o, ct, act, _a, ty) => [
        act[0] ? sumTo(b, T(b, "t.cross", [y, ct, dim]), x, ty[0]) : null,
        act[1] ? sumTo(b, T(b, "t.cross", [ct, x, dim]), y, ty[1]) : null,
      ],
    },
    structure: DENSE,
    batch: fallback("cross runs row by row under vmap"),
  },
  // ---- torch.nn.functional's convolutions and pools (CPU only: runtime/ops/conv.ts), positional arguments as
  // PyTorch's, each an integer or an array literal; an absent bias is left out or written undefined / null
  conv1d: convOp(1),
  conv2d: convOp(2),
  // maxPool2d(x, kernelSize, stride?, padding, dilation, ceilMode): the tangent and cotangent go through each
  // window's first maximum (ad.maxPoolJvp / ad.maxPoolBackward, each the other's transpose)
  maxPool2d: {
    surface: { operands: 1, lits: "lists", lists: [true, false, false, false], flags: [false], functionOnly: true },
    rule: {
      operands: 1,
      js: call("maxPool2d"),
      jvp: (b, [x], [dx], _o, attrs) => (dx ? T(b, "ad.maxPoolJvp", [dx, x], attrs) : null),
      vjp: (b, [x], _o, ct, _a, attrs) => [T(b, "ad.maxPoolBackward", [ct, x], attrs)],
    },
    structure: DENSE,
    batch: (b, args, _k, attrs) => ({ a: b.t("ad.bFold", args, ["maxPool2d", 2, [0], ...attrs]), kind: "b" }),
  },
  // avgPool2d(x, kernelSize, stride?, padding, ceilMode, countIncludePad): linear; its vjp spreads ct over each window
  avgPool2d: {
    surface: { operands: 1, lits: "lists", lists: [true, false, false], flags: [false, true], functionOnly: true },
    rule: linear("avgPool2d", (b, ct, [x], attrs) => T(b, "ad.avgPoolBackward", [ct, x], attrs)),
    structure: DENSE,
    batch: (b, args, _k, attrs) => ({ a: b.t("ad.bFold", args, ["avgPool2d", 2, [0], ...attrs]), kind: "b" }),
  },
  linalgInv: {
    surface: { operands: 1, written: "linalg.inv", functionOnly: true },
    rule: {
      operands: 1,
      js: call("linalgInv"),
      // Y = A⁻¹: dY = −Y dA Y; ḡA = −Yᵀ ct Yᵀ
      jvp: (b, _x, [dA], Y) => (dA ? T(b, "t.neg", [T(b, "t.matmul", [T(b, "t.matmul", [Y, dA]), Y])]) : null),
      vjp: (b, _x, Y, ct) => {
        const Yt = T(b, "t.transpose", [Y, lit(-2), lit(-1)]);
        return [T(b, "t.neg", [T(b, "t.matmul", [T(b, "t.matmul", [Yt, ct]), Yt])])];
      },
    },
    structure: DENSE,
    batch: fallback("linalg.inv runs row by row under vmap"),
  },
  // det: d det = ⟨C, dA⟩ over each matrix, C = det·A⁻ᵀ the cofactor matrix (ad.detCofactor, exact at a
  // singular A too: its adjugate, PyTorch's higher-order path); the linalg ops batch over leading dims already
  linalgDet: {
    surface: { operands: 1, written: "linalg.det", functionOnly: true },
    rule: {
      operands: 1,
      js: call("linalgDet"),
      jvp: (b, [A], [dA]) => (dA ? T(b, "t.sum", [T(b, "t.mul", [T(b, "ad.detCofactor", [A]), dA])], [[-2, -1], false]) : null),
      vjp: (b, [A], _o, ct) => [T(b, "t.mul", [unsqueeze2(b, ct), T(b, "ad.detCofactor", [A])])],
    },
    structure: DENSE,
    batch: same("t.linalgDet"),
  },
  // slogdet's pieces [sign, logabsdet] (attrs [k]): the sign is piecewise constant; d logabsdet = ⟨A⁻ᵀ, dA⟩,
  // A⁻ᵀ = C / det (Inf / NaN at a singular A, as PyTorch's, never an exception)
  linalgSlogdet: {
    surface: { operands: 1, written: "linalg.slogdet", functionOnly: true, form: "pieces" },
    rule: {
      operands: 1,
      js: call("linalgSlogdetPiece"),
      jvp: (b, [A], [dA], _o, [k]) => (dA && k === 1 ? T(b, "t.sum", [T(b, "t.mul", [invT(b, A), dA])], [[-2, -1], false]) : null),
      vjp: (b, [A], _o, ct, _a, [k]) => [k === 1 ? T(b, "t.mul", [unsqueeze2(b, ct), invT(b, A)]) : null],
    },
    structure: DENSE,
    batch: same("t.linalgSlogdet"),
  },
  // A = L Lᵀ, PyTorch 1.13's cholesky_jvp: dL = L Φ(L⁻¹ dA L⁻ᵀ), Φ the lower triangle with its diagonal
  // halved; cholesky_backward: ḡA = L⁻ᵀ S L⁻¹, S = sym(tril(Lᵀ ḡL)). (L is regular: the solves never fail.)
  linalgCholesky: {
    surface: { operands: 1, written: "linalg.cholesky", functionOnly: true },
    rule: {
      operands: 1,
      js: call("linalgCholesky"),
      jvp: (b, _x, [dA], L) => {
        if (!dA) return null;
        const Y = T(b, "t.linalgSolve", [L, dA]);
        const dK = mT(b, T(b, "t.linalgSolve", [L, mT(b, Y)]));
        const phi = T(b, "t.mul", [T(b, "t.add", [T(b, "t.tril", [dK, lit(0)]), T(b, "t.tril", [dK, lit(-1)])]), lit(0.5)]);
        return T(b, "t.matmul", [L, phi]);
      },
      vjp: (b, _x, L, ct) => {
        const P = T(b, "t.tril", [T(b, "t.matmul", [mT(b, L), ct]), lit(0)]);
        const S = T(b, "t.mul", [T(b, "t.add", [P, mT(b, T(b, "t.tril", [P, lit(-1)]))]), lit(0.5)]);
        const X = T(b, "t.linalgSolve", [mT(b, L), S]);
        return [mT(b, T(b, "t.linalgSolve", [mT(b, L), mT(b, X)]))];
      },
    },
    structure: DENSE,
    batch: same("t.linalgCholesky"),
  },
  // linalg.norm(x, ord?, dim?, keepdim?): the vector norms and "fro" of torch.norm's rule (ord null: none
  // given, the 2-norm); without dim the example's rank decides (a matrix or a vector), so vmap keeps the row loop
  linalgNorm: {
    surface: { operands: 1, lits: "norm", written: "linalg.norm", functionOnly: true },
    rule: normRule("linalgNorm"),
    structure: DENSE,
    batch: (b, [x], _k, [p, dim, keep]) => (dim === undefined || dim === null ? "`linalg.norm` without dim reads the example's rank" : { a: b.t("t.linalgNorm", [x], [p, shiftDims(dim), keep]), kind: "b" }),
  },

  // ---- shape ops: linear, with the inverse index map as vjp
  select: { surface: withInts(REQ, REQ), rule: linear("select", (b, ct, x) => T(b, "ad.selectBackward", [ct, x[0], x[1], x[2]])), structure: MOVE, batch: dimArgs("t.select", [1]) },
  narrow: { surface: withInts(REQ, REQ, REQ), rule: linear("narrow", (b, ct, x) => T(b, "ad.narrowBackward", [ct, x[0], x[1], x[2], x[3]])), structure: MOVE, batch: dimArgs("t.narrow", [1]) },
  reshape: { surface: runtimeSizes, rule: linear("reshape", (b, ct, [x]) => T(b, "ad.reshapeAs", [ct, x])), structure: RESHAPE, batch: sized("reshape", "ad.bReshape") },
  view: { surface: runtimeSizes, rule: linear("view", (b, ct, [x]) => T(b, "ad.reshapeAs", [ct, x])), structure: RESHAPE, batch: sized("view", "ad.bReshape") },
  flatten: {
    surface: withInts(0, -1),
    rule: linear("flatten", (b, ct, [x]) => T(b, "ad.reshapeAs", [ct, x])),
    structure: RESHAPE,
    batch: (b, args, kinds) => intsUnbatched(kinds, 1) ?? { a: b.t("ad.bFlatten", args), kind: "b" },
  },
  squeeze: { surface: sizes, rule: linear("squeeze", (b, ct, [x]) => T(b, "ad.reshapeAs", [ct, x])), structure: RESHAPE, batch: (b, [x], _k, attrs) => ({ a: b.t("ad.bSqueeze", [x], attrs.length ? [attrs[0]] : []), kind: "b" }) },
  unsqueeze: { surface: withInts(REQ), rule: linear("unsqueeze", (b, ct, [x]) => T(b, "ad.reshapeAs", [ct, x])), structure: RESHAPE, batch: dimArgs("t.unsqueeze", [1]) },
  transpose: { surface: withInts(REQ, REQ), rule: linear("transpose", (b, ct, x) => T(b, "t.transpose", [ct, x[1], x[2]])), structure: MOVE, batch: dimArgs("t.transpose", [1, 2]) },
  t: { surface: unary(), rule: linear("t", (b, ct) => T(b, "t.t", [ct])), structure: MOVE, batch: (b, [x]) => ({ a: b.t("ad.bT", [x]), kind: "b" }) },
  permute: {
    surface: sizes,
    rule: linear("permute", (b, ct, _x, attrs) => T(b, "t.permute", [ct], [inversePerm(attrs[0] as number[])])),
    structure: MOVE,
    batch: (b, [x], _k, [dims]) => {
      const ds = dims as number[];
      return { a: b.t("t.permute", [x], [[0, ...ds.map((d) => (d < 0 ? d + ds.length : d) + 1)]]), kind: "b" };
    },
  },
  expand: { surface: runtimeSizes, rule: linear("expand", (b, ct, [x]) => sumTo(b, ct, x, TENSOR)), structure: MOVE, batch: sized("expand", "ad.bExpand") },
  // index (gather along dim 0): linear in x, indices are constants
  index: {
    surface: withInts(REQ),
    rule: linear("index", (b, ct, x) => T(b, "ad.indexBackward", [ct, x[0], x[1]])),
    structure: MOVE,
    batch: fallback("`index` gathers along dim 0 and has no batching rule yet"),
  },
  // cat / stack of several tensors: the vjp hands each operand its piece of ct
  cat: { surface: { operands: Infinity, form: "list" }, rule: joinRule(false), structure: { structure: "move", sj: "sjCat" }, batch: join("t.cat") },
  stack: { surface: { operands: Infinity, form: "list" }, rule: joinRule(true), structure: { structure: "move", sj: "sjStack" }, batch: join("t.stack") },

  // ---- movement ops (issue 17): linear, with the transposed movement as vjp (runtime/ops/moves.ts)
  flip: { surface: sizes, rule: linear("flip", (b, ct, _x, attrs) => T(b, "t.flip", [ct], attrs)), structure: MOVE, batch: (b, [x], _k, attrs) => ({ a: b.t("t.flip", [x], attrs.map((d) => shiftDims(d))), kind: "b" }) },
  roll: {
    surface: { operands: 1, lits: "lists", lists: [true, false] },
    rule: linear("roll", (b, ct, _x, [shifts, dims]) => T(b, "t.roll", [ct], [Array.isArray(shifts) ? shifts.map((s) => -s) : -(shifts as number), dims])),
    structure: MOVE,
    batch: (b, [x], _k, [shifts, dims]) => (dims === undefined ? "`roll` without dims rolls the flattened batch" : { a: b.t("t.roll", [x], [shifts, shiftDims(dims)]), kind: "b" }),
  },
  repeat: {
    surface: sizes,
    rule: linear("repeat", (b, ct, [x], attrs) => T(b, "ad.repeatBackward", [ct, x], [attrs[0] ?? [], false])),
    structure: MOVE,
    batch: (b, [x], _k, attrs) => ({ a: b.t("ad.bRepeat", [x], [attrs[0] ?? [], false]), kind: "b" }),
  },
  tile: {
    surface: sizes,
    rule: linear("tile", (b, ct, [x], attrs) => T(b, "ad.repeatBackward", [ct, x], [attrs[0] ?? [], true])),
    structure: MOVE,
    batch: (b, [x], _k, attrs) => ({ a: b.t("ad.bRepeat", [x], [attrs[0] ?? [], true]), kind: "b" }),
  },
  movedim: {
    surface: { operands: 1, lits: "lists", lists: [true, true] },
    rule: linear("movedim", (b, ct, _x, [src, dst]) => T(b, "t.movedim", [ct], [dst, src])),
    structure: MOVE,
    batch: (b, [x], _k, [src, dst]) => ({ a: b.t("t.movedim", [x], [shiftDims(src), shiftDims(dst)]), kind: "b" }),
  },
  unflatten: { surface: { operands: 1, ints: [REQ], lits: "sizes" }, rule: linear("unflatten", (b, ct, [x]) => T(b, "ad.reshapeAs", [ct, x])), structure: RESHAPE, batch: dimArgs("t.unflatten", [1]) },
  broadcastTo: { surface: runtimeSizes, rule: linear("broadcastTo", (b, ct, [x]) => sumTo(b, ct, x, TENSOR)), structure: MOVE, batch: sized("broadcastTo", "ad.bExpand") },
  // expandAs(other): other gives only the shape (no derivative flows to it)
  expandAs: {
    surface: unary(2),
    rule: {
      operands: 2,
      js: call("expandAs"),
      jvp: (b, x, [dx]) => (dx ? T(b, "t.expandAs", [dx, x[1]]) : null),
      vjp: (b, [x], _o, ct, act) => [act[0] ? sumTo(b, ct, x, TENSOR) : null, null],
    },
    structure: MOVE,
    batch: flagged("ad.bExpandAs", 2),
  },
  clone: { surface: unary(), rule: linear("clone", (_b, ct) => ct), structure: MOVE, batch: same("t.clone") },
  // pad(x, pads, value) (constant mode): its tangent and cotangent are padded with 0 / cut back (negated pads)
  pad: {
    surface: { operands: 1, lits: "lists", lists: [true, false] },
    rule: {
      operands: 1,
      js: call("pad"),
      jvp: (b, _x, [dx], _o, [pads]) => (dx ? T(b, "t.pad", [dx], [pads, 0]) : null),
      vjp: (b, _x, _o, ct, _a, [pads]) => [T(b, "t.pad", [ct], [(pads as number[]).map((p) => -p), 0])],
    },
    structure: DENSE,
    // the pads address the last dims: the batch dim is never padded
    batch: (b, [x], _k, attrs) => ({ a: b.t("t.pad", [x], attrs), kind: "b" }),
  },
  // indexSelect(dim, index): linear in x; the index (integers: an array, or a float tensor of integral values) is a constant
  indexSelect: {
    surface: withInts(REQ, REQ),
    rule: linear("indexSelect", (b, ct, x) => T(b, "ad.indexSelectBackward", [ct, x[0], x[1], x[2]])),
    structure: MOVE,
    batch: dimArgs("t.indexSelect", [1]),
  },
  // gather / scatter / scatterAdd (dim, index): the index (a float tensor of integral values) is a
  // constant; derivatives as derivatives.yaml (attrs none; operands then [dim, index])
  // gather: linear in x; its vjp adds ct back at the index into zeros
  gather: {
    surface: withInts(REQ, REQ),
    rule: linear("gather", (b, ct, [x, dim, index]) => T(b, "t.scatterAdd", [T(b, "ad.zerosLike", [x]), ct, dim, index])),
    structure: MOVE,
    batch: scatterBatch("t.gather", 1),
  },
  // scatter(dim, index, src): x with src (a tensor or a number) written at the index. x̄ = ct with the
  // written places zeroed; a tensor src̄ = ct gathered at the index (PyTorch's rule: with repeated
  // indices every src entry aimed at a place gets its gradient, though one write wins; the jvp adds
  // src's tangents to match); a number src̄ = Σ ct over the written places (each counted once)
  scatter: {
    surface: { operands: 2, ints: [REQ, REQ], operandsLast: true },
    rule: {
      operands: 2,
      js: call("scatter", (a) => [a[0], a[2], a[3], a[1]]),
      // (a tensor src's tangent is added, the transpose of its gather: both modes agree where indices repeat)
      jvp: (b, [x, , dim, index], [dx, ds]) => tadd(b, dx ? T(b, "t.scatter", [dx, lit(0), dim, index]) : null, ds ? T(b, tensorOf(b, ds) ? "t.scatterAdd" : "t.scatter", [T(b, "ad.zerosLike", [x]), ds, dim, index]) : null),
      vjp: (b, [, src, dim, index], _o, ct, act, _a, ty) => {
        const cleared = T(b, "t.scatter", [ct, lit(0), dim, index]);
        if (!act[1]) return [cleared, null];
        const srcBar = ty[1].k === "num" ? sumTo(b, T(b, "t.sub", [ct, cleared]), src, ty[1]) : T(b, "ad.fitTo", [T(b, "t.gather", [ct, dim, index]), src]);
        return [act[0] ? cleared : null, srcBar];
      },
    },
    structure: DENSE,
    batch: scatterBatch("t.scatter", 2),
  },
  // scatterAdd(dim, index, src): linear in x and src; x̄ = ct, src̄ = ct gathered at the index (padded to src's shape)
  scatterAdd: {
    surface: { operands: 2, ints: [REQ, REQ], operandsLast: true },
    rule: {
      operands: 2,
      js: call("scatterAdd", (a) => [a[0], a[2], a[3], a[1]]),
      jvp: (b, [x, , dim, index], [dx, ds]) => tadd(b, dx, ds ? T(b, "t.scatterAdd", [T(b, "ad.zerosLike", [x]), ds, dim, index]) : null),
      vjp: (b, [, src, dim, index], _o, ct, act) => [act[0] ? ct : null, act[1] ? T(b, "ad.fitTo", [T(b, "t.gather", [ct, dim, index]), src]) : null],
    },
    structure: DENSE,
    batch: scatterBatch("t.scatterAdd", 2),
  },
  // maskedSelect(mask): a 1-d result as long as the mask's true count (a run-time size); linear in x
  // with the mask fixed: the jvp selects the tangent, the vjp puts ct back at the mask's places
  // (zeros elsewhere, summed where the mask broadcast x); the mask gets no derivative
  maskedSelect: {
    surface: unary(2),
    rule: {
      operands: 2,
      js: call("maskedSelect"),
      jvp: (b, [, m], [dx]) => (dx ? T(b, "t.maskedSelect", [dx, m]) : null),
      vjp: (b, [x, m], _o, ct, act) => [act[0] ? T(b, "ad.maskedSelectBackward", [ct, x, m]) : null, null],
    },
    structure: MOVE,
    // one mask for the batch: each example selects as many entries, a [B, k] result
    batch: (b, [x, m], kinds, _a, B) => (isB(kinds[1]) ? "`maskedSelect` with a batched mask: each example's result has its own length" : { a: b.t("ad.bMaskedSelect", [isB(kinds[0]) ? x : b.t("ad.bBroadcast", [x, B]), m]), kind: "b" }),
  },
  // chunk / split / unbind: an array of tensors; each piece is its own primitive (attrs: the count or sizes, dim, the piece's index)
  chunk: piecesOp("chunk"),
  split: piecesOp("split"),
  unbind: piecesOp("unbind"),
  // diag / tril / triu write zeros: no structured rule (a tangent runs them per basis column)
  diag: { surface: withInts(0), rule: linear("diag", (b, ct, x) => T(b, "ad.diagBackward", [ct, x[0], x[1]])), structure: DENSE, batch: (b, args, kinds) => intsUnbatched(kinds, 1) ?? { a: b.t("ad.bDiag", args), kind: "b" } },
  diagonal: { surface: withInts(0, 0, 1), rule: linear("diagonal", (b, ct, x) => T(b, "ad.diagonalBackward", [ct, ...x])), structure: MOVE, batch: dimArgs("t.diagonal", [2, 3]) },
  trace: {
    surface: unary(),
    rule: linear("trace", (b, ct, [x]) => T(b, "ad.traceBackward", [ct, x])),
    structure: DENSE,
    // each example's diagonal, summed
    batch: (b, [x]) => ({ a: b.t("t.sum", [b.t("t.diagonal", [x, lit(0), lit(1), lit(2)])], [-1, false]), kind: "b" }),
  },
  tril: { surface: withInts(0), rule: linear("tril", (b, ct, x) => T(b, "t.tril", [ct, x[1]])), structure: DENSE, batch: same("t.tril") },
  triu: { surface: withInts(0), rule: linear("triu", (b, ct, x) => T(b, "t.triu", [ct, x[1]])), structure: DENSE, batch: same("t.triu") },

  // ---- nonlinear ops that are not elementwise
  // softmax: d s = s (dx - Σ s dx); log-softmax: d l = dx - Σ softmax dx
  softmax: {
    surface: withInts(REQ),
    rule: {
      operands: 1,
      js: call("softmax"),
      jvp: (b, x, [dx], out) => (dx ? T(b, "t.mul", [out, T(b, "t.sub", [dx, keepSum(b, T(b, "t.mul", [out, dx]), x[1])])]) : null),
      vjp: (b, x, out, ct) => [T(b, "t.mul", [out, T(b, "t.sub", [ct, keepSum(b, T(b, "t.mul", [ct, out]), x[1])])])],
    },
    structure: DENSE,
    batch: dimArgs("t.softmax", [1]),
  },
  logSoftmax: {
    surface: withInts(REQ),
    rule: {
      operands: 1,
      js: call("logSoftmax"),
      jvp: (b, x, [dx], out) => (dx ? T(b, "t.sub", [dx, keepSum(b, T(b, "t.mul", [T(b, "t.exp", [out]), dx]), x[1])]) : null),
      vjp: (b, x, out, ct) => [T(b, "t.sub", [ct, T(b, "t.mul", [T(b, "t.exp", [out]), keepSum(b, ct, x[1])])])],
    },
    structure: DENSE,
    batch: dimArgs("t.logSoftmax", [1]),
  },
  // where(c, a, b): differentiable in a and b only
  where: {
    surface: { operands: 3, form: "where" },
    rule: {
      operands: 3,
      js: call("where"),
      jvp: (b, [c], [, da, db], out) => (da || db ? expandAs(b, T(b, "t.where", [c, da ?? lit(0), db ?? lit(0)]), out) : null),
      vjp: (b, [c, x, y], _o, ct, act, _a, ty) => [
        null,
        act[1] ? sumTo(b, T(b, "t.where", [c, ct, lit(0)]), x, ty[1]) : null,
        act[2] ? sumTo(b, T(b, "t.where", [c, lit(0), ct]), y, ty[2]) : null,
      ],
    },
    structure: { structure: "move", sj: "sjWhere" },
    batch: elementwiseRule("t.where", 3),
  },
  // maskedFill(x, mask, value) = where(mask, value, x) in x's shape: differentiable in x (zero where filled) and in value
  maskedFill: {
    surface: unary(3),
    rule: {
      operands: 3,
      js: call("maskedFill"),
      jvp: (b, [, m], [dx, , dv], out) => (dx ? T(b, "t.maskedFill", [dx, m, dv ?? lit(0)]) : dv ? expandAs(b, T(b, "t.where", [m, dv, lit(0)]), out) : null),
      vjp: (b, [, m, v], _o, ct, act, _a, ty) => [act[0] ? T(b, "t.maskedFill", [ct, m, lit(0)]) : null, null, act[2] ? sumTo(b, T(b, "t.where", [m, ct, lit(0)]), v, ty[2]) : null],
    },
    // (linear in x with the mask fixed: a tangent runs it once per basis column)
    structure: DENSE,
    batch: maskedFillBatch,
  },
  // clamp: d = dx where min <= x <= max (PyTorch), bounds are constants
  clamp: {
    surface: withInts(NaN, NaN),
    rule: {
      operands: 1,
      js: call("clamp"),
      jvp: (b, x, [dx]) => (dx ? T(b, "t.mul", [dx, T(b, "ad.clampMask", x)]) : null),
      vjp: (b, x, _o, ct) => [T(b, "t.mul", [ct, T(b, "ad.clampMask", x)])],
    },
    structure: DENSE,
    batch: elementwiseRule("t.clamp", 1),
  },

  // ---- numbers out of tensors
  // item: the number of a one-element tensor, a differentiable value like any number
  // d(item x) = item(dx); x̄ = ct in x's shape (on x's device)
  item: {
    surface: { operands: 1, result: "num", methodOnly: true },
    rule: {
      operands: 1,
      js: (a) => `${a[0]}.item()`,
      type: () => NUM,
      jvp: (b, _x, [dx]) => (dx ? b.t("t.item", [dx], [], NUM) : null),
      vjp: (b, [x], _o, ct) => [expandAs(b, ct, x)],
    },
    structure: NONE,
    batch: (b, [x]) => ({ a: b.t("ad.bItem", [x]), kind: "n" }),
  },
  // dtype conversions, PyTorch's x.float() / .double() / .bool() / .int(): a conversion between the float
  // types carries the derivative (its cotangent goes back in the input's dtype); to bool or int32, a constant
  float: { surface: { operands: 1, methodOnly: true }, rule: cast("float32"), structure: DENSE, batch: same("t.float") },
  double: { surface: { operands: 1, methodOnly: true }, rule: cast("float64"), structure: DENSE, batch: same("t.double") },
  bool: { surface: { operands: 1, methodOnly: true }, rule: cast("bool"), structure: NONE, batch: same("t.bool") },
  int: { surface: { operands: 1, methodOnly: true }, rule: cast("int32"), structure: NONE, batch: same("t.int") },
  // detach: the same values with no derivative (PyTorch's x.detach(); shares x's storage)
  detach: { surface: unary(), rule: { operands: 1, js: call("detach"), zero: true }, structure: NONE, batch: same("t.detach") },
  // sizes: run-time integers, never differentiated
  size: {
    surface: { operands: 1, ints: [REQ], result: "num", methodOnly: true },
    rule: { operands: 1, js: (a) => `${a[0]}.size(${a[1]})`, zero: true, type: () => NUM },
    structure: NONE,
    batch: (b, args, kinds) => intsUnbatched(kinds, 1) ?? { a: b.t("ad.bSize", args, [], NUM), kind: "u" },
  },
  dim: {
    surface: { operands: 1, result: "num", methodOnly: true },
    rule: { operands: 1, js: (a) => `${a[0]}.dim()`, zero: true, type: () => NUM },
    structure: NONE,
    batch: (b, [x]) => ({ a: b.t("ad.bDim", [x], [], NUM), kind: "u" }),
  },
  numel: {
    surface: { operands: 1, result: "num", methodOnly: true },
    rule: { operands: 1, js: (a) => `${a[0]}.numel()`, zero: true, type: () => NUM },
    structure: NONE,
    batch: (b, [x]) => ({ a: b.t("ad.bNumel", [x], [], NUM), kind: "u" }),
  },
  // x.shape: a copy (the generated code may not write into a tensor's own shape)
  shape: {
    rule: { operands: 1, js: (a) => `[...${a[0]}.shape]`, zero: true, type: () => VEC },
    structure: NONE,
    batch: shapeOnly("shape", "of a batched tensor has no batching rule yet"),
  },
  // a factory given the function's values (compiler/front/lower.ts factoryCall): no derivative, as in PyTorch
  factory: {
    rule: {
      operands: 0,
      zero: true,
      js: (a, attrs) => {
        const [name, layout] = attrs as [string, FactoryArg[]];
        let next = 0;
        const opts = (fields: FactoryField[]) => `{ ${fields.map((f) => `${JSON.stringify(f.key)}: ${"text" in f ? f.text : `${a[next++]}.${f.prop}`}`).join(", ")} }`;
        const args = layout.map((l) => (l.k === "text" ? l.text : l.k === "atom" ? a[next++] : l.k === "opts" ? opts(l.fields) : `[${a.slice(next, (next += l.n)).join(", ")}]`));
        return `__jt.${name}(${args.join(", ")})`;
      },
    },
    structure: NONE,
    batch: shapeOnly("factory", "sized or typed by batched values has no batching rule yet"),
  },
} satisfies Record<string, TensorOpDef>;

export type TensorOpName = keyof typeof TENSOR_OPS_TABLE;
export const TENSOR_OPS: Record<TensorOpName, TensorOpDef> = TENSOR_OPS_TABLE;
export const TENSOR_OP_NAMES = Object.keys(TENSOR_OPS) as TensorOpName[];

/** How t.factory's operands rebuild a factory call's arguments (compiler/front/lower.ts factoryCall). */
export type FactoryField = { key: string; text: string } | { key: string; prop: "dtype" | "device" };
export type FactoryArg = { k: "atom" } | { k: "array"; n: number } | { k: "text"; text: string } | { k: "opts"; fields: FactoryField[] };

/**
 * conv1d / conv2d(x, w, bias?, stride, padding, dilation, groups): bilinear in (x, w), affine in the bias.
 * jvp: conv(dx, w) + conv(x, dw) + db over the channels; vjp (PyTorch's convolution_backward): the
 * transposed convolution for x (ad.convInput), the correlation of x and ct for w (ad.convWeight), ct
 * summed over all dims but the channels' for the bias. Under vmap a batched input folds into N.
 */
function convOp(sp: 1 | 2): TensorOpDef {
  const prim = `t.conv${sp}d`;
  const none = lit(undefined);
  // the bias [K] (or its tangent) as [K, 1] / [K, 1, 1]: it broadcasts over the output's positions
  const overChannels = (b: Builder, t: Atom) => (sp === 1 ? T(b, "t.unsqueeze", [t, lit(-1)]) : T(b, "t.unsqueeze", [T(b, "t.unsqueeze", [t, lit(-1)]), lit(-1)]));
  return {
    surface: { operands: 3, optional: 2, lits: "lists", lists: [false, false, false, false], functionOnly: true },
    rule: {
      operands: 3,
      js: call(`conv${sp}d`),
      jvp: (b, [x, w], [dx, dw, db], out, attrs) => {
        const r = tadd(b, dx ? T(b, prim, [dx, w, none], attrs) : null, dw ? T(b, prim, [x, dw, none], attrs) : null);
        if (!db) return r;
        return r ? T(b, "t.add", [r, overChannels(b, db)]) : expandAs(b, overChannels(b, db), out);
      },
      vjp: (b, [x, w, bias], _o, ct, act, attrs, ty) => [
        act[0] ? T(b, "ad.convInput", [ct, w, x], [sp, ...attrs]) : null,
        act[1] ? T(b, "ad.convWeight", [ct, x, w], [sp, ...attrs]) : null,
        act[2] ? sumTo(b, T(b, "t.sum", [ct], [sp === 1 ? -1 : [-2, -1], false]), bias, ty[2]) : null,
      ],
    },
    structure: DENSE,
    batch: (b, args, kinds, attrs) =>
      isB(kinds[1]) || isB(kinds[2]) ? `conv${sp}d with a batched weight or bias runs row by row under vmap` : { a: b.t("ad.bFold", args, [`conv${sp}d`, sp, [0], ...attrs]), kind: "b" },
  };
}

/** The jvp of a product (bilinear in its two operands): d(x ∘ y) = dx ∘ y + x ∘ dy. */
function productJvp(prim: string): NonNullable<TensorRule["jvp"]> {
  return (b, [x, y], [dx, dy]) => tadd(b, dx ? T(b, prim, [dx, y]) : null, dy ? T(b, prim, [x, dy]) : null);
}

/**
 * gather / scatter / scatterAdd over a batch (operands, then [dim, index]): the dim moved past the
 * batch dim, and the input, a tensor src and the index repeated over the batch where unbatched
 * (an index keeps the input's rank); a batch of numbers as src has no rule.
 */
function scatterBatch(op: string, n: number): BatchRule {
  return (b, args, kinds, attrs, B) => {
    if (isB(kinds[n])) return "a dim argument depends on the batched values";
    const d = shift(args[n]);
    if (typeof d === "string") return d;
    if (n === 2 && kinds[1] === "n") return `\`${op.slice(2)}\` with a batch of numbers as src`;
    const every = (a: Atom, i: number) => (isB(kinds[i]) || (i === 1 && n === 2 && !tensorOf(b, a)) ? a : b.t("ad.bBroadcast", [a, B]));
    return { a: b.t(op, [...args.slice(0, n).map(every), d, every(args[n + 1], n + 1)], attrs), kind: "b" };
  };
}

/** reshape / view / expand: literal sizes batch as one op over the batch; run-time sizes do not yet. */
function sized(name: string, helper: string): BatchRule {
  return (b, [x], _k, [s]) => (Array.isArray(s) ? { a: b.t(helper, [x], [s]), kind: "b" } : `${name} without sizes`);
}

/**
 * maskedFill over a batch: x repeated over the batch when only the mask is batched, the mask aligned to
 * x's example rank, so each example's mask must still broadcast to its input; a batched value (a batch
 * of numbers) is where(mask, value, x) over the aligned operands.
 */
function maskedFillBatch(...[b, [x, m, v], kinds, , B]: Parameters<BatchRule>): ReturnType<BatchRule> {
  const xb = isB(kinds[0]) ? x : b.t("ad.bBroadcast", [x, B]);
  if (isB(kinds[2])) {
    const [xa, ma, va] = aligned(b, [xb, m, v], ["b", kinds[1], kinds[2]], 3);
    return { a: b.t("t.where", [ma, va, xa]), kind: "b" };
  }
  const [, ma] = aligned(b, [xb, m], ["b", kinds[1]], 2);
  return { a: b.t("t.maskedFill", [xb, ma, v]), kind: "b" };
}

function extremum(which: "max" | "min"): TensorRule {
  return {
    operands: 1,
    js: call(which),
    jvp: (b, [x], [dx], out, attrs) => (dx ? T(b, "t.sum", [T(b, "t.mul", [dx, T(b, "ad.extremumWeights", [x, out], attrs)])], attrs) : null),
    vjp: (b, [x], out, ct, _a, attrs) => [T(b, "t.mul", [T(b, "ad.sumBackward", [ct, x], attrs), T(b, "ad.extremumWeights", [x, out], attrs)])],
  };
}

/**
 * A reduction whose attrs hold its dims at `dimAt` and keepdim at `keepAt`, over a batch: its dims moved
 * past the batch dim; all of an example's dims are its flattened elements (with keepdim: the row loop).
 */
function reduceAt(op: string, dimAt: number, keepAt: number): BatchRule {
  return (b, [x], _k, attrs) => {
    const dim = attrs[dimAt] as number | number[] | undefined | null;
    const out = [...attrs];
    if (dim === undefined || dim === null || (Array.isArray(dim) && dim.length === 0)) {
      if (attrs[keepAt] === true) return `\`${op.slice(2)}\` over all of an example's dims with keepdim`;
      out[dimAt] = 1;
      return { a: b.t(op, [b.t("ad.bFlatten", [x, lit(0), lit(-1)])], out), kind: "b" };
    }
    out[dimAt] = Array.isArray(dim) ? dim.map(shiftNum) : shiftNum(dim);
    return { a: b.t(op, [x], out), kind: "b" };
  };
}

/** A denominator that is 1 where `t` is 0 (a zero norm or std has gradient 0 in PyTorch, and no NaN reaches a Hessian). */
function safeDenominator(b: Builder, t: Atom): Atom {
  return T(b, "t.where", [T(b, "t.eq", [t, lit(0)]), lit(1), t]);
}

function normRule(fn = "norm"): TensorRule {
  // each order's gradient w (∂norm/∂x, in x's shape): d norm = Σ w dx, x̄ = ct · w
  const weights = (b: Builder, x: Atom, out: Atom, [p, ...red]: unknown[]): Atom => {
    if (p === 1) return T(b, "t.sign", [x]);
    // the max |x| splits its gradient evenly among ties, as amax does
    if (p === "inf") return T(b, "t.mul", [T(b, "t.sign", [x]), T(b, "ad.extremumWeights", [T(b, "t.abs", [x]), out], red)]);
    // 2-norm: x / norm, with a zero norm's gradient 0 (x is 0 there)
    return T(b, "t.mul", [x, T(b, "ad.sumBackward", [T(b, "t.reciprocal", [safeDenominator(b, out)]), x], red)]);
  };
  return {
    operands: 1,
    js: call(fn, (a, [p, ...red]) => [a[0], p === "inf" ? "Infinity" : JSON.stringify(p), ...lits(red)]),
    jvp: (b, [x], [dx], out, attrs) => (dx ? T(b, "t.sum", [T(b, "t.mul", [dx, weights(b, x, out, attrs)])], attrs.slice(1)) : null),
    vjp: (b, [x], out, ct, _a, attrs) => [T(b, "t.mul", [T(b, "ad.sumBackward", [ct, x], attrs.slice(1)), weights(b, x, out, attrs)])],
  };
}

/** logsumexp's gradient: exp(x - out), out broadcast back over the reduced dims. */
function lseWeights(b: Builder, x: Atom, out: Atom, attrs: unknown[]): Atom {
  return T(b, "t.exp", [T(b, "t.sub", [x, T(b, "ad.sumBackward", [out, x], attrs)])]);
}

/**
 * var: d var = 2 Σ (x - mean) dx / (N - correction); std = sqrt(var): d std = d var / (2 std), 0 where
 * std is 0 (PyTorch's std_backward). attrs [dim, correction, keepdim]; the divisor is read at run time.
 */
function varRule(std: boolean): TensorRule {
  // the gradient in x's shape, with a factor `ct` in the result's shape folded in
  const grad = (b: Builder, x: Atom, out: Atom, ct: Atom | null, [dim, correction, keep]: unknown[]): Atom => {
    const centred = T(b, "t.sub", [x, T(b, "t.mean", [x], [dim, true])]);
    const scale = T(b, "ad.varScale", [x], [dim, correction]);
    let f: Atom | null = ct;
    if (std) f = f ? T(b, "t.div", [f, safeDenominator(b, out)]) : T(b, "t.reciprocal", [safeDenominator(b, out)]);
    // (x - mean) / (N - correction), times 2 for var (std's 2 cancels against the 2 of 2 std)
    const w = std ? T(b, "t.mul", [centred, scale]) : T(b, "t.mul", [T(b, "t.mul", [centred, scale]), lit(2)]);
    return f ? T(b, "t.mul", [T(b, "ad.sumBackward", [f, x], [dim, keep]), w]) : w;
  };
  return {
    operands: 1,
    js: call(std ? "std" : "var", (a, [dim, correction, keep]) => [a[0], dim === undefined ? "undefined" : JSON.stringify(dim), `{ correction: ${correction}, keepdim: ${keep} }`]),
    jvp: (b, [x], [dx], out, attrs) => (dx ? T(b, "t.sum", [T(b, "t.mul", [dx, grad(b, x, out, null, attrs)])], [attrs[0], attrs[2]]) : null),
    vjp: (b, [x], out, ct, _a, attrs) => [grad(b, x, out, ct, attrs)],
  };
}

function joinRule(stacked: boolean): TensorRule {
  const fn = stacked ? "stack" : "cat";
  return {
    operands: Infinity,
    js: call(fn, (a, attrs) => [`[${a.join(", ")}]`, JSON.stringify(attrs[0])]),
    jvp: (b, x, dx, _o, attrs) => (dx.some(Boolean) ? T(b, `t.${fn}`, x.map((xi, i) => dx[i] ?? T(b, "ad.zerosLike", [xi])), attrs) : null),
    vjp: (b, x, _o, ct, act, attrs) => x.map((_, i) => (act[i] ? T(b, "ad.catPiece", [ct, ...x], [i, attrs[0], stacked]) : null)),
  };
}

/** The last two dims swapped (matrices' transposes). */
const mT = (b: Builder, x: Atom) => T(b, "t.transpose", [x, lit(-2), lit(-1)]);
/** A per-matrix value [...] as [..., 1, 1], to scale each matrix. */
const unsqueeze2 = (b: Builder, x: Atom) => T(b, "t.unsqueeze", [T(b, "t.unsqueeze", [x, lit(-1)]), lit(-1)]);
/** A⁻ᵀ as the cofactor matrix over det: never an exception (Inf / NaN at a singular A). */
const invT = (b: Builder, A: Atom) => T(b, "t.div", [T(b, "ad.detCofactor", [A]), unsqueeze2(b, T(b, "t.linalgDet", [A]))]);

function keepSum(b: Builder, t: Atom, dim: Atom | undefined): Atom {
  return T(b, "t.sum", [t], [dim && dim.k === "lit" ? dim.v : -1, true]);
}

/** chunk / split / unbind: piece i is a narrow (unbind: a select) of x; its vjp puts ct back in place. */
function piecesOp(op: "chunk" | "split" | "unbind"): TensorOpDef {
  return {
    surface: { operands: 1, form: "pieces" },
    rule: { ...linear("adPiece", (b, ct, [x], attrs) => T(b, "ad.pieceBackward", [ct, x], [op, ...attrs]), `t.${op}`), js: call("adPiece", (a, attrs) => [a[0], JSON.stringify(op), ...lits(attrs)]) },
    structure: MOVE,
    batch: (b, [x], _k, [arg, dim, i]) => ({ a: b.t(`t.${op}`, [x], [arg, shiftNum(dim as number), i]), kind: "b" }),
  };
}

/** Literal dims (a number or a list) of an example, moved past the batch dim. */
function shiftDims(d: unknown): unknown {
  return Array.isArray(d) ? d.map(shiftNum) : typeof d === "number" ? shiftNum(d) : d;
}

function inversePerm(dims: number[]): number[] {
  const n = dims.length;
  const inv = new Array<number>(n);
  dims.forEach((d, i) => (inv[d < 0 ? d + n : d] = i));
  return inv;
}

// ---- the nn ops' helpers
/**
 * `__jt.fn(operands..., { name: value, ... })`: the attrs as the runtime's options object, and the
 * operands past the params' own (`tensors`: the options' Tensor fields, as crossEntropy's weight) in it
 */
function withOptions(fn: string, names: string[], tensors: string[] = [], omitAbsent = false): RuntimeCall {
  return call(fn, (a, attrs) => {
    const own = a.length - tensors.length;
    // (omitAbsent: a Tensor option left out is not written, `{ reduction: "mean" }` as before the op took any)
    const fields = [...names.map((n, i) => `${n}: ${JSON.stringify(attrs[i])}`), ...tensors.flatMap((n, i) => (omitAbsent && a[own + i] === "undefined" ? [] : [`${n}: ${a[own + i]}`]))];
    return [...a.slice(0, own), `{ ${fields.join(", ")} }`];
  });
}

/** The classes' dim of a loss's operand `a` moved last (PyTorch's [N, C, d1, …]: x, its tangent, probabilities), and back. */
const classLast = (b: Builder, a: Atom, x: Atom) => T(b, "ad.classMove", [a, x], [true]);
const classFirst = (b: Builder, a: Atom, x: Atom) => T(b, "ad.classMove", [a, x], [false]);

/** A class weight that depends on the differentiated inputs has no derivative (PyTorch's neither): a located diagnostic, never a silent zero. */
function constantWeight(b: Builder, op: string, varies: unknown, what = "weight"): void {
  if (varies) throw new UnsupportedDerivative(`the derivative of \`${op}\` with respect to its \`${what}\` is not supported${what === "weight" ? " (PyTorch has none either): the class weight" : ": the weights"} must not depend on the differentiated inputs (\`.detach()\` it, or pass a constant)`, b.loc);
}

/** binaryCrossEntropyWithLogits's ∂x: σ(x) − y, or w ((1 − y) − L (1 − σ(x))) with a weight w or a posWeight p (L = (p − 1) y + 1). */
function bceX(b: Builder, x: Atom, y: Atom, w: Atom, p: Atom): Atom {
  const sig = T(b, "t.sigmoid", [x]);
  if (!given(w) && !given(p)) return T(b, "t.sub", [sig, y]);
  const L = given(p) ? T(b, "t.add", [T(b, "t.mul", [T(b, "t.sub", [p, lit(1)]), y]), lit(1)]) : undefined;
  const d = L ? T(b, "t.sub", [T(b, "t.sub", [lit(1), y]), T(b, "t.mul", [L, T(b, "t.sub", [lit(1), sig])])]) : T(b, "t.sub", [sig, y]);
  return given(w) ? T(b, "t.mul", [d, w]) : d;
}

/** binaryCrossEntropyWithLogits's ∂y times `g`: −g x, or g w (−x − (p − 1) log σ(x)). */
function bceY(b: Builder, g: Atom, x: Atom, w: Atom, p: Atom): Atom {
  if (!given(w) && !given(p)) return T(b, "t.neg", [T(b, "t.mul", [g, x])]);
  const d = given(p) ? T(b, "t.sub", [T(b, "t.neg", [x]), T(b, "t.mul", [T(b, "t.sub", [p, lit(1)]), T(b, "t.logSigmoid", [x])])]) : T(b, "t.neg", [x]);
  return T(b, "t.mul", [g, given(w) ? T(b, "t.mul", [d, w]) : d]);
}

/** An optional operand that was given (one left out is the literal undefined). */
const given = (a: Atom) => !(a.k === "lit" && a.v === undefined);

/** A loss's reduction of its elementwise (or per-row) values, and its transpose (ct back to `like`'s shape). */
function reduced(b: Builder, t: Atom, red: unknown): Atom {
  return red === "none" ? t : T(b, red === "sum" ? "t.sum" : "t.mean", [t], [undefined, false]);
}
function reducedBack(b: Builder, ct: Atom, like: Atom, red: unknown): Atom {
  return red === "none" ? ct : T(b, red === "sum" ? "ad.sumBackward" : "ad.meanBackward", [ct, like], [undefined, false]);
}

/** A loss over a batch: each example's loss with reduction "none", then reduced over the example's dims (runtime/batching-nn.ts). */
function lossBatch(op: string): BatchRule {
  // (attrs [reduction, ignoreIndex, labelSmoothing] where the loss takes them; the class losses' third operand: their weight)
  return (b, [x, t, w], kinds, [red, ignore, smooth]) => {
    if (w && isB(kinds[2])) return `\`${op}\` with a class weight that varies over the batch runs row by row under vmap`;
    return { a: b.t("ad.bLoss", [x, t, w ?? lit(undefined)], [op, red, kinds.slice(0, 2).map(isB), { ignoreIndex: ignore, labelSmoothing: smooth }]), kind: "b" };
  };
}

/** linear over a batch: x batched alone is more leading dims; a batched weight is each example's x Wᵀ (bMatmul), then its bias. */
function linearBatch(...[b, [x, W, bias], kinds]: Parameters<BatchRule>): ReturnType<BatchRule> {
  if (!isB(kinds[1]) && !isB(kinds[2])) return { a: b.t("t.linear", [x, W, bias]), kind: "b" };
  const Wt = isB(kinds[1]) ? b.t("ad.bT", [W]) : b.t("t.t", [W]);
  let y = b.t("ad.bMatmul", [x, Wt], [[isB(kinds[0]), isB(kinds[1])]]);
  if (given(bias)) {
    const [ya, ba] = aligned(b, [y, bias], ["b", kinds[2]], 2);
    y = b.t("t.add", [ya, ba]);
  }
  return { a: y, kind: "b" };
}

/** layerNorm over a batch: x batched alone normalizes the same trailing dims; a batched weight or bias scales and shifts each example's x̂. */
function layerNormBatch(...[b, args, kinds, attrs]: Parameters<BatchRule>): ReturnType<BatchRule> {
  if (!isB(kinds[1]) && !isB(kinds[2])) return { a: b.t("t.layerNorm", args, attrs), kind: "b" };
  let y = b.t("t.layerNorm", [args[0], lit(undefined), lit(undefined)], attrs);
  let k: Kind = kinds[0];
  for (const [i, op] of [[1, "t.mul"], [2, "t.add"]] as const) {
    if (!given(args[i])) continue;
    const [ya, aa] = aligned(b, [y, args[i]], [k, kinds[i]], 2);
    y = b.t(op, [ya, aa]);
    k = isB(k) || isB(kinds[i]) ? "b" : "u";
  }
  return { a: y, kind: "b" };
}

/** The trailing dims that layerNorm's normalizedShape names: [-k, ..., -1]. */
function lnDims(shape: unknown): number[] {
  const k = Array.isArray(shape) ? shape.length : 1;
  return Array.from({ length: k }, (_, i) => i - k);
}

/** x̂ = (x − μ) r and r = 1 / √(σ² + eps) over `dims` (kept), from primitives, so derivatives differentiate again. */
function lnStats(b: Builder, x: Atom, dims: number[], eps: number): { xhat: Atom; r: Atom } {
  const c = T(b, "t.sub", [x, T(b, "t.mean", [x], [dims, true])]);
  const r = T(b, "t.rsqrt", [T(b, "t.add", [T(b, "t.mean", [T(b, "t.mul", [c, c])], [dims, true]), lit(eps)])]);
  return { xhat: T(b, "t.mul", [c, r]), r };
}
