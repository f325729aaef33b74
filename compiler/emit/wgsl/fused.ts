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
import { BINARY_EXPR, ENTRY_1D, FLAT_ID, HELPERS, UNARY_EXPR, type BinaryKind, type UnaryKind } from "./kernels.js";

/** A chain as compiler/opt/fuse.ts builds it: ops over operand slots (`leaf`) and literals. */
export type FuseNode = { op: string; args: FuseNode[] } | { leaf: number } | { lit: number };

/**
 * Tensor operands one kernel can bind: params, these and the output must fit
 * WebGPU's default of 8 storage buffers per stage. A chain with more runs op
 * by op on WebGPU.
 */
export const MAX_GPU_TENSORS = 6;

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

/**
 * The kernel of a chain whose operand slots are tensors ("t") or numbers
 * ("n"); `label` describes the chain in the shader's first comment. undefined
 * when the chain has more tensor operands than a kernel can bind.
 */
export function fusedKernel(tree: FuseNode, kinds: readonly ("t" | "n")[], label: string): { name: string; text: string } | undefined {
  if (kinds.filter((k) => k === "t").length > MAX_GPU_TENSORS) return undefined;
  const unaries = new Set<string>();
  const visit = (n: FuseNode): void => {
    if ("op" in n) {
      if (n.args.length === 1) unaries.add(n.op.slice(2));
      n.args.forEach(visit);
    }
  };
  visit(tree);
  for (const op of unaries) if (!(op in UNARY_EXPR)) throw new Error(`jacc: no WGSL for the fused op ${op}`);

  const b = new WgslBuilder();
  b.comment(`jacc: fused elementwise chain, one invocation per element:\n${label}`);
  b.line("@group(0) @binding(0) var<storage, read> params: array<u32>;");
  b.blank().line(HELPERS.bits);
  if (unaries.has("sin") || unaries.has("cos")) b.blank().line(HELPERS.sincos);
  b.blank();
  let binding = 1;
  kinds.forEach((k, i) => k === "t" && b.line(`@group(0) @binding(${binding++}) var<storage, read> in${i}: array<f32>;`));
  b.line(`@group(0) @binding(${binding}) var<storage, read_write> out: array<f32>;`);
  // each op as the function its own kernel computes (a call is never constant-folded, so literals cannot overflow at compile time)
  for (const op of [...unaries].sort()) b.blank().block(`fn op_${op}(x: f32) -> f32`, () => b.line(`return ${UNARY_EXPR[op as UnaryKind]};`));
  b.blank();
  b.block(ENTRY_1D, () => {
    b.line(FLAT_ID, "if (i >= params[0]) { return; }");
    let slot = 1;
    kinds.forEach((k, i) => b.line(k === "t" ? `let x${i} = in${i}[i];` : `let s${i} = f32_of(params[${slot++}u]);`));
    let next = 0;
    const value = (n: FuseNode): string => {
      if ("leaf" in n) return kinds[n.leaf] === "t" ? `x${n.leaf}` : `s${n.leaf}`;
      if ("lit" in n) return literal(n.lit, false);
      let expr: string;
      if (n.args.length === 1) expr = `op_${n.op.slice(2)}(${value(n.args[0])})`;
      else {
        // two literals would make a constant expression, which WGSL evaluates (and rejects on overflow) at compile time
        const both = n.args.every((a) => "lit" in a);
        const a = both ? literal((n.args[0] as { lit: number }).lit, true) : value(n.args[0]);
        const op = n.op.slice(2) as BinaryKind;
        const rhs = value(n.args[1]);
        expr = BINARY_EXPR[op].replace(/\b[ab]\b/g, (m) => (m === "a" ? a : rhs));
      }
      const name = `v${++next}`;
      b.line(`let ${name} = ${expr};`);
      return name;
    };
    b.line(`out[i] = ${value(tree)};`);
  });
  const text = b.toString();
  return { name: `fuse_${fnv(text, 0x811c9dc5)}${fnv(text, 0x01000193)}`, text };
}
