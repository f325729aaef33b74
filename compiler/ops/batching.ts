// The batching rules of the tensor ops (issue 16): how each op runs once over a
// whole batch. A batched value is a Tensor with the batch at dim 0 ("b"), or a
// batch of numbers as a float64 Tensor [B] ("n"); "u" is unbatched. A rule is
// called only when some operand is batched; it emits the batched op into the
// builder, or returns a string: the reason this op cannot be batched, which
// sends the whole vmap back to the row loop (compiler/ad/batch-tensor.ts).
// This file holds the rule combinators; each op's rule is in its entry
// (compiler/ops/tensor.ts, compiler/ops/internal.ts), and the elementwise ops
// share one rule derived from the registry (compiler/ops/index.ts looks them up).
import { type Atom, type Builder, lit } from "../ir/ir.js";
import { ELEMENTWISE_OPS, type ElementwiseName } from "./elementwise.js";

export type Kind = "u" | "b" | "n";
export interface Batched { a: Atom; kind: Kind }
export type BatchRule = (b: Builder, args: Atom[], kinds: Kind[], attrs: unknown[], B: Atom) => Batched | string;

export const tensorOf = (b: Builder, a: Atom) => a.k === "var" && b.fn.vars.get(a.name)?.k === "tensor";
export const isB = (k: Kind) => k !== "u";

/** A dim argument of the per-example op, moved past the batch dim (negative dims count from the end: unchanged). */
export function shift(d: Atom): Atom | string {
  if (d.k !== "lit") return "a dim argument is not a literal";
  return typeof d.v === "number" && d.v >= 0 ? lit(d.v + 1) : d;
}
export const shiftNum = (d: number) => (d >= 0 ? d + 1 : d);

/** Integer arguments (dims, indices) from `from` on must be unbatched. */
export function intsUnbatched(kinds: Kind[], from: number): string | undefined {
  return kinds.slice(from).some(isB) ? "an index or dim argument depends on the batched values" : undefined;
}

/**
 * Broadcasting operands (elementwise ops, where): each batched operand is
 * padded after its batch dim to the others' per-example rank, so
 * right-aligned broadcasting keeps the batch dims together.
 */
export function aligned(b: Builder, args: Atom[], kinds: Kind[], n: number): Atom[] {
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
export function elementwiseRule(op: string, n: number): BatchRule {
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
export const same = (op: string, n = 1): BatchRule => (b, args, kinds, attrs) => intsUnbatched(kinds, n) ?? { a: b.t(op, args, attrs), kind: "b" };

/** sum / mean / prod / amax / amin: dims past the batch dim; all of them when none is given. */
export function reduction(op: string, runtime: string): BatchRule {
  return (b, [x], _k, attrs) => {
    const [dim, keep] = attrs as [number | number[] | undefined | null, boolean];
    if (dim === undefined || dim === null) return { a: b.t("ad.bReduceAll", [x], [runtime, keep]), kind: "b" };
    const d = Array.isArray(dim) ? dim.map(shiftNum) : shiftNum(dim);
    return { a: b.t(op, [x], [d, keep]), kind: "b" };
  };
}

/** An op whose integer arguments at `dims` are dims of the example. */
export function dimArgs(op: string, dims: number[]): BatchRule {
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
export const flagged = (helper: string, n: number, kind: Kind = "b"): BatchRule => (b, args, kinds, attrs) =>
  intsUnbatched(kinds, n) ?? { a: b.t(helper, args, [...attrs, kinds.slice(0, n).map(isB)]), kind };

/** A helper over operands of one shape with a dim argument after them: unbatched operands repeated over the batch, the dim moved past it. */
export function sameShapeDim(op: string, n: number): BatchRule {
  return (b, args, kinds, attrs, B) => {
    const bad = intsUnbatched(kinds, n);
    if (bad) return bad;
    const d = shift(args[n]);
    if (typeof d === "string") return d;
    const xs = args.slice(0, n).map((a, i) => (isB(kinds[i]) ? a : b.t("ad.bBroadcast", [a, B])));
    return { a: b.t(op, [...xs, d, ...args.slice(n + 1)], attrs), kind: "b" };
  };
}

export function join(op: string): BatchRule {
  return (b, args, kinds, [dim], B) => {
    // unbatched pieces are repeated over the batch
    const xs = args.map((a, i) => (isB(kinds[i]) ? a : b.t("ad.bBroadcast", [a, B])));
    return { a: b.t(op, xs, [shiftNum(dim as number)]), kind: "b" };
  };
}

export const fallback = (why: string): BatchRule => () => why;

const COMPARISONS = new Set(["lt", "le", "gt", "ge", "eq", "ne", "and", "or", "not"]);

/** A ternary on a batched condition, or on batched values: merged row by row (runtime/batching.ts bWhere). */
const selectRule: BatchRule = (b, [c, x, y], kinds, _attrs, B) => {
  const nums = [x, y].every((a, i) => kinds[i + 1] === "n" || (kinds[i + 1] === "u" && !tensorOf(b, a)));
  return { a: b.t("ad.bWhere", [c, x, y, B], [kinds.map(isB)]), kind: nums ? "n" : "b" };
};

/**
 * Scalar primitives on batched numbers: comparisons and logic give a batch of 0 / 1 (a condition on
 * batched values, as numbers: the masks' tensor forms are bool tensors), `select` merges row by row,
 * and those with a registry op of the same name and arity run as that op.
 */
export function scalarRule(op: string, arity: number): BatchRule | undefined {
  if (COMPARISONS.has(op)) return (b, args, kinds) => ({ a: b.t("ad.bCmp", args, [op, kinds.map(isB)]), kind: "n" });
  if (op === "select" && arity === 3) return selectRule;
  const e = ELEMENTWISE_OPS[op as ElementwiseName];
  return e && e.arity === arity && !e.params?.length && !e.result ? elementwiseRule(`t.${op}`, arity) : undefined;
}
