// Fusion of elementwise tensor chains, just before emission. A chain such as
// sub(1, mul(y, y)) or sin(mul(exp(x), 2)), whose intermediates are read once,
// becomes one call of a generated helper that runs a single loop over the
// typed arrays with one output allocation, specialised per dtype (float64
// computes as the chain does; float32 rounds after every op with Math.fround,
// as storing each intermediate in a Float32Array would). When the operands do
// not all share one shape and dtype (broadcasting, mixed dtypes), the helper
// runs the original ops, so the numbers never change. Each chain also gets a
// WGSL kernel (compiler/emit/wgsl/fused.ts): WebGPU tensors of one shape run
// the chain as one dispatch.
import { type Atom, type Fn, type Stmt, stmtReads, v, walk } from "../ir/ir.js";
import { fusedKernel, type FuseNode } from "../emit/wgsl/fused.js";
import { ELEMENTWISE_NAMES, ELEMENTWISE_OPS, fusable, jsOf } from "../ops/elementwise.js";

/** The fusable ops of the registry (compiler/ops/elementwise.ts) by primitive: their JS formula over operand expressions. */
const FUSABLE = ELEMENTWISE_NAMES.filter((n) => fusable(ELEMENTWISE_OPS[n]));
export const UNARY: Record<string, (x: string) => string> = Object.fromEntries(
  FUSABLE.filter((n) => ELEMENTWISE_OPS[n].arity === 1).map((n) => [`t.${n}`, (x: string) => jsOf(n, [x])]),
);
export const BINARY: Record<string, (x: string, y: string) => string> = Object.fromEntries(
  FUSABLE.filter((n) => ELEMENTWISE_OPS[n].arity === 2).map((n) => [`t.${n}`, (x: string, y: string) => jsOf(n, [x, y])]),
);
const MAX_LEAVES = 8;

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

type Node = FuseNode;

/** The helpers one module's fused chains call (deduplicated by their text). */
export class FuseHelpers {
  private byKey = new Map<string, string>();
  code: string[] = [];
  /** The chains' WGSL kernels (name → text), registered with the module as its other kernels are. */
  kernels: Record<string, string> = {};
  constructor(readonly ts: boolean) {}

  /** Whether `name` is one of these helpers (region calls name them: the IR checker's known callees). */
  has(name: string): boolean {
    return [...this.byKey.values()].includes(name);
  }

  /** A helper that `make` writes given its name (a region's, compiler/opt/fuse-region.ts), deduplicated by its text. */
  named(make: (name: string) => { code: string; kernel?: { name: string; text: string } }): string {
    const key = make("__jaccFuse").code;
    let name = this.byKey.get(key);
    if (name) return name;
    name = `__jaccFuse${this.byKey.size + 1}`;
    this.byKey.set(key, name);
    const { code, kernel } = make(name);
    if (kernel) this.kernels[kernel.name] = kernel.text;
    this.code.push(code);
    return name;
  }

  helper(tree: Node, kinds: ("t" | "n")[]): string {
    const key = `${JSON.stringify(tree)}|${kinds.join("")}`;
    let name = this.byKey.get(key);
    if (name) return name;
    name = `__jaccFuse${this.byKey.size + 1}`;
    this.byKey.set(key, name);
    const any = this.ts ? ": any" : "";
    const params = kinds.map((_, i) => `a${i}${any}`).join(", ");
    const operands = kinds.map((k, i) => (k === "t" ? `a${i}` : "")).filter(Boolean);
    const expr = (n: Node, f32: boolean): string => {
      const r = (s: string) => (f32 ? `Math.fround(${s})` : s);
      if ("lit" in n) return loopLiteral(n.lit, f32);
      if ("leaf" in n) return kinds[n.leaf] === "t" ? `x${n.leaf}[i]` : `s${n.leaf}`;
      if (n.args.length === 1) return r(`(${UNARY[n.op](expr(n.args[0], f32))})`);
      return r(`(${BINARY[n.op](expr(n.args[0], f32), expr(n.args[1], f32))})`);
    };
    const call = (n: Node): string => {
      if ("lit" in n) return String(n.lit);
      if ("leaf" in n) return `a${n.leaf}`;
      return `__jt.${n.op.slice(2)}(${n.args.map(call).join(", ")})`;
    };
    const kernel = fusedKernel(tree, kinds, call(tree).replace(/__jt\./g, ""));
    if (kernel) this.kernels[kernel.name] = kernel.text;
    const gpu = kernel ? `__jt.adFuseGpu(${JSON.stringify(kernel.name)}, ${JSON.stringify(kinds.join(""))}, [${kinds.map((_, i) => `a${i}`).join(", ")}]) ?? ` : "";
    const loop64 = expr(tree, false), loop32 = expr(tree, true);
    const { tensors: loads, s64, s32 } = operandLoads(kinds, loop64, loop32);
    this.code.push(
      [
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
      ].join("\n"),
    );
    return name;
  }
}

/** `fn` with its elementwise chains fused (a copy; fn itself is not changed). */
export function fuse(fn: Fn, helpers: FuseHelpers): Fn {
  const reads = new Map<string, number>();
  const defs = new Map<string, number>();
  walk(fn.body, (s) => {
    for (const a of stmtReads(s)) if (a.k === "var") reads.set(a.name, (reads.get(a.name) ?? 0) + 1);
    if (s.k === "let") defs.set(s.dst, (defs.get(s.dst) ?? 0) + 1);
    if (s.k === "call") s.dsts.forEach((d) => defs.set(d, 9));
    if (s.k === "for") defs.set(s.index, 9);
  });
  const params = new Set(fn.params.map((p) => p.name));
  for (const p of params) if (defs.has(p)) defs.set(p, 9);
  const isTensor = (a: Atom) => a.k === "var" && fn.vars.get(a.name)?.k === "tensor";
  const isNum = (a: Atom) => (a.k === "lit" ? typeof a.v === "number" : fn.vars.get(a.name)?.k === "num");
  const fusable = (s: Stmt): s is Stmt & { k: "let"; e: { k: "prim"; op: string; args: Atom[] } } =>
    s.k === "let" && s.e.k === "prim" && (s.e.op in UNARY || s.e.op in BINARY) && !s.e.attrs?.length && fn.vars.get(s.dst)?.k === "tensor" && s.e.args.length === (s.e.op in UNARY ? 1 : 2) && s.e.args.every((a) => isTensor(a) || isNum(a));
  let changed = false;

  const block = (list: Stmt[]): Stmt[] => {
    const index = new Map<string, number>();
    list.forEach((s, i) => s.k === "let" && index.set(s.dst, i));
    const absorbed = new Set<number>();
    const out: (Stmt | null)[] = list.map((s) => {
      if (s.k === "if") return { ...s, then: block(s.then), else: block(s.else) };
      if (s.k === "loop") return { ...s, pre: block(s.pre), body: block(s.body) };
      if (s.k === "for") return { ...s, body: block(s.body) };
      return s;
    });
    for (let i = list.length - 1; i >= 0; i--) {
      const s = list[i];
      if (absorbed.has(i) || !fusable(s)) continue;
      const leaves: Atom[] = [];
      const taken: number[] = [];
      let ops = 0;
      const leaf = (a: Atom): Node => {
        if (a.k === "lit") return { lit: a.v as number };
        let k = leaves.findIndex((l) => l.k === "var" && l.name === a.name);
        if (k < 0) (k = leaves.length), leaves.push(a);
        return { leaf: k };
      };
      const build = (st: Stmt & { e: { op: string; args: Atom[] } }, at: number): Node => {
        ops++;
        return {
          op: st.e.op,
          args: st.e.args.map((a) => {
            if (a.k !== "var") return leaf(a);
            const j = index.get(a.name);
            const p = j === undefined ? undefined : list[j];
            // a single-use intermediate defined once, earlier in this block, whose operands are not redefined
            if (j !== undefined && j < at && p && fusable(p) && !absorbed.has(j) && reads.get(a.name) === 1 && defs.get(a.name) === 1 && !params.has(a.name) && p.e.args.every((x) => x.k === "lit" || (defs.get(x.name) ?? 0) <= 1) && leaves.length < MAX_LEAVES - 1) {
              taken.push(j);
              return build(p, j);
            }
            return leaf(a);
          }),
        };
      };
      const tree = build(s, i);
      if (ops < 2 || leaves.length > MAX_LEAVES || !leaves.some(isTensor)) continue;
      const kinds = leaves.map((l) => (isTensor(l) ? "t" : "n") as "t" | "n");
      const name = helpers.helper(tree, kinds);
      for (const j of taken) (absorbed.add(j), (out[j] = null));
      out[i] = { ...s, e: { k: "prim", op: `fuse:${name}`, args: leaves.map((l) => (l.k === "var" ? v(l.name) : l)) } };
      changed = true;
    }
    return out.filter((s): s is Stmt => s !== null);
  };
  const body = block(fn.body);
  return changed ? { ...fn, body } : fn;
}
