// The Jacobian plan: per marker, at compile time, which strategy computes a
// tensor Jacobian, and why. It is decided from the structure classes of the
// ops a tangent meets (compiler/ops/structure.ts) and CompileOptions.paths,
// never from the environment:
//
//   direct      one input, one output, an elementwise chain (or its sum) or
//               g(W @ x): the structured path, fused into one generated loop
//               that writes the Jacobian (compiler/opt/fuse-jacobian.ts)
//   structured  straight-line tensor code: the tangent program runs once with
//               all basis columns at once, kept diagonal / sparse / dense
//               (ad/structured.ts, runtime/jac.ts, runtime/webgpu/jac.ts)
//   sweeps      anything else: one reverse sweep per output element, or one
//               forward sweep per input element (ad/drivers.ts)
//
// What the compiler cannot know is checked when the code runs, and falls back
// one step: a direct kernel returns nothing for other devices, dtypes or
// shapes (the structured path runs), the structured path takes inputs all on
// the CPU or all on WebGPU (otherwise the sweeps run). `jacc explain` prints
// the plan (MarkerReport.plan).
import type { JacobianPlan } from "../ir/plan.js";
import { structureOf as opStructure } from "../ops/index.js";
import type { Ctx } from "./jvp.js";
import { buildStructuredTwin, structuredTangents, type TwinSpec } from "./structured.js";

export type { JacobianPlan, Strategy } from "../ir/plan.js";

/** `ops`' structure classes with counts, in first-seen order: "diagonal ×3, reduce ×1, columns (t.outer)". */
function classesOf(ops: string[]): string {
  const counts = new Map<string, number>();
  const columns = new Set<string>();
  for (const op of ops) {
    const o = opStructure(op);
    if (!o || o.sj === "sjColumns") columns.add(op.replace(/^tz\./, "t."));
    else counts.set(o.structure, (counts.get(o.structure) ?? 0) + 1);
  }
  const parts = [...counts].map(([c, n]) => `${c} ×${n}`);
  if (columns.size) parts.push(`column by column: ${[...columns].join(", ")}`);
  return parts.join(", ") || "none";
}

/**
 * Plans the Jacobian of `fName` for the driver `spec.driver` (whose body is the sweeps), records
 * the plan on the driver, and builds what it chose (the structured twin). A twin of one block is
 * marked for the Jacobian fusion pass (compiler/opt/fuse-jacobian.ts), which writes it as one
 * loop (a direct kernel) where it can and says so in the plan.
 */
export function planJacobian(ctx: Ctx, fName: string, spec: TwinSpec & { sweepMode: "rev" | "fwd" }): JacobianPlan {
  const fuse = ctx.paths?.fuse !== false;
  const base = { sweeps: spec.sweepMode === "rev" ? "reverse" : "forward", fuse } as const;
  const done = (p: JacobianPlan): JacobianPlan => (spec.driver.plan = p);
  if (ctx.paths?.structured === false) return done({ ...base, strategy: "sweeps", reason: "CompileOptions.paths { structured: false }" });
  const t = structuredTangents(ctx, fName, spec);
  if ("why" in t) return done({ ...base, strategy: "sweeps", reason: t.why });
  const classes = `straight-line tensor code; tangent ops: ${classesOf(t.ops)}`;
  const devices = spec.sweepOnGpu ? "inputs not all on the CPU (WebGPU: grad's one reverse sweep): the sweeps" : "inputs on mixed devices: the sweeps";
  const single = spec.ins.length === 1 && spec.leaves.length === 1 && ctx.fns.get(fName)!.results.length === 1 && spec.aux === undefined;
  const notDirect = ctx.paths?.direct === false ? "CompileOptions.paths { direct: false }" : !fuse ? "CompileOptions.paths { fuse: false }" : !single ? "more than one input or output" : undefined;
  const structure = buildStructuredTwin(ctx, fName, spec, t, notDirect === undefined);
  return done({ ...base, strategy: "structured", reason: notDirect ? `${classes} (no direct kernel: ${notDirect})` : classes, fallback: devices, structure });
}
