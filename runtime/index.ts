// jacc's runtime: the Tensor, its factories and ops, seedable randomness,
// WebGPU set-up and the marker stubs (the compiler replaces marker calls; the
// stubs only throw). The helpers generated code calls are in ./internal.ts
// ("jacc/internal"), not here.

export { Tensor, type NestedArray } from "./tensor.js";
export type { DType, Device, Storage } from "./dtype.js";
export type { Operand } from "./check.js";
export {
  tensor, zeros, ones, full, eye, arange, linspace, rand, randn, zerosLike, onesLike, fullLike, randLike, randnLike,
  type TensorOptions, type RandomOptions, type NestedData,
} from "./factories.js";
export { Generator, manualSeed } from "./random.js";
export * from "./ops/index.js";
export * from "./markers.js";
export { initWebGPU, gpuKernels, type WebGPUOptions, type WebGPUInfo } from "./gpu.js";
