// The tensor programs of the tensor Jacobian benchmarks (bench/tensor.ts
// compiles this file's text with jacc, as a user's build would; nothing
// imports it directly). Weights are captured constants, set before timing.
import { jacobian, jacrev, jacfwd, type Tensor } from "jacc";

let W: Tensor, W1: Tensor, b1: Tensor, W2: Tensor, b2: Tensor;
export function setW(w: Tensor): void {
  W = w;
}
export function setMlp(w1: Tensor, c1: Tensor, w2: Tensor, c2: Tensor): void {
  (W1 = w1), (b1 = c1), (W2 = w2), (b2 = c2);
}

/** SPEC §3's example: x of shape [n, n] → [n]; its Jacobian [n, n, n] is block-sparse. */
export const expReducer = (x: Tensor) => x.exp().sum(1);
/** A layer: dense Jacobian diag(1 − y²) W. */
export function tanhWx(x: Tensor): Tensor {
  return W.matmul(x).tanh();
}
/** A 64→128→10 MLP with tanh. */
export function mlp(x: Tensor): Tensor {
  return W2.matmul(W1.matmul(x).add(b1).tanh()).add(b2);
}
/** A batch of rows through the same MLP: the Jacobian [B, 10, B, 64] is block-diagonal over the batch. */
export function mlpBatch(x: Tensor): Tensor {
  return x.matmul(W1.t()).add(b1).tanh().matmul(W2.t()).add(b2);
}
/** Elementwise: a diagonal Jacobian, returned dense. */
export const sinExp = (x: Tensor) => x.sin().mul(x.exp());

export const expReducerJacobian = (x: Tensor) => jacobian(expReducer, x);
export const expReducerJacrev = jacrev(expReducer);
export const tanhWxJacrev = jacrev(tanhWx);
export const tanhWxJacfwd = jacfwd(tanhWx);
export const tanhWxChunk64 = jacrev(tanhWx, { chunkSize: 64 });
export const tanhWxChunk512 = jacrev(tanhWx, { chunkSize: 512 });
export const mlpJacrev = jacrev(mlp);
export const mlpJacfwd = jacfwd(mlp);
export const mlpBatchJacrev = jacrev(mlpBatch);
export const sinExpJacrev = jacrev(sinExp);
export const sinExpJacfwd = jacfwd(sinExp);
