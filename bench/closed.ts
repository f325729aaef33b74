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
 * The same Jacobian for the arm with a vector output (no return annotation):
 * one [2, k] block, row 0 = dx/dq, row 1 = dy/dq, in one Float64Array.
 */
export function armVecJacobianClosed(q: Float64Array, L: Float64Array): Tensor {
  const k = q.length;
  const J = new Float64Array(2 * k);
  let th = 0;
  for (let i = 0; i < k; i++) {
    th += q[i];
    J[i] = -L[i] * Math.sin(th);
    J[k + i] = L[i] * Math.cos(th);
  }
  let sx = 0, sy = 0;
  for (let i = k - 1; i >= 0; i--) {
    sx += J[i];
    sy += J[k + i];
    J[i] = sx;
    J[k + i] = sy;
  }
  return new Tensor(J, [2, k]);
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

// ---- tensor programs (bench/tensor-subjects.ts), float64

/** d(exp(x).sum(1))/dx for x [n, m]: J[i, i, j] = exp(x[i, j]), zeros elsewhere. */
export function expReducerClosed(x: Tensor): Tensor {
  const [n, m] = x.shape;
  const xd = x.data;
  const J = new Float64Array(n * n * m);
  for (let i = 0; i < n; i++) {
    const base = (i * n + i) * m;
    for (let j = 0; j < m; j++) J[base + j] = Math.exp(xd[i * m + j]);
  }
  return new Tensor(J, [n, n, m]);
}

/** d tanh(W x)/dx = diag(1 − y²) W, y = tanh(W x). */
export function tanhWxClosed(W: Tensor, x: Tensor): Tensor {
  const [p, q] = W.shape;
  const w = W.data, xd = x.data;
  const J = new Float64Array(p * q);
  for (let i = 0; i < p; i++) {
    let s = 0;
    const row = i * q;
    for (let k = 0; k < q; k++) s += w[row + k] * xd[k];
    const y = Math.tanh(s);
    const d = 1 - y * y;
    for (let k = 0; k < q; k++) J[row + k] = d * w[row + k];
  }
  return new Tensor(J, [p, q]);
}

/** d/dx of W2 tanh(W1 x + b1) + b2 = W2 diag(1 − h²) W1, in i-k-j order. */
export function mlpClosed(W1: Tensor, b1: Tensor, W2: Tensor, x: Tensor): Tensor {
  const [H, n] = W1.shape;
  const O = W2.shape[0];
  const w1 = W1.data, w2 = W2.data, xd = x.data, c1 = b1.data;
  const A = new Float64Array(H * n); // diag(1 − h²) W1
  for (let h = 0; h < H; h++) {
    let s = 0;
    const row = h * n;
    for (let k = 0; k < n; k++) s += w1[row + k] * xd[k];
    const t = Math.tanh(s + c1[h]);
    const d = 1 - t * t;
    for (let k = 0; k < n; k++) A[row + k] = d * w1[row + k];
  }
  const J = new Float64Array(O * n);
  for (let o = 0; o < O; o++) {
    const jr = o * n;
    for (let h = 0; h < H; h++) {
      const v = w2[o * H + h];
      const ar = h * n;
      for (let k = 0; k < n; k++) J[jr + k] += v * A[ar + k];
    }
  }
  return new Tensor(J, [O, n]);
}

/** The batched MLP's Jacobian [B, O, B, n]: per row b, W2 diag(1 − h_b²) W1 on the block (b, b). */
export function mlpBatchClosed(W1: Tensor, b1: Tensor, W2: Tensor, X: Tensor): Tensor {
  const [B, n] = X.shape;
  const [H] = W1.shape;
  const O = W2.shape[0];
  const w1 = W1.data, w2 = W2.data, xd = X.data, c1 = b1.data;
  const J = new Float64Array(B * O * B * n);
  const A = new Float64Array(H * n);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      let s = 0;
      const row = h * n;
      for (let k = 0; k < n; k++) s += xd[b * n + k] * w1[row + k];
      const t = Math.tanh(s + c1[h]);
      const d = 1 - t * t;
      for (let k = 0; k < n; k++) A[row + k] = d * w1[row + k];
    }
    for (let o = 0; o < O; o++) {
      const jr = ((b * O + o) * B + b) * n;
      for (let h = 0; h < H; h++) {
        const v = w2[o * H + h];
        const ar = h * n;
        for (let k = 0; k < n; k++) J[jr + k] += v * A[ar + k];
      }
    }
  }
  return new Tensor(J, [B, O, B, n]);
}

/** d(sin x · exp x)/dx = diag(exp x (cos x + sin x)), returned dense. */
export function sinExpClosed(x: Tensor): Tensor {
  const n = x.numel();
  const xd = x.data;
  const J = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const v = xd[i];
    const e = Math.exp(v);
    J[i * n + i] = Math.cos(v) * e + Math.sin(v) * e;
  }
  return new Tensor(J, [n, n]);
}
