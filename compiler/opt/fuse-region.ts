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
import { ruleOf } from "../rules/index.js";
import { atom } from "../emit/js.js";
import { regionKernel, MAX_GPU_BINDINGS, type RegionArg, type RegionNode } from "../emit/wgsl/fused.js";
import { BINARY, UNARY, fuse, loopLiteral, operandLoads, type FuseHelpers } from "./fuse.js";

type Let = Stmt & { k: "let" };

/** Ops that are the identity when every tensor has one shape (the fused loop's case): their first operand. */
const isIdentity = (op: string) => op === "ad.expandAs" || op === "ad.sumTo";

/** The elementwise op of `t.x` / `tz.x` ("t.x"), if fusable. */
function baseOp(op: string): string | undefined {
  const base = op.startsWith("tz.") ? `t.${op.slice(3)}` : op;
  return base in UNARY || base in BINARY ? base : undefined;
}

/** Chain fusion after region fusion: what compiler/index.ts runs on each function. */
export function fuseElementwise(fn: Fn, helpers: FuseHelpers): Fn {
  return fuse(fuseRegions(fn, helpers), helpers);
}

/** `fn` with its multi-output elementwise regions fused (a copy; fn itself is not changed). */
export function fuseRegions(fn: Fn, helpers: FuseHelpers): Fn {
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
    return e.args.length === (base in UNARY ? 1 : 2) && e.args.every((a) => tensorVar(a) || type(a) === "num") && e.args.some(tensorVar);
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
    return replace(r, helpers.named((name) => regionHelper(name, r, stmts, helpers.ts)));
  };

  const body = block(fn.body);
  return changed ? { ...fn, body } : fn;
}

/** A region: its operands (`leaves`), its ops (`nodes`, in order) and what the rest of the function reads. */
export interface Region {
  leaves: Atom[];
  kinds: ("t" | "n")[];
  nodes: RegionNode[];
  /**
   * The variables read after the region, each with its value in the fused
   * loop (an op, or an operand passed through). Two may share one value there
   * (a sumTo is the identity at one shape) but not on the op-by-op path.
   */
  outputs: { name: string; value: RegionArg }[];
  /** the ops whose values are outputs, in the order of the kernel's output bindings */
  stored: number[];
  /** more than a chain fusion would give: several outputs, or a value read twice inside */
  worth: boolean;
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

/** The helper's text: the fused loops per dtype, the kernel's dispatch and the statements as they were. */
export function regionHelper(name: string, r: Region, stmts: Let[], ts: boolean): { code: string; kernel?: { name: string; text: string } } {
  const any = ts ? ": any" : "";
  const params = r.leaves.map((_, i) => `a${i}${any}`).join(", ");
  const tensorArgs = r.kinds.map((k, i) => (k === "t" ? `a${i}` : "")).filter(Boolean);
  const numberChecks = r.kinds.map((k, i) => (k === "n" ? ` || typeof a${i} !== "number"` : "")).join("");
  const nodeOuts = r.stored;
  const many = r.outputs.length > 1;
  const result = (node: (k: number) => string) => {
    const items = r.outputs.map((o) => ("ref" in o.value ? node(nodeOuts.indexOf(o.value.ref)) : `a${(o.value as { leaf: number }).leaf}`));
    return many ? `[${items.join(", ")}]` : items[0];
  };

  // the statements as they were (the rules' own JS), on fresh locals
  const names = new Map<string, string>();
  r.leaves.forEach((l, i) => l.k === "var" && names.set(l.name, `a${i}`));
  const opByOp: string[] = [];
  const ref = (a: Atom) => (a.k === "var" ? names.get(a.name)! : atom(a));
  stmts.forEach((s, k) => {
    const e = s.e;
    if (e.k === "atom") return void names.set(s.dst, ref(e.a)); // a copy: the same value
    const local = `r${k + 1}`;
    opByOp.push(`    const ${local} = ${e.k === "prim" ? ruleOf(e.op).js(e.args.map(ref), []) : ""};`);
    names.set(s.dst, local);
  });
  const opResult = many ? `[${r.outputs.map((o) => names.get(o.name)).join(", ")}]` : names.get(r.outputs[0].name)!;

  const value = (a: RegionArg, f32: boolean): string => {
    if ("lit" in a) return loopLiteral(a.lit, f32);
    if ("leaf" in a) return r.kinds[a.leaf] === "t" ? `x${a.leaf}[i]` : `s${a.leaf}`;
    return `v${a.ref + 1}`;
  };
  const loop = (f32: boolean): string[] => {
    const rd = (s: string) => (f32 ? `Math.fround(${s})` : s);
    const lines = r.nodes.map((n, k) => {
      const e = n.args.length === 1 ? UNARY[n.op](value(n.args[0], f32)) : BINARY[n.op](value(n.args[0], f32), value(n.args[1], f32));
      return `const v${k + 1} = ${rd(e)};`;
    });
    const stores = nodeOuts.map((ref, k) => `o${k}[i] = v${ref + 1};`);
    return [`    for (let i = 0; i < n; i++) {`, ...[...lines, ...stores].map((l) => `      ${l}`), `    }`];
  };
  // only the operands the loops read (an identity op's shape operand is read by the op-by-op path alone)
  const { tensors: loads, s64, s32 } = operandLoads(r.kinds, loop(false).join("\n"), loop(true).join("\n"));
  const more = nodeOuts.slice(1).map((_, k) => `o${k + 1} = o0 instanceof Float64Array ? new Float64Array(n) : new Float32Array(n)`);
  const label = stmts.map((s) => `${s.dst} = ${s.e.k === "prim" ? `${s.e.op}(${s.e.args.map(atom).join(", ")})` : s.e.k === "atom" ? atom(s.e.a) : "?"}`);
  const kernel = regionKernel(r.nodes, nodeOuts, r.kinds, label.join("; "));
  const gpu = kernel
    ? [
        `    const g${any} = __jt.adFuseGpu(${JSON.stringify(kernel.name)}, ${JSON.stringify(r.kinds.join(""))}, [${r.leaves.map((_, i) => `a${i}`).join(", ")}], ${nodeOuts.length});`,
        `    if (g !== undefined) return ${result((k) => `g[${k}]`)};`,
      ]
    : [];
  const code = [
    `// fused elementwise region: returns ${r.outputs.map((o) => o.name).join(", ")} of`,
    ...label.map((l) => `//   ${l}`),
    `function ${name}(${params})${any} {`,
    `  const o0${any} = __jt.adFuseOut(${tensorArgs.join(", ")});`,
    `  if (o0 === undefined${numberChecks}) {`,
    kernel
      ? `    // WebGPU tensors of one shape: one dispatch; broadcasting, mixed dtypes or structural zeros: the ops one by one`
      : `    // broadcasting, mixed dtypes or structural zeros (and WebGPU: more buffers than one kernel binds): the ops one by one`,
    ...gpu,
    ...opByOp,
    `    return ${opResult};`,
    `  }`,
    `  const ${[...loads, "n = o0.length", ...more].join(", ")};`,
    `  if (o0 instanceof Float64Array) {`,
    ...(s64.length ? [`    const ${s64.join(", ")};`] : []),
    ...loop(false),
    `  } else {`,
    ...(s32.length ? [`    const ${s32.join(", ")};`] : []),
    ...loop(true),
    `  }`,
    `  const ${nodeOuts.map((_, k) => `y${k} = new __JaccTensor(o${k}, ${tensorArgs[0]}.shape)`).join(", ")};`,
    `  return ${result((k) => `y${k}`)};`,
    `}`,
  ].join("\n");
  return { code, kernel };
}
