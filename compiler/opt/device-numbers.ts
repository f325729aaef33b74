// Numbers that may live on the device, just before emission. In a tensor
// program, a number computed from a tensor — a number parameter's cotangent (a
// sum over a tensor: ad.sumTo to a number), `t.item()` and its tangent — is a
// JS number when the tensors are on the CPU, but a 0-d WebGPU tensor when they
// are on the device, where nothing can be read synchronously. This pass finds,
// across the module's functions, every number and vector such a value can
// reach (through arithmetic, copies, calls, returns, vector stores and loads)
// and emits what is done to them through runtime helpers that take either
// kind: adItem for `.item()`, adNumAdd & co (plain arithmetic for two
// numbers), adNumMath (Math.exp & co, `**`: the tensor op on the device), vectors of
// them as plain arrays (adNumVec; a typed array cannot hold a tensor; a
// float32 one rounds what is stored, adNumFit, as the Float32Array would),
// adWrapNums for a vector made a Tensor. Any other operation of numbers on a
// device value (a comparison, a branch, the tape) is a TypeError that says so
// (adNumPlain). Code that no such value reaches is emitted as before.
import { type Atom, type Expr, type Fn, lit, namesFor, NUM, type Stmt, type Type, v, walk } from "../ir/ir.js";
import { ruleOf } from "../rules/index.js";

/** Number arithmetic on possibly-device numbers, by the runtime helper's rule. */
const HELPER: Record<string, string> = { add: "ad.numAdd", sub: "ad.numSub", mul: "ad.numMul", div: "ad.numDiv", neg: "ad.numNeg" };
/** Math functions (and `**`) that have a tensor op of the same name: adNumMath runs that op on a device number. */
const MATH = new Set(["exp", "log", "sqrt", "sin", "cos", "tanh", "pow"]);

type Taint = { vars: Map<string, Set<string>>; results: Map<string, Set<number>>; params: Map<string, Set<number>> };

const carries = (t: Type | undefined) => t?.k === "num" || t?.k === "vec";

/** The functions (by name) with their possibly-device numbers emitted through the helpers. */
export function deviceNumbers(fns: Map<string, Fn>): Map<string, Fn> {
  const taint = analyse(fns);
  const out = new Map<string, Fn>();
  for (const [name, fn] of fns) {
    const set = taint.vars.get(name)!;
    out.set(name, set.size ? rewrite(fn, set) : fn);
  }
  return out;
}

/** A fixpoint over all functions: which variables, parameters and results may hold a device number. */
function analyse(fns: Map<string, Fn>): Taint {
  const t: Taint = { vars: new Map(), results: new Map(), params: new Map() };
  for (const name of fns.keys()) (t.vars.set(name, new Set()), t.results.set(name, new Set()), t.params.set(name, new Set()));
  let changed = true;
  const add = <T>(s: Set<T>, x: T) => {
    if (s.has(x)) return false;
    s.add(x);
    return (changed = true);
  };
  while (changed) {
    changed = false;
    for (const [name, fn] of fns) {
      const S = t.vars.get(name)!;
      fn.params.forEach((p, i) => t.params.get(name)!.has(i) && add(S, p.name));
      const has = (a: Atom) => a.k === "var" && S.has(a.name);
      const mark = (x: string) => carries(fn.vars.get(x)) && add(S, x);
      walk(fn.body, (s) => {
        if (s.k === "let") {
          if (sourceOf(s.e, fn.vars.get(s.dst)) || readsTainted(s.e, has)) mark(s.dst);
          // a vector copied by reference is one array: both names hold it
          if (s.e.k === "atom" && s.e.a.k === "var" && fn.vars.get(s.dst)?.k === "vec" && S.has(s.dst)) mark(s.e.a.name);
        } else if (s.k === "store") {
          if (s.arr.k === "var" && has(s.value)) mark(s.arr.name);
        } else if (s.k === "call") {
          const callee = fns.get(s.fn);
          if (!callee) return;
          const cp = t.params.get(s.fn)!;
          s.args.forEach((a, i) => {
            const p = callee.params[i];
            if (!p || !carries(p.type)) return;
            if (has(a)) add(cp, i);
            // a vector argument is shared: what the callee stores into it, the caller holds
            if (p.type.k === "vec" && cp.has(i) && a.k === "var") mark(a.name);
          });
          const cr = t.results.get(s.fn)!;
          s.dsts.forEach((d, j) => cr.has(j) && mark(d));
        } else if (s.k === "return") {
          s.values.forEach((a, j) => has(a) && add(t.results.get(name)!, j));
        }
      });
    }
  }
  return t;
}

/** A tensor primitive giving a number (a sum, `.item()`): a 0-d device tensor when its tensors are on the device. */
function sourceOf(e: Expr, type: Type | undefined): boolean {
  if (e.k !== "prim" || type?.k !== "num") return false;
  const r = ruleOf(e.op);
  return r.tensor && !r.zero;
}

function readsTainted(e: Expr, has: (a: Atom) => boolean): boolean {
  switch (e.k) {
    case "atom": return has(e.a);
    case "prim": return !ruleOf(e.op).tensor && e.args.some(has);
    case "load": return has(e.arr);
    case "veclit": return e.items.some(has);
    case "copyvec": return has(e.src);
    default: return false;
  }
}

function rewrite(fn: Fn, S: Set<string>): Fn {
  const names = namesFor(fn);
  const vars = new Map(fn.vars);
  const has = (a: Atom) => a.k === "var" && S.has(a.name);
  const fresh = (base: string, type: Type) => {
    const n = names.claim(base);
    vars.set(n, type);
    return n;
  };
  const block = (list: Stmt[]): Stmt[] => list.flatMap((s) => stmt(s));
  const stmt = (s: Stmt): Stmt[] => {
    switch (s.k) {
      case "let": return letStmt(s, fresh, has, S);
      case "store": {
        if (!(s.arr.k === "var" && S.has(s.arr.name))) return [s];
        // into an array of possibly-device numbers: arr[i] = adNumFit(adNumAdd(arr[i], x), arr) (+=),
        // rounded as the Float32Array it stands for would round
        const out: Stmt[] = [];
        let value = s.value;
        if (s.accum) {
          const old = fresh("ct", NUM);
          const sum = fresh("ct", NUM);
          out.push({ k: "let", dst: old, e: { k: "load", arr: s.arr, index: s.index }, loc: s.loc });
          out.push({ k: "let", dst: sum, e: { k: "prim", op: HELPER.add, args: [v(old), s.value] }, loc: s.loc });
          value = v(sum);
        }
        if (value.k === "var") {
          const fit = fresh("ct", NUM);
          out.push({ k: "let", dst: fit, e: { k: "prim", op: "ad.numFit", args: [value, s.arr] }, loc: s.loc });
          value = v(fit);
        }
        out.push({ k: "store", arr: s.arr, index: s.index, value, loc: s.loc });
        return out;
      }
      case "push": {
        // the tape is a Float64Array: a device value there is an error that says so (no reverse sweep pushes a cotangent)
        if (!has(s.a)) return [s];
        const g = fresh("n", NUM);
        return [{ k: "let", dst: g, e: { k: "prim", op: "ad.numPlain", args: [s.a], attrs: ["the tape"] } }, { k: "push", a: v(g) }];
      }
      case "if": return [{ ...s, then: block(s.then), else: block(s.else) }];
      case "loop": return [{ ...s, pre: block(s.pre), body: block(s.body) }];
      case "for": return [{ ...s, body: block(s.body) }];
      default: return [s];
    }
  };
  return { ...fn, vars, body: block(fn.body) };
}

function letStmt(
  s: Extract<Stmt, { k: "let" }>,
  fresh: (base: string, type: Type) => string,
  has: (a: Atom) => boolean,
  S: Set<string>,
): Stmt[] {
  const e = s.e;
  const tainted = S.has(s.dst);
  const at = (x: Expr): Stmt => ({ ...s, e: x });
  if (e.k === "newvec" && tainted) return [at({ k: "prim", op: "ad.numVec", args: e.f32 ? [e.len, lit(true)] : [e.len] })];
  if (e.k === "copyvec" && tainted) return [at({ k: "prim", op: "ad.numCopy", args: [e.src] })];
  if (e.k === "wrap" && has(e.data)) return [at({ ...e, nums: true })];
  // a tensor's one element: a 0-d tensor on the device (which reads nothing synchronously)
  if (e.k === "prim" && e.op === "t.item") return [at({ ...e, op: "ad.item" })];
  if (e.k !== "prim" || ruleOf(e.op).tensor || !e.args.some(has)) return [s];
  if (tainted && HELPER[e.op]) return [at({ k: "prim", op: HELPER[e.op], args: e.args, attrs: e.attrs })];
  if (tainted && MATH.has(e.op)) return [at({ k: "prim", op: "ad.numMath", args: e.args, attrs: [e.op] })];
  // a test of definedness, or a choice between values (c ? a : b), takes a tensor as it is
  if (e.op === "isundef" || (e.op === "select" && !has(e.args[0]))) return [s];
  // any other operation of numbers: a device value there is an error that says so
  const pre: Stmt[] = [];
  const args = e.args.map((a) => {
    if (!has(a)) return a;
    const g = fresh("n", NUM);
    pre.push({ k: "let", dst: g, e: { k: "prim", op: "ad.numPlain", args: [a], attrs: [e.op] }, loc: s.loc });
    return v(g);
  });
  return [...pre, at({ ...e, args })];
}
