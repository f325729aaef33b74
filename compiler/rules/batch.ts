// The rules of vmap's batching helpers (runtime/vmap.ts): batch sizes and
// conversions are constants to AD; assembling rows (`ad.putRow`) and moving the
// batch dim (`ad.moveDim`) are linear, so batched functions differentiate again.
import type { TensorRule } from "./tensor.js";
import { lit } from "../ir/ir.js";

const json = (x: unknown) => (x === undefined ? "undefined" : JSON.stringify(x));

export const batchRules: Record<string, TensorRule> = {
  // B, checked across the batched arguments (a RangeError naming vmap and the sizes)
  "ad.batchSize": { operands: 0, zero: true, js: (a, attrs) => `__jt.adBatchSize(${json(attrs[0])}, [${a.join(", ")}], ${json(attrs[1])}, ${json(attrs[2])})` },
  // vmap(vmap(f)) as one vmap over the product of the batches (compiler/ad/batch-nested.ts; top level only)
  "ad.batchSizes": { operands: 0, zero: true, js: (a, attrs) => `__jt.adBatchSizes(${json(attrs[0])}, [${a.join(", ")}], ${json(attrs[1])}, ${json(attrs[2])})` },
  "ad.foldBatch": { operands: 0, zero: true, js: (a, attrs) => `__jt.adFoldBatch(${a[0]}, ${a[1]}, ${json(attrs[0])})` },
  "ad.unfoldBatch": { operands: 0, zero: true, js: (a, attrs) => `__jt.adUnfoldBatch(${a[0]}, ${a[1]}, ${json(attrs[0])})` },
  // a top-level row loop's buffers in place (compiler/ad/batch-rows.ts): a batch of vectors' row length,
  // the storage of B rows of k numbers, and a Jacobian block's rows (allocated at row 0, the same size after)
  "ad.rowLen": { operands: 0, zero: true, js: (a) => `__jt.adRowLen(${a[0]})` },
  "ad.newRows": { operands: 0, zero: true, js: (a, attrs) => `new ${attrs[0] ? "Float32Array" : "Float64Array"}(${a[0]} * ${a[1]})` },
  "ad.rowsAlloc": { operands: 0, zero: true, js: (a, attrs) => `__jt.adRowsAlloc(${a[0]}, [${a.slice(1).join(", ")}], ${json(attrs[0])}, ${json(attrs[1])})` },
  // the user-facing entry's conversions: number[] / typed array / Tensor [B] → a vector; number[][] → a Tensor
  "ad.batchVec": { operands: 0, zero: true, js: (a, attrs) => `__jt.adBatchVec(${a[0]}, ${json(attrs[0])}, ${json(attrs[1])})` },
  "ad.batchTensor": { operands: 0, zero: true, js: (a, attrs) => `__jt.adBatchTensor(${a[0]}, ${json(attrs[0])}, ${json(attrs[1])})` },
  // a row of a batch of vectors as a view of its storage (top-level vmaps only: never differentiated)
  "ad.rowView": { operands: 0, zero: true, js: (a, attrs) => `__jt.adRowView(${a[0]}, ${a[1]}, ${json(attrs[0])})` },
  // a zero-filled vector of B numbers for a number result (Float32Array when all batches of numbers are float32)
  "ad.newBatch": { operands: 0, zero: true, js: (a) => `__jt.adNewBatch(${a.join(", ")})` },
  // randomness "same": the recorded draws of a batch, and the next shared draw of a row
  "ad.randState": { operands: 0, zero: true, js: () => `__jt.adRandState()` },
  "ad.randSame": { operands: 0, zero: true, js: (a) => `__jt.adRandSame(${a[0]})` },
  // out = putRow(out, r, row, B): row `row` of a [B, ...r.shape] Tensor (allocated at the first row), in place
  "ad.putRow": {
    operands: 2,
    js: (a) => `__jt.adPutRow(${a.join(", ")})`,
    jvp: (b, [, , row, B], [dOut, dR]) => (dR ? b.t("ad.putRow", [dOut ?? lit(undefined), dR, row, B]) : dOut),
    vjp: (b, [, , row], _out, ct, act) => [act[0] ? ct : null, act[1] ? b.t("t.select", [ct, lit(0), row]) : null],
  },
  // the batch dim from `from` to `to` (outDims)
  "ad.moveDim": {
    operands: 1,
    js: (a, attrs) => `__jt.adMoveDim(${a[0]}, ${json(attrs[0])}, ${json(attrs[1])})`,
    jvp: (b, _x, [dx], _o, attrs) => (dx ? b.t("ad.moveDim", [dx], attrs) : null),
    vjp: (b, _x, _o, ct, _a, attrs) => [b.t("ad.moveDim", [ct], [attrs[1], attrs[0]])],
  },
};

// The batched forms of tensor ops (runtime/batching.ts), emitted by vmap's
// batching transform (compiler/ad/batch-tensor.ts) into top-level vmaps only:
// nothing differentiates them, so they have no jvp / vjp (differentiating one
// is an internal error, never a silent zero).
const plain = (fn: string): TensorRule => ({ operands: Infinity, js: (a, attrs) => `__jt.${fn}(${[...a, ...attrs.map(json)].join(", ")})` });
export const batchedRules: Record<string, TensorRule> = {
  "ad.bAlign": { operands: Infinity, js: (a, attrs) => `__jt.bAlign(${[a[0], json(attrs[0]), json(attrs[1]), ...a.slice(1)].join(", ")})` },
  // whether each example of a batched Tensor (batched at attrs[0]) has at most attrs[1] entries (compiler/ad/jac-batch.ts bySize)
  "ad.bExampleAtMost": plain("bExampleAtMost"),
  // jacrev(vmap(f)) / jacfwd(vmap(f)) from each example's Jacobian (compiler/ad/jac-vmap.ts): attrs [outDims, inDims of the input, label]
  "ad.jacOfRows": plain("adJacOfRows"),
  // whether the number-program twin may run (compiler/ad/batch-scalar.ts)
  "ad.bScalarRows": { operands: Infinity, js: (a, attrs) => `__jt.bScalarRows(${[`[${a.join(", ")}]`, ...attrs.map(json)].join(", ")})` },
  // an nn op with the batch folded into its N (runtime/batching-conv.ts): attrs [fn, spatial dims, folded operands' positions, the op's attrs...]
  "ad.bFold": { operands: Infinity, js: (a, [fn, sp, fold, ...rest]) => `__jt.bFold(${[json(fn), json(sp), json(fold), `[${a.join(", ")}]`, ...rest.map(json)].join(", ")})` },
  "ad.bReduceAll": { operands: 1, js: (a, attrs) => `__jt.bReduceAll(${json(attrs[0])}, ${a[0]}, ${json(attrs[1])})` },
  // the nn losses over a batch (runtime/batching-nn.ts): attrs [op, reduction, which operands are batched]
  "ad.bLoss": plain("bLoss"),
  ...Object.fromEntries(
    ["bBroadcast", "bNums", "bNumsOut", "bItem", "bT", "bReshape", "bFlatten", "bSqueeze", "bExpand", "bMatmul", "bDot", "bOuter", "bSumTo", "bExpandAs", "bAcc", "bMatmulBackA", "bMatmulBackB", "bSize", "bDim", "bNumel", "bRepeatRows", "bBasis", "bJacRows", "bChunk", "bPutChunk", "bOnDevice", "bCmp", "bWhere", "bRepeat", "bDiag", "bRepeatBackward", "bDiagonalBackward", "bDiagBackward", "bTraceBackward", "bPieceBackward", "bReshapeAs", "bMaskedSelect", "bMaskedSelectBackward"].map((n) => [`ad.${n}`, plain(n)]),
  ),
};
