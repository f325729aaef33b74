// The public op functions, each also a Tensor method (tensor.ts). Kernel
// helpers (binary, unary, strided) stay internal.
export { add, sub, mul, div, pow, maximum, minimum, type AlphaOptions } from "./binary.js";
export { neg, exp, log, sqrt, sin, cos, tanh, sigmoid, relu, abs } from "./unary.js";
export { where, clamp } from "./where.js";
export { sum, mean, prod, max, min, type Dims } from "./reduce.js";
export { matmul, dot, outer } from "./matmul.js";
export { reshape, view, flatten, squeeze, unsqueeze } from "./reshape.js";
export { permute, transpose, t, expand } from "./permute.js";
export { cat, stack } from "./join.js";
export { narrow, select, index } from "./slice.js";
export { softmax, logSoftmax } from "./softmax.js";
