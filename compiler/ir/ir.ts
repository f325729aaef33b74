// The IR: one small, flat, typed language for every transform. Statements are
// in A-normal form (operands are atoms: a variable or a literal), control flow
// stays structured (if / loop / counted for), and every function ends in one
// `return`. Early exits are lowered to flags by the front end, so the reverse
// sweep only has to replay structured code backwards.
import type { JacobianPlan, OneBlock } from "./plan.js";

export interface Loc { file: string; line: number; col: number }

export type Type =
  | { k: "num" } // a float64 scalar: the differentiable number
  | { k: "bool" }
  | { k: "vec"; f32?: boolean } // 1-D numeric storage: number[], Float64Array, Float32Array
  | { k: "tensor"; f32?: boolean } // a jacc Tensor: a result block of an inner transform (data + shape)
  | { k: "opaque" }; // anything else (captured objects, Tensors built for results): never differentiated

export const NUM: Type = { k: "num" };
export const BOOL: Type = { k: "bool" };
export const VEC: Type = { k: "vec" };
export const OPAQUE: Type = { k: "opaque" };
export const TENSOR: Type = { k: "tensor" };

export type Atom = { k: "var"; name: string } | { k: "lit"; v: number | boolean | undefined };

export const v = (name: string): Atom => ({ k: "var", name });
export const lit = (x: number | boolean | undefined): Atom => ({ k: "lit", v: x });

export type Expr =
  | { k: "atom"; a: Atom }
  | { k: "prim"; op: string; args: Atom[]; attrs?: unknown[] } // a pure primitive of the rule tables; attrs: static arguments (dims, flags)
  | { k: "load"; arr: Atom; index: Atom; orZero?: true } // arr[index]; orZero: 0 past the end (a cotangent of a write a typed array dropped)
  | { k: "len"; arr: Atom } // arr.length
  | { k: "newvec"; len: Atom; f32?: boolean; jac?: JacAlloc; plain?: true } // a zero-filled Float64Array (Float32Array); plain: a JavaScript Array of zeros, which a write past its end grows (`new Array(n).fill(0)`)
  | { k: "veclit"; items: Atom[]; f32?: boolean } // [a, b, c] as a vector value (f32: a Float32Array of them)
  | { k: "copyvec"; src: Atom } // a fresh copy of a vector (snapshots for repeated reverse sweeps)
  | { k: "ext"; text: string } // a captured constant read as source text (module binding, property of one)
  | { k: "pop" } // the newest float64 on the tape
  | { k: "popobj" } // the newest object (a vector) on the object tape
  | { k: "tape" } // the tape's stack pointer (to replay reverse sweeps)
  | { k: "wrap"; data: Atom; dims: Dim[]; f32?: boolean; nums?: boolean } // a result block: new Tensor(data, [...dims]); nums: data may hold device numbers (compiler/opt/device-numbers.ts)
  | { k: "tdata"; t: Atom }; // a Tensor's storage (as a vector)

/** A Jacobian block's storage: too big a one is a RangeError naming the marker and the shape (len = the shape's product). */
export interface JacAlloc { label: string; shape: Atom[] }

/** One part of a result block's shape: a size, or the whole shape of a value ([] for a number, [n] for a vector). */
export type Dim = { size: Atom } | { shapeOf: Atom };

export type Stmt =
  | { k: "let"; dst: string; e: Expr; loc?: Loc }
  | { k: "store"; arr: Atom; index: Atom; value: Atom; accum?: boolean; loc?: Loc } // arr[i] = v (+= v)
  | { k: "call"; dsts: string[]; fn: string; args: Atom[]; loc?: Loc; nodiff?: boolean } // dsts = fn(args); nodiff: a constant to enclosing transforms
  | { k: "if"; cond: Atom; then: Stmt[]; else: Stmt[]; loc?: Loc }
  | { k: "loop"; pre: Stmt[]; cond: Atom; body: Stmt[]; loc?: Loc } // while (true) { pre; if (!cond) break; body }
  | { k: "for"; index: string; from: Atom; to: Atom; down?: boolean; body: Stmt[]; loc?: Loc } // index in [from, to), or reversed
  | { k: "push"; a: Atom }
  | { k: "pushobj"; a: Atom }
  | { k: "settape"; sp: Atom } // rewind the tape pointer (replaying a reverse sweep)
  | { k: "fill0"; arr: Atom } // arr.fill(0)
  | { k: "return"; values: Atom[] }
  | { k: "effect"; op: string; args: Atom[]; attrs?: unknown[] } // a runtime call for its side effect (filling a Jacobian block)
  | { k: "comment"; text: string };

/**
 * How flat values nest for the user (JAX's treedef): a leaf is an index (a
 * result, or a parameter), an array a tuple, `{ keys, items }` a record, and
 * `{ list, of, axis }` an array of records or tuples of numbers of any length
 * (`ps: Point[]`), passed flat: the values under `of` run over its elements'
 * numbers along `axis` (element e's number at offset j of `list` at e·k + j,
 * k the numbers per element; a negative axis counts from the end).
 */
export type Tree = number | Tree[] | TreeRecord | TreeList;
export interface TreeRecord { keys: string[]; items: Tree[] }
/**
 * `tensors`: the elements' leaves are Tensors (`Ws: Tensor[]`, `{ W: Tensor; b: Tensor }[]`): the flat
 * parameter `param` is one Tensor of all their entries, piece after piece (element e's leaf j is
 * piece e·k + j), and the values under `of` run over those entries along `axis` (runtime/tensor-list.ts)
 */
export interface TreeList { list: Tree; of: Tree; axis: number; tensors?: true; param?: number }

export const isListTree = (t: Tree): t is TreeList => typeof t === "object" && "list" in t;
export const isRecordTree = (t: Tree): t is TreeRecord => typeof t === "object" && "keys" in t;

export function leavesOf(t: Tree): number[] {
  if (typeof t === "number") return [t];
  if (Array.isArray(t)) return t.flatMap(leavesOf);
  return isListTree(t) ? leavesOf(t.of) : t.items.flatMap(leavesOf);
}

export function mapTree(t: Tree, f: (leaf: number) => Tree): Tree {
  if (typeof t === "number") return f(t);
  if (Array.isArray(t)) return t.map((x) => mapTree(x, f));
  if (isListTree(t)) return { ...t, of: mapTree(t.of, f) };
  return { keys: t.keys, items: t.items.map((x) => mapTree(x, f)) };
}

/** Whether a tree holds a record (or a list of them) anywhere. */
export const hasRecord = (t: Tree): boolean => typeof t !== "number" && (!Array.isArray(t) || t.some(hasRecord));

/** Whether a tree holds a list anywhere. */
export const hasList = (t: Tree): boolean => typeof t === "object" && (isListTree(t) || (Array.isArray(t) ? t : t.items).some(hasList));

/** The numbers of one element of a list (the leaves of its `list` tree). */
export const listWidth = (t: TreeList): number => leavesOf(t.list).length;

export interface Param {
  name: string;
  type: Type;
  /** the name the user wrote, where `name` had to become an ASCII identifier (`θ$` → `_$`): for messages */
  source?: string;
  /** an opaque record: why it is not a structure of differentiable leaves (names the leaf), for the markers' diagnostic */
  opaqueWhy?: string;
  /** an array of records or tuples of numbers, a constant here: one element's structure, for a marker that differentiates it (Program.withLists) */
  listOf?: Tree;
  /** listOf's leaves are Tensors (`Tensor[]`, `{ W: Tensor; b: Tensor }[]`) */
  listTensors?: true;
}

/** A parameter's name as the user wrote it, for messages and diagnostics. */
export const userName = (p: Param): string => p.source ?? p.name;

export interface Fn {
  name: string;
  params: Param[];
  results: Type[]; // one entry per returned value (a tuple returns several)
  /** true when the source returned a tuple (even of length 1): callers see an array */
  tupleResult: boolean;
  body: Stmt[];
  vars: Map<string, Type>; // every variable's type, params included
  loc?: Loc; // where the source function is
  /** the source function's name, for comments */
  source?: string;
  /** free variables bound in enclosing function scopes, passed as trailing params */
  captures: string[];
  /**
   * Structured parameters (records, nested tuples): per source parameter, the
   * tree of the flat parameters holding its leaves. Undefined: one flat
   * parameter per source parameter (captured variables follow in both cases).
   */
  inTrees?: Tree[];
  /** A structured result (a record somewhere): how the flat results nest. */
  outTree?: Tree;
  /** which parameters (flat) have default values */
  defaults?: boolean[];
  /** user-facing generated functions check their argument count (SPEC §5: a TypeError naming the op) */
  arity?: { label: string; min: number; max: number; omittable?: boolean[] };
  /**
   * A structured twin (compiler/ad/structured.ts): the name of the Jacobian driver whose body this
   * function's replaces when the module is emitted. Until then transforms differentiate the
   * driver's own body (the sweeps), and nothing calls the twin.
   */
  twinOf?: string;
  /** A Jacobian driver's plan (compiler/ad/jacobian-plan.ts; fusion may make it "direct"). */
  plan?: JacobianPlan;
  /** A structured driver of one block, which the Jacobian fusion pass may write as one loop. */
  oneBlock?: OneBlock;
}

/** The structured twin of the function `name` (the function whose `twinOf` is `name`), if it has one. */
export function twinOf(fns: ReadonlyMap<string, Fn>, name: string): Fn | undefined {
  for (const f of fns.values()) if (f.twinOf === name) return f;
  return undefined;
}

/** Per source parameter, the tree of its flat parameters. */
export function sourceParams(fn: Fn, extra = 0): Tree[] {
  return fn.inTrees ?? fn.params.slice(0, fn.params.length - extra).map((_, i) => i);
}

export function typeOf(fn: Fn, a: Atom): Type {
  if (a.k === "lit") return typeof a.v === "boolean" ? BOOL : NUM;
  const t = fn.vars.get(a.name);
  if (!t) throw new Error(`IR: unknown variable ${a.name} in ${fn.name}`);
  return t;
}

/** A name manager for a transform of `fn`: its variables and the outer names its constants read are taken. */
export function namesFor(fn: Fn): Names {
  const n = new Names(fn.vars.keys());
  walk(fn.body, (s) => {
    if (s.k === "let" && s.e.k === "ext") n.reserve(s.e.text.split(".")[0]);
  });
  return n;
}

/** Walks statements depth-first, including nested blocks. */
export function walk(stmts: Stmt[], f: (s: Stmt, inLoop: boolean) => void, inLoop = false): void {
  for (const s of stmts) {
    f(s, inLoop);
    if (s.k === "if") {
      walk(s.then, f, inLoop);
      walk(s.else, f, inLoop);
    } else if (s.k === "loop") {
      walk(s.pre, f, true);
      walk(s.body, f, true);
    } else if (s.k === "for") {
      walk(s.body, f, true);
    }
  }
}

/** Variables an expression reads. */
export function exprReads(e: Expr): Atom[] {
  switch (e.k) {
    case "atom": return [e.a];
    case "prim": return e.args;
    case "load": return [e.arr, e.index];
    case "len": return [e.arr];
    case "newvec": return e.jac ? [e.len, ...e.jac.shape] : [e.len];
    case "veclit": return e.items;
    case "copyvec": return [e.src];
    case "wrap": return [e.data, ...e.dims.map((d) => ("size" in d ? d.size : d.shapeOf))];
    case "tdata": return [e.t];
    default: return [];
  }
}

/** Atoms a statement reads (not its nested blocks). */
export function stmtReads(s: Stmt): Atom[] {
  switch (s.k) {
    case "let": return exprReads(s.e);
    case "store": return [s.arr, s.index, s.value];
    case "call": return s.args;
    case "if": return [s.cond];
    case "loop": return [s.cond];
    case "for": return [s.from, s.to];
    case "push": case "pushobj": return [s.a];
    case "settape": return [s.sp];
    case "fill0": return [s.arr];
    case "effect": return s.args;
    case "return": return s.values;
    default: return [];
  }
}

/** The variables a statement (not its nested blocks) defines. */
export function stmtDefs(s: Stmt): string[] {
  if (s.k === "let") return [s.dst];
  if (s.k === "call") return s.dsts;
  if (s.k === "for") return [s.index];
  return [];
}

/** Creates fresh names that never collide with taken ones (sucrase's claimFreeName). */
/**
 * Words a generated name must never be: JavaScript's reserved words (strict mode and
 * modules included) and the globals a local would shadow. A derived name can hit one
 * (the tangent of a user's `o` is `do`).
 */
const RESERVED = new Set(
  ("await break case catch class const continue debugger default delete do else enum export extends false finally for function if " +
    "import in instanceof new null return super switch this throw true try typeof var void while with yield " +
    "let static implements interface package private protected public arguments eval undefined NaN Infinity").split(" "),
);

export class Names {
  private taken: Set<string>;
  /** per base, the suffix below which every name is taken (names are never released): claims stay O(1) */
  private next = new Map<string, number>();
  constructor(taken: Iterable<string> = []) {
    this.taken = new Set(taken);
  }
  clone(): Names {
    const n = new Names(this.taken);
    n.next = new Map(this.next);
    return n;
  }
  claim(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_$]/g, "_") || "t";
    let name = clean;
    if (this.taken.has(name) || RESERVED.has(name)) {
      let i = this.next.get(clean) ?? 2;
      while (this.taken.has((name = `${clean}${i}`))) i++;
      this.next.set(clean, i + 1);
    }
    this.taken.add(name);
    return name;
  }
  reserve(name: string): void {
    this.taken.add(name);
  }
  has(name: string): boolean {
    return this.taken.has(name);
  }
}

/**
 * Appends statements and hands back atoms: rules and transforms build IR
 * through it, so their output is IR again and every transform composes.
 */
export class Builder {
  stmts: Stmt[] = [];
  constructor(readonly fn: Fn, readonly names: Names, public loc?: Loc) {}

  fresh(base: string, type: Type): string {
    const n = this.names.claim(base);
    this.fn.vars.set(n, type);
    return n;
  }
  emit(s: Stmt): void {
    this.stmts.push(s);
  }
  let(base: string, type: Type, e: Expr): Atom {
    const n = this.fresh(base, type);
    this.stmts.push({ k: "let", dst: n, e, loc: this.loc });
    return v(n);
  }
  assign(dst: string, e: Expr): void {
    this.stmts.push({ k: "let", dst, e, loc: this.loc });
  }
  /** A primitive on numbers, folding only literal-only operands and exact identities (x * 1). */
  p(op: string, ...args: Atom[]): Atom {
    if (op === "mul" && args[1].k === "lit" && args[1].v === 1) return args[0];
    if (op === "mul" && args[0].k === "lit" && args[0].v === 1) return args[1];
    if (args.every((a) => a.k === "lit") && FOLDABLE.has(op)) {
      const r = FOLDABLE.get(op)!(...args.map((a) => (a as { v: number }).v));
      if (typeof r === "number" || typeof r === "boolean") return lit(r);
    }
    const t = op in BOOL_OPS ? BOOL : NUM;
    return this.let("t", t, { k: "prim", op, args });
  }
  /** A tensor primitive (its result is a Tensor unless `type` says otherwise). */
  t(op: string, args: Atom[], attrs?: unknown[], type: Type = TENSOR): Atom {
    return this.let(type.k === "num" ? "t" : "T", type, { k: "prim", op, args, attrs });
  }
  /** Takes a block of statements built by `f` and returns them without appending. */
  sub(f: (b: Builder) => void): Stmt[] {
    const saved = this.stmts;
    this.stmts = [];
    f(this);
    const out = this.stmts;
    this.stmts = saved;
    return out;
  }
}

export const BOOL_OPS: Record<string, true> = { isundef: true, lt: true, le: true, gt: true, ge: true, eq: true, ne: true, not: true, and: true, or: true };

const FOLDABLE = new Map<string, (...a: any[]) => number | boolean>([
  ["add", (a, b) => a + b],
  ["sub", (a, b) => a - b],
  ["mul", (a, b) => a * b],
  ["div", (a, b) => a / b],
  ["neg", (a) => -a],
  ["not", (a) => !a],
  ["isundef", (a) => a === undefined],
]);
