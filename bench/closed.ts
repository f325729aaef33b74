// Hand-written closed-form derivatives: the best plain JavaScript we can write
// for each subject, returning the same kind of result object the generated code
// returns (fresh Float64Arrays wrapped in Tensors), so the ratio compares the
// derivative work and not the result allocation.
import { Tensor } from "jacc";

/**
 * Jacobian of the planar arm, O(k): with th_i = q_0 + … + q_i,
 *   dx/dq_j = -sum_{i>=j} L_i sin th_i,   dy/dq_j = sum_{i>=j} L_i cos th_i.
 * One forward pass for the cumulative angles, one backward pass for the
 * suffix sums, in place in the result arrays. Returns [dx/dq, dy/dq].
 */
export function armJacobianClosed(q: Float64Array, L: Float64Array): [Tensor, Tensor] {
  const k = q.length;
  const jx = new Float64Array(k);
  const jy = new Float64Array(k);
  let th = 0;
  for (let i = 0; i < k; i++) {
    th += q[i];
    jx[i] = -L[i] * Math.sin(th);
    jy[i] = L[i] * Math.cos(th);
  }
  let sx = 0, sy = 0;
  for (let i = k - 1; i >= 0; i--) {
    sx += jx[i];
    sy += jy[i];
    jx[i] = sx;
    jy[i] = sy;
  }
  return [new Tensor(jx, [k]), new Tensor(jy, [k])];
}

/**
 * Gradient of the extended Rosenbrock function, O(n): per pair (a, b) =
 * (x[i], x[i+1]), d/da = -400 a (b - a²) - 2 (1 - a), d/db = 200 (b - a²).
 * An odd last element does not enter f: its entry stays 0.
 */
export function rosenGradClosed(x: Float64Array): Tensor {
  const n = x.length;
  const g = new Float64Array(n);
  for (let i = 0; i + 1 < n; i += 2) {
    const a = x[i], b = x[i + 1];
    const r = b - a * a;
    g[i] = -400 * a * r - 2 * (1 - a);
    g[i + 1] = 200 * r;
  }
  return new Tensor(g, [n]);
}

/**
 * Dense n×n Hessian of the extended Rosenbrock function: 2×2 blocks on the
 * diagonal, d²/da² = 1200 a² - 400 b + 2, d²/da db = -400 a, d²/db² = 200;
 * everything else is the zero fill of the fresh Float64Array.
 */
export function rosenHessianClosed(x: Float64Array): Tensor {
  const n = x.length;
  const h = new Float64Array(n * n);
  for (let i = 0; i + 1 < n; i += 2) {
    const a = x[i], b = x[i + 1];
    const d = i * n + i;
    h[d] = 1200 * a * a - 400 * b + 2;
    h[d + 1] = -400 * a;
    h[d + n] = -400 * a;
    h[d + n + 1] = 200;
  }
  return new Tensor(h, [n, n]);
}
