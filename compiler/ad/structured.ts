// Structured Jacobians of straight-line tensor code. For a function with no
// control flow over tensors, the Jacobian driver runs the forward tangent
// program once per differentiated input with the tangent seeded by the
// identity over that input's elements, kept symbolic: every tangent op becomes
// a call of the runtime entry its structure class picks at compile time
// (compiler/ops/structure.ts: `sjMul`, `sjSum`, `sjMove`, …; runtime/jac.ts),
// which carries the Jacobian of each intermediate as a diagonal (elementwise chains), sparse rows
// (reductions, broadcasts, shape ops, block structures) or a dense matrix
// (after a matmul). This is jacfwd = vmap(jvp) over the identity basis:
// tanh(W x) costs one scaled copy of W, sin(x)·exp(x) fills a diagonal,
// instead of one sweep per output or input element.
//
// The sweep driver stays the driver other transforms differentiate
// (hessian = jacfwd(jacrev(f)), createGraph): its structured twin replaces
// its body only when the module is emitted, after every transform ran.
// Whether a driver gets a twin (and a direct kernel) is the Jacobian plan's
// decision (compiler/ad/jacobian-plan.ts).
import { type Atom, BOOL, type Fn, lit, namesFor, type Stmt, stmtReads, TENSOR, twinOf, type Type, v } from "../ir/ir.js";
import { ruleOf } from "../rules/index.js";
import { runtimeCall } from "../ops/tensor.js";
import { structureOf as opStructure } from "../ops/index.js";
import { type Fns, resultDeps } from "./activity.js";
import { type Ctx, jvpOf } from "./jvp.js";

/** Gives every driver with a structured twin (an ordinary function, `twinOf`) the twin's body, and drops the twins (call once every transform is built). */
export function useStructuredTwins(fns: Fns): void {
  for (const twin of [...fns.values()]) {
    if (twin.twinOf === undefined) continue;
    fns.delete(twin.name);
    const f = fns.get(twin.twinOf);
    if (!f) continue;
    f.body = twin.body;
    f.vars = twin.vars;
    f.oneBlock = twin.oneBlock;
  }
}

/** True when `name` will be emitted with a structured twin's body (callers must call it, not inline its sweeps). */
export function hasStructuredTwin(fns: Fns, name: string): boolean {
  return twinOf(fns, name) !== undefined;
}

/** Substitutes twins in a copy of the function map (for `jacc explain` before emission). */
export function withTwins(fns: Fns): Fns {
  const out = new Map(fns);
  for (const twin of fns.values()) {
    if (twin.twinOf === undefined) continue;
    out.delete(twin.name);
    const f = fns.get(twin.twinOf);
    if (f) out.set(f.name, { ...f, body: twin.body, vars: twin.vars, oneBlock: twin.oneBlock });
  }
  return out;
}

export interface TwinSpec {
  driver: Fn;
  leaves: number[]; // f's results that are differentiated, in block order (blocks: leaf by leaf, then input by input)
  ins: number[]; // f's parameters that are differentiated
  dtypeFrom: "in" | "out";
  /** the marker, "jacrev(f)", for the RangeError of a block too big to allocate */
  label: string;
  aux?: number; // f's result returned as aux, after the blocks
  /**
   * WebGPU inputs run the sweeps: grad's one reverse sweep costs what the
   * primal does, where the device's dense structured tangents are m×n per
   * intermediate (grad of sum(tanh(A@B)) wrt a 256×256 A: 16 GiB).
   */
  sweepOnGpu?: boolean;
}

/** The structured tangent programs of f, one per differentiated input (compiler/ad/jacobian-plan.ts decides whether they run). */
export interface StructuredTangents {
  perInput: { gs: string; deps: boolean[]; structure: string[] }[];
  /** the tangent ops the programs run, per input (their structure classes: compiler/ops/structure.ts) */
  ops: string[];
}

/**
 * The structured tangent programs of the function `spec.driver` differentiates, when it is
 * straight-line tensor code; otherwise why not (the sweeps stay).
 */
export function structuredTangents(ctx: Ctx, fName: string, spec: TwinSpec): StructuredTangents | { why: string } {
  const f = ctx.fns.get(fName)!;
  if (!spec.ins.every((j) => f.params[j].type.k === "tensor")) return { why: "a differentiated input is a number or a vector" };
  if (!spec.leaves.every((l) => f.results[l].k === "tensor")) return { why: "an output is a number or a vector" };
  // per input: the tangent program, rewritten onto structured tangents
  const perInput: StructuredTangents["perInput"] = [];
  const ops: string[] = [];
  for (const j of spec.ins) {
    const mask = f.params.map((_, q) => q === j);
    const deps = resultDeps(ctx.fns, fName, mask);
    const g = jvpOf(ctx, fName, mask);
    const r = rewrite(ctx, ctx.fns.get(g)!, f.params.length, f.results.length);
    if ("why" in r) return { why: `${f.source ?? fName}'s tangent program: ${r.why}` };
    perInput.push({ gs: r.name, deps, structure: r.structure });
    ops.push(...r.ops);
  }
  if (!spec.leaves.some((l) => perInput.some((p) => p.deps[l]))) return { why: "no output depends on a differentiated input" };
  return { perInput, ops };
}

/**
 * Builds the structured twin of `spec.driver` (same parameters, same results) from its structured
 * tangents, and returns the static structure of each block. `oneBlock`: the plan lets the Jacobian
 * fusion pass (compiler/opt/fuse-jacobian.ts) write a twin of one block as one loop.
 */
export function buildStructuredTwin(ctx: Ctx, fName: string, spec: TwinSpec, { perInput }: StructuredTangents, oneBlock: boolean): string[][] {
  const f = ctx.fns.get(fName)!;
  const drv = spec.driver;
  const twin: Fn = { ...drv, name: ctx.fnNames.claim(`${drv.name}_twin`), twinOf: drv.name, body: [], vars: new Map(drv.params.map((p) => [p.name, p.type])) };
  const names = namesFor(f);
  for (const p of drv.params) names.reserve(p.name);
  const fresh = (base: string, t: Type): string => {
    const n = names.claim(base);
    twin.vars.set(n, t);
    return n;
  };
  const body: Stmt[] = [];
  let primal: string[] | undefined;
  const tangents: string[][] = [];
  spec.ins.forEach((j, k) => {
    const { gs, deps } = perInput[k];
    if (!spec.leaves.some((l) => deps[l])) {
      tangents.push([]);
      return; // structurally zero: blocks of zeros (the primal comes from another input's pass)
    }
    const x = f.params[j].name;
    body.push({ k: "comment", text: `all of d/d${x} at once: structured (diagonal, sparse rows or dense) tangents` });
    const seed = fresh(`d${x}`, TENSOR);
    body.push({ k: "let", dst: seed, e: { k: "prim", op: "ad.sjSeed", args: [v(x)] } });
    const rs = f.results.map((t) => fresh("out", t));
    const ds = f.results.map(() => fresh("J", TENSOR));
    body.push({ k: "call", dsts: [...rs, ...ds], fn: gs, args: [...f.params.map((p) => v(p.name)), v(seed)] });
    primal ??= rs;
    tangents.push(ds);
  });
  if (!primal) throw new Error(`jacc: internal: ${drv.name}'s structured twin has no primal`); // structuredTangents found a dependent output
  const results: Atom[] = [];
  const structure: string[][] = [];
  spec.leaves.forEach((leaf, i) => {
    structure.push([]);
    spec.ins.forEach((j, k) => {
      const dJ = tangents[k][leaf];
      const blk = fresh(`J${i}${k}`, TENSOR);
      const deps = perInput[k].deps[leaf];
      const args: Atom[] = dJ && deps ? [v(dJ), v(primal![leaf]), v(f.params[j].name)] : [lit(undefined), v(primal![leaf]), v(f.params[j].name)];
      body.push({ k: "let", dst: blk, e: { k: "prim", op: "ad.sjBlock", args, attrs: [spec.dtypeFrom, spec.label] } });
      results.push(v(blk));
      structure[i].push(deps ? perInput[k].structure[leaf] : "zero");
    });
  });
  if (spec.aux !== undefined) results.push(v(primal[spec.aux]));
  // Inputs the structured path cannot take (on two devices: runtime/jac.ts sjOk) run the sweeps: the
  // sweep driver's body, kept as a function of its own. WebGPU inputs take the structured path on the
  // device (runtime/webgpu/jac.ts).
  const sweepName = ctx.fnNames.claim(`${drv.name}_sweep`);
  ctx.fns.set(sweepName, { ...drv, name: sweepName, arity: undefined, plan: undefined });
  const outs = results.map((_, i) => fresh(`r${i}`, drv.results[i] ?? TENSOR));
  const ok = fresh("structuredOk", BOOL);
  const structured: Stmt[] = [...body, ...results.map((a, i): Stmt => ({ k: "let", dst: outs[i], e: { k: "atom", a } }))];
  const sweep: Stmt[] = [{ k: "call", dsts: outs, fn: sweepName, args: drv.params.map((p) => v(p.name)) }];
  twin.body = [
    { k: "let", dst: ok, e: { k: "prim", op: spec.sweepOnGpu ? "ad.sjOkCpu" : "ad.sjOk", args: spec.ins.map((j) => v(f.params[j].name)) } },
    { k: "if", cond: v(ok), then: structured, else: sweep },
    { k: "return", values: outs.map((o) => v(o)) },
  ];
  if (oneBlock && outs.length === 1 && perInput[0].deps[spec.leaves[0]]) {
    twin.oneBlock = { tangents: perInput[0].gs, x: spec.ins[0], nParams: f.params.length, label: spec.label, kernel: ctx.fnNames.claim(`${drv.name}_direct`) };
  }
  ctx.fns.set(twin.name, twin);
  return structure;
}

/** Kinds of structure, from the cheapest: the static view `jacc explain` prints. */
const RANK = ["identity", "diagonal", "sparse rows", "dense"] as const;
type Kind = (typeof RANK)[number];
const join = (a: Kind, b: Kind): Kind => (RANK.indexOf(a) > RANK.indexOf(b) ? a : b);

/** The static structure of a tangent op's result from its operands' (k0) and the op's class (compiler/ops/structure.ts). */
function kindAfter(prim: string, k0: Kind): Kind {
  const o = opStructure(prim);
  if (!o || o.sj === "sjColumns" || o.structure === "bilinear") return "dense"; // columns, or a product with a dense operand
  if (o.structure === "reshape" || o.structure === "broadcast" || o.sj === "sjAdd" || o.sj === "sjSub" || o.sj === "sjAcc") return k0; // kept
  if (o.structure === "diagonal") return join(k0, "diagonal"); // rows scaled
  return join(k0, "sparse rows"); // moves and reductions
}

/**
 * A copy of the tangent program g whose tangent ops call the runtime's
 * structured entries (`sj.<op>`), with the tangent ops it rewrote; or why g
 * is not straight-line tensor code (or a tangent meets an op that has no
 * structured form).
 */
function rewrite(ctx: Ctx, g: Fn, nParams: number, nRes: number): { name: string; structure: string[]; ops: string[] } | { why: string } {
  const tangent = new Set(g.params.slice(nParams).map((p) => p.name));
  const reads = new Map<string, number>();
  for (const s of g.body) for (const a of stmtReads(s)) if (a.k === "var") reads.set(a.name, (reads.get(a.name) ?? 0) + 1);
  const kind = new Map<string, Kind>([...tangent].map((t) => [t, "identity" as Kind]));
  const body: Stmt[] = [];
  const ops: string[] = [];
  const straight = { why: "not straight-line tensor code (branches, loops or calls)" };
  for (const s of g.body) {
    if (s.k === "comment" || s.k === "return") {
      body.push(s);
      continue;
    }
    if (s.k !== "let") return straight;
    const rd = stmtReads(s).filter((a): a is { k: "var"; name: string } => a.k === "var" && tangent.has(a.name));
    if (!rd.length) {
      if (tangent.has(s.dst)) return { why: `the tangent ${s.dst} is redefined from primal values only` };
      body.push(s);
      continue;
    }
    tangent.add(s.dst);
    const e = s.e;
    if (e.k === "atom") {
      kind.set(s.dst, kind.get((e.a as { name: string }).name) ?? "dense");
      body.push(s);
      continue;
    }
    if (e.k !== "prim") return straight;
    const rule = ruleOf(e.op);
    const none = { why: `a tangent meets ${e.op}, which has no structured form` };
    if (!rule.tensor || rule.zero || (rule as { type?: unknown }).type) return none;
    if (g.vars.get(s.dst)?.k !== "tensor") return { why: `the tangent ${s.dst} is not a tensor` };
    if (!runtimeCall(ruleOf(e.op.startsWith("tz.") ? `t.${e.op.slice(3)}` : e.op).js)) return none;
    ops.push(e.op);
    let own = 0;
    e.args.forEach((a, i) => {
      if (i < 2 && a.k === "var" && tangent.has(a.name) && reads.get(a.name) === 1) own |= 1 << i;
    });
    body.push({ ...s, e: { k: "prim", op: `sj.${e.op}`, args: e.args, attrs: [own, ...(e.attrs ?? [])] } });
    const ins = rd.map((a) => kind.get(a.name) ?? "dense");
    const k0 = ins.reduce(join, "identity" as Kind);
    kind.set(s.dst, kindAfter(e.op, k0));
  }
  const ret = g.body[g.body.length - 1];
  if (!ret || ret.k !== "return") return straight;
  const structure = ret.values.slice(nRes).map((a) => (a.k === "var" && kind.has(a.name) ? describe(kind.get(a.name)!) : "zero"));
  const name = ctx.fnNames.claim(`${g.name}_struct`);
  ctx.fns.set(name, { ...g, name, body, vars: new Map(g.vars) });
  return { name, structure, ops };
}

function describe(k: Kind): string {
  switch (k) {
    case "identity": return "identity";
    case "diagonal": return "diagonal (elementwise: filled on its diagonal)";
    case "sparse rows": return "sparse rows (reductions / broadcasts / index maps: filled entry by entry)";
    case "dense": return "dense (a matrix product with a dense operand)";
  }
}
