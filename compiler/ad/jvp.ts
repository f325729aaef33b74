// Forward mode: IR → IR. The jvp of f takes (primals…, tangents of the active
// primals…) and returns (results…, tangents of the results…). Every varied
// variable x gets a tangent dx computed right after x; structure (if, loops)
// is kept. The output is ordinary IR, so it can be transformed again.
import { BOOL, namesFor, type Atom, Builder, type Fn, lit, Names, NUM, type Stmt, type Type, v } from "../ir/ir.js";
import { ruleOf } from "../rules/index.js";
import { effects } from "../rules/tensor.js";
import { isVaried, resultDeps, touchesTape, variedVars, type Fns } from "./activity.js";
import { scaledByPartial, switched, tangentOperands } from "./tangent-switches.js";

/**
 * Which code paths the compiler may take (CompileOptions.paths); every one is on by default, and
 * tests and benchmarks turn one off to compare: `fuse: false` emits tensor ops one by one (and no
 * direct Jacobian kernels: they are fusion of the structured path),
 * `structured: false` keeps the sweep drivers (no structured Jacobians), `direct: false` drops the
 * direct Jacobian kernels.
 */
export interface CompilePaths {
  fuse?: boolean; structured?: boolean; direct?: boolean; /** vmap of tensor code batched (one op call per batch); false: the row loop */ batch?: boolean;
  /** hessian of a number program of one vector: the sparsity pattern, column colouring, one sweep per colour; false: one sweep per input (dense) */
  colouring?: boolean;
  /** several tangent columns per forward sweep (jacfwd of a vector input, a coloured Hessian's colours); false: one per sweep */
  lanes?: boolean;
}

export interface Ctx { fns: Fns; fnNames: Names; paths?: CompilePaths }

const memo = new WeakMap<Fns, Map<string, string>>();

/** Tangent type of a primal type: vectors and tensors get tangents of their own kind. */
function tanType(t: Type): Type {
  return t.k === "bool" || t.k === "opaque" ? NUM : t;
}

/** The name of the jvp of `fnName` with respect to the parameters in `mask`. */
export function jvpOf(ctx: Ctx, fnName: string, mask: boolean[]): string {
  let m = memo.get(ctx.fns);
  if (!m) memo.set(ctx.fns, (m = new Map()));
  const key = `${fnName}|${mask.map(Number).join("")}`;
  const hit = m.get(key);
  if (hit) return hit;
  const fn = ctx.fns.get(fnName)!;
  const name = ctx.fnNames.claim(`${fn.name}_jvp`);
  m.set(key, name);
  const out: Fn = { name, params: [...fn.params], results: [], tupleResult: true, body: [], vars: new Map(fn.vars), loc: fn.loc, source: fn.source, captures: fn.captures };
  ctx.fns.set(name, out);
  new JvpTransform(ctx, fn, out, mask).run();
  return name;
}

class JvpTransform {
  private names: Names;
  private b: Builder;
  private varied: Set<string>;
  private tan = new Map<string, string>();
  /** varied numbers whose tangent may be a structural zero on this run: each has a switch (tangent-switches.ts) */
  private off: Set<string>;
  private switches = new Map<string, string>();
  /** operands whose switch is off in the variant being built: their tangents are structural zeros there */
  private forcedOff = new Set<string>();

  constructor(private ctx: Ctx, private fn: Fn, private out: Fn, private mask: boolean[]) {
    this.names = namesFor(fn);
    this.b = new Builder(out, this.names);
    this.varied = variedVars(ctx.fns, fn, mask);
    this.off = switched(fn, this.varied, (g) => touchesTape(ctx.fns, g));
  }

  /** The switch of a variable that may be off: true where an input reached its value on this run. */
  private switchOf(x: string): string {
    let f = this.switches.get(x);
    if (!f) {
      f = this.names.claim(`${x}_on`);
      this.switches.set(x, f);
      this.out.vars.set(f, BOOL);
    }
    return f;
  }

  /** The switched operands among `ops` (one each), in order. */
  private dynamic(ops: Atom[]): string[] {
    return [...new Set(ops.flatMap((a) => (a.k === "var" && this.off.has(a.name) ? [a.name] : [])))];
  }

  /** A definition's switch: on where a surely varied operand, or a switched one that is on, reaches it. */
  private setSwitch(dst: string, ops: Atom[]): void {
    if (!this.off.has(dst)) return;
    const sure = ops.some((a) => a.k === "var" && this.varied.has(a.name) && !this.off.has(a.name));
    const dyn = this.dynamic(ops);
    let on: Atom = lit(sure);
    if (!sure) for (const x of dyn) on = on.k === "lit" && on.v === false ? v(this.switchOf(x)) : this.b.p("or", on, v(this.switchOf(x)));
    this.b.assign(this.switchOf(dst), { k: "atom", a: on });
  }

  /**
   * `build` (the tangent code of one statement) once per combination of the switched operands' states,
   * those off read as structural zeros; more than two switched operands: all on, or all off.
   */
  private variants(dyn: string[], build: () => void): void {
    const b = this.b;
    const go = (k: number): Stmt[] =>
      b.sub(() => {
        if (k === dyn.length || (dyn.length > 2 && k > 0)) return build();
        const on = go(k + 1);
        const names = dyn.length > 2 ? dyn : [dyn[k]];
        names.forEach((x) => this.forcedOff.add(x));
        const offCase = go(dyn.length > 2 ? dyn.length : k + 1);
        names.forEach((x) => this.forcedOff.delete(x));
        const cond = dyn.length > 2 ? dyn.slice(1).reduce<Atom>((c, x) => b.p("or", c, v(this.switchOf(x))), v(this.switchOf(dyn[0]))) : v(this.switchOf(dyn[k]));
        b.emit({ k: "if", cond, then: on, else: offCase });
      });
    b.stmts.push(...go(0));
  }

  private dname(x: string): string {
    let d = this.tan.get(x);
    if (!d) {
      d = this.names.claim(`d${x}`);
      this.tan.set(x, d);
      this.out.vars.set(d, tanType(this.fn.vars.get(x)!));
    }
    return d;
  }

  /** The tangent of an atom, or null when it is structurally zero. */
  private t(a: Atom): Atom | null {
    if (a.k === "var" && this.forcedOff.has(a.name)) return null;
    return isVaried(this.varied, a) ? v(this.dname((a as { name: string }).name)) : null;
  }

  /** A tangent materialised as a value (zeros where structurally zero). */
  private tv(a: Atom, type: Type): Atom {
    return this.t(a) ?? this.zeroOf(a, type);
  }

  /** The zero tangent of a value of `type`: 0, zeros shaped like the Tensor, or a zero vector as long as the array. */
  private zeroOf(a: Atom, type: Type): Atom {
    if (a.k === "lit" && a.v === undefined) return a; // an unallocated cotangent has no tangent yet either
    if (type.k === "vec") {
      // zeros of the same length; an array never created on this path has none
      const z = this.b.fresh("zeros", type);
      this.b.assign(z, { k: "atom", a: lit(undefined) });
      const make = this.b.sub(() => this.b.assign(z, { k: "newvec", len: this.b.let("n", NUM, { k: "len", arr: a }), f32: type.f32 }));
      this.b.emit({ k: "if", cond: this.b.p("not", this.b.p("isundef", a)), then: make, else: [] });
      return v(z);
    }
    if (type.k === "tensor") return this.b.t("ad.zerosLike", [a]);
    return lit(0);
  }

  run(): void {
    const { fn, out, b } = this;
    fn.params.forEach((p, i) => {
      if (this.mask[i]) out.params.push({ name: this.dname(p.name), type: tanType(p.type) });
    });
    // (every switch starts off: its variable's value came from no input yet)
    for (const x of this.off) b.assign(this.switchOf(x), { k: "atom", a: lit(false) });
    this.stmts(fn.body);
    const ret = b.stmts.pop();
    if (!ret || ret.k !== "return") throw new Error("IR: function does not end in a return");
    // zero tangents of results that do not vary are built before the return
    const tans = ret.values.map((a, i) => this.tv(a, fn.results[i]));
    b.emit({ k: "return", values: [...ret.values, ...tans] });
    out.body = b.stmts;
    out.results = [...fn.results, ...fn.results.map(tanType)];
  }

  /**
   * Tensor ops a rule applied to tangents run through adZ: a tangent may be
   * undefined at run time (the tangent of a cotangent nothing reached yet).
   * Whatever a rule computes from a tangent may be undefined in turn: the
   * runtime helpers (ad.sumTo, ad.matmulBackA, …, and chunk / split / unbind's adPiece) pass undefined on.
   */
  private zeroSafe(list: Stmt[], from: number): void {
    const tangent = new Set(this.tan.values());
    for (let i = from; i < list.length; i++) {
      const s = list[i];
      if (s.k !== "let" || s.e.k !== "prim") continue;
      if (!s.e.args.some((a) => a.k === "var" && tangent.has(a.name))) continue;
      tangent.add(s.dst);
      if (!s.e.op.startsWith("t.") || !ruleOf(s.e.op).tensor || !/^t\.(add|sub|mul|div|neg|sum|mean|matmul|dot|outer|select|narrow|reshape|view|flatten|squeeze|unsqueeze|transpose|t|permute|expand|where|index|flip|roll|repeat|tile|movedim|unflatten|broadcastTo|expandAs|clone|diag|diagonal|trace|tril|triu|pad|indexSelect|gather|scatter|scatterAdd|maskedSelect)$/.test(s.e.op)) continue;
      list[i] = { ...s, e: { ...s.e, op: `tz.${s.e.op.slice(2)}` } };
    }
  }

  private stmts(list: Stmt[]): void {
    for (const s of list) this.stmt(s);
  }

  /** A call: the jvp of the callee for the arguments that vary (switched ones forced off excluded), or the call itself. */
  private call(s: Stmt & { k: "call" }): void {
    const b = this.b;
    const argMask = s.args.map((a) => isVaried(this.varied, a) && !(a.k === "var" && this.forcedOff.has(a.name)));
    const callee = this.ctx.fns.get(s.fn)!;
    // A result that does not depend on the active arguments, written into a
    // variable that varies elsewhere (a value popped from the tape, with its
    // tangent, in forward over reverse), gets a zero tangent: not the one
    // left from an earlier iteration, nor undefined.
    const zeroTangents = (deps: boolean[]) =>
      s.dsts.forEach((d, i) => !deps[i] && this.varied.has(d) && b.assign(this.dname(d), { k: "atom", a: this.zeroOf(v(d), this.fn.vars.get(d) ?? callee.results[i] ?? NUM) }));
    if ((!argMask.some(Boolean) && !touchesTape(this.ctx.fns, s.fn)) || s.nodiff) {
      b.emit(s);
      zeroTangents(s.dsts.map(() => false));
      return;
    }
    const name = jvpOf(this.ctx, s.fn, argMask);
    const deps = resultDeps(this.ctx.fns, s.fn, argMask);
    const ddsts = s.dsts.map((d, i) => (deps[i] && this.varied.has(d) ? this.dname(d) : this.names.claim(`d${d}_unused`)));
    ddsts.forEach((d, i) => this.out.vars.has(d) || this.out.vars.set(d, tanType(callee.results[i] ?? NUM)));
    b.emit({ k: "call", dsts: [...s.dsts, ...ddsts], fn: name, args: [...s.args, ...tangentArgs(argMask, s.args, callee, (a, t) => this.tv(a, t))], loc: s.loc });
    zeroTangents(deps);
  }

  /** The tangent of `x = atom` or `x = prim(…)`, the statement itself already emitted. */
  private letTangent(s: Stmt & { k: "let" }, dt: string, type: Type): void {
    const b = this.b;
    const e = s.e;
    if (e.k === "atom") {
      b.assign(dt, { k: "atom", a: this.tv(e.a, type) });
      return;
    }
    if (e.k !== "prim") throw new Error("letTangent: not an atom or a prim");
    const rule = ruleOf(e.op);
    const n = rule.operands ?? e.args.length;
    if (rule.zero || !rule.jvp) {
      // a piecewise-constant value written into a variable that varies elsewhere (or a vector
      // varied by later stores, as vmap's batch of number results): zeros of its kind
      b.assign(dt, type.k === "tensor" ? { k: "prim", op: "ad.zerosLike", args: [v(s.dst)] } : { k: "atom", a: this.zeroOf(v(s.dst), type) });
      return;
    }
    const mark = b.stmts.length;
    const d = rule.jvp(b, e.args, e.args.map((a, i) => (i < n ? this.t(a) : null)), v(s.dst), e.attrs ?? []);
    this.zeroSafe(b.stmts, mark);
    // a structural zero: 0, or zeros shaped like the Tensor
    b.assign(dt, { k: "atom", a: d ?? (type.k === "tensor" ? b.t("ad.zerosLike", [v(s.dst)]) : lit(0)) });
  }

  private block(list: Stmt[]): Stmt[] {
    return this.b.sub(() => this.stmts(list));
  }

  private stmt(s: Stmt): void {
    const b = this.b;
    b.loc = "loc" in s ? s.loc : b.loc;
    switch (s.k) {
      case "let": {
        const e = s.e;
        const dst = s.dst;
        const isV = this.varied.has(dst);
        if (e.k === "pop") {
          // Forward over reverse: every float on the tape carries its tangent above it.
          b.emit({ k: "let", dst: this.dname(dst), e: { k: "pop" } });
          b.emit(s);
          // (a value restored from the tape: its tangent may be anything, so its switch is on)
          if (this.off.has(dst)) b.assign(this.switchOf(dst), { k: "atom", a: lit(true) });
          return;
        }
        if (e.k === "popobj") {
          b.emit({ k: "let", dst: this.dname(dst), e: { k: "popobj" } });
          b.emit(s);
          return;
        }
        if (!isV) return b.emit(s);
        const dt = this.dname(dst);
        const type = this.fn.vars.get(dst)!;
        const ops = tangentOperands(s);
        if (ops && (e.k === "atom" || e.k === "prim")) {
          // (switched operands whose zero tangent could meet an infinite partial here: a sum needs no variants)
          const dyn = this.dynamic(ops).filter((x) => scaledByPartial(e, x));
          b.emit(s);
          // (the tangent in place of `s`: built without emitting `s` again)
          const tangent = () => this.letTangent({ ...s, e } as Stmt & { k: "let" }, dt, type);
          if (dyn.length) this.variants(dyn, tangent);
          else tangent();
          this.setSwitch(dst, ops);
          return;
        }
        if (this.off.has(dst)) b.assign(this.switchOf(dst), { k: "atom", a: lit(true) });
        switch (e.k) {
          case "load": {
            b.emit(s);
            // (the variable may vary through another assignment while this array does not)
            const darr = this.t(e.arr);
            b.assign(dt, darr ? { k: "load", arr: darr, index: e.index, ...(e.orZero && { orZero: e.orZero }) } : { k: "atom", a: lit(0) });
            return;
          }
          case "veclit":
            b.emit(s);
            b.assign(dt, { k: "veclit", items: e.items.map((a) => this.t(a) ?? lit(0)) });
            return;
          case "newvec":
            b.emit(s);
            b.assign(dt, { k: "newvec", len: e.len, f32: e.f32, ...(e.plain && { plain: e.plain }) });
            return;
          case "copyvec":
            b.emit(s);
            b.assign(dt, { k: "copyvec", src: this.tv(e.src, type) });
            return;
          case "wrap":
            b.emit(s);
            b.assign(dt, { k: "wrap", data: this.tv(e.data, { k: "vec" }), dims: e.dims, f32: e.f32 });
            return;
          case "tdata":
            b.emit(s);
            b.assign(dt, { k: "tdata", t: this.tv(e.t, { k: "tensor" }) });
            return;
          default:
            b.emit(s);
            b.assign(dt, { k: "atom", a: lit(0) });
            return;
        }
      }
      case "store": {
        b.emit(s);
        if (isVaried(this.varied, s.arr)) {
          const d = this.t(s.value);
          if (d || !s.accum) b.emit({ k: "store", arr: this.t(s.arr)!, index: s.index, value: d ?? lit(0), accum: s.accum });
        }
        return;
      }
      case "call": {
        // arguments whose switch may be off: the call's jvp for each state (an off one is not differentiated;
        // a callee using the tape still runs its jvp, which pushes a tangent beside every value)
        const dyn = s.nodiff ? [] : this.dynamic(s.args);
        if (dyn.length) this.variants(dyn, () => this.call(s));
        else this.call(s);
        // (a callee using the tape returns tangents popped from it, whatever its arguments: on)
        if (touchesTape(this.ctx.fns, s.fn)) s.dsts.forEach((d) => this.off.has(d) && b.assign(this.switchOf(d), { k: "atom", a: lit(true) }));
        else s.dsts.forEach((d) => this.setSwitch(d, s.args));
        return;
      }
      case "if":
        b.emit({ ...s, then: this.block(s.then), else: this.block(s.else) });
        return;
      case "loop":
        b.emit({ ...s, pre: this.block(s.pre), body: this.block(s.body) });
        return;
      case "for":
        b.emit({ ...s, body: this.block(s.body) });
        return;
      case "push":
        // The tangent goes above its value, so the pops (tangent, then value) mirror it.
        b.emit(s);
        b.emit({ k: "push", a: this.t(s.a) ?? lit(0) });
        return;
      case "pushobj":
        b.emit(s);
        b.emit({ k: "pushobj", a: this.tv(s.a, this.fn.vars.get((s.a as { name: string }).name) ?? { k: "vec" }) });
        return;
      case "effect": {
        b.emit(s);
        const J = s.args[0];
        if (isVaried(this.varied, J)) {
          const eff = effects[s.op];
          const targs = s.args.map((a, i) => (eff.tangentArgs.includes(i) ? this.t(a) : a));
          if (targs.every((a) => a !== null)) b.emit({ ...s, args: targs as Atom[] });
        }
        return;
      }
      case "fill0": {
        b.emit(s);
        const d = this.t(s.arr);
        if (d) b.emit({ k: "fill0", arr: d });
        return;
      }
      default:
        b.emit(s);
    }
  }
}

/** Tangent arguments for the active parameters, in parameter order. */
function tangentArgs(mask: boolean[], args: Atom[], callee: Fn, tv: (a: Atom, t: Type) => Atom): Atom[] {
  const out: Atom[] = [];
  mask.forEach((m, i) => m && out.push(tv(args[i], callee.params[i].type)));
  return out;
}
