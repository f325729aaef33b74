// Array methods inside differentiated code, as JavaScript defines them:
// `xs.map`, `forEach`, `reduce`, `some`, `every`, `find`, `findIndex`,
// `filter`, `sort`, `includes`, `indexOf`, `slice`, `concat`, `reduceRight`, `at`, `Array.from`,
// spreads in array literals and in Math.max / min / hypot. Each is a loop over the
// elements (of a numeric array, a differentiated array of records, or a
// constant array of rows or records), so every transform sees ordinary loads,
// stores and loops; a callback written in place is inlined (FnLowerer.callback).
import ts from "typescript";
import { type Atom, BOOL, leavesOf, lit, NUM, OPAQUE, type Stmt, type Tree, v, VEC } from "../ir/ir.js";
import { fail } from "./diagnostics.js";
import type { FnLowerer, Val } from "./lower.js";

/** An array's length and elements, as FnLowerer.elementsOf reads them. */
type Elements = NonNullable<ReturnType<FnLowerer["elementsOf"]>>;

/** The methods of arrays lowered here. */
export const ARRAY_METHODS = new Set(["map", "forEach", "reduce", "reduceRight", "some", "every", "find", "findIndex", "filter", "slice", "concat", "sort", "includes", "indexOf", "reverse", "fill", "at"]);

/** `recv.name(...)` for an array method (ARRAY_METHODS), or undefined when `recv` is no array jacc can loop over. */
export function arrayMethod(lw: FnLowerer, name: string, recv: Val, args: readonly ts.Expression[], e: ts.Node): Val | undefined {
  const els = lw.elementsOf(recv);
  if (!els) return undefined;
  // (a differentiated array of Tensors is read, never copied into a new array: runtime/tensor-list.ts)
  if (recv.k === "atom" && lw.tensorList(recv.a) && !["map", "forEach", "reduce", "reduceRight", "some", "every", "findIndex"].includes(name)) {
    fail(e, "unsupported-construct", `\`.${name}\` of a differentiated array of Tensors is not supported: index it, loop over it, or use map, forEach, reduce, some, every or findIndex`);
  }
  const b = lw.b;
  const needsCallback = !["slice", "concat", "includes", "indexOf", "reverse", "fill", "at"].includes(name);
  if (needsCallback && name === "sort" && !args.length) fail(e, "unsupported-construct", "`.sort()` without a comparator sorts numbers as strings in JavaScript; give one (`(a, b) => a - b`)");
  if (needsCallback && !args.length) fail(e, "arity", `\`.${name}\` needs a callback`);
  if (args.some((a) => ts.isSpreadElement(a))) fail(e, "unsupported-construct", `spread arguments of \`.${name}\` are not supported`);
  const max = name === "reduce" || name === "reduceRight" || name === "slice" ? 2 : name === "concat" ? Infinity : name === "reverse" ? 0 : name === "fill" ? 3 : 1;
  if (args.length > max) fail(args[max], "arity", `\`.${name}\` takes ${max || "no"} argument${max === 1 ? "" : "s"} here${max === 1 ? " (no thisArg)" : ""}`);
  if (name === "fill" && !args.length) fail(e, "arity", "`.fill` needs a value");
  const num = (val: Val | undefined, what: string): Atom => {
    if (!val || val.k !== "atom" || (val.t.k !== "num" && val.t.k !== "bool")) fail(args[0], "unsupported-construct", `the callback of \`.${name}\` must return ${what} here`);
    return val.a;
  };
  const loop = (n: Atom, body: (i: Atom) => void): void => counted(lw, lit(0), n, body);
  // JavaScript's relative indices (slice, fill): negative counts from the end, both clamped to [0, n]
  const rel = (a: ts.Expression | undefined, dflt: Atom): Atom => {
    if (!a) return dflt;
    const n = els.n;
    const x = b.p("trunc", lw.num(a));
    const neg = b.p("max", b.p("add", n, x), lit(0));
    const pos = b.p("min", x, n);
    const r = lw.numVar("at");
    b.emit({ k: "if", cond: b.p("lt", x, lit(0)), then: b.sub(() => b.assign(r, { k: "atom", a: neg })), else: b.sub(() => b.assign(r, { k: "atom", a: pos })) });
    return v(r);
  };
  // (the in-place methods: on a numeric array the function made, written through storeInto's checks)
  const inPlace = (): Atom => {
    if (!isVec(recv) || els.list !== undefined) fail(e, "unsupported-construct", `\`.${name}\` is supported on numeric arrays the function made (${name} a copy: \`xs.slice().${name}(…)\`)`);
    return (recv as { a: Atom }).a;
  };
  const site = ts.isCallExpression(e) && ts.isPropertyAccessExpression(e.expression) ? e.expression.expression : (e as ts.Expression);
  switch (name) {
    case "map": {
      // a new array of the callback's numbers (an array of records maps to numbers too)
      const out = b.let("mapped", VEC, { k: "newvec", len: els.n });
      loop(els.n, (i) => b.emit({ k: "store", arr: out, index: i, value: num(lw.callback(args[0], [els.item(i), { k: "atom", a: i, t: NUM }, recv], name), "a number (an array of numbers)") }));
      return { k: "atom", a: out, t: VEC };
    }
    case "forEach":
      loop(els.n, (i) => void lw.callback(args[0], [els.item(i), { k: "atom", a: i, t: NUM }, recv], name));
      return { k: "atom", a: lit(undefined), t: NUM };
    case "reduce": {
      // without an initial value the first element starts (an empty array then gives NaN where JavaScript throws)
      const acc = lw.numVar("acc");
      const first = args.length < 2;
      b.assign(acc, { k: "atom", a: first ? num(els.item(lit(0)), "a number") : lw.num(args[1]) });
      counted(lw, lit(first ? 1 : 0), els.n, (i) => {
        const r = lw.callback(args[0], [{ k: "atom", a: v(acc), t: NUM }, els.item(i), { k: "atom", a: i, t: NUM }, recv], name);
        b.assign(acc, { k: "atom", a: num(r, "a number (the accumulator)") });
      });
      return { k: "atom", a: v(acc), t: NUM };
    }
    case "reduceRight": {
      // reduce from the last element to the first (without an initial value the last one starts)
      const acc = lw.numVar("acc");
      const first = args.length < 2;
      const last = (k: number) => b.p("sub", els.n, lit(k));
      b.assign(acc, { k: "atom", a: first ? num(els.item(last(1)), "a number") : lw.num(args[1]) });
      counted(lw, lit(first ? 1 : 0), els.n, (k) => {
        const i = b.p("sub", b.p("sub", els.n, lit(1)), k);
        const r = lw.callback(args[0], [{ k: "atom", a: v(acc), t: NUM }, els.item(i), { k: "atom", a: i, t: NUM }, recv], name);
        b.assign(acc, { k: "atom", a: num(r, "a number (the accumulator)") });
      });
      return { k: "atom", a: v(acc), t: NUM };
    }
    case "at": {
      // xs.at(i): a negative i counts from the end; undefined outside the array, as JavaScript's
      if (!isVec(recv) || els.list !== undefined) fail(e, "unsupported-construct", "`.at` is supported on numeric arrays here");
      if (args.length !== 1) fail(e, "arity", "`.at` takes one index");
      const x = b.p("trunc", lw.num(args[0]));
      const i = lw.numVar("at");
      b.emit({ k: "if", cond: b.p("lt", x, lit(0)), then: b.sub(() => b.assign(i, { k: "atom", a: b.p("add", els.n, x) })), else: b.sub(() => b.assign(i, { k: "atom", a: x })) });
      const out = lw.numVar("item");
      b.assign(out, { k: "atom", a: lit(undefined) });
      const inside = b.p("and", b.p("ge", v(i), lit(0)), b.p("lt", v(i), els.n));
      b.emit({ k: "if", cond: inside, then: b.sub(() => b.assign(out, { k: "atom", a: b.let("el", NUM, { k: "load", arr: (recv as { a: Atom }).a, index: v(i) }) })), else: [] });
      return { k: "atom", a: v(out), t: NUM };
    }
    case "filter": {
      // the elements the callback keeps, appended to a growing array (an array of records stays one)
      const out = lw.growing();
      loop(els.n, (i) => {
        const el = els.item(i);
        // (records kept from a constant array too: the result is an array of those records' numbers, read as records)
        const shape = lw.structureOf(el);
        if (shape !== undefined) lw.markList(out, shape);
        const r = lw.callback(args[0], [el, { k: "atom", a: i, t: NUM }, recv], name);
        const keep = truthy(b, num(r, "a boolean"), r!);
        b.emit({ k: "if", cond: keep, then: b.sub(() => lw.append(out, lw.leaves(el, e), e as ts.Expression)), else: [] });
      });
      return { k: "atom", a: out, t: VEC };
    }
    case "find":
    case "findIndex": {
      // the first element (its index) the callback accepts, else undefined (−1); stops there as JavaScript does
      if (name === "find" && (els.list !== undefined || !isVec(recv))) fail(e, "unsupported-construct", "`.find` is supported on numeric arrays here (use findIndex and index the array)");
      const at = firstHit(lw, els.n, (i) => {
        const r = lw.callback(args[0], [els.item(i), { k: "atom", a: i, t: NUM }, recv], name);
        return truthy(b, num(r, "a boolean"), r!);
      });
      if (name === "findIndex") return { k: "atom", a: at, t: NUM };
      const out = lw.numVar("item");
      b.assign(out, { k: "atom", a: lit(undefined) });
      const src = (recv as { a: Atom }).a;
      b.emit({ k: "if", cond: b.p("ge", at, lit(0)), then: b.sub(() => b.assign(out, { k: "atom", a: b.let("el", NUM, { k: "load", arr: src, index: at }) })), else: [] });
      return { k: "atom", a: v(out), t: NUM };
    }
    case "some":
    case "every": {
      // the first element that decides (some: accepted, every: refused); the callback runs no further, as in JavaScript
      const at = firstHit(lw, els.n, (i) => {
        const r = lw.callback(args[0], [els.item(i), { k: "atom", a: i, t: NUM }, recv], name);
        const ok = truthy(b, num(r, "a boolean"), r!);
        return name === "some" ? ok : b.p("not", ok);
      });
      return { k: "atom", a: b.p(name === "some" ? "ge" : "lt", at, lit(0)), t: BOOL };
    }
    case "slice":
      return sliced(lw, recv, els, rel(args[0], lit(0)), rel(args[1], els.n));
    case "reverse": {
      // in place: a[i] and a[n − 1 − i] swapped for i < ⌊n / 2⌋
      const arr = inPlace();
      counted(lw, lit(0), b.p("floor", b.p("div", els.n, lit(2))), (i) => {
        const j = b.p("sub", b.p("sub", els.n, lit(1)), i);
        const lo = b.let("el", NUM, { k: "load", arr, index: i });
        const hi = b.let("el", NUM, { k: "load", arr, index: j });
        lw.storeInto(arr, i, hi, site);
        lw.storeInto(arr, j, lo, site);
      });
      return recv;
    }
    case "fill": {
      // in place: value at [start, end), relative indices as slice's
      const arr = inPlace();
      const value = lw.num(args[0]);
      const start = rel(args[1], lit(0));
      const end = rel(args[2], els.n);
      counted(lw, start, end, (i) => lw.storeInto(arr, i, value, site));
      return recv;
    }
    case "sort": {
      // in place, stable, as JavaScript's: an insertion sort whose comparisons are the comparator's (O(n²): for short arrays)
      if (!isVec(recv) || els.list !== undefined) fail(e, "unsupported-construct", "`.sort` is supported on numeric arrays the function made (sort a copy: `xs.slice().sort(…)`)");
      const arr = (recv as { a: Atom }).a;
      const at = site;
      counted(lw, lit(1), els.n, (i) => {
        const key = lw.numVar("key");
        b.assign(key, { k: "atom", a: b.let("el", NUM, { k: "load", arr, index: i }) });
        const j = lw.numVar("j");
        b.assign(j, { k: "atom", a: b.p("sub", i, lit(1)) });
        const after = lw.numVar("after", BOOL);
        let cond: Atom = lit(true);
        const pre = b.sub(() => {
          // a[j] comes after the key: only while j ≥ 0 (the comparator is not called past the start)
          b.assign(after, { k: "atom", a: lit(false) });
          const then = b.sub(() => {
            const r = lw.callback(args[0], [{ k: "atom", a: b.let("el", NUM, { k: "load", arr, index: v(j) }), t: NUM }, { k: "atom", a: v(key), t: NUM }], name);
            b.assign(after, { k: "atom", a: b.p("gt", num(r, "a number"), lit(0)) });
          });
          b.emit({ k: "if", cond: b.p("ge", v(j), lit(0)), then, else: [] });
          cond = v(after);
        });
        const body = b.sub(() => {
          lw.storeInto(arr, b.p("add", v(j), lit(1)), b.let("el", NUM, { k: "load", arr, index: v(j) }), at);
          b.assign(j, { k: "atom", a: b.p("sub", v(j), lit(1)) });
        });
        b.emit({ k: "loop", pre, cond, body });
        lw.storeInto(arr, b.p("add", v(j), lit(1)), v(key), at);
      });
      return recv;
    }
    case "includes":
    case "indexOf": {
      // === for indexOf, SameValueZero for includes (NaN is found); never differentiated
      if (!isVec(recv) || els.list !== undefined) fail(e, "unsupported-construct", `\`.${name}\` is supported on numeric arrays here`);
      if (args.length !== 1) fail(e, "arity", `\`.${name}\` takes one value here (no fromIndex)`);
      const x = lw.num(args[0]);
      const at = firstHit(lw, els.n, (i) => {
        const el = (els.item(i) as { a: Atom }).a;
        const same = b.p("eq", el, x);
        return name === "includes" ? b.p("or", same, b.p("and", b.p("ne", el, el), b.p("ne", x, x))) : same;
      });
      return name === "indexOf" ? { k: "atom", a: at, t: NUM } : { k: "atom", a: b.p("ge", at, lit(0)), t: BOOL };
    }
    case "concat": {
      if (!isVec(recv) || els.list !== undefined) fail(e, "unsupported-construct", "`.concat` is supported for numeric arrays");
      return joined(lw, [{ spread: recv }, ...args.map((a) => concatPart(lw, a))], e);
    }
  }
  return undefined;
}

/** The elements of `recv` from `start` to `end` (clamped already) as a new array, or a constant's slice read in place. */
export function sliced(lw: FnLowerer, recv: Val, els: Elements, start: Atom, end: Atom): Val {
  const b = lw.b;
  const len = b.p("max", b.p("sub", end, start), lit(0));
  const src = (recv as { a: Atom }).a;
  if (els.list === undefined && !isVec(recv)) {
    // a constant array of rows or records: its slice, a constant read in place as the array is
    const out = b.let("sliced", OPAQUE, { k: "prim", op: "slice", args: [src, start, end] });
    lw.sameConstant(out, src);
    return { k: "atom", a: out, t: OPAQUE };
  }
  // (an array of records' numbers: k per element)
  const k = els.list === undefined ? 1 : widthOf(els.list);
  const total = k === 1 ? len : b.p("mul", len, lit(k));
  const out = b.let("sliced", VEC, { k: "newvec", len: total });
  counted(lw, lit(0), total, (i) => {
    const from = b.p("add", i, k === 1 ? start : b.p("mul", start, lit(k)));
    b.emit({ k: "store", arr: out, index: i, value: b.let("el", NUM, { k: "load", arr: src, index: from }) });
  });
  if (els.list !== undefined) lw.markList(out, els.list);
  return { k: "atom", a: out, t: VEC };
}

/**
 * `Array.from({ length: n }, (_, i) => …)`, `Array.from(xs, f)` and
 * `Float64Array.from(xs, f)`: a new numeric array of the callback's numbers
 * (`Array.from(xs)` alone is the copy the caller makes).
 */
export function arrayFrom(lw: FnLowerer, e: ts.CallExpression, ctor: string): Val {
  const b = lw.b;
  const [src, cb] = e.arguments;
  if (!src || !cb || e.arguments.length > 2) fail(e, "arity", `\`${ctor}.from\` takes an array (or { length: n }) and a function here (no thisArg)`);
  const s = ts.isParenthesizedExpression(src) ? src.expression : src;
  if (ts.isObjectLiteralExpression(s)) {
    const p = s.properties[0];
    if (s.properties.length !== 1 || !ts.isPropertyAssignment(p) || p.name.getText() !== "length") fail(src, "unsupported-construct", `\`${ctor}.from\` takes { length: n } or an array here`);
    const n = lw.num(p.initializer);
    const out = b.let("made", VEC, { k: "newvec", len: n });
    counted(lw, lit(0), n, (i) => {
      const r = lw.callback(cb, [{ k: "atom", a: lit(undefined), t: NUM }, { k: "atom", a: i, t: NUM }], "from");
      if (!r || r.k !== "atom" || r.t.k !== "num") fail(cb, "unsupported-construct", `the function of \`${ctor}.from\` must return a number here`);
      b.emit({ k: "store", arr: out, index: i, value: r.a });
    });
    return { k: "atom", a: out, t: VEC };
  }
  const recv = lw.expr(src);
  const mapped = arrayMethod(lw, "map", recv, [cb], e);
  if (!mapped) fail(src, "unsupported-construct", `\`${ctor}.from\` takes a numeric array, an array of records or { length: n } here`);
  return mapped;
}

/** A callback's value as a condition: a boolean, or a number ≠ 0 (as conditions read numbers). */
function truthy(b: FnLowerer["b"], a: Atom, r: Val): Atom {
  return r.k === "atom" && r.t.k === "bool" ? a : b.p("ne", a, lit(0));
}

const isVec = (val: Val): boolean => val.k === "atom" && val.t.k === "vec";
const widthOf = (list: Tree): number => leavesOf(list).length;

/** concat's argument: an array is spread, a number appended (as JavaScript's concat does). */
function concatPart(lw: FnLowerer, a: ts.Expression): { spread: Val } | { item: Atom } {
  const val = lw.expr(a);
  if (isVec(val) && lw.listOf(val) === undefined) return { spread: val };
  if (val.k === "atom" && val.t.k === "num") return { item: val.a };
  return fail(a, "unsupported-construct", "`.concat` takes numeric arrays and numbers here");
}

/** A new array of the parts in order: the elements of each spread array, each single number. */
export function joined(lw: FnLowerer, parts: readonly ({ spread: Val } | { item: Atom })[], at: ts.Node): Val {
  const b = lw.b;
  let len: Atom = lit(0);
  const lens = parts.map((p) => {
    const n = "item" in p ? lit(1) : b.let("n", NUM, { k: "len", arr: (p.spread as { a: Atom }).a });
    len = len.k === "lit" && len.v === 0 ? n : b.p("add", len, n);
    return n;
  });
  if (parts.length === 0) fail(at, "unsupported-construct", "an empty array here");
  const out = b.let("joined", VEC, { k: "newvec", len });
  let off: Atom = lit(0);
  parts.forEach((p, j) => {
    if ("item" in p) b.emit({ k: "store", arr: out, index: off, value: p.item });
    else {
      const src = (p.spread as { a: Atom }).a;
      const at = off;
      counted(lw, lit(0), lens[j], (i) => {
        const to = at.k === "lit" && at.v === 0 ? i : b.p("add", i, at);
        b.emit({ k: "store", arr: out, index: to, value: b.let("el", NUM, { k: "load", arr: src, index: i }) });
      });
    }
    off = off.k === "lit" && off.v === 0 ? lens[j] : b.p("add", off, lens[j]);
  });
  return { k: "atom", a: out, t: VEC };
}

/** Math.max(...xs) / min / hypot with spread arguments: a fold over every number, from the empty call's value. */
export function mathFold(lw: FnLowerer, prim: "max" | "min" | "hypot", args: readonly ts.Expression[]): Atom {
  const b = lw.b;
  const acc = lw.numVar("acc");
  b.assign(acc, { k: "atom", a: lit(prim === "max" ? -Infinity : prim === "min" ? Infinity : 0) });
  // (a fresh value, then the move: the transforms read `acc = f(acc, x)` as an update of acc, never in place)
  const step = (x: Atom) => b.assign(acc, { k: "atom", a: b.p(prim, v(acc), x) });
  for (const a of args) {
    if (!ts.isSpreadElement(a)) {
      step(lw.num(a));
      continue;
    }
    const val = lw.expr(a.expression);
    const els = isVec(val) && lw.listOf(val) === undefined ? lw.elementsOf(val) : undefined;
    if (!els) fail(a, "unsupported-construct", `only a numeric array can be spread into \`Math.${prim}\``);
    counted(lw, lit(0), els.n, (i) => step((els.item(i) as { a: Atom }).a));
  }
  return v(acc);
}

/**
 * The first index below n where `hit(i)` holds, else −1: a loop that stops
 * there, as JavaScript's find, findIndex, indexOf and includes do (the test
 * runs no further).
 */
function firstHit(lw: FnLowerer, n: Atom, hit: (i: Atom) => Atom): Atom {
  const b = lw.b;
  const at = lw.numVar("found");
  b.assign(at, { k: "atom", a: lit(-1) });
  const i = lw.numVar("i");
  b.assign(i, { k: "atom", a: lit(0) });
  let cond: Atom = lit(true);
  const pre = b.sub(() => {
    cond = b.p("and", b.p("lt", v(i), n), b.p("lt", v(at), lit(0)));
  });
  const body = b.sub(() => {
    b.emit({ k: "if", cond: hit(v(i)), then: b.sub(() => b.assign(at, { k: "atom", a: v(i) })), else: [] });
    b.assign(i, { k: "atom", a: b.p("add", v(i), lit(1)) });
  });
  b.emit({ k: "loop", pre, cond, body });
  return v(at);
}

/**
 * `for (let i = from; i < n; i++) body(i)` in the shape the front end gives
 * every counted loop (a `loop` whose counter moves at the end of its body), so
 * the transforms meet nothing new.
 */
function counted(lw: FnLowerer, from: Atom, n: Atom, body: (i: Atom) => void): void {
  const b = lw.b;
  const i = lw.numVar("i");
  b.assign(i, { k: "atom", a: from });
  let cond: Atom = lit(true);
  const pre = b.sub(() => {
    cond = b.p("lt", v(i), n);
  });
  const stmts: Stmt[] = b.sub(() => {
    body(v(i));
    b.assign(i, { k: "atom", a: b.p("add", v(i), lit(1)) });
  });
  b.emit({ k: "loop", pre, cond, body: stmts });
}
