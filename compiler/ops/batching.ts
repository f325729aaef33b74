// The batching rules of the tensor ops (issue 16): how each op runs once over a
// whole batch. A batched value is a Tensor with the batch at dim 0 ("b"), or a
// batch of numbers as a float64 Tensor [B] ("n"); "u" is unbatched. A rule is
// called only when some operand is batched; it emits the batched op into the
// builder, or returns a string: the reason this op cannot be batched, which
// sends the whole vmap back to the row loop (compiler/ad/batch-tensor.ts).
// The elementwise ops' rule is derived from the registry (one generic rule);
// every other tensor op is listed in BATCH_RULES, whose type requires an entry
// (a rule or an explicit fallback) for each of compiler/rules/tensor.ts's `t.` ops.
import { type Atom, type Builder, lit, NUM, TENSOR } from "../ir/ir.js";
import { ELEMENTWISE_NAMES, ELEMENTWISE_OPS, type ElementwiseName } from "./elementwise.js";

export type Kind = "u" | "b" | "n";
export interface Batched { a: Atom; kind: Kind }
export type BatchRule = (b: Builder, args: Atom[], kinds: Kind[], attrs: unknown[], B: Atom) => Batched | string;

const tensorOf = (b: Builder, a: Atom) => a.k === "var" && b.fn.vars.get(a.name)?.k === "tensor";
const isB = (k: Kind) => k !== "u";

/** A dim argument of the per-example op, moved past the batch dim (negative dims count from the end: unchanged). */
function shift(d: Atom): Atom | string {
  if (d.k !== "lit") return "a dim argument is not a literal";
  return typeof d.v === "number" && d.v >= 0 ? lit(d.v + 1) : d;
}
const shiftNum = (d: number) => (d >= 0 ? d + 1 : d);

/** Integer arguments (dims, indices) from `from` on must be unbatched. */
function intsUnbatched(kinds: Kind[], from: number): string | undefined {
  return kinds.slice(from).some(isB) ? "an index or dim argument depends on the batched values" : undefined;
}

/**
 * Broadcasting operands (elementwise ops, where): each batched operand is
 * padded after its batch dim to the others' per-example rank, so
 * right-aligned broadcasting keeps the batch dims together.
 */
function aligned(b: Builder, args: Atom[], kinds: Kind[], n: number): Atom[] {
  // a number (a literal, an unbatched number, a batch of numbers) is rank 0 in every example
  const rank0 = (a: Atom, k: Kind) => k === "n" || (k === "u" && !tensorOf(b, a));
  return args.slice(0, n).map((a, i) => {
    if (!isB(kinds[i])) return a;
    const others = args.slice(0, n).filter((_, j) => j !== i);
    const oKinds = kinds.slice(0, n).filter((_, j) => j !== i);
    if (others.every((o, j) => rank0(o, oKinds[j]))) return a;
    return b.t("ad.bAlign", [a, ...others], [oKinds.map(isB), kinds[i] === "n"]);
  });
}

/** The one rule of every registry op: broadcast, then the same op. */
function elementwiseRule(op: string, n: number): BatchRule {
  return (b, args, kinds, attrs) => {
    const bad = intsUnbatched(kinds, n);
    if (bad) return bad;
    const xs = aligned(b, args, kinds, n);
    // numbers with numbers stay a batch of numbers; anything meeting a Tensor is a batched Tensor
    const nums = kinds.slice(0, n).every((k, i) => k === "n" || (k === "u" && !tensorOf(b, args[i])));
    return { a: b.t(op, [...xs, ...args.slice(n)], attrs), kind: nums ? "n" : "b" };
  };
}

/** An op that keeps each example's shape and reads only its own operand (shape-only helpers, detach). */
const same = (op: string, n = 1): BatchRule => (b, args, kinds, attrs) => intsUnbatched(kinds, n) ?? { a: b.t(op, args, attrs), kind: "b" };

/** sum / mean / prod / amax / amin: dims past the batch dim; all of them when none is given. */
function reduction(op: string, runtime: string): BatchRule {
  return (b, [x], _k, attrs) => {
    const [dim, keep] = attrs as [number | number[] | undefined | null, boolean];
    if (dim === undefined || dim === null) return { a: b.t("ad.bReduceAll", [x], [runtime, keep]), kind: "b" };
    const d = Array.isArray(dim) ? dim.map(shiftNum) : shiftNum(dim);
    return { a: b.t(op, [x], [d, keep]), kind: "b" };
  };
}

/** An op whose integer arguments at `dims` are dims of the example. */
function dimArgs(op: string, dims: number[]): BatchRule {
  return (b, args, kinds, attrs) => {
    const bad = intsUnbatched(kinds, 1);
    if (bad) return bad;
    const out = [...args];
    for (const i of dims) {
      const s = shift(args[i]);
      if (typeof s === "string") return s;
      out[i] = s;
    }
    return { a: b.t(op, out, attrs), kind: "b" };
  };
}

/** An op computed by a runtime helper that is told which operands are batched. */
const flagged = (helper: string, n: number, kind: Kind = "b"): BatchRule => (b, args, kinds, attrs) =>
  intsUnbatched(kinds, n) ?? { a: b.t(helper, args, [...attrs, kinds.slice(0, n).map(isB)]), kind };

function join(op: string): BatchRule {
  return (b, args, kinds, [dim], B) => {
    // unbatched pieces are repeated over the batch
    const xs = args.map((a, i) => (isB(kinds[i]) ? a : b.t("ad.bBroadcast", [a, B])));
    return { a: b.t(op, xs, [shiftNum(dim as number)]), kind: "b" };
  };
}

const fallback = (why: string): BatchRule => () => why;

/** The tensor ops that are not elementwise (registry) ops. */
type OtherOp =
  | "sum" | "mean" | "prod" | "amax" | "amin" | "matmul" | "dot" | "outer" | "select" | "narrow" | "reshape" | "view" | "flatten"
  | "squeeze" | "unsqueeze" | "transpose" | "t" | "permute" | "expand" | "softmax" | "logSoftmax" | "where" | "clamp" | "cat"
  | "stack" | "index" | "item" | "detach" | "size" | "dim" | "numel";

const OTHER: { [op in OtherOp]: BatchRule } = {
  sum: reduction("t.sum", "sum"),
  mean: reduction("t.mean", "mean"),
  prod: reduction("t.prod", "prod"),
  amax: reduction("t.amax", "max"),
  amin: reduction("t.amin", "min"),
  // W @ x with W unbatched is one [B, n] @ Wᵀ (runtime/batching.ts picks the form from the ranks)
  matmul: flagged("ad.bMatmul", 2),
  dot: flagged("ad.bDot", 2),
  outer: flagged("ad.bOuter", 2),
  select: dimArgs("t.select", [1]),
  narrow: dimArgs("t.narrow", [1]),
  transpose: dimArgs("t.transpose", [1, 2]),
  unsqueeze: dimArgs("t.unsqueeze", [1]),
  softmax: dimArgs("t.softmax", [1]),
  logSoftmax: dimArgs("t.logSoftmax", [1]),
  flatten: (b, args, kinds) => intsUnbatched(kinds, 1) ?? { a: b.t("ad.bFlatten", args), kind: "b" },
  reshape: (b, [x], _k, [sizes]) => (Array.isArray(sizes) ? { a: b.t("ad.bReshape", [x], [sizes]), kind: "b" } : "reshape without sizes"),
  view: (b, [x], _k, [sizes]) => (Array.isArray(sizes) ? { a: b.t("ad.bReshape", [x], [sizes]), kind: "b" } : "view without sizes"),
  squeeze: (b, [x], _k, attrs) => ({ a: b.t("ad.bSqueeze", [x], attrs.length ? [attrs[0]] : []), kind: "b" }),
  expand: (b, [x], _k, [sizes]) => (Array.isArray(sizes) ? { a: b.t("ad.bExpand", [x], [sizes]), kind: "b" } : "expand without sizes"),
  t: (b, [x]) => ({ a: b.t("ad.bT", [x]), kind: "b" }),
  permute: (b, [x], _k, [dims]) => {
    const ds = dims as number[];
    return { a: b.t("t.permute", [x], [[0, ...ds.map((d) => (d < 0 ? d + ds.length : d) + 1)]]), kind: "b" };
  },
  where: elementwiseRule("t.where", 3),
  clamp: elementwiseRule("t.clamp", 1),
  cat: join("t.cat"),
  stack: join("t.stack"),
  index: fallback("`index` gathers along dim 0 and has no batching rule yet"),
  item: (b, [x]) => ({ a: b.t("ad.bItem", [x]), kind: "n" }),
  detach: same("t.detach"),
  size: (b, args, kinds) => intsUnbatched(kinds, 1) ?? { a: b.t("ad.bSize", args, [], NUM), kind: "u" },
  dim: (b, [x]) => ({ a: b.t("ad.bDim", [x], [], NUM), kind: "u" }),
  numel: (b, [x]) => ({ a: b.t("ad.bNumel", [x], [], NUM), kind: "u" }),
};

/** The runtime helpers reverse mode emits (compiler/rules/tensor.ts's `ad.` entries) that vmap(grad(f)) meets. */
const HELPERS: Record<string, BatchRule> = {
  "ad.acc": flagged("ad.bAcc", 2),
  "ad.sumTo": (b, [t, like], kinds) => {
    const likeNum = kinds[1] === "n" || (like.k === "lit" || b.fn.vars.get(like.name)?.k === "num");
    const a = b.t("ad.bSumTo", [t, like], [[isB(kinds[0]), isB(kinds[1]), likeNum]], isB(kinds[0]) ? TENSOR : likeNum ? NUM : TENSOR);
    return { a, kind: isB(kinds[0]) ? (likeNum ? "n" : "b") : "u" };
  },
  "ad.expandAs": flagged("ad.bExpandAs", 2),
  "ad.matmulBackA": flagged("ad.bMatmulBackA", 3),
  "ad.matmulBackB": flagged("ad.bMatmulBackB", 3),
  // ct broadcast back over the reduced dims: an expand when the dims were kept or were all of them
  "ad.sumBackward": (b, [ct, x], kinds, [dim, keep]) =>
    dim === undefined || dim === null || keep === true ? { a: b.t("ad.bExpandAs", [ct, x], [[isB(kinds[0]), isB(kinds[1])]]), kind: "b" } : "the backward of a sum over some dims",
  "ad.zerosLike": same("ad.zerosLike"),
  "ad.step": same("ad.step"),
  "ad.sign": same("ad.sign"),
  "ad.clampMask": same("ad.clampMask"),
  "ad.numel": (b, [x]) => ({ a: b.t("ad.bNumel", [x], [], NUM), kind: "u" }),
};

/** Scalar primitives on batched numbers: those with a registry op of the same name and arity run as that op. */
function scalarRule(op: string, arity: number): BatchRule | undefined {
  const e = ELEMENTWISE_OPS[op as ElementwiseName];
  return e && e.arity === arity && !e.params?.length ? elementwiseRule(`t.${op}`, arity) : undefined;
}

const REGISTRY = new Map<string, BatchRule>(ELEMENTWISE_NAMES.map((n) => [`t.${n}`, elementwiseRule(`t.${n}`, ELEMENTWISE_OPS[n].arity)]));

/** The batching rule of primitive `op` (given its argument count), or undefined: no rule, the row loop. */
export function batchRuleOf(op: string, nArgs: number): BatchRule | undefined {
  if (op.startsWith("t.")) return REGISTRY.get(op) ?? OTHER[op.slice(2) as OtherOp];
  // a tangent op that may meet an undefined (structurally zero) tangent: elementwise ones stay tz. ops
  if (op.startsWith("tz.")) {
    const name = op.slice(3);
    const e = ELEMENTWISE_OPS[name as ElementwiseName];
    return e ? elementwiseRule(op, e.arity) : OTHER[name as OtherOp];
  }
  if (op.startsWith("ad.")) return HELPERS[op];
  return scalarRule(op, nArgs);
}

/** Every tensor op that has a rule (tests iterate over them). */
export const BATCHED_OPS = [...REGISTRY.keys(), ...Object.keys(OTHER).filter((k) => OTHER[k as OtherOp] !== OTHER.index).map((k) => `t.${k}`)];
