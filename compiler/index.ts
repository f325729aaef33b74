// compileModule: the front door every integration calls. It finds the markers
// of a module, builds the IR functions they stand for, emits them after the
// user's code, and replaces each marker call in place (magic-string keeps the
// rest of the text, and the source map, intact). A module without markers is
// returned unchanged, byte for byte.
import ts from "typescript";
import MagicString from "magic-string";
import { type Diagnostic, DiagnosticError, makeDiagnostic, uniqueDiagnostics } from "./front/diagnostics.js";
import { Program } from "./front/lower.js";
import { MarkerCompiler, type Built } from "./front/markers.js";
import { parseModule, skipParens } from "./front/module.js";
import { emitPrelude, JsEmitter, RT, templateText } from "./emit/js.js";
import { leavesOf, type Tree } from "./ad/drivers.js";
import type { Fn } from "./ir/ir.js";
import { printFn } from "./ir/print.js";
import { emitPatterns, Unpatternable } from "./emit/pattern.js";
import { kernelsFor, kernelsForCode, kernelText, RUNTIME_KERNELS } from "./emit/wgsl/index.js";
import { vmapKernel } from "./emit/vmap-kernel.js";
import { analyseKernel } from "./opt/kernel-bounds.js";
import { useStructuredTwins, withTwins } from "./ad/structured.js";
import { FusedHelpers } from "./ir/fused.js";
import { renderFused } from "./emit/fused-js.js";
import { simplifiedFns } from "./opt/simplify.js";
import type { JacobianPlan } from "./ir/plan.js";
import type { CompilePaths } from "./ad/jvp.js";
import { checkModule, runPasses } from "./pipeline.js";
import { leafArgs } from "./emit/pytree-args.js";

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

const MARKERS = new Set(["jacobian", "jacrev", "jacfwd", "hessian", "grad", "vjp", "jvp", "vmap"]);

export function compileModule(source: string, fileName: string, options: CompileOptions = {}): CompileResult {
  const unchanged: CompileResult = { code: source, map: null, diagnostics: [], shaders: {}, changed: false };
  if (!source.includes("jacc")) return unchanged;
  const mod = parseModule(source, fileName);
  const markerLocals = [...mod.jaccImports].filter(([, exported]) => MARKERS.has(exported)).map(([local]) => local);
  if (markerLocals.length === 0 && mod.jaccNamespaces.size === 0) return unchanged;

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
  program.hooks = { markerFn: (call, lowerer) => mc.fnInside(call, lowerer), markerValue: (call, lowerer) => mc.valueInside(call, lowerer) };

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
  if (calls.length === 0) return unchanged;

  const diagnostics: Diagnostic[] = [];
  const s = new MagicString(source);
  const tsOut = options.target === "ts";
  const roots = new Set<string>();
  let usesVmap = false;
  const extraCode: string[] = [];
  const vmapShaders: Record<string, string> = {}; // the row kernels of top-level vmaps (and the runtime kernels they need)
  const reports: MarkerReport[] = [];
  const anyT = tsOut ? ": any" : "";
  const anyA = tsOut ? ": any[]" : "";
  for (const call of calls) {
    try {
      const built = mc.build(call, mod);
      if (built.closure) {
        usesVmap = true;
        const pre = built.runtimeChecks.length ? `(() => { ${built.runtimeChecks.join(" ")} })(), ` : "";
        const body = `((...args${anyA}) => __jt.adVmap(${built.closure}, args, ${built.vmap!.inDims}, ${built.vmap!.outDims}))`;
        s.overwrite(call.getStart(mod.sf), call.getEnd(), pre ? `(${pre}${body})` : body);
        continue;
      }
      const fn = program.fns.get(built.fn)!;
      roots.add(built.fn);
      const checks = built.runtimeChecks.join(" ");
      let replacement: string;
      let keepArgs: [number, number] | undefined;
      const treeOf = (r: string) => treeExpr(built.tree, r, fn);
      // locals of enclosing scopes the generated code reads are passed in first, read when it runs
      const capsPrefix = (name: string) => {
        const c = capturesOf(program, name);
        return c.length ? `${c.join(", ")}, ` : "";
      };
      const cp = capsPrefix(built.fn);
      // record and tuple arguments are passed as their leaves (runtime/pytree.ts)
      // (a returned function reads the trees bound once by withTrees, not a literal built per call)
      const minArgs = (f: Fn) => f.inTrees!.reduce<number>((m, t, i) => (typeof t !== "number" || !f.defaults?.[t] ? i + 1 : m), 0);
      const spread = (args: string, f: Fn = fn, trees = "__jaccTrees") => {
        if (!f.inTrees) return `...${args}`;
        usesVmap = true; // (needs the runtime namespace)
        return leafArgs(f.inTrees, minArgs(f), args, trees, f.arity?.label ?? built.kind);
      };
      const withTrees = (text: string) => (fn.inTrees ? `((__jaccTrees${anyT}) => ${text})(${JSON.stringify(fn.inTrees)})` : text);
      // TypeScript: a spread into a generated function's fixed parameters needs the function seen as variadic
      const callName = (name: string) => (tsOut ? `(${name} as (...a: any[]) => any)` : name);
      switch (built.kind) {
        case "jacobian": {
          const inputs = call.arguments[1];
          let call0 = built.singleInput ? `${built.fn}(${cp}` : `${callName(built.fn)}(${cp}...`;
          let close = ")";
          if (fn.inTrees) {
            // structured inputs: their leaves (a single input is the one argument)
            const min = minArgs(fn);
            usesVmap = true; // (needs the runtime namespace)
            call0 = `${callName(built.fn)}(${cp}...__jt.adFlatten(${built.singleInput ? "[" : ""}`;
            close = `${built.singleInput ? "]" : ""}, ${JSON.stringify(fn.inTrees)}, ${min}, ${JSON.stringify(fn.arity?.label ?? built.kind)}))`;
          }
          keepArgs = [inputs.getStart(mod.sf), inputs.getEnd()];
          const pre = checks ? `(() => { ${checks} })(), ` : "";
          if (isLeaf(built.tree, fn)) {
            s.overwrite(call.getStart(mod.sf), keepArgs[0], `${pre ? "(" + pre : ""}${call0}`);
            s.overwrite(keepArgs[1], call.getEnd(), `${close}${pre ? ")" : ""}`);
          } else {
            s.overwrite(call.getStart(mod.sf), keepArgs[0], `((r${anyT}) => ${treeOf("r")})(${pre ? "(" + pre : ""}${call0}`);
            s.overwrite(keepArgs[1], call.getEnd(), `${close}${pre ? ")" : ""})`);
          }
          break;
        }
        case "vjp":
        case "jvp": {
          const fName = mc.resolveFunc(call.arguments[0], mod).fn;
          roots.add(built.kind === "vjp" ? fName : built.fn);
          const fArg = program.fns.get(fName)!;
          if (fArg.inTrees) usesVmap = true; // (adFlatten: the runtime namespace)
          const lastKept = call.arguments[built.kind === "vjp" ? 1 : 2];
          if (!lastKept) throw new DiagnosticError(makeDiagnostic(call, "arity", `\`${built.kind}\` is missing arguments`));
          keepArgs = [call.arguments[1].getStart(mod.sf), lastKept.getEnd()];
          const [head, tail] = built.kind === "vjp" ? vjpGlue(built, fArg, fn, tsOut, capsPrefix, callName) : jvpGlue(built, fArg, fn, tsOut, capsPrefix, callName);
          s.overwrite(call.getStart(mod.sf), keepArgs[0], head);
          s.overwrite(keepArgs[1], call.getEnd(), tail);
          break;
        }
        case "vmap": {
          // literal dims: the batched function was compiled (compiler/ad/batch.ts); the default glue calls it
          if (!built.vmap) {
            const pre = checks ? `(() => { ${checks} })(), ` : "";
            let replacement = isLeaf(built.tree, fn) ? (cp || fn.inTrees ? `((...a${anyA}) => ${callName(built.fn)}(${cp}${spread("a")}))` : built.fn) : `((...a${anyA}) => { const r = ${callName(built.fn)}(${cp}${spread("a")}); return ${treeOf("r")}; })`;
            // (a program of Tensors runs its row loop on the device through the ops instead)
            const tgt = built.gpu && program.fns.get(built.gpu.target)!;
            const scalarOnly = tgt && !tgt.params.some((p) => p.type.k === "tensor" || p.type.k === "opaque");
            if (built.gpu && !cp && scalarOnly && !fn.inTrees) {
              // WebGPU inputs run the row kernel the compiler emits for a scalar program (or say why there is none)
              const k = vmapKernel(simplifiedFns(program.fns), built.gpu, fn, `vmap_${built.fn}`, analyseKernel);
              if (k.text) Object.assign(vmapShaders, { [k.name]: k.text }, kernelsFor(["reshape", "select", "permute"]), { copy_strided: kernelText("copy_strided") });
              usesVmap = true;
              const gpuCall = `__jt.gpuVmapScalar(${k.text ? JSON.stringify(k.name) : "null"}, ${JSON.stringify(k.meta)}, a, [${k.externals.join(", ")}])`;
              replacement = `((...a${anyA}) => { const r = __jt.adOnWebGPU(a) ? ${gpuCall} : ${callName(built.fn)}(...a); return ${isLeaf(built.tree, fn) ? "r" : treeOf("r")}; })`;
            }
            replacement = withTrees(replacement);
            s.overwrite(call.getStart(mod.sf), call.getEnd(), pre ? `(${pre}${replacement})` : replacement);
            break;
          }
          // dims computed at run time: the runtime runs the compiled function once per row and stacks the results
          usesVmap = true;
          const inner = isLeaf(built.tree, fn) ? (cp || fn.inTrees ? `((...a${anyA}) => ${callName(built.fn)}(${cp}${spread("a")}))` : built.fn) : `((...a${anyA}) => { const r = ${callName(built.fn)}(${cp}${spread("a")}); return ${treeOf("r")}; })`;
          const pre = checks ? `(() => { ${checks} })(), ` : "";
          const body = withTrees(`((...args${anyA}) => __jt.adVmap(${inner}, args, ${built.vmap!.inDims}, ${built.vmap!.outDims}))`);
          s.overwrite(call.getStart(mod.sf), call.getEnd(), pre ? `(${pre}${body})` : body);
          break;
        }
        case "hessian":
          if (built.sparse && !cp) {
            // column-coloured Hessian: the pattern twin decides how few sweeps are needed
            usesVmap = true; // (needs the runtime namespace)
            roots.delete(built.fn); // the dense driver is not used
            // the laned sweep, or one sweep per colour where the sweep cannot carry lanes
            const sweep = built.sparse.lanes?.fn ?? built.sparse.jvpFn;
            roots.add(sweep);
            // its argument checks are (count and kinds, a number[]'s elements), before any work
            const args = argumentChecks(program, fn);
            roots.add(args);
            const pat = emitPatterns(program.fns, built.sparse.fn, tsOut);
            if (!extraCode.includes(pat.code)) extraCode.push(pat.code);
            const pre = checks ? `(() => { ${checks} })(), ` : "";
            const nParams = program.fns.get(built.sparse.fn)!.params.length;
            // one cache per marker: the pattern and colouring per argument lengths (ad/shape-only.ts)
            let cache = "";
            if (built.sparse.cacheable) {
              const name = `__jaccHessianCache_${built.sparse.jvpFn}`;
              // a hoisted function: the module's own top-level code may call the Hessian before the end of the module
              const a = tsOut ? ": any" : "";
              const decl = `function ${name}()${a} { const f${a} = ${name}; return f.map ?? (f.map = new Map()); }`;
              if (!extraCode.includes(decl)) extraCode.push(decl);
              cache = `, ${name}()`;
            }
            const lanes = built.sparse.lanes ? `${cache || ", undefined"}, ${built.sparse.lanes.fn}, ${built.sparse.lanes.L}, ${built.sparse.lanes.scratch}` : cache;
            const body = `((...args${anyA}) => __jt.adHessianSparse(${callName(args)}(...args), ${built.sparse.argnum}, ${pat.name}, ${built.sparse.lanes ? "undefined" : sweep}, ${nParams}, ${JSON.stringify(fn.arity?.label ?? "hessian")}${lanes}))`;
            s.overwrite(call.getStart(mod.sf), call.getEnd(), pre ? `(${pre}${body})` : body);
            break;
          }
        // falls through
        default: {
          const pre = checks ? `(() => { ${checks} })(), ` : "";
          replacement = isLeaf(built.tree, fn) ? (cp || fn.inTrees ? `((...a${anyA}) => ${callName(built.fn)}(${cp}${spread("a")}))` : built.fn) : `((...a${anyA}) => { const r = ${callName(built.fn)}(${cp}${spread("a")}); return ${treeOf("r")}; })`;
          replacement = withTrees(replacement);
          s.overwrite(call.getStart(mod.sf), call.getEnd(), pre ? `(${pre}${replacement})` : replacement);
        }
      }
      if (options.explain) reports.push(explainMarker(program, mc, call, mod.sf, built));
    } catch (err) {
      if (err instanceof DiagnosticError) diagnostics.push(err.diagnostic);
      else if (err instanceof Error) diagnostics.push(makeDiagnostic(call, "internal", `internal compiler error: ${err.message}`));
      else throw err;
    }
  }
  if (diagnostics.length) return { code: "", map: null, diagnostics: uniqueDiagnostics(diagnostics), shaders: {}, changed: true };

  const checkIR = (after: string, m: ReadonlyMap<string, Fn>) => options.checkIR && checkModule(after, m, program.fns);
  const reachableFns = () => new Map(reachable(program.fns, [...roots]).map((f) => [f, program.fns.get(f)!]));
  checkIR("lowering and the AD transforms", reachableFns());
  // Drivers of straight-line tensor code run their structured twins (every transform is built by now).
  useStructuredTwins(program.fns);
  checkIR("the structured twins", reachableFns());
  // Emit every IR function the markers reach.
  const emitter = new JsEmitter({ ts: tsOut, file: fileName });
  emitter.tupleOf = (name) => {
    const f = program.fns.get(name)!;
    return f.tupleResult || f.results.length !== 1;
  };
  const order = reachable(program.fns, [...roots]);
  const caps = transitiveCaptures(program.fns, order);
  emitter.capsOf = (name) => caps.get(name) ?? [];
  // locals never shadow a generated function (or the runtime's names)
  const globalNames = new Set([...order, ...Object.values(RT)]);
  const helpers = new FusedHelpers();
  // simplify, device numbers, fusion, names (compiler/pipeline.ts)
  const fused = runPasses(new Map(order.map((f) => [f, program.fns.get(f)!])), program.fns, {
    globalNames, fuse: options.paths?.fuse === false ? undefined : helpers, checkIR: options.checkIR,
  });
  const generated = order.map((f) => emitter.fn(fused.get(f)!)).join("\n\n");
  const fusedText = renderFused(helpers, tsOut);
  extraCode.push(...fusedText.code);
  // after the leading imports: an import further down is hoisted, but the prelude must run before any user code
  const firstCode = mod.sf.statements.findIndex((st) => !ts.isImportDeclaration(st));
  const lastImport = (firstCode < 0 ? [...mod.sf.statements] : mod.sf.statements.slice(0, firstCode)).reverse().find((st) => ts.isImportDeclaration(st));
  const at = lastImport ? lastImport.getEnd() : 0;
  // on the first line, so that no line of the user's code moves (source maps stay exact)
  let tensorImport = emitter.usesRuntime || usesVmap ? `import * as __jt from "jacc/internal"; ` : "";
  let generatedPart = `\n\n// ---- jacc: generated derivative code (do not edit; regenerate with jacc)\n${generated}\n${extraCode.length ? `\n${extraCode.join("\n\n")}\n` : ""}`;
  // (the WGSL function is appended below, once the module's kernels are known)
  // (the user's text is parsed, the generated text, ours and large, only scanned: parsing it cost a fifth of compileModule)
  const userRead = identifiersRead(ts.createSourceFile("user.ts", s.toString(), ts.ScriptTarget.Latest, true, ts.ScriptKind.TS));
  removeUnusedJaccImports(mod, s, new Set([...userRead, ...identifiersScanned(generatedPart)]));
  // the functions only markers read are still read (a user's noUnusedLocals on the output; the same text
  // for both targets); the user's remaining text decides (a generated local of the same name is another variable)
  const unread = unreadDeclarations(mod.sf, userRead);
  if (unread.length) generatedPart += `\n// the functions the markers above differentiate (read here, so noUnusedLocals holds)\nvoid [${unread.join(", ")}];\n`;

  let code: string;
  // WebGPU: the WGSL kernels this module's tensor code can reach, registered on its first line (a hoisted function holds them)
  const shaders = { ...(usesTensors(mod.jaccImports, generatedPart, mod.jaccNamespaces.size > 0) ? kernelsForCode(s.toString() + generatedPart, mod.jaccImports) : {}), ...vmapShaders, ...fusedText.kernels };
  const gpuPart = Object.keys(shaders).length ? wgslFunction(shaders, tsOut) : "";
  const gpuRegister = gpuPart ? `${emitter.usesRuntime || usesVmap ? "" : `import * as __jt from "jacc/internal"; `}__jt.gpuKernels(__jaccWgsl()); ` : "";
  tensorImport += gpuRegister;
  // the helpers the module uses (after the imports), and the Tensor class if they or the generated code name it
  const prelude = emitPrelude({ ts: tsOut, file: fileName }, s.toString() + generatedPart + gpuPart);
  s.appendRight(at, `${at ? "\n" : ""}${prelude}`);
  if (new RegExp(`\\b${RT.tensor}\\b`).test(prelude + generatedPart)) tensorImport = `import { Tensor as ${RT.tensor} } from "jacc/internal"; ` + tensorImport;
  // the runtime imports go first: type stripping must not elide them (only generated code uses them)
  if (tsOut) s.prepend(tensorImport);
  const map = s.generateMap({ hires: true, source: fileName, includeContent: true });
  if (tsOut) code = s.toString() + generatedPart + gpuPart;
  else {
    // Only the user's text needs its types stripped: the generated part is emitted as JavaScript.
    const out = ts.transpileModule(s.toString(), {
      fileName,
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, verbatimModuleSyntax: false, sourceMap: false, removeComments: false },
    });
    code = tensorImport + out.outputText.replace(/\n\/\/# sourceMappingURL=.*$/, "") + generatedPart;
    if (gpuPart) code += gpuPart;
    // TypeScript's emit keeps line structure for type-only removals: the map above stays a close approximation.
  }
  return { code, map, diagnostics, shaders, changed: true, markers: options.explain ? reports : undefined };
}

/**
 * A module works with Tensors when it imports from "jacc" more than markers
 * (the Tensor type, factories, ops) or its generated code calls a tensor op.
 */
function usesTensors(imports: Map<string, string>, generated: string, namespaces = false): boolean {
  for (const exported of imports.values()) if (!MARKERS.has(exported)) return true;
  if (namespaces) return true; // (import * as jc from "jacc": its ops are jc.exp(…))
  for (const m of generated.matchAll(/__jt\.(\w+)\(/g)) if (!m[1].startsWith("ad") && m[1] in RUNTIME_KERNELS) return true;
  return false;
}

/** The module's WGSL as string constants in one hoisted function (the first line calls it before any user code runs). */
function wgslFunction(shaders: Record<string, string>, tsOut: boolean): string {
  // (template literals: a backquote, a backslash or "${" in a shader's comments must not end or interpolate them)
  const entries = Object.entries(shaders).map(([name, text]) => `    ${name}: \`\n${templateText(text)}\`,`);
  return [
    "",
    "// ---- jacc: WGSL compute shaders of this module's tensor ops (WebGPU); the runtime compiles them on first use",
    `function __jaccWgsl()${tsOut ? ": Record<string, string>" : ""} {`,
    "  return {",
    ...entries,
    "  };",
    "}",
    "",
  ].join("\n");
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

/** A JS expression building the user's nested result from the flat results `r`. */
function treeExpr(tree: Tree, r: string, fn: Fn): string {
  const single = !fn.tupleResult;
  return buildTree(tree, (t) => (single ? r : `${r}[${t}]`));
}

/** A JS expression of a tree: arrays for tuples, object literals for records, `leaf(i)` at each leaf. */
function buildTree(t: Tree, leaf: (i: number) => string): string {
  if (typeof t === "number") return leaf(t);
  if (Array.isArray(t)) return `[${t.map((x) => buildTree(x, leaf)).join(", ")}]`;
  return `({ ${t.keys.map((k, i) => `${JSON.stringify(k)}: ${buildTree(t.items[i], leaf)}`).join(", ")} })`; // (parenthesised: an arrow may return it)
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
  const { flat, pre } = flatPrimals(f, "p", "vjp");
  // one cotangent per parameter, structured as the parameters are
  const back = f.inTrees ? `((c${anyT}) => ${buildTree(f.inTrees, (i) => `c[${i}]`)})(${callName(vjpFn.name)}(${caps(vjpFn.name)}...${flat}, ${cts}))` : `${callName(vjpFn.name)}(${caps(vjpFn.name)}...${flat}, ${cts})`;
  const head = `((p${anyT}) => { ${pre}const r${anyT} = ${callName(f.name)}(${caps(f.name)}...${flat}); return [${out}, (ct${anyT}) => ${back}${aux}]; })(`;
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
  const { flat, pre } = flatPrimals(f, "p", "jvp");
  const tf = flatPrimals(f, "t", "jvp");
  const tangents = f.params.map((p, i) => (p.type.k === "vec" ? `__jaccVecOf(${tf.flat}[${i}])` : `${tf.flat}[${i}]`)).join(", ");
  const head = `((p${anyT}, t${anyT}) => { ${pre}${tf.pre}const r${anyT} = ${callName(jvpFn.name)}(${caps(jvpFn.name)}...${flat}, ${tangents}); return [${build(outTree, val)}, ${build(outTree, tan)}${aux}]; })(`;
  return [head, `)`];
}

/** vjp / jvp: primals (tangents) with records among them, as the leaves f takes (runtime/pytree.ts). */
function flatPrimals(f: Fn, name: string, marker: string): { flat: string; pre: string } {
  if (!f.inTrees) return { flat: name, pre: "" };
  return { flat: `${name}f`, pre: `const ${name}f = __jt.adFlatten(${name}, ${JSON.stringify(f.inTrees)}, ${f.inTrees.length}, ${JSON.stringify(`${marker}(${f.source ?? f.name})`)}); ` };
}

/** The aux of f's `[output, aux]` from its flat results `r`. */
function auxExpr(f: Fn): string {
  return Array.isArray(f.outTree) && f.outTree.length === 2 ? buildTree(f.outTree[1], (i) => `r[${i}]`) : "r[1]";
}

/** Per leaf of a tree, the JS path reading it from `base` (ct.W1, ct[0].x). */
function leafPaths(t: Tree, base: string, out = new Map<number, string>()): Map<number, string> {
  if (typeof t === "number") out.set(t, base);
  else if (Array.isArray(t)) t.forEach((x, i) => leafPaths(x, `${base}[${i}]`, out));
  else t.keys.forEach((k, i) => leafPaths(t.items[i], `${base}[${JSON.stringify(k)}]`, out));
  return out;
}

/** Variables of enclosing (non-module) scopes each function reads, itself or through its callees. */
function transitiveCaptures(fns: Map<string, Fn>, names: string[]): Map<string, string[]> {
  const out = new Map<string, Set<string>>(names.map((n) => [n, new Set(fns.get(n)!.captures)]));
  const callees = new Map<string, string[]>();
  for (const n of names) callees.set(n, reachable(fns, [n]).slice(1));
  let changed = true;
  while (changed) {
    changed = false;
    for (const n of names) {
      const set = out.get(n)!;
      for (const c of callees.get(n)!) for (const x of out.get(c) ?? []) if (!set.has(x)) (set.add(x), (changed = true));
    }
  }
  return new Map([...out].map(([k, v]) => [k, [...v].sort()]));
}

function reachable(fns: Map<string, Fn>, roots: string[]): string[] {
  const seen = new Set<string>();
  const order: string[] = [];
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    order.push(name);
    const f = fns.get(name)!;
    const walkS = (list: Fn["body"]) => {
      for (const st of list) {
        if (st.k === "call") visit(st.fn);
        if (st.k === "if") (walkS(st.then), walkS(st.else));
        if (st.k === "loop") (walkS(st.pre), walkS(st.body));
        if (st.k === "for") walkS(st.body);
      }
    };
    walkS(f.body);
  };
  roots.forEach(visit);
  return order;
}

/** Drops marker imports whose every use was compiled, so bundles carry no stubs. */
/**
 * Drops the names imported from "jacc" that nothing reads once the markers are
 * replaced: the compiled markers, and ops or types used only inside the
 * replaced text (`jacobian((x: Tensor) => x.exp(), v)`), so the output passes
 * noUnusedLocals. Whatever the module's text after the replacements, or the
 * generated code, still names stays.
 */
function removeUnusedJaccImports(mod: ReturnType<typeof parseModule>, s: MagicString, read: Set<string>): void {
  for (const st of mod.sf.statements) {
    if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier) || st.moduleSpecifier.text !== "jacc") continue;
    const nb = st.importClause?.namedBindings;
    if (!nb || !ts.isNamedImports(nb)) continue;
    const keep = nb.elements.filter((el) => read.has(el.name.text));
    if (keep.length === nb.elements.length) continue;
    if (keep.length === 0 && !st.importClause?.name) s.overwrite(st.getStart(mod.sf), st.getEnd(), `/* jacc: markers compiled */`);
    else if (keep.length === 0) s.overwrite(st.importClause!.name!.getEnd(), nb.getEnd(), "");
    else s.overwrite(nb.getStart(mod.sf), nb.getEnd(), `{ ${keep.map((el) => el.getText(mod.sf)).join(", ")} }`);
  }
}

/** The names a module reads: identifiers outside imports, other than property names and the names declarations bind. */
function identifiersRead(sf: ts.SourceFile): Set<string> {
  const read = new Set<string>();
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n)) return;
    const p = n.parent;
    const bound = p && (ts.isVariableDeclaration(p) || ts.isFunctionDeclaration(p) || ts.isParameter(p)) && p.name === n;
    if (ts.isIdentifier(n) && !bound && !(p && ts.isPropertyAccessExpression(p) && p.name === n)) read.add(n.text);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return read;
}

/**
 * The identifiers of generated text by its tokens, property names after `.`
 * left out (over-approximate where a generated declaration shares a user's
 * name: an import is then kept, never wrongly dropped).
 */
function identifiersScanned(text: string): Set<string> {
  const read = new Set<string>();
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, true, ts.LanguageVariant.Standard, text);
  let prev = ts.SyntaxKind.Unknown;
  const braces: number[] = []; // open braces inside each `${` of the templates being read
  for (let k = scanner.scan(); k !== ts.SyntaxKind.EndOfFileToken; k = scanner.scan()) {
    if (k === ts.SyntaxKind.TemplateHead) braces.push(0);
    else if (k === ts.SyntaxKind.OpenBraceToken && braces.length) braces[braces.length - 1]++;
    else if (k === ts.SyntaxKind.CloseBraceToken && braces.length) {
      // the `}` of a `${…}`: the template's text goes on (a middle part, or the tail that ends it)
      if (braces[braces.length - 1] > 0) braces[braces.length - 1]--;
      else if (scanner.reScanTemplateToken(false) === ts.SyntaxKind.TemplateTail) braces.pop();
    }
    if (k === ts.SyntaxKind.Identifier && prev !== ts.SyntaxKind.DotToken && prev !== ts.SyntaxKind.QuestionDotToken) read.add(scanner.getTokenValue());
    prev = k;
  }
  return read;
}

/**
 * The module-level functions and constants the source reads (a marker's
 * function, `grad(f)`) that the output no longer does: with the markers
 * replaced only the generated code stands for them, and a user's
 * noUnusedLocals would reject the declaration.
 */
function unreadDeclarations(sf: ts.SourceFile, readAfter: Set<string>): string[] {
  const readBefore = identifiersRead(sf);
  const exported = (st: ts.Statement) => ts.canHaveModifiers(st) && !!ts.getModifiers(st)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  const names: string[] = [];
  for (const st of sf.statements) {
    if (exported(st)) continue;
    if (ts.isFunctionDeclaration(st) && st.name) names.push(st.name.text);
    else if (ts.isVariableStatement(st)) for (const d of st.declarationList.declarations) if (ts.isIdentifier(d.name)) names.push(d.name.text);
  }
  return names.filter((n) => readBefore.has(n) && !readAfter.has(n));
}

/** The Hessian path the emission takes: a function that reads captured locals keeps the dense sweeps (compileModule's "hessian" case). */
/** The locals of enclosing scopes function `name` and what it calls read (passed in first by the glue). */
function capturesOf(program: Program, name: string): string[] {
  return transitiveCaptures(program.fns, reachable(program.fns, [name])).get(name) ?? [];
}

function hessianAsEmitted(program: Program, built: Built): Built | { sparse?: undefined; dense: string } {
  if (!built.sparse) return built;
  const caps = capturesOf(program, built.fn);
  return caps.length ? { dense: `it reads captured locals (${caps.join(", ")}), which the coloured path does not pass` } : built;
}

function explainMarker(program: Program, mc: MarkerCompiler, call: ts.CallExpression, sf: ts.SourceFile, built: Built): MarkerReport {
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

import { resultDeps } from "./ad/activity.js";
import { outputsOf } from "./ad/drivers.js";
import { modeAdvice } from "./ad/mode-advice.js";

/** Static dependence of each output on each parameter (activity analysis). */
function sparsityOf(program: Program, mc: MarkerCompiler, call: ts.CallExpression): MarkerReport["sparsity"] {
  const target = mc.resolveFunc(call.arguments[0], program.main);
  const f = program.fns.get(target.fn)!;
  const outs = outputsOf(f, false);
  const inputs = f.params.map((p) => p.name);
  const pattern = outs.leaves.map((leaf) => f.params.map((_, j) => resultDeps(program.fns, target.fn, f.params.map((_, q) => q === j))[leaf]));
  return { outputs: outs.leaves.map((l) => (outs.leaves.length > 1 ? `out[${l}]` : "out")), inputs, pattern };
}
