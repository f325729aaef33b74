// Multi-output fusion of elementwise regions, just before emission. Forward
// mode interleaves the primal and its tangent (T = sin(x); dT = dx * cos(x);
// T2 = exp(x); …), and the values a chain fusion cannot take (read twice, or
// read after the region) break it into pieces. A region is a run of
// consecutive elementwise statements of one block (t.* and tz.* unary and
// binary ops, copies, and expandAs / sumTo, which are the identity when every
// tensor has one shape); it becomes one call of a generated helper that
// computes every value the rest of the function reads in one loop, in
// registers, and returns them together: jvp of sin(x)·exp(x) then tanh is one
// loop over x and dx writing the output and its tangent.
//
// When its tensor operands are not CPU tensors of one shape and dtype (or a
// tangent is a structural zero, or a number operand is not a number), the
// helper dispatches the region's WGSL kernel (WebGPU tensors of one shape) or
// runs the statements as they were, one op at a time, so the numbers never
// change. Regions that a chain fusion takes whole (one output, every
// intermediate read once) are left to compiler/opt/fuse.ts.
import { type Atom, type Fn, type Stmt, stmtReads, v, walk } from "../ir/ir.js";
import { FUSABLE_BINARY, FUSABLE_UNARY, MAX_GPU_BINDINGS, type FusedHelpers, type Region, type RegionArg, type RegionNode } from "../ir/fused.js";
import { fuse } from "./fuse.js";

type Let = Stmt & { k: "let" };

/** Ops that are the identity when every tensor has one shape (the fused loop's case): their first operand. */
const isIdentity = (op: string) => op === "ad.expandAs" || op === "ad.sumTo";

/** The elementwise op of `t.x` / `tz.x` ("t.x"), if fusable. */
function baseOp(op: string): string | undefined {
  const base = op.startsWith("tz.") ? `t.${op.slice(3)}` : op;
  return FUSABLE_UNARY.has(base) || FUSABLE_BINARY.has(base) ? base : undefined;
}

/** Chain fusion after region fusion: what the pipeline (compiler/pipeline.ts) runs on each function. */
export function fuseElementwise(fn: Fn, helpers: FusedHelpers): Fn {
  return fuse(fuseRegions(fn, helpers), helpers);
}

/** `fn` with its multi-output elementwise regions fused (a copy; fn itself is not changed). */
export function fuseRegions(fn: Fn, helpers: FusedHelpers): Fn {
  const reads = new Map<string, number>();
  walk(fn.body, (s) => {
    for (const a of stmtReads(s)) if (a.k === "var") reads.set(a.name, (reads.get(a.name) ?? 0) + 1);
  });
  const type = (a: Atom) => (a.k === "var" ? fn.vars.get(a.name)?.k : typeof a.v === "number" ? "num" : undefined);
  const tensorVar = (a: Atom) => a.k === "var" && type(a) === "tensor";
  const regionable = (s: Stmt): s is Let => {
    if (s.k !== "let" || fn.vars.get(s.dst)?.k !== "tensor") return false;
    const e = s.e;
    if (e.k === "atom") return tensorVar(e.a);
    if (e.k !== "prim" || e.attrs?.length) return false;
    if (isIdentity(e.op)) return e.args.length === 2 && e.args.every(tensorVar);
    const base = baseOp(e.op);
    if (!base) return false;
    return e.args.length === (FUSABLE_UNARY.has(base) ? 1 : 2) && e.args.every((a) => tensorVar(a) || type(a) === "num") && e.args.some(tensorVar);
  };
  let changed = false;

  const block = (list: Stmt[]): Stmt[] => {
    const out: Stmt[] = [];
    let i = 0;
    while (i < list.length) {
      const s = list[i];
      if (!regionable(s)) {
        if (s.k === "if") out.push({ ...s, then: block(s.then), else: block(s.else) });
        else if (s.k === "loop") out.push({ ...s, pre: block(s.pre), body: block(s.body) });
        else if (s.k === "for") out.push({ ...s, body: block(s.body) });
        else out.push(s);
        i++;
        continue;
      }
      let j = i;
      while (j < list.length && regionable(list[j])) j++;
      out.push(...run(list.slice(i, j) as Let[]));
      i = j;
    }
    return out;
  };

  /**
   * A run of regionable statements: one region, or halves of it when its
   * kernel would bind too many buffers. A copy (or expandAs / sumTo) of a
   * value from before the run splits it: in the region it would only pass an
   * operand through, and an operand that is no plain tensor (a structured
   * tangent) would send the whole region down the op-by-op path.
   */
  const run = (stmts: Let[]): Stmt[] => {
    const defined = new Set<string>();
    for (let k = 0; k < stmts.length; k++) {
      const e = stmts[k].e;
      const src = e.k === "atom" ? e.a : e.k === "prim" && isIdentity(e.op) ? e.args[0] : undefined;
      if (src?.k === "var" && !defined.has(src.name)) return [...(k ? run(stmts.slice(0, k)) : []), stmts[k], ...(k + 1 < stmts.length ? run(stmts.slice(k + 1)) : [])];
      defined.add(stmts[k].dst);
    }
    const r = analyse(stmts, reads, type);
    if (r.kinds.filter((k) => k === "t").length + r.stored.length > MAX_GPU_BINDINGS && stmts.length >= 4) {
      const mid = stmts.length >> 1;
      return [...run(stmts.slice(0, mid)), ...run(stmts.slice(mid))];
    }
    if (!r.worth) return stmts;
    changed = true;
    return replace(r, helpers.region(r, stmts));
  };

  const body = block(fn.body);
  return changed ? { ...fn, body } : fn;
}

function analyse(stmts: Let[], reads: Map<string, number>, type: (a: Atom) => string | undefined): Region {
  const leaves: Atom[] = [];
  const env = new Map<string, RegionArg>();
  const nodes: RegionNode[] = [];
  const readsIn = new Map<string, number>();
  const uses = new Map<number, number>();
  const arg = (a: Atom): RegionArg => {
    if (a.k === "lit") return { lit: a.v as number };
    readsIn.set(a.name, (readsIn.get(a.name) ?? 0) + 1);
    const known = env.get(a.name);
    if (known) {
      if ("ref" in known) uses.set(known.ref, (uses.get(known.ref) ?? 0) + 1);
      return known;
    }
    let k = leaves.findIndex((l) => l.k === "var" && l.name === a.name);
    if (k < 0) (k = leaves.length), leaves.push(a);
    return { leaf: k };
  };
  const defined: string[] = [];
  for (const s of stmts) {
    const e = s.e;
    let value: RegionArg;
    // regionable: a copy or a prim
    if (e.k === "atom") value = arg(e.a);
    else if (e.k !== "prim") throw new Error(`jacc: a ${e.k} expression in an elementwise region`);
    else if (isIdentity(e.op)) {
      value = arg(e.args[0]);
      arg(e.args[1]); // only its shape matters: an operand, so that the one-shape check covers it
    } else {
      const args = e.args.map(arg);
      nodes.push({ op: baseOp(e.op)!, args });
      value = { ref: nodes.length - 1 };
    }
    env.set(s.dst, value);
    if (!defined.includes(s.dst)) defined.push(s.dst);
  }
  // read after the region (or in another loop's copy of the same names): an output
  const outputs = defined.filter((name) => (reads.get(name) ?? 0) > (readsIn.get(name) ?? 0)).map((name) => ({ name, value: env.get(name)! }));
  const stored = [...new Set(outputs.flatMap((o) => ("ref" in o.value ? [o.value.ref] : [])))];
  const kinds = leaves.map((l) => (type(l) === "tensor" ? "t" : "n") as "t" | "n");
  const worth = nodes.length >= 2 && stored.length > 0 && kinds.includes("t") && (outputs.length >= 2 || [...uses.values()].some((n) => n >= 2));
  return { leaves, kinds, nodes, outputs, stored, worth };
}

/** The call of the region's helper. */
function replace(r: Region, helper: string): Stmt[] {
  const args = r.leaves.map((l) => (l.k === "var" ? v(l.name) : l));
  const dsts = r.outputs.map((o) => o.name);
  return [dsts.length === 1 ? { k: "let", dst: dsts[0], e: { k: "prim", op: `fuse:${helper}`, args } } : { k: "call", dsts, fn: helper, args }];
}
