// The build-time analysis of a vmapped scalar kernel (before compiler/emit/wgsl/scalar-kernel.ts
// writes its WGSL): the control skeleton is run at build time on abstract
// values: numbers and booleans known or not, vectors with their length, tape
// positions. Loops whose condition is known are iterated; an unknown branch
// runs both arms and merges. This gives every vector's length, one WGSL
// instance per (function, argument lengths), which branches are live, and the
// tape's peak (its capacity).
import { type Atom, BOOL_OPS, type Expr, type Fn, type Loc, type Stmt, type Type, userName, walk } from "../ir/ir.js";
import { type ScalarKernelOptions, WgslKernelError } from "../ir/kernel.js";
import { scalarRules } from "../rules/scalar.js";

/** What the emitter needs: the instances and tape bounds of the entry `fn` called with `args`. */
export interface KernelAnalysis {
  fn: Fn;
  args: AV[];
  an: Analysis;
  root: Inst;
  results: AV[];
  /** numbers the tape holds per invocation */
  tapeCap: number;
  /** the tape's growth depends on the data: a row that would overflow it writes NaN */
  guarded: boolean;
}

/**
 * `fns`: the functions as the JS emitter sees them, without dead definitions
 * (compiler/opt/simplify.ts simplifiedFns): a dead read of something a kernel
 * cannot bind would otherwise refuse the kernel.
 */
export function analyseKernel(fns: { get(name: string): Fn | undefined }, entry: string, options: ScalarKernelOptions = {}): KernelAnalysis {
  const lookup = (name: string): Fn | undefined => fns.get(name);
  const fn = lookup(entry);
  if (!fn) throw new WgslKernelError("internal", `no IR function ${entry}`);
  // the entry's parameters
  const lengthOf = (p: Fn["params"][number], i: number): number | undefined => {
    const l = options.lengths;
    if (!l) return undefined;
    return Array.isArray(l) ? l[i] : (l as Record<string, number>)[userName(p)] ?? (l as Record<string, number>)[p.name];
  };
  const args: AV[] = fn.params.map((p, i) => {
    if (p.type.k === "num") return { t: "num" };
    if (p.type.k === "bool") return { t: "bool" };
    if (p.type.k === "vec") {
      const n = lengthOf(p, i);
      if (n === undefined || !Number.isInteger(n) || n < 0) throw new WgslKernelError("vector-length", `parameter \`${userName(p)}\` of \`${fn.source ?? fn.name}\` is a vector: give its length (options.lengths)`, fn.loc);
      return { t: "vec", len: n };
    }
    throw new WgslKernelError(p.type.k === "tensor" ? "tensor" : "type", `parameter \`${userName(p)}\` of \`${fn.source ?? fn.name}\` is ${p.type.k === "tensor" ? "a Tensor" : "not a number or a number[]"}; a scalar kernel takes numbers and fixed-length vectors`, fn.loc);
  });
  let an = new Analysis(lookup, options);
  let { inst: root, results } = an.run(fn, args);
  if (an.needHints) {
    an = new Analysis(lookup, options, new Map([...an.insts].map(([k, i]) => [k, i.vecLen])));
    ({ inst: root, results } = an.run(fn, args));
    if (an.needHints) throw new WgslKernelError("tape-vector", "a vector saved on the tape before it has a length", fn.loc);
  }
  if (an.unbounded && options.tapeCapacity === undefined)
    throw new WgslKernelError("tape", `the reverse sweep's tape grows in ${an.unbounded.what}: WGSL needs its capacity when the kernel is built (give options.tapeCapacity, or use forward mode)`, an.unbounded.loc);
  if (an.objLens.length > 3) throw new WgslKernelError("tape-vector", `the reverse sweep saves vectors of ${an.objLens.length} different lengths (at most 3 in a WGSL kernel)`, fn.loc);
  const tapeCap = an.unbounded ? Math.max(options.tapeCapacity!, an.peak) : an.peak;
  const guarded = !!an.unbounded;
  return { fn, args, an, root, results: results!, tapeCap, guarded };
}
// The control skeleton is run at build time on abstract values: numbers and
// booleans known or not, vectors with their length, tape positions. Loops whose
// condition is known are iterated; an unknown branch runs both arms and merges.
// This gives every vector's length, one WGSL instance per (function, argument
// lengths), which branches are live, and the tape's peak (its capacity).

export type AV =
  | { t: "num"; v?: number; u?: 1 | 2 } // u: 1 maybe undefined, 2 undefined
  | { t: "bool"; v?: boolean; u?: 1 | 2 }
  | { t: "vec"; len: number; shape?: number[]; u?: 1 | 2 } // len -1: undefined, length unknown
  | { t: "tp"; sp: number; osp: number; per: number[]; u?: undefined }; // a tape position (numbers, vectors, vectors per length)

export type State = Map<string, AV>;

export interface Inst {
  key: string;
  fn: Fn;
  wname: string;
  args: AV[];
  vecLen: Map<string, number>;
  shapes: Map<string, number[]>;
  tapeVars: Set<string>;
  undefVars: Set<string>; // assigned `undefined` somewhere (get a *_def flag)
  calls: Map<Stmt, string>;
  ifs: Map<Stmt, Set<string>>; // observed conditions: "true" / "false" / "?"
  visited: Set<Stmt>;
  folded: Map<Stmt, Set<string>>;
  bounded: Set<Stmt>; // loops followed to their end at every visit (no run-time limit needed)
  unboundedLoops: Set<Stmt>; // values of boolean primitives seen ("true" / "false" / "?")
  results?: AV[];
}

const FOLD: Record<string, (...a: any[]) => number | boolean> = {
  add: (a, b) => a + b, sub: (a, b) => a - b, mul: (a, b) => a * b, div: (a, b) => a / b, mod: (a, b) => a % b,
  neg: (a) => -a, pow: (a, b) => a ** b, min: Math.min, max: Math.max, abs: Math.abs, floor: Math.floor, ceil: Math.ceil,
  round: Math.round, trunc: Math.trunc, sign: Math.sign, sqrt: Math.sqrt,
  lt: (a, b) => a < b, le: (a, b) => a <= b, gt: (a, b) => a > b, ge: (a, b) => a >= b, eq: (a, b) => a === b, ne: (a, b) => a !== b,
  not: (a) => !a, and: (a, b) => a && b, or: (a, b) => a || b, select: (c, a, b) => (c ? a : b),
};

const STEP_BUDGET = 3_000_000;

export class Analysis {
  insts = new Map<string, Inst>();
  sp = 0;
  peak = 0;
  tapeVals: AV[] = []; // what each tape cell holds (abstractly)
  havocFloor = -1; // inside a loop with an unknown trip count: cells below it were pushed before the loop
  // the vector tape: JavaScript keeps one stack of references; WGSL one stack per vector length
  objs: number[] = []; // lengths of the vectors on the stack (kept above the pointer: replays)
  osp = 0;
  objLens: number[] = []; // the lengths seen, in order: stack k holds vectors of length objLens[k]
  per: number[] = []; // each stack's pointer
  objPeak: number[] = [];
  steps = 0;
  unbounded?: { loc?: Loc; what: string }; // a tape that grows with a run-time trip count
  externals = new Map<string, { kind: "const"; value: number | number[] } | { kind: "input"; length: number; vector: boolean }>();
  private stack: string[] = [];
  private loc?: Loc;
  private fnNames = new Map<string, number>();

  /** a vector was saved before its length was known: run again with the lengths of this pass */
  needHints = false;
  constructor(readonly fnOf: (name: string) => Fn | undefined, readonly options: ScalarKernelOptions, readonly hints?: Map<string, Map<string, number>>) {}

  fail(construct: string, msg: string, loc = this.loc): never {
    throw new WgslKernelError(construct, msg, loc);
  }

  instance(fn: Fn, args: AV[]): Inst {
    const key = `${fn.name}(${args.map((a) => (a.t === "vec" ? `v${a.len}${a.u === 2 ? "u" : ""}` : a.u === 2 ? "u" : a.t[0])).join(",")})`;
    let inst = this.insts.get(key);
    if (!inst) {
      const n = this.fnNames.get(fn.name) ?? 0;
      this.fnNames.set(fn.name, n + 1);
      inst = {
        key, fn, wname: n ? `${fn.name}_${n + 1}` : fn.name, args,
        vecLen: new Map(), shapes: new Map(), tapeVars: new Set(), undefVars: new Set(),
        calls: new Map(), ifs: new Map(), visited: new Set(), folded: new Map(), bounded: new Set(), unboundedLoops: new Set(),
      };
      this.insts.set(key, inst);
    }
    return inst;
  }

  /** Runs `fn` on abstract arguments; returns its abstract results. */
  run(fn: Fn, args: AV[], callLoc?: Loc): { inst: Inst; results: AV[] } {
    if (this.stack.includes(fn.name)) {
      const cycle = [...this.stack.slice(this.stack.indexOf(fn.name)), fn.name].map((n) => this.fnOf(n)?.source ?? n);
      this.fail("recursion", `\`${fn.source ?? fn.name}\` is recursive (${cycle.join(" → ")}); WGSL has no recursion`, callLoc ?? fn.loc);
    }
    const inst = this.instance(fn, args);
    const st: State = new Map();
    // (known argument values flow in: every call site is followed, and what is
    // recorded per statement holds for all of them)
    fn.params.forEach((p, i) => {
      const a = args[i];
      st.set(p.name, a);
      if (a.t === "vec" && a.len >= 0) this.setLen(inst, p.name, a);
    });
    this.stack.push(fn.name);
    const saveLoc = this.loc;
    this.loc = fn.loc;
    const results = this.block(fn.body, st, inst) ?? [];
    this.loc = saveLoc;
    this.stack.pop();
    return { inst, results };
  }

  private setLen(inst: Inst, name: string, a: AV): void {
    if (a.t !== "vec" || a.len < 0) return;
    const had = inst.vecLen.get(name);
    if (had !== undefined && had !== a.len) this.fail("vector-length", `vector \`${name}\` of \`${inst.fn.source ?? inst.fn.name}\` takes lengths ${had} and ${a.len}; a WGSL array has one static length`);
    inst.vecLen.set(name, a.len);
    if (a.shape) inst.shapes.set(name, a.shape);
  }

  private assign(inst: Inst, st: State, name: string, a: AV): void {
    const t = inst.fn.vars.get(name);
    if (a.u === 2 || (a.t === "vec" && a.len < 0)) inst.undefVars.add(name);
    if (t && (t.k === "vec" || t.k === "tensor") && a.t !== "vec" && a.t !== "tp") this.fail("type", `vector \`${name}\` assigned a ${a.t}`);
    if (a.t === "tp") inst.tapeVars.add(name);
    this.setLen(inst, name, a);
    st.set(name, a);
  }

  private read(inst: Inst, st: State, a: Atom, type?: Type): AV {
    if (a.k === "lit") {
      if (typeof a.v === "number") return { t: "num", v: a.v };
      if (typeof a.v === "boolean") return { t: "bool", v: a.v };
      if (type && (type.k === "vec" || type.k === "tensor")) return { t: "vec", len: -1, u: 2 };
      return { t: type?.k === "bool" ? "bool" : "num", u: 2 };
    }
    const v = st.get(a.name);
    if (v) return v;
    const t = inst.fn.vars.get(a.name);
    if (!t) this.fail("internal", `unknown variable ${a.name}`);
    if (t.k === "num") return { t: "num" };
    if (t.k === "bool") return { t: "bool" };
    if (t.k === "vec" || t.k === "tensor") {
      const len = inst.vecLen.get(a.name);
      return len === undefined ? { t: "vec", len: -1, u: 2 } : { t: "vec", len };
    }
    this.fail("type", `\`${a.name}\` is not a number, a boolean or a vector`);
  }

  private expr(inst: Inst, st: State, e: Expr, dstType: Type | undefined, s: Stmt): AV {
    switch (e.k) {
      case "atom": return this.read(inst, st, e.a, dstType);
      case "prim": {
        const rule = scalarRules[e.op];
        if (!rule) this.fail("tensor", `\`${e.op}\` is a Tensor operation; a scalar kernel holds numbers and fixed-length vectors only`);
        if (e.op === "random") this.fail("random", "Math.random() has no WGSL counterpart in a scalar kernel");
        const args = e.args.map((a) => this.read(inst, st, a));
        if (e.op === "isundef") {
          const x = args[0];
          const r = x.t === "tp" ? false : x.u === 2 ? true : x.u === 1 ? undefined : false;
          return { t: "bool", v: r };
        }
        if (e.op === "select" && args[1].t === "vec") this.fail("select-vector", "a conditional choice between vectors");
        const known = args.every((x) => (x.t === "num" || x.t === "bool") && x.v !== undefined && !x.u);
        const isBool = e.op in BOOL_OPS;
        if (known && FOLD[e.op]) {
          const r = FOLD[e.op](...args.map((x) => (x as { v: number }).v));
          return typeof r === "boolean" ? { t: "bool", v: r } : { t: "num", v: r };
        }
        // && and || with one known operand
        if (e.op === "and" && args.some((x) => x.t === "bool" && x.v === false)) return { t: "bool", v: false };
        if (e.op === "or" && args.some((x) => x.t === "bool" && x.v === true)) return { t: "bool", v: true };
        return isBool ? { t: "bool" } : { t: "num" };
      }
      case "load": {
        const arr = this.read(inst, st, e.arr);
        if (arr.t !== "vec") this.fail("type", "indexing something that is not a vector");
        if (arr.len < 0) this.fail("vector-length", `the length of vector \`${(e.arr as { name: string }).name}\` is not known when the kernel is built`);
        return { t: "num" };
      }
      case "len": {
        const arr = this.read(inst, st, e.arr);
        if (arr.t !== "vec" || arr.len < 0) this.fail("vector-length", `the length of \`${(e.arr as { name?: string }).name ?? "?"}\` is not known when the kernel is built`);
        return { t: "num", v: arr.len };
      }
      case "newvec": {
        const n = this.read(inst, st, e.len);
        if (n.t !== "num" || n.v === undefined || !Number.isInteger(n.v) || n.v < 0)
          this.fail("vector-length", "a new array's length must be known when the kernel is built (WGSL arrays have static sizes)");
        return { t: "vec", len: n.v };
      }
      case "veclit":
        return { t: "vec", len: e.items.length };
      case "copyvec": {
        const src = this.read(inst, st, e.src);
        if (src.t !== "vec") this.fail("type", "copy of something that is not a vector");
        return { t: "vec", len: src.len };
      }
      case "ext": return this.ext(e.text, dstType);
      case "pop": {
        // the value pushed there, when the pushes were followed exactly (loop counters: the reverse
        // loops' trip counts become known)
        this.sp = Math.max(0, this.sp - 1);
        // (not inside a loop followed abstractly: each iteration pops another cell)
        const v = this.sp >= this.havocFloor ? this.tapeVals[this.sp] : undefined;
        return v && (v.t === "num" || v.t === "bool") && dstType?.k === v.t ? v : dstType?.k === "bool" ? { t: "bool" } : { t: "num" };
      }
      case "popobj": {
        // the vector on top of the object tape: its length is known, as is the stack of lengths
        if (this.osp <= 0) this.fail("internal", "popobj from an empty object tape");
        const len = this.objs[--this.osp];
        if (len < 0) return { t: "vec", len: -1, u: 2 }; // (first pass: length found later)
        this.per[this.objLens.indexOf(len)]--;
        return { t: "vec", len };
      }
      case "tape": return { t: "tp", sp: this.sp, osp: this.osp, per: [...this.per] };
      case "wrap": {
        const data = this.read(inst, st, e.data);
        if (data.t !== "vec") this.fail("type", "a result block whose storage is not a vector");
        const shape: number[] = [];
        for (const d of e.dims) {
          if ("size" in d) {
            const n = this.read(inst, st, d.size);
            if (n.t !== "num" || n.v === undefined) this.fail("vector-length", "a result block's size is not known when the kernel is built");
            shape.push(n.v);
          } else {
            const x = this.read(inst, st, d.shapeOf);
            if (x.t === "vec") shape.push(...(x.shape ?? [x.len]));
          }
        }
        return { t: "vec", len: data.len, shape };
      }
      case "tdata": {
        const x = this.read(inst, st, e.t);
        if (x.t !== "vec") this.fail("tensor", "a Tensor's storage");
        return { t: "vec", len: x.len };
      }
    }
    void s;
    this.fail("internal", `unknown expression ${(e as Expr).k}`);
  }

  private ext(text: string, t: Type | undefined): AV {
    const given = this.options.externals?.[text];
    const kind = t?.k;
    if (kind !== "num" && kind !== "vec") this.fail("external", `captured value \`${text}\` is ${kind === "tensor" ? "a Tensor" : "not a number or an array of numbers"}`);
    if (given === undefined) {
      if (kind === "vec") this.fail("external", `captured array \`${text}\`: its length must be known when the kernel is built (pass it in options.externals)`);
      this.externals.set(text, { kind: "input", length: 1, vector: false });
      return { t: "num" };
    }
    if (typeof given === "number") {
      if (kind !== "num") this.fail("external", `captured \`${text}\` is an array, options.externals gives a number`);
      this.externals.set(text, { kind: "const", value: given });
      return { t: "num", v: given };
    }
    if (kind !== "vec") this.fail("external", `captured \`${text}\` is a number, options.externals gives an array`);
    if (Array.isArray(given)) {
      this.externals.set(text, { kind: "const", value: given });
      return { t: "vec", len: given.length };
    }
    const len = (given as { length: number }).length;
    this.externals.set(text, { kind: "input", length: len, vector: true });
    return { t: "vec", len };
  }

  /** Runs a block; returns the results of a `return` met on the way. */
  private block(list: Stmt[], st: State, inst: Inst): AV[] | undefined {
    let ret: AV[] | undefined;
    for (const s of list) {
      const r = this.stmt(s, st, inst);
      if (r) ret = r;
    }
    return ret;
  }

  private stmt(s: Stmt, st: State, inst: Inst): AV[] | undefined {
    if (++this.steps > STEP_BUDGET * 4) this.fail("analysis", "the program is too long to analyse when the kernel is built");
    inst.visited.add(s);
    if ("loc" in s && s.loc) this.loc = s.loc;
    switch (s.k) {
      case "let": {
        const a = this.expr(inst, st, s.e, inst.fn.vars.get(s.dst), s);
        if (s.e.k === "prim" && a.t === "bool") {
          // a boolean that is the same at every visit is emitted as a constant
          const seen = inst.folded.get(s) ?? new Set<string>();
          seen.add(a.v === undefined || a.u ? "?" : String(a.v));
          inst.folded.set(s, seen);
        }
        this.assign(inst, st, s.dst, a);
        return;
      }
      case "store":
      case "fill0": {
        const arr = this.read(inst, st, s.arr);
        if (arr.t !== "vec" || arr.len < 0) this.fail("vector-length", "a write into a vector whose length is not known when the kernel is built");
        // (a JavaScript array grows where it is written past its end, as `push` does; a WGSL array has a static size)
        const at = s.k === "store" ? this.read(inst, st, s.index) : undefined;
        if (at?.t === "num" && at.v !== undefined && at.v >= arr.len) this.fail("growing-array", "a write past the end of an array (`push`, or an index beyond its length): WGSL arrays have static sizes");
        return;
      }
      case "call": {
        const callee = this.fnOf(s.fn);
        if (!callee) this.fail("internal", `unknown function ${s.fn}`);
        const args = s.args.map((a, i) => this.read(inst, st, a, callee.params[i]?.type));
        const { inst: ci, results } = this.run(callee, args, s.loc);
        const prev = inst.calls.get(s);
        if (prev && prev !== ci.key) this.fail("internal", "one call site reaching two instances");
        inst.calls.set(s, ci.key);
        s.dsts.forEach((d, i) => this.assign(inst, st, d, results[i] ?? { t: "num" }));
        return;
      }
      case "if": {
        const c = this.read(inst, st, s.cond);
        const seen = inst.ifs.get(s) ?? new Set<string>();
        inst.ifs.set(s, seen);
        if (c.t === "bool" && c.v !== undefined && !c.u) {
          seen.add(String(c.v));
          return this.block(c.v ? s.then : s.else, st, inst);
        }
        seen.add("?");
        const sp0 = this.sp;
        const osp0 = this.osp;
        const per0 = [...this.per];
        const other = new Map(st);
        const r1 = this.block(s.then, st, inst);
        const sp1 = this.sp;
        const osp1 = this.osp;
        const per1 = [...this.per];
        this.sp = sp0;
        this.osp = osp0;
        this.per = per0.concat(this.per.slice(per0.length).map(() => 0));
        const r2 = this.block(s.else, other, inst);
        this.sp = Math.max(sp1, this.sp);
        this.tapeVals.length = Math.min(this.tapeVals.length, sp0); // either arm's pushes: unknown
        if (osp1 !== this.osp) this.fail("tape-vector", "the two arms of a branch save different numbers of vectors on the tape");
        this.per = this.per.map((x, i) => Math.max(x, per1[i] ?? 0));
        mergeInto(st, other);
        return r1 ?? r2;
      }
      case "loop": return this.loop(s, st, inst);
      case "for": return this.forLoop(s, st, inst);
      case "push":
        this.tapeVals[this.sp] = this.read(inst, st, s.a);
        this.sp++;
        this.peak = Math.max(this.peak, this.sp);
        return;
      case "pushobj": {
        const a = this.read(inst, st, s.a);
        if (a.t !== "vec") this.fail("tape-vector", "a value saved on the vector tape that is not a vector");
        let len = a.len;
        // a vector saved before its first assignment (undefined in JavaScript): the variable's length,
        // from this pass or, when only assigned later, from a first pass
        const name = s.a.k === "var" ? s.a.name : "";
        if (len < 0) len = inst.vecLen.get(name) ?? this.hints?.get(inst.key)?.get(name) ?? -1;
        if (len < 0 && this.hints && name) {
          // never assigned on any path the program can take: an undefined placeholder of one element
          len = 1;
          this.setLen(inst, name, { t: "vec", len });
        }
        if (len < 0) {
          this.needHints = true;
          this.objs[this.osp++] = -1;
          return;
        }
        let k = this.objLens.indexOf(len);
        if (k < 0) {
          k = this.objLens.push(len) - 1;
          this.per.push(0);
          this.objPeak.push(0);
        }
        this.objs[this.osp++] = len;
        this.per[k]++;
        this.objPeak[k] = Math.max(this.objPeak[k], this.per[k]);
        return;
      }
      case "settape": {
        const p = this.read(inst, st, s.sp);
        if (p.t !== "tp") this.fail("internal", "settape of something that is not a tape position");
        this.sp = p.sp;
        this.osp = p.osp;
        this.per = this.objLens.map((_, i) => p.per[i] ?? 0);
        return;
      }
      case "effect":
        this.fail("tensor", `\`${s.op}\` fills a Tensor; a scalar kernel holds numbers and fixed-length vectors only`);
      case "return": {
        const rs = s.values.map((a, i) => this.read(inst, st, a, inst.fn.results[i]));
        inst.results = inst.results ? inst.results.map((x, i) => mergeAV(x, rs[i])) : rs;
        return rs;
      }
      case "comment": return;
    }
  }

  private loop(s: Extract<Stmt, { k: "loop" }>, st: State, inst: Inst): undefined {
    const start = this.steps;
    for (;;) {
      if (this.steps - start > STEP_BUDGET) return this.havoc(s, st, inst, "a loop too long to follow when the kernel is built");
      const snap = new Map(st);
      const sp0 = this.sp;
      this.block(s.pre, st, inst);
      const c = this.read(inst, st, s.cond);
      if (c.t !== "bool" || c.v === undefined || c.u) {
        // from here on the trip count depends on the data
        st.clear();
        for (const [k, x] of snap) st.set(k, x);
        this.sp = sp0;
        return this.havoc(s, st, inst, "a loop whose trip count depends on the data");
      }
      if (!c.v) {
        if (!inst.unboundedLoops.has(s)) inst.bounded.add(s);
        return;
      }
      this.block(s.body, st, inst);
    }
  }

  private forLoop(s: Extract<Stmt, { k: "for" }>, st: State, inst: Inst): undefined {
    const from = this.read(inst, st, s.from);
    const to = this.read(inst, st, s.to);
    if (from.t !== "num" || to.t !== "num" || from.v === undefined || to.v === undefined || to.v - from.v > STEP_BUDGET) {
      return this.havoc(s, st, inst, "a counted loop whose bounds depend on the data");
    }
    const start = this.steps;
    if (s.down) {
      for (let i = to.v - 1; i >= from.v; i--) {
        if (this.steps - start > STEP_BUDGET) return this.havoc(s, st, inst, "a loop too long to follow when the kernel is built");
        this.assign(inst, st, s.index, { t: "num", v: i });
        this.block(s.body, st, inst);
      }
    } else {
      for (let i = from.v; i < to.v; i++) {
        if (this.steps - start > STEP_BUDGET) return this.havoc(s, st, inst, "a loop too long to follow when the kernel is built");
        this.assign(inst, st, s.index, { t: "num", v: i });
        this.block(s.body, st, inst);
      }
    }
    return;
  }

  /** A loop with an unknown trip count: its variables become unknown; its body must not grow the tape. */
  private havoc(s: Extract<Stmt, { k: "loop" } | { k: "for" }>, st: State, inst: Inst, why: string): undefined {
    inst.unboundedLoops.add(s);
    inst.bounded.delete(s);
    const body = s.k === "loop" ? [...s.pre, ...s.body] : s.body;
    const assigned = new Set<string>();
    walk(body, (x) => {
      if (x.k === "let") assigned.add(x.dst);
      if (x.k === "call") x.dsts.forEach((d) => assigned.add(d));
      if (x.k === "for") assigned.add(x.index);
    });
    if (s.k === "for") assigned.add(s.index);
    const forget = () => {
      for (const n of assigned) {
        const x = st.get(n);
        if (x?.t === "num") st.set(n, { t: "num", u: x.u });
        else if (x?.t === "bool") st.set(n, { t: "bool", u: x.u });
        else if (!x) {
          const t = inst.fn.vars.get(n);
          if (t?.k === "num") st.set(n, { t: "num", u: 1 });
          if (t?.k === "bool") st.set(n, { t: "bool", u: 1 });
        }
      }
    };
    forget();
    // iterate the body from the loop's entry state until the state at its head is stable: every
    // statement is then recorded with what any iteration can see (first or later)
    const sp0 = this.sp;
    const osp0 = this.osp;
    const per0 = [...this.per];
    let head = new Map(st);
    let spOut = sp0;
    const floor = this.havocFloor;
    this.havocFloor = floor < 0 ? sp0 : Math.min(floor, sp0);
    for (let round = 0; ; round++) {
      const cur = new Map(head);
      this.sp = sp0;
      this.osp = osp0;
      this.per = this.objLens.map((_, i) => per0[i] ?? 0);
      if (s.k === "for") this.assign(inst, cur, s.index, { t: "num" });
      this.block(body, cur, inst);
      if (s.k === "loop") this.read(inst, cur, s.cond);
      if (this.osp !== osp0) this.fail("tape-vector", `the reverse sweep saves or restores vectors in ${why}: WGSL needs the vector tape's size when the kernel is built`, s.loc ?? this.loc);
      if (this.sp > sp0) {
        this.unbounded ??= { loc: s.loc ?? this.loc, what: why };
        spOut = sp0 + 1; // keep going: the caller decides (options.tapeCapacity) or reports
      } else spOut = Math.min(spOut, this.sp);
      const next = new Map(head);
      mergeInto(next, cur);
      for (const n of assigned) {
        const x = next.get(n);
        if (x && x.t === "num") next.set(n, { t: "num", u: x.u });
        if (round >= 6 && x && x.t !== "tp" && !x.u) next.set(n, { ...x, u: 1 } as AV); // widen
      }
      const same = next.size === head.size && [...next].every(([k, x]) => JSON.stringify(x) === JSON.stringify(head.get(k)));
      head = next;
      if (same || round >= 8) break;
    }
    this.havocFloor = floor;
    this.sp = spOut;
    this.tapeVals.length = Math.min(this.tapeVals.length, Math.min(sp0, spOut));
    st.clear();
    for (const [k, x] of head) st.set(k, x);
    forget();
    return;
  }
}

function mergeAV(a: AV, b: AV): AV {
  if (a === b) return a;
  const u = (x: AV) => (x.t === "tp" ? 0 : (x.u ?? 0));
  const mu = (ua: number, ub: number): 1 | 2 | undefined => (ua === 2 && ub === 2 ? 2 : ua || ub ? 1 : undefined);
  if (a.t === "tp" && b.t === "tp") return { t: "tp", sp: Math.max(a.sp, b.sp), osp: Math.max(a.osp, b.osp), per: a.per.map((x, i) => Math.max(x, b.per[i] ?? 0)) };
  if (a.t === "vec" || b.t === "vec") {
    const la = a.t === "vec" ? a.len : -1;
    const lb = b.t === "vec" ? b.len : -1;
    if (la >= 0 && lb >= 0 && la !== lb) throw new WgslKernelError("vector-length", `a vector takes lengths ${la} and ${lb} on two paths; a WGSL array has one static length`);
    const shape = (a.t === "vec" && a.shape) || (b.t === "vec" && b.shape) || undefined;
    return { t: "vec", len: Math.max(la, lb), shape, u: mu(u(a), u(b)) };
  }
  if (a.t === "num" && b.t === "num") {
    const both = u(a) === 2 && u(b) === 2;
    return { t: "num", v: !both && a.v === b.v && !a.u && !b.u ? a.v : undefined, u: mu(u(a), u(b)) };
  }
  if (a.t === "bool" && b.t === "bool") return { t: "bool", v: a.v === b.v && !a.u && !b.u ? a.v : undefined, u: mu(u(a), u(b)) };
  // a tape position meeting a number (never in generated code), or num / bool
  return { t: a.t === "tp" ? "num" : a.t, u: 1 } as AV;
}

function mergeInto(st: State, other: State): void {
  for (const [k, b] of other) {
    const a = st.get(k);
    st.set(k, a ? mergeAV(a, b) : mergeAV(b, b.t === "tp" ? b : ({ ...b, u: 2 } as AV)));
  }
  for (const [k, a] of st) if (!other.has(k) && a.t !== "tp") st.set(k, { ...a, u: a.u === 2 ? 2 : 1 } as AV);
}
