// Lowering: TypeScript AST → IR, and the fence. Every construct of SPEC §4 is
// lowered here; anything else is a diagnostic naming the construct. Early
// return, break and continue become flags so the IR's control flow stays
// structured (the reverse sweep replays it backwards).
import type { FactoryArg, FactoryField } from "../ops/tensor.js";
import ts from "typescript";
import { type Atom, BOOL, Builder, type Fn, isListTree, isRecordTree, leavesOf, lit, type Loc, Names, NUM, OPAQUE, sourceParams, type Stmt, stmtDefs, TENSOR, type Tree, type Type, userName, v, VEC, walk } from "../ir/ir.js";
import { COMPARISON_METHODS, TENSOR_FUNCTIONS, tensorOp } from "./tensor-ops.js";
import { MATH_PRIMS, scalarRules } from "../rules/scalar.js";
import { fail } from "./diagnostics.js";
import { RANDOM_FACTORIES, RandomOps } from "./random.js";
import { recordMembers, resolveType, tupleType } from "./types.js";
import { arrayElement, ConstReader, isStructuredElement } from "./constants.js";
import { checkForeignWrites } from "./aliases.js";
import { ARRAY_METHODS, arrayFrom, arrayMethod, joined, mathFold, sliced } from "./array-methods.js";
import { type Decl, findDeclaration, findExport, jaccExportOf, loadImported, locOf, namespaceMember, skipParens, type SourceModule } from "./module.js";
import { calledNames, freeNames, writesOuter } from "./local-writers.js";

/** A lowered value: one atom, a static tuple or record (`keys`: its property names), or a callable. */
export type Val =
  | { k: "atom"; a: Atom; t: Type }
  | { k: "tuple"; items: Val[]; keys?: string[]; view?: boolean } // view: an element of a constant (constants.ts), read only
  | { k: "fn"; target: FnTarget };

/** A parameter's structure: a leaf of a differentiable type, or a tuple / record of structures. */
type Shape = { k: "leaf"; t: Type } | { k: "tuple"; items: Shape[]; keys?: string[] };

/** Flat values structured as `tree` says (a record or tuple of a call's results). */
export function valOfTree(flat: Val[], tree: Tree): Val {
  if (typeof tree === "number") return flat[tree];
  if (Array.isArray(tree)) return { k: "tuple", items: tree.map((t) => valOfTree(flat, t)) };
  if (isListTree(tree)) throw new Error("valOfTree: an array of records as a value inside a differentiated function");
  return { k: "tuple", items: tree.items.map((t) => valOfTree(flat, t)), keys: tree.keys };
}

/** The tree of a value's leaves numbered in order (undefined for one atom). */
function treeOfVal(val: Val, next = { i: 0 }): Tree {
  if (val.k !== "tuple") return next.i++;
  const items = val.items.map((x) => treeOfVal(x, next));
  return val.keys ? { keys: val.keys, items } : items;
}

/** Whether a value is more than a flat tuple of atoms (a record, or a tuple inside a tuple). */
const isNested = (val: Val): boolean => val.k === "tuple" && (!!val.keys || val.items.some((x) => x.k === "tuple"));

/** An IR function to call, with trailing arguments (captured variables) bound. */
/** A function a call may name: `extra` atoms follow the arguments (captures); `tree` nests its flat results (a marker's, called inside). */
export interface FnTarget { fn: string; extra: Atom[]; tree?: Tree }

type Binding =
  | { k: "var"; name: string; type: Type; isConst: boolean; isParam: boolean }
  | { k: "tuple"; items: Val[]; keys?: string[]; isParam?: boolean; view?: boolean }
  | { k: "fn"; target: FnTarget }
  // A local function, lowered at its first use: like a JS closure, it sees the
  // enclosing function's variables declared after it but before the call.
  | { k: "lazy"; node: ts.FunctionLikeDeclaration; name: string; target?: FnTarget; inlined?: boolean };

export interface MarkerHooks {
  /** Builds the IR function a function-returning marker (jacrev(f), grad(f), …) stands for. */
  markerFn(call: ts.CallExpression, lowerer: FnLowerer): FnTarget;
  /** Lowers `jacobian(f, inputs, opts)` inside a differentiated function. */
  markerValue(call: ts.CallExpression, lowerer: FnLowerer): Val;
  /** vjp(f, primals) and jvp(f, primals, tangents) called inside a differentiated function */
  vjpValue(call: ts.CallExpression, lowerer: FnLowerer): Val;
  jvpValue(call: ts.CallExpression, lowerer: FnLowerer): Val;
}

const FACTORIES = new Set(["tensor", "zeros", "ones", "full", "eye", "arange", "linspace", "zerosLike", "onesLike", "fullLike"]);

export const MARKER_NAMES = new Set(["jacobian", "jacrev", "jacfwd", "hessian", "grad", "vjp", "jvp", "vmap"]);

const NUMBER_TESTS = new Set(["isFinite", "isNaN", "isInteger"]);

/** A helper's function-valued parameters (source index) → the function a call gives, and the types of its captures. */
export type FnArgs = ReadonlyMap<number, { target: FnTarget; types: Type[] }>;

/** All IR functions of one compilation, lowered on demand from their declarations. */
export class Program {
  fns = new Map<string, Fn>();
  fnNames: Names;
  private byNode = new Map<ts.Node, Map<string, string>>();
  hooks!: MarkerHooks;

  constructor(readonly main: SourceModule, taken: Iterable<string>) {
    this.fnNames = new Names(taken);
  }

  /**
   * The IR function for a function declaration, lowered once; `lists`: the
   * parameters (source indices) of array-of-records types to lower as flat
   * arrays of their numbers, differentiable (a variant of the function; without
   * them such arrays are constants read in place, constants.ts).
   */
  lowerDecl(d: Extract<Decl, { k: "function" }>, outer?: FnLowerer, lists: readonly number[] = [], fnArgs?: FnArgs): FnTarget {
    const listKey = [...new Set(lists)].sort((a, b) => a - b).join(",");
    // (a helper taking functions is lowered once per function given: the caller's captures of each follow its own arguments)
    const fnKey = fnArgs ? [...fnArgs].map(([i, a]) => `${i}=${a.target.fn}`).join(";") : "";
    const key = fnKey ? `${listKey}|${fnKey}` : listKey;
    const captured = fnArgs ? [...fnArgs.values()].flatMap((a) => a.target.extra) : [];
    const failed = this.failed.get(d.node)?.get(key);
    if (failed) throw failed; // the same diagnostic again, not a half-lowered function
    const known = this.byNode.get(d.node)?.get(key);
    if (known && !outer) return { fn: known, extra: captured };
    const name = this.fnNames.claim(fnKey ? `${d.name}_with_${[...fnArgs!.values()].map((a) => a.target.fn).join("_")}` : listKey ? `${d.name}_flat` : d.name);
    const named = this.byNode.get(d.node) ?? new Map<string, string>();
    this.byNode.set(d.node, named.set(key, name));
    const lowerer = new FnLowerer(this, d.module, d.node, name, d.name, outer, new Set(listKey ? listKey.split(",").map(Number) : []), fnArgs);
    this.fns.set(name, lowerer.fn);
    this.origins.set(name, { d, outer, lists: key });
    this.inProgress.add(d.node);
    try {
      lowerer.lower();
    } catch (err) {
      this.failed.set(d.node, (this.failed.get(d.node) ?? new Map()).set(key, err));
      named.delete(key);
      this.fns.delete(name);
      throw err;
    } finally {
      this.inProgress.delete(d.node);
    }
    return { fn: name, extra: [...captured, ...lowerer.capturedArgs] };
  }
  private inProgress = new Set<ts.Node>();

  /** The function-valued parameters (source indices) of a declaration, read once (every call of it asks). */
  functionParams(d: Extract<Decl, { k: "function" }>): number[] {
    let out = this.fnParamsOf.get(d.node);
    if (!out) {
      out = [];
      d.node.parameters.filter((p) => !(ts.isIdentifier(p.name) && p.name.text === "this")).forEach((p, i) => {
        if (p.type && ts.isFunctionTypeNode(resolveType(p.type, d.module).type)) out!.push(i);
      });
      this.fnParamsOf.set(d.node, out);
    }
    return out;
  }
  private fnParamsOf = new Map<ts.Node, number[]>();
  /** Whether the function `node` is being lowered (a call back into it from a function it calls). */
  lowering(node: ts.Node): boolean {
    return this.inProgress.has(node);
  }
  private failed = new Map<ts.Node, Map<string, unknown>>();
  private origins = new Map<string, { d: Extract<Decl, { k: "function" }>; outer?: FnLowerer; lists: string }>();

  /** Whether `name` was lowered from a declaration (not built by a marker), so it has variants. */
  hasVariants(name: string): boolean {
    return this.origins.has(name);
  }

  /** `target`'s function with its parameters `lists` (source indices) also lowered as flat arrays of records' numbers. */
  withLists(target: FnTarget, lists: readonly number[]): FnTarget {
    const o = this.origins.get(target.fn);
    if (!o) throw new Error(`withLists: ${target.fn} was not lowered from a declaration`);
    const all = [...(o.lists ? o.lists.split(",").map(Number) : []), ...lists];
    return this.lowerDecl(o.d, o.outer, all);
  }
  /** random ops per lowered function, for the markers' `randomness` check */
  randomOps = new RandomOps();

  add(fn: Fn): void {
    this.fns.set(fn.name, fn);
  }
}

/** brk / cnt: this loop's break and continue flags; label: its label; exits: enclosing loops' flags a labelled jump in its body sets, which end it too */
interface LoopCtx { brk?: string; cnt?: string; node: ts.Node; label?: string; exits: string[] }

export class FnLowerer {
  fn: Fn;
  b: Builder;
  names: Names;
  private scopes: Map<string, Binding>[] = [];
  /** the label of the loop statement being lowered next (`outer: for (…)`) */
  private pendingLabel?: string;
  private retFlag?: string;
  private retVars: string[] = [];
  private retTypes?: Type[];
  private retTuple = false;
  /** a structured result's tree (as JSON, to compare returns) */
  private retTree?: string;
  private loops: LoopCtx[] = [];
  /** for a local function: the enclosing function's atoms passed as trailing args */
  capturedArgs: Atom[] = [];
  /**
   * A local function calling itself: its captures are found as its body is lowered, after some of
   * these calls, so each gets them (the function's own capture parameters) when the body is done.
   */
  private selfCalls: Extract<Stmt, { k: "call" }>[] = [];
  /** the function's own (flat) parameters, before any capture's */
  private ownParams = 0;
  /** how many tensors the call `node` (chunk / split / unbind) must give: the names destructured, or a literal index + 1 */
  piecesHint?: { node: ts.Node; count: number };
  private capturedNames = new Map<string, string>(); // outer binding name → param name here
  private capturedOuter = new Map<string, string>(); // the enclosing function's variable (IR name) → param name here

  constructor(
    readonly program: Program,
    readonly mod: SourceModule,
    readonly node: ts.FunctionLikeDeclaration,
    name: string,
    source: string,
    readonly outer?: FnLowerer,
    /** the parameters (source indices) lowered as flat arrays of records' numbers (Program.lowerDecl) */
    private readonly listParams: ReadonlySet<number> = new Set(),
    /** function-valued parameters (source indices) and the functions this variant is lowered for */
    private readonly fnArgs?: FnArgs,
  ) {
    this.names = new Names();
    this.fn = { name, params: [], results: [], tupleResult: false, body: [], vars: new Map(), loc: locOf(node), source, captures: [] };
    this.b = new Builder(this.fn, this.names);
    this.consts = new ConstReader(this.b, (t, m) => this.typeFromNode(t, m));
  }
  /** the stores the user wrote (`a[i] = …`), for the check that each writes an array made here (aliases.ts) */
  private readonly writes = new Map<Stmt, ts.Expression>();
  /** reads of arrays of rows, tuples and records passed as constants (constants.ts) */
  private readonly consts: ConstReader;
  /** the arrays made from an array literal: JavaScript arrays, which `push` grows (a write past the end grows their tangents and adjoints too) */
  private readonly grows = new Set<string>();
  /** the vectors holding an array of records' numbers flat (a parameter in `listParams`): one element's structure, its leaves the offsets */
  private readonly lists = new Map<string, Tree>();

  // ---------------------------------------------------------------- entry
  lower(): void {
    const node = this.node;
    if (node.modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword)) fail(node, "unsupported-construct", "`async` functions cannot be differentiated");
    if (node.asteriskToken) fail(node, "unsupported-construct", "generator functions cannot be differentiated");
    this.scopes.push(new Map());
    this.declareResults(node.type);
    const defaults: [string, ts.Expression][] = [];
    const trees: Tree[] = [];
    const fnCaptures: { name: string; type: Type; source: string }[] = [];
    let source = -1;
    for (const p of node.parameters) {
      if (ts.isIdentifier(p.name) && p.name.text === "this") continue; // a TypeScript `this` type annotation, not a parameter
      source++;
      if (!ts.isIdentifier(p.name)) fail(p, "unsupported-construct", "destructured parameters are not supported in a differentiated function");
      if (p.dotDotDotToken) fail(p, "unsupported-construct", "rest parameters are not supported in a differentiated function");
      const given = this.fnArgs?.get(source);
      if (given) {
        // a function parameter of this variant: the function the call gives, its captures parameters of their own
        const extra = given.target.extra.map((_, k) => {
          const pn = this.names.claim(`${p.name.getText()}_${k}`);
          this.fn.vars.set(pn, given.types[k]);
          fnCaptures.push({ name: pn, type: given.types[k], source: p.name.getText() });
          return v(pn);
        });
        this.bind(p.name.text, { k: "fn", target: { ...given.target, extra } });
        continue;
      }
      // a record or tuple of differentiable leaves: one flat parameter per leaf (JAX's tree_flatten)
      const shape = p.type && !this.typeFromNode(p.type) ? this.shapeOf(p.type, this.mod, p.name.text) : undefined;
      if (shape && typeof shape !== "string" && shape.k === "tuple") {
        if (p.initializer) fail(p.initializer, "unsupported-construct", `the structured parameter \`${p.name.text}\` cannot have a default value`);
        const [val, tree] = this.flatParams(shape, p.name.text, p.name.text);
        trees.push(tree);
        this.bind(p.name.text, { k: "tuple", items: (val as { items: Val[] }).items, keys: shape.keys, isParam: true });
        continue;
      }
      // an array of records or tuples of numbers: a constant, or where a marker differentiates it, one flat vector of their numbers
      // (or of Tensors, and records or tuples of them: one flat Tensor of their entries, runtime/tensor-list.ts)
      const numList = typeof shape === "string" && p.type ? this.listElement(p.type, this.mod) : undefined;
      const tensorList = numList === undefined && typeof shape === "string" && p.type ? this.listElement(p.type, this.mod, "tensor") : undefined;
      const listOf = numList ?? tensorList;
      if (listOf !== undefined && this.listParams.has(source)) {
        if (p.initializer) fail(p.initializer, "unsupported-construct", `the differentiated array \`${p.name.text}\` cannot have a default value`);
        const name = this.names.claim(p.name.text);
        const type = tensorList !== undefined ? TENSOR : VEC;
        this.fn.vars.set(name, type);
        this.lists.set(name, listOf);
        const at = this.fn.params.length;
        trees.push(tensorList !== undefined ? { list: listOf, of: at, axis: -1, tensors: true, param: at } : { list: listOf, of: at, axis: -1 });
        this.fn.params.push({ name, type, source: p.name.text });
        (this.fn.defaults ??= []).push(false);
        // (an array of Tensors is no Tensor to the rest of the lowering: it is read only through listItem)
        this.bind(p.name.text, { k: "var", name, type: tensorList !== undefined ? OPAQUE : type, isConst: false, isParam: true });
        continue;
      }
      const t = this.paramType(p);
      const name = this.names.claim(p.name.text);
      this.fn.vars.set(name, t);
      if (t.k === "opaque" && p.type) this.consts.declare(name, { type: p.type, mod: this.mod });
      trees.push(this.fn.params.length);
      this.fn.params.push({ name, type: t, source: p.name.text, ...(typeof shape === "string" ? { opaqueWhy: shape } : {}), ...(listOf !== undefined ? { listOf } : {}), ...(tensorList !== undefined ? { listTensors: true as const } : {}) });
      this.bind(p.name.text, { k: "var", name, type: t, isConst: false, isParam: true });
      if (p.initializer) defaults.push([name, p.initializer]);
      // (a parameter the caller may leave out: a default value, or optional, `scale?: number`, read with `??`)
      (this.fn.defaults ??= []).push(!!p.initializer || !!p.questionToken);
    }
    if (trees.some((t) => typeof t !== "number")) this.fn.inTrees = trees;
    // (the given functions' captures follow the own parameters, in the order Program.lowerDecl passes them)
    for (const c of fnCaptures) {
      this.fn.params.push(c);
      (this.fn.defaults ??= []).push(false);
    }
    this.ownParams = this.fn.params.length;
    // Default values: `if (p === undefined) p = default`, so they see earlier parameters.
    for (const [name, init] of defaults) {
      const c = this.b.p("isundef", v(name));
      const then = this.b.sub(() => {
        const val = this.atomOf(this.expr(init), init);
        this.b.assign(name, { k: "atom", a: val });
      });
      this.b.emit({ k: "if", cond: c, then, else: [] });
    }
    const body = node.body!;
    if (ts.isBlock(body)) {
      if (hasNonTailReturn(body)) this.retFlag = this.declareFlag("returned");
      this.block(body.statements);
    } else {
      this.returnValue(body, body);
    }
    if (!this.retTypes) fail(node, "unsupported-construct", "a differentiated function must return a value");
    this.fn.results = this.retTypes;
    this.fn.tupleResult = this.retTuple;
    this.b.emit({ k: "return", values: this.retVars.map(v) });
    this.fn.body = [...this.flagInits, ...this.b.stmts];
    checkForeignWrites(this.fn, this.program.fns, this.writes);
    this.checkCopies();
    const captures = this.fn.params.slice(this.ownParams).map((p) => v(p.name));
    for (const c of this.selfCalls) c.args.push(...captures);
    this.separateAssignedParams();
  }

  /**
   * A parameter is defined once, on entry: one the body assigns (`y = 2 * x + y`, `y ??= 1`, a default
   * value) becomes a local initialized from the argument, so every transform sees the caller's value
   * as a definition of its own. (Reverse mode counted only the body's assignment: it never restarted
   * the old value's cotangent, and grad of `y = 2 * x + y; return x * y` was 2x, not x.)
   */
  private separateAssignedParams(): void {
    const fn = this.fn;
    const assigned = new Set<string>();
    walk(fn.body, (s) => stmtDefs(s).forEach((d) => assigned.add(d)));
    const entry: Stmt[] = [];
    fn.params.forEach((p, i) => {
      if (!assigned.has(p.name)) return;
      const arg = this.names.claim(`${p.name}_arg`);
      fn.vars.set(arg, p.type);
      fn.params[i] = { ...p, name: arg };
      entry.push({ k: "let", dst: p.name, e: { k: "atom", a: v(arg) } });
    });
    if (entry.length) fn.body = [...entry, ...fn.body];
  }

  private declareResults(type: ts.TypeNode | undefined): void {
    if (!type) return;
    const tuple = tupleType(type, this.mod);
    if (tuple) {
      this.retTuple = true;
      const els = tuple.type.elements.map((e) => (ts.isNamedTupleMember(e) ? e.type : e));
      const types = els.map((e) => this.typeFromNode(e, tuple.mod));
      // (a tuple of records or tuples: its structure comes from the returned value)
      const nested = els.some((e, i) => !types[i] && (recordMembers(e, tuple.mod) !== undefined || tupleType(e, tuple.mod)));
      if (!nested) this.retTypes = types.map((t) => t ?? NUM);
    } else {
      const tt = this.typeFromNode(type);
      if (tt) this.retTypes = [tt];
    }
    if (this.retTypes) this.retVars = this.retTypes.map((rt, i) => this.newVar(this.retTypes!.length > 1 ? `out${i}` : "out", rt));
    this.publishResults();
  }

  /** Makes the result types visible early: a recursive call inside the body needs them. */
  private publishResults(): void {
    if (!this.retTypes) return;
    this.fn.results = this.retTypes;
    this.fn.tupleResult = this.retTuple;
  }

  /** The IR type of an annotation written in `mod` (aliases followed); undefined for a tuple or a type jacc does not differentiate. */
  private typeFromNode(type: ts.TypeNode, mod = this.mod): Type | undefined {
    const r = resolveType(type, mod);
    const t = r.type;
    if (t.kind === ts.SyntaxKind.NumberKeyword) return NUM;
    if (t.kind === ts.SyntaxKind.BooleanKeyword) return BOOL;
    // (an array of rows, tuples, records or Tensors is a constant: constants.ts)
    const el = arrayElement(t, r.mod);
    if (el && isStructuredElement(el.type, el.mod, (x, m) => this.typeFromNode(x, m))) return undefined;
    if (ts.isArrayTypeNode(t)) return VEC;
    if (ts.isTypeReferenceNode(t)) {
      let n = t.typeName.getText();
      // `import { type Tensor as T } from "jacc"`
      if (r.mod.jaccImports.get(n) === "Tensor") n = "Tensor";
      // `import * as jc from "jacc"`: jc.Tensor
      if (ts.isQualifiedName(t.typeName) && ts.isIdentifier(t.typeName.left) && r.mod.jaccNamespaces.has(t.typeName.left.text) && t.typeName.right.text === "Tensor") n = "Tensor";
      if (n === "Float64Array" || n === "Array" || n === "ReadonlyArray") return VEC;
      if (n === "Float32Array") return { k: "vec", f32: true };
      if (n === "Tensor") return TENSOR;
    }
    return undefined;
  }

  /**
   * The structure of a parameter's type: a record (type literal, interface,
   * alias) or tuple whose leaves are numbers, arrays or Tensors; otherwise why
   * not, naming the leaf (the parameter is then a constant).
   */
  private shapeOf(type: ts.TypeNode, mod: SourceModule, path: string): Shape | string {
    const t = this.typeFromNode(type, mod);
    if (t) return t.k === "bool" ? `\`${path}\` is a boolean` : { k: "leaf", t };
    const tuple = tupleType(type, mod);
    if (tuple) {
      const items: Shape[] = [];
      for (const [i, el] of tuple.type.elements.entries()) {
        if (ts.isRestTypeNode(el) || ts.isOptionalTypeNode(el) || (ts.isNamedTupleMember(el) && (el.dotDotDotToken || el.questionToken))) return `\`${path}\` has an optional or rest element`;
        const s = this.shapeOf(ts.isNamedTupleMember(el) ? el.type : el, tuple.mod, `${path}[${i}]`);
        if (typeof s === "string") return s;
        items.push(s);
      }
      return items.length ? { k: "tuple", items } : `\`${path}\` is an empty tuple`;
    }
    const members = recordMembers(type, mod);
    if (typeof members === "string") return `\`${path}\`: ${members}`;
    if (members?.length) {
      const items: Shape[] = [];
      for (const m of members) {
        const s = this.shapeOf(m.type, m.mod, `${path}.${m.name}`);
        if (typeof s === "string") return s;
        items.push(s);
      }
      return { k: "tuple", items, keys: members.map((m) => m.name) };
    }
    // (an array of rows, tuples or records: read as a constant, constants.ts)
    if (arrayElement(type, mod)) {
      if (this.listElement(type, mod, "tensor") !== undefined) return `\`${path}\` is an array of Tensors (or of records or tuples of them: \`${type.getText()}\`), which \`grad\`, \`jacrev\`, \`jacfwd\`, \`jacobian\`, \`hessian\`, \`vjp\` and \`jvp\` differentiate where it is a parameter of the function they are given, and which is a constant anywhere else; to differentiate it here, pass its Tensors as separate parameters or a record`;
      if (this.listElement(type, mod) !== undefined) return `\`${path}\` is an array of records or tuples of numbers (\`${type.getText()}\`), which \`grad\`, \`jacrev\`, \`jacfwd\`, \`jacobian\` and \`hessian\` differentiate where it is a parameter of the function they are given, and which is a constant anywhere else; to differentiate its numbers here, pass them as a flat Float64Array or a Tensor`;
      return `\`${path}\` is an array of rows, or of records or tuples mixing numbers, Tensors and other values (\`${type.getText()}\`), which jacc reads as a constant but does not differentiate; to differentiate its numbers, pass them as a flat Float64Array or a Tensor`;
    }
    return `\`${path}\` is of type \`${type.getText()}\``;
  }

  /** Flat parameters for a structured one, in order; its value and the tree of their indices. */
  private flatParams(shape: Shape, base: string, path: string): [Val, Tree] {
    if (shape.k === "leaf") {
      const name = this.names.claim(base);
      this.fn.vars.set(name, shape.t);
      const i = this.fn.params.length;
      this.fn.params.push({ name, type: shape.t, source: path });
      (this.fn.defaults ??= []).push(false);
      return [{ k: "atom", a: v(name), t: shape.t }, i];
    }
    const parts = shape.items.map((s, i) => this.flatParams(s, `${base}_${shape.keys?.[i] ?? i}`, shape.keys ? `${path}.${shape.keys[i]}` : `${path}[${i}]`));
    const items = parts.map((p) => p[0]);
    const trees = parts.map((p) => p[1]);
    return [{ k: "tuple", items, keys: shape.keys }, shape.keys ? { keys: shape.keys, items: trees } : trees];
  }

  /**
   * One element's structure (its leaves numbered in order: the offsets) where
   * `type` is an array of records or tuples whose leaves are all numbers
   * (`Point[]`, `[number, number][]`, `{ p: V2; m: number }[]`).
   */
  private listElement(type: ts.TypeNode, mod: SourceModule, leaf: "num" | "tensor" = "num"): Tree | undefined {
    const el = arrayElement(type, mod);
    const shape = el && this.shapeOf(el.type, el.mod, "");
    // (a Tensor element is a leaf itself: `Tensor[]`)
    if (!shape || typeof shape === "string" || (shape.k !== "tuple" && leaf === "num")) return undefined;
    const next = { i: 0 };
    const tree = (s: Shape): Tree | undefined => {
      if (s.k === "leaf") return s.t.k === leaf ? next.i++ : undefined;
      const items = s.items.map(tree);
      if (items.some((x) => x === undefined)) return undefined;
      return s.keys ? { keys: s.keys, items: items as Tree[] } : (items as Tree[]);
    };
    return tree(shape);
  }

  private paramType(p: ts.ParameterDeclaration): Type {
    if (p.type) {
      const t = this.typeFromNode(p.type);
      if (t) return t;
      // any other type (a config object, a string, a class instance) is a constant: its properties are read as
      // they are and it is never differentiated (a marker that would differentiate it says so, compiler/front/markers.ts)
      // (a function parameter cannot be called: jacc resolves the functions it differentiates statically)
      if (ts.isFunctionTypeNode(resolveType(p.type, this.mod).type)) fail(p.type, "unsupported-type", `parameter type \`${p.type.getText()}\` is a function: pass the function itself to the marker, or call it outside`);
      return OPAQUE;
    }
    if (p.initializer) {
      const init = skipParens(p.initializer);
      if (ts.isArrayLiteralExpression(init)) return VEC;
      return NUM;
    }
    // Unannotated: a vector if the body indexes it or reads its length.
    const name = (p.name as ts.Identifier).text;
    let isVec = false;
    const visit = (n: ts.Node): void => {
      if (isVec) return;
      if (ts.isElementAccessExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === name) isVec = true;
      else if (ts.isPropertyAccessExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === name && n.name.text === "length") isVec = true;
      else if (ts.isForOfStatement(n) && ts.isIdentifier(n.expression) && n.expression.text === name) isVec = true;
      else ts.forEachChild(n, visit);
    };
    if (this.node.body) visit(this.node.body);
    return isVec ? VEC : NUM;
  }

  // ---------------------------------------------------------------- scopes
  private bind(name: string, b: Binding): void {
    this.scopes[this.scopes.length - 1].set(name, b);
    if (b.k === "tuple" && b.keys) for (const x of leafVars(b)) if (x) this.namedLeaves.add(x);
  }

  /**
   * JavaScript's objects are references, jacc's records their values: `let q = o` (and `q = o`,
   * `o.v = p.w`) gives the new name leaves of its own, copies of the old ones, where JavaScript
   * shares the object. The two agree until a property of either is written; such a write is a
   * diagnostic (checkCopies), never a derivative of another function. (`const q = o` shares the
   * leaves, and a literal's numbers, `{ ...o, x: 1 }`, are its own, as in JavaScript.)
   */
  private namedLeaves = new Set<string>();
  private copiedLeaves = new Map<string, ts.Node>();
  private propertyWrites: { leaf: string; at: ts.Node }[] = [];

  /** Records that `dst`'s leaves were copied from `src`'s (at `at`): where a source leaf is a named record's. */
  private noteCopy(dst: Val, src: Val, at: ts.Node): void {
    const d = leafVars(dst);
    const s = leafVars(src);
    if (d.length !== s.length) return;
    s.forEach((x, i) => {
      if (!x || !d[i] || !this.namedLeaves.has(x) || x === d[i]) return;
      this.copiedLeaves.set(x, at);
      this.copiedLeaves.set(d[i], at);
    });
  }

  private checkCopies(): void {
    for (const w of this.propertyWrites) {
      const at = this.copiedLeaves.get(w.leaf);
      if (!at) continue;
      const line = at.getSourceFile().getLineAndCharacterOfPosition(at.getStart()).line + 1;
      fail(w.at, "unsupported-construct", `write to \`${w.at.getText()}\`: \`${at.getText()}\` (line ${line}) makes two names of one object in JavaScript, and jacc keeps records as their values, so the other name would not see this write. Share it with \`const\` (\`const q = o\`) or copy it (\`let q = { ...o }\`)`);
    }
  }

  private newVar(base: string, t: Type): string {
    const n = this.names.claim(base);
    this.fn.vars.set(n, t);
    return n;
  }

  /** Resolves a name used in this function: a local, a captured local, or an outer declaration. */
  lookup(name: string, at: ts.Node): Binding | Decl | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const b = this.scopes[i].get(name);
      if (b) return b;
    }
    if (this.outer) {
      const ob = this.outer.lookup(name, at);
      if (ob && ((ob.k === "var" && "isParam" in ob) || ob.k === "tuple")) {
        // A local of the enclosing function: pass it in as a trailing parameter.
        if (ob.k !== "var" || !("isParam" in ob)) fail(at, "unsupported-construct", `capturing the ${ob.k === "tuple" && ob.keys ? "record" : "tuple"} \`${name}\` in a local function is not supported; destructure it first`);
        let pn = this.capturedNames.get(name);
        if (!pn) {
          pn = this.names.claim(name);
          this.capturedNames.set(name, pn);
          this.fn.vars.set(pn, ob.type);
          this.fn.params.push({ name: pn, type: ob.type, source: name });
          this.capturedArgs.push(v(ob.name));
          this.scopes[0].set(name, { k: "var", name: pn, type: ob.type, isConst: true, isParam: true });
        }
        return { k: "var", name: pn, type: ob.type, isConst: true, isParam: true };
      }
      // A local function of an enclosing function: lowered there (its captures are that function's variables),
      // called here with those captures passed on through this function's own (a closure in a closure).
      if (ob && (ob.k === "lazy" || ob.k === "fn")) {
        const outer = this.outer;
        // (a local function calling itself: this very function, its captures added to the call at the end)
        if (ob.k === "lazy" && ob.node === this.node) return { k: "fn", target: { fn: this.fn.name, extra: [] } };
        if (ob.k === "lazy" && !ob.target && this.program.lowering(ob.node)) {
          fail(at, "unsupported-construct", `local functions that call each other (\`${ob.name}\` and \`${this.fn.source ?? this.fn.name}\`) are not supported: declare them outside the function, passing what they capture as parameters`);
        }
        if (ob.k === "lazy") ob.target ??= this.program.lowerDecl({ k: "function", node: ob.node, name: ob.name, module: outer.mod }, outer);
        const target = ob.target!;
        return target.extra.length ? { k: "fn", target: { ...target, extra: target.extra.map((a) => this.captureOuter(a)) } } : { k: "fn", target };
      }
      if (ob) return ob;
    }
    return findDeclaration(name, this.node.parent ?? this.node, this.mod);
  }

  /** A variable of the enclosing function, passed in as a trailing parameter (once). */
  private captureOuter(a: Atom): Atom {
    if (a.k !== "var") return a;
    let pn = this.capturedOuter.get(a.name);
    if (!pn) {
      const type = this.outer!.fn.vars.get(a.name)!;
      pn = this.names.claim(a.name);
      this.capturedOuter.set(a.name, pn);
      this.fn.vars.set(pn, type);
      this.fn.params.push({ name: pn, type, source: a.name });
      this.capturedArgs.push(v(a.name));
    }
    return v(pn);
  }

  /**
   * Leaves a scope. Its local functions that nothing called are lowered all the
   * same (and dropped, unreachable): the fence sees every function in a
   * differentiated one, called or not.
   */
  private popScope(): void {
    for (const b of this.scopes[this.scopes.length - 1].values()) {
      // (one inlined where it is called, assigning the enclosing function's variables, has been lowered there)
      if (b.k === "lazy" && !b.target && !b.inlined) b.target = this.program.lowerDecl({ k: "function", node: b.node, name: b.name, module: this.mod }, this);
    }
    this.scopes.pop();
  }

  // ---------------------------------------------------------------- statements
  private block(stmts: readonly ts.Statement[]): void {
    this.scopes.push(new Map());
    for (let i = 0; i < stmts.length; i++) {
      const s = stmts[i];
      this.stmt(s);
      const flags = this.exitFlags(s);
      if (flags.length && i < stmts.length - 1) {
        // The rest of the block runs only if `s` did not return, break or continue.
        const guard = this.notAny(flags);
        const rest = stmts.slice(i + 1);
        const body = this.b.sub(() => this.block(rest));
        this.b.emit({ k: "if", cond: guard, then: body, else: [] });
        break;
      }
    }
    this.popScope();
  }

  /** The flags a statement may set (syntactically), in this function. */
  private exitFlags(s: ts.Statement): string[] {
    const out = new Set<string>();
    const loop = this.loops[this.loops.length - 1];
    const visit = (n: ts.Node, loopDepth: number): void => {
      if (ts.isFunctionLike(n) || ts.isClassLike(n)) return;
      if (ts.isReturnStatement(n) && this.retFlag) out.add(this.retFlag);
      if (loopDepth === 0 && loop && ts.isBreakStatement(n) && !n.label && loop.brk) out.add(loop.brk);
      if (loopDepth === 0 && loop && ts.isContinueStatement(n) && !n.label && loop.cnt) out.add(loop.cnt);
      // (a labelled jump, at any depth, to this loop or an enclosing one)
      if ((ts.isBreakStatement(n) || ts.isContinueStatement(n)) && n.label) {
        const target = this.loops.find((l) => l.label === n.label!.text);
        const flag = target && (ts.isBreakStatement(n) ? target.brk : target.cnt);
        if (flag) out.add(flag);
      }
      const isLoop = ts.isIterationStatement(n, false);
      ts.forEachChild(n, (c) => visit(c, loopDepth + (isLoop ? 1 : 0)));
    };
    visit(s, 0);
    return [...out];
  }

  private notAny(flags: string[]): Atom {
    let acc: Atom | undefined;
    for (const f of flags) acc = acc ? this.b.p("or", acc, v(f)) : v(f);
    return this.b.p("not", acc!);
  }

  private loc(n: ts.Node): Loc {
    return locOf(n);
  }

  private stmt(s: ts.Statement): void {
    this.b.loc = this.loc(s);
    if (ts.isVariableStatement(s)) return this.varDecls(s.declarationList);
    if (ts.isExpressionStatement(s)) {
      this.expr(s.expression, true);
      return;
    }
    if (ts.isReturnStatement(s)) {
      if (!s.expression) fail(s, "unsupported-construct", "a differentiated function must return a value");
      return this.returnValue(s.expression, s);
    }
    if (ts.isIfStatement(s)) {
      const c = this.cond(s.expression);
      const then = this.b.sub(() => this.block([s.thenStatement].flatMap(blockStmts)));
      const els = s.elseStatement ? this.b.sub(() => this.block(blockStmts(s.elseStatement!))) : [];
      this.b.emit({ k: "if", cond: c, then, else: els, loc: this.loc(s) });
      return;
    }
    if (ts.isBlock(s)) return this.block(s.statements);
    // (types have no run-time part; the aliases are read where annotations use them, types.ts)
    if (ts.isEmptyStatement(s) || ts.isTypeAliasDeclaration(s) || ts.isInterfaceDeclaration(s)) return;
    if (ts.isForStatement(s)) return this.forStmt(s);
    if (ts.isForOfStatement(s)) return this.forOf(s);
    if (ts.isWhileStatement(s)) return this.whileLoop(s, s.expression, s.statement, false);
    if (ts.isDoStatement(s)) return this.whileLoop(s, s.expression, s.statement, true);
    if (ts.isSwitchStatement(s)) return this.switchStmt(s);
    if (ts.isLabeledStatement(s)) {
      if (!ts.isIterationStatement(s.statement, false)) fail(s, "unsupported-construct", "a label is supported on a loop (`outer: for (…)`), not on another statement, in a differentiated function");
      this.pendingLabel = s.label.text;
      return this.stmt(s.statement);
    }
    if (ts.isBreakStatement(s) || ts.isContinueStatement(s)) {
      const loop = s.label ? [...this.loops].reverse().find((l) => l.label === s.label!.text) : this.loops[this.loops.length - 1];
      if (s.label && !loop) fail(s, "unsupported-construct", `\`${s.label.text}\` labels no enclosing loop of this function`);
      if (!loop) fail(s, "unsupported-construct", "`break` outside a loop");
      const flag = ts.isBreakStatement(s) ? loop.brk : loop.cnt;
      this.b.assign(flag!, { k: "atom", a: lit(true) });
      return;
    }
    if (ts.isFunctionDeclaration(s)) {
      if (!s.name) fail(s, "unsupported-construct", "anonymous function declaration");
      this.bind(s.name.text, { k: "lazy", node: s, name: s.name.text });
      return;
    }
    fail(s, "unsupported-construct", `${constructName(s)} is not supported in a differentiated function`);
  }

  /**
   * switch as the if / else-if chain it means where no case falls into the
   * next: each case's statements end with `break` (dropped), `return`,
   * `continue` or the end of the switch; empty cases share the next one's
   * statements (`case 1: case 2:`); `default` comes last. The discriminant is
   * evaluated once and compared with `===`.
   */
  private switchStmt(s: ts.SwitchStatement): void {
    const disc = this.newVar("switched", NUM);
    const dv = this.expr(s.expression);
    if (dv.k !== "atom") fail(s.expression, "unsupported-construct", "`switch` needs a number, a boolean or a constant here");
    this.b.assign(disc, { k: "atom", a: dv.a });
    const clauses = s.caseBlock.clauses;
    type Arm = { labels: ts.Expression[]; dflt: boolean; body: ts.Statement[] };
    const arms: Arm[] = [];
    let labels: ts.Expression[] = [];
    let dflt = false;
    clauses.forEach((c, k) => {
      if (ts.isDefaultClause(c)) dflt = true;
      else labels.push(c.expression);
      if (!c.statements.length && k < clauses.length - 1) return; // `case 1: case 2: …` share the statements
      const body = [...c.statements];
      const last = body[body.length - 1];
      if (last && ts.isBreakStatement(last) && !last.label) body.pop();
      else if (k < clauses.length - 1 && !(last && (ts.isReturnStatement(last) || ts.isContinueStatement(last) || ts.isThrowStatement(last) || ts.isBreakStatement(last)))) {
        fail(c, "unsupported-construct", "a `case` that falls through into the next one is not supported in a differentiated function (end it with `break`, `return` or `continue`)");
      }
      const inner = switchBreak(body);
      if (inner) fail(inner, "unsupported-construct", "`break` inside a `case` other than at its end is not supported in a differentiated function");
      if (dflt && k < clauses.length - 1) fail(c, "unsupported-construct", "`default` must be the last case of a `switch` in a differentiated function");
      arms.push({ labels, dflt, body });
      labels = [];
    });
    const chain = (i: number): void => {
      if (i >= arms.length) return;
      const arm = arms[i];
      if (arm.dflt) return this.block(arm.body);
      let c: Atom | undefined;
      for (const l of arm.labels) {
        // (a string label: compared with a constant's property, as JavaScript's === does)
        const lv = ts.isStringLiteral(l) || ts.isNoSubstitutionTemplateLiteral(l) ? this.b.let("label", OPAQUE, { k: "ext", text: JSON.stringify(l.text) }) : this.atomOf(this.expr(l), l);
        const eq = this.b.p("eq", v(disc), lv);
        c = c ? this.b.p("or", c, eq) : eq;
      }
      const then = this.b.sub(() => this.block(arm.body));
      const els = this.b.sub(() => chain(i + 1));
      this.b.emit({ k: "if", cond: c!, then, else: els, loc: this.loc(s) });
    };
    chain(0);
  }

  private returnValue(e: ts.Expression, at: ts.Node): void {
    const declared = this.node.type && tupleType(this.node.type, this.mod);
    const val = declared ? this.exprAs(e, declared.type, declared.mod) : this.expr(e, false, this.retTuple || isAsConst(e) ? "tuple" : undefined);
    const atoms = this.flatten(val, at);
    const isTuple = val.k === "tuple";
    // a record or nested tuple: the results are its leaves, and the tree says how they nest
    const tree = isNested(val) ? JSON.stringify(treeOfVal(val)) : undefined;
    if (this.retTree !== undefined || tree !== undefined) {
      if (this.retTypes && this.retTree !== tree) fail(at, "unsupported-construct", "every return must give a value of the same structure (the same record properties, the same tuple lengths)");
      this.retTree = tree;
      if (tree !== undefined) {
        this.fn.outTree = JSON.parse(tree) as Tree;
        this.retTuple = true;
      }
    }
    if (!this.retTypes) {
      this.retTuple = isTuple;
      this.retTypes = atoms.map((x) => x.t);
      this.retVars = atoms.map((x, i) => this.newVar(atoms.length > 1 ? `out${i}` : "out", x.t));
      this.publishResults();
    }
    if (atoms.length !== this.retTypes.length) fail(at, "unsupported-construct", `every return must give ${this.retTypes.length} value(s)`);
    atoms.forEach((x, i) => this.b.assign(this.retVars[i], { k: "atom", a: x.a }));
    if (this.retFlag) this.b.assign(this.retFlag, { k: "atom", a: lit(true) });
  }

  /** An array literal where a tuple type is declared: a tuple, its elements as the element types say (nested tuples too). */
  private exprAs(e: ts.Expression, type: ts.TupleTypeNode, mod: SourceModule): Val {
    const lit0 = skipAsAndParens(e);
    if (!ts.isArrayLiteralExpression(lit0) || lit0.elements.length !== type.elements.length || lit0.elements.some(ts.isSpreadElement)) return this.expr(e, false, "tuple");
    const items = lit0.elements.map((x, i) => {
      const el = type.elements[i];
      const inner = tupleType(ts.isNamedTupleMember(el) ? el.type : el, mod);
      return inner ? this.exprAs(x, inner.type, inner.mod) : this.expr(x);
    });
    return { k: "tuple", items };
  }

  private declareFlag(base: string): string {
    const f = this.newVar(base, BOOL);
    // Flags are initialised at function entry so every path sees them.
    this.flagInits.push({ k: "let", dst: f, e: { k: "atom", a: lit(false) } });
    return f;
  }
  private flagInits: Stmt[] = [];

  private flatten(val: Val, at: ts.Node): { a: Atom; t: Type }[] {
    if (this.listOf(val) !== undefined) fail(at, "unsupported-construct", "a differentiated array of records is indexed, iterated with for…of, measured with .length, destructured or passed to a helper; it cannot be returned, chosen by `?:` or assigned");
    if (val.k === "atom") return [{ a: val.a, t: val.t }];
    if (val.k === "tuple") return val.items.flatMap((x) => this.flatten(x, at));
    fail(at, "unsupported-construct", "a function value cannot be returned from a differentiated function");
  }

  private varDecls(list: ts.VariableDeclarationList): void {
    const isConst = (list.flags & ts.NodeFlags.Const) !== 0;
    for (const d of list.declarations) {
      this.b.loc = this.loc(d);
      if (!d.initializer) {
        if (!ts.isIdentifier(d.name)) fail(d, "unsupported-construct", "destructuring needs an initializer");
        const t = d.type ? this.typeFromNode(d.type) ?? NUM : NUM;
        const name = this.newVar(d.name.text, t);
        this.b.assign(name, { k: "atom", a: lit(t.k === "num" ? NaN : false) });
        this.bind(d.name.text, { k: "var", name, type: t, isConst, isParam: false });
        continue;
      }
      const init = skipParens(d.initializer);
      if (ts.isIdentifier(d.name) && (ts.isArrowFunction(init) || ts.isFunctionExpression(init))) {
        this.bind(d.name.text, { k: "lazy", node: init, name: d.name.text });
        continue;
      }
      const declared = tupleType(d.type, this.mod);
      if (ts.isArrayBindingPattern(d.name)) this.piecesHint = { node: init, count: d.name.elements.length };
      // `const [a, b] = [e1, e2]`: the elements themselves, with no array between (JavaScript evaluates every element,
      // then binds): each name is then reached or not on its own, as a number is (an array element is not yet, and an
      // unread one that overflowed sent its zero cotangent through as 0 · ∞; fuzzer seed 20410049)
      const direct = !declared && ts.isArrayBindingPattern(d.name) && ts.isArrayLiteralExpression(init) && !init.elements.some((el) => ts.isSpreadElement(el) || ts.isOmittedExpression(el)) &&
        d.name.elements.every((el) => ts.isOmittedExpression(el) || (!el.dotDotDotToken && !el.initializer)) && init.elements.length >= d.name.elements.length;
      const val = direct
        ? { k: "tuple" as const, items: (init as ts.ArrayLiteralExpression).elements.map((el) => this.expr(el, false, undefined)) }
        : declared ? this.exprAs(d.initializer, declared.type, declared.mod) : this.expr(d.initializer, false, undefined);
      this.bindPattern(d.name, val, isConst, d);
    }
  }

  private bindPattern(name: ts.BindingName, val: Val, isConst: boolean, at: ts.Node): void {
    if (ts.isIdentifier(name)) {
      if (val.k === "fn") return this.bind(name.text, { k: "fn", target: val.target });
      if (val.k === "tuple" && val.keys) {
        // A record-valued local is kept as its leaves: a `const` names the same record (writes to its
        // properties are seen through every name, as in JavaScript), a `let` holds leaves of its own
        const items = isConst ? val.items : (this.copyLeaves(name.text, val) as { items: Val[] }).items;
        if (!isConst) this.noteCopy({ k: "tuple", items }, val, at);
        return this.bind(name.text, { k: "tuple", items, keys: val.keys, view: val.view });
      }
      if (val.k === "tuple") {
        // A tuple-valued local is kept as its parts (scalar replacement).
        const items = val.items.map((it, i) => (it.k === "atom" ? this.copyTo(`${name.text}_${i}`, it) : it));
        return this.bind(name.text, { k: "tuple", items, view: val.view });
      }
      const t = val.t;
      // (a differentiated array of Tensors: `const q = Ws` names the same flat Tensor, read only)
      if (val.a.k === "var" && this.tensorList(val.a)) {
        if (!isConst) fail(at, "unsupported-construct", "a differentiated array of Tensors can be named by a `const`, not a `let`");
        return this.bind(name.text, { k: "var", name: val.a.name, type: OPAQUE, isConst: true, isParam: false });
      }
      if (t.k === "vec" && !isConst) {
        const n = this.copyTo(name.text, val);
        return this.bind(name.text, { k: "var", name: (n as { a: { name: string } }).a.name, type: t, isConst: false, isParam: false });
      }
      const n = this.copyTo(name.text, val) as Extract<Val, { k: "atom" }>;
      // (`const q = ps` names the same differentiated array of records; a `let` may be given another array later, so it is not one)
      const list = this.listOf(val);
      if (list !== undefined && isConst) this.lists.set((n.a as { name: string }).name, list);
      if (isConst && val.a.k === "var" && this.grows.has(val.a.name)) this.grows.add((n.a as { name: string }).name);
      // (and `const q = data` the same constant, read as its declared type)
      if (t.k === "opaque" && isConst) this.consts.alias((n.a as { name: string }).name, val.a);
      return this.bind(name.text, { k: "var", name: (n.a as { name: string }).name, type: t, isConst, isParam: false });
    }
    if (ts.isArrayBindingPattern(name)) {
      name.elements.forEach((el, i) => {
        if (ts.isOmittedExpression(el)) return;
        if (el.dotDotDotToken) {
          // `const [a, ...rest] = xs`: the rest of a tuple, or a new array of the rest (xs.slice(i))
          if (val.k === "atom" && this.tensorList(val.a)) fail(el, "unsupported-construct", "a rest element of a differentiated array of Tensors is not supported: index it instead");
          const els = val.k === "tuple" ? undefined : this.elementsOf(val);
          if (val.k !== "tuple" && !els) fail(el, "unsupported-construct", "only tuples and arrays can be destructured with a rest element");
          const rest: Val = val.k === "tuple" ? { k: "tuple", items: val.items.slice(i) } : sliced(this, val, els!, this.b.p("min", lit(i), els!.n), els!.n);
          return this.bindPattern(el.name, rest, isConst, el);
        }
        let item: Val;
        // (an element past the end of a tuple or of an array literal just made: its default value, as in JavaScript)
        if (el.initializer && ((val.k === "tuple" && i >= val.items.length) || (val.k === "atom" && i >= (this.literalLength(val.a) ?? Infinity)))) {
          return this.bindPattern(el.name, this.expr(el.initializer), isConst, el);
        }
        if (val.k === "tuple") {
          if (i >= val.items.length) fail(el, "unsupported-construct", `the tuple has only ${val.items.length} elements`);
          item = val.items[i];
        } else if (this.listOf(val) !== undefined) {
          item = this.listItem((val as { a: Atom }).a, this.listOf(val)!, lit(i));
        } else if (val.k === "atom" && val.t.k === "opaque" && this.consts.iterable(val.a)) {
          item = this.consts.element(val.a, lit(i), i)!;
        } else if (val.k === "atom" && val.t.k === "vec") {
          item = { k: "atom", a: this.b.let("t", NUM, { k: "load", arr: val.a, index: lit(i) }), t: NUM };
        } else fail(el, "unsupported-construct", "only tuples and vectors can be destructured");
        this.bindPattern(el.name, el.initializer ? this.orDefault(item, el.initializer) : item, isConst, el);
      });
      return;
    }
    // const { W1, b1: bias, inner: { k }, scale = 1, ...rest } = p
    if (val.k !== "tuple" || !val.keys) fail(at, "unsupported-construct", "only records can be destructured with `{ … }`");
    const keyOf = (el: ts.BindingElement) => (el.propertyName ? propertyKey(el.propertyName) : (el.name as ts.Identifier).text);
    for (const el of name.elements) {
      if (el.dotDotDotToken) {
        // the record of the properties not named before it
        const named = new Set(name.elements.filter((x) => !x.dotDotDotToken).map(keyOf));
        const kept = val.keys.flatMap((k, i) => (named.has(k) ? [] : [i]));
        this.bindPattern(el.name, { k: "tuple", keys: kept.map((i) => val.keys![i]), items: kept.map((i) => val.items[i]) }, isConst, el);
        continue;
      }
      const key = keyOf(el);
      if (key === undefined) fail(el, "unsupported-construct", "a computed property name in destructuring is not supported");
      // (a default value: where the record has no such property, or where its number is undefined)
      const item = el.initializer && !val.keys.includes(key) ? this.expr(el.initializer) : this.field(val, key, el);
      this.bindPattern(el.name, el.initializer && val.keys.includes(key) ? this.orDefault(item, el.initializer) : item, isConst, el);
    }
  }

  /** The length of `a` where it is an array literal made by the current block, only lets since (else undefined). */
  private literalLength(a: Atom): number | undefined {
    if (a.k !== "var") return undefined;
    const st = this.b.stmts;
    for (let i = st.length - 1; i >= 0; i--) {
      const s = st[i];
      if (s.k === "let" && s.dst === a.name) return s.e.k === "veclit" ? s.e.items.length : undefined;
      // (a load or a copy leaves it as it is; a store, a call or a branch may not)
      if (s.k !== "let") return undefined;
    }
    return undefined;
  }

  /** `item` or, where it is undefined at run time, `init` (evaluated only then): `??`, a destructuring default. */
  private orDefault(item: Val, init: ts.Expression, mismatch = "a default value must be the same kind of value as the element here"): Val {
    if (item.k !== "atom" || (item.a.k === "lit" && item.a.v !== undefined)) return item;
    const b = this.b;
    const out = this.newVar("value", item.t);
    b.assign(out, { k: "atom", a: item.a });
    const then = b.sub(() => {
      const r = this.expr(init);
      if (r.k !== "atom" || r.t.k !== item.t.k) fail(init, "unsupported-construct", mismatch);
      b.assign(out, { k: "atom", a: r.a });
    });
    b.emit({ k: "if", cond: b.p("isundef", item.a), then, else: [] });
    return { k: "atom", a: v(out), t: item.t };
  }

  /** A record's property `key`, or a diagnostic naming the properties it has. */
  private field(rec: Extract<Val, { k: "tuple" }>, key: string, at: ts.Node): Val {
    const i = rec.keys!.indexOf(key);
    if (i < 0) fail(at, "unsupported-construct", `the record has no property \`${key}\` (it has ${rec.keys!.map((k) => `\`${k}\``).join(", ") || "none"})`);
    return rec.items[i];
  }

  /** A copy of a record or tuple with a variable of its own for each leaf. */
  private copyLeaves(base: string, val: Val): Val {
    if (val.k !== "tuple") return this.copyTo(base, val);
    return { k: "tuple", items: val.items.map((x, i) => this.copyLeaves(`${base}_${val.keys?.[i] ?? i}`, x)), keys: val.keys };
  }

  /**
   * An object literal: a record whose number, array and Tensor properties get
   * variables of their own (writes to them change only this record); a
   * record-valued property or a spread's records are the same records.
   */
  private objectLiteral(e: ts.ObjectLiteralExpression): Val {
    const keys: string[] = [];
    const items: Val[] = [];
    const set = (key: string, val: Val, at: ts.Node) => {
      if (val.k === "fn") fail(at, "unsupported-construct", "a function cannot be a property of a record in a differentiated function");
      const item = val.k === "atom" ? this.copyTo(key, val) : val;
      const i = keys.indexOf(key);
      if (i >= 0) items[i] = item; // a later property wins, in its first place (as in JavaScript)
      else (keys.push(key), items.push(item));
    };
    for (const p of e.properties) {
      if (ts.isPropertyAssignment(p)) {
        const key = propertyKey(p.name);
        if (key === undefined) fail(p.name, "unsupported-construct", "a computed property name is not supported in a differentiated function");
        set(key, this.expr(p.initializer), p.initializer);
      } else if (ts.isShorthandPropertyAssignment(p)) {
        set(p.name.text, this.identifier(p.name), p);
      } else if (ts.isSpreadAssignment(p)) {
        const val = this.expr(p.expression);
        if (val.k !== "tuple" || !val.keys) fail(p, "unsupported-construct", "only a record can be spread into an object literal");
        val.keys.forEach((k, i) => set(k, val.items[i], p));
      } else fail(p, "unsupported-construct", `${ts.isMethodDeclaration(p) ? "a method" : "an accessor"} in an object literal is not supported in a differentiated function`);
    }
    return { k: "tuple", items, keys };
  }

  /** Copies a value into a new named variable (a declaration). */
  private copyTo(base: string, val: Val): Val {
    if (val.k !== "atom") return val;
    const n = this.newVar(base, val.t);
    this.b.assign(n, { k: "atom", a: val.a });
    return { k: "atom", a: v(n), t: val.t };
  }

  // ---------------------------------------------------------------- loops
  private withLoop(node: ts.Node, body: ts.Statement, f: (ctx: LoopCtx) => void): void {
    const label = this.pendingLabel;
    this.pendingLabel = undefined;
    const ctx: LoopCtx = { node, label, exits: [] };
    const to = (kind: ts.SyntaxKind) => containsJump(body, kind) || (!!label && jumpsTo(body, label, kind));
    if (to(ts.SyntaxKind.BreakStatement)) ctx.brk = this.newVar("broke", BOOL);
    if (to(ts.SyntaxKind.ContinueStatement)) ctx.cnt = this.newVar("continued", BOOL);
    // `break outer` / `continue outer` in this body: the enclosing loop's flag ends this one too
    for (const outer of this.loops) {
      if (!outer.label) continue;
      if (outer.brk && jumpsTo(body, outer.label, ts.SyntaxKind.BreakStatement)) ctx.exits.push(outer.brk);
      if (outer.cnt && jumpsTo(body, outer.label, ts.SyntaxKind.ContinueStatement)) ctx.exits.push(outer.cnt);
    }
    if (ctx.brk) this.b.assign(ctx.brk, { k: "atom", a: lit(false) });
    this.loops.push(ctx);
    f(ctx);
    this.loops.pop();
  }

  /** cond && !broke && !returned */
  private loopCond(ctx: LoopCtx, c: Atom): Atom {
    const flags = [ctx.brk, ...ctx.exits, this.retFlag].filter((x): x is string => !!x);
    return flags.length ? this.b.p("and", c, this.notAny(flags)) : c;
  }

  /**
   * A while or for loop's condition, in its `pre` block. One with side effects
   * (`while (i++ < n)`) is evaluated only while no break or return has
   * happened: JavaScript does not evaluate it after them, so its `i++` must
   * not run once more (the counter would end one too high).
   */
  private loopCondOf(ctx: LoopCtx, condE: ts.Expression | undefined): Atom {
    if (!condE) return this.loopCond(ctx, lit(true));
    const flags = [ctx.brk, ...ctx.exits, this.retFlag].filter((x): x is string => !!x);
    if (!flags.length || !hasSideEffects(condE)) return this.loopCond(ctx, this.cond(condE));
    const go = this.newVar("go", BOOL);
    this.b.assign(go, { k: "atom", a: lit(false) });
    const then = this.b.sub(() => this.b.assign(go, { k: "atom", a: this.cond(condE) }));
    this.b.emit({ k: "if", cond: this.notAny(flags), then, else: [] });
    return v(go);
  }

  private loopBody(ctx: LoopCtx, body: ts.Statement, update?: () => void): Stmt[] {
    return this.b.sub(() => {
      if (ctx.cnt) this.b.assign(ctx.cnt, { k: "atom", a: lit(false) });
      this.block(blockStmts(body));
      if (update) {
        const flags = [ctx.brk, ...ctx.exits, this.retFlag].filter((x): x is string => !!x);
        if (flags.length) {
          const g = this.notAny(flags);
          this.b.emit({ k: "if", cond: g, then: this.b.sub(update), else: [] });
        } else update();
      }
    });
  }

  private forStmt(s: ts.ForStatement): void {
    this.scopes.push(new Map());
    if (s.initializer) {
      if (ts.isVariableDeclarationList(s.initializer)) this.varDecls(s.initializer);
      else this.expr(s.initializer, true);
    }
    this.withLoop(s, s.statement, (ctx) => {
      let c: Atom = lit(true);
      const pre = this.b.sub(() => {
        c = this.loopCondOf(ctx, s.condition);
      });
      const body = this.loopBody(ctx, s.statement, s.incrementor ? () => void this.expr(s.incrementor!, true) : undefined);
      this.b.emit({ k: "loop", pre, cond: c, body, loc: this.loc(s) });
    });
    this.popScope();
  }

  private forOf(s: ts.ForOfStatement): void {
    if (s.awaitModifier) fail(s, "unsupported-construct", "`for await` is not supported");
    // for (const [i, x] of xs.entries()): the index with each element
    const call = skipParens(s.expression);
    const entries = ts.isCallExpression(call) && ts.isPropertyAccessExpression(call.expression) && call.expression.name.text === "entries" && call.arguments.length === 0;
    const arr = this.expr(entries ? (call.expression as ts.PropertyAccessExpression).expression : s.expression);
    if (entries && (arr.k !== "atom" || arr.t.k === "tensor")) fail(s.expression, "unsupported-construct", "`.entries()` is supported on arrays here");
    const rows = arr.k === "atom" && arr.t.k === "opaque" && this.consts.iterable(arr.a);
    const list = this.listOf(arr);
    // (an array the function made from a literal of records or tuples: its elements chosen by the index)
    const literal = arr.k === "tuple" && !arr.keys && !entries ? arr : undefined;
    if (!literal && (arr.k !== "atom" || (arr.t.k !== "vec" && !rows && list === undefined))) fail(s.expression, "unsupported-construct", "`for…of` must iterate over a numeric array (or an array of rows, tuples or records passed as a constant)");
    const idx = this.newVar("k", NUM);
    this.b.assign(idx, { k: "atom", a: lit(0) });
    const n = literal ? lit(literal.items.length) : list === undefined ? this.b.let("n", NUM, { k: "len", arr: (arr as { a: Atom }).a }) : this.listLength((arr as { a: Atom }).a, list);
    this.scopes.push(new Map());
    this.withLoop(s, s.statement, (ctx) => {
      let c: Atom = lit(true);
      const pre = this.b.sub(() => {
        c = this.loopCond(ctx, this.b.p("lt", v(idx), n));
      });
      const body = this.b.sub(() => {
        const a = (arr as { a: Atom }).a;
        const item: Val = literal ? this.selectItem(literal, v(idx), s.expression) : list !== undefined ? this.listItem(a, list, v(idx)) : rows ? this.consts.element(a, v(idx))! : { k: "atom", a: this.b.let("el", NUM, { k: "load", arr: a, index: v(idx) }), t: NUM };
        const el: Val = entries ? { k: "tuple", items: [{ k: "atom", a: v(idx), t: NUM }, item] } : item;
        const init = s.initializer;
        if (!ts.isVariableDeclarationList(init) || init.declarations.length !== 1) fail(init, "unsupported-construct", "`for…of` needs one `const`/`let` binding");
        this.bindPattern(init.declarations[0].name, el, true, init);
        this.b.stmts.push(...this.loopBody(ctx, s.statement, () => this.b.assign(idx, { k: "prim", op: "add", args: [v(idx), lit(1)] })));
      });
      this.b.emit({ k: "loop", pre, cond: c, body, loc: this.loc(s) });
    });
    this.popScope();
  }

  private whileLoop(s: ts.Node, condE: ts.Expression, body: ts.Statement, isDo: boolean): void {
    this.withLoop(s, body, (ctx) => {
      if (!isDo) {
        let c: Atom = lit(true);
        const pre = this.b.sub(() => {
          c = this.loopCondOf(ctx, condE);
        });
        this.b.emit({ k: "loop", pre, cond: c, body: this.loopBody(ctx, body), loc: this.loc(s) });
        return;
      }
      // do { body } while (c): `again` is true on entry and set from c after each body.
      const again = this.newVar("again", BOOL);
      this.b.assign(again, { k: "atom", a: lit(true) });
      let c: Atom = lit(true);
      const pre = this.b.sub(() => {
        c = this.loopCond(ctx, v(again));
      });
      const bodyStmts = this.loopBody(ctx, body, () => {
        const cc = this.cond(condE);
        this.b.assign(again, { k: "atom", a: cc });
      });
      this.b.emit({ k: "loop", pre, cond: c, body: bodyStmts, loc: this.loc(s) });
    });
  }

  // ---------------------------------------------------------------- expressions
  private cond(e: ts.Expression): Atom {
    // a constant object's property (if (cfg.on)): JavaScript's truthiness, whatever its type
    const chain = this.constantChain(skipParens(e));
    if (chain !== undefined) return this.b.let("c", BOOL, { k: "ext", text: `!!${chain}` });
    const val = this.expr(e);
    if (val.k !== "atom") fail(e, "unsupported-construct", "a condition must be a boolean or a number");
    if (val.t.k === "bool") return val.a;
    if (val.t.k === "num") return this.b.p("ne", val.a, lit(0));
    fail(e, "unsupported-construct", "a condition must be a boolean or a number");
  }

  atomOf(val: Val, at: ts.Node): Atom {
    if (val.k !== "atom") fail(at, "unsupported-construct", val.k === "tuple" ? (val.keys ? "a record cannot be used as a number here (read one of its properties)" : "a tuple cannot be used as a number here") : "a function cannot be used as a value here");
    return val.a;
  }

  num(e: ts.Expression): Atom {
    const val = this.expr(e);
    // tensors have no `>`: point at the mask methods (issue 17's masks)
    const op = val.k === "atom" && val.t.k === "tensor" && ts.isBinaryExpression(e.parent) ? e.parent.operatorToken : undefined;
    const cmp = op && COMPARISON_METHODS[op.kind];
    if (op && cmp) fail(e.parent, "unsupported-construct", `tensors cannot be compared with \`${op.getText()}\`: use \`.${cmp}(…)\` (a bool mask) and where(mask, a, b)`);
    if (val.k === "tuple" && val.keys) fail(e, "unsupported-construct", `\`${e.getText()}\` is a record, not a number (read one of its properties)`);
    if (val.k !== "atom" || (val.t.k !== "num" && val.t.k !== "bool")) fail(e, "unsupported-construct", `\`${e.getText()}\` is not a number`);
    return val.a;
  }

  expr(e: ts.Expression, discard = false, hint?: "tuple"): Val {
    const b = this.b;
    // (every property read, index and call passes here: `?.` is not lowered as `.` anywhere)
    if (ts.isOptionalChain(e)) fail(questionDotOf(e), "unsupported-construct", "optional chaining `?.` is not supported in a differentiated function");
    if (ts.isParenthesizedExpression(e) || ts.isNonNullExpression(e) || ts.isSatisfiesExpression(e) || ts.isTypeAssertionExpression(e)) return this.expr(e.expression, discard, hint);
    if (ts.isAsExpression(e)) return this.expr(e.expression, discard, isAsConst(e) || tupleType(e.type, this.mod) ? "tuple" : hint);
    if (ts.isNumericLiteral(e)) return { k: "atom", a: lit(Number(e.text)), t: NUM };
    if (e.kind === ts.SyntaxKind.TrueKeyword) return { k: "atom", a: lit(true), t: BOOL };
    if (e.kind === ts.SyntaxKind.FalseKeyword) return { k: "atom", a: lit(false), t: BOOL };
    // `null` only serves as "no value" here (clamp(null, max)): it is lowered as undefined
    if (e.kind === ts.SyntaxKind.NullKeyword) return { k: "atom", a: lit(undefined), t: NUM };
    if (ts.isIdentifier(e)) return this.identifier(e);
    if (ts.isPrefixUnaryExpression(e)) return this.prefix(e);
    if (ts.isPostfixUnaryExpression(e)) {
      let keep: Atom = lit(0);
      this.update(e.operand, (old) => {
        keep = discard ? old : b.let("t", NUM, { k: "atom", a: old });
        return b.p(e.operator === ts.SyntaxKind.PlusPlusToken ? "add" : "sub", keep, lit(1));
      }, e);
      return { k: "atom", a: keep, t: NUM };
    }
    if (ts.isBinaryExpression(e)) return this.binary(e);
    if (ts.isConditionalExpression(e)) {
      const c = this.cond(e.condition);
      // one variable per leaf: a number, or each leaf of two records (tuples) of the same structure
      let outs: { a: Atom; t: Type }[] = [];
      let shape: Val | undefined;
      // (a tuple wanted, `(): [number, number] => (c ? [a, b] : [b, a])`, is wanted of both branches)
      const then = b.sub(() => {
        const x = this.expr(e.whenTrue, false, hint);
        if (x.k !== "tuple") this.atomOf(x, e.whenTrue);
        shape = x;
        outs = this.flatten(x, e.whenTrue).map((l) => ({ a: v(this.newVar("sel", l.t)), t: l.t }));
        this.flatten(x, e.whenTrue).forEach((l, i) => b.assign((outs[i].a as { name: string }).name, { k: "atom", a: l.a }));
      });
      const els = b.sub(() => {
        const y = this.expr(e.whenFalse, false, hint);
        if (y.k !== "tuple") this.atomOf(y, e.whenFalse);
        if (JSON.stringify(treeOfVal(y)) !== JSON.stringify(treeOfVal(shape!))) fail(e, "unsupported-construct", "both branches of `?:` must give values of the same structure");
        this.flatten(y, e.whenFalse).forEach((l, i) => b.assign((outs[i].a as { name: string }).name, { k: "atom", a: l.a }));
      });
      b.emit({ k: "if", cond: c, then, else: els, loc: this.loc(e) });
      if (shape!.k !== "tuple") return { k: "atom", ...outs[0] };
      return valOfTree(outs.map((o) => ({ k: "atom", a: o.a, t: o.t })), treeOfVal(shape!));
    }
    if (ts.isCallExpression(e)) return this.call(e, hint);
    if (ts.isElementAccessExpression(e)) return this.elementAccess(e);
    if (ts.isPropertyAccessExpression(e)) return this.property(e);
    if (ts.isArrayLiteralExpression(e)) {
      // [...xs, y, ...zs]: a new array of the numbers in order (array-methods.ts)
      if (e.elements.some(ts.isSpreadElement)) {
        const parts = e.elements.map((x) => {
          const val = this.expr(ts.isSpreadElement(x) ? x.expression : x);
          if (ts.isSpreadElement(x) ? val.k === "atom" && val.t.k === "vec" && this.listOf(val) === undefined : val.k === "atom" && val.t.k === "num") return ts.isSpreadElement(x) ? { spread: val } : { item: (val as { a: Atom }).a };
          return fail(x, "unsupported-construct", "an array literal with spreads takes numeric arrays (spread) and numbers here");
        });
        return joined(this, parts, e);
      }
      const items = e.elements.map((x) => this.expr(x, false, undefined));
      if (hint === "tuple" || items.some((x) => x.k !== "atom" || x.t.k !== "num")) return { k: "tuple", items };
      const arr = b.let("arr", VEC, { k: "veclit", items: items.map((x) => (x as { a: Atom }).a) });
      this.grows.add((arr as { name: string }).name);
      return { k: "atom", a: arr, t: VEC };
    }
    if (ts.isNewExpression(e)) return this.newExpr(e);
    if (ts.isObjectLiteralExpression(e)) return this.objectLiteral(e);
    if (ts.isArrowFunction(e) || ts.isFunctionExpression(e)) {
      const target = this.program.lowerDecl({ k: "function", node: e, name: "fn", module: this.mod }, this);
      return { k: "fn", target };
    }
    fail(e, "unsupported-construct", `${constructName(e)} is not supported in a differentiated function`);
  }

  private identifier(e: ts.Identifier): Val {
    const name = e.text;
    if (name === "Infinity") return { k: "atom", a: lit(Infinity), t: NUM };
    if (name === "NaN") return { k: "atom", a: lit(NaN), t: NUM };
    if (name === "undefined") return { k: "atom", a: lit(undefined), t: NUM };
    const b = this.lookup(name, e);
    if (!b) fail(e, "unresolved", `cannot resolve \`${name}\``);
    switch (b.k) {
      case "var":
        if ("isParam" in b) return { k: "atom", a: v(b.name), t: b.type };
        return this.captured(b, e);
      case "tuple":
        return { k: "tuple", items: b.items, keys: b.keys, view: b.view };
      case "fn":
        return { k: "fn", target: (b as { target: FnTarget }).target };
      case "lazy":
        b.target ??= this.program.lowerDecl({ k: "function", node: b.node, name: b.name, module: this.mod }, this);
        return { k: "fn", target: b.target };
      case "function":
        return { k: "fn", target: this.program.lowerDecl(b) };
      case "param":
        return this.captured(b, e);
      case "jacc":
        fail(e, "unsupported-construct", `\`${name}\` from "jacc" cannot be used as a value here`);
      case "jaccNamespace":
        fail(e, "unsupported-construct", `the namespace \`${name}\` of "jacc" cannot be used as a value here (call its members: ${name}.exp(x))`);
      case "import":
        return this.imported(b, e);
      case "namespace":
        fail(e, "unsupported-construct", `the namespace \`${name}\` of "${b.spec}" cannot be used as a value here (name its functions: ${name}.f)`);
    }
  }

  /** A variable from outside the differentiated functions: a constant read when the code runs. */
  private captured(d: Extract<Decl, { k: "var" } | { k: "param" }>, e: ts.Identifier): Val {
    let t: Type = NUM;
    const node = d.node;
    const typeNode = node.type;
    if (typeNode) t = this.typeFromNode(typeNode, d.module) ?? OPAQUE;
    else if (node.initializer) {
      const init = skipParens(node.initializer);
      if (ts.isArrayLiteralExpression(init) || ts.isNewExpression(init) || (ts.isCallExpression(init) && /^(Float64Array|Float32Array|Array)\b/.test(init.expression.getText()))) t = VEC;
      else if (ts.isObjectLiteralExpression(init)) t = OPAQUE;
      else if (this.isTensorExpr(init, d.module)) t = TENSOR;
      else if (ts.isCallExpression(init) || ts.isIdentifier(init)) t = OPAQUE;
    }
    if (d.k === "var" && !d.moduleLevel || d.k === "param") this.noteCapture(d.name);
    if (d.module !== this.program.main) fail(e, "unsupported-construct", `\`${d.name}\` is a module-level value of ${d.module.fileName}; a differentiated function imported from another module may only read its own parameters and locals`);
    // The constant keeps its own name visible: the local copy gets another one.
    this.names.reserve(d.name);
    const a = this.b.let(`${d.name}_`, t, { k: "ext", text: d.name });
    if (t.k === "opaque" && typeNode && a.k === "var") this.consts.declare(a.name, { type: typeNode, mod: d.module });
    return { k: "atom", a, t };
  }

  /** A captured initializer that builds a Tensor: a call of jacc's factories or ops, or a method of one. */
  private isTensorExpr(init: ts.Expression, mod: SourceModule): boolean {
    let e = skipParens(init);
    const jaccName = (c: ts.CallExpression) => jaccExportOf(c.expression, (n, at) => findDeclaration(n, at, mod));
    // (a method of a tensor: W.t(); not jc.tensor(…), a call of jacc's own)
    while (ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression) && jaccName(e) === undefined) e = skipParens(e.expression.expression);
    if (!ts.isCallExpression(e)) return false;
    const name = jaccName(e);
    return name !== undefined && !MARKER_NAMES.has(name);
  }

  private noteCapture(name: string): void {
    if (!this.fn.captures.includes(name)) this.fn.captures.push(name);
  }

  private imported(d: Extract<Decl, { k: "import" }>, e: ts.Node): Val {
    const mod = loadImported(d.module, d.spec);
    if (!mod) fail(e, "unresolved", `cannot resolve \`${d.exported}\` from "${d.spec}" (jacc reads TypeScript or JavaScript sources, found as TypeScript resolves the import with the nearest tsconfig.json; not declaration files or a dependency's compiled code)`);
    const ex = findExport(mod, d.exported);
    if (!ex) fail(e, "unresolved", `"${d.spec}" has no export \`${d.exported}\``);
    if (ex.k === "function") return { k: "fn", target: this.program.lowerDecl(ex) };
    fail(e, "unsupported-construct", `imported value \`${d.exported}\` is not a function; pass it as an argument instead`);
  }

  private prefix(e: ts.PrefixUnaryExpression): Val {
    const b = this.b;
    switch (e.operator) {
      case ts.SyntaxKind.MinusToken: {
        if (ts.isNumericLiteral(e.operand)) return { k: "atom", a: lit(-Number(e.operand.text)), t: NUM };
        return { k: "atom", a: b.p("neg", this.num(e.operand)), t: NUM };
      }
      case ts.SyntaxKind.PlusToken:
        return { k: "atom", a: this.num(e.operand), t: NUM };
      case ts.SyntaxKind.ExclamationToken:
        return { k: "atom", a: b.p("not", this.cond(e.operand)), t: BOOL };
      case ts.SyntaxKind.PlusPlusToken:
      case ts.SyntaxKind.MinusMinusToken: {
        const { nv } = this.update(e.operand, (old) => b.p(e.operator === ts.SyntaxKind.PlusPlusToken ? "add" : "sub", old, lit(1)), e);
        return { k: "atom", a: nv, t: NUM };
      }
      default:
        fail(e, "unsupported-construct", `operator \`${ts.tokenToString(e.operator)}\` is not supported in a differentiated function`);
    }
  }

  private binary(e: ts.BinaryExpression): Val {
    const b = this.b;
    const op = e.operatorToken.kind;
    const K = ts.SyntaxKind;
    const arith: Partial<Record<ts.SyntaxKind, string>> = {
      [K.PlusToken]: "add", [K.MinusToken]: "sub", [K.AsteriskToken]: "mul", [K.SlashToken]: "div", [K.PercentToken]: "mod", [K.AsteriskAsteriskToken]: "pow",
    };
    const compound: Partial<Record<ts.SyntaxKind, string>> = {
      [K.PlusEqualsToken]: "add", [K.MinusEqualsToken]: "sub", [K.AsteriskEqualsToken]: "mul", [K.SlashEqualsToken]: "div", [K.PercentEqualsToken]: "mod", [K.AsteriskAsteriskEqualsToken]: "pow",
    };
    const cmp: Partial<Record<ts.SyntaxKind, string>> = {
      [K.LessThanToken]: "lt", [K.LessThanEqualsToken]: "le", [K.GreaterThanToken]: "gt", [K.GreaterThanEqualsToken]: "ge",
      [K.EqualsEqualsEqualsToken]: "eq", [K.EqualsEqualsToken]: "eq", [K.ExclamationEqualsEqualsToken]: "ne", [K.ExclamationEqualsToken]: "ne",
    };
    if (arith[op]) return { k: "atom", a: b.p(arith[op]!, this.num(e.left), this.num(e.right)), t: NUM };
    if (cmp[op]) {
      const l = this.num(e.left);
      const r = this.num(e.right);
      // `b === undefined` (`b == null`): isundef, which reverse mode records rather than recomputes, since
      // its tape of numbers holds an undefined as NaN (a helper's `b === undefined` was false in its reverse)
      const undef = (a: Atom) => a.k === "lit" && (a.v === undefined || a.v === null);
      if ((cmp[op] === "eq" || cmp[op] === "ne") && (undef(l) || undef(r))) {
        const is = b.p("isundef", undef(l) ? r : l);
        return { k: "atom", a: cmp[op] === "eq" ? is : b.p("not", is), t: BOOL };
      }
      return { k: "atom", a: b.p(cmp[op]!, l, r), t: BOOL };
    }
    if (op === K.QuestionQuestionToken || op === K.QuestionQuestionEqualsToken) return this.nullish(e);
    // `i++, j--` (a for loop's update): the left for its effects, the right's value
    if (op === K.CommaToken) return (this.expr(e.left), this.expr(e.right));
    if (op === K.EqualsToken) {
      const pattern = ts.isArrayLiteralExpression(e.left) ? e.left : undefined;
      // ([a, b] = [b, a + b]: the right-hand array literal as a tuple, each element its own value)
      const val = pattern && ts.isArrayLiteralExpression(skipParens(e.right)) ? this.expr(e.right, false, "tuple") : this.expr(e.right);
      if (pattern?.elements.some((x) => ts.isSpreadElement(x))) fail(e, "unsupported-construct", "rest elements in a destructuring assignment are not supported");
      if (pattern && val.k === "atom" && val.t.k === "vec") {
        // [a, b] = xs: the elements read before any is assigned
        const parts = pattern.elements.map((el, i) => (ts.isOmittedExpression(el) ? undefined : b.let("t", NUM, { k: "load", arr: val.a, index: lit(i) })));
        pattern.elements.forEach((el, i) => parts[i] && this.assignTo(el, parts[i]!, e));
        return val;
      }
      if (pattern && val.k === "tuple") {
        // [a, b] = [b, a]: every right-hand part evaluated (copied) before any is assigned
        const parts = val.items.map((it) => (it.k === "atom" ? { k: "atom" as const, a: b.let("t", it.t, { k: "atom", a: it.a }), t: it.t } : it));
        pattern.elements.forEach((el, i) => {
          if (ts.isOmittedExpression(el)) return;
          const part = parts[i];
          if (!part) fail(el, "unsupported-construct", `nothing to assign to \`${el.getText()}\`: the right-hand side has ${parts.length} element(s)`);
          if (part.k === "tuple" && part.keys) this.assignRecord(el, part, e);
          else this.assignTo(el, this.atomOf(part, e), e);
        });
        return val;
      }
      if (val.k === "tuple" && val.keys) {
        this.assignRecord(e.left, val, e);
        return val;
      }
      const a = this.atomOf(val, e.right);
      this.assignTo(e.left, a, e);
      return val;
    }
    if (compound[op]) {
      const { nv } = this.update(e.left, (old) => b.p(compound[op]!, old, this.num(e.right)), e);
      return { k: "atom", a: nv, t: NUM };
    }
    if (op === K.AmpersandAmpersandToken || op === K.BarBarToken) {
      // Short-circuit: the right operand is evaluated only when needed.
      const l = this.cond(e.left);
      const out = this.newVar(op === K.AmpersandAmpersandToken ? "both" : "either", BOOL);
      b.assign(out, { k: "atom", a: l });
      const rhs = b.sub(() => b.assign(out, { k: "atom", a: this.cond(e.right) }));
      b.emit(op === K.AmpersandAmpersandToken ? { k: "if", cond: l, then: rhs, else: [] } : { k: "if", cond: l, then: [], else: rhs });
      return { k: "atom", a: v(out), t: BOOL };
    }
    fail(e.operatorToken, "unsupported-construct", `operator \`${e.operatorToken.getText()}\` is not supported in a differentiated function`);
  }

  /**
   * `a ?? b` and `a ??= b`: b (evaluated only then) where a is undefined, as for a parameter left
   * out (`scale?: number`); a number, array or Tensor on both sides. (A value jacc holds is never null.)
   */
  private nullish(e: ts.BinaryExpression): Val {
    const assign = e.operatorToken.kind === ts.SyntaxKind.QuestionQuestionEqualsToken;
    if (assign && ts.isElementAccessExpression(skipParens(e.left))) {
      // xs[i] ??= v: the element read and written once
      const { nv } = this.update(e.left, (old) => (this.orDefault({ k: "atom", a: old, t: NUM }, e.right, "`??=` of an array element needs a number") as { a: Atom }).a, e);
      return { k: "atom", a: nv, t: NUM };
    }
    const l = this.expr(e.left);
    if (l.k !== "atom") fail(e.left, "unsupported-construct", "`??` takes a number, an array or a Tensor here");
    const kind = l.t.k === "num" ? "a number" : `a ${l.t.k}`;
    const out = this.orDefault(l, e.right, `\`??\` needs the same kind of value on both sides here (${kind} on the left)`);
    if (assign && out !== l) this.assignTo(e.left, (out as { a: Atom }).a, e);
    return out;
  }

  /** Writes `value` into an assignable expression: a local, or an element of a local array. */
  private assignTo(target: ts.Expression, value: Atom, at: ts.Node): void {
    target = skipParens(target);
    if (ts.isIdentifier(target)) {
      const bnd = this.lookupLocal(target.text);
      if (!bnd) {
        const outer = this.lookup(target.text, target);
        if (outer) fail(target, "captured-write", `write to a captured variable \`${target.text}\`: a differentiated function may only assign its own locals`);
        fail(target, "unresolved", `cannot resolve \`${target.text}\``);
      }
      if (bnd.k !== "var") fail(target, "unsupported-construct", `cannot assign to \`${target.text}\``);
      if (bnd.isConst && !bnd.isParam) fail(target, "unsupported-construct", `assignment to the constant \`${target.text}\``);
      if (value.k === "var" && value.name === bnd.name) return; // x = x changes nothing
      this.b.emit({ k: "let", dst: bnd.name, e: { k: "atom", a: value }, loc: this.loc(at) });
      return;
    }
    if (ts.isElementAccessExpression(target) && !ts.isStringLiteral(skipParens(target.argumentExpression))) {
      const arr = this.expr(target.expression);
      if (arr.k !== "atom" || arr.t.k !== "vec") fail(target, "unsupported-construct", "only numeric arrays can be written by index");
      return this.storeElement(target, arr.a, this.num(target.argumentExpression), value, at);
    }
    if (ts.isPropertyAccessExpression(target) || (ts.isElementAccessExpression(target) && ts.isStringLiteral(skipParens(target.argumentExpression)))) {
      const leaf = this.recordLeaf(target);
      this.propertyWrites.push({ leaf, at: target });
      if (value.k === "var" && value.name === leaf) return;
      this.b.emit({ k: "let", dst: leaf, e: { k: "atom", a: value }, loc: this.loc(at) });
      return;
    }
    fail(target, "unsupported-construct", `assignment to \`${target.getText()}\` is not supported in a differentiated function`);
  }

  /** `arr[idx] = value` for the element access `target` (its array and index already evaluated). */
  private storeElement(target: ts.ElementAccessExpression, arr: Atom, idx: Atom, value: Atom, at: ts.Node): void {
    if (ts.isIdentifier(skipParens(target.expression))) {
      const bnd = this.lookupLocal((skipParens(target.expression) as ts.Identifier).text);
      if (!bnd) fail(target, "captured-write", `write to a captured array \`${target.expression.getText()}\`: only arrays created in the function can be written`);
      if (bnd.k === "var" && bnd.isParam) fail(target, "param-write", `write to the parameter array \`${target.expression.getText()}\`: only arrays created in the function can be written`);
    }
    const store: Stmt = { k: "store", arr, index: idx, value, loc: this.loc(at) };
    this.writes.set(store, target);
    this.b.emit(store);
  }

  /**
   * Reads an assignable expression once and writes `f(old)` back, as JavaScript evaluates a compound
   * assignment, `++`/`--` or `??=`: `a[i++] *= 2` evaluates `a` and `i++` once (a reference read and
   * written), not once for the read and again for the write.
   */
  private update(target: ts.Expression, f: (old: Atom) => Atom, at: ts.Node): { old: Atom; nv: Atom } {
    const t = skipParens(target);
    if (ts.isElementAccessExpression(t) && !ts.isStringLiteral(skipParens(t.argumentExpression)) && this.isNumericArray(t.expression)) {
      const arr = (this.expr(t.expression) as { a: Atom }).a;
      const idx = this.num(t.argumentExpression);
      const old = this.b.let("el", NUM, { k: "load", arr, index: idx });
      const nv = f(old);
      this.storeElement(t, arr, idx, nv, at);
      return { old, nv };
    }
    const old = this.num(target);
    const nv = f(old);
    this.assignTo(target, nv, at);
    return { old, nv };
  }

  /** Whether `e` is a numeric array the function may write by index (known from its declaration, without lowering it). */
  private isNumericArray(e: ts.Expression): boolean {
    const x = skipParens(e);
    if (!ts.isIdentifier(x)) return false;
    const bnd = this.lookupLocal(x.text);
    return !!bnd && bnd.k === "var" && bnd.type.k === "vec" && !this.lists.has(bnd.name);
  }

  /** The variable holding `o.x` (`o.a.b`, `o["x"]`) of a local record, for a write. */
  private recordLeaf(target: ts.Expression): string {
    this.recordRoot(target);
    this.notAView(target, this.expr((target as ts.PropertyAccessExpression | ts.ElementAccessExpression).expression));
    const cur = this.expr(target);
    if (cur.k !== "atom" || cur.a.k !== "var") fail(target, "unsupported-construct", `assignment to \`${target.getText()}\`: only a number, array or Tensor property can be assigned here`);
    return cur.a.name;
  }

  /**
   * Checks that `o.x` (`o.a.b`) is a property of a record made in this function. (A record-valued
   * property assigned a record has its leaves overwritten: a name taken for the old one sees the new values.)
   */
  private recordRoot(target: ts.Expression): void {
    let root: ts.Expression = target;
    while (ts.isPropertyAccessExpression(root) || ts.isElementAccessExpression(root)) root = skipParens(root.expression);
    const bnd = ts.isIdentifier(root) ? this.lookupLocal(root.text) : undefined;
    if (ts.isIdentifier(root) && !bnd && this.lookup(root.text, root)) fail(target, "captured-write", `write to a property of the captured \`${root.text}\`: a differentiated function may only assign its own locals`);
    if (!bnd || bnd.k !== "tuple" || !bnd.keys) fail(target, "unsupported-construct", `assignment to \`${target.getText()}\`: only properties of records created in the function can be written`);
    if (bnd.isParam) fail(target, "param-write", `write to \`${target.getText()}\`, a property of a parameter: copy it first (\`const q = { ...${(root as ts.Identifier).text} }\`)`);
  }

  /** An element of a constant (or a part of one) is read only: a write would change only jacc's copy of it. */
  private notAView(target: ts.Expression, val: Val): void {
    if (val.k === "tuple" && val.view) fail(target, "param-write", `write to \`${target.getText()}\`, a part of an element of a constant argument or of an array element chosen by a computed index: copy it first (\`const q = { ...p }\`)`);
  }

  /** `o = { … }` for a record local (`let`): each leaf of the same structure. */
  private assignRecord(target: ts.Expression, val: Val, at: ts.Node): void {
    target = skipParens(target);
    const cur = this.expr(target);
    if (ts.isIdentifier(target)) {
      const bnd = this.lookupLocal(target.text);
      if (!bnd) fail(target, "captured-write", `write to a captured variable \`${target.text}\`: a differentiated function may only assign its own locals`);
      if (bnd.k !== "tuple" || bnd.isParam) fail(target, "unsupported-construct", `cannot assign a record to \`${target.text}\``);
    } else {
      this.recordRoot(target);
      this.notAView(target, this.expr((target as ts.PropertyAccessExpression | ts.ElementAccessExpression).expression));
    }
    const dsts = this.flatten(cur, at);
    const srcs = this.flatten(val, at);
    if (JSON.stringify(treeOfVal(cur)) !== JSON.stringify(treeOfVal(val)) || dsts.some((d) => d.a.k !== "var")) fail(at, "unsupported-construct", "a record can only be assigned a record of the same properties");
    this.noteCopy(cur, val, at);
    if (!ts.isIdentifier(target)) for (const d of dsts) this.propertyWrites.push({ leaf: (d.a as { name: string }).name, at: target });
    // every right-hand leaf is read before any is written (o = { x: o.y, y: o.x })
    const tmp = srcs.map((x) => this.b.let("t", x.t, { k: "atom", a: x.a }));
    dsts.forEach((d, i) => this.b.emit({ k: "let", dst: (d.a as { name: string }).name, e: { k: "atom", a: tmp[i] }, loc: this.loc(at) }));
  }

  /** A binding of this function's own scopes (not captured from outside). */
  private lookupLocal(name: string): Binding | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const b = this.scopes[i].get(name);
      if (b) return b.k === "var" && this.capturedNames.get(name) === b.name ? undefined : b;
    }
    return undefined;
  }

  // ---------------------------------------------------------------- arrays as values (array-methods.ts)
  /**
   * The elements of an array jacc can loop over: a numeric array (numbers), a
   * differentiated array of records (records of loads), a constant array of
   * rows, tuples or records (read in place); undefined for anything else.
   */
  elementsOf(val: Val): { n: Atom; item: (i: Atom) => Val; list?: Tree } | undefined {
    if (val.k !== "atom") return undefined;
    const arr = val.a;
    const list = this.listOf(val);
    if (list !== undefined) return { n: this.listLength(arr, list), item: (i) => this.listItem(arr, list, i), list };
    if (val.t.k === "vec") return { n: this.b.let("n", NUM, { k: "len", arr }), item: (i) => ({ k: "atom", a: this.b.let("el", NUM, { k: "load", arr, index: i }), t: NUM }) };
    if (val.t.k === "opaque" && this.consts.iterable(arr)) return { n: this.b.let("n", NUM, { k: "len", arr }), item: (i) => this.consts.element(arr, i)! };
    return undefined;
  }

  /**
   * Runs the callback `cb` of an array method on `args` (element, index,
   * array, as JavaScript passes them): a function written in place is inlined
   * (its body reads and writes the enclosing function's variables, in order, as
   * the closure would), a named function is called. Its value, or undefined
   * where it returns nothing.
   */
  callback(cb: ts.Expression | ts.FunctionLikeDeclaration, args: Val[], method: string, what = `the callback of \`.${method}\``): Val | undefined {
    const f = ts.isFunctionDeclaration(cb) || ts.isMethodDeclaration(cb) ? cb : skipParens(cb as ts.Expression);
    if (!(ts.isArrowFunction(f) || ts.isFunctionExpression(f) || ts.isFunctionDeclaration(f))) {
      const fv = this.expr(cb as ts.Expression);
      if (fv.k !== "fn") fail(cb, "unsupported-construct", `the callback of \`.${method}\` must be a function`);
      const fn = this.program.fns.get(fv.target.fn)!;
      return this.callWithVals(fv.target, args.slice(0, sourceParams(fn, fv.target.extra.length).length), cb);
    }
    if (f.asteriskToken || f.modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword)) fail(f, "unsupported-construct", `${what} cannot be async or a generator`);
    const body = f.body!;
    const stmts = ts.isBlock(body) ? body.statements : undefined;
    const last = stmts?.[stmts.length - 1];
    const tail = last && ts.isReturnStatement(last) ? last : undefined;
    // (a return before the end would leave the enclosing function here: write the loop out, or a helper function)
    const early = stmts && innerReturn(stmts, tail);
    if (early) fail(early, "unsupported-construct", `${what.replace(/^the callback/, "a callback")} returns only at its end inside a differentiated function (write the loop out, or name a helper function)`);
    const loc = this.b.loc; // (the statements after the call keep their own line)
    this.scopes.push(new Map());
    f.parameters.forEach((p, i) => {
      if (p.dotDotDotToken || p.initializer) fail(p, "unsupported-construct", `a parameter of ${what} cannot be a rest parameter or have a default value`);
      this.bindPattern(p.name, args[i] ?? { k: "atom", a: lit(undefined), t: NUM }, false, p);
    });
    let out: Val | undefined;
    if (stmts) {
      for (const st of tail ? stmts.slice(0, -1) : stmts) this.stmt(st);
      out = tail?.expression ? this.expr(tail.expression) : undefined;
    } else out = this.expr(body as ts.Expression);
    this.popScope();
    this.b.loc = loc;
    return out;
  }

  /** A new variable (a loop counter, an accumulator, a flag). */
  numVar(base: string, t: Type = NUM): string {
    return this.newVar(base, t);
  }

  /** `to` holds a constant of the same declared type as `from` (a slice of it). */
  sameConstant(to: Atom, from: Atom): void {
    if (to.k === "var") this.consts.alias(to.name, from);
  }

  /** Marks `a` as a vector of an array of records' numbers (one element's structure `list`). */
  markList(a: Atom, list: Tree): void {
    if (a.k === "var") this.lists.set(a.name, list);
  }

  /** The element structure of a differentiated array of records (a flat vector of their numbers), if `val` is one. */
  listOf(val: Val): Tree | undefined {
    return val.k === "atom" && val.a.k === "var" ? this.lists.get(val.a.name) : undefined;
  }

  /** Whether `arr` is a differentiated array of Tensors (one flat Tensor of their entries), not of numbers. */
  tensorList(arr: Atom): boolean {
    return arr.k === "var" && this.lists.has(arr.name) && this.fn.vars.get(arr.name)?.k === "tensor";
  }

  /** The number of elements of a differentiated array of records or Tensors: its numbers (pieces) / k. */
  listLength(arr: Atom, list: Tree): Atom {
    const count = this.tensorList(arr) ? this.b.let("n", NUM, { k: "prim", op: "ad.listCount", args: [arr] }) : this.b.let("n", NUM, { k: "len", arr });
    const k = leavesOf(list).length;
    return k === 1 ? count : this.b.p("div", count, lit(k));
  }

  /** Element `index` of a differentiated array of records: loads of its numbers at index·k + offset (Tensors: pieces index·k + offset), read only. */
  listItem(arr: Atom, list: Tree, index: Atom): Val {
    const k = leavesOf(list).length;
    const base = k === 1 ? index : this.b.p("mul", index, lit(k));
    const tensors = this.tensorList(arr);
    const build = (t: Tree): Val => {
      const at = typeof t === "number" ? (t === 0 ? base : this.b.p("add", base, lit(t))) : undefined;
      if (at && tensors) return { k: "atom", a: this.b.t("ad.listPiece", [arr, arr, at]), t: TENSOR };
      if (typeof t === "number") return { k: "atom", a: this.b.let("el", NUM, { k: "load", arr, index: at! }), t: NUM };
      if (Array.isArray(t)) return { k: "tuple", items: t.map(build), view: true };
      if (!isRecordTree(t)) throw new Error("listItem: a list inside an element");
      return { k: "tuple", items: t.items.map(build), keys: t.keys, view: true };
    };
    return build(list);
  }

  /**
   * Element `idx` (computed) of an array the function made from a literal of records or tuples of one structure
   * (`const ps: V[] = [{ … }, { … }]; … ps[i].x`): its leaves chosen by comparing idx with each position. Read only:
   * a write through it would change only the chosen copy, where JavaScript changes the element.
   */
  private selectItem(obj: Val & { k: "tuple" }, idx: Atom, at: ts.Node): Val {
    const shape = JSON.stringify(treeOfVal(obj.items[0] ?? { k: "tuple", items: [] }));
    if (!obj.items.length || obj.items.some((x) => x.k !== "tuple" || JSON.stringify(treeOfVal(x)) !== shape)) {
      fail(at, "unsupported-construct", "a tuple must be indexed by a literal (a computed index takes an array of records or tuples of one structure)");
    }
    const leaves = obj.items.map((x) => this.flatten(x, at));
    const outs = leaves[0].map((l) => ({ a: v(this.newVar("sel", l.t)), t: l.t }));
    // (past the end, as JavaScript's undefined: NaN numbers)
    let chain: Stmt[] = this.b.sub(() => outs.forEach((o) => this.b.assign((o.a as { name: string }).name, { k: "atom", a: o.t.k === "num" ? lit(NaN) : lit(undefined) })));
    for (let k = obj.items.length - 1; k >= 0; k--) {
      const take = this.b.sub(() => leaves[k].forEach((l, j) => this.b.assign((outs[j].a as { name: string }).name, { k: "atom", a: l.a })));
      const rest = chain;
      chain = this.b.sub(() => this.b.emit({ k: "if", cond: this.b.p("eq", idx, lit(k)), then: take, else: rest }));
    }
    this.b.stmts.push(...chain);
    const readOnly = (x: Val): Val => (x.k === "tuple" ? { ...x, items: x.items.map(readOnly), view: true } : x);
    return readOnly(valOfTree(outs.map((o) => ({ k: "atom", a: o.a, t: o.t })), treeOfVal(obj.items[0])));
  }

  private elementAccess(e: ts.ElementAccessExpression): Val {
    const index = skipParens(e.argumentExpression);
    // (the hint is for this access's own object; an enclosing one's, `y[1].unbind(0)[2]`, holds again after it)
    const outerHint = this.piecesHint;
    if (ts.isNumericLiteral(index)) this.piecesHint = { node: skipParens(e.expression), count: Number(index.text) + 1 };
    const obj = this.expr(e.expression);
    this.piecesHint = outerHint;
    if (obj.k === "tuple" && obj.keys) {
      const key = skipParens(e.argumentExpression);
      if (!ts.isStringLiteral(key) && !ts.isNoSubstitutionTemplateLiteral(key)) fail(e, "unsupported-construct", "a record must be indexed by a literal property name");
      return this.field(obj, key.text, key);
    }
    if (obj.k === "tuple") {
      const i = skipParens(e.argumentExpression);
      if (!ts.isNumericLiteral(i)) return this.selectItem(obj, this.num(e.argumentExpression), e);
      const item = obj.items[Number(i.text)];
      if (!item) fail(e, "unsupported-construct", `index ${i.text} is out of the tuple's range`);
      return item;
    }
    const list = this.listOf(obj);
    if (list !== undefined) return this.listItem((obj as { a: Atom }).a, list, this.num(e.argumentExpression));
    if (obj.k !== "atom" || (obj.t.k !== "vec" && obj.t.k !== "opaque")) fail(e, "unsupported-construct", "only numeric arrays can be indexed");
    const idx = this.num(e.argumentExpression);
    if (obj.t.k === "opaque") {
      const i = skipParens(e.argumentExpression);
      const el = this.consts.element(obj.a, idx, ts.isNumericLiteral(i) ? Number(i.text) : undefined);
      if (el) return el;
    }
    return { k: "atom", a: this.b.let("t", NUM, { k: "load", arr: obj.a, index: idx }), t: NUM };
  }

  private property(e: ts.PropertyAccessExpression): Val {
    const name = e.name.text;
    // models.loss: a function of a module imported whole
    const member = namespaceMember(e, (n, at) => this.lookup(n, at));
    if (member) return this.imported(member, e);
    if (ts.isIdentifier(e.expression) && e.expression.text === "Math" && !this.lookup("Math", e)) {
      const consts: Record<string, number> = { PI: Math.PI, E: Math.E, LN2: Math.LN2, LN10: Math.LN10, LOG2E: Math.LOG2E, LOG10E: Math.LOG10E, SQRT2: Math.SQRT2, SQRT1_2: Math.SQRT1_2 };
      if (name in consts) return { k: "atom", a: lit(consts[name]), t: NUM };
    }
    if (ts.isIdentifier(e.expression) && e.expression.text === "Number" && !this.lookup("Number", e)) {
      const consts: Record<string, number> = { EPSILON: Number.EPSILON, MAX_VALUE: Number.MAX_VALUE, MIN_VALUE: Number.MIN_VALUE, POSITIVE_INFINITY: Infinity, NEGATIVE_INFINITY: -Infinity };
      if (name in consts) return { k: "atom", a: lit(consts[name]), t: NUM };
    }
    // a chain of property reads off a constant object (cfg.inner.k): one read of the whole chain, a number
    // where a number goes (TypeScript's types keep booleans and strings out of arithmetic; conditions: cond)
    const chain = ts.isPropertyAccessExpression(e.expression) ? this.constantChain(e) : undefined;
    if (chain !== undefined) return { k: "atom", a: this.b.let(`${name}_`, NUM, { k: "ext", text: chain }), t: NUM };
    const obj = this.expr(e.expression);
    if (obj.k === "tuple" && obj.keys) return this.field(obj, name, e.name);
    const listed = this.listOf(obj);
    if (listed !== undefined && name === "length") return { k: "atom", a: this.listLength((obj as { a: Atom }).a, listed), t: NUM };
    if (obj.k === "atom" && obj.t.k === "tensor") {
      if (name === "numel") fail(e, "unsupported-construct", "`numel` is a method, as in PyTorch: `x.numel()`");
      if (name === "ndim") return { k: "atom", a: this.b.t("t.dim", [obj.a], [], NUM), t: NUM };
      if (name === "T" || name === "mT") return { k: "atom", a: this.b.t("t.t", [obj.a]), t: TENSOR };
      // the sizes at run time, a vector of integers (x.shape[0], x.shape.length, reshape(x.shape)), never differentiated
      if (name === "shape") return { k: "atom", a: this.b.t("t.shape", [obj.a], [], VEC), t: VEC };
      fail(e, "unsupported-construct", `Tensor property \`.${name}\` is not supported in a differentiated function (use .shape, .size(d), .numel(), .ndim)`);
    }
    const list = listed;
    if (list !== undefined) fail(e, "unsupported-construct", `property \`.${name}\` of a differentiated array of records is not supported (index it, iterate it with for…of, read its .length, or pass it to a helper)`);
    if (obj.k === "atom" && name === "length" && (obj.t.k === "vec" || obj.t.k === "opaque")) return { k: "atom", a: this.b.let("n", NUM, { k: "len", arr: obj.a }), t: NUM };
    if (obj.k === "tuple" && name === "length") return { k: "atom", a: lit(obj.items.length), t: NUM };
    if (obj.k === "atom" && obj.t.k === "opaque") {
      // a property of a constant object: typed by its declaration where jacc can read it (constants.ts),
      // else read as it is, a number where a number goes
      return this.consts.property(obj.a, name) ?? { k: "atom", a: this.b.let(`${name}_`, NUM, { k: "prim", op: "prop", args: [obj.a], attrs: [name] }), t: NUM };
    }
    fail(e, "unsupported-construct", `property \`.${name}\` is not supported in a differentiated function`);
  }

  /** The text of `e` when it reads a constant parameter or a chain of its properties (cfg, cfg.on, cfg.inner.k). */
  private constantChain(e: ts.Expression): string | undefined {
    const chain: string[] = [];
    let root: ts.Expression = e;
    while (ts.isPropertyAccessExpression(root) && !root.questionDotToken) (chain.unshift(root.name.text), (root = root.expression));
    if (!ts.isIdentifier(root)) return undefined;
    const b = this.lookup(root.text, root);
    if (!(b && b.k === "var" && "type" in b && b.type.k === "opaque")) return undefined;
    const base = this.expr(root);
    // (a constant whose type jacc reads is read property by property, typed: constants.ts)
    if (base.k === "atom" && this.consts.hasProperty(base.a, chain[0])) return undefined;
    return base.k === "atom" ? [this.extText(base.a), ...chain].join(".") : undefined;
  }

  private extText(a: Atom): string {
    if (a.k === "var") {
      for (const s of this.b.stmts) if (s.k === "let" && s.dst === a.name && s.e.k === "ext") return s.e.text;
    }
    return a.k === "var" ? a.name : String(a.v);
  }

  /** `out.push(...values)` of an array made from a literal (`const out: number[] = []`): each value stored at the end; the new length. */
  private push(recv: Val, e: ts.CallExpression): Val {
    const arr = recv.k === "atom" && recv.t.k === "vec" && recv.a.k === "var" && this.grows.has(recv.a.name) ? recv.a : undefined;
    if (!arr) fail(e, "unsupported-construct", "`.push` is supported on an array the function makes from an array literal and names with `const` (`const out: number[] = []`)");
    const target = (e.expression as ts.PropertyAccessExpression).expression;
    for (const a of e.arguments) {
      if (ts.isSpreadElement(a)) fail(a, "unsupported-construct", "spread arguments of `.push` are not supported");
      const val = this.expr(a);
      if (val.k !== "atom" || val.t.k !== "num") {
        const what = val.k === "atom" && val.t.k === "tensor" ? "a Tensor" : val.k === "atom" && val.t.k === "vec" ? "an array" : "this value";
        fail(a, "unsupported-construct", `\`.push\` of ${what}: arrays the function builds hold numbers. Collect Tensors with \`cat\` or \`stack\` (\`all = cat([all, h.unsqueeze(0)], 0)\`), and a matrix's rows in one flat array (\`m.push(a, b)\`, read as \`m[i * n + j]\`)`);
      }
      this.append(arr, [val.a], target);
    }
    return { k: "atom", a: this.b.let("n", NUM, { k: "len", arr }), t: NUM };
  }

  /** `arr[index] = value`, a write the function's write check sees (`at`: the array as written). */
  storeInto(arr: Atom, index: Atom, value: Atom, at: ts.Expression): void {
    const store: Stmt = { k: "store", arr, index, value, loc: this.loc(at) };
    this.writes.set(store, at);
    this.b.emit(store);
  }

  /** Stores `values` past the end of `arr`, an array made from a literal (it grows); `at`: the array as written, for the write check. */
  append(arr: Atom, values: readonly Atom[], at: ts.Expression): void {
    for (const value of values) {
      const store: Stmt = { k: "store", arr, index: this.b.let("n", NUM, { k: "len", arr }), value, loc: this.loc(at) };
      this.writes.set(store, at);
      this.b.emit(store);
    }
  }

  /** A record's or tuple's structure, its leaves numbered in order (undefined for a single value). */
  structureOf(val: Val): Tree | undefined {
    return val.k === "tuple" ? treeOfVal(val) : undefined;
  }

  /** An empty array that grows as values are appended (a literal `[]`), and the atoms of a value in order (a record's leaves). */
  growing(): Atom {
    const arr = this.b.let("kept", VEC, { k: "veclit", items: [] });
    this.grows.add((arr as { name: string }).name);
    return arr;
  }
  leaves(val: Val, at: ts.Node): Atom[] {
    const flat = this.flatten(val, at);
    if (flat.some((x) => x.t.k !== "num")) fail(at, "unsupported-construct", "only numbers, and records or tuples of numbers, can be kept in a new array here");
    return flat.map((x) => x.a);
  }

  /** A fresh Float64Array holding the numbers of the array `val` (the way to write into a parameter's numbers). */
  private copy(val: Extract<Val, { k: "atom" }>): Val {
    return { k: "atom", a: this.b.let("copy", VEC, { k: "copyvec", src: val.a }), t: VEC };
  }

  private newExpr(e: ts.NewExpression): Val {
    const ctor = e.expression.getText();
    const args = e.arguments ?? [];
    if (ctor === "Float64Array" || ctor === "Float32Array" || ctor === "Array") {
      const f32 = ctor === "Float32Array";
      if (args.length === 1) {
        const a0 = skipParens(args[0]);
        if (ts.isArrayLiteralExpression(a0)) {
          const items = a0.elements.map((x) => this.num(x));
          return { k: "atom", a: this.b.let("arr", { k: "vec", f32 }, { k: "veclit", items }), t: { k: "vec", f32 } };
        }
        // new Float64Array(a): a copy of the array a; new Float64Array(n): n zeros
        const a = this.expr(args[0]);
        if (ctor === "Float64Array" && a.k === "atom" && a.t.k === "vec" && !a.t.f32) return this.copy(a);
        if (a.k !== "atom" || (a.t.k !== "num" && a.t.k !== "bool")) fail(args[0], "unsupported-construct", `\`${args[0].getText()}\` is not a number${ctor === "Float64Array" ? " or a float64 array" : ""}`);
        const len = a.a;
        return { k: "atom", a: this.b.let("arr", { k: "vec", f32 }, { k: "newvec", len, f32 }), t: { k: "vec", f32 } };
      }
    }
    fail(e, "unsupported-construct", `\`new ${ctor}(…)\` is not supported in a differentiated function (use new Float64Array(n), new Array(n).fill(0) or an array literal)`);
  }

  private call(e: ts.CallExpression, hint?: "tuple"): Val {
    const b = this.b;
    const callee = skipParens(e.expression);
    const random = this.randomOpName(e);
    // dropout(x, p, false): evaluation mode, x itself (PyTorch returns the input)
    if (random === "dropout" && e.arguments[2]?.kind === ts.SyntaxKind.FalseKeyword) {
      const p = e.arguments[1] && skipParens(e.arguments[1]);
      if (p && !(ts.isNumericLiteral(p) && Number(p.text) <= 1)) fail(p, "invalid-option", "dropout's p must be a number literal between 0 and 1");
      if (e.arguments.length > 3) fail(e.arguments[3], "arity", "dropout takes (input, p, training) inside a differentiated function");
      return this.expr(e.arguments[0]);
    }
    if (random) return this.randomOp(e, random);
    // Math.f(...)
    if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === "Math" && !this.lookup("Math", e)) {
      const prim = MATH_PRIMS[callee.name.text];
      if (!prim) fail(e, "unsupported-construct", `\`Math.${callee.name.text}\` is not supported in a differentiated function`);
      // Math.max(...xs), Math.min(a, ...xs), Math.hypot(...xs): a fold over the numbers
      if ((prim === "max" || prim === "min" || prim === "hypot") && e.arguments.some(ts.isSpreadElement)) return { k: "atom", a: mathFold(this, prim, e.arguments), t: NUM };
      const args = e.arguments.map((a) => this.num(a));
      const arity = scalarRules[prim].arity;
      if (typeof arity === "number" && args.length !== arity) fail(e, "arity", `Math.${callee.name.text} takes ${arity} argument${arity > 1 ? "s" : ""}, got ${args.length}`);
      if ((prim === "max" || prim === "min") && args.length === 0) return { k: "atom", a: lit(prim === "max" ? -Infinity : Infinity), t: NUM };
      if (prim === "hypot" && args.length === 0) return { k: "atom", a: lit(0), t: NUM };
      return { k: "atom", a: b.p(prim, ...args), t: NUM };
    }
    // Number.isFinite / isNaN / isInteger and the global isFinite / isNaN of a number: comparisons (never differentiated)
    const numberTest = this.numberPredicate(callee, e);
    if (numberTest) {
      if (e.arguments.length !== 1) fail(e, "arity", `\`${callee.getText()}\` takes one number here`);
      const x = this.num(e.arguments[0]);
      const finite = () => b.p("and", b.p("lt", x, lit(Infinity)), b.p("gt", x, lit(-Infinity)));
      const a = numberTest === "isNaN" ? b.p("ne", x, x) : numberTest === "isFinite" ? finite() : b.p("and", finite(), b.p("eq", b.p("trunc", x), x));
      return { k: "atom", a, t: BOOL };
    }
    if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === "console" && !this.lookup("console", e)) {
      fail(e, "unsupported-construct", `\`${callee.getText()}\` is not supported in a differentiated function: derivative code runs the function's statements a different number of times (once per sweep, per chunk, per row); log outside it, around the marker's call`);
    }
    // Array.from({ length: n }, f), Array.from(xs, f), Float64Array.from(xs, f): a new array of f's numbers (array-methods.ts)
    if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && (callee.expression.text === "Float64Array" || callee.expression.text === "Array") && callee.name.text === "from" && !this.lookup(callee.expression.text, e) && e.arguments.length !== 1) {
      return arrayFrom(this, e, callee.expression.text);
    }
    // Float64Array.from(a), Array.from(a): a copy of the array a
    if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && (callee.expression.text === "Float64Array" || callee.expression.text === "Array") && callee.name.text === "from" && !this.lookup(callee.expression.text, e)) {
      const a = this.expr(e.arguments[0]);
      const list = this.listOf(a);
      if (a.k !== "atom" || a.t.k !== "vec" || a.t.f32 || (list !== undefined && callee.expression.text !== "Array")) fail(e.arguments[0], "unsupported-construct", `\`${e.arguments[0].getText()}\` is not a number array or Float64Array`);
      const copy = this.copy(a);
      // (Array.from of an array of records: a copy of its numbers, read as records still)
      if (list !== undefined) this.markList((copy as { a: Atom }).a, list);
      return copy;
    }
    // new Array(n).fill(0) / Array(n).fill(0)
    if (ts.isPropertyAccessExpression(callee) && callee.name.text === "fill") {
      const inner = skipParens(callee.expression);
      if ((ts.isNewExpression(inner) || ts.isCallExpression(inner)) && inner.expression.getText() === "Array" && inner.arguments?.length === 1) {
        const len = this.num(inner.arguments[0]);
        // (a JavaScript Array, as the source's: a write past its end grows it, where a typed array would drop it)
        const arr = b.let("arr", VEC, { k: "newvec", len, plain: true });
        const fillV = e.arguments.length ? this.num(e.arguments[0]) : lit(0);
        if (!(fillV.k === "lit" && fillV.v === 0)) {
          const i = this.newVar("i", NUM);
          b.emit({ k: "for", index: i, from: lit(0), to: len, body: [{ k: "store", arr, index: v(i), value: fillV }] });
        }
        return { k: "atom", a: arr, t: VEC };
      }
    }
    // jacc's op functions (exp(x), jc.exp(x)), then Tensor methods (x.exp(), W.matmul(x), x.sum(1)).
    const jaccName = jaccExportOf(callee, (n, at) => this.lookup(n, at));
    if (jaccName !== undefined) {
      if (TENSOR_FUNCTIONS.has(jaccName)) return tensorOp(this, jaccName, undefined, e.arguments, e);
      if (FACTORIES.has(jaccName)) return this.readsLocals(e.arguments) && jaccName !== "tensor" ? this.factoryCall(jaccName, e) : this.constantCall(e);
      // (other runtime exports called here: name them, not "cannot be used as a value")
      if (!MARKER_NAMES.has(jaccName)) fail(e, "unsupported-construct", `\`${jaccName}(…)\` from "jacc" is not supported in a differentiated function`);
    }
    if (ts.isPropertyAccessExpression(callee) && jaccName === undefined && !(ts.isIdentifier(callee.expression) && callee.expression.text === "Math") && !namespaceMember(callee, (n, at) => this.lookup(n, at))) {
      const recv = this.expr(callee.expression);
      if (recv.k === "atom" && recv.t.k === "tensor") return tensorOp(this, callee.name.text, recv.a, e.arguments, e);
      // out.push(a, b): writes past the end of an array made from a literal, which grows as in JavaScript
      if (callee.name.text === "push") return this.push(recv, e);
      // xs.map(…), reduce, forEach, some, every, slice, concat: loops (array-methods.ts)
      const looped = ARRAY_METHODS.has(callee.name.text) ? arrayMethod(this, callee.name.text, recv, e.arguments, e) : undefined;
      if (looped) return looped;
      fail(e, "unsupported-construct", `method call \`.${callee.name.text}()\` is not supported in a differentiated function`);
    }
    // A marker called inside a differentiated function.
    const markerName = this.markerOf(callee);
    if (markerName) {
      if (markerName === "jacobian") return this.program.hooks.markerValue(e, this);
      if (markerName === "vjp") return this.program.hooks.vjpValue(e, this);
      if (markerName === "jvp") return this.program.hooks.jvpValue(e, this);
      // grad(f), jacrev(f), hessian(f), vmap(f) as a value (`const df = grad(f); df(x)`): the function they stand for
      return { k: "fn", target: this.program.hooks.markerFn(e, this) };
    }
    const higher = this.higherOrderCall(callee, e);
    if (higher) return higher;
    const inlined = this.inlineWriter(callee, e);
    if (inlined) return inlined;
    let target: FnTarget;
    const cm = ts.isCallExpression(callee) ? this.markerOf(skipParens(callee.expression)) : undefined;
    if (cm) {
      if (cm === "jacobian" || cm === "vjp" || cm === "jvp") fail(callee, "unsupported-construct", `the result of \`${cm}\` is not a function`);
      target = this.program.hooks.markerFn(callee as ts.CallExpression, this);
    } else {
      const f = this.expr(callee);
      if (f.k !== "fn") {
        if (ts.isPropertyAccessExpression(callee)) fail(e, "unsupported-construct", `method call \`.${callee.name.text}()\` is not supported in a differentiated function`);
        fail(e, "unresolved", `\`${callee.getText()}\` is not a function jacc can resolve statically`);
      }
      target = f.target;
    }
    return this.callTarget(target, e.arguments, e, hint);
  }

  /**
   * A call of a local function of this one that assigns this one's variables (`const add = (t) => { total += t; }`):
   * its body lowered here, as a callback written in place is (compiler/front/local-writers.ts), so the writes reach
   * them; a function of its own would get copies. Undefined for any other callee.
   */
  private inlineWriter(callee: ts.Expression, e: ts.CallExpression): Val | undefined {
    if (!ts.isIdentifier(callee)) return undefined;
    let at = this.scopes.length - 1;
    while (at >= 0 && !this.scopes[at].has(callee.text)) at--;
    const bnd = at >= 0 ? this.scopes[at].get(callee.text)! : undefined;
    if (!bnd || bnd.k !== "lazy" || !this.isWriter(bnd)) return undefined;
    const name = callee.text;
    if (this.inlining.has(bnd.node)) fail(e, "unsupported-construct", `\`${name}\` assigns variables of the function around it and calls itself: such a local function is lowered where it is called, which recursion cannot be; pass those variables as parameters and return the new values`);
    // (its names must mean here what they mean where it is written)
    for (const free of freeNames(bnd.node)) {
      for (let i = at + 1; i < this.scopes.length; i++) {
        if (this.scopes[i].has(free)) fail(e, "unsupported-construct", `\`${name}\` assigns variables of the function around it, so it is lowered where it is called, and here \`${free}\` names another variable than where \`${name}\` is written: rename one`);
      }
    }
    if (e.arguments.some(ts.isSpreadElement)) fail(e, "unsupported-construct", "spread arguments are not supported");
    const args = e.arguments.map((a) => this.expr(a));
    bnd.inlined = true;
    this.inlining.add(bnd.node);
    try {
      return this.callback(bnd.node, args, name, `\`${name}\` (it assigns variables of the function around it, so it is lowered where it is called)`) ?? { k: "atom", a: lit(undefined), t: NUM };
    } finally {
      this.inlining.delete(bnd.node);
    }
  }
  private inlining = new Set<ts.Node>();

  /** A local function that assigns the enclosing function's variables, itself or through a local function it calls. */
  private isWriter(bnd: Extract<Binding, { k: "lazy" }>, seen = new Set<ts.Node>()): boolean {
    if (seen.has(bnd.node)) return false;
    seen.add(bnd.node);
    if (writesOuter(bnd.node)) return true;
    for (const name of calledNames(bnd.node)) {
      const other = [...this.scopes].reverse().find((sc) => sc.has(name))?.get(name);
      if (other?.k === "lazy" && this.isWriter(other, seen)) return true;
    }
    return false;
  }

  /**
   * "Math.random", or the name of one of jacc's random factories, when `e`
   * calls one (resolved lexically: a local `rand` or `Math` is not jacc's).
   */
  private randomOpName(e: ts.CallExpression): string | undefined {
    const callee = skipParens(e.expression);
    if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === "Math" && callee.name.text === "random") {
      return findDeclaration("Math", e, this.mod) ? undefined : "Math.random";
    }
    const name = jaccExportOf(callee, (n) => findDeclaration(n, e, this.mod));
    return name && RANDOM_FACTORIES.has(name) ? name : undefined;
  }

  /** A random op: recorded for the marker's `randomness` check (random.ts), which decides whether it may stay. */
  private randomOp(e: ts.CallExpression, name: string): Val {
    const lowered = name === "Math.random";
    this.program.randomOps.add(this.fn.name, { node: e, name, lowered });
    // (a placeholder: every marker's check rejects a random op that is not lowered)
    if (!lowered) return { k: "atom", a: this.b.let("T", TENSOR, { k: "ext", text: e.getText() }), t: TENSOR };
    if (e.arguments.length) fail(e, "arity", "Math.random takes no arguments");
    return { k: "atom", a: this.b.let("rand", NUM, { k: "prim", op: "random", args: [] }), t: NUM };
  }

  /** Whether expressions read a local of this function (a variable, not a property name). */
  private readsLocals(nodes: readonly ts.Node[]): boolean {
    return this.localReadIn(nodes) !== undefined;
  }

  /** The first local of this function that `nodes` read (a variable, not a property name). */
  private localReadIn(nodes: readonly ts.Node[]): ts.Identifier | undefined {
    const visit = (n: ts.Node): ts.Identifier | undefined => {
      const name = ts.isIdentifier(n) && !(ts.isPropertyAccessExpression(n.parent) && n.parent.name === n) && !(ts.isPropertyAssignment(n.parent) && n.parent.name === n);
      return name && this.lookupLocal(n.text) ? n : ts.forEachChild(n, visit);
    };
    for (const n of nodes) {
      const found = visit(n);
      if (found) return found;
    }
    return undefined;
  }

  /**
   * A factory called with the function's values (zerosLike(x), zeros(x.shape),
   * eye(n), arange(x.size(0)), fullLike(x, 2)): one `t.factory` primitive whose
   * operands are those values, with no derivative, as in PyTorch (a size, a
   * fill value or a range end is not differentiated: fullLike(x, v) does not
   * carry v's gradient). Option objects stay literals.
   */
  private factoryCall(name: string, e: ts.CallExpression): Val {
    const operands: Atom[] = [];
    const layout: FactoryArg[] = [];
    for (const a of e.arguments) {
      const inner = skipParens(a);
      if (ts.isSpreadElement(a)) fail(a, "unsupported-construct", "spread arguments are not supported");
      if (!this.readsLocals([a])) {
        this.checkConstantArgs([a]);
        layout.push({ k: "text", text: a.getText() });
        continue;
      }
      if (ts.isObjectLiteralExpression(inner)) {
        // options: constants, or a tensor's dtype and device (zeros(n, { dtype: x.dtype, device: x.device }), PyTorch's idiom)
        const fields: FactoryField[] = [];
        for (const prop of inner.properties) {
          const init = ts.isPropertyAssignment(prop) ? skipParens(prop.initializer) : undefined;
          const key = prop.name && (ts.isIdentifier(prop.name) || ts.isStringLiteral(prop.name)) ? prop.name.text : undefined;
          if (!init || key === undefined) fail(prop, "unsupported-construct", `the options of \`${name}\` must be constants, or a tensor's \`.dtype\` / \`.device\`, inside a differentiated function`);
          if (!this.readsLocals([init])) {
            this.checkConstantArgs([init]);
            fields.push({ key, text: init.getText() });
            continue;
          }
          const ofTensor = ts.isPropertyAccessExpression(init) && (init.name.text === "dtype" || init.name.text === "device") ? this.expr(init.expression) : undefined;
          if (!ofTensor || ofTensor.k !== "atom" || ofTensor.t.k !== "tensor") fail(init, "unsupported-construct", `the options of \`${name}\` must be constants, or a tensor's \`.dtype\` / \`.device\`, inside a differentiated function`);
          operands.push(ofTensor.a);
          fields.push({ key, prop: (init as ts.PropertyAccessExpression).name.text as "dtype" | "device" });
        }
        layout.push({ k: "opts", fields });
        continue;
      }
      const items = ts.isArrayLiteralExpression(inner) ? [...inner.elements] : [a];
      for (const item of items) {
        const val = this.expr(item);
        const ok = val.k === "atom" && (val.t.k === "num" || val.t.k === "vec" || val.t.k === "tensor");
        if (!ok) fail(item, "unsupported-type", `\`${name}\` takes numbers, shapes and tensors here`);
        operands.push(val.a);
      }
      layout.push(ts.isArrayLiteralExpression(inner) ? { k: "array", n: items.length } : { k: "atom" });
    }
    return { k: "atom", a: this.b.t("t.factory", operands, [name, layout]), t: TENSOR };
  }

  /** A factory call with constant arguments (zeros([2, 3]), tensor([...])): a constant read as written. */
  private constantCall(e: ts.CallExpression): Val {
    this.checkConstantArgs(e.arguments);
    return { k: "atom", a: this.b.let("T", TENSOR, { k: "ext", text: e.getText() }), t: TENSOR };
  }

  /** A constant argument: its random ops are recorded for the marker's `randomness` check, a local is refused. */
  private checkConstantArgs(args: readonly ts.Expression[]): void {
    const local = this.localReadIn(args);
    if (local) fail(local, "unsupported-construct", `a Tensor built from the function's own values (\`${local.text}\`) is not differentiable here; build it outside or use tensor ops`);
    const visit = (n: ts.Node): void => {
      // a random op in the arguments would run as written, out of the `randomness` check's sight
      const random = ts.isCallExpression(n) ? this.randomOpName(n) : undefined;
      if (random) this.program.randomOps.add(this.fn.name, { node: n as ts.CallExpression, name: random, lowered: false });
      ts.forEachChild(n, visit);
    };
    args.forEach(visit);
  }

  callTarget(target: FnTarget, argNodes: readonly ts.Expression[], e: ts.Node, _hint?: "tuple"): Val {
    const fn = this.program.fns.get(target.fn)!;
    const declared = sourceParams(fn, target.extra.length).length;
    if (argNodes.length > declared) fail(e, "arity", `\`${fn.source ?? fn.name}\` takes ${declared} argument(s), got ${argNodes.length}`);
    const vals = argNodes.map((a) => {
      if (ts.isSpreadElement(a)) fail(a, "unsupported-construct", "spread arguments are not supported");
      return this.expr(a);
    });
    return this.callWithVals(target, vals, e, argNodes);
  }

  /** Calls `target` with the values `vals` (an argument left out: undefined); `nodes`: where each was written, for messages. */
  callWithVals(target: FnTarget, vals: readonly (Val | undefined)[], e: ts.Node, nodes: readonly ts.Node[] = []): Val {
    let fn = this.program.fns.get(target.fn)!;
    const self = fn === this.fn && this.outer !== undefined;
    let trees = sourceParams(fn, self ? fn.params.length - this.ownParams : target.extra.length);
    // a differentiated array of records passed where the helper reads a constant one: the helper's variant that takes it flat
    const lists = trees.flatMap((tree, i) => (typeof tree === "number" && fn.params[tree].listOf !== undefined && vals[i] && this.listOf(vals[i]!) !== undefined ? [i] : []));
    if (lists.length) {
      // (a local function's variant is lowered again in this scope: its own captures)
      target = this.program.withLists({ fn: target.fn, extra: [] }, lists);
      fn = this.program.fns.get(target.fn)!;
      trees = sourceParams(fn, target.extra.length);
    }
    const args: Atom[] = [];
    trees.forEach((tree, i) => {
      const val = vals[i];
      const at = nodes[i] ?? e;
      if (typeof tree === "number") {
        args[tree] = val ? this.atomOf(val, at) : lit(undefined);
        // (a Tensor where the callee takes an array of numbers: under vmap inside a differentiated function, a batch of numbers)
        const given = args[tree];
        const kind = !val ? undefined : given.k === "lit" ? (typeof given.v === "number" ? "num" : undefined) : this.fn.vars.get(given.name)?.k;
        if (fn.params[tree].type.k === "vec" && (kind === "tensor" || kind === "num")) {
          fail(at, "unsupported-construct", `\`${fn.source ?? fn.name}\` takes an array of numbers for \`${userName(fn.params[tree])}\` here, not a ${kind === "num" ? "number" : "Tensor"} (inside a differentiated function, vmap of a function of numbers maps number arrays: map a function of Tensors for a Tensor, a 0-d Tensor for a number)`);
        }
      }
      else if (!val) fail(e, "arity", `\`${fn.source ?? fn.name}\` needs its structured argument ${i + 1} (\`${fn.params[leafOf(tree)].source ?? ""}\`)`);
      else this.flattenTo(val, tree, args, at);
    });
    args.push(...target.extra);
    if (self) for (let i = 0; i < this.ownParams; i++) args[i] ??= lit(undefined);
    const val = this.emitCall(target.fn, args, e);
    if (self) this.selfCalls.push(this.b.stmts[this.b.stmts.length - 1] as Extract<Stmt, { k: "call" }>);
    if (target.tree === undefined || fn.outTree !== undefined) return val;
    return valOfTree(val.k === "tuple" ? val.items : [val], target.tree);
  }

  /** Puts a record's or tuple's leaves where a structured parameter's tree says (`out[leaf] = atom`). */
  flattenTo(val: Val, tree: Tree, out: Atom[], at: ts.Node): void {
    if (typeof tree === "number") {
      out[tree] = this.atomOf(val, at);
      return;
    }
    if (isListTree(tree)) {
      const list = this.listOf(val);
      if (list === undefined || JSON.stringify(list) !== JSON.stringify(tree.list)) fail(at, "unsupported-construct", "a differentiated array of records of the same structure is expected here");
      out[tree.of as number] = (val as { a: Atom }).a;
      return;
    }
    if (Array.isArray(tree)) {
      if (val.k !== "tuple" || val.keys || val.items.length !== tree.length) fail(at, "unsupported-construct", `a tuple of ${tree.length} values is expected here`);
      tree.forEach((t, i) => this.flattenTo(val.items[i], t, out, at));
      return;
    }
    if (val.k !== "tuple" || !val.keys) fail(at, "unsupported-construct", `a record with ${tree.keys.map((k) => `\`${k}\``).join(", ")} is expected here`);
    tree.keys.forEach((k, i) => this.flattenTo(this.field(val, k, at), tree.items[i], out, at));
  }

  emitCall(fnName: string, args: Atom[], e: ts.Node): Val {
    const fn = this.program.fns.get(fnName)!;
    // A recursive call met before the callee's return type is known: assume a number.
    const results = fn.results.length ? fn.results : [NUM];
    const dsts = results.map((t, i) => this.newVar(results.length > 1 ? `r${i}` : "r", t));
    this.b.emit({ k: "call", dsts, fn: fnName, args, loc: this.loc(e) });
    const vals: Val[] = dsts.map((d, i) => ({ k: "atom", a: v(d), t: results[i] }));
    if (fn.outTree !== undefined) return valOfTree(vals, fn.outTree);
    return fn.tupleResult ? { k: "tuple", items: vals } : vals[0];
  }

  /**
   * A call of a module-level function that takes functions (`rk4(f, t, y, h)`, `minimize(loss, x0)`): the
   * helper is lowered once per function it is given, each a static target (a declaration, an arrow with
   * its captures, a marker's result), so its calls of the parameter are ordinary calls every transform
   * sees; undefined where the callee takes no function.
   */
  private higherOrderCall(callee: ts.Expression, e: ts.CallExpression): Val | undefined {
    const member = namespaceMember(callee, (n, at) => this.lookup(n, at));
    if (!ts.isIdentifier(callee) && !member) return undefined;
    let d = member ?? (this.lookup((callee as ts.Identifier).text, callee) as Decl | Binding | undefined);
    if (d && d.k === "import") {
      const mod = loadImported(d.module, d.spec);
      const ex = mod && findExport(mod, d.exported);
      d = ex && ex.k === "function" ? ex : undefined;
    }
    if (!d || d.k !== "function") return undefined;
    const decl = d;
    const fnParams = this.program.functionParams(decl);
    if (!fnParams.length) return undefined;
    if (e.arguments.some(ts.isSpreadElement)) fail(e, "unsupported-construct", "spread arguments are not supported");
    const vals = e.arguments.map((a) => this.expr(a));
    const fnArgs = new Map<number, { target: FnTarget; types: Type[] }>();
    for (const i of fnParams) {
      const val = vals[i];
      if (!val || val.k !== "fn") fail(e.arguments[i] ?? e, "unsupported-construct", `argument ${i + 1} of \`${callee.getText()}\` must be a function jacc resolves statically (a function declaration, an arrow written here, a marker's result)`);
      const types = val.target.extra.map((a) => (a.k === "var" ? this.fn.vars.get(a.name) ?? NUM : NUM));
      fnArgs.set(i, { target: val.target, types });
    }
    const target = this.program.lowerDecl(decl, undefined, [], fnArgs);
    const rest = (xs: readonly unknown[]) => xs.filter((_, i) => !fnArgs.has(i));
    return this.callWithVals(target, rest(vals) as Val[], e, rest(e.arguments) as ts.Node[]);
  }

  /** `Number.isFinite(x)`, `Number.isNaN`, `Number.isInteger`, the global `isFinite` / `isNaN` (not shadowed): which test. */
  private numberPredicate(callee: ts.Expression, at: ts.Node): "isFinite" | "isNaN" | "isInteger" | undefined {
    if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === "Number" && NUMBER_TESTS.has(callee.name.text) && !this.lookup("Number", at)) {
      return callee.name.text as "isFinite" | "isNaN" | "isInteger";
    }
    if (ts.isIdentifier(callee) && (callee.text === "isFinite" || callee.text === "isNaN") && !this.lookup(callee.text, at)) return callee.text;
    return undefined;
  }

  markerOf(callee: ts.Expression): string | undefined {
    const name = jaccExportOf(callee, (n, at) => this.lookup(n, at));
    return name && MARKER_NAMES.has(name) ? name : undefined;
  }
}

/** The `?.` token of an optional chain (the chain's outer members have none of their own). */
function questionDotOf(e: ts.Expression): ts.Node {
  for (let n: ts.Expression = e; ; ) {
    if ((ts.isPropertyAccessExpression(n) || ts.isElementAccessExpression(n) || ts.isCallExpression(n)) && n.questionDotToken) return n.questionDotToken;
    if (ts.isPropertyAccessExpression(n) || ts.isElementAccessExpression(n) || ts.isCallExpression(n) || ts.isNonNullExpression(n)) n = n.expression;
    else return e;
  }
}

/** A property name written as an identifier, a string or a number (undefined: computed). */
function propertyKey(n: ts.PropertyName): string | undefined {
  return ts.isIdentifier(n) || ts.isStringLiteral(n) || ts.isNumericLiteral(n) || ts.isPrivateIdentifier(n) ? n.text : undefined;
}

const leafOf = (t: Tree): number => leavesOf(t)[0];

/** A `break` among a case's statements that would leave the switch (not inside a loop or another switch of its own). */
function switchBreak(stmts: readonly ts.Statement[]): ts.BreakStatement | undefined {
  let found: ts.BreakStatement | undefined;
  const visit = (n: ts.Node): void => {
    if (found || ts.isFunctionLike(n) || ts.isIterationStatement(n, false) || ts.isSwitchStatement(n)) return;
    if (ts.isBreakStatement(n) && !n.label) found = n;
    else ts.forEachChild(n, visit);
  };
  stmts.forEach(visit);
  return found;
}

/** A return statement among `stmts` other than `tail`, outside nested functions. */
function innerReturn(stmts: readonly ts.Statement[], tail: ts.ReturnStatement | undefined): ts.ReturnStatement | undefined {
  let found: ts.ReturnStatement | undefined;
  const visit = (n: ts.Node): void => {
    if (found || ts.isFunctionLike(n)) return;
    if (ts.isReturnStatement(n) && n !== tail) found = n;
    else ts.forEachChild(n, visit);
  };
  stmts.forEach(visit);
  return found;
}

function skipAsAndParens(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e) || ts.isNonNullExpression(e)) e = e.expression;
  return e;
}

function isAsConst(e: ts.Expression): boolean {
  return ts.isAsExpression(e) && ts.isTypeReferenceNode(e.type) && e.type.typeName.getText() === "const";
}

function blockStmts(s: ts.Statement): readonly ts.Statement[] {
  return ts.isBlock(s) ? s.statements : [s];
}

/** An unlabelled break (continue) of this loop in `body`: not one of a nested loop's. */
function containsJump(body: ts.Node, kind: ts.SyntaxKind): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found || ts.isFunctionLike(n) || ts.isIterationStatement(n, false)) return;
    if (n.kind === kind && !(n as ts.BreakOrContinueStatement).label) found = true;
    else ts.forEachChild(n, visit);
  };
  ts.forEachChild(body, visit);
  if (body.kind === kind && !(body as ts.BreakOrContinueStatement).label) found = true;
  return found;
}

/** A `break label` (`continue label`) anywhere in `body`, nested loops included. */
function jumpsTo(body: ts.Node, label: string, kind: ts.SyntaxKind): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found || ts.isFunctionLike(n)) return;
    if (n.kind === kind && (n as ts.BreakOrContinueStatement).label?.text === label) found = true;
    else ts.forEachChild(n, visit);
  };
  visit(body);
  return found;
}

/** True if evaluating `e` assigns (`i++`, `--i`, `i += 1`, `t = …`): lowered code must evaluate it exactly as often as JavaScript does. */
function hasSideEffects(e: ts.Node): boolean {
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found || ts.isFunctionLike(n)) return;
    if ((ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) && (n.operator === ts.SyntaxKind.PlusPlusToken || n.operator === ts.SyntaxKind.MinusMinusToken)) found = true;
    else if (ts.isBinaryExpression(n) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment) found = true;
    else ts.forEachChild(n, visit);
  };
  visit(e);
  return found;
}

/** True if the body returns anywhere but as its last top-level statement. */
function hasNonTailReturn(body: ts.Block): boolean {
  let found = false;
  const last = body.statements[body.statements.length - 1];
  const visit = (n: ts.Node): void => {
    if (found || ts.isFunctionLike(n) || ts.isClassLike(n)) return;
    if (ts.isReturnStatement(n) && n !== last) found = true;
    else ts.forEachChild(n, visit);
  };
  ts.forEachChild(body, visit);
  return found;
}

/** A readable name for a construct, for diagnostics. */
export function constructName(n: ts.Node): string {
  const K = ts.SyntaxKind;
  const names: Partial<Record<ts.SyntaxKind, string>> = {
    [K.ThisKeyword]: "`this`", [K.ClassDeclaration]: "a class", [K.ClassExpression]: "a class", [K.TryStatement]: "`try`",
    [K.ThrowStatement]: "`throw`", [K.SwitchStatement]: "`switch`", [K.AwaitExpression]: "`await`", [K.YieldExpression]: "`yield`",
    [K.ObjectLiteralExpression]: "an object literal", [K.TemplateExpression]: "a template string", [K.StringLiteral]: "a string",
    [K.NoSubstitutionTemplateLiteral]: "a template string", [K.ForInStatement]: "`for…in`", [K.LabeledStatement]: "a labelled statement",
    [K.DeleteExpression]: "`delete`", [K.TypeOfExpression]: "`typeof`", [K.VoidExpression]: "`void`", [K.RegularExpressionLiteral]: "a regular expression",
    [K.TaggedTemplateExpression]: "a tagged template", [K.WithStatement]: "`with`", [K.SuperKeyword]: "`super`", [K.NullKeyword]: "`null`",
    [K.CommaToken]: "the comma operator", [K.BigIntLiteral]: "a bigint", [K.DebuggerStatement]: "`debugger`",
  };
  return names[n.kind] ?? `\`${K[n.kind]}\``;
}

/** The variables of a value's leaves (a record's or tuple's, nested), in order; "" for a literal leaf. */
function leafVars(v: Val | Binding): string[] {
  if (v.k === "atom") return [v.a.k === "var" ? v.a.name : ""];
  if (v.k === "tuple") return v.items.flatMap(leafVars);
  return [];
}

