// collect: a module's outermost marker calls, with the front end that builds
// them (compiler/front: the module's parse, its Program of IR functions, the
// MarkerCompiler).
import ts from "typescript";
import { Program } from "../front/lower.js";
import { MarkerCompiler } from "../front/markers.js";
import { parseModule, type SourceModule } from "../front/module.js";
import { RT } from "../emit/js.js";
import { emitPatterns, Unpatternable } from "../emit/pattern.js";
import type { CompilePaths } from "../ad/jvp.js";

export const MARKERS = new Set(["jacobian", "jacrev", "jacfwd", "hessian", "grad", "vjp", "jvp", "vmap"]);

export interface Collected {
  mod: SourceModule;
  program: Program;
  mc: MarkerCompiler;
  /** the outermost marker calls (a marker given as another marker's function is part of it) */
  calls: ts.CallExpression[];
}

/** The module's outermost marker calls and the front end that builds them; undefined when it has none. */
export function collect(source: string, fileName: string, options: { paths?: CompilePaths; strategy?: "reverse-mode" | "forward-mode" }): Collected | undefined {
  if (!source.includes("jacc")) return undefined;
  const mod = parseModule(source, fileName);
  const markerLocals = [...mod.jaccImports].filter(([, exported]) => MARKERS.has(exported)).map(([local]) => local);
  if (markerLocals.length === 0 && mod.jaccNamespaces.size === 0) return undefined;

  const taken = new Set<string>();
  const collect = (n: ts.Node): void => {
    if (ts.isIdentifier(n)) taken.add(n.text);
    ts.forEachChild(n, collect);
  };
  collect(mod.sf);
  for (const name of Object.values(RT)) taken.add(name);
  const program = new Program(mod, taken);
  const ctx = { fns: program.fns, fnNames: program.fnNames, paths: options.paths };
  const mc = new MarkerCompiler(program, ctx, options.strategy, (fns, name) => {
    try {
      emitPatterns(fns, name, false);
      return undefined;
    } catch (err) {
      if (err instanceof Unpatternable) return err.message;
      throw err;
    }
  });
  program.hooks = { markerFn: (call, lowerer) => mc.fnInside(call, lowerer), markerValue: (call, lowerer) => mc.valueInside(call, lowerer), vjpValue: (call, lowerer) => mc.vjpInside(call, lowerer), jvpValue: (call, lowerer) => mc.jvpInside(call, lowerer) };

  // Outermost marker calls (a marker given as another marker's function is part of it).
  const calls: ts.CallExpression[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) && mc.markerName(n.expression, mod)) {
      calls.push(n);
      n.arguments.slice(1).forEach(visit);
      return;
    }
    ts.forEachChild(n, visit);
  };
  visit(mod.sf);
  if (calls.length === 0) return undefined;
  return { mod, program, mc, calls };

}
