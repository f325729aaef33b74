// vmap(vmap(f)) of tensor code as ONE vmap over the product of the batches.
// Mapping f over every (i, j) pair of two batch dims is mapping it over the
// B₀·B₁ rows of one merged dim, so the nested vmap folds each argument's batch
// dims (one per level) into a leading dim, runs f's batched core once (the
// batching transform of compiler/ad/batch-tensor.ts, with its fallbacks), and
// unfolds each result to the levels' outDims (runtime/vmap.ts). The levels'
// dims keep torch.func's meaning: level l's inDims index the argument as the
// levels outside it leave it, and its outDims place its batch dim in the
// result of one example of those levels.
import { type Stmt, type Type, userName, v } from "../ir/ir.js";
import { buildVmap, type VmapSpec } from "./batch.js";
import type { Ctx } from "./jvp.js";
import { usesTensorOps } from "./batch-tensor.js";
import { wrapperFn } from "./wrapper.js";

/** The levels of a nested vmap, outermost first, over the innermost function `g`. */
export interface VmapLevels {
  g: string;
  levels: VmapSpec[];
}

/**
 * The merged batched function, or the reason the nested vmap keeps its row
 * loops (numbers batched at some level, number results, outDims null,
 * randomness "same").
 */
export function buildNestedVmap(ctx: Ctx, nest: VmapLevels, label: string): string | { reason: string } {
  const g = ctx.fns.get(nest.g)!;
  const { levels } = nest;
  if (ctx.paths?.batch === false) return { reason: "paths.batch is off" };
  if (!usesTensorOps(ctx, g)) return { reason: "a program of numbers, already one generated loop per level" };
  const dimsOf = (i: number) => levels.map((s) => s.inDims[i]);
  const batchedAt = g.params.map((_, i) => dimsOf(i).some((d) => d !== null));
  const bad = g.params.find((p, i) => batchedAt[i] && p.type.k !== "tensor");
  if (bad) return { reason: `'${userName(bad)}' is batched and is not a Tensor` };
  if (g.results.some((t) => t.k !== "tensor")) return { reason: "a result is not a Tensor" };
  if (levels.some((s) => s.outDims.some((d) => d === null || d === undefined))) return { reason: "an outDims is null" };
  if (levels.some((s) => s.randomness === "same" || s.randomness === "runtime")) return { reason: 'randomness "same" differs between the levels' };

  const chunks = levels.map((s) => s.chunkSize).filter((c): c is number => c !== undefined);
  const flat: VmapSpec = {
    inDims: batchedAt.map((b) => (b ? 0 : null)),
    outDims: g.results.map(() => 0),
    label,
    topLevel: true,
    chunkSize: chunks.length ? Math.min(...chunks) : undefined,
    randomness: levels[0].randomness,
  };
  const core = ctx.fns.get(buildVmap(ctx, nest.g, flat))!;

  const { fn, b } = wrapperFn(ctx.fnNames.claim(`${core.name}_nested`), g.params, [...core.results], [core], { loc: g.loc, source: g.source, tupleResult: core.tupleResult });
  b.emit({ k: "comment", text: `vmap path: ${levels.length} nested vmaps as one over the product of their batches (${levels.map((_, l) => `B${l}`).join("·")} rows)` });
  const batched = fn.params.filter((_, i) => batchedAt[i]);
  const perArg = g.params.flatMap((_, i) => (batchedAt[i] ? [dimsOf(i)] : []));
  const sizes = b.let("sizes", { k: "opaque" }, { k: "prim", op: "ad.batchSizes", args: batched.map((p) => v(p.name)), attrs: [label, batched.map(userName), perArg] });
  const args = fn.params.map((p, i) => (batchedAt[i] ? b.let(`${p.name}_rows`, p.type, { k: "prim", op: "ad.foldBatch", args: [v(p.name), sizes], attrs: [dimsOf(i)] }) : v(p.name)));
  const dsts = core.results.map((t: Type, i) => b.fresh(`r${i}`, t));
  b.emit({ k: "call", dsts, fn: core.name, args, loc: g.loc } as Stmt);
  const outs = dsts.map((d, i) => b.let(`out${i}`, core.results[i], { k: "prim", op: "ad.unfoldBatch", args: [v(d), sizes], attrs: [levels.map((s) => s.outDims[i] as number)] }));
  b.emit({ k: "return", values: outs });
  fn.body = b.stmts;
  ctx.fns.set(fn.name, fn);
  return fn.name;
}
