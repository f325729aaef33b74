// Test helper: the IR functions a module's markers stand for, built the way
// compileModule builds them (front end → jvp / vjp → drivers), without
// emitting JavaScript. Used by the WGSL tests to feed the emitters real IR.
import ts from "typescript";
import { Program } from "../../compiler/front/lower.js";
import { MarkerCompiler, type Built } from "../../compiler/front/markers.js";
import { findDeclaration, parseModule } from "../../compiler/front/module.js";
import { DiagnosticError, formatDiagnostic } from "../../compiler/front/diagnostics.js";
import { RT } from "../../compiler/emit/js.js";
import type { Fn } from "../../compiler/ir/ir.js";

export interface MarkerIR {
  /** the marker's name (jacrev, jacfwd, …) */
  kind: string;
  /** the marker call's source text */
  text: string;
  /** the driver's IR function name (a key of `fns`) */
  fn: string;
  built: Built;
}

export interface ModuleIR {
  fns: Map<string, Fn>;
  markers: MarkerIR[];
  /** lowers a plain function of the module by name (no marker): its IR function name */
  plain(name: string): string;
}

/** Builds the IR of every outermost marker call of `source` (throws on diagnostics). */
export function irOfModule(source: string, fileName = "/tmp/jacc-ir/module.ts"): ModuleIR {
  const mod = parseModule(source, fileName);
  const taken = new Set<string>();
  const collect = (n: ts.Node): void => {
    if (ts.isIdentifier(n)) taken.add(n.text);
    ts.forEachChild(n, collect);
  };
  collect(mod.sf);
  for (const name of Object.values(RT)) taken.add(name);
  const program = new Program(mod, taken);
  const ctx = { fns: program.fns, fnNames: program.fnNames };
  const mc = new MarkerCompiler(program, ctx);
  program.hooks = { markerFn: (call, lowerer) => mc.fnInside(call, lowerer), markerValue: (call, lowerer) => mc.valueInside(call, lowerer), vjpValue: (call, lowerer) => mc.vjpInside(call, lowerer), jvpValue: (call, lowerer) => mc.jvpInside(call, lowerer) };
  const calls: ts.CallExpression[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) && mc.markerName(n.expression, mod)) {
      calls.push(n);
      return;
    }
    ts.forEachChild(n, visit);
  };
  visit(mod.sf);
  const wrap = <T>(f: () => T): T => {
    try {
      return f();
    } catch (err) {
      if (err instanceof DiagnosticError) throw new Error(formatDiagnostic(err.diagnostic));
      throw err;
    }
  };
  const markers = calls.map((call) => {
    const built = wrap(() => mc.build(call, mod));
    return { kind: built.kind, text: call.getText(mod.sf), fn: built.fn, built };
  });
  const plain = (name: string): string => {
    const d = findDeclaration(name, mod.sf, mod);
    if (!d || d.k !== "function") throw new Error(`no function ${name} in the module`);
    return wrap(() => program.lowerDecl(d).fn);
  };
  return { fns: program.fns, markers, plain };
}
