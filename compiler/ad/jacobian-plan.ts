// The Jacobian plan: per marker, at compile time, which strategy computes a
// tensor Jacobian, and why. It is decided from the structure classes of the
// ops a tangent meets (compiler/ops/structure.ts) and CompileOptions.paths,
// never from the environment:
//
//   direct      one input, one output, an elementwise chain (or its sum) or
//               g(W @ x): one generated loop writes the Jacobian (ad/direct.ts)
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
import type { Fn } from "../ir/ir.js";
import { structureOf as opStructure } from "../ops/index.js";
import type { Ctx } from "./jvp.js";
import { buildStructuredTwin, directKernelOf, structuredTangents, type TwinSpec } from "./structured.js";

export type Strategy = "direct" | "structured" | "sweeps";

export interface JacobianPlan {
  strategy: Strategy;
  /** the sweeps' direction (the structured path and direct kernels run forward over the identity basis) */
  sweeps: "reverse" | "forward";
  /** whether the module's elementwise chains are fused (CompileOptions.paths.fuse) */
  fuse: boolean;
  /** why this strategy, in one line */
  reason: string;
  /** what runs instead for inputs the strategy cannot take, known only at run time */
  fallback?: string;
}

/** The plan of each Jacobian driver (for `jacc explain` and the tests). */
export const planOf = new WeakMap<Fn, JacobianPlan>();

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
 * the plan, and builds what it chose (the structured twin, with the direct kernel first).
 */
export function planJacobian(ctx: Ctx, fName: string, spec: TwinSpec & { sweepMode: "rev" | "fwd" }): JacobianPlan {
  const fuse = ctx.paths?.fuse !== false;
  const base = { sweeps: spec.sweepMode === "rev" ? "reverse" : "forward", fuse } as const;
  const done = (p: JacobianPlan): JacobianPlan => (planOf.set(spec.driver, p), p);
  if (ctx.paths?.structured === false) return done({ ...base, strategy: "sweeps", reason: "CompileOptions.paths { structured: false }" });
  const t = structuredTangents(ctx, fName, spec);
  if ("why" in t) return done({ ...base, strategy: "sweeps", reason: t.why });
  const classes = `straight-line tensor code; tangent ops: ${classesOf(t.ops)}`;
  const devices = spec.sweepOnGpu ? "inputs not all on the CPU (WebGPU: grad's one reverse sweep): the sweeps" : "inputs on mixed devices: the sweeps";
  const single = spec.ins.length === 1 && spec.leaves.length === 1 && ctx.fns.get(fName)!.results.length === 1 && spec.aux === undefined;
  let notDirect: string;
  if (ctx.paths?.direct === false) notDirect = "CompileOptions.paths { direct: false }";
  else if (!single) notDirect = "more than one input or output";
  else {
    const direct = directKernelOf(ctx, fName, spec, t);
    if (direct) {
      buildStructuredTwin(ctx, fName, spec, t, direct);
      const shape = direct.mode === "rows" ? "g(W @ x)" : "an elementwise chain (or its sum)";
      return done({ ...base, strategy: "direct", reason: `one input, one output, ${shape}; ${classes}: one generated loop (${direct.name})`, fallback: `other devices, dtypes or shapes: the structured path; ${devices}` });
    }
    notDirect = "not an elementwise chain (or its sum) nor g(W @ x)";
  }
  buildStructuredTwin(ctx, fName, spec, t, undefined);
  return done({ ...base, strategy: "structured", reason: `${classes} (no direct kernel: ${notDirect})`, fallback: devices });
}

/** The plan as `jacc explain` prints it (one line, then its fallback). */
export function planText(p: JacobianPlan): string[] {
  const head = `plan: ${p.strategy}${p.strategy === "sweeps" ? ` (${p.sweeps})` : ""}, fusion ${p.fuse ? "on" : "off"}: ${p.reason}`;
  return p.fallback ? [head, `  at run time: ${p.fallback}`] : [head];
}
