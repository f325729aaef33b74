// Reverse mode: IR → IR. The forward sweep runs the primal and pushes onto a
// tape only what the reverse sweep reads and the primal overwrites (Tapenade's
// push/pop of overwritten values). The reverse sweep replays the structured
// code backwards: branches by their (restored) condition, loops by their trip
// count, calls through a split pair f_fwd / f_rev sharing the tape. Loop
// counters that only step by integer literals are inverted instead of pushed,
// and loads from arrays that are never written are recomputed, so a loop
// keeps about one float64 per overwritten active value per iteration.
//
// Why the replay is exact: the reverse sweep reaches each statement with every
// primal variable as the forward sweep left it just after that statement (each
// later assignment has been undone by a pop or an inverted step). A statement's
// reverse reads (1) its own operands, which it does not write (replay.ts makes
// it so), (2) values it recomputes, whose leaves no statement writes from their
// definition up to and including their last use (leavesStable), and (3) partials
// and trip counts, popped in the reverse order of their pushes. So every read
// gives the forward value, branch conditions included: a condition that cannot
// be recomputed soundly is recorded per execution like any reassigned value.
import { namesFor, type Atom, BOOL, Builder, type Expr, exprReads, stmtReads, type Fn, lit, Names, NUM, type Stmt, TENSOR, type Type, v, VEC, walk } from "../ir/ir.js";
import { ruleOf } from "../rules/index.js";
import { findReturn, isVaried, reassigned, resultDeps, variedVars } from "./activity.js";
import type { Ctx } from "./jvp.js";
import { prepareForReverse, withoutCotangent, writesVar } from "./replay.js";
import { simplifyAdjoints } from "../opt/adjoints.js";

export interface VjpParts {
  fwd: Stmt[];
  rev: Stmt[];
  results: Atom[];
  resultBars: (string | null)[];
  paramBars: (string | null)[];
  /** a helper's reverse (vjpPair): each number parameter's flag, set where a cotangent reached it on the path taken */
  paramFlags: (string | undefined)[];
  /** a helper's reverse: the flag each number result's cotangent comes with (the caller's path may not use the result) */
  resultFlags: (string | undefined)[];
  numBars: string[]; // zeroed before every reverse sweep
  vecBars: string[]; // reset (unallocated) before every reverse sweep
  restored: string[]; // written by the reverse sweep: snapshot them to replay it
  restoredArrays: string[];
  needed: string[]; // primal variables the reverse sweep reads from its start
}

/** True if reverse mode cannot run over `fn` (it already holds a tape: reverse of reverse). */
export function usesTape(fns: Map<string, Fn>, fnName: string, seen = new Set<string>()): boolean {
  if (seen.has(fnName)) return false;
  seen.add(fnName);
  let found = false;
  walk(fns.get(fnName)!.body, (s) => {
    if (s.k === "push" || s.k === "pushobj" || s.k === "settape" || s.k === "effect") found = true;
    if (s.k === "call" && usesTape(fns, s.fn, seen)) found = true;
  });
  return found;
}

const pairMemo = new WeakMap<Map<string, Fn>, Map<string, { fwd: string; rev: string; reached: boolean[] }>>();
/** pairs being built whose names a (recursive) call already read: their protocol (which flags f_rev returns) is fixed */
const readEarly = new WeakSet<{ reached: boolean[] }>();
const building = new WeakSet<{ reached: boolean[] }>();

/** The split pair (augmented forward, reverse) of a callee for an activity mask. */
/**
 * f_fwd and f_rev for a helper's call in a reverse sweep; `reached[i]`: f_rev also returns, after
 * the cotangents, whether one reached number parameter i on the path taken (false where none did).
 */
export function vjpPair(ctx: Ctx, fnName: string, mask: boolean[], resultFlags = false): { fwd: string; rev: string; reached: boolean[] } {
  let m = pairMemo.get(ctx.fns);
  if (!m) pairMemo.set(ctx.fns, (m = new Map()));
  // (resultFlags: f_rev also takes whether the caller reached each number result; a caller that always does uses the pair without)
  const key = `${fnName}|${mask.map(Number).join("")}${resultFlags ? "|flags" : ""}`;
  const hit = m.get(key);
  if (hit && building.has(hit)) readEarly.add(hit);
  if (hit) return hit;
  const fn = ctx.fns.get(fnName)!;
  // (until its reverse is built, every number parameter's flag is returned: a recursive call reads this)
  const names = { fwd: ctx.fnNames.claim(`${fn.name}_fwd`), rev: ctx.fnNames.claim(`${fn.name}_rev`), reached: fn.params.map((p, i) => mask[i] && p.type.k === "num") };
  building.add(names);
  m.set(key, names);
  const vars = new Map(fn.vars);
  const F: Fn = { name: names.fwd, params: [...fn.params], results: fn.results, tupleResult: true, body: [], vars, loc: fn.loc, source: fn.source, captures: fn.captures };
  const R: Fn = { name: names.rev, params: [], results: [], tupleResult: true, body: [], vars, loc: fn.loc, source: fn.source, captures: fn.captures };
  ctx.fns.set(names.fwd, F);
  ctx.fns.set(names.rev, R);
  const nm = namesFor(fn);
  // (f_rev does not see f_fwd's locals: it recomputes what it can and pops the rest)
  const parts = vjpParts(ctx, fn, mask, F, nm, false, resultFlags);
  building.delete(names);
  // a parameter reached by a statement every path runs needs no flag: its stores go (unless a recursive call already expects it)
  fn.params.forEach((p, i) => {
    const flag = parts.paramFlags[i];
    if (!mask[i] || p.type.k !== "num" || readEarly.has(names)) return;
    const always = !!flag && parts.rev.some((st) => st.k === "let" && st.dst === flag);
    names.reached[i] = !always;
    if (always) parts.rev = withoutStores(parts.rev, flag!);
  });
  // f_fwd: the primal, then what f_rev reads first, on the tape.
  F.body = [...parts.fwd];
  for (const n of parts.needed) F.body.push(isObj(vars.get(n)!) ? { k: "pushobj", a: v(n) } : { k: "push", a: v(n) });
  F.body.push({ k: "return", values: parts.results });
  // f_rev(result cotangents…, vector parameter cotangents…) → number parameter cotangents
  const rb = new Builder(R, nm);
  fn.results.forEach((t, i) => {
    const bar = parts.resultBars[i] ?? nm.claim(`out${i}_bar`);
    vars.set(bar, barType(t));
    R.params.push({ name: bar, type: barType(t) });
  });
  fn.params.forEach((p, i) => {
    if (mask[i] && isRef(p.type)) R.params.push({ name: parts.paramBars[i]!, type: VEC });
  });
  // then whether the caller's path reached each number result (its cotangent otherwise a structural zero)
  if (resultFlags) {
    fn.results.forEach((t, i) => {
      if (t.k === "num") R.params.push({ name: parts.resultFlags[i] ?? nm.claim(`out${i}_reached`), type: BOOL });
    });
  }
  for (const n of [...parts.needed].reverse()) rb.emit({ k: "let", dst: n, e: { k: isObj(vars.get(n)!) ? "popobj" : "pop" } });
  const resultBarSet = new Set(parts.resultBars.filter(Boolean));
  for (const n of parts.numBars) if (!resultBarSet.has(n)) rb.emit({ k: "let", dst: n, e: { k: "atom", a: lit(0) } });
  for (const n of parts.vecBars) if (!resultBarSet.has(n)) rb.emit({ k: "let", dst: n, e: { k: "atom", a: lit(undefined) } });
  rb.stmts.push(...parts.rev);
  const outs: Atom[] = [];
  const reached: Atom[] = [];
  fn.params.forEach((p, i) => {
    if (mask[i] && !isRef(p.type)) {
      outs.push(v(parts.paramBars[i]!));
      R.results.push(barType(p.type));
      // then, where it depends on the path taken, whether a cotangent reached the number parameter (false: a structural zero for the caller)
      if (names.reached[i]) reached.push(parts.paramFlags[i] ? v(parts.paramFlags[i]!) : lit(false));
    }
  });
  outs.push(...reached);
  R.results.push(...reached.map(() => BOOL));
  rb.emit({ k: "return", values: outs });
  R.body = rb.stmts;
  return names;
}

/** `list` without the assignments to `x` (a flag no one reads). */
function withoutStores(list: Stmt[], x: string): Stmt[] {
  return list.flatMap((st): Stmt[] => {
    if (st.k === "let" && st.dst === x) return [];
    if (st.k === "if") return [{ ...st, then: withoutStores(st.then, x), else: withoutStores(st.else, x) }];
    if (st.k === "loop") return [{ ...st, pre: withoutStores(st.pre, x), body: withoutStores(st.body, x) }];
    if (st.k === "for") return [{ ...st, body: withoutStores(st.body, x) }];
    return [st];
  });
}

/** Arithmetic cheap enough to redo in the reverse sweep rather than store. */
const CHEAP = new Set(["add", "sub", "mul", "neg", "div", "select", "eq", "ne", "lt", "le", "gt", "ge", "not", "and", "or"]);

const isObj = (t: Type) => t.k === "vec" || t.k === "tensor" || t.k === "opaque";
/** Vector cotangents are accumulated in place (passed by reference); numbers and Tensors are values. */
const isRef = (t: Type) => t.k === "vec";
/** The cotangent of a vector is a vector, of a Tensor a Tensor (or undefined until something flows in). */
export const barType = (t: Type): Type => (t.k === "vec" ? VEC : t.k === "tensor" ? TENSOR : NUM);

/**
 * Builds the forward and reverse sweeps of `fn` into `target`'s variables; `inline`: the
 * reverse sweep runs in the same scope, after the forward sweep (every caller but the split pair).
 */
export function vjpParts(ctx: Ctx, fn: Fn, mask: boolean[], target: Fn, names: Names, inline = true, resultFlags = false): VjpParts {
  return new VjpTransform(ctx, prepareForReverse(fn, names), mask, target, names, inline, resultFlags).run();
}

class VjpTransform {
  private varied: Set<string>;
  private reassigned: Set<string>;
  private bars = new Map<string, string>();
  private numBars = new Set<string>();
  private vecBars = new Set<string>();
  private b: Builder;
  /** push/pop pairs, kept only if the variable (or array) turns out to be needed */
  private tags = new Map<Stmt, string>();
  /** a callee's reverse call → the arrays its forward call was given (read by it: neededSet) */
  private revReads = new Map<Stmt, string[]>();
  private counters: Map<string, number>; // var → 1 if an invertible integer counter
  private recompute = new Map<string, Expr>();
  private restored = new Set<string>();
  private restoredArrays = new Set<string>();
  private firstTopDefs = new Set<Stmt>();

  /**
   * Recomputable values the reverse sweep reads as they are: with the sweeps inline, a variable
   * whose one definition is a top-level statement (always run, never run again) still holds its
   * forward value there, so `T22 = v[1]` again would only repeat the load.
   */
  private live = new Set<string>();

  /**
   * Run-time structural zeros (PyTorch's graph reachability): a value the path a run took did not use
   * sends nothing back, so its zero cotangent is never multiplied by its partials (0 · ∞ = NaN where it
   * overflowed, as in `r(pow(b, u), d − 1)` whose base case ignores its argument). `reachable`: the
   * number variables not surely reached (maybeUnreached); each gets a flag set by every cotangent
   * accumulated into it, and the reverse of its definitions runs only when it is set. A helper's
   * reverse also returns, per number parameter, whether a cotangent reached it (`flagParams`: this is
   * a helper's reverse, vjpPair), and may take the same for its results (`flagResults`).
   */
  private reachable: Set<string>;
  private reachFlags = new Map<string, string>();
  /** local arrays whose elements are reached one by one (trackedArrays), and their flag arrays */
  private tracked: Set<string>;
  private hits = new Map<string, string>();
  private flagParams: boolean;
  /** a helper's reverse: per result, the flag its cotangent arrives with (a parameter of f_rev), for a number result */
  private resultFlags: (string | undefined)[] = [];

  constructor(private ctx: Ctx, private fn: Fn, private mask: boolean[], private target: Fn, private names: Names, inline: boolean, private flagResults = false) {
    this.varied = variedVars(ctx.fns, fn, mask);
    for (const x of withoutCotangent(fn, ctx.fns)) this.varied.delete(x);
    this.flagParams = !inline;
    this.tracked = this.trackedArrays();
    this.reachable = this.maybeUnreached();
    this.reassigned = reassigned(fn);
    this.b = new Builder(target, names);
    for (const [k, t] of fn.vars) target.vars.set(k, t);
    this.counters = findCounters(fn);
    this.findRecomputable();
    if (inline) {
      const defs = new Map<string, number>();
      walk(fn.body, (s) => (s.k === "let" ? defs.set(s.dst, (defs.get(s.dst) ?? 0) + 1) : s.k === "call" ? s.dsts.forEach((d) => defs.set(d, 2)) : undefined));
      for (const s of fn.body) if (s.k === "let" && defs.get(s.dst) === 1 && this.recompute.has(s.dst)) this.live.add(s.dst);
    }
    const seen = new Set<string>();
    for (const s of fn.body) {
      if (s.k === "let" && !seen.has(s.dst)) this.firstTopDefs.add(s);
      for (const d of s.k === "let" ? [s.dst] : s.k === "call" ? s.dsts : []) seen.add(d);
      if (s.k === "if" || s.k === "loop" || s.k === "for") walk([s], (x) => (x.k === "let" ? seen.add(x.dst) : x.k === "call" ? x.dsts.forEach((d) => seen.add(d)) : undefined));
    }
  }

  private bar(x: string): string {
    let n = this.bars.get(x);
    if (!n) {
      n = this.names.claim(`${x}_bar`);
      this.bars.set(x, n);
      const t = barType(this.fn.vars.get(x)!);
      this.target.vars.set(n, t);
      (t.k === "num" ? this.numBars : this.vecBars).add(n);
    }
    return n;
  }

  private isActive(a: Atom): a is { k: "var"; name: string } {
    return isVaried(this.varied, a);
  }

  /**
   * The element-wise analogue of the number flags: local arrays whose every definition is a fresh
   * array (a literal, `new Float64Array(n)`, `new Array(n).fill(…)`) and every use a load, a store
   * or `.length`, with an active element written. Their cotangent comes with a flag array (`hit`):
   * a load's reverse sets the element's flag, a store's reverse sends the element's cotangent to the
   * stored value only where it is set and then clears it, as a literal's reverse does per item. So an
   * element the run never reads after its write sends nothing back (0 · ∞ = NaN where it overflowed:
   * `const a = [Math.exp(1000 * x), 2 * x]; return a[1]`), as PyTorch's graph of a list does.
   */
  private trackedArrays(): Set<string> {
    const params = new Set(this.fn.params.map((p) => p.name));
    const cand = new Set([...this.fn.vars].filter(([x, t]) => t.k === "vec" && !params.has(x) && this.isActive(v(x))).map(([x]) => x));
    const written = new Set<string>();
    const drop = (a: Atom) => void (a.k === "var" && cand.delete(a.name));
    // (`const a = [...]` lowers to a literal and an alias; an alias or a copy joins the two arrays: their
    // reverse adds one cotangent into the other, flags with it, so both are tracked or neither)
    const links: [string, string][] = [];
    walk(this.fn.body, (s) => {
      if (s.k === "let") {
        const e = s.e;
        const src = e.k === "atom" ? e.a : e.k === "copyvec" ? e.src : undefined;
        if (src?.k === "var" && cand.has(src.name) && cand.has(s.dst)) return void links.push([s.dst, src.name]);
        if (e.k !== "veclit" && e.k !== "newvec") cand.delete(s.dst);
        if (e.k === "veclit" && e.items.some((a) => this.isActive(a))) written.add(s.dst);
        if (e.k === "load" || e.k === "len") return void (e.k === "load" && drop(e.index));
        exprReads(e).forEach(drop);
      } else if (s.k === "store") {
        drop(s.index);
        drop(s.value);
        if (s.arr.k === "var" && this.isActive(s.value)) written.add(s.arr.name);
      } else {
        if (s.k === "call") s.dsts.forEach((d) => cand.delete(d));
        stmtReads(s).forEach(drop);
      }
    });
    // (a link to a dropped array drops both; a group is worth its flags where an element of it is written)
    for (let changed = true; changed; ) {
      changed = false;
      for (const [x, y] of links) if (cand.has(x) !== cand.has(y)) (cand.delete(x), cand.delete(y), (changed = true));
    }
    for (let changed = true; changed; ) {
      changed = false;
      for (const [x, y] of links) if (written.has(x) !== written.has(y)) (written.add(x), written.add(y), (changed = true));
    }
    return new Set([...cand].filter((x) => written.has(x)));
  }

  /**
   * `send()` into `b`: for an element of a tracked array, only where a load read it since its write
   * (its flag), else always. `pastEnd`: the index may be past the array's end (a store's).
   */
  private ifHit(b: Builder, x: string, index: Atom, pastEnd: boolean, send: () => void): void {
    if (!this.tracked.has(x)) return send();
    const h = b.let("hit", NUM, { k: "load", arr: v(this.hit(x)), index, ...(pastEnd ? { orZero: true as const } : {}) });
    b.emit({ k: "if", cond: b.p("gt", h, lit(0)), then: b.sub(send), else: [] });
  }

  /** The flag array of a tracked array's cotangent (allocated and forgotten with it). */
  private hit(x: string): string {
    let h = this.hits.get(x);
    if (!h) {
      h = this.names.claim(`${x}_hit`);
      this.hits.set(x, h);
      this.target.vars.set(h, VEC);
      this.vecBars.add(h);
    }
    return h;
  }

  /**
   * The active number variables a cotangent may not reach at run time: those not surely reached. A
   * definition is surely reached where a later statement of its own block — or of an enclosing one,
   * leaving only `if` arms, not loop bodies (each trip's value needs its own consumer) — reads it
   * before anything defines it again, and is the return, a store, an op into a Tensor, or the
   * definition of a surely reached number. A helper's argument never is (the helper's path may not
   * use it). A greatest fixpoint (loop-carried values read each other); guarding more than needed
   * costs a branch, never a wrong number.
   */
  private maybeUnreached(): Set<string> {
    const numActive = (x: string) => this.fn.vars.get(x)?.k === "num" && this.isActive(v(x));
    const params = new Set(this.fn.params.map((p) => p.name));
    interface Frame { list: Stmt[]; i: number; loop: boolean }
    const sites = new Map<string, Frame[][]>();
    const visit = (list: Stmt[], frames: Frame[], loop: boolean): void =>
      list.forEach((st, i) => {
        const here = [...frames, { list, i, loop }];
        // (a definition with no active operand, `th = 0`, has nothing to send back: it needs no guard)
        const sends = (st.k === "let" ? exprReads(st.e) : st.k === "call" ? st.args : []).some((a) => this.isActive(a));
        if (sends) for (const d of st.k === "let" ? [st.dst] : st.k === "call" ? st.dsts : []) if (numActive(d) && !params.has(d)) sites.set(d, [...(sites.get(d) ?? []), here]);
        if (st.k === "if") (visit(st.then, here, false), visit(st.else, here, false));
        else if (st.k === "loop") (visit(st.pre, here, true), visit(st.body, here, true));
        else if (st.k === "for") visit(st.body, here, true);
      });
    visit(this.fn.body, [], false);
    const defines = (st: Stmt, x: string) => writesVar([st], x);
    const reads = (st: Stmt, x: string) => stmtReads(st).some((a) => a.k === "var" && a.name === x);
    // (the returned variables: their cotangents are seeded by whoever runs the sweep; in a helper's reverse
    // a number result's cotangent comes with a flag, as the caller's path may not use it)
    const returned = findReturn(this.fn.body).values;
    const seeded = (a: Atom, i: number) => a.k === "var" && !(this.flagResults && this.fn.results[i]?.k === "num" && sites.has(a.name) && returned.filter((b) => b.k === "var" && b.name === a.name).length === 1);
    const seededSure = new Set<string>(returned.flatMap((a, i) => (seeded(a, i) ? [(a as { name: string }).name] : [])));
    const sure = new Set<string>(seededSure);
    if (this.flagResults) {
      this.resultFlags = returned.map((a, i) => {
        if (this.fn.results[i]?.k !== "num") return undefined;
        const f = this.names.claim(`out${i}_reached`);
        this.target.vars.set(f, BOOL);
        if (a.k === "var" && !seeded(a, i)) this.reachFlags.set(a.name, f);
        return f;
      });
    }
    const consumes = (st: Stmt, x: string): boolean => {
      if (!reads(st, x)) return false;
      if (st.k === "return") return sure.has(x);
      // (into an element of a tracked array: only if a load reads it, which its flag says at run time)
      if (st.k === "store") return !(st.arr.k === "var" && this.tracked.has(st.arr.name));
      if (st.k !== "let") return false;
      if (this.tracked.has(st.dst)) return false;
      // (into a number: a surely reached one; into a vector or Tensor — a literal, an op —: as before, reached)
      const t = this.fn.vars.get(st.dst)?.k;
      return t === "num" ? (st.e.k === "prim" || st.e.k === "atom") && sure.has(st.dst) : t === "tensor" || t === "vec";
    };
    const readsFirst = (list: Stmt[], x: string): boolean => {
      for (const st of list) {
        if (consumes(st, x)) return true;
        if (defines(st, x)) return false;
      }
      return false;
    };
    const reached = (x: string, frames: Frame[]): boolean => {
      for (let k = frames.length - 1; k >= 0; k--) {
        const { list, i, loop } = frames[k];
        for (let j = i + 1; j < list.length; j++) {
          const st = list[j];
          if (consumes(st, x)) return true;
          // (a loop whose first trip reads it before anything defines it: read there, or passed on when it runs no trip)
          if ((st.k === "loop" || st.k === "for") && readsFirst(st.k === "for" ? st.body : [...st.pre, ...st.body], x)) continue;
          if (defines(st, x)) return false;
        }
        // a loop-carried value: the next trip reads it first (a statement of the body before this one, before any redefinition), the
        // last one is read after the loop; otherwise each trip's value needs its own consumer
        if (loop && !readsFirst(list.slice(0, i), x)) return false;
      }
      return false;
    };
    // (a greatest fixpoint: a loop-carried value and the values it is made of read each other)
    // (a helper's result that comes with a flag never is: the caller's path decides)
    const flagged = new Set(returned.flatMap((a, i) => (a.k === "var" && !seeded(a, i) ? [a.name] : [])));
    for (const x of sites.keys()) if (!flagged.has(x)) sure.add(x);
    for (let changed = true; changed; ) {
      changed = false;
      for (const [x, defs] of sites) if (sure.has(x) && !seededSure.has(x) && !defs.every((f) => reached(x, f))) (sure.delete(x), (changed = true));
    }
    return new Set([...sites.keys()].filter((x) => !sure.has(x)));
  }

  /** Whether a number result of the call `s` may not be reached here (its helper's reverse then takes the results' flags). */
  private resultsMayNotReach(s: Extract<Stmt, { k: "call" }>): boolean {
    const callee = this.ctx.fns.get(s.fn)!;
    return s.dsts.some((d, i) => callee.results[i]?.k === "num" && this.isActive(v(d)) && this.reachable.has(d));
  }

  /** The flag saying a cotangent reached `x` (a maybe-unreached variable, or a helper's number parameter). */
  private reachFlag(x: string): string | undefined {
    const param = this.flagParams && this.fn.params.some((p) => p.name === x) && this.fn.vars.get(x)?.k === "num";
    if (!param && !this.reachable.has(x)) return undefined;
    let f = this.reachFlags.get(x);
    if (!f) {
      f = this.names.claim(`${x}_reached`);
      this.target.vars.set(f, BOOL);
      this.reachFlags.set(x, f);
    }
    return f;
  }

  run(): VjpParts {
    const { fn } = this;
    const ret = findReturn(fn.body);
    const body = fn.body.slice(0, -1);
    const fwd = this.fwdBlock(body);
    const rev = this.revBlock(body);
    const paramBars = fn.params.map((p, i) => (this.mask[i] ? this.bar(p.name) : null));
    for (const pb of paramBars) if (pb) this.vecBars.delete(pb);
    const resultBars = ret.values.map((a) => (this.isActive(a) ? this.bar(a.name) : null));
    // Keep only the pushes and pops of values the reverse sweep reads.
    const needed = this.neededSet(rev);
    const keep = (s: Stmt) => !this.tags.has(s) || needed.has(this.tags.get(s)!);
    const prune = (list: Stmt[]): Stmt[] =>
      list.filter(keep).map((s) => {
        if (s.k === "if") return { ...s, then: prune(s.then), else: prune(s.else) };
        if (s.k === "loop") return { ...s, pre: prune(s.pre), body: prune(s.body) };
        if (s.k === "for") return { ...s, body: prune(s.body) };
        return s;
      });
    const fwdP = prune(fwd);
    // Every consumer zeroes the number cotangents before the sweep and seeds the
    // results' (drivers.ts, vjpPair, buildVjp); only the parameters' are read after it.
    const resultBarSet = new Set(resultBars.filter((x): x is string => !!x));
    const revP = simplifyAdjoints(prune(rev), {
      bars: this.numBars,
      zeroAtEntry: new Set([...this.numBars].filter((x) => !resultBarSet.has(x))),
      liveOut: new Set(paramBars.filter((x): x is string => !!x)),
    });
    const restored = [...this.restored].filter((x) => needed.has(x));
    const defsInRev = new Set<string>();
    walk(revP, (s) => s.k === "let" && defsInRev.add(s.dst));
    return {
      fwd: fwdP,
      rev: revP,
      results: ret.values,
      resultBars,
      paramBars,
      paramFlags: fn.params.map((p, i) => (this.mask[i] ? this.reachFlags.get(p.name) : undefined)),
      resultFlags: this.resultFlags,
      numBars: [...this.numBars],
      vecBars: [...this.vecBars],
      restored, // numbers and references (popped Tensors and vectors are values: a reference is a snapshot)
      restoredArrays: [...this.restoredArrays].filter((x) => needed.has(x)),
      needed: [...needed].filter((x) => !this.recompute.has(x)).sort(),
    };
  }

  /** Primal variables read by the kept reverse code (a fixpoint: kept restores read indices). */
  private neededSet(rev: Stmt[]): Set<string> {
    const barNames = new Set(this.bars.values());
    const counts = new Set(this.loopCounts.values());
    const primal = (n: string) => (this.fn.vars.has(n) || counts.has(n) || this.partialVars.has(n)) && !barNames.has(n) && !this.recompute.has(n);
    const needed = new Set<string>();
    let changed = true;
    while (changed) {
      changed = false;
      const visit = (list: Stmt[]) => {
        for (const s of list) {
          const tag = this.tags.get(s);
          if (tag && !needed.has(tag)) continue;
          for (const a of this.revReads.get(s) ?? []) {
            if (primal(a) && !needed.has(a)) (needed.add(a), (changed = true));
          }
          for (const r of stmtReads(s)) {
            if (r.k === "var" && !barNames.has(r.name) && primal(r.name) && !needed.has(r.name)) {
              needed.add(r.name);
              changed = true;
            }
          }
          if (s.k === "if") (visit(s.then), visit(s.else));
          if (s.k === "loop") (visit(s.pre), visit(s.body));
          if (s.k === "for") visit(s.body);
        }
      };
      visit(rev);
    }
    return needed;
  }

  // ------------------------------------------------------------ forward sweep
  private fwdBlock(list: Stmt[], inLoop = false): Stmt[] {
    const out: Stmt[] = [];
    const saved = [this.cse, this.fwdInLoop];
    this.cse = new Map();
    this.fwdInLoop = inLoop;
    for (const s of list) this.fwdStmt(s, out);
    [this.cse, this.fwdInLoop] = saved as [Map<string, string>, boolean];
    this.cse.clear(); // the nested block may have reassigned anything
    return out;
  }

  /** Forward common-subexpression table of the current block: "op(args)" → variable holding it. */
  private cse = new Map<string, string>();
  private fwdInLoop = false;
  /** Local partial derivatives computed in the forward sweep, per scalar statement. */
  private partials = new Map<Stmt, { atoms: (Atom | null)[]; fresh: string[] }>();
  private partialVars = new Set<string>();

  private kill(x: string): void {
    for (const [k, val] of this.cse) if (val === x || k.includes(`|${x}|`)) this.cse.delete(k);
  }

  /** Appends `s` to the forward sweep, reusing an identical earlier value of the block. */
  private emitFwd(s: Stmt, out: Stmt[]): void {
    if (s.k === "let" && s.e.k === "prim" && !ruleOf(s.e.op).tensor) {
      const key = `${s.e.op}${s.e.attrs?.length ? JSON.stringify(s.e.attrs) : ""}(|${s.e.args.map((a) => (a.k === "var" ? a.name : `#${String(a.v)}`)).join("|,|")}|)`;
      const hit = this.cse.get(key);
      this.kill(s.dst);
      if (hit && hit !== s.dst) out.push({ ...s, e: { k: "atom", a: v(hit) } });
      else {
        out.push(s);
        if (!s.e.args.some((a) => a.k === "var" && a.name === s.dst)) this.cse.set(key, s.dst);
      }
      return;
    }
    if (s.k === "let") this.kill(s.dst);
    if (s.k === "call") s.dsts.forEach((d) => this.kill(d));
    out.push(s);
  }

  /**
   * For an active scalar primitive, its partial derivatives are computed right
   * after it in the forward sweep (rule.vjp with a unit cotangent), so the reverse
   * sweep only multiplies and adds: it keeps (or pushes) partials, not operands.
   */
  private fwdPartials(s: Extract<Stmt, { k: "let" }>, out: Stmt[]): void {
    const e = s.e;
    if (e.k !== "prim" || !this.isActive(v(s.dst))) return;
    const rule = ruleOf(e.op);
    if (rule.tensor || rule.zero || this.fn.vars.get(s.dst)!.k !== "num") return;
    const act = e.args.map((a) => this.isActive(a));
    const pb = new Builder(this.target, this.names, s.loc);
    const atoms = rule.vjp!(pb, e.args, v(s.dst), lit(1), act, e.attrs ?? [], []);
    const fresh = pb.stmts.filter((x): x is Extract<Stmt, { k: "let" }> => x.k === "let").map((x) => x.dst).filter((d) => atoms.some((a) => a?.k === "var" && a.name === d));
    // Partials made of cheap arithmetic over recomputable values are redone in the reverse sweep.
    const defsParams = new Set(this.fn.params.map((p) => p.name));
    const local = new Set<string>();
    const cheap = pb.stmts.every((x) => {
      if (x.k !== "let" || x.e.k !== "prim" || !CHEAP.has(x.e.op)) return false;
      const ok = x.e.args.every((a) => a.k === "lit" || local.has(a.name) || this.recompute.has(a.name) || this.counters.has(a.name) || (defsParams.has(a.name) && !this.reassigned.has(a.name)));
      local.add(x.dst);
      return ok;
    });
    if (cheap && pb.stmts.length) {
      for (const x of pb.stmts) if (x.k === "let") this.recompute.set(x.dst, x.e);
      this.partials.set(s, { atoms, fresh: [] });
      for (const a of atoms) if (a?.k === "var" && !this.fn.vars.has(a.name)) this.partialVars.add(a.name);
      return;
    }
    if (this.fwdInLoop) {
      for (const d of fresh) {
        const push: Stmt = { k: "push", a: v(d) };
        this.tags.set(push, d);
        out.push(push);
      }
    }
    for (const st of pb.stmts) this.emitFwd(st, out);
    this.partials.set(s, { atoms, fresh: this.fwdInLoop ? fresh : [] });
    for (const a of atoms) if (a?.k === "var" && !this.fn.vars.has(a.name)) this.partialVars.add(a.name);
  }

  private needsPush(s: Stmt, x: string): boolean {
    if (!this.reassigned.has(x) || this.firstTopDefs.has(s)) return false;
    if (this.counters.has(x) && s.k === "let" && s.e.k === "atom" && s.e.a.k === "var") return false; // inverted instead
    return true;
  }

  private fwdStmt(s: Stmt, out: Stmt[]): void {
    switch (s.k) {
      case "let": {
        if (this.needsPush(s, s.dst)) {
          const p: Stmt = isObj(this.fn.vars.get(s.dst)!) ? { k: "pushobj", a: v(s.dst) } : { k: "push", a: v(s.dst) };
          this.tags.set(p, s.dst);
          out.push(p);
        }
        this.emitFwd(s, out);
        this.fwdPartials(s, out);
        return;
      }
      case "call": {
        const argMask = this.callMask(s);
        for (const d of s.dsts) {
          if (this.needsPush(s, d)) {
            const p: Stmt = isObj(this.fn.vars.get(d)!) ? { k: "pushobj", a: v(d) } : { k: "push", a: v(d) };
            this.tags.set(p, d);
            out.push(p);
          }
        }
        if (argMask.some(Boolean)) this.emitFwd({ ...s, fn: vjpPair(this.ctx, s.fn, argMask, this.resultsMayNotReach(s)).fwd }, out);
        else this.emitFwd(s, out);
        return;
      }
      case "store": {
        if (s.arr.k === "var") {
          const old = this.names.claim("old");
          this.target.vars.set(old, NUM);
          const l: Stmt = { k: "let", dst: old, e: { k: "load", arr: s.arr, index: s.index } };
          const p: Stmt = { k: "push", a: v(old) };
          this.tags.set(l, s.arr.name);
          this.tags.set(p, s.arr.name);
          out.push(l, p);
        }
        out.push(s);
        return;
      }
      case "if":
        out.push({ ...s, then: this.fwdBlock(s.then, this.fwdInLoop), else: this.fwdBlock(s.else, this.fwdInLoop) });
        return;
      case "loop": {
        const count = this.loopCount(s);
        out.push({ k: "let", dst: count, e: { k: "atom", a: lit(0) } });
        const body = this.fwdBlock(s.body, true);
        body.push({ k: "let", dst: count, e: { k: "prim", op: "add", args: [v(count), lit(1)] } });
        // The condition's statements are part of every iteration (and of the failing test):
        // whatever they assign is recorded like the body's.
        out.push({ ...s, pre: this.fwdBlock(s.pre, true), body });
        // The trip count of an inner loop is overwritten by the next outer iteration: keep each.
        if (this.inLoop(s)) {
          const push: Stmt = { k: "push", a: v(count) };
          this.tags.set(push, count);
          out.push(push);
        }
        return;
      }
      case "for":
        out.push({ ...s, body: this.fwdBlock(s.body, true) });
        return;
      case "comment":
        out.push(s);
        return;
      default:
        throw new Error(`vjp: unexpected ${s.k}`);
    }
  }

  private loopCounts = new Map<Stmt, string>();
  private loopCount(s: Stmt): string {
    let c = this.loopCounts.get(s);
    if (!c) {
      c = this.names.claim("trips");
      this.target.vars.set(c, NUM);
      this.loopCounts.set(s, c);
    }
    return c;
  }

  // ------------------------------------------------------------ reverse sweep
  private revBlock(list: Stmt[]): Stmt[] {
    const saved = this.b.stmts;
    this.b.stmts = [];
    for (let i = list.length - 1; i >= 0; i--) this.revStmt(list[i]);
    const out = this.b.stmts;
    this.b.stmts = saved;
    return out;
  }

  /** Emits `stmts` preceded by the recomputation of every recomputable value they read. */
  private withRecompute(stmts: Stmt[]): void {
    const done = new Set<string>();
    const pre: Stmt[] = [];
    const need = (name: string) => {
      if (done.has(name)) return;
      const e = this.recompute.get(name);
      if (!e) return;
      done.add(name);
      if (this.live.has(name)) return;
      for (const r of exprReads(e)) if (r.k === "var") need(r.name);
      pre.push({ k: "let", dst: name, e });
    };
    // Nested blocks built by revBlock recompute for themselves; guards made here do not.
    for (const s of stmts) {
      if (this.replayed.has(s)) continue; // built by revBlock, which recomputed what it reads
      for (const r of this.guards.has(s) ? stmtReadsDeep(s) : stmtReads(s)) if (r.k === "var") need(r.name);
    }
    this.b.stmts.push(...pre, ...stmts);
  }

  private accumulate(b: Builder, a: Atom, contrib: Atom | null): void {
    if (!contrib || !this.isActive(a)) return;
    const bar = this.bar(a.name);
    const t = this.fn.vars.get(a.name)!;
    if (t.k === "tensor") b.assign(bar, { k: "prim", op: "ad.acc", args: [v(bar), contrib] });
    else if (t.k === "vec") throw new Error("vjp: a vector cotangent cannot be accumulated as a value");
    else {
      b.assign(bar, { k: "prim", op: "add", args: [v(bar), contrib] });
      const flag = this.reachFlag(a.name);
      if (flag) b.assign(flag, { k: "atom", a: lit(true) });
    }
  }

  private ensureVecBar(b: Builder, x: string): string {
    const bar = this.bar(x);
    if (this.fn.params.some((p) => p.name === x)) return bar; // parameter cotangents are given
    const src = this.fn.vars.get(x)!;
    const arr = src.k === "tensor" ? b.let("data", VEC, { k: "tdata", t: v(x) }) : v(x);
    const then = b.sub(() => {
      const n = b.let("n", NUM, { k: "len", arr });
      b.assign(bar, { k: "newvec", len: n });
      if (this.tracked.has(x)) b.assign(this.hit(x), { k: "newvec", len: n });
    });
    b.emit({ k: "if", cond: b.p("isundef", v(bar)), then, else: [] });
    return bar;
  }

  private revStmt(s: Stmt): void {
    const sub = new Builder(this.target, this.names, "loc" in s ? s.loc : undefined);
    switch (s.k) {
      case "let":
        this.revLet(sub, s);
        break;
      case "store": {
        if (s.arr.k === "var" && this.isActive(s.arr)) {
          const bar = this.ensureVecBar(sub, s.arr.name);
          // (0 where the write was past the end of a typed array, which dropped it, as JavaScript does)
          if (this.isActive(s.value)) this.ifHit(sub, s.arr.name, s.index, true, () => this.accumulate(sub, s.value, sub.let("ct", NUM, { k: "load", arr: v(bar), index: s.index, orZero: true })));
          if (!s.accum) {
            sub.emit({ k: "store", arr: v(bar), index: s.index, value: lit(0) });
            if (this.tracked.has(s.arr.name)) sub.emit({ k: "store", arr: v(this.hit(s.arr.name)), index: s.index, value: lit(0) });
          }
        }
        if (s.arr.k === "var") {
          const old = this.names.claim("old");
          this.target.vars.set(old, NUM);
          const pop: Stmt = { k: "let", dst: old, e: { k: "pop" } };
          const st: Stmt = { k: "store", arr: s.arr, index: s.index, value: v(old) };
          this.tags.set(pop, s.arr.name);
          this.tags.set(st, s.arr.name);
          sub.emit(pop);
          sub.emit(st);
          this.restoredArrays.add(s.arr.name);
        }
        break;
      }
      case "call":
        this.revCall(sub, s);
        break;
      case "if": {
        const then = this.revBlock(s.then);
        const els = this.revBlock(s.else);
        if (then.length || els.length) sub.emit({ k: "if", cond: s.cond, then, else: els });
        break;
      }
      case "loop": {
        const count = this.loopCount(s);
        // forward: pre, body, pre, body, …, pre (false); backward: pre⁻¹, (body⁻¹, pre⁻¹) per trip
        const body = [...this.revBlock(s.body), ...this.revBlock(s.pre)];
        const last = this.revBlock(s.pre);
        const k = this.names.claim("iter");
        this.target.vars.set(k, NUM);
        if (this.inLoop(s)) {
          const pop: Stmt = { k: "let", dst: count, e: { k: "pop" } };
          this.tags.set(pop, count);
          sub.emit(pop);
          this.restored.add(count);
        }
        for (const x of last) (this.replayed.add(x), sub.emit(x));
        if (body.length) sub.emit({ k: "for", index: k, from: lit(0), to: v(count), down: true, body });
        break;
      }
      case "for": {
        const body = this.revBlock(s.body);
        if (body.length) sub.emit({ ...s, down: !s.down, body });
        break;
      }
      case "comment":
        break;
      default:
        throw new Error(`vjp: unexpected ${s.k}`);
    }
    this.withRecompute(sub.stmts);
  }

  private inLoop(s: Stmt): boolean {
    let found = false;
    walk(this.fn.body, (x, inLoop) => {
      if (x === s && inLoop) found = true;
    });
    return found;
  }

  private revLet(b: Builder, s: Extract<Stmt, { k: "let" }>): void {
    const x = s.dst;
    const e = s.e;
    if (this.isActive(v(x))) {
      const t = this.fn.vars.get(x)!;
      if (t.k === "tensor") this.revTensorDef(b, x, e);
      else if (isObj(t)) this.revVecDef(b, x, e);
      else {
        // (a maybe-unreached variable: its definition's reverse only where a cotangent reached it; pops stay outside)
        const flag = this.reachable.has(x) ? this.reachFlag(x) : undefined;
        const outer = b;
        const pops: Stmt[] = [];
        if (flag) b = new Builder(this.target, this.names, b.loc);
        const ct = v(this.bar(x));
        switch (e.k) {
          case "atom":
            this.accumulate(b, e.a, ct);
            break;
          case "prim": {
            const part = this.partials.get(s);
            if (part) {
              e.args.forEach((a, i) => {
                const pd = part.atoms[i];
                if (pd && this.isActive(a)) this.accumulate(b, a, b.p("mul", ct, pd));
              });
              // back to the previous iteration's partials (after their use: after the guard, where there is one)
              for (const d of [...part.fresh].reverse()) {
                const pop: Stmt = { k: "let", dst: d, e: { k: "pop" } };
                this.tags.set(pop, d);
                pops.push(pop);
                this.restored.add(d);
              }
            } else this.revPrim(b, x, e, ct);
            break;
          }
          case "tdata":
            break;
          case "load":
            if (this.isActive(e.arr) && e.arr.k === "var") {
              const bar = this.ensureVecBar(b, e.arr.name);
              b.emit({ k: "store", arr: v(bar), index: e.index, value: ct, accum: true });
              if (this.tracked.has(e.arr.name)) b.emit({ k: "store", arr: v(this.hit(e.arr.name)), index: e.index, value: lit(1) });
            }
            break;
          default:
            break;
        }
        // The value before this assignment has its own cotangent.
        if (this.reassigned.has(x)) b.assign(this.bar(x), { k: "atom", a: lit(0) });
        if (flag) {
          b.assign(flag, { k: "atom", a: lit(false) });
          const guard: Stmt = { k: "if", cond: v(flag), then: b.stmts, else: [] };
          this.guards.add(guard);
          outer.emit(guard);
          b = outer;
        }
        for (const pop of pops) b.emit(pop);
      }
    }
    this.restore(b, s, x);
  }

  /** Undo an assignment: pop the old value, or invert an integer step. */
  private restore(b: Builder, s: Stmt, x: string): void {
    if (!this.reassigned.has(x) || this.firstTopDefs.has(s)) return;
    if (s.k === "let" && this.counters.has(x) && s.e.k === "atom" && s.e.a.k === "var") {
      const step = this.counters.get(x)!;
      const inv: Stmt = { k: "let", dst: x, e: { k: "prim", op: "sub", args: [v(x), lit(step)] } };
      this.tags.set(inv, x);
      b.emit(inv);
      this.restored.add(x);
      return;
    }
    const pop: Stmt = { k: "let", dst: x, e: { k: isObj(this.fn.vars.get(x)!) ? "popobj" : "pop" } };
    this.tags.set(pop, x);
    b.emit(pop);
    this.restored.add(x);
  }

  private revPrim(b: Builder, x: string, e: Extract<Expr, { k: "prim" }>, ct: Atom): void {
    const rule = ruleOf(e.op);
    if (rule.zero) return;
    const n = rule.operands ?? e.args.length;
    const act = e.args.map((a, i) => i < n && this.isActive(a));
    const types = e.args.map((a) => (a.k === "var" ? this.target.vars.get(a.name)! : NUM));
    const cs = rule.vjp!(b, e.args, v(x), ct, act, e.attrs ?? [], types);
    e.args.forEach((a, i) => act[i] && this.accumulate(b, a, cs[i]));
  }

  /** Reverse of a Tensor definition, skipped while no cotangent reached it. */
  private revTensorDef(b: Builder, x: string, e: Expr): void {
    const bar = this.bar(x);
    const body = b.sub(() => {
      if (e.k === "prim") this.revPrim(b, x, e, v(bar));
      else if (e.k === "atom") this.accumulate(b, e.a, v(bar));
      else if (e.k === "wrap" && this.isActive(e.data) && e.data.k === "var") {
        const sbar = this.ensureVecBar(b, e.data.name);
        const data = b.let("data", VEC, { k: "tdata", t: v(bar) });
        const i = this.names.claim("j");
        this.target.vars.set(i, NUM);
        const loop = b.sub(() => b.emit({ k: "store", arr: v(sbar), index: v(i), value: b.let("ct", NUM, { k: "load", arr: data, index: v(i) }), accum: true }));
        b.emit({ k: "for", index: i, from: lit(0), to: b.let("n", NUM, { k: "len", arr: data }), body: loop });
      }
    });
    if (body.length) {
      const guard: Stmt = { k: "if", cond: b.p("not", b.p("isundef", v(bar))), then: body, else: [] };
      this.guards.add(guard);
      b.emit(guard);
    }
    b.assign(bar, { k: "atom", a: lit(undefined) });
  }
  private guards = new WeakSet<Stmt>();
  private replayed = new WeakSet<Stmt>();

  /** Reverse of a vector (or Tensor) definition: route its cotangent to the inputs, then forget it. */
  private revVecDef(b: Builder, x: string, e: Expr): void {
    const bar = this.bar(x);
    const defined = b.sub(() => {
      const each = (f: (i: Atom, ct: Atom) => void) => {
        const i = this.names.claim("j");
        this.target.vars.set(i, NUM);
        const body = b.sub(() => f(v(i), b.let("ct", NUM, { k: "load", arr: v(bar), index: v(i) })));
        b.emit({ k: "for", index: i, from: lit(0), to: b.let("n", NUM, { k: "len", arr: v(bar) }), body });
      };
      switch (e.k) {
        case "veclit":
          e.items.forEach((a, k) => {
            if (this.isActive(a)) this.ifHit(b, x, lit(k), false, () => this.accumulate(b, a, b.let("ct", NUM, { k: "load", arr: v(bar), index: lit(k) })));
          });
          break;
        case "tdata":
          if (this.isActive(e.t)) this.accumulate(b, e.t, b.let("T", TENSOR, { k: "wrap", data: v(bar), dims: [{ shapeOf: e.t }] }));
          break;
        case "atom":
        case "copyvec": {
          const src = e.k === "atom" ? e.a : e.src;
          if (this.isActive(src) && src.k === "var") {
            const sbar = this.ensureVecBar(b, src.name);
            const flags = this.tracked.has(x) && this.tracked.has(src.name);
            each((i, ct) => {
              b.emit({ k: "store", arr: v(sbar), index: i, value: ct, accum: true });
              if (flags) b.emit({ k: "store", arr: v(this.hit(src.name)), index: i, value: b.let("hit", NUM, { k: "load", arr: v(this.hit(x)), index: i }), accum: true });
            });
          }
          break;
        }
        default:
          break;
      }
    });
    if (defined.length) {
      const guard: Stmt = { k: "if", cond: b.p("not", b.p("isundef", v(bar))), then: defined, else: [] };
      this.guards.add(guard);
      b.emit(guard);
    }
    b.assign(bar, { k: "atom", a: lit(undefined) });
    if (this.tracked.has(x)) b.assign(this.hit(x), { k: "atom", a: lit(undefined) });
  }

  /**
   * Which arguments of a call the reverse sweep differentiates: none when no result
   * of the call carries a cotangent (its reverse would only multiply zeros, and 0 · ∞
   * is NaN). A helper writes none of its arguments (param-write), so its results are
   * all that can carry one, whatever arrays it is given: `if (r(x, s) > 0)`, whose
   * result only steers, sends nothing back to s.
   */
  private callMask(s: Extract<Stmt, { k: "call" }>): boolean[] {
    const live = s.dsts.some((d) => this.isActive(v(d)));
    return s.args.map((a) => live && this.isActive(a) && !s.nodiff);
  }

  private revCall(b: Builder, s: Extract<Stmt, { k: "call" }>): void {
    const argMask = this.callMask(s);
    if (argMask.some(Boolean)) {
      const callee = this.ctx.fns.get(s.fn)!;
      const flags = this.resultsMayNotReach(s);
      const pair = vjpPair(this.ctx, s.fn, argMask, flags);
      const deps = resultDeps(this.ctx.fns, s.fn, argMask);
      const args: Atom[] = s.dsts.map((d, i) => {
        const t = callee.results[i];
        if (!deps[i] || !this.isActive(v(d))) return isRef(t) ? b.let("zeros", VEC, { k: "newvec", len: b.let("n", NUM, { k: "len", arr: v(d) }) }) : t.k === "tensor" ? lit(undefined) : lit(0);
        return isRef(t) ? v(this.ensureVecBar(b, d)) : v(this.bar(d));
      });
      callee.params.forEach((p, i) => {
        if (argMask[i] && isRef(p.type)) {
          const a = s.args[i] as { name: string };
          args.push(v(this.ensureVecBar(b, a.name)));
        }
      });
      // whether a cotangent reached each number result here (a result this function may not use: its flag)
      s.dsts.forEach((d, i) => {
        if (!flags || callee.results[i].k !== "num") return;
        const flag = this.isActive(v(d)) && this.reachable.has(d) ? this.reachFlag(d) : undefined;
        args.push(flag ? v(flag) : lit(this.isActive(v(d))));
      });
      const outs: string[] = [];
      const reached: (string | undefined)[] = [];
      const numActive: Atom[] = [];
      callee.params.forEach((p, i) => {
        if (argMask[i] && !isRef(p.type)) {
          const o = this.names.claim("ct");
          this.target.vars.set(o, barType(p.type));
          outs.push(o);
          const r = pair.reached[i] ? this.names.claim("reached") : undefined;
          if (r) this.target.vars.set(r, BOOL);
          reached.push(r);
          numActive.push(s.args[i]);
        }
      });
      const rev: Stmt = { k: "call", dsts: [...outs, ...reached.filter((r): r is string => !!r)], fn: pair.rev, args, loc: s.loc };
      // The callee's reverse reads the arrays it was given as they were when it ran (a branch
      // condition, a partial): the stores this function makes into them later are undone first.
      this.revReads.set(rev, s.args.filter((a): a is { k: "var"; name: string } => a.k === "var" && this.fn.vars.get(a.name)?.k === "vec").map((a) => a.name));
      b.emit(rev);
      // (not reached: the callee's path did not use that parameter, nothing flows to the argument)
      numActive.forEach((a, k) => {
        if (!this.isActive(a)) return;
        const r = reached[k];
        if (!r) return this.accumulate(b, a, v(outs[k]));
        const then = b.sub(() => this.accumulate(b, a, v(outs[k])));
        b.emit({ k: "if", cond: v(r), then, else: [] });
      });
      for (const d of s.dsts) {
        if (!this.isActive(v(d))) continue;
        if (this.fn.vars.get(d)!.k !== "num") b.assign(this.bar(d), { k: "atom", a: lit(undefined) });
        else if (this.reassigned.has(d)) b.assign(this.bar(d), { k: "atom", a: lit(0) });
        const flag = this.reachable.has(d) ? this.reachFlag(d) : undefined;
        if (flag) b.assign(flag, { k: "atom", a: lit(false) });
      }
    }
    for (const d of [...s.dsts].reverse()) this.restore(b, s, d);
  }

  /** Temporaries whose single definition can be replayed in the reverse sweep instead of stored. */
  private findRecomputable(): void {
    const stored = new Set<string>();
    const defs = new Map<string, number>();
    walk(this.fn.body, (s) => {
      if (s.k === "store" && s.arr.k === "var") stored.add(s.arr.name);
      if (s.k === "let") defs.set(s.dst, (defs.get(s.dst) ?? 0) + 1);
      if (s.k === "call") s.dsts.forEach((d) => defs.set(d, 99));
    });
    const params = new Set(this.fn.params.map((p) => p.name));
    const stable = (a: Atom) => a.k === "lit" || params.has(a.name) && !defs.has(a.name) || this.recompute.has(a.name);
    // Pass 1: captured constants; pass 2: loads from unwritten arrays whose index is stable
    // between the definition and every use (checked within one block).
    walk(this.fn.body, (s) => {
      if (s.k === "let" && defs.get(s.dst) === 1 && s.e.k === "ext") this.recompute.set(s.dst, s.e);
    });
    // Cheap arithmetic over recomputable values, loop counters (restored by inversion)
    // and unwritten parameters is recomputed too: the tape then holds only what is costly.
    const free = (a: Atom) => a.k === "lit" || (params.has(a.name) && !defs.has(a.name)) || this.counters.has(a.name) || this.recompute.has(a.name);
    const visitBlock = (list: Stmt[]) => {
      list.forEach((s, i) => {
        if (s.k === "if") (visitBlock(s.then), visitBlock(s.else));
        if (s.k === "loop") (visitBlock(s.pre), visitBlock(s.body));
        if (s.k === "for") visitBlock(s.body);
        // (a parameter is defined on entry too: `if (a === undefined) a = 2` is not its only value)
        if (s.k !== "let" || defs.get(s.dst) !== 1 || params.has(s.dst)) return;
        const e = s.e;
        let ok = false;
        if ((e.k === "load" || e.k === "len") && e.arr.k === "var" && !stored.has(e.arr.name) && stable(e.arr)) ok = true;
        else if (e.k === "prim" && CHEAP.has(e.op) && e.args.every(free)) ok = true;
        // a copy of such a value (`const a = x[i]` lowers to a load, then the copy) is one too
        else if (e.k === "atom" && free(e.a) && this.fn.vars.get(s.dst)?.k === "num") ok = true;
        if (ok && this.readsAfterIn(list, i, s.dst) && this.leavesStable(list, i, s.dst, e)) this.recompute.set(s.dst, e);
      });
    };
    visitBlock(this.fn.body);
  }

  /** The variables a recomputed value finally reads (through other recomputed values). */
  private leaves(e: Expr, out = new Set<string>()): Set<string> {
    for (const a of exprReads(e)) {
      if (a.k !== "var") continue;
      const sub = this.recompute.get(a.name);
      if (sub && sub.k !== "ext") this.leaves(sub, out);
      else out.add(a.name);
    }
    return out;
  }

  /** True if no leaf of `e` is reassigned between its definition (list[i]) and the last use of `t`. */
  private leavesStable(list: Stmt[], i: number, t: string, e: Expr): boolean {
    for (const v of this.leaves(e)) if (!this.indexStable(list, i, t, v)) return false;
    return true;
  }

  private reads?: Map<string, number>;
  /** How often each variable is read in the function (its statements, nested blocks included). */
  private readCounts(): Map<string, number> {
    if (!this.reads) {
      const n = (this.reads = new Map());
      walk(this.fn.body, (s) => {
        for (const a of stmtReads(s)) if (a.k === "var") n.set(a.name, (n.get(a.name) ?? 0) + 1);
      });
    }
    return this.reads;
  }

  /** True if every read of `t` is in list[i + 1…] (the block its definition list[i] is in), after it. */
  private readsAfterIn(list: Stmt[], i: number, t: string): boolean {
    const n = this.readCounts().get(t) ?? 0;
    let m = 0;
    for (let j = i + 1; j < list.length; j++) m += stmtReadsDeep(list[j]).filter((a) => a.k === "var" && a.name === t).length;
    return n === m;
  }

  /** True if `idx` is not reassigned after list[i] up to and including the last use of `t` in the same block. */
  private indexStable(list: Stmt[], i: number, t: string, idx: string): boolean {
    let lastUse = -1;
    for (let j = i + 1; j < list.length; j++) if (stmtReadsDeep(list[j]).some((a) => a.k === "var" && a.name === t)) lastUse = j;
    if (!this.readsAfterIn(list, i, t)) return false;
    // The reverse sweep recomputes `t` where it reverses a use, seeing the state just after
    // that statement: the last use itself must not write a leaf either (an `if` whose
    // branch steps the counter its condition reads).
    for (let j = i + 1; j <= lastUse; j++) if (writesVar([list[j]], idx)) return false;
    return true;
  }
}

/** Variables that only ever hold integers stepping by one literal: `i = 0; … i = i + 1`. */
function findCounters(fn: Fn): Map<string, number> {
  const defs = new Map<string, Stmt[]>();
  const tempDef = new Map<string, Expr>();
  const uses = new Map<string, number>();
  walk(fn.body, (s) => {
    if (s.k === "let") {
      defs.set(s.dst, [...(defs.get(s.dst) ?? []), s]);
      tempDef.set(s.dst, s.e);
    }
    if (s.k === "call") s.dsts.forEach((d) => defs.set(d, [...(defs.get(d) ?? []), s, s]));
    for (const r of stmtReads(s)) if (r.k === "var") uses.set(r.name, (uses.get(r.name) ?? 0) + 1);
  });
  const out = new Map<string, number>();
  for (const [x, ds] of defs) {
    if (fn.params.some((p) => p.name === x)) continue;
    let step: number | undefined;
    let ok = ds.length > 1;
    for (const d of ds) {
      if (d.k !== "let") { ok = false; break; }
      if (d.e.k === "atom" && d.e.a.k === "lit" && Number.isInteger(d.e.a.v)) continue;
      if (d.e.k === "atom" && d.e.a.k === "var") {
        const t = d.e.a.name;
        const te = tempDef.get(t);
        if ((defs.get(t)?.length ?? 0) === 1 && uses.get(t) === 1 && te?.k === "prim" && (te.op === "add" || te.op === "sub") && te.args[0].k === "var" && te.args[0].name === x && te.args[1].k === "lit" && Number.isInteger(te.args[1].v)) {
          const k = (te.op === "add" ? 1 : -1) * (te.args[1].v as number);
          if (step === undefined || step === k) {
            step = k;
            continue;
          }
        }
      }
      ok = false;
      break;
    }
    if (ok && step !== undefined) out.set(x, step);
  }
  return out;
}

export { stmtReads };

/** Atoms a statement reads, nested blocks included. */
export function stmtReadsDeep(s: Stmt): Atom[] {
  const out: Atom[] = [];
  walk([s], (x) => out.push(...stmtReads(x)));
  return out;
}

