// The three programs the page differentiates, and their Jacobians. Plain
// TypeScript: jacc's Vite plugin replaces each marker (jacrev, vmap) with
// generated derivative code at build time. Nothing here touches the DOM, so the
// browser test can import this module in Node and compute the same numbers.
import { jacrev, randn, tensor, vmap, type Tensor } from "jacc";

// 1. A planar robot arm: joint angles in, the end effector's [x, y] out.
export const LINKS = [1.0, 0.8, 0.6, 0.45, 0.3, 0.2];

export function forwardKinematics(q: number[]): [number, number] {
  let angle = 0;
  let x = 0;
  let y = 0;
  for (let i = 0; i < LINKS.length; i++) {
    angle += q[i];
    x += LINKS[i] * Math.cos(angle);
    y += LINKS[i] * Math.sin(angle);
  }
  return [x, y];
}

/** q → [dx/dq, dy/dq], two Tensors of shape [6] (a tuple output gives one block per output). */
export const armJacobian = jacrev(forwardKinematics);
export const ARM_Q = [0.4, -0.3, 0.7, 0.2, -0.5, 0.9];

// 2. An MLP, 16 → 32 → 4 with tanh; its Jacobian with respect to the input.
// The weights are parameters (not captured constants), so that they can live on
// the same device as the input; jacrev differentiates argument 0 only.
export function mlp(x: Tensor, W1: Tensor, b1: Tensor, W2: Tensor, b2: Tensor): Tensor {
  return W2.matmul(W1.matmul(x).add(b1).tanh()).add(b2);
}

/** (x, W1, b1, W2, b2) → dy/dx, a Tensor [4, 16]. */
export const mlpJacobian = jacrev(mlp);

export const MLP_IN = 16, MLP_HIDDEN = 32, MLP_OUT = 4;
/** The last four inputs are pruned (their weights are zero): their columns of the Jacobian are zero. */
export const MLP_PRUNED = 4;

/** Seeded weights (float64), the same in the browser and in Node. */
export function mlpParams(): { x: Tensor; W1: Tensor; b1: Tensor; W2: Tensor; b2: Tensor } {
  const keep = tensor(Array.from({ length: MLP_IN }, (_, i) => (i < MLP_IN - MLP_PRUNED ? 1 : 0)), { dtype: "float64" });
  return {
    x: randn([MLP_IN], { seed: 1, dtype: "float64" }),
    W1: randn([MLP_HIDDEN, MLP_IN], { seed: 2, dtype: "float64" }).mul(0.35).mul(keep),
    b1: randn([MLP_HIDDEN], { seed: 3, dtype: "float64" }).mul(0.1),
    W2: randn([MLP_OUT, MLP_HIDDEN], { seed: 4, dtype: "float64" }).mul(0.3),
    b2: randn([MLP_OUT], { seed: 5, dtype: "float64" }).mul(0.1),
  };
}

// 3. One explicit Euler step of a reaction–diffusion equation (Fisher–KPP) on a
// 1-D grid of N points: u_i + dt (u_{i-1} - 2 u_i + u_{i+1}) + dt u_i (1 - u_i)
// for the interior points. Its Jacobian is tridiagonal.
export const GRID = 12, BATCH = 4;
const DT = 0.2;

export function reactionDiffusionStep(u: Tensor): Tensor {
  const left = u.narrow(0, 0, GRID - 2);
  const mid = u.narrow(0, 1, GRID - 2);
  const right = u.narrow(0, 2, GRID - 2);
  const laplacian = left.sub(mid.mul(2)).add(right);
  return mid.add(laplacian.mul(DT)).add(mid.mul(mid.neg().add(1)).mul(DT));
}

/** A batch of states [BATCH, GRID] → per-sample Jacobians [BATCH, GRID - 2, GRID]. */
export const batchJacobian = vmap(jacrev(reactionDiffusionStep));
/** The batched step itself, [BATCH, GRID] → [BATCH, GRID - 2] (the page's primal, for timing). */
export const batchStep = vmap(reactionDiffusionStep);

/** BATCH initial states: bumps of different widths and heights. */
export function batchStates(): Tensor {
  const rows = Array.from({ length: BATCH }, (_, b) =>
    Array.from({ length: GRID }, (_, i) => (0.3 + 0.2 * b) * Math.exp(-(((i - GRID / 2) / (1.5 + b)) ** 2))),
  );
  return tensor(rows, { dtype: "float64" });
}
