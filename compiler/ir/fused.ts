// What fusion (compiler/opt/fuse.ts, fuse-region.ts, fuse-jacobian.ts) hands
// the emitters: each fused chain, region or one-block Jacobian as data, named
// by the `fuse:<helper>` prim or the call that replaced its statements. The
// emitters render them: the JS helper (compiler/emit/fused-js.ts,
// direct-js.ts) and its WGSL kernel (compiler/emit/wgsl/fused.ts).
import type { Atom, Stmt } from "./ir.js";
import { ELEMENTWISE_NAMES, ELEMENTWISE_OPS, fusable } from "../ops/elementwise.js";

/** A chain: ops over operand slots (`leaf`) and literals. */
export type FuseNode = { op: string; args: FuseNode[] } | { leaf: number } | { lit: number };

/** A region's operand: an operand slot, a literal, or the value of an earlier op. */
export type RegionArg = { leaf: number } | { lit: number } | { ref: number };
/** One op of a region, in order. */
export interface RegionNode {
  op: string;
  args: RegionArg[];
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

/** A scalar expression of a direct Jacobian kernel: one domain element, or one entry of a tangent row. */
export type KernelExpr = { k: "lit"; v: number } | { k: "local"; name: string } | { k: "base" } | { k: "dot" } | { k: "op"; op: string; args: KernelExpr[] };

/** A structured Jacobian of one block fused into one loop (compiler/opt/fuse-jacobian.ts). */
export interface DirectKernel {
  name: string;
  /** which of the two shapes: an elementwise chain (or its sum), or g(W @ x) */
  mode: "elementwise" | "rows";
  /** the marker's name, for the RangeError of a Jacobian too big to allocate */
  label: string;
  /** the structured program's variables the kernel reads, after x: tensors (W, b) and numbers */
  externals: { atom: Atom; ext?: string; kind: "tensor" | "num" }[];
  /** row mode: W's index among the externals */
  W?: number;
  /** the scalar program: a local per value (`tangent`: one entry of a tangent row) */
  lines: { name: string; e: KernelExpr; tangent: boolean }[];
  /** the Jacobian entry */
  final: KernelExpr;
  /** the output is x's elements summed (or averaged) over dims: the diagonal's entries land in the reduced rows */
  reduced?: { op: "sum" | "mean"; attrs: unknown[] };
}

export type FusedHelper =
  | { kind: "chain"; name: string; tree: FuseNode; kinds: ("t" | "n")[] }
  /** `stmts`: the region's statements as they were (the helper's op-by-op path runs them) */
  | { kind: "region"; name: string; region: Region; stmts: (Stmt & { k: "let" })[] }
  | { kind: "jacobian"; name: string; kernel: DirectKernel };

/**
 * Tensor operands one kernel can bind: params, these and the output must fit
 * WebGPU's default of 8 storage buffers per stage. A chain with more runs op
 * by op on WebGPU.
 */
export const MAX_GPU_TENSORS = 6;
/** Storage buffers besides params one region kernel may bind (its tensor operands and outputs). */
export const MAX_GPU_BINDINGS = 7;

/** The fusable elementwise primitives (`t.<op>`) by arity: the registry's ops whose formula reads each operand once and calls no helper. */
const fusableOf = (arity: number) => new Set(ELEMENTWISE_NAMES.filter((n) => fusable(ELEMENTWISE_OPS[n]) && ELEMENTWISE_OPS[n].arity === arity).map((n) => `t.${n}`));
export const FUSABLE_UNARY: ReadonlySet<string> = fusableOf(1);
export const FUSABLE_BINARY: ReadonlySet<string> = fusableOf(2);

/** The helpers one module's fused chains and regions call, deduplicated, in the order they were made. */
export class FusedHelpers {
  private byKey = new Map<string, string>();
  readonly list: FusedHelper[] = [];

  /** Whether `name` is one of these helpers (the IR checker's known callees). */
  has(name: string): boolean {
    return this.list.some((h) => h.name === name);
  }

  chain(tree: FuseNode, kinds: ("t" | "n")[]): string {
    return this.add(`chain|${JSON.stringify(tree)}|${kinds.join("")}`, (name) => ({ kind: "chain", name, tree, kinds }));
  }

  /** (keyed by everything its text is made of: two regions share a helper only where their helpers would read the same) */
  region(region: Region, stmts: (Stmt & { k: "let" })[]): string {
    const { kinds, nodes, outputs, stored } = region;
    return this.add(`region|${JSON.stringify([kinds, nodes, outputs, stored, stmts])}`, (name) => ({ kind: "region", name, region, stmts }));
  }

  /** (named by the driver it belongs to, claimed when the driver was built) */
  jacobian(kernel: DirectKernel): string {
    if (!this.has(kernel.name)) this.list.push({ kind: "jacobian", name: kernel.name, kernel });
    return kernel.name;
  }

  private add(key: string, make: (name: string) => FusedHelper): string {
    let name = this.byKey.get(key);
    if (name) return name;
    name = `__jaccFuse${this.byKey.size + 1}`;
    this.byKey.set(key, name);
    this.list.push(make(name));
    return name;
  }
}
