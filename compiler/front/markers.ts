// Markers: reading a marker call (its function and literal options), checking
// the options at compile time (SPEC §2), and building the IR function it
// stands for. Used both for markers in ordinary code (replaced in the text)
// and for markers inside differentiated functions (lowered into the IR).
import ts from "typescript";
import { type Atom, type Fn, NUM, type Stmt, TENSOR, v, hasList, isListTree, isRecordTree, leavesOf, lit, mapTree, sourceParams, type Tree, type TreeList, userName } from "../ir/ir.js";
import { resultDeps } from "../ad/activity.js";
import { buildJacobian, buildJvp, buildVjp, driverInfo, outputsOf } from "../ad/drivers.js";
import { usesTape } from "../ad/vjp.js";
import { BatchError, buildVmap, buildVmapEntry, type VmapSpec } from "../ad/batch.js";
import { buildNestedVmap, type VmapLevels } from "../ad/batch-nested.js";
import { gradSources, hessSources } from "../ad/grad-line.js";
import { jacSources } from "../ad/jac-batch.js";
import { jacobianOfVmap } from "../ad/jac-vmap.js";
import type { Ctx } from "../ad/jvp.js";
import { fail } from "./diagnostics.js";
import { type FnLowerer, type FnTarget, MARKER_NAMES, type Program, type Val, valOfTree } from "./lower.js";
import { findDeclaration, findExport, jaccExportOf, loadImported, namespaceMember, skipParens, type SourceModule } from "./module.js";
import { opAsFunction } from "./tensor-ops.js";
import { wrapperFn } from "../ad/wrapper.js";
import { jvpLanes, intoScratch, HESSIAN_LANES } from "../ad/lanes.js";
import { pathDependsOnLengthsOnly } from "../ad/shape-only.js";
import { jvpOf } from "../ad/jvp.js";

export interface Options {
  [k: string]: { node: ts.Expression; value?: unknown; literal: boolean };
}

const KNOWN: Record<string, string[]> = {
  jacobian: ["createGraph", "strict", "vectorize", "strategy"],
  jacrev: ["argnums", "hasAux", "chunkSize"],
  jacfwd: ["argnums", "hasAux", "randomness"],
  hessian: ["argnums"],
  grad: ["argnums", "hasAux"],
  vjp: ["hasAux"],
  jvp: ["hasAux"],
  vmap: ["inDims", "outDims", "randomness", "chunkSize"],
};

function literalValue(e: ts.Expression): { value?: unknown; literal: boolean } {
  e = skipParens(e);
  if (ts.isNumericLiteral(e)) return { value: Number(e.text), literal: true };
  if (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(e.operand)) return { value: -Number(e.operand.text), literal: true };
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return { value: e.text, literal: true };
  if (e.kind === ts.SyntaxKind.TrueKeyword) return { value: true, literal: true };
  if (e.kind === ts.SyntaxKind.FalseKeyword) return { value: false, literal: true };
  if (e.kind === ts.SyntaxKind.NullKeyword) return { value: null, literal: true };
  if (ts.isArrayLiteralExpression(e)) {
    const items = e.elements.map(literalValue);
    if (items.every((i) => i.literal)) return { value: items.map((i) => i.value), literal: true };
  }
  // (a record of dims: vmap's inDims for a record argument)
  if (ts.isObjectLiteralExpression(e) && e.properties.every((p) => ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)))) {
    const entries = e.properties.map((p) => [(p.name as ts.Identifier).text, literalValue((p as ts.PropertyAssignment).initializer)] as const);
    if (entries.every(([, x]) => x.literal)) return { value: Object.fromEntries(entries.map(([k, x]) => [k, x.value])), literal: true };
  }
  return { literal: false };
}

export function readOptions(marker: string, node: ts.Expression | undefined): Options {
  const out: Options = {};
  if (!node) return out;
  const e = skipParens(node);
  if (!ts.isObjectLiteralExpression(e)) fail(node, "invalid-option", `the options of \`${marker}\` must be an object literal`);
  for (const p of e.properties) {
    if (!ts.isPropertyAssignment(p) || !(ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) fail(p, "invalid-option", `options of \`${marker}\` must be written \`name: value\``);
    const name = p.name.text;
    if (!KNOWN[marker].includes(name)) fail(p.name, "invalid-option", `unknown option \`${name}\` of \`${marker}\` (known: ${KNOWN[marker].join(", ")})`);
    out[name] = { node: p.initializer, ...literalValue(p.initializer) };
  }
  return out;
}

/**
 * The parameters a marker differentiates must be numbers, arrays or Tensors:
 * another type (a config object, a string) is a constant of the function,
 * read as it is, never differentiated (PyTorch's and JAX's pytrees of records
 * are not supported yet).
 */
function differentiable(f: Fn, argnums: readonly number[], at: ts.Node, marker: string): void {
  for (const i of argnums) {
    const p = f.params[i];
    if (p?.type.k !== "opaque") continue;
    const how = ["jacobian", "vjp", "jvp"].includes(marker) ? "differentiate a function of the others that closes over it" : "leave it out of `argnums` (it is then read as a constant)";
    // (a record with a leaf of another type names that leaf)
    const what = p.opaqueWhy ? `which is not a number, numeric array, Tensor or record of them (${p.opaqueWhy})` : "which is not a number, array or Tensor";
    const at2 = sourceParams(f).findIndex((t) => leavesOf(t).includes(i));
    fail(at, "unsupported-type", `\`${marker}\` would differentiate \`${userName(p)}\` (parameter ${at2} of \`${f.source ?? f.name}\`), ${what}: ${how}`);
  }
}

/** A Hessian's tree with the lists of its outer (gradient) level running along the blocks' first dim. */
function outerListsFirst(t: Tree): Tree {
  if (typeof t === "number") return t;
  if (Array.isArray(t)) return t.map(outerListsFirst);
  if (isListTree(t)) return typeof t.of === "number" ? t : { ...t, axis: 0 };
  return { keys: t.keys, items: t.items.map(outerListsFirst) };
}

/**
 * Source argnums → the flat parameters they hold (a record's leaves), and how
 * the blocks of one output nest: the input's structure (undefined: flat).
 */
function flatArgnums(f: Fn, argnums: number[], tuple: boolean): { flat: number[]; inTree?: Tree } {
  if (!f.inTrees) return { flat: argnums };
  const trees = argnums.map((i) => f.inTrees![i]);
  const flat = trees.flatMap(leavesOf);
  const k = (leaf: number) => flat.indexOf(leaf);
  return { flat, inTree: tuple ? trees.map((t) => mapTree(t, k)) : mapTree(trees[0], k) };
}

/** argnums → indices (checked), and whether results are indexed by input. */
export function readArgnums(o: Options, nParams: number, marker: string): { argnums: number[]; tuple: boolean } {
  const a = o.argnums;
  if (!a) return { argnums: [0], tuple: false };
  if (!a.literal) fail(a.node, "invalid-option", `\`argnums\` of \`${marker}\` must be a literal (the result's structure depends on it)`);
  const list = Array.isArray(a.value) ? (a.value as unknown[]) : [a.value];
  if (Array.isArray(a.value) && list.length === 0) fail(a.node, "invalid-option", "`argnums` must not be empty");
  const seen = new Set<number>();
  for (const x of list) {
    if (typeof x !== "number" || !Number.isInteger(x) || x < 0) fail(a.node, "invalid-option", `\`argnums\` must hold non-negative integers, got ${JSON.stringify(x)}`);
    if (x >= nParams) fail(a.node, "invalid-option", `\`argnums\` ${x} is out of range: the function has ${nParams} parameter(s)`);
    if (seen.has(x)) fail(a.node, "invalid-option", `\`argnums\` repeats ${x}`);
    seen.add(x);
  }
  return { argnums: list as number[], tuple: Array.isArray(a.value) };
}

function boolOpt(o: Options, name: string, dflt: boolean): boolean {
  const x = o[name];
  if (!x) return dflt;
  if (!x.literal || typeof x.value !== "boolean") fail(x.node, "invalid-option", `\`${name}\` must be \`true\` or \`false\` (a literal)`);
  return x.value as boolean;
}

/** A computed option's value in a generated message: strings quoted (`"2"` is not 2). */
const GOT = `\${typeof __jaccOpt === "string" ? JSON.stringify(__jaccOpt) : String(__jaccOpt)}`;

/**
 * Checks chunkSize / strategy / randomness; returns run-time checks for
 * computed values (`undefined` is the default, as if the option were absent).
 */
export function checkCommon(o: Options, marker: string): string[] {
  const runtime: string[] = [];
  const cs = o.chunkSize;
  if (cs) {
    if (cs.literal) {
      if (typeof cs.value !== "number" || !Number.isInteger(cs.value) || cs.value < 1) fail(cs.node, "invalid-option", `\`chunkSize\` must be an integer ≥ 1, got ${JSON.stringify(cs.value)}`);
    } else runtime.push(`{ const __jaccOpt = ${cs.node.getText()}; if (__jaccOpt !== undefined && !(Number.isInteger(__jaccOpt) && __jaccOpt >= 1)) throw new RangeError(\`${marker}: chunkSize must be an integer >= 1, got ${GOT}\`); }`);
  }
  const st = o.strategy;
  if (st) {
    if (st.literal) {
      if (st.value !== "reverse-mode" && st.value !== "forward-mode") fail(st.node, "invalid-option", `\`strategy\` must be "reverse-mode" or "forward-mode", got ${JSON.stringify(st.value)}`);
    } else runtime.push(`{ const __jaccOpt = ${st.node.getText()}; if (__jaccOpt !== undefined && __jaccOpt !== "reverse-mode" && __jaccOpt !== "forward-mode") throw new RangeError(\`${marker}: strategy must be "reverse-mode" or "forward-mode", got ${GOT}\`); }`);
  }
  const rnd = o.randomness;
  if (rnd) {
    if (rnd.literal) {
      if (rnd.value !== "error" && rnd.value !== "different" && rnd.value !== "same") fail(rnd.node, "invalid-option", `\`randomness\` must be "error", "different" or "same", got ${JSON.stringify(rnd.value)}`);
    } else runtime.push(`{ const __jaccOpt = ${rnd.node.getText()}; if (__jaccOpt !== undefined && __jaccOpt !== "error" && __jaccOpt !== "different" && __jaccOpt !== "same") throw new RangeError(\`${marker}: randomness must be "error", "different" or "same", got ${GOT}\`); }`);
  }
  for (const name of ["hasAux", "createGraph", "strict", "vectorize"]) if (o[name]) boolOpt(o, name, false);
  return runtime;
}

export interface Built {
  fn: string; // the IR function the marker stands for
  tree: Tree; // how its results nest for the user
  singleInput?: boolean; // jacobian: inputs is the single input (not a tuple)
  nodiff?: boolean;
  runtimeChecks: string[];
  kind: string;
  hasAux: boolean;
  outTree?: Tree; // vjp / jvp: the structure of f's outputs
  src?: string; // vjp / jvp: f's IR function
  vmap?: { inDims: string; outDims: string }; // vmap: the dims as source text (checked when literal)
  closure?: string; // vmap of a vjp's function: the closure's source text (mapped at run time)
  /** a top-level vmap of a function whose trailing parameters may be left out: a call that does maps `fn` row by row at run time */
  rows?: { fn: string; min: number; n: number; inDims: string; outDims: string };
  /** a top-level vmap: the function it batches, for the WebGPU kernel (one invocation per row) */
  gpu?: { target: string; inDims: (number | null)[]; outDims: (number | null)[]; label: string };
  /** hessian with a sparsity-pattern twin: one sweep per column colour */
  sparse?: { argnum: number; fn: string; jvpFn: string; cacheable: boolean; lanes?: { fn: string; L: number; scratch: number } };
  /** hessian: why it runs dense (one sweep per input) when `sparse` is undefined */
  dense?: string;
  /** inside a differentiated function, a local function's captured variables: trailing parameters of `fn`, which the caller passes */
  extra?: Atom[];
}

export class MarkerCompiler {
  /**
   * `unpatternable`: why the Hessian's pattern twin (compiler/emit/pattern.ts) cannot follow function
   * `name`, or undefined when it can; the caller provides it (the front end does not import emitters).
   */
  constructor(
    readonly program: Program,
    readonly ctx: Ctx,
    readonly defaultStrategy: "reverse-mode" | "forward-mode" = "reverse-mode",
    readonly unpatternable: (fns: Program["fns"], name: string) => string | undefined = () => "no pattern twin here",
  ) {}

  markerName(callee: ts.Expression, mod: SourceModule, lowerer?: FnLowerer): string | undefined {
    const name = jaccExportOf(callee, (n, at) => (lowerer ? lowerer.lookup(n, at) : findDeclaration(n, at, mod)));
    return name && MARKER_NAMES.has(name) ? name : undefined;
  }

  /** The IR function a marker's first argument denotes. */
  resolveFunc(arg: ts.Expression, mod: SourceModule, lowerer?: FnLowerer, outer?: string): FnTarget {
    const e = skipParens(arg);
    if (ts.isCallExpression(e)) {
      const inner = this.markerName(e.expression, mod, lowerer);
      if (inner && ["jacrev", "jacfwd", "grad", "hessian"].includes(inner)) {
        this.innerMarker++;
        if (outer === "vmap") this.vmapOuter++;
        try {
          const built = this.build(e, mod, lowerer);
          return { fn: built.fn, extra: built.extra ?? [] };
        } finally {
          this.innerMarker--;
          if (outer === "vmap") this.vmapOuter--;
        }
      }
      if (inner === "vmap") return { fn: this.buildVmapCall(e, mod, lowerer), extra: [] };
      if (inner) fail(e, "unsupported-construct", `the result of \`${inner}\` is not a function`);
    }
    if (ts.isArrowFunction(e) || ts.isFunctionExpression(e)) {
      if (lowerer) {
        const val = lowerer.expr(e);
        if (val.k === "fn") return val.target;
      }
      return this.program.lowerDecl({ k: "function", node: e, name: "fn", module: mod });
    }
    if (ts.isPropertyAccessExpression(e)) {
      // jacrev(jc.sin): one of jacc's own ops through the namespace
      const exported = jaccExportOf(e, (n, at) => (lowerer ? lowerer.lookup(n, at) : findDeclaration(n, at, mod)));
      if (exported !== undefined && !MARKER_NAMES.has(exported)) return this.opFunction(e, exported);
      // grad(models.loss): a function of a module imported whole
      const member = namespaceMember(e, (n, at) => (lowerer ? lowerer.lookup(n, at) : findDeclaration(n, at, mod)));
      if (member) {
        const m = loadImported(member.module, member.spec);
        const ex = m && findExport(m, member.exported);
        if (ex && ex.k === "function") return this.program.lowerDecl(ex);
        fail(e, "unresolved", `cannot resolve \`${e.getText()}\` from "${member.spec}" to a function`);
      }
    }
    if (ts.isIdentifier(e)) {
      if (lowerer) {
        const val = lowerer.expr(e);
        if (val.k === "fn") return val.target;
        fail(e, "unresolved", `\`${e.text}\` is not a function jacc can resolve statically`);
      }
      const d = findDeclaration(e.text, e, mod);
      if (!d) fail(e, "unresolved", `cannot resolve \`${e.text}\``);
      if (d.k === "function") return this.program.lowerDecl(d);
      if (d.k === "jacc") return this.opFunction(e, d.exported); // one of jacc's own ops: jacrev(sin)
      if (d.k === "import") {
        const m = loadImported(d.module, d.spec);
        const ex = m && findExport(m, d.exported);
        if (ex && ex.k === "function") return this.program.lowerDecl(ex);
        fail(e, "unresolved", `cannot resolve \`${e.text}\` from "${d.spec}" to a function`);
      }
      if (d.k === "var") {
        const init = d.node.initializer && skipParens(d.node.initializer);
        if (init && ts.isCallExpression(init) && this.markerName(init.expression, mod)) return this.resolveFunc(init, d.module);
      }
      fail(e, "unresolved", `\`${e.text}\` is not a function jacc can resolve statically (a function declaration, a const arrow or function, an import, or a marker's result)`);
    }
    fail(e, "unresolved", `the function given to a marker must be statically resolvable, not \`${e.getText().slice(0, 40)}\``);
  }

  private opFunction(e: ts.Expression, exported: string): FnTarget {
    const op = opAsFunction(exported, this.program.fnNames.claim(exported));
    if (!op) fail(e, "unsupported-construct", `jacc's \`${exported}\` cannot be differentiated as a function (use an arrow: (x: Tensor) => …)`);
    this.program.add(op);
    return { fn: op.name, extra: [] };
  }

  /** Builds the IR function of a marker call (user-facing functions check their argument count). */
  build(call: ts.CallExpression, mod: SourceModule, lowerer?: FnLowerer): Built {
    const built = this.buildInner(call, mod, lowerer);
    const fn = this.program.fns.get(built.fn)!;
    if (!lowerer && built.kind !== "jvp" && built.kind !== "vmap" && !fn.arity) {
      const src = this.program.fns.get(this.resolveFunc(call.arguments[0], mod).fn)!;
      const n = src.params.length;
      // (a parameter without a default is required: a marker's result, as jacrev(f) given to jacfwd, records none)
      const required = src.params.reduce((m, _, i) => (src.defaults?.[i] ? m : i + 1), 0);
      const extra = fn.params.length - src.params.length; // vjp: the cotangents
      const label = `${built.kind}(${src.source ?? src.name})`;
      // (vjp's function takes its cotangents after the primals, which the glue passes padded: every argument, the left-out ones undefined)
      fn.arity = built.kind === "vjp" && src.defaults?.slice(0, n).some(Boolean)
        ? { label, min: n + extra, max: n + extra, omittable: src.defaults.slice(0, n) }
        : { label, min: Math.max(required, built.kind === "jacobian" ? 0 : required) + extra, max: n + extra };
    }
    return built;
  }

  private buildInner(call: ts.CallExpression, mod: SourceModule, lowerer?: FnLowerer): Built {
    const marker = this.markerName(call.expression, mod, lowerer)!;
    const args = call.arguments;
    if (args.length === 0) fail(call, "arity", `\`${marker}\` needs a function`);
    const optIndex = marker === "jacobian" || marker === "vjp" ? 2 : marker === "jvp" ? 3 : 1;
    if (args.length > optIndex + 1) fail(args[optIndex + 1], "arity", `\`${marker}\` takes at most ${optIndex + 1} arguments`);
    const opts = readOptions(marker, args[optIndex]);
    const runtimeChecks = checkCommon(opts, marker);
    if (marker === "vmap" && !lowerer && this.isVjpClosure(args[0], mod)) {
      // vmap of the function a vjp returned: a closure over run-time primals, mapped row by row at run time
      const dims = (name: string) => opts[name]?.node.getText() ?? "0";
      return { fn: "", tree: 0, runtimeChecks, kind: marker, hasAux: false, vmap: { inDims: dims("inDims"), outDims: dims("outDims") }, closure: skipParens(args[0]).getText() };
    }
    let target = this.resolveFunc(args[0], mod, lowerer, marker);
    // A local function that captures variables (`vmap((x) => loss(W, x))`, `grad((u) => f(u, W))`): they are trailing
    // parameters of its IR function, which the marker leaves alone (argnums count the function's own parameters;
    // vmap's inDims give them null) and the call passes (lower.ts callTarget), so outer transforms differentiate through them.
    const captured = target.extra.length;
    // (every marker takes one inside a differentiated function, unless it takes records or tuples)
    if (captured && (!lowerer || this.program.fns.get(target.fn)!.inTrees)) {
      fail(args[0], "unsupported-construct", `a local function that captures variables of the differentiated function cannot be passed to \`${marker}\` when it takes records or tuples; pass them as parameters`);
    }
    let f = this.program.fns.get(target.fn)!;
    // the variant of f that takes the arrays of records it differentiates as flat vectors of their numbers
    const withLists = (src: readonly number[], at: ts.Node): void => {
      target = this.listTarget(target, src, at, marker, lowerer);
      f = this.program.fns.get(target.fn)!;
    };
    // SPEC §2: a random op is an error unless the marker says randomness "different" or "same"
    const randomness = opts.randomness?.literal ? opts.randomness.value : opts.randomness ? "runtime" : "error";
    this.program.randomOps.check(this.program.fns, target.fn, randomness);
    const hasAux = boolOpt(opts, "hasAux", false);
    const nOut = f.outTree === undefined ? f.results.length : Array.isArray(f.outTree) ? f.outTree.length : 1;
    if (hasAux && nOut !== 2) fail(args[0], "has-aux", `with \`hasAux: true\` the function must return \`[output, aux]\`, it returns ${nOut} value(s)`);
    const nParams = sourceParams(f, captured).length;
    const label = marker;
    switch (marker) {
      case "vmap": {
        const dimsText = (name: string): string => {
          const o = opts[name];
          if (!o) return "0";
          if (o.literal) {
            const ok = (x: unknown) => x === null || (typeof x === "number" && Number.isInteger(x));
            // (an argument's entry may follow its structure: a record of dims, a tuple of dims; vmapSpec matches them)
            const okTree = (x: unknown): boolean => ok(x) || (Array.isArray(x) ? x.every(okTree) : typeof x === "object" && Object.values(x as object).every(okTree));
            // (an output's dims may follow a structured output likewise: a record or nested tuple of dims)
            const structured = name === "inDims" ? !!f.inTrees : f.outTree !== undefined;
            const entriesOk = structured ? Array.isArray(o.value) && o.value.every(okTree) : Array.isArray(o.value) && o.value.every(ok);
            const recordOk = structured && !!o.value && typeof o.value === "object" && !Array.isArray(o.value) && okTree(o.value);
            if (!(ok(o.value) || entriesOk || recordOk)) fail(o.node, "invalid-option", `\`${name}\` must be an integer, null, or an array of them${structured ? ` (${name === "inDims" ? "an argument's entry" : "a structured output's"} may be a record or tuple of them, following its structure)` : ""}`);
            if (name === "inDims" && Array.isArray(o.value) && o.value.length !== nParams) fail(o.node, "invalid-option", `\`inDims\` has ${o.value.length} entries but the function takes ${nParams} parameter(s)`);
            // a batched number is a 1-D batch: its only dim is 0 (or -1)
            const per = (i: number) => (Array.isArray(o.value) ? o.value[i] : o.value);
            const bad = (d: unknown) => d !== null && d !== 0 && d !== -1;
            // (a record's dim is each of its leaves' dim: per flat parameter, its source parameter's entry)
            const src = (i: number) => sourceParams(f).findIndex((t) => leavesOf(t).includes(i));
            if (name === "inDims" && !f.inTrees) f.params.forEach((p, i) => p.type.k === "num" && src(i) >= 0 && bad(per(src(i))) && fail(o.node, "invalid-option", `\`inDims\` ${JSON.stringify(per(src(i)))} is out of range for the number parameter \`${userName(p)}\` (a batch of numbers has one dim: 0)`));
            if (name === "outDims" && !structured) f.results.forEach((t, i) => t.k === "num" && bad(per(i)) && fail(o.node, "invalid-option", `\`outDims\` ${JSON.stringify(per(i))} is out of range for a number output (batched numbers have one dim: 0)`));
          }
          return o.node.getText();
        };
        const dims = { inDims: dimsText("inDims"), outDims: dimsText("outDims") };
        const tree = driverInfo.get(f)?.tree ?? f.outTree ?? (f.tupleResult ? f.results.map((_, i) => i) : 0);
        const spec = this.vmapSpec(opts, f, label, args[0], captured);
        if (!spec) {
          // dims computed at run time: the runtime maps the compiled function row by row
          if (lowerer) fail(call, "unsupported-construct", "inside a differentiated function, `vmap` needs literal `inDims` and `outDims`");
          if (f.inTrees) fail(opts.inDims?.node ?? opts.outDims?.node ?? call, "unsupported-construct", "`vmap` of a function with record or tuple parameters needs literal `inDims` and `outDims` (the runtime's row loop takes numbers, arrays and Tensors)");
          return { fn: target.fn, tree, runtimeChecks, kind: marker, hasAux: false, vmap: dims };
        }
        // (an array of Tensors in the output, vmap(grad(f)): its pieces run along each block's last dim, after the batch dim)
        const lists: TreeList[] = [];
        const findLists = (t: Tree): void => void (typeof t === "object" && (isListTree(t) ? (lists.push(t), findLists(t.of)) : (Array.isArray(t) ? t : t.items).forEach(findLists)));
        findLists(tree);
        if (lists.some((t) => t.axis >= 0)) fail(call, "unsupported-construct", "`vmap` of the Hessian of an array of records or Tensors is not supported");
        if (lists.some((t) => leavesOf(t.of).some((leaf) => spec.outDims[leaf] !== 0))) fail(opts.outDims?.node ?? call, "invalid-option", "`outDims` of a result over an array of records or Tensors must be 0");
        const topLevel = !lowerer && !this.nestedVmap;
        const full = { ...spec, topLevel, randomness: String(randomness) };
        // vmap(vmap(f)): the levels over the innermost function, merged into one vmap at the top level
        const inner = this.vmapLevels.get(target.fn);
        const nest = { g: inner?.g ?? target.fn, levels: [full, ...(inner?.levels ?? [])] };
        const merged = topLevel && inner ? this.batch(() => buildNestedVmap(this.ctx, nest, spec.label), call) : undefined;
        const core = typeof merged === "string" ? merged : this.batch(() => buildVmap(this.ctx, target.fn, full), call);
        if (merged && typeof merged !== "string") this.program.fns.get(core)!.body.unshift({ k: "comment", text: `vmap path: the nested vmaps keep their row loops (${merged.reason})` });
        if (!topLevel) this.vmapLevels.set(core, nest);
        // inside another transform the core is differentiated; at the top level an entry converts arguments and results;
        // called inside a differentiated function, its batches of numbers become float64 Tensors [B] as at the top level
        const fn = !topLevel ? (lowerer && !this.nestedVmap ? numbersAsTensors(this.ctx, core, f) : core) : buildVmapEntry(this.ctx, core, spec, f.params.map((p) => p.type), f.params.map((_, i) => !!f.defaults?.[i] || (!!f.arity && i >= f.arity.min)));
        const built = this.program.fns.get(fn)!;
        if (f.inTrees) built.inTrees = f.inTrees; // (record arguments are flattened as for f)
        if (f.outTree !== undefined && !driverInfo.get(f)) built.outTree = f.outTree;
        const gpu = topLevel ? { target: target.fn, inDims: spec.inDims, outDims: spec.outDims, label: spec.label } : undefined;
        // trailing parameters with defaults, or optional, that one inDims for all batches: a call that leaves them out
        // maps f row by row over the arguments given (PyTorch applies an integer in_dims to each argument passed)
        const required = f.params.slice(0, nParams).reduce((m, _, i) => (f.defaults?.[i] ? m : i + 1), 0);
        const omitted = topLevel && !captured && !f.inTrees && required < nParams && !Array.isArray(opts.inDims?.value) && spec.inDims.slice(required).some((d) => d !== null);
        const rows = omitted ? { fn: target.fn, min: required, n: nParams, inDims: dims.inDims, outDims: dims.outDims } : undefined;
        return { fn, tree, runtimeChecks, kind: marker, hasAux: false, gpu, extra: target.extra, rows };
      }
      case "jacrev":
      case "jacfwd":
      case "grad": {
        const read = readArgnums(opts, nParams, marker);
        const { tuple } = read;
        withLists(read.argnums, opts.argnums?.node ?? args[0]);
        const { flat: argnums, inTree } = flatArgnums(f, read.argnums, tuple);
        differentiable(f, argnums, opts.argnums?.node ?? args[0], marker);
        const outs = outputsOf(f, hasAux);
        if (marker === "grad") {
          const bad = outs.leaves.length !== 1 || (f.results[outs.leaves[0]].k !== "num" && f.results[outs.leaves[0]].k !== "tensor");
          if (bad) fail(args[0], "grad-output", "`grad` needs a function with a single number output (use jacrev for vectors)");
        }
        let fn = buildJacobian(this.ctx, target.fn, { argnums, argTuple: tuple, inTree, hasAux, mode: marker === "jacfwd" ? "fwd" : "rev", label });
        // jacrev(vmap(f)) / jacfwd(vmap(f)) that nothing differentiates further: vmap(jacrev(f)), laid out (compiler/ad/jac-vmap.ts)
        const level = this.vmapLevels.get(target.fn);
        if (marker !== "grad" && level?.levels.length === 1 && !lowerer && !this.nestedVmap && !this.innerMarker && !hasAux && !tuple && !inTree && argnums.length === 1) {
          try {
            const fast = jacobianOfVmap(this.ctx, level.g, level.levels[0], argnums[0], marker === "jacfwd" ? "fwd" : "rev", fn);
            if (typeof fast !== "string") fn = fast.fn;
          } catch (err) {
            if (!(err instanceof BatchError)) throw err; // (the Jacobian of the row loop stays)
          }
        }
        if (marker === "grad" && !hasAux && !inTree) gradSources.set(this.program.fns.get(fn)!, { f: target.fn, argnums });
        if (marker !== "grad" && !hasAux && !tuple && !inTree && argnums.length === 1) jacSources.set(this.program.fns.get(fn)!, { f: target.fn, argnum: argnums[0], mode: marker === "jacfwd" ? "fwd" : "rev" });
        return { fn, tree: driverInfo.get(this.program.fns.get(fn)!)!.tree, runtimeChecks, kind: marker, hasAux, extra: target.extra };
      }
      case "hessian": {
        const read = readArgnums(opts, nParams, marker);
        const { tuple } = read;
        withLists(read.argnums, opts.argnums?.node ?? args[0]);
        const { flat: argnums, inTree } = flatArgnums(f, read.argnums, tuple);
        differentiable(f, argnums, opts.argnums?.node ?? args[0], marker);
        const lists = !!inTree && hasList(inTree);
        const out0 = outputsOf(f, false).leaves;
        if (lists && (out0.length !== 1 || (f.results[out0[0]].k !== "num" && f.results[out0[0]].k !== "tensor"))) {
          fail(args[0], "unsupported-construct", "`hessian` of an array of records or Tensors needs a function with a single number or 0-d Tensor output");
        }
        // (its blocks run along the array's pieces for a number output: a 0-d Tensor is read as one, `.item()`; another shape is a RangeError there)
        if (lists && f.results[out0[0]].k === "tensor") {
          target = { ...target, fn: itemOutput(this.ctx, f) };
          f = this.program.fns.get(target.fn)!;
        }
        const inner = buildJacobian(this.ctx, target.fn, { argnums, argTuple: tuple, inTree, hasAux: false, mode: "rev", label: "grad" });
        const fn = buildJacobian(this.ctx, inner, { argnums, argTuple: tuple, inTree, hasAux: false, mode: "fwd", label });
        const sparse = lowerer ? "inside another transform" : inTree ? "a structured (record) input" : this.sparseHessian(target.fn, inner, argnums, tuple);
        const dense = typeof sparse === "string" ? sparse : undefined;
        if (!tuple && !inTree && argnums.length === 1) hessSources.set(this.program.fns.get(fn)!, { f: target.fn, argnum: argnums[0], grad: inner });
        // (the gradient's array of records is the blocks' first dim: the function's output is a number)
        const tree = driverInfo.get(this.program.fns.get(fn)!)!.tree;
        return { fn, tree: lists ? outerListsFirst(tree) : tree, runtimeChecks, kind: marker, hasAux: false, sparse: typeof sparse === "string" ? undefined : sparse, dense, extra: target.extra };
      }
      case "jacobian": {
        if (args.length < 2) fail(call, "arity", "`jacobian` needs a function and its inputs");
        const single = this.singleInput(f, args[1], nParams);
        // inputs may leave out trailing parameters that have defaults (PyTorch calls func(*inputs))
        const given = single ? nParams : this.checkPrimals(args[1], f, nParams, `inputs must have one entry per parameter of \`${f.source ?? f.name}\``) ?? nParams;
        const src = single ? [0] : sourceParams(f).slice(0, given).map((_, i) => i);
        withLists(src, args[1]);
        const { flat: argnums, inTree } = flatArgnums(f, src, !single);
        differentiable(f, argnums, args[1], marker);
        const strategy = opts.strategy?.literal ? (opts.strategy.value as string) : this.defaultStrategy;
        const fn = buildJacobian(this.ctx, target.fn, { argnums, argTuple: !single, inTree, hasAux: false, mode: strategy === "forward-mode" ? "fwd" : "rev", label });
        if (boolOpt(opts, "strict", false)) this.checkStrict(call, f, target.fn, argnums);
        const createGraph = boolOpt(opts, "createGraph", false);
        return { fn, tree: driverInfo.get(this.program.fns.get(fn)!)!.tree, singleInput: single, runtimeChecks, kind: marker, hasAux: false, nodiff: !createGraph, extra: target.extra };
      }
      case "vjp": {
        if (args.length < 2) fail(call, "arity", "`vjp` needs a function and its primals");
        this.checkPrimals(args[1], f, nParams, "primals must have one entry per parameter");
        withLists(sourceParams(f, captured).map((_, i) => i), args[1]);
        // (captured variables are constants to this vjp; the enclosing transform differentiates through them)
        const own = f.params.length - captured;
        differentiable(f, f.params.slice(0, own).map((_, i) => i), args[1], marker);
        // (its vjp function contracts forward-mode Jacobian blocks, which no transform differentiates: plain code only)
        if (lowerer && usesTape(this.ctx.fns, target.fn)) fail(args[0], "unsupported-construct", `\`vjp\` inside a differentiated function, of a function that itself runs a reverse sweep (a \`grad\`, \`jacrev\`, \`hessian\` or \`vjp\` inside it), is not supported: call \`jacrev\` or \`jacobian\` of it there`);
        const fn = buildVjp(this.ctx, target.fn, hasAux, own);
        return { fn, tree: 0, runtimeChecks, kind: marker, hasAux, outTree: outputsOf(f, hasAux).tree, src: target.fn, extra: target.extra };
      }
      case "jvp": {
        if (args.length < 3) fail(call, "arity", "`jvp` needs a function, its primals and its tangents");
        const given = this.checkPrimals(args[1], f, nParams, "primals must have one entry per parameter");
        const tangents = this.checkPrimals(args[2], f, nParams, "tangents must have one entry per parameter");
        if (given !== undefined && tangents !== undefined && given !== tangents) fail(args[2], "arity", `tangents must have one entry per primal: expected ${given}, got ${tangents}`);
        withLists(sourceParams(f, captured).map((_, i) => i), args[1]);
        const own = f.params.length - captured;
        differentiable(f, f.params.slice(0, own).map((_, i) => i), args[1], marker);
        const fn = buildJvp(this.ctx, target.fn, own);
        return { fn, tree: 0, runtimeChecks, kind: marker, hasAux, outTree: outputsOf(f, hasAux).tree, src: target.fn, extra: target.extra };
      }
    }
    fail(call, "unsupported-construct", `unknown marker \`${marker}\``);
  }

  /** `g` bound by `const [out, g] = vjp(f, primals)`. */
  private isVjpClosure(arg: ts.Expression, mod: SourceModule): boolean {
    const e = skipParens(arg);
    if (!ts.isIdentifier(e)) return false;
    const d = findDeclaration(e.text, e, mod);
    if (!d || d.k !== "var" || !ts.isVariableDeclaration(d.node) || !ts.isArrayBindingPattern(d.node.name)) return false;
    const init = d.node.initializer && skipParens(d.node.initializer);
    if (!init || !ts.isCallExpression(init) || this.markerName(init.expression, mod) !== "vjp") return false;
    const el = d.node.name.elements[1];
    return !!el && ts.isBindingElement(el) && ts.isIdentifier(el.name) && el.name.text === e.text;
  }

  /** vmap(f) given as another marker's function: the batched core. */
  private buildVmapCall(call: ts.CallExpression, mod: SourceModule, lowerer: FnLowerer | undefined): string {
    this.nestedVmap++;
    try {
      const built = this.buildInner(call, mod, lowerer);
      if (built.vmap) fail(call, "unsupported-construct", "a transform of `vmap(f)` needs literal `inDims` and `outDims`");
      return built.fn;
    } finally {
      this.nestedVmap--;
    }
  }

  /** > 0 while building a vmap given to another marker: its core is wanted, not the user-facing entry. */
  private nestedVmap = 0;

  /** `target`'s variant taking the arrays of records among the parameters `src` (source indices) flat, or `target` itself. */
  private listTarget(target: FnTarget, src: readonly number[], at: ts.Node, marker: string, lowerer?: FnLowerer): FnTarget {
    const f = this.program.fns.get(target.fn)!;
    const trees = sourceParams(f);
    const lists = src.filter((i) => typeof trees[i] === "number" && f.params[trees[i] as number].listOf !== undefined);
    if (!lists.length) return target;
    // (a marker given to vmap in plain code, `vmap(grad(f), { inDims: [null, 0] })`, only batches the other arguments: an array of Tensors may be its unbatched argument)
    // (not a Hessian: its tree as the driver records it, which vmap reads, runs both levels along the last dim)
    const underVmap = this.innerMarker === 1 && this.vmapOuter === 1 && marker !== "hessian" && lists.every((i) => f.params[trees[i] as number].listTensors);
    if (lowerer || (this.innerMarker && !underVmap) || this.nestedVmap || !this.program.hasVariants(target.fn)) {
      const name = userName(f.params[trees[lists[0]] as number]);
      fail(at, "unsupported-construct", `\`${marker}\` differentiates the array of records \`${name}\` only as a parameter of a function given to a marker in plain code (not of a marker's result, nor inside a differentiated function or vmap, nor by a marker given to another marker); pass its numbers as a flat Float64Array there`);
    }
    return this.program.withLists(target, lists);
  }
  /** > 0 while building a jacrev / jacfwd / grad / hessian given to another marker (which differentiates or batches it) */
  private innerMarker = 0;
  /** how many of those markers were given to a vmap */
  private vmapOuter = 0;
  /** the cores of vmaps given to another vmap: their levels over the innermost function (compiler/ad/batch-nested.ts) */
  private vmapLevels = new Map<string, VmapLevels>();

  /** inDims / outDims as numbers when they are literals (undefined: computed at run time). */
  private vmapSpec(opts: Options, f: Fn, label: string, fnArg: ts.Expression, captured = 0): VmapSpec | undefined {
    const get = (name: string, n: number): (number | null)[] | undefined => {
      const o = opts[name];
      if (!o) return new Array(n).fill(0);
      if (!o.literal) return undefined;
      const val = o.value as number | null | (number | null)[];
      if (Array.isArray(val)) {
        if (name === "outDims" && f.outTree === undefined && val.length !== n) fail(o.node, "invalid-option", `\`outDims\` has ${val.length} entries but the function returns ${n} value(s)`);
        return val;
      }
      return new Array(n).fill(val);
    };
    // (captured variables, trailing parameters, are not batched: their inDims stay null)
    const trees = sourceParams(f, captured);
    const perSource = get("inDims", trees.length) as unknown[] | undefined;
    // (a record or nested tuple output: its dims are read below, leaf by leaf)
    const outFlat = f.outTree === undefined ? get("outDims", f.results.length) : [];
    if (!perSource || !outFlat || (f.outTree !== undefined && opts.outDims && !opts.outDims.literal)) return undefined;
    // a record's (tuple's) entry is its every leaf's, or a record (tuple) of entries: a prefix of its structure, as JAX's in_axes
    const inDims: (number | null)[] = f.params.map(() => null);
    const assign = (what: "inDims" | "outDims", into: (number | null)[], t: Tree, d: unknown, path: string): void => {
      const at = opts[what]?.node ?? fnArg;
      // (an array of records or Tensors is passed whole, never batched: vmap(grad(f)) with its entry null)
      if (what === "inDims" && isListTree(t) && d !== null) fail(at, "invalid-option", `vmap: the array \`${path}\` cannot be batched: give it \`null\` in \`${what}\` (it is passed whole to every example)`);
      if (d === null || typeof d === "number") {
        for (const leaf of leavesOf(t)) {
          const isNum = what === "inDims" ? f.params[leaf].type.k === "num" : f.results[leaf].k === "num";
          const whose = what === "inDims" ? `the number \`${userName(f.params[leaf])}\`` : `a number in ${path}`;
          if (isNum && d !== null && d !== 0 && d !== -1) fail(at, "invalid-option", `\`${what}\` ${d} is out of range for ${whose} (a batch of numbers has one dim: 0)`);
          into[leaf] = d;
        }
      } else if (Array.isArray(d) && Array.isArray(t) && d.length === t.length) t.forEach((x, i) => assign(what, into, x, d[i], `${path}[${i}]`));
      else if (d && typeof d === "object" && !Array.isArray(d) && isRecordTree(t) && Object.keys(d).every((k) => t.keys.includes(k))) {
        t.keys.forEach((k, i) => {
          if (!(k in d)) fail(at, "invalid-option", `\`${what}\` for \`${path}\` has no entry \`${k}\` (a record of dims names every property)`);
          assign(what, into, t.items[i], (d as Record<string, unknown>)[k], `${path}.${k}`);
        });
      } else fail(at, "invalid-option", `\`${what}\` entry ${JSON.stringify(d)} does not follow the structure of \`${path}\``);
    };
    trees.forEach((t, i) => assign("inDims", inDims, t, perSource[i], f.params[leavesOf(t)[0]]?.source?.split(/[.[]/)[0] ?? `argument ${i + 1}`));
    // outDims of a record or nested tuple output: a prefix of its structure too, leaf by leaf
    let outDims = outFlat;
    if (f.outTree !== undefined) {
      outDims = f.results.map(() => 0);
      if (opts.outDims) assign("outDims", outDims, f.outTree, opts.outDims.value, "the output");
    }
    if (inDims.every((d) => d === null)) fail(opts.inDims?.node ?? fnArg, "invalid-option", "vmap: at least one argument must be batched (`inDims` all null)");
    f.params.forEach((p, i) => {
      if (p.type.k === "opaque" && inDims[i] !== null) fail(opts.inDims?.node ?? fnArg, "invalid-option", `vmap: \`${userName(p)}\` is not a number, array or Tensor, so it cannot be batched: give it \`null\` in \`inDims\``);
    });
    const cs = opts.chunkSize?.literal && typeof opts.chunkSize.value === "number" ? opts.chunkSize.value : undefined;
    return { inDims, outDims, label: `${label}(${f.source ?? f.name})`, chunkSize: cs };
  }

  private batch<T>(build: () => T, call: ts.CallExpression): T {
    try {
      return build();
    } catch (err) {
      if (err instanceof BatchError) fail(call, "unsupported-construct", err.message);
      throw err;
    }
  }

  /**
   * hessian of a number-valued function of one vector: the pattern twin and the
   * grad's jvp, for column-coloured sweeps at run time (undefined: dense).
   */
  private sparseHessian(fName: string, inner: string, argnums: number[], tuple: boolean): Built["sparse"] | string {
    const f = this.program.fns.get(fName)!;
    if (this.ctx.paths?.colouring === false) return "CompileOptions.paths { colouring: false }";
    if (tuple || argnums.length !== 1 || f.params[argnums[0]].type.k !== "vec" || f.results.length !== 1 || f.results[0].k !== "num") return "colouring takes a number-valued function of one number vector";
    const why = this.unpatternable(this.program.fns, fName);
    if (why !== undefined) return `the pattern twin cannot follow ${why === "tensor" ? "tensor code" : `\`${why}\``}`;
    {
      const jvp = jvpOf(this.ctx, inner, this.program.fns.get(inner)!.params.map((_, q) => q === argnums[0]));
      // several colours per forward-over-reverse sweep, where the sweep can carry lanes
      const laned = this.ctx.paths?.lanes === false ? null : jvpLanes(this.ctx, jvp, HESSIAN_LANES);
      // and its results written into arrays kept with the cached colouring (no allocation per sweep)
      // (the sweep's own gradient, its first result, is not read: dropped where nothing else needs it)
      const into = laned ? intoScratch(this.ctx, laned, argnums[0], 1) : null;
      // a path fixed by the lengths: the pattern and its colouring are computed once per length
      return { argnum: argnums[0], fn: fName, jvpFn: jvp, cacheable: pathDependsOnLengthsOnly(f), lanes: laned ? { fn: into?.fn ?? laned, L: HESSIAN_LANES, scratch: into?.results ?? 0 } : undefined };
    }
  }

  /**
   * How many arguments an array literal of primals (inputs, tangents) gives: one per parameter, where
   * trailing parameters with defaults, or optional, may be left out (PyTorch calls func(*primals));
   * undefined where the primals are not an array literal (checked at run time).
   */
  private checkPrimals(e: ts.Expression, f: Fn, n: number, what: string): number | undefined {
    const x = skipParens(e);
    if (!ts.isArrayLiteralExpression(x)) return undefined;
    const given = x.elements.length;
    const missing = sourceParams(f).slice(given, n).some((t) => typeof t !== "number" || !f.defaults?.[t]);
    if (given > n || missing) fail(e, "arity", `${what}: expected ${n}, got ${given}`);
    return given;
  }

  /** SPEC §3: one parameter and inputs that fit it → a single input; otherwise a tuple. */
  private singleInput(f: Fn, inputs: ts.Expression, n: number): boolean {
    if (n !== 1) return false;
    const e = skipParens(inputs);
    const t = f.params[0].type;
    if (!ts.isArrayLiteralExpression(e)) return true;
    // a structured parameter: a record's inputs are never an array literal; a tuple's are one of its length
    const tree = sourceParams(f)[0];
    if (typeof tree !== "number") return Array.isArray(tree) && tree.length === e.elements.length && tree.length !== 1;
    if (t.k === "num") return false;
    // a vector parameter: [1, 2, 3] is the vector itself; [[1, 2, 3]] or [xs] a tuple of one
    return !(e.elements.length === 1 && !ts.isNumericLiteral(skipParens(e.elements[0])) && !ts.isPrefixUnaryExpression(skipParens(e.elements[0])));
  }

  private checkStrict(call: ts.CallExpression, f: Fn, fnName: string, argnums: number[]): void {
    const outs = outputsOf(f, false);
    for (const j of argnums) {
      const deps = resultDeps(this.ctx.fns, fnName, f.params.map((_, q) => q === j));
      outs.leaves.forEach((leaf, i) => {
        if (!deps[leaf]) {
          const out = outs.leaves.length > 1 ? `output ${i}` : "the output";
          fail(call, "strict", `strict: ${out} of \`${f.source ?? f.name}\` does not depend on parameter \`${userName(f.params[j])}\` (its Jacobian block is structurally zero)`);
        }
      });
    }
  }

  /** A marker inside a differentiated function: lower `jacobian(f, x)` to a call. */
  valueInside(call: ts.CallExpression, lowerer: FnLowerer): Val {
    const built = this.build(call, lowerer.mod, lowerer);
    const inputs = call.arguments[1];
    const fn = this.program.fns.get(built.fn)!;
    const argVals: Atom[] = [];
    const trees = sourceParams(fn);
    if (built.singleInput) lowerer.flattenTo(lowerer.expr(inputs), trees[0], argVals, inputs);
    else {
      const e = skipParens(inputs);
      if (!ts.isArrayLiteralExpression(e)) fail(inputs, "unsupported-construct", "inside a differentiated function, the inputs of `jacobian` must be an array literal");
      e.elements.forEach((x, i) => lowerer.flattenTo(lowerer.expr(x), trees[i], argVals, x));
    }
    // (a closure's captured variables are its trailing parameters)
    const extra = built.extra ?? [];
    extra.forEach((a, k) => (argVals[fn.params.length - extra.length + k] = a));
    for (let i = 0; i < fn.params.length; i++) argVals[i] ??= lit(undefined);
    const val = lowerer.emitCall(built.fn, argVals, call);
    if (built.nodiff) {
      const last = lowerer.b.stmts[lowerer.b.stmts.length - 1];
      if (last.k === "call") last.nodiff = true;
    }
    return treeVal(val, built.tree);
  }

  /**
   * vjp(f, primals) inside a differentiated function: [output, vjpFn] (+ aux), as at the
   * top level (SPEC §1). vjpFn is a function value: each call runs f's vjp at the primals
   * (a small function taking the cotangents first, the primals as its captures), and it
   * is ordinary IR, so the enclosing transform differentiates through it (torch.func's
   * transforms compose the same way).
   */
  vjpInside(call: ts.CallExpression, lowerer: FnLowerer): Val {
    const built = this.build(call, lowerer.mod, lowerer);
    const f = this.program.fns.get(built.src!)!;
    const vjpFn = this.program.fns.get(built.fn)!;
    // (a closure's captured variables follow its own parameters, as primals the vjp does not differentiate)
    const primals = [...this.flatInputs(call.arguments[1], f, lowerer, "primals", built.extra?.length), ...(built.extra ?? [])];
    const value = lowerer.emitCall(f.name, primals, call);
    const outs = outputsOf(f, built.hasAux);
    // the function value: pull(ct leaves…, primals…) = vjp_f(primals…, ct leaves…)
    const nCt = vjpFn.params.length - f.params.length;
    const name = this.program.fnNames.claim(`${vjpFn.name}_fn`);
    const cts = vjpFn.params.slice(f.params.length);
    const dsts = vjpFn.results.map((_, i) => `c${i}`);
    const pull: Fn = {
      name,
      params: [...cts, ...f.params],
      results: [...vjpFn.results],
      tupleResult: true,
      body: [
        { k: "call", dsts, fn: vjpFn.name, args: [...f.params, ...cts].map((p) => ({ k: "var", name: p.name }) as Atom) },
        { k: "return", values: dsts.map((d) => ({ k: "var", name: d }) as Atom) },
      ],
      vars: new Map([...[...cts, ...f.params].map((p) => [p.name, p.type] as const), ...dsts.map((d, i) => [d, vjpFn.results[i]] as const)]),
      source: f.source,
      captures: [],
      // the cotangent is structured as f's output; one cotangent per parameter, structured as the parameters
      inTrees: typeof outs.tree === "number" ? undefined : [renumber(outs.tree, outs.leaves)],
      outTree: f.inTrees ? [...f.inTrees] : undefined,
    };
    if (nCt !== outs.leaves.length) throw new Error(`jacc: vjp inside ${f.name}: ${nCt} cotangent parameters for ${outs.leaves.length} outputs`);
    this.program.add(pull);
    const fnVal: Val = { k: "fn", target: { fn: name, extra: primals } };
    // (with hasAux f returns [output, aux]: build checked it)
    if (built.hasAux && value.k === "tuple") return { k: "tuple", items: [value.items[0], fnVal, value.items[1]] };
    return { k: "tuple", items: [value, fnVal] };
  }

  /** jvp(f, primals, tangents) inside a differentiated function: [output, tangent of the output] (+ aux). */
  jvpInside(call: ts.CallExpression, lowerer: FnLowerer): Val {
    const built = this.build(call, lowerer.mod, lowerer);
    const f = this.program.fns.get(built.src!)!;
    const primals = [...this.flatInputs(call.arguments[1], f, lowerer, "primals", built.extra?.length), ...(built.extra ?? [])];
    const tangents = this.flatInputs(call.arguments[2], f, lowerer, "tangents", built.extra?.length);
    const r = lowerer.emitCall(built.fn, [...primals, ...tangents], call);
    const all = r.k === "tuple" ? r.items : [r];
    const n = f.results.length;
    const outs = outputsOf(f, built.hasAux);
    const items = [valOfTree(all.slice(0, n), outs.tree), valOfTree(all.slice(n), outs.tree)];
    if (built.hasAux) items.push(valOfTree(all.slice(0, n), outs.aux!));
    return { k: "tuple", items };
  }

  /** The flat arguments of f from an array literal of one entry per parameter (records flattened as f takes them). */
  private flatInputs(e: ts.Expression, f: Fn, lowerer: FnLowerer, what: string, captured = 0): Atom[] {
    const x = skipParens(e);
    if (!ts.isArrayLiteralExpression(x)) fail(e, "unsupported-construct", `inside a differentiated function, the ${what} must be an array literal`);
    const out: Atom[] = [];
    const trees = sourceParams(f, captured);
    x.elements.forEach((el, i) => lowerer.flattenTo(lowerer.expr(el), trees[i], out, el));
    // (trailing parameters left out, which checkPrimals allowed: numbers with defaults, or optional)
    for (let i = x.elements.length; i < trees.length; i++) out.push(lit(undefined));
    return out;
  }

  fnInside(call: ts.CallExpression, lowerer: FnLowerer): FnTarget {
    const built = this.build(call, lowerer.mod, lowerer);
    if (built.kind === "vmap" && this.program.fns.get(built.fn)!.results.some((t) => t.k === "vec")) {
      // the batched core holds a batch of numbers as an array, where the top level gives a Tensor (SPEC §2)
      fail(call, "unsupported-construct", "inside a differentiated function, `vmap` of a function returning numbers (or number arrays) is not supported: its batched result is a Tensor only at the top level. Map a function of Tensors (a 0-d Tensor for a number)");
    }
    // (a derivative's blocks nest as at the top level: hessian(f, { argnums: [0, 1] })(x, y)[0][1])
    return { fn: built.fn, extra: built.extra ?? [], tree: built.kind === "vmap" ? undefined : built.tree };
  }
}

/** A tree whose leaves (indices into `order`) are renumbered to their positions in `order`. */
function renumber(t: Tree, order: number[]): Tree {
  return mapTree(t, (leaf) => order.indexOf(leaf));
}

/** Structure a driver's flat results as the tree says (for markers inside functions). */
export function treeVal(val: Val, tree: Tree): Val {
  const flat = val.k === "tuple" ? val.items : [val];
  return valOfTree(flat, tree);
}

/**
 * The batched core of `vmap(f)` called inside a differentiated function, with each batch of f's number results (an
 * array of B numbers in the core) as a float64 Tensor [B], as the top level gives it (SPEC §2); `core` itself when f
 * returns no numbers. A batch of number arrays stays an array (fnInside refuses it).
 */
/** f with its one Tensor output read by `.item()`: the number output that hessian over an array of records or Tensors takes. */
function itemOutput(ctx: Ctx, f: Fn): string {
  const { fn, b } = wrapperFn(ctx.fnNames.claim(`${f.name}_item`), f.params, [NUM], [f], { loc: f.loc, source: f.source });
  // (the same parameters: an array of records or Tensors stays one flat parameter, as the driver reads it)
  fn.params = fn.params.map((p, i) => ({ ...f.params[i], name: p.name }));
  if (f.inTrees) fn.inTrees = f.inTrees;
  if (f.defaults) fn.defaults = f.defaults;
  const r = b.fresh("r", f.results[0]);
  b.emit({ k: "call", dsts: [r], fn: f.name, args: fn.params.map((p) => v(p.name)), loc: f.loc });
  b.emit({ k: "return", values: [b.t("t.item", [v(r)], [], NUM)] });
  fn.body = b.stmts;
  ctx.fns.set(fn.name, fn);
  return fn.name;
}

function numbersAsTensors(ctx: Ctx, core: string, f: Fn): string {
  const c = ctx.fns.get(core)!;
  const wrap = c.results.map((t, i) => t.k === "vec" && f.results[i]?.k === "num");
  if (!wrap.some(Boolean)) return core;
  const { fn, b } = wrapperFn(ctx.fnNames.claim(`${core}_tensors`), c.params, c.results.map((t, i) => (wrap[i] ? TENSOR : t)), [c], { loc: c.loc, source: c.source, tupleResult: c.tupleResult });
  const dsts = c.results.map((t, i) => b.fresh(`r${i}`, t));
  b.emit({ k: "call", dsts, fn: core, args: fn.params.map((p) => v(p.name)), loc: c.loc } as Stmt);
  b.emit({ k: "return", values: dsts.map((d, i) => (wrap[i] ? b.let("T", TENSOR, { k: "wrap", data: v(d), dims: [{ shapeOf: v(d) }] }) : v(d))) });
  fn.body = b.stmts;
  ctx.fns.set(fn.name, fn);
  return fn.name;
}
