// The Jacobian plan as data: what the AD transforms decided for a Jacobian
// driver (compiler/ad/jacobian-plan.ts) and what fusion made of it
// (compiler/opt/fuse-jacobian.ts). It travels on the driver (`Fn.plan`) through
// the passes, so `jacc explain` prints what is emitted.

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
  /** the element-level structure of each block [output][input], when the structured path computes it */
  structure?: string[][];
}

/**
 * A structured Jacobian driver of one block (one input, one output, no aux):
 * the Jacobian fusion pass may write it as one loop (a direct kernel).
 */
export interface OneBlock {
  /** the structured tangent program (parameters: f's, then the seed; results: f's one result, then its tangent) */
  tangents: string;
  /** the differentiated parameter's index among f's */
  x: number;
  nParams: number;
  /** the marker, "jacrev(f)", for the RangeError of a block too big to allocate */
  label: string;
  /** the kernel's name, claimed when the driver was built */
  kernel: string;
}

/** The plan as `jacc explain` prints it (one line, then its fallback). */
export function planText(p: JacobianPlan): string[] {
  const head = `plan: ${p.strategy}${p.strategy === "sweeps" ? ` (${p.sweeps})` : ""}, fusion ${p.fuse ? "on" : "off"}: ${p.reason}`;
  return p.fallback ? [head, `  at run time: ${p.fallback}`] : [head];
}
