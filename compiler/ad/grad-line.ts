// vmap(grad(f)) of tensor code: the gradient as one straight-line function
// (forward sweep, seed, reverse sweep; no per-output-element loop and no
// structured twin), which the batching transform can then run once over the
// batch (compiler/ad/batch-tensor.ts). grad's own driver stays what every
// other caller of grad(f) gets.
import { Builder, type Fn, lit, namesFor, NUM, TENSOR, v } from "../ir/ir.js";
import { outputsOf } from "./drivers.js";
import type { Ctx } from "./jvp.js";
import { usesTape, vjpParts } from "./vjp.js";

/** What built a grad marker's function: its source function and argnums (only grads without aux). */
export interface GradSource { f: string; argnums: number[] }
export const gradSources = new WeakMap<Fn, GradSource>();

/** What built a hessian marker's function: its source, the one differentiated argnum and the inner gradient's function. */
export interface HessSource { f: string; argnum: number; grad: string }
export const hessSources = new WeakMap<Fn, HessSource>();

/**
 * vmap(hessian(f)) as vmap(jacfwd(g)) with g the straight-line gradient of f:
 * the Hessians then come from one batched jvp over B·n rows, as vmap(jacfwd)'s
 * do (compiler/ad/jac-batch.ts). Undefined where f's shape has no straight-line gradient.
 */
export function hessianAsJacobian(ctx: Ctx, src: HessSource): { f: string; argnum: number } | undefined {
  const f = ctx.fns.get(src.f)!;
  // a number output only: the seed 1 is the whole cotangent (a Tensor output's shape is known at run time alone,
  // and a Hessian of a non-scalar output is a Jacobian per output entry); no reverse sweep inside (reverse over reverse)
  if (f.results.length !== 1 || f.results[0].k !== "num" || usesTape(ctx.fns, src.f)) return undefined;
  const grad = ctx.fns.get(src.grad)!;
  const line = gradLine(ctx, grad, { f: src.f, argnums: [src.argnum] });
  if (!line) return undefined;
  line.name = ctx.fnNames.claim(`${grad.name}_line`);
  ctx.fns.set(line.name, line);
  return { f: line.name, argnum: src.argnum };
}

/** The straight-line gradient of `src.f` with grad's results, or undefined when f's shape does not allow it. */
export function gradLine(ctx: Ctx, grad: Fn, src: GradSource): Fn | undefined {
  const f = ctx.fns.get(src.f)!;
  if (f.params.some((p) => p.type.k === "vec")) return undefined;
  const outs = outputsOf(f, false);
  if (outs.leaves.length !== 1) return undefined;
  const leaf = outs.leaves[0];
  const names = namesFor(f);
  const fn: Fn = { name: grad.name, params: [...f.params], results: [], tupleResult: grad.tupleResult, body: [], vars: new Map(f.vars), loc: f.loc, source: f.source, captures: [...f.captures] };
  const parts = vjpParts(ctx, f, f.params.map((_, i) => src.argnums.includes(i)), fn, names);
  const b = new Builder(fn, names, f.loc);
  b.stmts.push(...parts.fwd);
  for (const n of parts.numBars) b.assign(n, { k: "atom", a: lit(0) });
  for (const n of parts.vecBars) b.assign(n, { k: "atom", a: lit(undefined) });
  const bar = parts.resultBars[leaf];
  if (!bar) return undefined;
  // the seed: d out / d out = 1 (ones in the output's shape for a Tensor output)
  if (f.results[leaf].k === "num") b.assign(bar, { k: "prim", op: "add", args: [v(bar), lit(1)] });
  else b.assign(bar, { k: "prim", op: "ad.acc", args: [v(bar), b.t("ad.expandAs", [lit(1), parts.results[leaf]])] });
  b.stmts.push(...parts.rev);
  const values = src.argnums.map((j) => {
    const pb = parts.paramBars[j];
    if (!pb) return undefined;
    if (f.params[j].type.k === "tensor") {
      const then = b.sub(() => b.assign(pb, { k: "prim", op: "ad.zerosLike", args: [v(f.params[j].name)] }));
      b.emit({ k: "if", cond: b.p("isundef", v(pb)), then, else: [] });
    }
    return v(pb);
  });
  if (values.some((x) => !x) || values.length !== grad.results.length) return undefined;
  fn.results = src.argnums.map((j) => (f.params[j].type.k === "num" ? NUM : TENSOR));
  if (fn.results.some((t, i) => t.k !== grad.results[i].k)) return undefined;
  b.emit({ k: "return", values: values as ReturnType<typeof v>[] });
  fn.body = b.stmts;
  return fn;
}
