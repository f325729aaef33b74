// The programs of the vmap benchmarks (bench/vmap.ts compiles this file's text
// with jacc, as a user's build would; nothing imports it directly).
import { vmap, jacfwd, jacrev, type Tensor } from "jacc";

/** The Lorenz system's right-hand side (σ = 10, ρ = 28, β = 8/3). */
export function lorenz(x: number, y: number, z: number): [number, number, number] {
  return [10 * (y - x), x * (28 - z) - y, x * y - (8 / 3) * z];
}
/** Per-sample 3×3 Jacobians: nine Tensors [B] (one per entry), as torch.func gives for argnums (0, 1, 2). */
export const lorenzJacfwd = vmap(jacfwd(lorenz, { argnums: [0, 1, 2] }));
export const lorenzJacrev = vmap(jacrev(lorenz, { argnums: [0, 1, 2] }));

// A 64→128→10 MLP with tanh; its weights are captured constants.
let W1: Tensor, b1: Tensor, W2: Tensor, b2: Tensor;
export function setMlp(w1: Tensor, c1: Tensor, w2: Tensor, c2: Tensor): void {
  (W1 = w1), (b1 = c1), (W2 = w2), (b2 = c2);
}
export function mlp(x: Tensor): Tensor {
  return W2.matmul(W1.matmul(x).add(b1).tanh()).add(b2);
}
/** Per-sample input Jacobians [B, 10, 64]. */
export const mlpJac = vmap(jacrev(mlp));
