// jacrev(vmap(f)) and jacfwd(vmap(f)) at the top level. The rows of a vmap are
// independent: its Jacobian with respect to a batched input is block diagonal
// (example b's Jacobian where both batch indices are b, zeros elsewhere), and
// with respect to an unbatched input it is each example's Jacobian, stacked.
// So it is vmap(jacrev(f)) (batched like any, compiler/ad/jac-batch.ts) laid
// out by runtime/vmap.ts adJacOfRows: B Jacobians of one example each, where
// differentiating vmap's row loop costs a sweep per output element over every
// row (B² examples' work). WebGPU arguments keep that path.
import { type Fn, v } from "../ir/ir.js";
import { buildVmap, type VmapSpec } from "./batch.js";
import { buildJacobian, driverInfo } from "./drivers.js";
import { jacSources } from "./jac-batch.js";
import type { Ctx } from "./jvp.js";
import { wrapperFn } from "./wrapper.js";

/**
 * The Jacobian of vmap(g, spec) with respect to parameter `argnum`, given `slow` (the same
 * Jacobian built over the vmap's row loop, which WebGPU arguments run), or why it keeps that one.
 */
export function jacobianOfVmap(ctx: Ctx, g: string, spec: VmapSpec, argnum: number, mode: "rev" | "fwd", slow: string): { fn: string } | string {
  const f = ctx.fns.get(g)!;
  if (f.results.length !== 1 || f.tupleResult || f.results[0].k !== "tensor") return "the vmapped function does not return one Tensor";
  if (f.params[argnum].type.k !== "tensor") return "the differentiated input is not a Tensor";
  if (f.inTrees || f.outTree !== undefined) return "record or tuple values";
  const od = spec.outDims[0];
  if (od === null || od === undefined) return "the vmap's outDims is null";
  if (spec.randomness && spec.randomness !== "error") return "randomness";
  const label = mode === "fwd" ? "jacfwd" : "jacrev";
  const jac = buildJacobian(ctx, g, { argnums: [argnum], argTuple: false, hasAux: false, mode, label });
  jacSources.set(ctx.fns.get(jac)!, { f: g, argnum, mode });
  const rows = ctx.fns.get(buildVmap(ctx, jac, { ...spec, outDims: [0], topLevel: true }))!;
  const slowFn = ctx.fns.get(slow)!;
  const { fn, b } = wrapperFn(ctx.fnNames.claim(`${label}_vmap_${f.source ?? f.name}`.replace(/[^A-Za-z0-9_$]/g, "_")), slowFn.params, slowFn.results, [slowFn, rows], { loc: f.loc, source: f.source, tupleResult: slowFn.tupleResult });
  b.emit({ k: "comment", text: `${label}(vmap(f)): each example's Jacobian from vmap(${label}(f)), laid out block by block (the row loop's Jacobian for WebGPU arguments)` });
  const args = fn.params.map((p) => v(p.name));
  const out = b.fresh("J", slowFn.results[0]);
  const onDevice = b.let("gpu", { k: "bool" }, { k: "prim", op: "ad.bOnDevice", args });
  const fast = b.sub(() => {
    const per = b.fresh("Jrows", rows.results[0]);
    b.emit({ k: "call", dsts: [per], fn: rows.name, args, loc: f.loc });
    b.assign(out, { k: "prim", op: "ad.jacOfRows", args: [v(per), args[argnum]], attrs: [od, spec.inDims[argnum], `${label}(${spec.label})`] });
  });
  b.emit({ k: "if", cond: onDevice, then: [{ k: "call", dsts: [out], fn: slow, args, loc: f.loc }], else: fast });
  b.emit({ k: "return", values: [v(out)] });
  fn.body = b.stmts;
  ctx.fns.set(fn.name, fn);
  const info = driverInfo.get(slowFn);
  if (info) driverInfo.set(fn, info);
  return { fn: fn.name };
}
