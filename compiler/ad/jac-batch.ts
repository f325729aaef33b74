// vmap(jacrev(f)) and vmap(jacfwd(f)) of tensor code: jacrev of tensor code is
// a per-output-element sweep (or a structured twin), which the batching
// transform cannot follow. Instead each example's Jacobian comes from one
// batched jvp over B·n rows (torch.func's jacfwd = vmap(jvp) over the basis,
// flattened with vmap's own batch into one batch dim): row b·n + k carries
// example b and basis direction e_k of the differentiated input (n = its
// element count). The forward values are recomputed per direction (n× the
// primal), which is cheap for the small inputs per-sample Jacobians have.
import { type Atom, Builder, type Fn, Names, TENSOR, type Type, userName, v } from "../ir/ir.js";
import { chooseFn } from "./wrapper.js";
import { batchTensorFn } from "./batch-tensor.js";
import { jvpOf, type Ctx } from "./jvp.js";
import type { VmapSpec } from "./batch.js";

/** What built a jacrev / jacfwd marker's function (single argnum, no aux). */
export interface JacSource { f: string; argnum: number; mode?: "rev" | "fwd" }
export const jacSources = new WeakMap<Fn, JacSource>();

/** The batched core of vmap(jac(f)), or the reason it keeps the row loop. */
export function batchJacobian(ctx: Ctx, jac: Fn, src: JacSource, spec: VmapSpec, name: string): Fn | string {
  const f = ctx.fns.get(src.f)!;
  const a = src.argnum;
  if (f.results.length !== 1 || f.tupleResult || f.results[0].k !== "tensor") return "the Jacobian of a function that does not return one Tensor";
  if (f.params[a].type.k !== "tensor" || spec.inDims[a] === null) return "the differentiated input is not a batched Tensor";
  if (f.params.some((p, i) => p.type.k !== "tensor" && spec.inDims[i] !== null)) return "a batched argument is not a Tensor";
  if (jac.results.length !== 1 || spec.outDims[0] === null) return "the Jacobian's outDims is null";
  // the jvp's tangent output, as a function of f's parameters and the tangent of input a
  const jvp = ctx.fns.get(jvpOf(ctx, src.f, f.params.map((_, i) => i === a)))!;
  if (jvp.params.length !== f.params.length + 1) return "an unexpected jvp signature";
  const tanOnly: Fn = { ...jvp, name: `${jvp.name}_tangent`, results: [TENSOR], tupleResult: false, vars: new Map(jvp.vars), captures: [...jvp.captures] };
  const names = new Names([...jvp.vars.keys(), ...jvp.captures]);
  const [o, d] = [names.claim("out"), names.claim("dout")];
  tanOnly.vars.set(o, TENSOR).set(d, TENSOR);
  tanOnly.body = [{ k: "call", dsts: [o, d], fn: jvp.name, args: jvp.params.map((p) => v(p.name)), loc: f.loc }, { k: "return", values: [v(d)] }];
  const rowsName = ctx.fnNames.claim(`${name}_rows`);
  const rowsSpec: VmapSpec = { inDims: [...f.params.map((_, i) => (spec.inDims[i] === null ? null : 0)), 0], outDims: [0], label: spec.label, topLevel: true };
  const rows = batchTensorFn(ctx, tanOnly, rowsSpec, rowsName);
  if (typeof rows === "string") return rows;
  rows.body.unshift({ k: "comment", text: "vmap path: batched jvp over B·n rows (example, basis direction)" });
  ctx.fns.set(rowsName, rows);

  // the core: batch-first arguments, each row repeated n times, the basis, one call, the Jacobians
  const fn: Fn = { name, params: [], results: [TENSOR], tupleResult: jac.tupleResult, body: [], vars: new Map(), loc: f.loc, source: f.source, captures: [...f.captures] };
  for (const c of f.captures) fn.vars.set(c, f.vars.get(c) ?? { k: "opaque" });
  const b = new Builder(fn, new Names([...f.captures]), f.loc);
  f.params.forEach((p) => {
    const n = b.names.claim(p.name);
    const t: Type = p.type;
    fn.params.push({ name: n, type: t, source: p.source });
    fn.vars.set(n, t);
  });
  const batched = fn.params.filter((_, i) => spec.inDims[i] !== null);
  b.emit({ k: "effect", op: "ad.checkBatch", args: batched.map((p) => v(p.name)), attrs: [spec.label, batched.map(userName), spec.inDims.filter((x) => x !== null)] });
  const first = fn.params.map((p, i) => {
    const dim = spec.inDims[i];
    return dim === null || dim === 0 ? v(p.name) : b.t("ad.moveDim", [v(p.name)], [dim, 0]);
  });
  const like = first[a];
  const args: Atom[] = first.map((x, i) => (spec.inDims[i] === null ? x : b.t("ad.bRepeatRows", [x, like])));
  args.push(b.t("ad.bBasis", [like]));
  const dout = b.fresh("dout", TENSOR);
  b.emit({ k: "call", dsts: [dout], fn: rowsName, args, loc: f.loc });
  const J = b.t("ad.bJacRows", [v(dout), like]);
  const od = spec.outDims[0]!;
  b.emit({ k: "return", values: [od === 0 ? J : b.t("ad.moveDim", [J], [0, od])] });
  fn.body = b.stmts;
  return fn;
}

/**
 * The most entries per example of the differentiated input for which vmap(jac(f)) runs the batched
 * jvp over B·n rows: it recomputes the forward once per entry, so a wide example is cheaper in the row
 * loop's per-example Jacobian (measured, .tmp/mlp/cross.mjs: at n = 8 the two are within 2× either
 * way; at n = 64 the row loop is 4–12× faster, a 64→128→10 MLP 28 ms against 241 ms at B = 256).
 */
export const JAC_BATCH_MAX = 8;

/** The core of vmap(jac(f)): the batched jvp for examples of at most JAC_BATCH_MAX entries, else `rows`. */
export function bySize(ctx: Ctx, f: Fn, batched: Fn, rows: Fn, argnum: number, inDim: number | null, name: string): Fn {
  const fn = chooseFn(name, batched, rows, { op: "ad.bExampleAtMost", arg: argnum, attrs: [inDim, JAC_BATCH_MAX], name: "small" }, { loc: f.loc, source: f.source });
  fn.body.unshift({ k: "comment", text: `vmap path: the batched jvp for examples of at most ${JAC_BATCH_MAX} entries (it recomputes the forward once per entry), the row loop for wider ones` });
  return fn;
}
