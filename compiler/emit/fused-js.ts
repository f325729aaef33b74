// The JavaScript of fused chains and regions (compiler/ir/fused.ts, made by
// compiler/opt/fuse.ts and fuse-region.ts): a chain such as sub(1, mul(y, y))
// becomes a helper that runs a single loop over the typed arrays with one
// output allocation, specialised per dtype (float64 computes as the chain
// does; float32 rounds after every op with Math.fround, as storing each
// intermediate in a Float32Array would); a region's helper computes every
// value the rest of the function reads in one loop. When the operands do not
// all share one shape and dtype (broadcasting, mixed dtypes, structural
// zeros), the helper dispatches the WGSL kernel (WebGPU tensors of one shape,
// compiler/emit/wgsl/fused.ts) or runs the original ops, so the numbers never
// change.
import type { Atom } from "../ir/ir.js";
import { FUSABLE_BINARY, FUSABLE_UNARY, type FusedHelper, type FusedHelpers, type FuseNode, type RegionArg } from "../ir/fused.js";
import { jsOf } from "../ops/elementwise.js";
import { ruleOf } from "../rules/index.js";
import { atom } from "./js.js";
import { fusedKernel, regionKernel } from "./wgsl/fused.js";
import { renderDirectKernel } from "./direct-js.js";

/** The fusable ops (compiler/ir/fused.ts) by primitive: their JS formula over operand expressions (the registry's). */
export const UNARY: Record<string, (x: string) => string> = Object.fromEntries([...FUSABLE_UNARY].map((p) => [p, (x: string) => jsOf(p.slice(2), [x])]));
export const BINARY: Record<string, (x: string, y: string) => string> = Object.fromEntries([...FUSABLE_BINARY].map((p) => [p, (x: string, y: string) => jsOf(p.slice(2), [x, y])]));

/** A number in a fused loop: a literal, rounded to float32 for the float32 loop. */
export function loopLiteral(lit: number, f32: boolean): string {
  const c = f32 ? Math.fround(lit) : lit;
  return Object.is(c, -0) ? "(-0)" : c < 0 ? `(${c})` : Number.isNaN(c) ? "NaN" : `${c}`;
}

/**
 * The helper's loads before its loops: each tensor operand's storage (`x<k>`), and each number operand
 * (`s<k>`, rounded for the float32 loop), only those the loops' text reads (an unread one is a
 * TypeScript noUnusedLocals error).
 */
export function operandLoads(kinds: readonly ("t" | "n")[], loop64: string, loop32: string): { tensors: string[]; s64: string[]; s32: string[] } {
  const reads = (text: string) => (load: string) => new RegExp(`\\b${load.split(" = ")[0]}\\b`).test(text);
  const numbers = (f32: boolean) => kinds.map((k, i) => (k === "n" ? `s${i} = ${f32 ? `Math.fround(a${i})` : `a${i}`}` : "")).filter(Boolean);
  return {
    tensors: kinds.map((k, i) => (k === "t" ? `x${i} = a${i}.data` : "")).filter(Boolean).filter(reads(loop64 + loop32)),
    s64: numbers(false).filter(reads(loop64)),
    s32: numbers(true).filter(reads(loop32)),
  };
}

/** A chain's helper: one loop per dtype over the operands' storage, the kernel's dispatch, the ops themselves otherwise. */
function chainHelper({ name, tree, kinds }: FusedHelper & { kind: "chain" }, ts: boolean): { code: string; kernel?: { name: string; text: string } } {
  const any = ts ? ": any" : "";
  const params = kinds.map((_, i) => `a${i}${any}`).join(", ");
  const operands = kinds.map((k, i) => (k === "t" ? `a${i}` : "")).filter(Boolean);
  const expr = (n: FuseNode, f32: boolean): string => {
    const r = (s: string) => (f32 ? `Math.fround(${s})` : s);
    if ("lit" in n) return loopLiteral(n.lit, f32);
    if ("leaf" in n) return kinds[n.leaf] === "t" ? `x${n.leaf}[i]` : `s${n.leaf}`;
    if (n.args.length === 1) return r(`(${UNARY[n.op](expr(n.args[0], f32))})`);
    return r(`(${BINARY[n.op](expr(n.args[0], f32), expr(n.args[1], f32))})`);
  };
  const call = (n: FuseNode): string => {
    if ("lit" in n) return String(n.lit);
    if ("leaf" in n) return `a${n.leaf}`;
    return `__jt.${n.op.slice(2)}(${n.args.map(call).join(", ")})`;
  };
  const kernel = fusedKernel(tree, kinds, call(tree).replace(/__jt\./g, ""));
  const gpu = kernel ? `__jt.adFuseGpu(${JSON.stringify(kernel.name)}, ${JSON.stringify(kinds.join(""))}, [${kinds.map((_, i) => `a${i}`).join(", ")}]) ?? ` : "";
  const loop64 = expr(tree, false), loop32 = expr(tree, true);
  const { tensors: loads, s64, s32 } = operandLoads(kinds, loop64, loop32);
  const code = [
    `// fused elementwise chain: ${call(tree)}`,
    `function ${name}(${params})${any} {`,
    `  const o${any} = __jt.adFuseOut(${operands.join(", ")});`,
    kernel
      ? `  // WebGPU tensors of one shape: one dispatch of the chain's kernel; broadcasting or mixed dtypes: the ops themselves`
      : `  // broadcasting or mixed dtypes (and WebGPU: more tensor operands than one kernel binds): the ops themselves`,
    `  if (o === undefined) return ${gpu}${call(tree)};`,
    `  const ${[...loads, "n = o.length"].join(", ")};`,
    `  if (o instanceof Float64Array) {`,
    ...(s64.length ? [`    const ${s64.join(", ")};`] : []),
    `    for (let i = 0; i < n; i++) o[i] = ${loop64};`,
    `  } else {`,
    ...(s32.length ? [`    const ${s32.join(", ")};`] : []),
    `    for (let i = 0; i < n; i++) o[i] = ${loop32};`,
    `  }`,
    `  return new __JaccTensor(o, ${operands[0]}.shape);`,
    `}`,
  ].join("\n");
  return { code, kernel };
}

/** The helper's text: the fused loops per dtype, the kernel's dispatch and the statements as they were. */
function regionHelper({ name, region: r, stmts }: FusedHelper & { kind: "region" }, ts: boolean): { code: string; kernel?: { name: string; text: string } } {
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

/** Every helper's text, in the order fusion made them, and their WGSL kernels (name → text). */
export function renderFused(helpers: FusedHelpers, ts: boolean): { code: string[]; kernels: Record<string, string> } {
  const code: string[] = [];
  const kernels: Record<string, string> = {};
  for (const h of helpers.list) {
    const r = h.kind === "chain" ? chainHelper(h, ts) : h.kind === "region" ? regionHelper(h, ts) : { code: renderDirectKernel(h.kernel, ts) };
    code.push(r.code);
    if (r.kernel) kernels[r.kernel.name] = r.kernel.text;
  }
  return { code, kernels };
}
