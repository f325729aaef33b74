// The helpers generated derivative code calls for tensor programs, by job
// (jacc/internal exports them; users never call them).
export * from "./ad/cotangents.js";
export * from "./ad/numbers.js";
export * from "./ad/blocks.js";
export * from "./ad/backward.js";
export * from "./ad/hessian.js";
export * from "./ad/reductions.js";
export * from "./ad/moves.js";
export * from "./ad/scatter.js";
