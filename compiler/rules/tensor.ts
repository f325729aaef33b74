// The derivative rules of the tensor primitives, derived from the op registry
// (compiler/ops: elementwise.ts, tensor.ts, internal.ts), where each op's
// runtime call and jvp / vjp are defined next to its surface, structure class
// and batching rule. Also the effects: statements the drivers emit.
import { ELEMENTWISE_NAMES, ELEMENTWISE_OPS } from "../ops/elementwise.js";
import { call, TENSOR_OP_NAMES, TENSOR_OPS, type TensorRule } from "../ops/tensor.js";
import { INTERNAL_OPS, type InternalOpName } from "../ops/internal.js";

export type { TensorRule } from "../ops/tensor.js";

/** The rules of the registry's elementwise ops: the runtime call `__jt.<name>(operands..., params...)` and the entry's jvp / vjp. */
function elementwiseRules(): [string, TensorRule][] {
  return ELEMENTWISE_NAMES.map((name) => {
    const op = ELEMENTWISE_OPS[name];
    // (a variant is called as the op it is a variant of, with its option: __jt.gelu(x, { approximate: "tanh" }))
    const v = op.variantOf;
    const js = v ? call(v[0], (a) => [...a, `{ ${v[1]}: ${JSON.stringify(v[2])} }`]) : call(name);
    // (an op of zero derivative is a constant to AD: its operands' cotangents are not asked for)
    return [`t.${name}`, op.rule.zero ? { operands: op.arity, js, zero: true } : { operands: op.arity, js, jvp: op.rule.jvp, vjp: op.rule.vjp }];
  });
}

export const tensorRules: Record<string, TensorRule> = Object.fromEntries([
  ...elementwiseRules(),
  ...TENSOR_OP_NAMES.map((n) => [`t.${n}`, TENSOR_OPS[n].rule] as const),
  ...(Object.keys(INTERNAL_OPS) as InternalOpName[]).map((n) => [n, INTERNAL_OPS[n].rule] as const),
]);

/** Effects: statements that fill Jacobian blocks; jvp fills the tangent block alike. */
export const effects: Record<string, { js: (a: string[], attrs?: unknown[]) => string; tangentArgs: number[] }> = {
  // adSetRow(J, r, bar, nIn): J and bar carry tangents
  "ad.setRow": { js: (a) => `__jt.adSetRow(${a.join(", ")});`, tangentArgs: [0, 2] },
  "ad.setCol": { js: (a) => `__jt.adSetCol(${a.join(", ")});`, tangentArgs: [0, 2] },
  // vmap with randomness "same": each row replays the draws from the first
  "ad.randRewind": { js: (a) => `__jt.adRandRewind(${a[0]});`, tangentArgs: [] },
  // a batched vmap whose ops never read B still checks the batch sizes (a RangeError naming vmap and the sizes)
  "ad.checkBatch": { js: (a, attrs) => `__jt.adBatchSize(${[JSON.stringify(attrs?.[0]), `[${a.join(", ")}]`, JSON.stringify(attrs?.[1]), JSON.stringify(attrs?.[2])].join(", ")});`, tangentArgs: [] },
  // a top-level row loop's Jacobian block in place: every row's block has row 0's size (compiler/ad/batch-rows.ts)
  "ad.rowsSize": { js: (a) => `__jt.adRowsSize(${a.join(", ")});`, tangentArgs: [] },
  // vmap's entry: an unbatched number argument must be a number (attrs: label, name)
  "ad.plainNumber": { js: (a, attrs) => `__jt.adPlainNumber(${a[0]}, ${JSON.stringify(attrs?.[0])}, ${JSON.stringify(attrs?.[1])}${attrs?.[2] ? ", true" : ""});`, tangentArgs: [] },
};
