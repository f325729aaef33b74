// vmap of tensor code that computes with scalars: the number-program twin
// (compiler/ad/scalarize.ts) batched by vmap's generated row loop, under a
// run-time guard, beside the batched tensor code it stands in for. For
// vmap(jacrev(f)) / vmap(jacfwd(f)) the twin's own Jacobian (a number
// program's sweeps) is batched. The two give the same numbers: the twin runs
// the same IEEE operations in the same order on each example.
import { type Atom, type Fn, type Stmt, v } from "../ir/ir.js";
import { buildJacobian } from "./drivers.js";
import type { JacSource } from "./jac-batch.js";
import type { Ctx } from "./jvp.js";
import { scalarTwin } from "./scalarize.js";
import { wrapperFn } from "./wrapper.js";
import type { VmapSpec } from "./batch.js";

/**
 * The batched core that runs the twin's row loop where the arguments allow
 * and `fallback`'s core elsewhere, or undefined where f has no twin (`buildVmap` batches the twin: ad/batch.ts's, passed in).
 */
export function withScalarRows(ctx: Ctx, f: Fn, jac: JacSource | undefined, spec: VmapSpec, fallback: () => Fn, name: string, buildVmap: (ctx: Ctx, fName: string, spec: VmapSpec) => string): Fn | undefined {
  if (ctx.paths?.batch === false || spec.randomness === "same") return undefined;
  const g = jac ? ctx.fns.get(jac.f)! : f;
  const twin = scalarTwin(ctx, g);
  if (typeof twin === "string") return undefined;
  // only tensor inputs are guarded; f's other parameters pass as they are
  if (g.params.some((p, i) => p.type.k !== "tensor" && p.type.k !== "num" && spec.inDims[i] !== null)) return undefined;
  const target = jac ? buildJacobian(ctx, twin.fn, { argnums: [jac.argnum], argTuple: false, hasAux: false, mode: jac.mode ?? "rev", label: jac.mode === "fwd" ? "jacfwd" : "jacrev" }) : twin.fn;
  const rows = ctx.fns.get(buildVmap(ctx, target, { ...spec, topLevel: true, chunkSize: undefined }))!;
  // (built only once the twin exists: a vmap without one builds no fallback here)
  const tensorCore = fallback();
  if (rows.results.length !== tensorCore.results.length || rows.results.some((t, i) => t.k !== tensorCore.results[i].k)) return undefined;

  const { fn, b } = wrapperFn(name, tensorCore.params, tensorCore.results, [tensorCore, rows], { loc: f.loc, source: f.source, tupleResult: tensorCore.tupleResult });
  b.emit({ k: "comment", text: "vmap path: scalar rows where the inputs allow (the Tensor code computes with scalars: its program of numbers, one generated loop), else the batched tensor code" });
  const tensors = g.params.flatMap((p, i) => (p.type.k === "tensor" ? [i] : []));
  const ok = b.let("scalars", { k: "bool" }, { k: "prim", op: "ad.bScalarRows", args: tensors.map((i) => v(fn.params[i].name)), attrs: [tensors.map((i) => spec.inDims[i]), tensors.map((i) => Math.max(0, twin.minLen[i]))] });
  const dsts = tensorCore.results.map((t, i) => b.fresh(`r${i}`, t));
  const then = b.sub(() => {
    // an unbatched tensor input is read by the twin as its storage (a float64 CPU tensor, by the guard)
    const args: Atom[] = fn.params.map((p, i) => (g.params[i].type.k === "tensor" && spec.inDims[i] === null ? b.let(`${p.name}_data`, { k: "vec" }, { k: "tdata", t: v(p.name) }) : v(p.name)));
    b.emit({ k: "call", dsts, fn: rows.name, args, loc: f.loc } as Stmt);
  });
  const els: Stmt[] = [{ k: "call", dsts, fn: tensorCore.name, args: fn.params.map((p) => v(p.name)), loc: f.loc }];
  b.emit({ k: "if", cond: ok, then, else: els });
  b.emit({ k: "return", values: dsts.map(v) });
  fn.body = b.stmts;
  return fn;
}
