// vmap of tensor code that computes with scalars: the number-program twin
// (compiler/ad/scalarize.ts) batched by vmap's generated row loop, under a
// run-time guard, beside the batched tensor code it stands in for. For
// vmap(jacrev(f)) / vmap(jacfwd(f)) the twin's own Jacobian (a number
// program's sweeps) is batched. The two give the same numbers: the twin runs
// the same IEEE operations in the same order on each example (float32 inputs:
// the float32 twin, rounded as the tensor code rounds; its Jacobians are
// float64 sweeps from those values, within float32 rounding of the tensor path's).
import { type Atom, type Fn, type Stmt, v } from "../ir/ir.js";
import { buildJacobian } from "./drivers.js";
import type { JacSource } from "./jac-batch.js";
import type { Ctx } from "./jvp.js";
import { type ScalarTwin, scalarTwin } from "./scalarize.js";
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
  // the twin's row loop (its Jacobian's, for vmap(jacrev / jacfwd)); float32 inputs have their own twin
  const rowsOf = (t: ScalarTwin): Fn => {
    const target = jac ? buildJacobian(ctx, t.fn, { argnums: [jac.argnum], argTuple: false, hasAux: false, mode: jac.mode ?? "rev", label: jac.mode === "fwd" ? "jacfwd" : "jacrev" }) : t.fn;
    // (the guard checks every row has minLen entries: those reads need no bounds check)
    return ctx.fns.get(buildVmap(ctx, target, { ...spec, topLevel: true, chunkSize: undefined, minLen: t.minLen }))!;
  };
  const rows = rowsOf(twin);
  const twin32 = scalarTwin(ctx, g, true);
  const rows32 = typeof twin32 === "string" ? undefined : rowsOf(twin32);
  // (built only once the twin exists: a vmap without one builds no fallback here)
  const tensorCore = fallback();
  const alike = (r: Fn) => r.results.length === tensorCore.results.length && r.results.every((t, i) => t.k === tensorCore.results[i].k);
  if (!alike(rows)) return undefined;

  const { fn, b } = wrapperFn(name, tensorCore.params, tensorCore.results, [tensorCore, rows, ...(rows32 ? [rows32] : [])], { loc: f.loc, source: f.source, tupleResult: tensorCore.tupleResult });
  b.emit({ k: "comment", text: "vmap path: scalar rows where the inputs allow (the Tensor code computes with scalars: its program of numbers, one generated loop), else the batched tensor code" });
  const tensors = g.params.flatMap((p, i) => (p.type.k === "tensor" ? [i] : []));
  const dsts = tensorCore.results.map((t, i) => b.fresh(`r${i}`, t));
  // the guard and the call of one twin's rows
  const guarded = (t: ScalarTwin, r: Fn, dtype: "float64" | "float32"): { cond: Atom; then: Stmt[] } => {
    const cond = b.let("scalars", { k: "bool" }, { k: "prim", op: "ad.bScalarRows", args: tensors.map((i) => v(fn.params[i].name)), attrs: [tensors.map((i) => spec.inDims[i]), tensors.map((i) => Math.max(0, t.minLen[i])), ...(dtype === "float32" ? [dtype] : [])] });
    const then = b.sub(() => {
      // an unbatched tensor input is read by the twin as its storage (a CPU tensor of the twin's dtype, by the guard)
      const args: Atom[] = fn.params.map((p, i) => (g.params[i].type.k === "tensor" && spec.inDims[i] === null ? b.let(`${p.name}_data`, { k: "vec", f32: dtype === "float32" }, { k: "tdata", t: v(p.name) }) : v(p.name)));
      b.emit({ k: "call", dsts, fn: r.name, args, loc: f.loc } as Stmt);
    });
    return { cond, then };
  };
  const tensorCall: Stmt[] = [{ k: "call", dsts, fn: tensorCore.name, args: fn.params.map((p) => v(p.name)), loc: f.loc }];
  const f64 = guarded(twin, rows, "float64");
  let els = tensorCall;
  if (rows32 && typeof twin32 !== "string" && alike(rows32)) {
    const f32 = b.sub(() => {
      const g32 = guarded(twin32, rows32, "float32");
      b.emit({ k: "if", cond: g32.cond, then: g32.then, else: tensorCall });
    });
    els = f32;
  }
  b.emit({ k: "if", cond: f64.cond, then: f64.then, else: els });
  b.emit({ k: "return", values: dsts.map(v) });
  fn.body = b.stmts;
  return fn;
}
