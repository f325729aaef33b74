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
import { aligned, type BatchRule, dimArgs, elementwiseRule, fallback, flagged, intsUnbatched, isB, join, reduction, same, shift, shiftNum, tensorOf } from "./batching.js";
import { type OpStructure, DENSE, MOVE, NONE, RESHAPE } from "./structure.js";

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
}

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
  // torch.nn.functional.cross_entropy (mean reduction): L = −mean_rows Σ_c D_c log softmax(x)_c, D the
  // target distribution (the probabilities, or the one-hot of class indices: ad.ceTarget)
  crossEntropy: {
    surface: { operands: 2, functionOnly: true },
    rule: {
      operands: 2,
      js: call("crossEntropy"),
      // dL = −mean Σ_c (D (dx − Σ_c' p dx) + dD log p)
      jvp: (b, [x, t], [dx, dt]) => {
        const logp = T(b, "t.logSoftmax", [x, lit(-1)]);
        const D = T(b, "ad.ceTarget", [x, t]);
        const fromX = dx ? T(b, "t.mul", [D, T(b, "t.sub", [dx, keepSum(b, T(b, "t.mul", [T(b, "t.exp", [logp]), dx]), lit(-1))])]) : null;
        const fromT = dt ? T(b, "t.mul", [T(b, "ad.ceTargetTangent", [x, t, dt]), logp]) : null;
        const inner = tadd(b, fromX, fromT);
        return inner ? T(b, "t.neg", [T(b, "t.mean", [T(b, "t.sum", [inner], [-1, false])], [undefined, false])]) : null;
      },
      // each row's cotangent −ct / N, broadcast over the classes: ḡx = g (D − p Σ_c D), ḡD = g log p
      vjp: (b, [x, t], _o, ct, act) => {
        const logp = T(b, "t.logSoftmax", [x, lit(-1)]);
        const D = T(b, "ad.ceTarget", [x, t]);
        const rows = T(b, "t.sum", [T(b, "t.mul", [D, logp])], [-1, false]);
        const g = T(b, "t.neg", [T(b, "ad.sumBackward", [T(b, "ad.meanBackward", [ct, rows], [undefined, false]), logp], [-1, false])]);
        return [
          act[0] ? T(b, "t.mul", [g, T(b, "t.sub", [D, T(b, "t.mul", [T(b, "t.exp", [logp]), keepSum(b, D, lit(-1))])])]) : null,
          act[1] ? T(b, "ad.ceTargetTangent", [x, t, T(b, "t.mul", [g, logp])]) : null,
        ];
      },
    },
    structure: DENSE,
    batch: fallback("crossEntropy runs row by row under vmap"),
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

function normRule(): TensorRule {
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
    js: call("norm", (a, [p, ...red]) => [a[0], p === "inf" ? "Infinity" : JSON.stringify(p), ...lits(red)]),
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
