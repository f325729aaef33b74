// explain: what `jacc explain` reports of each marker (compileModule with
// { explain: true }): the functions generated for it after the passes, the IR
// of its driver, its static sparsity, the Jacobian plan and the modes' costs.
import type ts from "typescript";
import type { Program } from "../front/lower.js";
import type { Built, MarkerCompiler } from "../front/markers.js";
import { JsEmitter, RT } from "../emit/js.js";
import { renderFused } from "../emit/fused-js.js";
import { withTwins } from "../ad/structured.js";
import { resultDeps } from "../ad/activity.js";
import { outputsOf } from "../ad/drivers.js";
import { modeAdvice } from "../ad/mode-advice.js";
import { FusedHelpers } from "../ir/fused.js";
import { printFn } from "../ir/print.js";
import { runPasses } from "../pipeline.js";
import type { MarkerReport } from "../index.js";
import { capturesOf, reachable } from "./graph.js";

/** The Hessian path the emission takes: a function that reads captured locals keeps the dense sweeps (compileModule's "hessian" case). */
function hessianAsEmitted(program: Program, built: Built): Built | { sparse?: undefined; dense: string } {
  if (!built.sparse) return built;
  const caps = capturesOf(program.fns, built.fn);
  return caps.length ? { dense: `it reads captured locals (${caps.join(", ")}), which the coloured path does not pass` } : built;
}

export function explainMarker(program: Program, mc: MarkerCompiler, call: ts.CallExpression, sf: ts.SourceFile, built: Built): MarkerReport {
  const fn = program.fns.get(built.fn)!;
  const fns = withTwins(program.fns); // what will be emitted: structured twins in place of sweeps
  const emitter = new JsEmitter({ ts: true, file: sf.fileName });
  emitter.tupleOf = (name) => {
    const f = fns.get(name)!;
    return f.tupleResult || f.results.length !== 1;
  };
  const names = reachable(fns, [built.fn]);
  const globalNames = new Set([...names, ...Object.values(RT)]);
  const helpers = new FusedHelpers();
  const done = runPasses(new Map(names.map((n) => [n, fns.get(n)!])), fns, { globalNames, fuse: mc.ctx.paths?.fuse === false ? undefined : helpers });
  const fnsText = names.map((n) => emitter.fn(done.get(n)!)).join("\n\n");
  const generated = [fnsText, ...renderFused(helpers, true).code].join("\n\n");
  // the plan as fusion left it (a one-block Jacobian may have become one loop)
  const plan = done.get(built.fn)?.plan ?? fn.plan;
  const { line } = sf.getLineAndCharacterOfPosition(call.getStart(sf));
  return {
    marker: built.kind,
    line: line + 1,
    functionName: fn.source ?? fn.name,
    generated,
    // a structured twin: its driver and the structured tangent programs it calls
    ir: fns === program.fns || fns.get(built.fn) === fn ? printFn(fn) : [built.fn, ...reachable(fns, [built.fn]).filter((n) => n.endsWith("_struct") || /_struct\d+$/.test(n))].filter((n, i, a) => a.indexOf(n) === i).map((n) => printFn(fns.get(n)!)).join("\n"),
    sparsity: sparsityOf(program, mc, call),
    structure: plan?.structure,
    plan,
    modes: modeAdvice(built.kind, program.fns.get(mc.resolveFunc(call.arguments[0], program.main).fn)!, hessianAsEmitted(program, built)),
  };
}

/** Static dependence of each output on each parameter (activity analysis). */
function sparsityOf(program: Program, mc: MarkerCompiler, call: ts.CallExpression): MarkerReport["sparsity"] {
  const target = mc.resolveFunc(call.arguments[0], program.main);
  const f = program.fns.get(target.fn)!;
  const outs = outputsOf(f, false);
  const inputs = f.params.map((p) => p.name);
  const pattern = outs.leaves.map((leaf) => f.params.map((_, j) => resultDeps(program.fns, target.fn, f.params.map((_, q) => q === j))[leaf]));
  return { outputs: outs.leaves.map((l) => (outs.leaves.length > 1 ? `out[${l}]` : "out")), inputs, pattern };
}
