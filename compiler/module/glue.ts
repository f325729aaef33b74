// glue: each marker call replaced in place by the code that calls its
// generated functions (arguments flattened from records and tuples, results
// rebuilt into the user's structure, argument checks first), edited with
// magic-string so the rest of the user's text and its source map stay exact.
import type ts from "typescript";
import MagicString from "magic-string";
import { DiagnosticError, makeDiagnostic } from "../front/diagnostics.js";
import type { Program } from "../front/lower.js";
import type { Built } from "../front/markers.js";
import { leavesOf, type Tree } from "../ad/drivers.js";
import { isListTree, listWidth } from "../ir/ir.js";
import { type Fn, sourceParams } from "../ir/ir.js";
import { emitPatterns } from "../emit/pattern.js";
import { kernelsFor, kernelText } from "../emit/wgsl/index.js";
import { vmapKernel } from "../emit/vmap-kernel.js";
import { leafArgs } from "../emit/pytree-args.js";
import { analyseKernel } from "../opt/kernel-bounds.js";
import { simplifiedFns } from "../opt/simplify.js";
import type { Collected } from "./collect.js";
import { capturesOf } from "./graph.js";

/** What the glue of a module's markers adds up to: the edited user text, and what the emission needs. */
export class Glue {
  readonly s: MagicString;
  /** the generated functions the glue calls */
  readonly roots = new Set<string>();
  /** the glue calls the runtime namespace (`__jt`) */
  usesVmap = false;
  /** code after the generated functions (Hessian patterns and caches) */
  readonly extraCode: string[] = [];
  /** the row kernels of top-level vmaps (and the runtime kernels they need) */
  readonly vmapShaders: Record<string, string> = {};
  constructor(source: string, readonly tsOut: boolean) {
    this.s = new MagicString(source);
  }
}

/** One marker's glue: what every kind of marker needs to write its replacement. */
interface Site {
  c: Collected;
  g: Glue;
  call: ts.CallExpression;
  built: Built;
  /** the driver */
  fn: Fn;
  /** the captured locals passed first to the driver ("a, b, " or "") */
  cp: string;
  anyT: string;
  anyA: string;
}

/** Replaces the marker call `call` (built as `built`) by its glue. */
export function glueMarker(c: Collected, g: Glue, call: ts.CallExpression, built: Built): void {
  const anyT = g.tsOut ? ": any" : "";
  const anyA = g.tsOut ? ": any[]" : "";
  if (built.closure) {
    // dims computed at run time, of a marker inside vmap's function: the runtime's row loop
    g.usesVmap = true;
    replaceCall({ g, call, built, c } as Site, `((...args${anyA}) => __jt.adVmap(${built.closure}, args, ${built.vmap!.inDims}, ${built.vmap!.outDims}))`);
    return;
  }
  const fn = c.program.fns.get(built.fn)!;
  g.roots.add(built.fn);
  const site: Site = { c, g, call, built, fn, cp: capsPrefix(c.program, built.fn), anyT, anyA };
  switch (built.kind) {
    case "jacobian":
      return jacobianGlue(site);
    case "vjp":
    case "jvp":
      return pairGlue(site);
    case "vmap":
      return vmapGlue(site);
    case "hessian":
      // column-coloured: the pattern twin decides how few sweeps are needed (not with captured locals: it does not pass them)
      if (built.sparse && !site.cp) return sparseHessianGlue(site);
    // falls through
    default:
      replaceCall(site, withTrees(site, caller(site)));
  }
}

/** The locals of enclosing scopes the generated function reads, passed in first ("a, b, "), read when it runs. */
function capsPrefix(program: Program, name: string): string {
  const c = capturesOf(program.fns, name);
  return c.length ? `${c.join(", ")}, ` : "";
}

/** TypeScript: a spread into a generated function's fixed parameters needs the function seen as variadic. */
const callName = (g: Glue, name: string): string => (g.tsOut ? `(${name} as (...a: any[]) => any)` : name);

/** The marker's run-time checks (of literal options), run once where the marker was. */
const checksFirst = ({ built }: Site): string => (built.runtimeChecks.length ? `(() => { ${built.runtimeChecks.join(" ")} })(), ` : "");

/** Replaces the whole marker call by `text`, after its run-time checks. */
function replaceCall(site: Site, text: string): void {
  const { g, call, c } = site;
  const pre = checksFirst(site);
  g.s.overwrite(call.getStart(c.mod.sf), call.getEnd(), pre ? `(${pre}${text})` : text);
}

/** The fewest arguments f takes: the trailing parameters with defaults, or optional, may be left out. */
const minArgs = (f: Fn): number => sourceParams(f).reduce<number>((m, t, i) => (typeof t !== "number" || !f.defaults?.[t] ? i + 1 : m), 0);

/** The arguments `args` spread into the driver: record and tuple arguments are passed as their leaves (runtime/pytree.ts). */
function spread({ g, fn, built }: Site, args: string): string {
  if (!fn.inTrees) return `...${args}`;
  g.usesVmap = true; // (needs the runtime namespace)
  // (a returned function reads the trees bound once by withTrees, not a literal built per call)
  return leafArgs(fn.inTrees, minArgs(fn), args, "__jaccTrees", fn.arity?.label ?? built.kind);
}

/** `text` with the driver's parameter trees bound once (`__jaccTrees`), where it has any. */
const withTrees = ({ fn, anyT }: Site, text: string): string => (fn.inTrees ? `((__jaccTrees${anyT}) => ${text})(${JSON.stringify(fn.inTrees)})` : text);

/** The function the marker returns: the driver itself, or a wrapper passing captures and leaves and rebuilding the user's result. */
function caller(site: Site): string {
  const { g, built, fn, cp, anyA } = site;
  const f = callName(g, built.fn);
  // (an array of Tensors: the flat arguments named, their pieces split the result's blocks)
  if (hasTensorList(built.tree)) return `((...a${anyA}) => { const l = [${spread(site, "a")}]; const r = ${f}(${cp}...l); return ${treeExpr(built.tree, "r", fn, "l")}; })`;
  if (!isLeaf(built.tree, fn)) return `((...a${anyA}) => { const r = ${f}(${cp}${spread(site, "a")}); return ${treeExpr(built.tree, "r", fn)}; })`;
  return cp || fn.inTrees ? `((...a${anyA}) => ${f}(${cp}${spread(site, "a")}))` : built.fn;
}

/** jacobian(f, inputs): the driver called in place, the inputs' text kept. */
function jacobianGlue(site: Site): void {
  const { c, g, call, built, fn, cp, anyT } = site;
  const inputs = call.arguments[1];
  let call0 = built.singleInput ? `${built.fn}(${cp}` : `${callName(g, built.fn)}(${cp}...`;
  let close = ")";
  if (fn.inTrees) {
    // structured inputs: their leaves (a single input is the one argument)
    g.usesVmap = true; // (needs the runtime namespace)
    call0 = `${callName(g, built.fn)}(${cp}...__jt.adFlatten(${built.singleInput ? "[" : ""}`;
    close = `${built.singleInput ? "]" : ""}, ${JSON.stringify(fn.inTrees)}, ${minArgs(fn)}, ${JSON.stringify(fn.arity?.label ?? built.kind)}))`;
  }
  const keep: [number, number] = [inputs.getStart(c.mod.sf), inputs.getEnd()];
  const pre = checksFirst(site);
  let open = isLeaf(built.tree, fn) || hasTensorList(built.tree) ? "" : `((r${anyT}) => ${treeExpr(built.tree, "r", fn)})(`;
  if (hasTensorList(built.tree)) {
    // (an array of Tensors: the flat arguments named, their pieces split the result's blocks)
    open = `((l${anyT}) => ((r${anyT}) => ${treeExpr(built.tree, "r", fn, "l")})(${callName(g, built.fn)}(${cp}...l)))(`;
    call0 = `__jt.adFlatten(${built.singleInput ? "[" : ""}`;
    close = `${built.singleInput ? "]" : ""}, ${JSON.stringify(fn.inTrees)}, ${minArgs(fn)}, ${JSON.stringify(fn.arity?.label ?? built.kind)})`;
  }
  g.s.overwrite(call.getStart(c.mod.sf), keep[0], `${open}${pre ? "(" + pre : ""}${call0}`);
  g.s.overwrite(keep[1], call.getEnd(), `${close}${pre ? ")" : ""}${open ? ")" : ""}`);
}

/** vjp(f, primals) and jvp(f, primals, tangents): the arguments' text kept. */
function pairGlue({ c, g, call, built, fn }: Site): void {
  const { mod, program, mc } = c;
  // (f itself, or its variant taking arrays of records flat: markers.ts)
  const fName = built.src ?? mc.resolveFunc(call.arguments[0], mod).fn;
  g.roots.add(built.kind === "vjp" ? fName : built.fn);
  const fArg = program.fns.get(fName)!;
  if (fArg.inTrees) g.usesVmap = true; // (adFlatten: the runtime namespace)
  const lastKept = call.arguments[built.kind === "vjp" ? 1 : 2];
  if (!lastKept) throw new DiagnosticError(makeDiagnostic(call, "arity", `\`${built.kind}\` is missing arguments`));
  const caps = (name: string) => capsPrefix(program, name);
  const name = (n: string) => callName(g, n);
  const [head, tail] = built.kind === "vjp" ? vjpGlue(built, fArg, fn, g.tsOut, caps, name) : jvpGlue(built, fArg, fn, g.tsOut, caps, name);
  g.s.overwrite(call.getStart(mod.sf), call.arguments[1].getStart(mod.sf), head);
  g.s.overwrite(lastKept.getEnd(), call.getEnd(), tail);
}

/** vmap: the batched function (literal dims), or the runtime's row loop over the compiled function (dims known at run time). */
function vmapGlue(site: Site): void {
  const { c, g, built, fn, cp, anyA } = site;
  if (built.vmap) {
    g.usesVmap = true;
    replaceCall(site, withTrees(site, `((...args${anyA}) => __jt.adVmap(${caller(site)}, args, ${built.vmap.inDims}, ${built.vmap.outDims}))`));
    return;
  }
  // literal dims: the batched function was compiled (compiler/ad/batch.ts), called as any driver
  let replacement = caller(site);
  // (a program of Tensors runs its row loop on the device through the ops instead)
  const tgt = built.gpu && c.program.fns.get(built.gpu.target)!;
  const scalarOnly = tgt && !tgt.params.some((p) => p.type.k === "tensor" || p.type.k === "opaque");
  if (built.gpu && !cp && scalarOnly && !fn.inTrees) {
    // WebGPU inputs run the row kernel the compiler emits for a scalar program (or say why there is none)
    const k = vmapKernel(simplifiedFns(c.program.fns), built.gpu, fn, `vmap_${built.fn}`, analyseKernel);
    if (k.text) Object.assign(g.vmapShaders, { [k.name]: k.text }, kernelsFor(["reshape", "select", "permute"]), { copy_strided: kernelText("copy_strided") });
    g.usesVmap = true;
    const gpuCall = `__jt.gpuVmapScalar(${k.text ? JSON.stringify(k.name) : "null"}, ${JSON.stringify(k.meta)}, a, [${k.externals.join(", ")}])`;
    replacement = `((...a${anyA}) => { const r = __jt.adOnWebGPU(a) ? ${gpuCall} : ${callName(g, built.fn)}(...a); return ${isLeaf(built.tree, fn) ? "r" : treeExpr(built.tree, "r", fn)}; })`;
  }
  if (built.rows) {
    // arguments left out (their defaults inside f): f row by row over the batches given, as the runtime maps computed dims
    g.usesVmap = true;
    g.roots.add(built.rows.fn);
    replacement = `((...a${anyA}) => a.length < ${built.rows.n} ? __jt.adVmap(${callName(g, built.rows.fn)}, a, ${built.rows.inDims}, ${built.rows.outDims}) : ${replacement}(...a))`;
  }
  replaceCall(site, withTrees(site, replacement));
}

/** A column-coloured Hessian: the runtime colours the pattern twin's sparsity and runs one sweep per colour (or laned sweeps). */
function sparseHessianGlue(site: Site): void {
  const { c, g, built, fn, anyA } = site;
  const sparse = built.sparse!;
  g.usesVmap = true; // (needs the runtime namespace)
  g.roots.delete(built.fn); // the dense driver is not used
  // the laned sweep, or one sweep per colour where the sweep cannot carry lanes
  const sweep = sparse.lanes?.fn ?? sparse.jvpFn;
  g.roots.add(sweep);
  // its argument checks are (count and kinds, a number[]'s elements), before any work
  const args = argumentChecks(c.program, fn);
  g.roots.add(args);
  const pat = emitPatterns(c.program.fns, sparse.fn, g.tsOut);
  if (!g.extraCode.includes(pat.code)) g.extraCode.push(pat.code);
  const nParams = c.program.fns.get(sparse.fn)!.params.length;
  // one cache per marker: the pattern and colouring per argument lengths (ad/shape-only.ts)
  let cache = "";
  if (sparse.cacheable) {
    const name = `__jaccHessianCache_${sparse.jvpFn}`;
    // a hoisted function: the module's own top-level code may call the Hessian before the end of the module
    const a = g.tsOut ? ": any" : "";
    const decl = `function ${name}()${a} { const f${a} = ${name}; return f.map ?? (f.map = new Map()); }`;
    if (!g.extraCode.includes(decl)) g.extraCode.push(decl);
    cache = `, ${name}()`;
  }
  const lanes = sparse.lanes ? `${cache || ", undefined"}, ${sparse.lanes.fn}, ${sparse.lanes.L}, ${sparse.lanes.scratch}` : cache;
  replaceCall(site, `((...args${anyA}) => __jt.adHessianSparse(${callName(g, args)}(...args), ${sparse.argnum}, ${pat.name}, ${sparse.lanes ? "undefined" : sweep}, ${nParams}, ${JSON.stringify(fn.arity?.label ?? "hessian")}${lanes}))`);
}

/**
 * A function that runs `driver`'s argument checks (SPEC §5: the count and each argument's kind, a
 * TypeError naming the marker) and returns its arguments, a number[] given as a 1-D Tensor as its
 * storage: for glue that calls the runtime instead of the driver (the column-coloured Hessian).
 */
function argumentChecks(program: Program, driver: Fn): string {
  const name = program.fnNames.claim(`${driver.name}_args`);
  const params = driver.params.map((p) => ({ ...p }));
  program.add({
    name,
    params,
    results: params.map((p) => p.type),
    tupleResult: true,
    body: [{ k: "return", values: params.map((p) => ({ k: "var", name: p.name }) as const) }],
    vars: new Map(params.map((p) => [p.name, p.type])),
    loc: driver.loc,
    source: driver.source,
    captures: [],
    arity: driver.arity,
  });
  return name;
}

/** True when the driver already returns the user's structure: one value, or a flat array in order. */
function isLeaf(tree: Tree, fn: Fn): boolean {
  if (tree === 0 && !fn.tupleResult) return true;
  return Array.isArray(tree) && fn.tupleResult && tree.length === fn.results.length && tree.every((t, i) => t === i);
}

/** A JS expression building the user's nested result from the flat results `r` (`flat`: the flat arguments, for arrays of Tensors). */
function treeExpr(tree: Tree, r: string, fn: Fn, flat?: string): string {
  const single = !fn.tupleResult;
  return buildTree(tree, (t) => (single ? r : `${r}[${t}]`), 0, flat);
}

/** Whether a tree holds a differentiated array of Tensors, whose blocks are split by the flat argument's pieces. */
const hasTensorList = (t: Tree): boolean => typeof t === "object" && (isListTree(t) ? !!t.tensors || hasTensorList(t.of) : (Array.isArray(t) ? t : t.items).some(hasTensorList));

/**
 * A JS expression of a tree: arrays for tuples, object literals for records, `leaf(i)` at each leaf;
 * `flat` names the driver's flat arguments, where an array of Tensors is split by its own (runtime/tensor-list.ts).
 */
function buildTree(t: Tree, leaf: (i: number) => string, depth = 0, flat?: string): string {
  if (typeof t === "number") return leaf(t);
  if (Array.isArray(t)) return `[${t.map((x) => buildTree(x, leaf, depth, flat)).join(", ")}]`;
  if (isListTree(t)) {
    // an array of records input: each element built from the blocks' slices at its numbers (runtime/pytree.ts)
    const blocks = leavesOf(t.of);
    const b = `b${depth}`;
    const element = buildTree(t.list, (j) => buildTree(t.of, (i) => `${b}[${j}][${blocks.indexOf(i)}]`, depth + 1, flat), depth + 1, flat);
    if (t.tensors) {
      if (flat === undefined) throw new Error("buildTree: an array of Tensors without its flat argument");
      return `__jt.adUnpack([${blocks.map(leaf).join(", ")}], ${flat}[${t.param}], ${t.axis}, ${listWidth(t)}, (${b}) => ${element})`;
    }
    return `__jt.adUnlist([${blocks.map(leaf).join(", ")}], ${listWidth(t)}, ${t.axis}, (${b}) => ${element})`;
  }
  return `({ ${t.keys.map((k, i) => `${JSON.stringify(k)}: ${buildTree(t.items[i], leaf, depth, flat)}`).join(", ")} })`; // (parenthesised: an arrow may return it)
}

/** vjp(f, primals) → [out, vjpFn] (+ aux): vjpFn(ct) runs f's forward and reverse sweeps. */
function vjpGlue(built: Built, f: Fn, vjpFn: Fn, tsOut: boolean, caps: (fn: string) => string, callName: (fn: string) => string): [string, string] {
  const anyT = tsOut ? ": any" : "";
  const outTree = built.outTree!;
  const leaves = leavesOf(outTree);
  const out = treeExpr(outTree, "r", f);
  const ctOf = (leaf: number, e: string) => (f.results[leaf].k === "vec" ? `__jaccVecOf(${e})` : e);
  // the cotangent has the output's structure: its leaves in the order of f's results
  const paths = leafPaths(typeof outTree === "number" ? 0 : outTree, "ct");
  const cts = leaves.length === 1 && typeof outTree === "number" ? ctOf(leaves[0], "ct") : leaves.map((l) => ctOf(l, paths.get(l)!)).join(", ");
  const aux = built.hasAux ? `, ${auxExpr(f)}` : "";
  const { flat, args, pre } = flatPrimals(f, "p", "vjp");
  // one cotangent per parameter, structured as the parameters are (per primal given: PyTorch's tuple)
  let back = f.inTrees ? `((c${anyT}) => ${buildTree(f.inTrees, (i) => `c[${i}]`, 0, flat)})(${callName(vjpFn.name)}(${caps(vjpFn.name)}${args}, ${cts}))` : `${callName(vjpFn.name)}(${caps(vjpFn.name)}${args}, ${cts})`;
  if (minArgs(f) < sourceParams(f).length) back = `${back}.slice(0, p.length)`;
  const head = `((p${anyT}) => { ${pre}const r${anyT} = ${callName(f.name)}(${caps(f.name)}${args}); return [${out}, (ct${anyT}) => ${back}${aux}]; })(`;
  return [head, `)`];
}

/** jvp(f, primals, tangents) → [out, tangent] (+ aux). */
function jvpGlue(built: Built, f: Fn, jvpFn: Fn, tsOut: boolean, caps: (fn: string) => string, callName: (fn: string) => string): [string, string] {
  const anyT = tsOut ? ": any" : "";
  const n = f.results.length;
  const outTree = built.outTree!;
  const val = (i: number) => `r[${i}]`;
  const tan = (i: number) => (f.results[i].k === "num" ? `r[${n + i}]` : `__jaccTangent(r[${n + i}])`);
  const build = buildTree;
  const aux = built.hasAux ? `, ${auxExpr(f)}` : "";
  const { args, pre } = flatPrimals(f, "p", "jvp");
  const tf = flatPrimals(f, "t", "jvp");
  const tangents = f.params.map((p, i) => (p.type.k === "vec" ? `__jaccVecOf(${tf.flat}[${i}])` : `${tf.flat}[${i}]`)).join(", ");
  // (as many tangents as primals: PyTorch's rule, where trailing parameters may be left out)
  const same = minArgs(f) < sourceParams(f).length ? `if (t.length !== p.length) throw new TypeError(${JSON.stringify(`jvp(${f.source ?? f.name}): tangents must have one entry per primal (`)} + p.length + ") , got " + t.length); `.replace(") , got", "), got") : "";
  const head = `((p${anyT}, t${anyT}) => { ${pre}${tf.pre}${same}const r${anyT} = ${callName(jvpFn.name)}(${caps(jvpFn.name)}${args}, ${tangents}); return [${build(outTree, val)}, ${build(outTree, tan)}${aux}]; })(`;
  return [head, `)`];
}

/**
 * vjp / jvp: primals (tangents) with records among them, as the leaves f takes
 * (runtime/pytree.ts). They must be an array with one entry per parameter of f
 * (SPEC §1): spreading anything else (a Tensor, a Float64Array of the values)
 * would call f with the wrong arguments, so that is a TypeError first.
 */
function flatPrimals(f: Fn, name: string, marker: string): { flat: string; args: string; pre: string } {
  const label = `${marker}(${f.source ?? f.name})`;
  const n = sourceParams(f).length;
  // (trailing parameters with defaults, or optional, may be left out, as func(*primals) allows in PyTorch)
  const min = minArgs(f);
  const what = name === "p" ? "primals" : "tangents";
  const got = `(Array.isArray(${name}) ? "an array of " + ${name}.length : ${name} === null ? "null" : typeof ${name} === "object" ? "a " + ${name}.constructor.name : typeof ${name})`;
  const bad = min === n ? `${name}.length !== ${n}` : `${name}.length < ${min} || ${name}.length > ${n}`;
  const check = `if (!Array.isArray(${name}) || ${bad}) throw new TypeError(${JSON.stringify(`${label}: ${what} must be an array with one entry per parameter (${min === n ? n : `${min} to ${n}`}), got `)} + ${got}); `;
  if (!f.inTrees) {
    // (a shorter array is spread padded: the function's parameters are positional)
    const args = min === n ? `...${name}` : f.params.map((_, i) => `${name}[${i}]`).join(", ");
    return { flat: name, args, pre: check };
  }
  return { flat: `${name}f`, args: `...${name}f`, pre: `${check}const ${name}f = __jt.adFlatten(${name}, ${JSON.stringify(f.inTrees)}, ${min}, ${JSON.stringify(label)}); ` };
}

/** The aux of f's `[output, aux]` from its flat results `r`. */
function auxExpr(f: Fn): string {
  return Array.isArray(f.outTree) && f.outTree.length === 2 ? buildTree(f.outTree[1], (i) => `r[${i}]`) : "r[1]";
}

/** Per leaf of a tree, the JS path reading it from `base` (ct.W1, ct[0].x). */
function leafPaths(t: Tree, base: string, out = new Map<number, string>()): Map<number, string> {
  if (typeof t === "number") out.set(t, base);
  else if (Array.isArray(t)) t.forEach((x, i) => leafPaths(x, `${base}[${i}]`, out));
  else if (isListTree(t)) throw new Error("leafPaths: a cotangent of an array of records");
  else t.keys.forEach((k, i) => leafPaths(t.items[i], `${base}[${JSON.stringify(k)}]`, out));
  return out;
}

