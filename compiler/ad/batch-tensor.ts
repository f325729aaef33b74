// vmap of tensor code as a batching transform (JAX's batching.py, functorch's
// batching rules): every value is batched (its batch at dim 0) or not, and
// each tensor op runs once over the whole batch through its rule in
// compiler/ops/batching.ts. Statements that read no batched value stay as they
// are. Anything the transform cannot follow soundly (an op without a rule, a
// branch or loop that depends on batched values, random draws, calls left
// after inlining, vectors) returns a reason instead, and vmap keeps its row
// loop for the whole function (compiler/ad/batch.ts): a wrong number is worse
// than a slow one.
import { type Atom, Builder, type Fn, lit, Names, NUM, type Stmt, stmtDefs, stmtReads, TENSOR, type Type, userName, v, VEC, walk, exprReads } from "../ir/ir.js";
import { inlineCalls } from "../opt/inline.js";
import { renameStmts } from "../opt/simplify.js";
import type { Kind } from "../ops/batching.js";
import { batchRuleOf } from "../ops/index.js";
import { ELEMENTWISE_OPS } from "../ops/elementwise.js";
import type { Ctx } from "./jvp.js";
import type { VmapSpec } from "./batch.js";

/** Why a vmap keeps the row loop (reported by `jacc explain`). */
export class Unbatchable extends Error {}

/** The batched core of `f` (same contract as buildVmap's), or the reason it keeps the row loop. */
export function batchTensorFn(ctx: Ctx, f: Fn, spec: VmapSpec, name: string): Fn | string {
  try {
    return new TensorBatcher(ctx, f, spec, name).run();
  } catch (e) {
    if (e instanceof Unbatchable) return e.message;
    throw e;
  }
}

/** Whether f (with what it calls) computes with Tensor ops: programs of numbers keep their row loop and WGSL row kernel. */
export function usesTensorOps(ctx: Ctx, f: Fn, seen = new Set<string>()): boolean {
  if (f.params.some((p) => p.type.k === "tensor")) return true;
  let hit = false;
  seen.add(f.name);
  walk(f.body, (s) => {
    if (s.k === "let" && s.e.k === "prim" && s.e.op.startsWith("t.")) hit = true;
    if (s.k === "call" && !seen.has(s.fn) && ctx.fns.has(s.fn) && usesTensorOps(ctx, ctx.fns.get(s.fn)!, seen)) hit = true;
  });
  return hit;
}

function no(why: string): never {
  throw new Unbatchable(why);
}

class TensorBatcher {
  private fn: Fn;
  private names: Names;
  private b: Builder;
  private B!: Atom;
  /** variables that ever hold a batch (their type becomes Tensor) */
  private everBatched = new Set<string>();
  /** variables set in one arm only of an if on batched values (merged arms): not to be read after it */
  private armLocal = new Set<string>();
  /** variables whose value is `undefined` here (declared, not yet set: the inlined callees' locals) */
  private undef = new Set<string>();

  constructor(private ctx: Ctx, private f: Fn, private spec: VmapSpec, name: string) {
    this.names = new Names([...f.vars.keys(), ...f.captures]);
    this.fn = { name, params: [], results: [], tupleResult: f.tupleResult, body: [], vars: new Map(f.vars), loc: f.loc, source: f.source, captures: [...f.captures] };
    this.b = new Builder(this.fn, this.names, f.loc);
  }

  run(): Fn {
    const { f, fn, b, spec } = this;
    if (f.params.some((p) => p.type.k === "vec") || f.results.some((t) => t.k === "vec")) no("it takes or returns number[] vectors");
    const state = new Map<string, Kind>();
    // parameters: a batched one comes under a fresh name and is rebound to its batch-first form
    const outer = f.params.map((p, i) => {
      const d = spec.inDims[i];
      if (d === null) {
        fn.params.push(p);
        return undefined;
      }
      const type: Type = p.type.k === "num" ? VEC : TENSOR;
      const n = this.names.claim(`${p.name}_batch`);
      fn.vars.set(n, type);
      fn.params.push({ name: n, type, source: p.source });
      return { n, d, num: p.type.k === "num" };
    });
    const batched = fn.params.filter((_, i) => spec.inDims[i] !== null);
    const check = [spec.label, batched.map(userName), spec.inDims.filter((d) => d !== null)];
    b.emit({ k: "effect", op: "ad.checkBatch", args: batched.map((p) => v(p.name)), attrs: check });
    this.B = b.let("B", NUM, {
      k: "prim",
      op: "ad.batchSize",
      args: batched.map((p) => v(p.name)),
      attrs: check,
    });
    f.params.forEach((p, i) => {
      const o = outer[i];
      if (!o) return state.set(p.name, "u");
      const e = o.num ? { k: "prim" as const, op: "ad.bNums", args: [v(o.n)] } : o.d === 0 ? { k: "atom" as const, a: v(o.n) } : { k: "prim" as const, op: "ad.moveDim", args: [v(o.n)], attrs: [o.d, 0] };
      b.assign(p.name, e);
      this.mark(p.name, o.num ? "n" : "b", state);
    });
    const body = inlineCalls(this.ctx.fns, fn, f.body.slice(0, -1), this.names);
    this.block(body, state);
    const ret = f.body[f.body.length - 1];
    if (ret.k !== "return") no("it does not end in a return");
    // (an early return inside a branch on batched values sets the result in one arm only: unless the front end's
    // protocol says every row has set it by now)
    const everyRow = earlyReturnVars(f);
    for (const a of ret.values) if (a.k === "var" && this.armLocal.has(a.name) && !everyRow.has(a.name)) no(`\`${a.name}\` is set in one branch only of a condition on batched values and read after it`);
    const numBatches = fn.params.filter((p, i) => spec.inDims[i] !== null && f.params[i].type.k === "num").map((p) => v(p.name));
    const values = ret.values.map((a, i) => {
      const od = spec.outDims[i] ?? null;
      const k = this.kindOf(a, state);
      if (od === null) return k === "u" ? a : no(`result ${i} depends on the batch but its outDims is null`);
      const t = k === "u" ? b.t("ad.bBroadcast", [a, this.B]) : a;
      if (f.results[i].k === "num") return b.let(`out${i}`, VEC, { k: "prim", op: "ad.bNumsOut", args: [t, ...numBatches] });
      return od === 0 ? t : b.t("ad.moveDim", [t], [0, od]);
    });
    fn.results = f.results.map((t, i) => (spec.outDims[i] === null || spec.outDims[i] === undefined ? t : t.k === "num" ? VEC : TENSOR));
    b.emit({ k: "return", values });
    for (const x of this.everBatched) if (fn.vars.get(x)?.k !== "tensor") fn.vars.set(x, TENSOR);
    fn.body = withoutNoOpAligns(b.stmts, fn, new Set(outer.flatMap((o) => (o && !o.num ? [o.n] : []))));
    return fn;
  }

  private kindOf(a: Atom, state: Map<string, Kind>): Kind {
    return a.k === "var" ? state.get(a.name) ?? "u" : "u";
  }

  private mark(x: string, k: Kind, state: Map<string, Kind>): void {
    state.set(x, k);
    if (k !== "u") this.everBatched.add(x);
  }

  private readsBatched(s: Stmt, state: Map<string, Kind>): boolean {
    let hit = false;
    walk([s], (t) => {
      const reads = t.k === "let" ? exprReads(t.e) : stmtReads(t);
      if (reads.some((a) => this.kindOf(a, state) !== "u")) hit = true;
    });
    return hit;
  }

  private block(stmts: Stmt[], state: Map<string, Kind>): void {
    for (const s of stmts) this.stmt(s, state);
  }

  private stmt(s: Stmt, state: Map<string, Kind>): void {
    const { b } = this;
    if (this.armLocal.size) {
      walk([s], (t) => {
        for (const a of t.k === "let" ? exprReads(t.e) : stmtReads(t)) if (a.k === "var" && this.armLocal.has(a.name)) no(`\`${a.name}\` is set in one branch only of a condition on batched values and read after it`);
      });
      stmtDefs(s).forEach((d) => this.armLocal.delete(d));
    }
    if (s.k !== "if") stmtDefs(s).forEach((d) => this.undef.delete(d));
    if (s.k === "let" && s.e.k === "atom" && s.e.a.k === "lit" && s.e.a.v === undefined) this.undef.add(s.dst);
    if (s.k === "comment") return b.emit(s);
    if (s.k === "let" && s.e.k === "prim" && (s.e.op === "random" || s.e.op.startsWith("ad.rand"))) no("it draws random numbers");
    if (s.k === "if") return this.branch(s, state);
    if (s.k === "loop" || s.k === "for") {
      // a loop that reads no batched value and writes none runs as it is; otherwise its trip count or body is per example
      const writes = new Set<string>();
      walk([s], (t) => stmtDefs(t).forEach((d) => writes.add(d)));
      if (this.readsBatched(s, state) || [...writes].some((w) => state.get(w) !== undefined && state.get(w) !== "u")) no("a loop reads batched values");
      b.emit(s);
      writes.forEach((w) => state.set(w, "u"));
      return;
    }
    if (!this.readsBatched(s, state)) {
      // unbatched: as it is
      b.emit(s);
      stmtDefs(s).forEach((d) => state.set(d, "u"));
      return;
    }
    if (s.k !== "let") no(s.k === "call" ? `it calls \`${s.fn}\` with batched values (recursive or too big to inline)` : `a ${s.k} statement reads batched values`);
    const e = s.e;
    if (e.k === "atom") {
      b.emit(s);
      return this.mark(s.dst, this.kindOf(e.a, state), state);
    }
    if (e.k !== "prim") return no(`a ${e.k} expression reads batched values`);
    // whether a value is undefined does not vary across the batch
    if (e.op === "isundef") {
      b.emit(s);
      return void state.set(s.dst, "u");
    }
    const rule = batchRuleOf(e.op, e.args.length);
    if (!rule) no(`\`${e.op.replace(/^t\./, "")}\` has no batching rule`);
    b.loc = s.loc;
    const r = rule!(b, e.args, e.args.map((a) => this.kindOf(a, state)), e.attrs ?? [], this.B);
    if (typeof r === "string") no(`\`${e.op.replace(/^t\./, "")}\`: ${r}`);
    const out = r as Exclude<typeof r, string>;
    b.assign(s.dst, { k: "atom", a: out.a });
    this.mark(s.dst, out.kind, state);
  }

  /**
   * An if on a batched condition whose arms only compute values: both arms run over the whole batch
   * and each variable they assign is merged row by row, `where(cond, then, else)` (JAX's select).
   * Each arm starts from the values before the if (the other arm's writes are undone between them).
   * The runtime merge (runtime/batching.ts bWhere) checks that both arms give one shape per example,
   * as the row loop's stacking requires, unless every row took the same arm.
   */
  private whereBranch(s: Extract<Stmt, { k: "if" }>, state: Map<string, Kind>): void {
    const { b } = this;
    let plain = true;
    walk([...s.then, ...s.else], (t) => {
      if (t.k !== "let" && t.k !== "comment" && t.k !== "if") plain = false;
    });
    if (!plain) no("a branch depends on batched values (and does more than compute values)");
    const setIn = (arm: Stmt[]) => {
      const d = new Set<string>();
      walk(arm, (t) => stmtDefs(t).forEach((x) => d.add(x)));
      return d;
    };
    const thenSets = setIn(s.then), elseSets = setIn(s.else);
    const writes = new Set([...thenSets, ...elseSets]);
    const undefBefore = new Set(this.undef);
    // set in one arm of an earlier if (the result of an early return): its value holds in that arm's rows, and
    // a write here changes it in this arm's rows only (a write inside an arm is not a write to every row)
    const partial = new Set([...this.armLocal].filter((x) => writes.has(x)));
    // a value before the if (not a declared-and-unset local of an inlined callee)
    const defined = (x: string) => (state.has(x) && !undefBefore.has(x)) || partial.has(x);
    // merged: what has a value on both sides; set in one arm only and undefined before (a temporary of that
    // arm), a variable must not be read after the if: it would hold that arm's value in every row
    const merged = [...writes].filter((x) => defined(x) || (thenSets.has(x) && elseSets.has(x)));
    const before = new Map<string, Atom>();
    for (const x of merged) if (defined(x)) before.set(x, b.let(`${x}_before`, this.typeOf(x, state), { k: "atom", a: v(x) }));
    // the then arm's values, kept (and the values before the if put back) for the else arm to start from the same state
    const thenState = new Map(state);
    this.block(s.then, thenState);
    const then = new Map<string, { a: Atom; kind: Kind }>();
    for (const x of merged) {
      if (!thenSets.has(x)) {
        then.set(x, { a: before.get(x)!, kind: state.get(x)! });
        continue;
      }
      then.set(x, { a: b.let(`${x}_then`, this.typeOf(x, thenState), { k: "atom", a: v(x) }), kind: thenState.get(x)! });
      const pre = before.get(x);
      if (pre) b.assign(x, { k: "atom", a: pre });
      // (unset before the if: the else arm must not read the then arm's value before setting its own)
      else if (readsBeforeSetting(s.else, x)) b.assign(x, { k: "atom", a: lit(undefined) });
    }
    const elseState = new Map(state);
    this.block(s.else, elseState);
    const cond = s.cond;
    const kc = this.kindOf(cond, state);
    // (after both arms: inside its own arm such a temporary is read as usual)
    for (const x of writes) if (!merged.includes(x)) this.armLocal.add(x);
    // (still unset in the rows that took neither this arm nor the earlier one, unless both arms set it)
    for (const x of partial) if (!(thenSets.has(x) && elseSets.has(x))) this.armLocal.add(x);
    for (const x of merged) {
      const t = then.get(x)!;
      const e = { a: v(x) as Atom, kind: elseState.get(x) ?? state.get(x)! };
      const kind: Kind = (t.kind === "n" || (t.kind === "u" && !this.isTensor(t.a))) && (e.kind === "n" || (e.kind === "u" && !this.isTensor(e.a))) ? "n" : "b";
      const out = b.t("ad.bWhere", [cond, t.a, e.a, this.B], [[kc !== "u", t.kind !== "u", e.kind !== "u"]]);
      b.assign(x, { k: "atom", a: out });
      this.mark(x, kind, state);
    }
    this.undef = new Set([...undefBefore].filter((x) => !merged.includes(x)));
  }

  private typeOf(x: string, state: Map<string, Kind>): Type {
    return (state.get(x) ?? "u") !== "u" ? TENSOR : this.fn.vars.get(x) ?? TENSOR;
  }

  private isTensor(a: Atom): boolean {
    return a.k === "var" && this.fn.vars.get(a.name)?.k === "tensor";
  }

  /** An if on an unbatched condition: both arms batched, each variable made batched in the arm that left it unbatched. */
  private branch(s: Extract<Stmt, { k: "if" }>, state: Map<string, Kind>): void {
    if (this.kindOf(s.cond, state) !== "u") return this.whereBranch(s, state);
    const thenState = new Map(state), elseState = new Map(state);
    const undefBefore = new Set(this.undef);
    const then = this.b.sub(() => this.block(s.then, thenState));
    const undefThen = this.undef;
    this.undef = new Set(undefBefore);
    const els = this.b.sub(() => this.block(s.else, elseState));
    // undefined after the if where either arm may leave it so
    this.undef = new Set([...undefThen, ...this.undef]);
    const vars = new Set([...thenState.keys(), ...elseState.keys()]);
    for (const x of vars) {
      const kt = thenState.get(x) ?? "u", ke = elseState.get(x) ?? "u";
      if (kt === ke) {
        state.set(x, kt);
        continue;
      }
      if (kt !== "u" && ke !== "u") no(`\`${x}\` is a batch of numbers in one branch and of Tensors in the other`);
      const fix = (arm: Stmt[]) => arm.push({ k: "let", dst: x, e: { k: "prim", op: "ad.bBroadcast", args: [v(x), this.B] } });
      fix(kt === "u" ? then : els);
      this.mark(x, kt === "u" ? ke : kt, state);
    }
    this.b.emit({ ...s, then, else: els });
  }
}

/**
 * The results of f's early-return protocol (front/lower.ts: each `return v` is `out = v; returned = true`, and
 * the statement before the final `return out` is `if (!returned) { …; out = v; returned = true }`), or none.
 * Where it holds, a row's `returned` is true only once its `out` is set, and every row has returned by the
 * final return: `out` is set in every row there, whichever branches set it in which rows (each such write
 * in a branch on batched values being merged row by row).
 */
function earlyReturnVars(f: Fn): Set<string> {
  const body = f.body;
  const ret = body[body.length - 1];
  if (ret?.k !== "return") return new Set();
  const outs = ret.values.flatMap((a) => (a.k === "var" ? [a.name] : []));
  if (outs.length !== ret.values.length) return new Set();
  const lit = (s: Stmt, value: boolean): s is Extract<Stmt, { k: "let" }> => s.k === "let" && s.e.k === "atom" && s.e.a.k === "lit" && s.e.a.v === value;
  // the candidates: flags set false first thing (the front end's flags: returned, and a loop's broke)
  let inits = 0;
  while (inits < body.length && lit(body[inits], false)) inits++;
  const flags = body.slice(0, inits).map((s) => (s as Extract<Stmt, { k: "let" }>).dst);
  const holds = (flag: string): boolean => {
    let ok = true;
    // every `flag = true` right after the results are set, and never false again after the first statements
    const check = (list: Stmt[], top: boolean) => {
      list.forEach((s, i) => {
        if (s.k === "let" && s.dst === flag && !(top && i < inits)) {
          const before = list.slice(Math.max(0, i - outs.length), i);
          if (!lit(s, true) || !outs.every((o) => before.some((t) => t.k === "let" && t.dst === o))) ok = false;
        }
        if (s.k === "call" && s.dsts.includes(flag)) ok = false;
        if (s.k === "if") (check(s.then, false), check(s.else, false));
        else if (s.k === "loop") (check(s.pre, false), check(s.body, false));
        else if (s.k === "for") check(s.body, false);
      });
    };
    check(body, true);
    // and every row has the flag set at the end: a block sets it where it sets it unconditionally, in
    // `if (!flag) { … }` whose arm sets it (the other rows had it set), or in both arms of an if
    const isNotFlag = (s: Stmt | undefined, c: string) => s?.k === "let" && s.dst === c && s.e.k === "prim" && s.e.op === "not" && s.e.args[0]?.k === "var" && s.e.args[0].name === flag;
    const sets = (list: Stmt[]): boolean =>
      list.some((s, i) => (lit(s, true) && s.dst === flag) || (s.k === "if" && ((s.cond.k === "var" && isNotFlag(list[i - 1], s.cond.name) && sets(s.then)) || (sets(s.then) && sets(s.else)))));
    return ok && sets(body);
  };
  return flags.some(holds) ? new Set(outs) : new Set();
}

/**
 * The batched body without the `ad.bAlign`s that pad an operand to the rank it already has: where
 * the per-example ranks of an elementwise op's tensor operands are known to be equal (relative to a
 * batched parameter's, through select, reductions of all dims, item and ops of equal-rank operands),
 * the padding is a no-op, and left in it would split the fused elementwise regions (compiler/opt/fuse.ts).
 * A rank is "p+k" (parameter p's per-example rank plus k) or "k"; a variable set twice to
 * different ranks has none. A batch of numbers meeting float32 tensors keeps its bAlign (it converts).
 */
function withoutNoOpAligns(body: Stmt[], fn: Fn, params: Set<string>): Stmt[] {
  const rank = new Map<string, string | null>();
  const shifted = (r: string | null | undefined, by: number): string | null => {
    if (r === null || r === undefined) return null;
    const m = /^(?:(.*)\+)?(-?\d+)$/.exec(r)!;
    return m[1] === undefined ? String(Number(m[2]) + by) : `${m[1]}+${Number(m[2]) + by}`;
  };
  const isNumber = (a: Atom) => a.k === "lit" || fn.vars.get(a.name)?.k === "num" || fn.vars.get(a.name)?.k === "bool";
  const rankOf = (a: Atom): string | null => (a.k === "lit" ? "0" : params.has(a.name) ? `${a.name}+0` : rank.get(a.name) ?? null);
  const common = (atoms: Atom[]): string | null => {
    const rs = atoms.filter((a) => !isNumber(a)).map(rankOf);
    return rs.length && rs.every((r) => r !== null && r === rs[0]) ? rs[0] : rs.length ? null : "0";
  };
  const ruleRank = (e: Extract<Stmt, { k: "let" }>["e"]): string | null => {
    if (e.k === "atom") return isNumber(e.a) ? "0" : rankOf(e.a);
    if (e.k !== "prim") return null;
    const op = e.op;
    if (op === "t.select") return shifted(rankOf(e.args[0]), -1);
    if (op === "ad.moveDim") return rankOf(e.args[0]);
    if (op === "ad.bItem" || op === "ad.bCmp" || op === "ad.bNums" || (op === "ad.bReduceAll" && e.attrs?.[1] === false)) return "0";
    if (op === "ad.bAlign") return e.attrs?.[1] === false && common(e.args) !== null ? common(e.args) : null;
    const name = op.replace(/^tz?\./, "");
    if (op !== name && name in ELEMENTWISE_OPS) return common(e.args);
    return null;
  };
  // flow-insensitive: a variable's rank is the one all its definitions agree on
  walk(body, (st) => {
    if (st.k !== "let") return stmtDefs(st).forEach((d) => rank.set(d, null));
    const r = ruleRank(st.e);
    rank.set(st.dst, rank.has(st.dst) && rank.get(st.dst) !== r ? null : r);
  });
  const rewrite = (stmts: Stmt[]): Stmt[] =>
    stmts.map((st) => {
      if (st.k === "if") return { ...st, then: rewrite(st.then), else: rewrite(st.else) };
      if (st.k !== "let" || st.e.k !== "prim" || st.e.op !== "ad.bAlign" || st.e.attrs?.[1] !== false) return st;
      const [a, ...others] = st.e.args;
      const flags = st.e.attrs[0] as boolean[];
      const ra = rankOf(a);
      // every other operand a number, or batched with a's per-example rank
      const same = ra !== null && others.every((o, i) => isNumber(o) || (flags[i] && rankOf(o) === ra));
      if (same && a.k === "var") aliases.set(st.dst, a.name);
      return same ? { ...st, e: { k: "atom", a } } : st;
    });
  const aliases = new Map<string, string>();
  const out = rewrite(body);
  // each dropped bAlign leaves a copy: read its source instead where both are defined once (so neither
  // changes between the copy and its reads), so the fused regions see one value
  const defs = new Map<string, number>();
  walk(out, (st) => stmtDefs(st).forEach((d) => defs.set(d, (defs.get(d) ?? 0) + 1)));
  for (const [dst, src] of aliases) if (defs.get(dst) !== 1 || (defs.get(src) ?? 0) > 1) aliases.delete(dst);
  if (!aliases.size) return out;
  const to = (x: string): string => (aliases.has(x) ? to(aliases.get(x)!) : x);
  return renameStmts(out, to).filter((st) => !(st.k === "let" && st.e.k === "atom" && st.e.a.k === "var" && st.e.a.name === st.dst));
}

/** Whether `stmts` may read `x` before they set it (a read inside a nested statement counts). */
function readsBeforeSetting(stmts: Stmt[], x: string): boolean {
  for (const st of stmts) {
    let reads = false;
    walk([st], (t) => {
      if ((t.k === "let" ? exprReads(t.e) : stmtReads(t)).some((a) => a.k === "var" && a.name === x)) reads = true;
    });
    if (reads) return true;
    if (st.k === "let" && st.dst === x) return false;
  }
  return false;
}

