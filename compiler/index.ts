// compileModule: the front door every integration calls, in four steps:
//   collect  the module's outermost marker calls (compiler/module/collect.ts)
//   build    the IR functions each marker stands for (compiler/front/markers.ts,
//            then the AD transforms)
//   glue     each marker call replaced in place by the code that calls them
//            (compiler/module/glue.ts; magic-string keeps the rest of the text,
//            and the source map, intact)
//   emit     the passes, then the generated code after the user's
//            (compiler/module/emit.ts)
// A module without markers is returned unchanged, byte for byte.
import type MagicString from "magic-string";
import { type Diagnostic, DiagnosticError, diagnosticAt, makeDiagnostic, uniqueDiagnostics } from "./front/diagnostics.js";
import { UnsupportedDerivative } from "./ops/unsupported.js";
import type { JacobianPlan } from "./ir/plan.js";
import type { CompilePaths } from "./ad/jvp.js";
import { collect } from "./module/collect.js";
import { Glue, glueMarker } from "./module/glue.js";
import { emitModule } from "./module/emit.js";
import { explainMarker } from "./module/explain.js";

export type { Diagnostic } from "./front/diagnostics.js";
export { formatDiagnostic, formatDiagnosticInColor } from "./front/diagnostics.js";
/** For tools that read a module's functions as the compiler does (`jacc emit --with-checks`): its parse, and whether a type is a tuple (aliases followed). */
export { parseModule, type SourceModule } from "./front/module.js";
export { tupleType } from "./front/types.js";
/** Every WGSL kernel of the tensor runtime (name → text), for ops called outside compiled modules: `gpuKernels(allKernels())`. */
export { allKernels } from "./emit/wgsl/index.js";

export interface CompileOptions {
  /** "ts" keeps TypeScript (types included); "js" strips types (default "js"). */
  target?: "ts" | "js";
  /** Collect the IR and generated functions per marker (for `jacc explain`). */
  explain?: boolean;
  /** The strategy of `jacobian` markers that do not set one (default "reverse-mode"). */
  strategy?: "reverse-mode" | "forward-mode";
  /** Code paths to leave out, to compare them (tests, benchmarks): `{ fuse: false }`, `{ structured: false }`, `{ direct: false }`. */
  paths?: CompilePaths;
  /** Check the IR after every pass (compiler/ir/check.ts); a violation throws naming the pass (the tests set it). */
  checkIR?: boolean;
}

export type { CompilePaths };
export type { JacobianPlan, Strategy } from "./ir/plan.js";

export interface MarkerReport {
  marker: string;
  line: number;
  functionName: string;
  generated: string; // the generated source of this marker's functions
  ir: string; // the IR of the driver
  sparsity: { outputs: string[]; inputs: string[]; pattern: boolean[][] };
  /** the element-level structure of each tensor block [output][input], when the structured path computes it */
  structure?: string[][];
  /** the Jacobian plan (compiler/ad/jacobian-plan.ts): which strategy runs and why; undefined for markers that build no Jacobian driver */
  plan?: JacobianPlan;
  /** number programs: the sweeps each mode makes for this shape, the Hessian's path (compiler/ad/mode-advice.ts) */
  modes?: string[];
}

export interface CompileResult {
  code: string;
  map: ReturnType<MagicString["generateMap"]> | null;
  diagnostics: Diagnostic[];
  shaders: Record<string, string>;
  /** false when the module had no marker and `code` is the input itself */
  changed: boolean;
  markers?: MarkerReport[];
}

export function compileModule(source: string, fileName: string, options: CompileOptions = {}): CompileResult {
  const unchanged: CompileResult = { code: source, map: null, diagnostics: [], shaders: {}, changed: false };
  const c = collect(source, fileName, options);
  if (!c) return unchanged;
  const glue = new Glue(source, options.target === "ts");
  const diagnostics: Diagnostic[] = [];
  const reports: MarkerReport[] = [];
  for (const call of c.calls) {
    try {
      const built = c.mc.build(call, c.mod);
      glueMarker(c, glue, call, built);
      // (a vmap with dims known only at run time has no generated functions of its own to report)
      if (options.explain && !built.closure) reports.push(explainMarker(c.program, c.mc, call, c.mod.sf, built));
    } catch (err) {
      if (err instanceof DiagnosticError) diagnostics.push(err.diagnostic);
      else if (err instanceof UnsupportedDerivative) {
        // at the op where it is in this module, else at the marker that reached it
        const at = err.loc;
        if (at && at.file === c.mod.sf.fileName) diagnostics.push(diagnosticAt(c.mod.sf, at.line, at.col, "unsupported-construct", err.message));
        else diagnostics.push(makeDiagnostic(call, "unsupported-construct", at ? `${err.message} (${at.file}:${at.line}:${at.col})` : err.message));
      } else if (err instanceof Error) diagnostics.push(makeDiagnostic(call, "internal", `internal compiler error: ${err.message}`));
      else throw err;
    }
  }
  if (diagnostics.length) return { code: "", map: null, diagnostics: uniqueDiagnostics(diagnostics), shaders: {}, changed: true };
  const { code, map, shaders } = emitModule(c, glue, fileName, options);
  return { code, map, diagnostics, shaders, changed: true, markers: options.explain ? reports : undefined };
}
