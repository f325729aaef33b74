// What a vmapped scalar kernel is asked for and what it gives: the contract
// between the build-time analysis (compiler/opt/kernel-bounds.ts), the WGSL
// emitter (compiler/emit/wgsl/scalar-kernel.ts, whose header describes the
// buffers) and their callers, and the error either gives for a program a
// kernel cannot express.
import type { Loc } from "./ir.js";

export interface ScalarKernelOptions {
  /** lengths of vector parameters of the entry: by parameter index, or by parameter name (the user's, or the IR's) */
  lengths?: (number | undefined)[] | Record<string, number>;
  /** which parameters of the entry are batched in the default layout (default: all) */
  batched?: boolean[];
  /**
   * Captured values the functions read (module constants, enclosing locals), by
   * their source text: a number or number[] is baked into the shader; `{ length }`
   * makes a vector an unbatched run-time input; a number not listed here is an
   * unbatched run-time input (a vector not listed is an error: its length is unknown).
   */
  externals?: Record<string, number | number[] | { length: number }>;
  /** bind the layout as read-only storage instead of a uniform (the runtime's executor binds parameters as storage) */
  layoutStorage?: boolean;
  /** one read-only binding per input instead of one packed input array (see the header) */
  separateInputs?: boolean;
  /** invocations per workgroup (default 64) */
  workgroupSize?: number;
  /** the compute entry point's name (default "main") */
  entryPoint?: string;
  /**
   * Tape capacity when the build-time analysis cannot bound it (pushes inside a
   * loop whose trip count depends on the data). A row that would overflow it
   * writes NaN to all its outputs. Without it such a program is an error.
   */
  tapeCapacity?: number;
  /**
   * Iterations after which a loop the build-time analysis could not bound gives
   * up (default 2^20): float32 may never meet a float64 stopping test, and a GPU
   * must not spin forever. A row that hits it writes NaN to all its outputs.
   */
  loopLimit?: number;
}

export interface KernelInput {
  /** the IR parameter's name, or the captured value's source text */
  name: string;
  source: "param" | "external";
  /** index of the entry's parameter (source "param") */
  param?: number;
  /** number of f32 per row (1 for a number) */
  length: number;
  vector: boolean;
  /** batched in the default layout (a parameter unless options.batched says otherwise; externals never) */
  batched: boolean;
  /** the field of JaccLayout holding (offset, row stride, element stride, 0) */
  field: string;
}

export interface KernelOutput {
  /** index of the entry's result */
  result: number;
  kind: "num" | "bool" | "vec" | "tensor";
  /** the result's shape ([] for a number, [n] for a vector, out.shape ++ in.shape for a Jacobian block) */
  shape: number[];
  /** first column of the result in an output row */
  offset: number;
  /** number of columns (the product of shape) */
  size: number;
}

export interface ScalarKernelSignature {
  /** the IR entry function */
  entry: string;
  entryPoint: string;
  workgroupSize: number;
  inputs: KernelInput[];
  outputs: KernelOutput[];
  /** k: f32 per output row (the sum of the outputs' sizes) */
  rowWidth: number;
  /** bytes of the uniform JaccLayout: 16 + 16 per input */
  uniformBytes: number;
  /** binding numbers: the layout, the input array (or one per input: options.separateInputs), the output array */
  bindings: { layout: 0; inputs: number | number[]; outputs: number };
  /** numbers the tape holds per invocation (0: no tape) */
  tapeCapacity: number;
}

export interface ScalarKernel {
  code: string;
  signature: ScalarKernelSignature;
}

/** A program the scalar kernel cannot express; names the construct and where it is. */
export class WgslKernelError extends Error {
  constructor(readonly construct: string, message: string, readonly loc?: Loc) {
    super(`WGSL kernel: ${message}${loc ? ` (${shortName(loc.file)}:${loc.line})` : ""}`);
    this.name = "WgslKernelError";
  }
}

export const shortName = (f: string) => f.split(/[\\/]/).pop() ?? f;
