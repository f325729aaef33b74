// vmap as an IR → IR transform: the batched function is one loop over the batch
// rows with the function's body inlined, reading each row's inputs in place and
// writing each row's outputs into preallocated batched results. Control flow
// that depends on batched values is therefore per sample (each row takes its own
// branch). The result is ordinary IR — loads, stores, selects and `ad.putRow`,
// all differentiable — so jacrev(vmap(f)), vmap(vmap(f)) and vmap(jacrev(f))
// compose without special cases.
import { type Atom, Builder, type Fn, lit, Names, NUM, type Stmt, TENSOR, type Type, userName, v, VEC, walk } from "../ir/ir.js";
import { renameStmts } from "../opt/simplify.js";
import { initLocals, inlineCalls } from "../opt/inline.js";
import { driverInfo } from "./drivers.js";
import { hasStructuredTwin } from "./structured.js";
import type { Ctx } from "./jvp.js";
import { batchTensorFn, usesTensorOps } from "./batch-tensor.js";
import { gradLine, gradSources, hessianAsJacobian, hessSources } from "./grad-line.js";
import { batchJacobian, bySize, jacSources } from "./jac-batch.js";
import { withScalarRows } from "./batch-scalar.js";
import { resultInPlace, rowsInPlace, type RowsCtx } from "./batch-rows.js";
import { chooseFn } from "./wrapper.js";

export interface VmapSpec {
  inDims: (number | null)[]; // one per parameter
  outDims: (number | null)[]; // one per result
  label: string; // "vmap(f)", for run-time messages
  topLevel?: boolean; // only the user-facing entry calls it (no transform differentiates it)
  /** set when building the row loop that a batched vmap keeps for WebGPU arguments (the vmap's name) */
  rowsFor?: string;
  /** a literal chunkSize: the batched tensor path runs that many rows at a time (bounding memory) */
  chunkSize?: number;
  /** with rowsFor: why the row loop (its `vmap path:` line) */
  rowsWhy?: string;
  /** "same": every row sees the same random numbers (the k-th draw of each row is shared) */
  randomness?: string;
  /** per parameter, a length every row of it has (a run-time guard before the call checked it: ad/batch-scalar.ts) */
  minLen?: number[];
}

/** A batching problem the caller reports as a diagnostic at the marker. */
export class BatchError extends Error {}

/**
 * The core batched function: a batched number parameter is a vector of B
 * numbers, a batched vector or Tensor parameter a Tensor with the batch at its
 * in-dim; number results come back as vectors of B numbers, the others as
 * Tensors with the batch at their out-dim.
 */
export function buildVmap(ctx: Ctx, fName: string, spec: VmapSpec): string {
  const f = ctx.fns.get(fName)!;
  const last = f.body[f.body.length - 1];
  let returns = 0;
  walk(f.body, (s) => void (s.k === "return" && returns++));
  if (!last || last.k !== "return" || returns !== 1) throw new BatchError(`vmap: cannot batch \`${f.source ?? f.name}\` (it does not end in a single return)`);

  const fnName = ctx.fnNames.claim(spec.rowsFor ? `${spec.rowsFor}_rows` : `vmap_${f.source ?? f.name}`.replace(/[^A-Za-z0-9_$]/g, "_"));
  // tensor code at the top level: one op call per batch (compiler/ad/batch-tensor.ts), else the row loop below
  let path = "row loop (a program of numbers: one generated loop)";
  if (spec.rowsFor) path = spec.rowsWhy ?? "row loop (for WebGPU arguments)";
  else if (!spec.topLevel) path = "row loop (inside another transform, which differentiates the row loop)";
  else if (ctx.paths?.batch === false) path = "row loop (paths.batch is off)";
  else if (usesTensorOps(ctx, f)) {
    // vmap(grad(f)): the gradient as straight-line code, batched as a whole
    const src = gradSources.get(f);
    const line = src && gradLine(ctx, f, src);
    const hess = hessSources.get(f);
    const jac = jacSources.get(f) ?? (hess && hessianAsJacobian(ctx, hess));
    const batchedName = ctx.fnNames.claim(`${fnName}_batched`);
    const batched = jac ? batchJacobian(ctx, f, jac, spec, batchedName) : batchTensorFn(ctx, line ?? f, spec, batchedName);
    if (typeof batched !== "string") {
      const what = jac ? "the Jacobians from one batched jvp over the basis" : "one op call per batch";
      batched.body.unshift({ k: "comment", text: `vmap path: batched (${what})${spec.chunkSize ? `, in chunks of ${spec.chunkSize} rows` : ""}` });
      let core = spec.chunkSize ? chunked(ctx, batched, f, spec, spec.chunkSize, batchedName) : batched;
      ctx.fns.set(core.name, core);
      // WebGPU arguments keep the row loop (its ops dispatch one by one on the device; the batched helpers are CPU code)
      const rows = ctx.fns.get(buildVmap(ctx, fName, { ...spec, topLevel: false, rowsFor: fnName, minLen: undefined }))!;
      // the batched jvp recomputes the forward once per entry of the input: wide examples take the row loop
      if (jac) ctx.fns.set((core = bySize(ctx, f, core, rows, jac.argnum, spec.inDims[jac.argnum], ctx.fnNames.claim(`${fnName}_sized`))).name, core);
      // tensor code that computes with scalars: its program of numbers, where the arguments allow (ad/batch-scalar.ts)
      const scalar = src && line ? undefined : withScalarRows(ctx, f, jacSources.get(f), spec, () => core, ctx.fnNames.claim(`${fnName}_scalar`), buildVmap);
      if (scalar) ctx.fns.set(scalar.name, (core = scalar));
      return dispatch(ctx, f, fnName, core, rows);
    }
    path = `row loop (${batched.replace(/`/g, "'")})`;
    // no batched tensor code: the program-of-numbers twin where the arguments allow, the row loop elsewhere
    if (!(src && line)) {
      let rows: Fn | undefined;
      const why = path;
      const scalar = withScalarRows(ctx, f, jacSources.get(f), spec, () => (rows = ctx.fns.get(buildVmap(ctx, fName, { ...spec, rowsFor: fnName, rowsWhy: why, minLen: undefined }))!), fnName, buildVmap);
      if (scalar) {
        ctx.fns.set(fnName, scalar);
        const info = driverInfo.get(f);
        if (info) driverInfo.set(scalar, info);
        return fnName;
      }
      // (a twin whose results did not match: the loop below is the vmap)
      if (rows) ctx.fns.delete(rows.name);
    }
  } else if (spec.rowsFor) path = spec.rowsWhy ?? "row loop (for WebGPU arguments)";
  const names = new Names([...f.captures]);
  const fn: Fn = {
    name: fnName,
    params: [],
    results: [],
    tupleResult: f.tupleResult,
    body: [],
    vars: new Map(),
    loc: f.loc,
    source: f.source,
    captures: [...f.captures],
  };
  for (const c of f.captures) fn.vars.set(c, f.vars.get(c) ?? { k: "opaque" });
  const b = new Builder(fn, names, f.loc);
  b.emit({ k: "comment", text: `vmap path: ${path}` });

  // parameters: the same names outside; batched ones take their batched type
  f.params.forEach((p, i) => {
    const d = spec.inDims[i];
    const name = names.claim(p.name);
    let type: Type = p.type;
    if (d !== null) {
      if (p.type.k === "num") type = VEC;
      else if (p.type.k === "vec" || p.type.k === "tensor") type = TENSOR;
      else throw new BatchError(`vmap: parameter \`${userName(p)}\` cannot be batched (it is not a number, a number[] or a Tensor)`);
    }
    fn.params.push({ name, type, source: p.source });
    fn.vars.set(name, type);
  });
  const batched = fn.params.filter((_, i) => spec.inDims[i] !== null);
  if (!batched.length) throw new BatchError("vmap: at least one argument must be batched (inDims all null)");
  const B = b.let("B", NUM, {
    k: "prim",
    op: "ad.batchSize",
    args: batched.map((p) => v(p.name)),
    attrs: [spec.label, fn.params.filter((_, i) => spec.inDims[i] !== null).map(userName), spec.inDims.filter((d) => d !== null)],
  });

  const numBatches = fn.params.filter((p, i) => spec.inDims[i] !== null && f.params[i].type.k === "num").map((p) => v(p.name));
  // results: a vector of B numbers, or a Tensor assembled row by row
  const outs = f.results.map((t, i) => {
    const od = spec.outDims[i] ?? null;
    if (od === null) {
      const o = b.fresh(`out${i}`, t);
      b.assign(o, { k: "atom", a: lit(t.k === "num" ? 0 : undefined) });
      return { name: o, kind: "unbatched" as const };
    }
    // float32 when every batch of numbers came as float32 (PyTorch keeps the dtype), float64 otherwise
    if (t.k === "num") return { name: (b.let(`out${i}`, VEC, { k: "prim", op: "ad.newBatch", args: [B, ...numBatches] }) as { name: string }).name, kind: "num" as const };
    if (t.k === "vec" || t.k === "tensor") {
      const o = b.fresh(`out${i}`, TENSOR);
      b.assign(o, { k: "atom", a: lit(undefined) });
      return { name: o, kind: t.k, od };
    }
    throw new BatchError(`vmap: result ${i} of \`${f.source ?? f.name}\` cannot be batched (not a number, a number[] or a Tensor)`);
  });

  // the loop over rows, with f's body inlined under fresh names
  const row = names.claim("row");
  fn.vars.set(row, NUM);
  const rename = new Map<string, string>();
  for (const [x, t] of f.vars) {
    if (f.captures.includes(x)) continue;
    const n = names.claim(x);
    rename.set(x, n);
    fn.vars.set(n, t);
  }
  const r = (x: string) => rename.get(x) ?? x;
  // a vector or Tensor result's row stored into its [B, …] Tensor (allocated at the first row)
  const putRow = (bb: Builder, o: { name: string; kind: string }, val: Atom) => {
    const t = o.kind === "vec" ? bb.let("T", TENSOR, { k: "wrap", data: val, dims: [{ shapeOf: val }] }) : val;
    // (through a temporary: reverse mode reads `x = f(x)` as two values)
    const put = bb.let("T", TENSOR, { k: "prim", op: "ad.putRow", args: [v(o.name), t, v(row), B] });
    bb.assign(o.name, { k: "atom", a: put });
  };
  // vector results of a top-level loop: in place where they can be (below), else putRow
  const pending: { i: number; val: string }[] = [];
  const body = b.sub((bb) => {
    f.params.forEach((p, i) => {
      const outer = v(fn.params[i].name);
      const d = spec.inDims[i];
      let val: Atom = outer;
      if (d !== null && p.type.k === "num") val = bb.let("x", NUM, { k: "load", arr: outer, index: v(row) });
      else if (d !== null && p.type.k === "tensor") val = bb.t("t.select", [outer, lit(d), v(row)]);
      else if (d !== null && p.type.k === "vec")
        // a row of a batch of vectors: a view of the storage when nothing differentiates the batched function
        val = spec.topLevel ? bb.let("x", VEC, { k: "prim", op: "ad.rowView", args: [outer, v(row)], attrs: [d] }) : bb.let("x", VEC, { k: "tdata", t: bb.t("t.select", [outer, lit(d), v(row)]) });
      bb.assign(r(p.name), { k: "atom", a: val });
    });
    let ret: Extract<Stmt, { k: "return" }>;
    if (hasStructuredTwin(ctx.fns, fName)) {
      // a Jacobian emitted as structured propagation: called per row (its sweep body is not what runs)
      const dsts = f.results.map((t, i) => bb.fresh(`r${i}`, t));
      bb.emit({ k: "call", dsts, fn: fName, args: f.params.map((p) => v(r(p.name))), loc: f.loc });
      ret = { k: "return", values: dsts.map(v) };
    } else {
      const inner = inlineCalls(ctx.fns, fn, renameStmts(f.body.slice(0, -1), r), names);
      // each row starts from the fresh frame a call of f would have
      bb.stmts.push(...initLocals(inner, f.params.map((p) => r(p.name)), fn.vars), ...inner);
      ret = renameStmts([last], r)[0] as Extract<Stmt, { k: "return" }>;
    }
    ret.values.forEach((val, i) => {
      const o = outs[i];
      if (o.kind === "unbatched") bb.assign(o.name, { k: "atom", a: val });
      else if (o.kind === "num") bb.emit({ k: "store", arr: v(o.name), index: v(row), value: val });
      else if (spec.topLevel && val.k === "var") pending.push({ i, val: val.name });
      else putRow(bb, o, val);
    });
  });
  // the row's own buffers in place (top-level loops: ad/batch-rows.ts)
  const rc: RowsCtx = { names, vars: fn.vars, row, B };
  let rows = body;
  const post: Stmt[] = [];
  for (const { i, val } of pending) {
    const o = outs[i];
    const r = resultInPlace(rc, rows, val, o.name);
    if (r) {
      rows = r.body;
      r.pre.forEach((s) => b.emit(s));
      const wrap: Stmt = { k: "let", dst: o.name, e: { k: "wrap", data: v(o.name), dims: [{ size: B }, ...r.dims], f32: r.f32 } };
      post.push(r.lazy ? { k: "if", cond: b.p("gt", B, lit(0)), then: [wrap], else: [] } : wrap);
      continue;
    }
    rows = [...rows, ...b.sub((bb) => putRow(bb, o, v(val)))];
  }
  if (spec.topLevel) {
    f.params.forEach((p, i) => {
      const d = spec.inDims[i];
      const view = d !== null && p.type.k === "vec" ? rows.find((s): s is Extract<Stmt, { k: "let" }> => s.k === "let" && s.e.k === "prim" && s.e.op === "ad.rowView" && s.e.args[0].k === "var" && s.e.args[0].name === fn.params[i].name) : undefined;
      const r = view && rowsInPlace(rc, rows, view.dst, v(fn.params[i].name), d!, spec.minLen?.[i]);
      if (r) {
        rows = r.body;
        r.pre.forEach((s) => b.emit(s));
      }
    });
  }
  let rowBody = dropUnusedTape(rows);
  if (spec.randomness === "same") rowBody = sameRandomness(ctx, b, rowBody);
  b.emit({ k: "for", index: row, from: lit(0), to: B, body: rowBody, loc: f.loc });
  post.forEach((s) => b.emit(s));
  const results = outs.map((o) => {
    if (o.kind === "vec" || o.kind === "tensor") {
      if (o.od !== 0) return b.t("ad.moveDim", [v(o.name)], [0, o.od]);
    }
    return v(o.name);
  });
  fn.results = outs.map((o, i) => (o.kind === "unbatched" ? f.results[i] : o.kind === "num" ? VEC : TENSOR));
  b.emit({ k: "return", values: results });
  fn.body = b.stmts;
  ctx.fns.set(fn.name, fn);
  const info = driverInfo.get(f);
  if (info) driverInfo.set(fn, info);
  return fn.name;
}

/**
 * The user-facing entry of a vmap: batched numbers may come as number[],
 * typed arrays or 1-D Tensors, batched vectors as Tensors or number[][]; the
 * number results become float64 Tensors of shape [B].
 */
export function buildVmapEntry(ctx: Ctx, core: string, spec: VmapSpec, srcParams: Type[], omittable: readonly boolean[] = []): string {
  const c = ctx.fns.get(core)!;
  const names = new Names([...c.captures]);
  const fn: Fn = {
    name: ctx.fnNames.claim(core.replace(/^vmap_/, "vmapped_")),
    params: [],
    results: [],
    tupleResult: c.tupleResult,
    body: [],
    vars: new Map(),
    loc: c.loc,
    source: c.source,
    captures: [...c.captures],
  };
  for (const x of c.captures) fn.vars.set(x, c.vars.get(x)!);
  const b = new Builder(fn, names, c.loc);
  const args = c.params.map((p, i) => {
    const name = names.claim(p.name);
    fn.params.push({ name, type: { k: "opaque" }, source: p.source });
    fn.vars.set(name, { k: "opaque" });
    if (spec.inDims[i] === null) {
      // a batch given where the function needs one plain number is an error, not a silent NaN
      // (a parameter the caller may omit, `s?: number` or `s = 2`, may be undefined)
      if (srcParams[i].k === "num") b.emit({ k: "effect", op: "ad.plainNumber", args: [v(name)], attrs: [spec.label, userName(p), !!omittable[i]] });
      return v(name);
    }
    const conv = srcParams[i].k === "num" ? "ad.batchVec" : "ad.batchTensor";
    return b.let(p.name, p.type, { k: "prim", op: conv, args: [v(name)], attrs: [spec.label, userName(p)] });
  });
  const dsts = c.results.map((t, i) => b.fresh(`r${i}`, t));
  b.emit({ k: "call", dsts, fn: core, args, loc: c.loc });
  const vals = dsts.map((d, i) => (c.results[i].k === "vec" ? b.let("T", TENSOR, { k: "wrap", data: v(d), dims: [{ shapeOf: v(d) }] }) : v(d)));
  fn.results = vals.map((a, i) => (c.results[i].k === "vec" ? TENSOR : c.results[i]));
  b.emit({ k: "return", values: vals });
  fn.body = b.stmts;
  ctx.fns.set(fn.name, fn);
  const info = driverInfo.get(c);
  if (info) driverInfo.set(fn, info);
  return fn.name;
}

/**
 * A row body that pushes nothing onto the tape (straight-line reverse sweeps,
 * everything inlined) need not save and rewind the tape pointer per row.
 */
function dropUnusedTape(body: Stmt[]): Stmt[] {
  let uses = false;
  walk(body, (s) => {
    if (s.k === "push" || s.k === "pushobj" || s.k === "call" || (s.k === "let" && (s.e.k === "pop" || s.e.k === "popobj"))) uses = true;
  });
  if (uses) return body;
  const drop = (list: Stmt[]): Stmt[] =>
    list
      .filter((s) => s.k !== "settape" && !(s.k === "let" && s.e.k === "tape"))
      .map((s) => (s.k === "if" ? { ...s, then: drop(s.then), else: drop(s.else) } : s.k === "loop" ? { ...s, pre: drop(s.pre), body: drop(s.body) } : s.k === "for" ? { ...s, body: drop(s.body) } : s));
  return drop(body);
}

/**
 * randomness "same": the rows share their random numbers. Row 0's draws are
 * recorded and every later row replays them (the k-th draw of each row is the
 * same number); a row that draws more than any before it draws anew.
 */
function sameRandomness(ctx: Ctx, b: Builder, body: Stmt[]): Stmt[] {
  const draws = (fnName: string, seen: Set<string>): boolean => {
    if (seen.has(fnName)) return false;
    seen.add(fnName);
    let hit = false;
    walk(ctx.fns.get(fnName)?.body ?? [], (s) => {
      if (s.k === "let" && s.e.k === "prim" && s.e.op === "random") hit = true;
      if (s.k === "call" && draws(s.fn, seen)) hit = true;
    });
    return hit;
  };
  walk(body, (s) => {
    if (s.k === "call" && draws(s.fn, new Set())) throw new BatchError(`vmap: randomness "same" cannot follow the random draws of \`${s.fn}\` (a recursive function); use "different", or draw the random values outside vmap and pass them in unbatched`);
  });
  const state = b.let("draws", { k: "opaque" }, { k: "prim", op: "ad.randState", args: [] });
  const swap = (list: Stmt[]): Stmt[] =>
    list.map((s) => {
      if (s.k === "let" && s.e.k === "prim" && s.e.op === "random") return { ...s, e: { k: "prim", op: "ad.randSame", args: [state] } };
      if (s.k === "if") return { ...s, then: swap(s.then), else: swap(s.else) };
      if (s.k === "loop") return { ...s, pre: swap(s.pre), body: swap(s.body) };
      if (s.k === "for") return { ...s, body: swap(s.body) };
      return s;
    });
  return [{ k: "effect", op: "ad.randRewind", args: [state] }, ...swap(body)];
}

/**
 * chunkSize on the batched tensor path: the batched core runs on `size` rows
 * at a time (narrowed along each batched argument's in-dim) and each chunk's
 * results are copied into the whole batch's, so intermediates stay chunk-sized.
 */
function chunked(ctx: Ctx, core: Fn, f: Fn, spec: VmapSpec, size: number, name: string): Fn {
  core.name = ctx.fnNames.claim(`${name}_chunk`);
  const fn: Fn = { name, params: [], results: core.results, tupleResult: core.tupleResult, body: [], vars: new Map(), loc: f.loc, source: f.source, captures: [...core.captures] };
  for (const c of core.captures) fn.vars.set(c, core.vars.get(c) ?? { k: "opaque" });
  const names = new Names([...core.captures, core.name]);
  const b = new Builder(fn, names, f.loc);
  core.params.forEach((p) => {
    const n = names.claim(p.name);
    fn.params.push({ name: n, type: p.type, source: p.source });
    fn.vars.set(n, p.type);
  });
  const batched = fn.params.filter((_, i) => spec.inDims[i] !== null);
  const B = b.let("B", NUM, { k: "prim", op: "ad.batchSize", args: batched.map((p) => v(p.name)), attrs: [spec.label, batched.map(userName), spec.inDims.filter((d) => d !== null)] });
  const outs = core.results.map((t, i) => {
    const o = b.fresh(`out${i}`, t);
    b.assign(o, { k: "atom", a: lit(undefined) });
    return o;
  });
  const start = names.claim("start");
  fn.vars.set(start, NUM);
  const body = b.sub((bb) => {
    const args = fn.params.map((p, i) => (spec.inDims[i] === null ? v(p.name) : bb.t("ad.bChunk", [v(p.name), v(start), B], [spec.inDims[i], size], p.type)));
    const dsts = core.results.map((t, i) => bb.fresh(`r${i}`, t));
    bb.emit({ k: "call", dsts, fn: core.name, args, loc: f.loc });
    // (the chunk's batch sits at outDims in each result)
    dsts.forEach((d, i) => bb.assign(outs[i], { k: "prim", op: "ad.bPutChunk", args: [v(outs[i]), v(d), v(start), B], attrs: [spec.outDims[i] ?? 0] }));
  });
  // start = 0, size, 2·size, … (a counted loop over chunk indices)
  const c = names.claim("chunk");
  fn.vars.set(c, NUM);
  const nChunks = b.let("chunks", NUM, { k: "prim", op: "ceil", args: [b.p("div", B, lit(size))] });
  b.emit({ k: "for", index: c, from: lit(0), to: nChunks, body: [{ k: "let", dst: start, e: { k: "prim", op: "mul", args: [v(c), lit(size)] } }, ...body], loc: f.loc });
  b.emit({ k: "return", values: outs.map(v) });
  fn.body = b.stmts;
  ctx.fns.set(core.name, core);
  return fn;
}

/** The vmap's core: the batched code, or the row loop when an argument is a WebGPU tensor. */
function dispatch(ctx: Ctx, f: Fn, name: string, batched: Fn, rows: Fn): string {
  const fn = chooseFn(name, rows, batched, { op: "ad.bOnDevice", name: "gpu" }, { loc: f.loc, source: f.source });
  ctx.fns.set(name, fn);
  const info = driverInfo.get(f);
  if (info) for (const g of [fn, batched, rows]) driverInfo.set(g, info);
  return name;
}
