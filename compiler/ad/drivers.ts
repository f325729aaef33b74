// Drivers: the IR functions a marker stands for, built from the jvp and vjp
// transforms. A Jacobian runs the forward sweep once and replays the reverse
// sweep once per output element (rewinding the tape), or runs one tangent
// sweep per input element; blocks are assembled as PyTorch shapes them
// (out.shape ++ in.shape). Drivers are IR too, so markers compose:
// hessian = jacfwd(jacrev(f)), createGraph = differentiating a driver again.
import { namesFor, type Atom, Builder, type Dim, type Expr, exprReads, type Fn, hasRecord, leavesOf, lit, mapTree, Names, NUM, type Stmt, stmtReads, TENSOR, type Tree, type TreeList, type TreeRecord, isListTree, type Type, v, VEC, walk } from "../ir/ir.js";
import { renameStmts } from "../opt/simplify.js";
import { resultDeps } from "./activity.js";
import { type Ctx, jvpOf } from "./jvp.js";
import { usesTape, vjpParts } from "./vjp.js";
import { planJacobian } from "./jacobian-plan.js";
import { jvpLanes, TANGENT_LANES } from "./lanes.js";

export { leavesOf, type Tree } from "../ir/ir.js";

export interface JacSpec {
  argnums: number[]; // flat parameters
  argTuple: boolean; // blocks indexed by input (argnums given as an array, or a tuple of inputs)
  /** structured inputs: how the blocks of one output nest (leaves index `argnums`); default: argTuple's */
  inTree?: Tree;
  hasAux: boolean;
  mode: "rev" | "fwd";
  label: string; // for generated names: "jacrev", "hessian", …
}

export interface DriverInfo { tree: Tree; aux?: number }
export const driverInfo = new WeakMap<Fn, DriverInfo>();

/**
 * Whether per-output reverse sweeps must each run the forward sweep again: the forward sweep keeps
 * an array on the object tape (a variable holding arrays is reassigned, as a `const a = […]` in a
 * loop is) and stores into arrays or calls helpers (which may), so not every array a reverse sweep
 * restores is among the snapshots taken after the forward sweep.
 */
function forwardPerSweep(fwd: Stmt[], vars: ReadonlyMap<string, Type>): boolean {
  let taped = false, writes = false;
  walk(fwd, (s) => {
    if (s.k === "pushobj" && s.a.k === "var" && vars.get(s.a.name)?.k === "vec") taped = true;
    if (s.k === "store" || s.k === "call") writes = true;
  });
  return taped && writes;
}

/** The output structure of f: its differentiated results (as a tree) and the aux results (a tree too). */
export function outputsOf(fn: Fn, hasAux: boolean): { tree: Tree; leaves: number[]; aux?: Tree } {
  const info = driverInfo.get(fn);
  if (info) return { tree: info.tree, leaves: leavesOf(info.tree) };
  if (fn.outTree !== undefined) {
    if (hasAux && Array.isArray(fn.outTree) && fn.outTree.length === 2) return { tree: fn.outTree[0], leaves: leavesOf(fn.outTree[0]), aux: fn.outTree[1] };
    return { tree: fn.outTree, leaves: leavesOf(fn.outTree) };
  }
  if (hasAux) return { tree: 0, leaves: [0], aux: 1 };
  if (fn.tupleResult) {
    const leaves = fn.results.map((_, i) => i);
    return { tree: leaves, leaves };
  }
  return { tree: 0, leaves: [0] };
}

const isNum = (t: Type) => t.k === "num";
const isF32 = (t: Type) => t.k === "vec" && !!t.f32;

class DriverBuilder {
  fn: Fn;
  b: Builder;
  names: Names;
  constructor(ctx: Ctx, readonly f: Fn, label: string) {
    this.names = namesFor(f);
    this.fn = {
      name: ctx.fnNames.claim(`${label}_${f.source ?? f.name}`.replace(/[^A-Za-z0-9_$]/g, "_")),
      params: f.params.map((p) => ({ ...p })),
      results: [],
      tupleResult: true,
      body: [],
      vars: new Map(f.params.map((p) => [p.name, p.type])),
      loc: f.loc,
      source: f.source,
      captures: f.captures,
      // (the same parameters, with the same defaults: a marker given this driver leaves out what f may)
      ...(f.defaults && { defaults: f.defaults }),
    };
    this.b = new Builder(this.fn, this.names);
    ctx.fns.set(this.fn.name, this.fn);
  }
  /** The number of elements of a value: 1 for a number. */
  size(a: Atom, t: Type): Atom {
    if (isNum(t)) return lit(1);
    if (t.k === "tensor") return this.b.t("ad.numel", [a], [], NUM);
    return this.b.let("n", NUM, { k: "len", arr: a });
  }
  flat(a: Atom, t: Type): Atom {
    return t.k === "tensor" ? this.b.let("data", VEC, { k: "tdata", t: a }) : a;
  }
}

/** The Jacobian driver of f: jacrev, jacfwd, jacobian, grad, and the inner part of hessian. */
export function buildJacobian(ctx: Ctx, fName: string, spec: JacSpec): string {
  const f = ctx.fns.get(fName)!;
  const mode = spec.mode === "rev" && usesTape(ctx.fns, fName) ? "fwd" : spec.mode; // reverse of reverse runs forward
  const d = new DriverBuilder(ctx, f, spec.label);
  const { b } = d;
  if (f.inTrees) d.fn.inTrees = f.inTrees; // the same parameters: a record argument is flattened as for f
  const outs = outputsOf(f, spec.hasAux);
  const ins = spec.argnums;
  const outT = outs.leaves.map((i) => f.results[i]);
  const inT = ins.map((j) => f.params[j].type);
  const inSize = ins.map((j, k) => d.size(v(f.params[j].name), inT[k]));
  // the marker, for the RangeError of a block too big to allocate ("jacrev(f): the Jacobian of shape …")
  const what = `${spec.label}(${f.source ?? f.name})`;

  // One block per (output leaf, input): a number, or flat storage wrapped as a Tensor at the end.
  const blocks: { data?: string; num?: string; tensor?: string; f32?: boolean; direct?: boolean }[][] = [];
  let outVals: Atom[] = [];
  let outSize: Atom[] = [];
  const allocBlocks = () => {
    outs.leaves.forEach((_, i) => {
      blocks[i] = ins.map((_, k) => {
        if (isNum(outT[i]) && isNum(inT[k])) {
          const n = d.names.claim(`J${i}${k}`);
          d.fn.vars.set(n, NUM);
          b.assign(n, { k: "atom", a: lit(0) });
          return { num: n };
        }
        if (outT[i].k === "tensor" || inT[k].k === "tensor") {
          // a block of a tensor program: a Tensor filled row by row (or column by column) by the runtime
          const J = b.t("ad.block", [outVals[i], v(f.params[ins[k]].name)], [spec.mode === "rev" ? "in" : "out", what]);
          return { tensor: (J as { name: string }).name };
        }
        const len = b.p("mul", outSize[i], inSize[k]);
        // the block's dtype: the input's in reverse mode, the output's in forward mode (PyTorch)
        const f32 = isF32(spec.mode === "rev" ? inT[k] : outT[i]); // the requested mode decides, even when run forward
        const shape = [...(isNum(outT[i]) ? [] : [outSize[i]]), ...(isNum(inT[k]) ? [] : [inSize[k]])];
        return { data: (b.let(`J${i}${k}`, { k: "vec", f32 }, { k: "newvec", len, f32, jac: { label: what, shape } }) as { name: string }).name, f32 };
      });
    });
  };
  // aux: one variable per leaf of f's aux results
  const auxLeaves = outs.aux !== undefined ? leavesOf(outs.aux) : [];
  const auxVars = auxLeaves.map((leaf) => {
    const n = d.names.claim("aux");
    d.fn.vars.set(n, f.results[leaf]);
    return n;
  });
  const aux = auxVars.length > 0;

  if (mode === "rev") {
    const mask = f.params.map((_, j) => ins.includes(j));
    const sp0 = b.let("tapeStart", NUM, { k: "tape" });
    // A vector output that is a literal of m ≤ 8 numbers: its elements are m
    // number outputs of one sweep with m lanes, and the literal is never built.
    const items = !spec.hasAux && outs.leaves.length === 1 && outT[0].k === "vec" ? literalOutput(ctx, f) : null;
    let parts = vjpParts(ctx, items ? items.fn : f, mask, d.fn, d.names);
    let vecLanes = items;
    if (items && !laneable(d.fn, parts, items.fn.results, paramBarsOf(parts, ins, inT))) {
      vecLanes = null; // the sweep calls or indexes otherwise: per-row sweeps of f itself
      parts = vjpParts(ctx, f, mask, d.fn, d.names);
    }
    b.stmts.push(...parts.fwd);
    outVals = vecLanes ? [lit(0)] : outs.leaves.map((i) => parts.results[i]);
    outSize = vecLanes ? [lit(vecLanes.m)] : outVals.map((a, i) => d.size(a, outT[i]));
    auxVars.forEach((n, i) => b.assign(n, { k: "atom", a: parts.results[auxLeaves[i]] }));
    allocBlocks();
    // Snapshot what the reverse sweep overwrites, so it can be replayed per output element.
    const snaps = parts.restored.map((x) => [x, b.let(`${x}_end`, d.fn.vars.get(x)!, { k: "atom", a: v(x) })] as const);
    // (an array may never have been created on the path taken: early return)
    const arrSnaps = parts.restoredArrays.map((x) => {
      const snap = d.names.claim(`${x}_end`);
      d.fn.vars.set(snap, VEC);
      b.assign(snap, { k: "atom", a: lit(undefined) });
      b.emit({ k: "if", cond: b.p("not", b.p("isundef", v(x))), then: [{ k: "let", dst: snap, e: { k: "copyvec", src: v(x) } }], else: [] });
      return [x, v(snap)] as const;
    });
    const spEnd = b.let("tapeEnd", NUM, { k: "tape" });
    const paramBars = ins.map((j) => parts.paramBars[j]!);
    // One number output (grad): a single reverse sweep accumulates straight into the result.
    const single = outs.leaves.length === 1 && isNum(outT[0]);
    ins.forEach((j, k) => {
      if (inT[k].k !== "vec") return;
      const blk = blocks[0]?.[k];
      if (single && blk?.data && !blk.f32 && !(inT[k] as { f32?: boolean }).f32) {
        b.assign(paramBars[k], { k: "atom", a: v(blk.data) });
        blk.direct = true;
      } else b.assign(paramBars[k], { k: "newvec", len: inSize[k] });
    });
    if (vecLanes) {
      const deps = resultDeps(ctx.fns, vecLanes.fn.name, mask);
      emitLanes(d, parts, vecLanes.fn.results.map((_, l) => ({ leaf: l, dep: deps[l], blocks: blocks[0], row: l })), inT, inSize, paramBars);
      b.emit({ k: "settape", sp: sp0 });
    } else if (laneable(d.fn, parts, outs.leaves.map((l) => f.results[l]), [])) {
      const deps = resultDeps(ctx.fns, fName, mask);
      emitLanes(d, parts, outs.leaves.map((leaf, l) => ({ leaf, dep: deps[leaf], blocks: blocks[l], row: null })), inT, inSize, paramBars);
      b.emit({ k: "settape", sp: sp0 });
    } else {
      // An array the forward sweep stores into and keeps on the object tape (one made per loop
      // iteration) is not among the snapshots: a reverse sweep undoes its stores, so the next sweep
      // would read it as it was before the forward sweep. Each sweep after the first then runs the
      // forward sweep again instead (the reverse sweep has undone every store, so it starts as the
      // first did).
      const rerun = forwardPerSweep(parts.fwd, d.fn.vars);
      const swept = rerun ? d.names.claim("swept") : "";
      if (rerun) {
        d.fn.vars.set(swept, { k: "bool" });
        b.assign(swept, { k: "atom", a: lit(false) });
      }
      outs.leaves.forEach((leaf, i) => {
        const bar = parts.resultBars[leaf];
        const deps = resultDeps(ctx.fns, fName, mask);
        if (!bar || !deps[leaf]) return; // a structurally zero row of blocks
        const r = d.names.claim("row");
        d.fn.vars.set(r, NUM);
        const lane = b.sub(() => {
          b.emit({ k: "comment", text: `reverse sweep for element ${r} of output ${i}` });
          if (rerun) {
            const again: Stmt[] = [{ k: "settape", sp: sp0 }, ...(structuredClone(parts.fwd) as Stmt[])];
            b.emit({ k: "if", cond: v(swept), then: again, else: [] });
            b.assign(swept, { k: "atom", a: lit(true) });
          } else b.emit({ k: "settape", sp: spEnd });
          for (const [x, s] of rerun ? [] : snaps) b.assign(x, { k: "atom", a: s });
          for (const [x, s] of rerun ? [] : arrSnaps) {
            const j = d.names.claim("j");
            d.fn.vars.set(j, NUM);
            const copy = b.sub(() => {
              const body = b.sub(() => {
                const el = b.let("el", NUM, { k: "load", arr: s, index: v(j) });
                b.emit({ k: "store", arr: v(x), index: v(j), value: el });
              });
              b.emit({ k: "for", index: j, from: lit(0), to: b.let("n", NUM, { k: "len", arr: s }), body });
            });
            b.emit({ k: "if", cond: b.p("not", b.p("isundef", s)), then: copy, else: [] });
          }
          for (const n of parts.numBars) b.assign(n, { k: "atom", a: lit(0) });
          for (const n of parts.vecBars) b.assign(n, { k: "atom", a: lit(undefined) });
          paramBars.forEach((pb, k) => {
            if (inT[k].k === "vec" && !blocks[i][k].direct) b.emit({ k: "fill0", arr: v(pb) });
            else if (inT[k].k === "tensor") b.assign(pb, { k: "atom", a: lit(undefined) });
          });
          if (isNum(outT[i])) b.assign(bar, { k: "atom", a: lit(1) });
          else if (outT[i].k === "tensor") b.assign(bar, { k: "prim", op: "ad.oneHot", args: [outVals[i], v(r)] });
          else {
            if (!paramBars.includes(bar)) b.assign(bar, { k: "newvec", len: outSize[i] });
            else b.emit({ k: "fill0", arr: v(bar) });
            b.emit({ k: "store", arr: v(bar), index: v(r), value: lit(1) });
          }
          b.stmts.push(...parts.rev);
          // Row `r` of each block is the cotangent of the inputs.
          ins.forEach((_, k) => {
            const blk = blocks[i][k];
            const pb = paramBars[k];
            if (blk.num) b.assign(blk.num, { k: "atom", a: v(pb) });
            else if (blk.direct) return; // already the result
            else if (blk.tensor) b.emit({ k: "effect", op: "ad.setRow", args: [v(blk.tensor), v(r), v(pb), inSize[k]] });
            else if (isNum(inT[k])) b.emit({ k: "store", arr: v(blk.data!), index: v(r), value: v(pb) });
            else {
              const c = d.names.claim("col");
              d.fn.vars.set(c, NUM);
              const base = b.p("mul", v(r), inSize[k]);
              const body = b.sub(() => {
                const el = b.let("ct", NUM, { k: "load", arr: v(pb), index: v(c) });
                b.emit({ k: "store", arr: v(blk.data!), index: b.p("add", base, v(c)), value: el });
              });
              b.emit({ k: "for", index: c, from: lit(0), to: inSize[k], body });
            }
          });
        });
        b.emit({ k: "for", index: r, from: lit(0), to: outSize[i], body: lane });
      });
    }
    if (b.stmts[b.stmts.length - 1]?.k !== "settape") b.emit({ k: "settape", sp: sp0 });
  } else {
    // Forward mode: one tangent sweep per input element, only that input's tangent non-zero.
    const primal = d.names.claim("out");
    const needPrimal = outT.some((t) => !isNum(t)) || aux;
    const resNames = f.results.map((t, i) => {
      const n = d.names.claim(`${primal}${i}`);
      d.fn.vars.set(n, t);
      return n;
    });
    if (needPrimal) {
      b.emit({ k: "call", dsts: resNames, fn: fName, args: f.params.map((p) => v(p.name)) });
      outVals = outs.leaves.map((i) => v(resNames[i]));
      outSize = outVals.map((a, i) => d.size(a, outT[i]));
      auxVars.forEach((n, i) => b.assign(n, { k: "atom", a: v(resNames[auxLeaves[i]]) }));
    } else {
      outSize = outT.map(() => lit(1));
      outVals = outT.map(() => lit(0)); // a number output's block takes only its shape ([]) and dtype from it
    }
    allocBlocks();
    ins.forEach((j, k) => {
      const mask = f.params.map((_, q) => q === j);
      const deps = resultDeps(ctx.fns, fName, mask);
      if (!outs.leaves.some((leaf) => deps[leaf])) return;
      const g = jvpOf(ctx, fName, mask);
      const gFn = ctx.fns.get(g)!;
      const rs = gFn.results.map((t) => {
        const n = d.names.claim("r");
        d.fn.vars.set(n, t);
        return n;
      });
      const nres = f.results.length;
      const args = f.params.map((p) => v(p.name) as Atom);
      const c = d.names.claim("col");
      d.fn.vars.set(c, NUM);
      let seed: Atom;
      const isVec = inT[k].k === "vec";
      if (isNum(inT[k])) seed = lit(1);
      else if (!isVec) seed = v(d.names.claim(`d${f.params[j].name}`));
      else seed = b.let(`d${f.params[j].name}`, { k: "vec", f32: inT[k].k === "vec" && inT[k].f32 }, { k: "newvec", len: inSize[k] });
      if (!isNum(inT[k]) && !isVec) d.fn.vars.set((seed as { name: string }).name, TENSOR);
      // column `col` of every block from the output tangents `dout(leaf)`
      const writeCol = (col: Atom, dout: (leaf: number) => Atom) =>
        outs.leaves.forEach((leaf, i) => {
          if (!deps[leaf]) return;
          const blk = blocks[i][k];
          if (blk.num) b.assign(blk.num, { k: "atom", a: dout(leaf) });
          else if (blk.tensor) b.emit({ k: "effect", op: "ad.setCol", args: [v(blk.tensor), col, dout(leaf), inSize[k]] });
          else if (isNum(outT[i])) b.emit({ k: "store", arr: v(blk.data!), index: col, value: dout(leaf) });
          else {
            const r = d.names.claim("row");
            d.fn.vars.set(r, NUM);
            const flat = d.flat(dout(leaf), outT[i]);
            const body = b.sub(() => {
              const el = b.let("t", NUM, { k: "load", arr: flat, index: v(r) });
              b.emit({ k: "store", arr: v(blk.data!), index: b.p("add", b.p("mul", v(r), inSize[k]), col), value: el });
            });
            b.emit({ k: "for", index: r, from: lit(0), to: outSize[i], body });
          }
        });
      // A vector input: TANGENT_LANES columns per tangent sweep, the primal computed once per sweep.
      const laned = isVec && ctx.paths?.lanes !== false ? jvpLanes(ctx, g, TANGENT_LANES) : null;
      if (laned) {
        const L = TANGENT_LANES;
        const gl = ctx.fns.get(laned)!;
        const rl = gl.results.map((t) => {
          const n = d.names.claim("r");
          d.fn.vars.set(n, t);
          return n;
        });
        const seeds = [seed, ...Array.from({ length: L - 1 }, () => b.let(`d${f.params[j].name}`, inT[k], { k: "newvec", len: inSize[k], f32: (inT[k] as { f32?: boolean }).f32 }))];
        const chunks = b.p("floor", b.p("div", b.p("add", inSize[k], lit(L - 1)), lit(L)));
        const ch = d.names.claim("chunk");
        d.fn.vars.set(ch, NUM);
        const sweep = b.sub(() => {
          const cols = seeds.map((_, l) => b.p("add", b.p("mul", v(ch), lit(L)), lit(l)));
          // the last sweep's lanes past the end keep zero seeds (their tangents are not read)
          const guard = (l: number, then: Stmt[]) => (l === 0 ? b.stmts.push(...then) : b.emit({ k: "if", cond: b.p("lt", cols[l], inSize[k]), then, else: [] }));
          seeds.forEach((sd, l) => guard(l, [{ k: "store", arr: sd, index: cols[l], value: lit(1) }]));
          b.emit({ k: "call", dsts: rl, fn: laned, args: [...args, ...seeds] });
          seeds.forEach((sd, l) =>
            guard(l, b.sub(() => {
              b.emit({ k: "store", arr: sd, index: cols[l], value: lit(0) });
              writeCol(cols[l], (leaf) => v(rl[nres + l * nres + leaf]));
            })),
          );
        });
        b.emit({ k: "for", index: ch, from: lit(0), to: chunks, body: sweep });
        return;
      }
      const lane = b.sub(() => {
        if (isVec) b.emit({ k: "store", arr: seed, index: v(c), value: lit(1) });
        else if (!isNum(inT[k])) b.assign((seed as { name: string }).name, { k: "prim", op: "ad.oneHot", args: [v(f.params[j].name), v(c)] });
        b.emit({ k: "call", dsts: rs, fn: g, args: [...args, seed] });
        if (isVec) b.emit({ k: "store", arr: seed, index: v(c), value: lit(0) });
        writeCol(v(c), (leaf) => v(rs[nres + leaf]));
      });
      b.emit({ k: "for", index: c, from: lit(0), to: inSize[k], body: lane });
    });
  }

  // Results: every block (numbers stay numbers, the rest become Tensors), then aux.
  const results: Atom[] = [];
  const types: Type[] = [];
  const leafIndex = new Map<string, number>();
  outs.leaves.forEach((leaf, i) => {
    ins.forEach((j, k) => {
      const blk = blocks[i][k];
      leafIndex.set(`${leaf},${k}`, results.length);
      if (blk.num) {
        results.push(v(blk.num));
        types.push(NUM);
      } else if (blk.tensor) {
        results.push(v(blk.tensor));
        types.push(TENSOR);
      } else {
        const dims: Dim[] = [outT[i].k === "vec" && outSize[i]?.k === "lit" ? { size: outSize[i] } : { shapeOf: outVals[i] ?? lit(0) }, { shapeOf: v(f.params[j].name) }];
        const f32 = !!blk.f32;
        results.push(b.let(`J${i}${k}_t`, { k: "tensor", f32 }, { k: "wrap", data: v(blk.data!), dims, f32 }));
        types.push({ k: "tensor", f32 });
      }
    });
  });
  // the output's structure outside, the input's inside (torch.func's pytrees)
  const inTree = spec.inTree ?? (spec.argTuple ? ins.map((_, k) => k) : 0);
  let tree: Tree = mapTree(outs.tree, (leaf) => mapTree(inTree, (k) => leafIndex.get(`${leaf},${k}`)!));
  let auxIndex: number | undefined;
  if (aux) {
    auxIndex = results.length;
    const at = new Map(auxLeaves.map((leaf, i) => [leaf, results.length + i]));
    auxVars.forEach((n, i) => {
      results.push(v(n));
      types.push(f.results[auxLeaves[i]]);
    });
    tree = [tree, mapTree(outs.aux!, (leaf) => at.get(leaf)!)];
  }
  b.emit({ k: "return", values: results });
  d.fn.results = types;
  d.fn.tupleResult = results.length > 1;
  d.fn.body = b.stmts;
  driverInfo.set(d.fn, { tree, aux: auxIndex });
  if (hasRecord(tree)) d.fn.outTree = tree; // (a marker's result called inside a differentiated function)
  // the plan (compiler/ad/jacobian-plan.ts): straight-line tensor code computes every block at once from
  // structured tangents or a direct kernel (emitted in place of the sweeps); its aux is one result
  if (auxLeaves.length <= 1) planJacobian(ctx, fName, { driver: d.fn, leaves: outs.leaves, ins, dtypeFrom: spec.mode === "rev" ? "in" : "out", label: what, aux: auxLeaves[0], sweepOnGpu: spec.label === "grad", sweepMode: mode });
  return d.fn.name;
}

/**
 * `f` with its returned literal `[a, b, …]` (m ≤ 8 numbers, built just before
 * the return and read by nothing else) returned as m number results instead.
 */
function literalOutput(ctx: Ctx, f: Fn): { fn: Fn; m: number } | null {
  const body = f.body;
  const ret = body[body.length - 1];
  if (ret?.k !== "return" || ret.values.length !== 1 || ret.values[0].k !== "var") return null;
  const defs = new Map<string, number>();
  const reads = new Map<string, number>();
  walk(body, (s) => {
    for (const x of s.k === "let" ? [s.dst] : s.k === "call" ? s.dsts : s.k === "for" ? [s.index] : []) defs.set(x, (defs.get(x) ?? 0) + 1);
    for (const a of stmtReads(s)) if (a.k === "var") reads.set(a.name, (reads.get(a.name) ?? 0) + 1);
  });
  const once = (x: string) => defs.get(x) === 1 && reads.get(x) === 1 && !f.params.some((p) => p.name === x);
  let want = ret.values[0].name;
  for (let i = body.length - 2; i >= 0; i--) {
    const s = body[i];
    if (s.k === "comment") continue;
    if (s.k !== "let" || s.dst !== want || !once(want)) return null;
    if (s.e.k === "atom" && s.e.a.k === "var") {
      want = s.e.a.name;
      continue;
    }
    if (s.e.k !== "veclit") return null;
    const items = s.e.items;
    if (!items.length || items.length > 8 || !items.every((a) => a.k === "lit" ? typeof a.v === "number" : f.vars.get(a.name)?.k === "num")) return null;
    const fn: Fn = { ...f, name: ctx.fnNames.claim(`${f.name}_items`), body: [...body.slice(0, i), { k: "return", values: items }], results: items.map(() => NUM), tupleResult: true };
    ctx.fns.set(fn.name, fn);
    return { fn, m: items.length };
  }
  return null;
}

/** The cotangent variables of the differentiated inputs. */
function paramBarsOf(parts: ReturnType<typeof vjpParts>, ins: number[], inT: Type[]): string[] {
  return ins.flatMap((j, k) => (inT[k].k === "vec" ? [parts.paramBars[j]!] : []));
}

/**
 * Several number outputs: one reverse sweep carries every output's cotangent
 * (a lane each). Statements that touch cotangents are repeated per lane;
 * pops, recomputations and loop control run once. `rows`: the vector
 * cotangents that lanes share as rows of one block, so the sweep may only
 * index them (the lane adds its row's offset).
 */
function laneable(fn: Fn, parts: ReturnType<typeof vjpParts>, outTypes: Type[], rows: string[]): boolean {
  if (outTypes.length < (rows.length ? 1 : 2) || outTypes.length > 16 || !outTypes.every(isNum)) return false;
  if ([...fn.vars.values()].some((t) => t.k === "tensor")) return false;
  const shared = new Set(rows);
  let ok = true;
  walk(parts.rev, (s) => {
    if (s.k === "call" || s.k === "effect") ok = false; // a callee's reverse pops the tape: once per sweep
    const indexed = s.k === "store" ? s.arr : s.k === "let" && s.e.k === "load" ? s.e.arr : null;
    for (const a of stmtReads(s)) if (a.k === "var" && shared.has(a.name) && a !== indexed) ok = false;
  });
  return ok;
}

interface Lane {
  leaf: number; // the output whose cotangent the lane carries
  dep: boolean; // false: a structurally zero row
  blocks: { data?: string; num?: string; direct?: boolean }[]; // per input
  row: number | null; // the lane's row in a shared block (a vector output), or null: blocks of its own
}

function emitLanes(d: DriverBuilder, parts: ReturnType<typeof vjpParts>, lanes: Lane[], inT: Type[], inSize: Atom[], paramBars: string[]): void {
  const { b } = d;
  const m = lanes.length;
  const tainted = new Set<string>([...parts.numBars, ...parts.vecBars, ...paramBars, ...parts.resultBars.filter((x): x is string => !!x)]);
  for (let changed = true; changed; ) {
    changed = false;
    walk(parts.rev, (s) => {
      if (s.k === "let" && !tainted.has(s.dst) && exprReads(s.e).some((a) => a.k === "var" && tainted.has(a.name))) {
        tainted.add(s.dst);
        changed = true;
      }
    });
  }
  const laneNames = new Map<string, string>();
  // the offset of each lane's row in a shared vector block: data[i] of lane l is data[l·n + i]
  const offsets = new Map<string, Atom>();
  lanes.forEach((lane, l) => {
    paramBars.forEach((pb, k) => {
      const data = lane.blocks[k].data;
      if (inT[k].k !== "vec" || lane.row === null || !data) return;
      laneNames.set(`${l}|${pb}`, data);
      if (lane.row > 0) offsets.set(`${l}|${data}`, b.p("mul", lit(lane.row), inSize[k]));
    });
  });
  const ln = (l: number, x: string): string => {
    if (!tainted.has(x)) return x;
    const key = `${l}|${x}`;
    let n = laneNames.get(key);
    if (!n) {
      n = d.names.claim(`${x}${l}`);
      d.fn.vars.set(n, d.fn.vars.get(x)!);
      laneNames.set(key, n);
    }
    return n;
  };
  const shift = (l: number, s: Stmt): Stmt[] => {
    const arr = s.k === "store" ? s.arr : s.k === "let" && s.e.k === "load" ? s.e.arr : null;
    const off = arr?.k === "var" ? offsets.get(`${l}|${arr.name}`) : undefined;
    if (!off) return [s];
    const at = d.names.claim("at");
    d.fn.vars.set(at, NUM);
    const index = s.k === "store" ? s.index : (s as { e: { index: Atom } }).e.index;
    const sum: Stmt = { k: "let", dst: at, e: { k: "prim", op: "add", args: [index, off] } };
    if (s.k === "store") return [sum, { ...s, index: v(at) }];
    return [sum, { ...(s as Extract<Stmt, { k: "let" }>), e: { ...(s as { e: Extract<Expr, { k: "load" }> }).e, index: v(at) } }];
  };
  const each = (s: Stmt): Stmt[] => Array.from({ length: m }, (_, l) => shift(l, renameStmts([s], (x) => ln(l, x))[0])).flat();
  const touches = (s: Stmt) => stmtReads(s).some((a) => a.k === "var" && tainted.has(a.name)) || (s.k === "let" && tainted.has(s.dst));
  const laned = (list: Stmt[]): Stmt[] =>
    list.flatMap((s): Stmt[] => {
      // a guard on a cotangent (allocate it if unset) belongs to each lane
      if (s.k === "if" && s.cond.k === "var" && tainted.has(s.cond.name)) return each(s);
      if (s.k === "if") return [{ ...s, then: laned(s.then), else: laned(s.else) }];
      if (s.k === "loop") return [{ ...s, pre: laned(s.pre), body: laned(s.body) }];
      if (s.k === "for") return [{ ...s, body: laned(s.body) }];
      if (!touches(s)) return [s];
      return each(s);
    });
  const rev = laned(parts.rev);
  b.emit({ k: "comment", text: `one reverse sweep, a lane per output (${m})` });
  lanes.forEach((lane, l) => {
    for (const n of parts.numBars) b.assign(ln(l, n), { k: "atom", a: lit(0) });
    for (const n of parts.vecBars) b.assign(ln(l, n), { k: "atom", a: lit(undefined) });
    paramBars.forEach((pb, k) => {
      if (inT[k].k !== "vec" || lane.row !== null) return;
      // the lane's cotangent of a vector input is the block's storage itself
      const blk = lane.blocks[k];
      if (blk.data) b.assign(ln(l, pb), { k: "atom", a: v(blk.data) });
      else b.assign(ln(l, pb), { k: "newvec", len: inSize[k] });
    });
    const bar = parts.resultBars[lane.leaf];
    if (bar && lane.dep) b.assign(ln(l, bar), { k: "atom", a: lit(1) });
  });
  b.stmts.push(...rev);
  lanes.forEach((lane, l) => {
    paramBars.forEach((pb, k) => {
      const blk = lane.blocks[k];
      if (blk.num) b.assign(blk.num, { k: "atom", a: v(ln(l, pb)) });
      else if (isNum(inT[k]) && blk.data) b.emit({ k: "store", arr: v(blk.data), index: lit(lane.row ?? 0), value: v(ln(l, pb)) });
    });
  });
}

/**
 * jvp(f, primals, tangents): the first `own` parameters active (all by default; a closure's
 * captured variables, its trailing parameters, are not); results then their tangents.
 */
export function buildJvp(ctx: Ctx, fName: string, own?: number): string {
  const f = ctx.fns.get(fName)!;
  return jvpOf(ctx, fName, f.params.map((_, i) => i < (own ?? f.params.length)));
}

/**
 * vjp(f, primals) → the cotangent function: fn(primals…, cotangents of the
 * results…) → cotangents of the first `own` parameters (all by default; a
 * closure's captured variables, its trailing parameters, are constants here),
 * Tensors for vectors.
 */
export function buildVjp(ctx: Ctx, fName: string, hasAux: boolean, own?: number): string {
  const f = ctx.fns.get(fName)!;
  if (usesTape(ctx.fns, fName)) return vjpByJacobian(ctx, f, hasAux, own);
  const d = new DriverBuilder(ctx, f, "vjp");
  const { b } = d;
  const mask = f.params.map((_, i) => i < (own ?? f.params.length));
  const outs = outputsOf(f, hasAux);
  const sp0 = b.let("tapeStart", NUM, { k: "tape" });
  const parts = vjpParts(ctx, f, mask, d.fn, d.names);
  const cts = cotangentParams(d, f, outs.leaves);
  b.stmts.push(...parts.fwd);
  for (const n of parts.numBars) b.assign(n, { k: "atom", a: lit(0) });
  for (const n of parts.vecBars) b.assign(n, { k: "atom", a: lit(undefined) });
  f.params.forEach((p, j) => {
    // a Float32Array parameter gets a float32 cotangent (the input's dtype)
    if (mask[j] && p.type.k === "vec") b.assign(parts.paramBars[j]!, { k: "newvec", len: d.size(v(p.name), p.type), f32: isF32(p.type) });
  });
  outs.leaves.forEach((leaf, i) => {
    const bar = parts.resultBars[leaf];
    if (!bar) return;
    if (isNum(f.results[leaf])) b.assign(bar, { k: "prim", op: "add", args: [v(bar), v(cts[i])] });
    else if (f.results[leaf].k === "tensor") b.assign(bar, { k: "prim", op: "ad.acc", args: [v(bar), v(cts[i])] });
    else {
      // The seed is a copy: the reverse sweep accumulates into it.
      if (!parts.paramBars.includes(bar)) b.assign(bar, { k: "copyvec", src: v(cts[i]) });
      else {
        const j = d.names.claim("j");
        d.fn.vars.set(j, NUM);
        const body = b.sub(() => b.emit({ k: "store", arr: v(bar), index: v(j), value: b.let("ct", NUM, { k: "load", arr: v(cts[i]), index: v(j) }), accum: true }));
        b.emit({ k: "for", index: j, from: lit(0), to: b.let("n", NUM, { k: "len", arr: v(cts[i]) }), body });
      }
    }
  });
  b.stmts.push(...parts.rev);
  b.emit({ k: "settape", sp: sp0 });
  const results: Atom[] = [];
  const types: Type[] = [];
  f.params.forEach((p, j) => {
    if (!mask[j]) return;
    const pb = v(parts.paramBars[j]!);
    if (isNum(p.type)) {
      results.push(pb);
      types.push(NUM);
    } else if (p.type.k === "tensor") {
      // no cotangent reached it: zeros of its shape
      const then = b.sub(() => b.assign(parts.paramBars[j]!, { k: "prim", op: "ad.zerosLike", args: [v(p.name)] }));
      b.emit({ k: "if", cond: b.p("isundef", pb), then, else: [] });
      results.push(pb);
      types.push(TENSOR);
    } else {
      results.push(b.let(`${p.name}_ct`, { k: "tensor" }, { k: "wrap", data: pb, dims: [{ shapeOf: v(p.name) }] }));
      types.push({ k: "tensor" });
    }
  });
  b.emit({ k: "return", values: results });
  d.fn.results = types;
  d.fn.tupleResult = true;
  d.fn.body = b.stmts;
  return d.fn.name;
}

/** The vjp function's cotangent parameters, one per differentiated output leaf. */
function cotangentParams(d: DriverBuilder, f: Fn, leaves: number[]): string[] {
  return leaves.map((leaf, i) => {
    const t = f.results[leaf];
    const n = d.names.claim(`ct${i}`);
    const ty: Type = isNum(t) ? NUM : t.k === "tensor" ? TENSOR : VEC;
    d.fn.vars.set(n, ty);
    d.fn.params.push({ name: n, type: ty });
    return n;
  });
}

/**
 * vjp of a function that runs a reverse sweep itself (a `grad` inside): no reverse of that sweep is
 * built (buildJacobian runs such functions forward, as jacrev and grad of them do), so the vjp
 * function computes the Jacobian blocks by forward mode (one sweep per input element) and returns
 * ctᵀ·J for each input: the same numbers, n sweeps per call of the vjp function.
 */
function vjpByJacobian(ctx: Ctx, f: Fn, hasAux: boolean, own?: number): string {
  const n = own ?? f.params.length;
  const argnums = f.params.slice(0, n).map((_, j) => j);
  const jac = ctx.fns.get(buildJacobian(ctx, f.name, { argnums, argTuple: true, hasAux, mode: "fwd", label: "vjp_jacobian" }))!;
  const info = driverInfo.get(jac)!;
  const d = new DriverBuilder(ctx, f, "vjp");
  const { b } = d;
  const outs = outputsOf(f, hasAux);
  const cts = cotangentParams(d, f, outs.leaves);
  const blocks = jac.results.map((t, r) => {
    const name = d.names.claim(`J${r}`);
    d.fn.vars.set(name, t);
    return name;
  });
  b.emit({ k: "call", dsts: blocks, fn: jac.name, args: f.params.map((p) => v(p.name)) });
  // the driver's tree: the output's structure outside, at each output leaf the blocks of every input
  const at = new Map<string, number>();
  const pair = (o: Tree, t: Tree): void => {
    if (typeof o === "number") (t as number[]).forEach((r, k) => at.set(`${o},${k}`, r));
    else if (Array.isArray(o)) o.forEach((x, i) => pair(x, (t as Tree[])[i]));
    else if (isListTree(o)) pair(o.of, (t as TreeList).of);
    else o.items.forEach((x, i) => pair(x, (t as TreeRecord).items[i]));
  };
  pair(outs.tree, info.aux !== undefined ? (info.tree as Tree[])[0] : info.tree);
  const results: Atom[] = [];
  const types: Type[] = [];
  argnums.forEach((k) => {
    const num = isNum(f.params[k].type);
    let sum: Atom | undefined;
    outs.leaves.forEach((leaf, i) => {
      const term = b.t("ad.contract", [v(blocks[at.get(`${leaf},${k}`)!]), v(cts[i])], [num], num ? NUM : TENSOR);
      sum = !sum ? term : num ? b.p("add", sum, term) : b.t("ad.acc", [sum, term]);
    });
    results.push(sum ?? (num ? lit(0) : b.t("ad.zerosLike", [v(f.params[k].name)])));
    types.push(num ? NUM : TENSOR);
  });
  b.emit({ k: "return", values: results });
  d.fn.results = types;
  d.fn.tupleResult = true;
  d.fn.body = b.stmts;
  return d.fn.name;
}
