// The WGSL kernel of one fused elementwise chain (compiler/opt/fuse.ts): one
// invocation per element reads each tensor operand once, computes the whole
// chain in registers and writes the one output, where the op-by-op path would
// dispatch a kernel per op and round-trip every intermediate through memory.
// Each op computes exactly what its own kernel does (the same expressions,
// kernels.ts), so the fused and op-by-op results agree on the device.
//
// Bindings: params (u32: [n, the bits of each number operand in order]), one
// array per tensor operand in order, the output last. The name is a hash of
// the text, so two modules fusing the same chain register one kernel and two
// different chains never share a name.

import { WgslBuilder } from "./builder.js";
import { BINARY_EXPR, ENTRY_1D, FLAT_ID, helperTexts, opHelpers, UNARY_EXPR, type BinaryKind, type UnaryKind } from "./kernels.js";
import { substitute } from "../../ops/elementwise.js";
import { MAX_GPU_BINDINGS, MAX_GPU_TENSORS, type FuseNode, type RegionArg, type RegionNode } from "../../ir/fused.js";

let scratch: { f: Float32Array; u: Uint32Array } | undefined;
function f32Bits(x: number): number {
  scratch ??= (() => {
    const f = new Float32Array(1);
    return { f, u: new Uint32Array(f.buffer) };
  })();
  scratch.f[0] = x;
  return scratch.u[0];
}

/** A float32 constant: a decimal literal when finite (exact: the shortest decimal of the float32 value), its bits otherwise. */
function literal(c: number, viaBits: boolean): string {
  const f = Math.fround(c);
  if (viaBits || !Number.isFinite(f) || Object.is(f, -0)) return `f32_of(0x${f32Bits(f).toString(16)}u)`;
  const s = String(f);
  const text = /[.e]/.test(s) ? s : `${s}.0`;
  return f < 0 ? `(${text})` : text;
}

/** 32-bit FNV-1a of `s` from `basis`. */
function fnv(s: string, basis: number): string {
  let h = basis >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, "0");
}

/** The header shared by chain and region kernels: params, the helpers, the tensor operands. */
function header(b: WgslBuilder, unaries: Set<string>, ops: Set<string>, kinds: readonly ("t" | "n")[]): number {
  for (const op of ops) if (!(unaries.has(op) ? op in UNARY_EXPR : op in BINARY_EXPR)) throw new Error(`jacc: no WGSL for the fused op ${op}`);
  b.line("@group(0) @binding(0) var<storage, read> params: array<u32>;");
  for (const text of helperTexts(["bits", ...[...ops].sort().flatMap(opHelpers)])) b.blank().line(text);
  b.blank();
  let binding = 1;
  kinds.forEach((k, i) => k === "t" && b.line(`@group(0) @binding(${binding++}) var<storage, read> in${i}: array<f32>;`));
  return binding;
}

/** Each unary op as the function its own kernel computes (a call is never constant-folded, so literals cannot overflow at compile time). */
function unaryFns(b: WgslBuilder, unaries: Set<string>): void {
  for (const op of [...unaries].sort()) b.blank().block(`fn op_${op}(x: f32) -> f32`, () => b.line(`return ${UNARY_EXPR[op as UnaryKind]};`));
}

/** The operands' loads at the top of the entry point. */
function loads(b: WgslBuilder, kinds: readonly ("t" | "n")[]): void {
  b.line(FLAT_ID, "if (i >= params[0]) { return; }");
  let slot = 1;
  kinds.forEach((k, i) => b.line(k === "t" ? `let x${i} = in${i}[i];` : `let s${i} = f32_of(params[${slot++}u]);`));
}

/** One op's expression over its operands' WGSL (`lits`: both operands are literals). */
function opExpr(op: string, args: string[], lits: number[] | undefined): string {
  if (args.length === 1) return `op_${op.slice(2)}(${args[0]})`;
  // two literals would make a constant expression, which WGSL evaluates (and rejects on overflow) at compile time
  const a = lits ? literal(lits[0], true) : args[0];
  return substitute(BINARY_EXPR[op.slice(2) as BinaryKind], { x: a, y: args[1] });
}

const kernelName = (text: string) => `fuse_${fnv(text, 0x811c9dc5)}${fnv(text, 0x01000193)}`;

/**
 * The kernel of a region (compiler/opt/fuse-region.ts): its ops in order, one
 * `let` each, and a store per output (`outs`: the ops whose values the rest
 * of the function reads). Bindings: params ([n, the bits of each number
 * operand]), the tensor operands in order, then one output per entry of
 * `outs`. undefined when they are more than one kernel can bind.
 */
export function regionKernel(nodes: readonly RegionNode[], outs: readonly number[], kinds: readonly ("t" | "n")[], label: string): { name: string; text: string } | undefined {
  if (kinds.filter((k) => k === "t").length + outs.length > MAX_GPU_BINDINGS) return undefined;
  const unaries = new Set(nodes.filter((n) => n.args.length === 1).map((n) => n.op.slice(2)));
  const b = new WgslBuilder();
  b.comment(`jacc: fused elementwise region, one invocation per element, ${outs.length} outputs:\n${label}`);
  let binding = header(b, unaries, new Set(nodes.map((n) => n.op.slice(2))), kinds);
  outs.forEach((_, k) => b.line(`@group(0) @binding(${binding++}) var<storage, read_write> out${k}: array<f32>;`));
  unaryFns(b, unaries);
  b.blank();
  b.block(ENTRY_1D, () => {
    loads(b, kinds);
    const value = (a: RegionArg): string => ("leaf" in a ? (kinds[a.leaf] === "t" ? `x${a.leaf}` : `s${a.leaf}`) : "lit" in a ? literal(a.lit, false) : `v${a.ref + 1}`);
    nodes.forEach((n, k) => {
      const lits = n.args.length === 2 && n.args.every((a) => "lit" in a) ? n.args.map((a) => (a as { lit: number }).lit) : undefined;
      b.line(`let v${k + 1} = ${opExpr(n.op, n.args.map(value), lits)};`);
    });
    outs.forEach((ref, k) => b.line(`out${k}[i] = v${ref + 1};`));
  });
  const text = b.toString();
  return { name: kernelName(text), text };
}

/**
 * The kernel of a chain whose operand slots are tensors ("t") or numbers
 * ("n"); `label` describes the chain in the shader's first comment. undefined
 * when the chain has more tensor operands than a kernel can bind.
 */
export function fusedKernel(tree: FuseNode, kinds: readonly ("t" | "n")[], label: string): { name: string; text: string } | undefined {
  if (kinds.filter((k) => k === "t").length > MAX_GPU_TENSORS) return undefined;
  const unaries = new Set<string>(), ops = new Set<string>();
  const visit = (n: FuseNode): void => {
    if ("op" in n) {
      if (n.args.length === 1) unaries.add(n.op.slice(2));
      ops.add(n.op.slice(2));
      n.args.forEach(visit);
    }
  };
  visit(tree);
  const b = new WgslBuilder();
  b.comment(`jacc: fused elementwise chain, one invocation per element:\n${label}`);
  const binding = header(b, unaries, ops, kinds);
  b.line(`@group(0) @binding(${binding}) var<storage, read_write> out: array<f32>;`);
  unaryFns(b, unaries);
  b.blank();
  b.block(ENTRY_1D, () => {
    loads(b, kinds);
    let next = 0;
    const value = (n: FuseNode): string => {
      if ("leaf" in n) return kinds[n.leaf] === "t" ? `x${n.leaf}` : `s${n.leaf}`;
      if ("lit" in n) return literal(n.lit, false);
      const lits = n.args.length === 2 && n.args.every((a) => "lit" in a) ? n.args.map((a) => (a as { lit: number }).lit) : undefined;
      const expr = opExpr(n.op, n.args.map(value), lits);
      const name = `v${++next}`;
      b.line(`let ${name} = ${expr};`);
      return name;
    };
    b.line(`out[i] = ${value(tree)};`);
  });
  const text = b.toString();
  return { name: kernelName(text), text };
}
