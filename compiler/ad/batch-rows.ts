// A top-level vmap's row loop without per-row buffers. A row of a batch of
// vectors that the row only reads by index is read from the batch's storage
// at row·n + k (no view object per row); a vector result the row builds — a
// literal [a, b, c], or a Jacobian block allocated for the row — is written
// straight into the batch's storage at row·size + k (no allocation, Tensor
// wrap and copy per row). Only where every use of the buffer is a load, a
// store or its length; anything else keeps the general path. Top-level vmaps
// only: nothing differentiates these loops.
import { type Atom, type Dim, lit, type Names, NUM, type Stmt, type Type, v, VEC, walk, exprReads, stmtReads } from "../ir/ir.js";

type Let = Extract<Stmt, { k: "let" }>;

/** Every read of `name` in `stmts` (nested blocks included), as [statement, how]. */
function usesOf(stmts: Stmt[], name: string): { s: Stmt; how: "load" | "len" | "store" | "other" }[] {
  const out: { s: Stmt; how: "load" | "len" | "store" | "other" }[] = [];
  walk(stmts, (s) => {
    if (s.k === "let" && s.e.k === "load" && s.e.arr.k === "var" && s.e.arr.name === name) {
      if (!(s.e.index.k === "var" && s.e.index.name === name)) out.push({ s, how: "load" });
      else out.push({ s, how: "other" });
      return;
    }
    if (s.k === "let" && s.e.k === "len" && s.e.arr.k === "var" && s.e.arr.name === name) return void out.push({ s, how: "len" });
    if (s.k === "store" && s.arr.k === "var" && s.arr.name === name) {
      const other = [s.index, s.value].some((a) => a.k === "var" && a.name === name);
      return void out.push({ s, how: other ? "other" : "store" });
    }
    const reads = s.k === "let" ? exprReads(s.e) : stmtReads(s);
    if (reads.some((a) => a.k === "var" && a.name === name)) out.push({ s, how: "other" });
  });
  return out;
}

/** The statements defining `name` (nested blocks included). */
function defsOf(stmts: Stmt[], name: string): Stmt[] {
  const out: Stmt[] = [];
  walk(stmts, (s) => {
    if ((s.k === "let" && s.dst === name) || (s.k === "call" && s.dsts.includes(name)) || (s.k === "for" && s.index === name)) out.push(s);
  });
  return out;
}

/** Replaces statements (nested blocks included): `f` returns the replacement list, or undefined to keep one. */
function rewrite(stmts: Stmt[], f: (s: Stmt) => Stmt[] | undefined): Stmt[] {
  return stmts.flatMap((s) => {
    const r = f(s);
    if (r) return r;
    if (s.k === "if") return [{ ...s, then: rewrite(s.then, f), else: rewrite(s.else, f) }];
    if (s.k === "loop") return [{ ...s, pre: rewrite(s.pre, f), body: rewrite(s.body, f) }];
    if (s.k === "for") return [{ ...s, body: rewrite(s.body, f) }];
    return [s];
  });
}

export interface RowsCtx {
  names: Names;
  vars: Map<string, Type>;
  row: string;
  B: Atom;
}

const fresh = (c: RowsCtx, base: string, t: Type) => {
  const n = c.names.claim(base);
  c.vars.set(n, t);
  return n;
};

/**
 * Loads and stores of `buf` redirected to `data` at `base` + index; its length read as `size`. With
 * `guard`, a load outside [0, size) reads index -1 (undefined, as the row's own array gives), not a
 * neighbouring row: a user's program may read past its end (`x[i]` after the last i).
 */
function redirect(c: RowsCtx, body: Stmt[], buf: string, data: string, base: string, size: Atom, guard = false, known = 0): Stmt[] {
  return rewrite(body, (s) => {
    if (s.k === "let" && s.e.k === "load" && s.e.arr.k === "var" && s.e.arr.name === buf) {
      const k = fresh(c, "k", NUM);
      const at: Stmt = { k: "let", dst: k, e: { k: "prim", op: "add", args: [s.e.index, v(base)] } };
      // (a literal index below the length every row is known to have needs no guard)
      const i = s.e.index;
      const inRow = i.k === "lit" && typeof i.v === "number" && Number.isInteger(i.v) && i.v >= 0 && i.v < known;
      if (!guard || inRow) return [at, { ...s, e: { k: "load", arr: v(data), index: v(k) } }];
      const [lo, hi, inside, safe] = [fresh(c, "lo", { k: "bool" }), fresh(c, "hi", { k: "bool" }), fresh(c, "inside", { k: "bool" }), fresh(c, "k", NUM)];
      return [
        at,
        { k: "let", dst: lo, e: { k: "prim", op: "ge", args: [s.e.index, lit(0)] } },
        { k: "let", dst: hi, e: { k: "prim", op: "lt", args: [s.e.index, size] } },
        { k: "let", dst: inside, e: { k: "prim", op: "and", args: [v(lo), v(hi)] } },
        { k: "let", dst: safe, e: { k: "prim", op: "select", args: [v(inside), v(k), lit(-1)] } },
        { ...s, e: { k: "load", arr: v(data), index: v(safe) } },
      ];
    }
    if (s.k === "let" && s.e.k === "len" && s.e.arr.k === "var" && s.e.arr.name === buf) return [{ ...s, e: { k: "atom", a: size } }];
    if (s.k === "store" && s.arr.k === "var" && s.arr.name === buf) {
      const k = fresh(c, "k", NUM);
      return [{ k: "let", dst: k, e: { k: "prim", op: "add", args: [s.index, v(base)] } }, { ...s, arr: v(data), index: v(k) }];
    }
    return undefined;
  });
}

/**
 * A batched vector argument's row, `x = ad.rowView(outer, row)` at the top of the body, read from the
 * batch's storage where the row only loads from it and reads its length. Returns the new body and
 * the statements for before the loop, or undefined.
 */
export function rowsInPlace(c: RowsCtx, body: Stmt[], x: string, outer: Atom, dim: number, known = 0): { body: Stmt[]; pre: Stmt[] } | undefined {
  if (dim !== 0 && dim !== -2) return undefined;
  if (defsOf(body, x).length !== 1) return undefined;
  // (the view may be copied into the parameter's own name first)
  let name = x;
  const copies = body.filter((s): s is Let => s.k === "let" && s.e.k === "atom" && s.e.a.k === "var" && s.e.a.name === x);
  if (copies.length === 1 && defsOf(body, copies[0].dst).length === 1 && usesOf(body, x).length === 1) name = copies[0].dst;
  if (usesOf(body, name).some((u) => u.how !== "load" && u.how !== "len")) return undefined;
  const n = fresh(c, `${name}_n`, NUM), data = fresh(c, `${name}_rows`, VEC), base = fresh(c, `${name}_at`, NUM);
  const pre: Stmt[] = [
    { k: "let", dst: n, e: { k: "prim", op: "ad.rowLen", args: [outer] } },
    { k: "let", dst: data, e: { k: "tdata", t: outer } },
  ];
  let out = body.filter((s) => !(s.k === "let" && (s.dst === x || (name !== x && s.dst === name))));
  out = [{ k: "let", dst: base, e: { k: "prim", op: "mul", args: [v(c.row), v(n)] } }, ...redirect(c, out, name, data, base, v(n), true, known)];
  return { body: out, pre };
}

/**
 * A vector result `val` of the row built as a literal or as a Jacobian block, written into the batch's
 * storage `out` in place. Returns the new body, the statements for before the loop and the batched
 * result after it (a Tensor [B, ...the row's shape]), or undefined.
 */
export function resultInPlace(c: RowsCtx, body: Stmt[], val: string, out: string): { body: Stmt[]; pre: Stmt[]; dims: Dim[]; f32?: boolean; lazy?: boolean } | undefined {
  const defs = defsOf(body, val);
  if (defs.length !== 1 || defs[0].k !== "let" || !body.includes(defs[0])) return undefined;
  if (usesOf(body, val).length) return undefined;
  const def = defs[0] as Let;
  const base = fresh(c, `${out}_at`, NUM);
  if (def.e.k === "veclit") {
    const items = def.e.items;
    const f32 = !!def.e.f32;
    const pre: Stmt[] = [{ k: "let", dst: out, e: { k: "prim", op: "ad.newRows", args: [c.B, lit(items.length)], attrs: [f32] } }];
    const stores: Stmt[] = [{ k: "let", dst: base, e: { k: "prim", op: "mul", args: [v(c.row), lit(items.length)] } }];
    items.forEach((a, j) => {
      const k = fresh(c, "k", NUM);
      stores.push({ k: "let", dst: k, e: { k: "prim", op: "add", args: [v(base), lit(j)] } }, { k: "store", arr: v(out), index: v(k), value: a });
    });
    return { body: body.flatMap((s) => (s === def ? stores : [s])), pre, dims: [{ size: lit(items.length) }], f32 };
  }
  if (def.e.k !== "wrap" || def.e.nums || def.e.data.k !== "var") return undefined;
  const buf = def.e.data.name;
  const bufDefs = defsOf(body, buf);
  const alloc = bufDefs[0];
  if (bufDefs.length !== 1 || alloc.k !== "let" || !body.includes(alloc) || alloc.e.k !== "newvec" || !alloc.e.jac) return undefined;
  if (usesOf(body, buf).some((u) => u.s !== def && u.how === "other")) return undefined;
  const { len, f32, jac } = alloc.e;
  // (after the loop the dims are read from the last row: a vector's length is kept as a number, the vector itself may be gone)
  const lens: Stmt[] = [];
  const dims = def.e.dims.map((d): Dim => {
    if ("size" in d || d.shapeOf.k !== "var" || c.vars.get(d.shapeOf.name)?.k !== "vec") return d;
    const n = fresh(c, "n", NUM);
    lens.push({ k: "let", dst: n, e: { k: "len", arr: d.shapeOf } });
    return { size: v(n) };
  });
  // at row 0 the batch's storage (the same size check as a block's), later rows the same size
  // (no call and no shape array per row: row 0 allocates, the others compare one number)
  const isFirst = fresh(c, "first", { k: "bool" });
  const first: Stmt[] = [
    { k: "let", dst: isFirst, e: { k: "prim", op: "eq", args: [v(c.row), lit(0)] } },
    {
      k: "if",
      cond: v(isFirst),
      then: [{ k: "let", dst: out, e: { k: "prim", op: "ad.rowsAlloc", args: [c.B, ...jac.shape], attrs: [jac.label, !!f32] } }],
      else: [{ k: "effect", op: "ad.rowsSize", args: [v(out), c.B, len, v(c.row)] }],
    },
    { k: "let", dst: base, e: { k: "prim", op: "mul", args: [v(c.row), len] } },
  ];
  const kept = body.flatMap((s) => (s === alloc ? first : s === def ? lens : [s]));
  return { body: redirect(c, kept, buf, out, base, len), pre: [], dims, f32: !!f32, lazy: true };
}
