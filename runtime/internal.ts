// The entry generated code imports (`import * as __jt from "jacc/internal"`):
// everything of jacc's public entry, plus the helpers only generated code
// calls (reverse-mode plumbing, structured Jacobians, batching, WebGPU
// dispatch). Users import "jacc"; these names are not part of its contract
// and may change with any release.
export * from "./index.js";
export * from "./ad.js";
export { adFuseGpu } from "./fused.js";
// torch.linalg's ops by their registry names (compiler/ops/tensor.ts: `t.linalgSolve` calls __jt.linalgSolve)
export { solve as linalgSolve, inv as linalgInv } from "./ops/linalg.js";
export { det as linalgDet, linalgSlogdetPiece, cholesky as linalgCholesky, adDetCofactor } from "./ops/linalg-det.js";
export { linalgNorm } from "./ops/linalg-norm.js";
export { adEinsumCheck } from "./ops/einsum.js";
export { adCeTarget, adCeTargetTangent, adClassMove, adNllTarget } from "./ops/loss.js";
export { adConvInput, adConvWeight, adMaxPoolJvp, adMaxPoolBackward, adAvgPoolBackward } from "./ops/conv.js";
export { bFold } from "./batching-conv.js";
export { bLoss } from "./batching-nn.js";
export { adFlatten, adUnlist, type PyTree } from "./pytree.js";
export { adListCount, adListPiece, adListPieceBack, adUnpack } from "./tensor-list.js";
export {
  SJ, sjOk, sjOkCpu, sjSeed, sjBlock, sjKind, sjStats, sjReduceRun, sjSameShape,
  sjMul, sjDiv, sjNeg, sjAdd, sjSub, sjAcc, sjExpandAs, sjSumTo, sjReshapeAs, sjSum, sjMean, sjMatmul, sjDot, sjWhere, sjCat, sjStack, sjMove, sjColumns,
} from "./jac.js";
export { adVmap, adBatchSize, adRowLen, adRowsAlloc, adRowsSize, adBatchSizes, adFoldBatch, adUnfoldBatch, adBatchVec, adBatchTensor, adPutRow, adMoveDim, adJacOfRows, adRowView, adNewBatch, adPlainNumber, adRandState, adRandRewind, adRandSame } from "./vmap.js";
export { bAlign, bBroadcast, bNums, bNumsOut, bItem, bReduceAll, bT, bReshape, bFlatten, bSqueeze, bExpand, bMatmul, bDot, bOuter, bSumTo, bExpandAs, bAcc, bMatmulBackA, bMatmulBackB, bSize, bDim, bNumel, bRepeatRows, bBasis, bJacRows, bChunk, bPutChunk, bOnDevice, bExampleAtMost, bScalarRows, bCmp, bWhere } from "./batching.js";
export { bMaskedSelect, bMaskedSelectBackward } from "./batching-scatter.js";
export { bRepeat, bDiag, bRepeatBackward, bDiagonalBackward, bDiagBackward, bTraceBackward, bPieceBackward, bReshapeAs } from "./batching-moves.js";
export { webgpuExecutor, registeredKernels, gpuRun, adOnWebGPU, gpuVmapScalar } from "./gpu.js";
