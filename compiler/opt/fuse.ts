// Fusion of elementwise tensor chains, just before emission. A chain such as
// sub(1, mul(y, y)) or sin(mul(exp(x), 2)), whose intermediates are read once,
// becomes one call of a generated helper that runs a single loop over the
// typed arrays with one output allocation, specialised per dtype (float64
// computes as the chain does; float32 rounds after every op with Math.fround,
// as storing each intermediate in a Float32Array would). When the operands do
// not all share one shape and dtype (broadcasting, mixed dtypes), the helper
// runs the original ops, so the numbers never change. Each chain also gets a
// WGSL kernel: WebGPU tensors of one shape run the chain as one dispatch.
// This pass only finds the chains (compiler/ir/fused.ts); the emitters write
// the helpers (compiler/emit/fused-js.ts) and kernels (emit/wgsl/fused.ts).
import { type Atom, type Fn, type Stmt, stmtReads, v, walk } from "../ir/ir.js";
import { FUSABLE_BINARY, FUSABLE_UNARY, type FusedHelpers, type FuseNode } from "../ir/fused.js";

const MAX_LEAVES = 8;
type Node = FuseNode;

/** `fn` with its elementwise chains fused (a copy; fn itself is not changed). */
export function fuse(fn: Fn, helpers: FusedHelpers): Fn {
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
    s.k === "let" && s.e.k === "prim" && (FUSABLE_UNARY.has(s.e.op) || FUSABLE_BINARY.has(s.e.op)) && !s.e.attrs?.length && fn.vars.get(s.dst)?.k === "tensor" && s.e.args.length === (FUSABLE_UNARY.has(s.e.op) ? 1 : 2) && s.e.args.every((a) => isTensor(a) || isNum(a));
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
      const name = helpers.chain(tree, kinds);
      for (const j of taken) (absorbed.add(j), (out[j] = null));
      out[i] = { ...s, e: { k: "prim", op: `fuse:${name}`, args: leaves.map((l) => (l.k === "var" ? v(l.name) : l)) } };
      changed = true;
    }
    return out.filter((s): s is Stmt => s !== null);
  };
  const body = block(fn.body);
  return changed ? { ...fn, body } : fn;
}
