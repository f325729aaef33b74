// Lookups over the op registry: the elementwise ops (compiler/ops/elementwise.ts),
// the other tensor ops (compiler/ops/tensor.ts) and the runtime helpers the
// rules emit (compiler/ops/internal.ts). Primitive names are `t.<op>`, `tz.<op>`
// (the same op on tangents that may be undefined) and `ad.<helper>`.
import { ELEMENTWISE_NAMES, ELEMENTWISE_OPS, type ElementwiseName } from "./elementwise.js";
import { type BatchRule, elementwiseRule, scalarRule } from "./batching.js";
import { NONE, type OpStructure } from "./structure.js";
import { TENSOR_OPS, type TensorOpName } from "./tensor.js";
import { INTERNAL_OPS, type InternalOpName } from "./internal.js";

const isElementwise = (name: string): name is ElementwiseName => Object.hasOwn(ELEMENTWISE_OPS, name);
const isTensorOp = (name: string): name is TensorOpName => Object.hasOwn(TENSOR_OPS, name);
const isInternal = (prim: string): prim is InternalOpName => Object.hasOwn(INTERNAL_OPS, prim);

/** A tensor primitive's class and runtime entry (`t.name` or `tz.name`: the same op); undefined for other primitives. */
export function structureOf(prim: string): Required<OpStructure> | undefined {
  const base = prim.startsWith("tz.") ? `t.${prim.slice(3)}` : prim;
  let s: OpStructure | undefined;
  if (base.startsWith("t.")) {
    const name = base.slice(2);
    // (a mask passes no tangent: class "none")
    if (isElementwise(name)) s = ELEMENTWISE_OPS[name].result === "bool" ? NONE : { structure: "diagonal", sj: ELEMENTWISE_OPS[name].structure?.sj };
    else if (isTensorOp(name)) s = TENSOR_OPS[name].structure;
  } else if (isInternal(base)) s = INTERNAL_OPS[base].structure;
  return s && { structure: s.structure, sj: s.sj ?? "sjColumns" };
}

const ELEMENTWISE_BATCH = new Map<string, BatchRule>(ELEMENTWISE_NAMES.map((n) => [n, elementwiseRule(`t.${n}`, ELEMENTWISE_OPS[n].arity)]));

/** The batching rule of primitive `op` (given its argument count), or undefined: no rule, the row loop. */
export function batchRuleOf(op: string, nArgs: number): BatchRule | undefined {
  if (op.startsWith("t.")) {
    const name = op.slice(2);
    return ELEMENTWISE_BATCH.get(name) ?? (isTensorOp(name) ? TENSOR_OPS[name].batch : undefined);
  }
  // a tangent op that may meet an undefined (structurally zero) tangent: elementwise ones stay tz. ops
  if (op.startsWith("tz.")) {
    const name = op.slice(3);
    if (isElementwise(name)) return elementwiseRule(op, ELEMENTWISE_OPS[name].arity);
    return isTensorOp(name) ? TENSOR_OPS[name].batch : undefined;
  }
  if (isInternal(op)) return INTERNAL_OPS[op].batch ?? undefined;
  return scalarRule(op, nArgs);
}
