// jacc's runtime: the Tensor, its factories and ops, seedable randomness and
// the marker stubs (the compiler replaces marker calls; the stubs only throw).

export { Tensor, type NestedArray } from "./tensor.js";
export type { DType, Device, Storage } from "./dtype.js";
export type { Operand } from "./check.js";
export {
  tensor, zeros, ones, full, eye, arange, linspace, rand, randn, zerosLike, onesLike, fullLike,
  type TensorOptions, type RandomOptions, type NestedData,
} from "./factories.js";
export { Generator, manualSeed } from "./random.js";
export * from "./ops/index.js";
export * from "./markers.js";
export * from "./ad.js";
export { adFuseGpu } from "./fused.js";
export { adFlatten, type PyTree } from "./pytree.js";
export {
  SJ, sjOk, sjOkCpu, sjSeed, sjBlock, sjKind, sjStats, sjReduceRun, sjSameShape,
  sjMul, sjDiv, sjNeg, sjAdd, sjSub, sjAcc, sjExpandAs, sjSumTo, sjReshapeAs, sjSum, sjMean, sjMatmul, sjDot, sjWhere, sjCat, sjStack, sjMove, sjColumns,
} from "./jac.js";
export { adVmap, adBatchSize, adBatchVec, adBatchTensor, adPutRow, adMoveDim, adRowView, adNewBatch, adPlainNumber, adRandState, adRandRewind, adRandSame } from "./vmap.js";
export { bAlign, bBroadcast, bNums, bNumsOut, bItem, bReduceAll, bT, bReshape, bFlatten, bSqueeze, bExpand, bMatmul, bDot, bOuter, bSumTo, bExpandAs, bAcc, bMatmulBackA, bMatmulBackB, bSize, bDim, bNumel, bRepeatRows, bBasis, bJacRows, bChunk, bPutChunk, bOnDevice } from "./batching.js";
export { initWebGPU, gpuKernels, type WebGPUOptions, type WebGPUInfo } from "./gpu.js";
export { webgpuExecutor, registeredKernels, gpuRun, adOnWebGPU, gpuVmapScalar } from "./gpu.js";
