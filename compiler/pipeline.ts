// The passes every module goes through, in order. The front end lowers each
// function a marker reaches to the IR and the AD transforms build the
// derivative functions (compiler/front/markers.ts, per marker); then each pass
// below maps the module's functions to new ones, and the emitters render the
// result (compiler/emit). With `checkIR` the IR checker (compiler/ir/check.ts)
// runs after the front end and after every pass.
//
//   jacobian fusion → simplify → device numbers → elementwise fusion → names
import { type Fn, walk } from "./ir/ir.js";
import { checkFn, type PrimInfo } from "./ir/check.js";
import { ruleOf } from "./rules/index.js";
import { avoidNames, simplify } from "./opt/simplify.js";
import { deviceNumbers } from "./opt/device-numbers.js";
import { fuseElementwise } from "./opt/fuse-region.js";
import { fuseJacobian } from "./opt/fuse-jacobian.js";
import type { FusedHelpers } from "./ir/fused.js";

export type Module = ReadonlyMap<string, Fn>;

export interface Pass {
  name: string;
  run: (m: Module) => Module;
}

export interface PipelineOptions {
  /** the names no generated local may take (the module's functions, the runtime's names) */
  globalNames: Set<string>;
  /** where fused chains and regions put their helpers; undefined: no fusion */
  fuse?: FusedHelpers;
  checkIR?: boolean;
}

const each = (m: Module, f: (fn: Fn) => Fn): Module => new Map([...m].map(([name, fn]) => [name, f(fn)]));

/** The passes after the AD transforms, in order. */
export function passes(o: PipelineOptions): Pass[] {
  return [
    // structured Jacobians of one block (an elementwise chain, or g(W @ x)) become one loop each
    ...(o.fuse ? [{ name: "jacobian fusion", run: (m: Module) => each(m, (f) => fuseJacobian(f, m, o.fuse!)) }] : []),
    // copy propagation, dead code, constant folding
    { name: "simplify", run: (m) => each(m, simplify) },
    // number cotangents that may be 0-d device tensors (WebGPU), across the module's functions
    { name: "device numbers", run: (m) => deviceNumbers(new Map(m)) },
    // elementwise chains and regions become one loop (and one WGSL kernel) each
    ...(o.fuse ? [{ name: "fusion", run: (m: Module) => each(m, (f) => fuseElementwise(f, o.fuse!)) }] : []),
    // generated locals never shadow a module-level name
    { name: "names", run: (m) => each(m, (f) => avoidNames(f, o.globalNames)) },
  ];
}

/** A primitive's rule for the IR checker (undefined: no rule). */
const primInfo: PrimInfo = (op) => {
  try {
    return ruleOf(op);
  } catch {
    return undefined;
  }
};

/** Throws an internal error naming `after` when a function of `m` is malformed (`all`: every function a call may name). */
export function checkModule(after: string, m: Module, all: Module, fuse?: FusedHelpers, checked?: Checked): void {
  const fns = new Map([...all, ...m]);
  const problems: string[] = [];
  for (const f of m.values()) {
    // a function a pass left as it was, calling the same functions, was well formed the last time
    const callees = checked?.get(f);
    if (callees && [...callees].every(([name, g]) => fns.get(name) === g)) continue;
    const found = checkFn(f, fns, primInfo, (name) => fuse?.has(name) ?? false);
    if (found.length) problems.push(...found);
    else checked?.set(f, calleesOf(f, fns));
  }
  if (problems.length) throw new Error(`jacc: the IR after ${after} is malformed: ${problems.slice(0, 6).join("; ")}`);
}

/** The functions found well formed by earlier checks of one run of the passes, with the functions they called then. */
type Checked = WeakMap<Fn, Map<string, Fn | undefined>>;

function calleesOf(f: Fn, fns: Module): Map<string, Fn | undefined> {
  const out = new Map<string, Fn | undefined>();
  walk(f.body, (s) => {
    if (s.k === "call") out.set(s.fn, fns.get(s.fn));
  });
  return out;
}

/** Runs the passes over `m` (the functions the markers reach), checking after each when asked. */
export function runPasses(m: Module, all: Module, o: PipelineOptions): Module {
  let cur = m;
  // (passes map functions to new ones and never edit one in place: an unchanged object needs no second check)
  const checked: Checked = new WeakMap();
  for (const p of passes(o)) {
    cur = p.run(cur);
    if (o.checkIR) checkModule(p.name, cur, all, o.fuse, checked);
  }
  return cur;
}
