// The programs the benchmarks differentiate. This file is never imported as it
// is: bench/run.ts reads its text, compiles it with jacc (compileModule) into
// .tmp/bench/ and imports the result, as a user's build would. (tsc also
// type-checks it and writes dist/bench/subjects.js, which nothing loads.)
import { jacobian, jacrev, jacfwd, hessian, grad } from "jacc";

// Link lengths of the planar arm: a captured constant, read when the generated
// code runs (SPEC §4), so one compiled module serves every k.
let L: Float64Array = new Float64Array(0);
export function setLinks(lengths: Float64Array): void {
  L = lengths;
}

/** Planar robot arm with q.length links: the end effector [x, y]. */
export function arm(q: Float64Array): [number, number] {
  let x = 0, y = 0, th = 0;
  for (let i = 0; i < q.length; i++) {
    th += q[i];
    x += L[i] * Math.cos(th);
    y += L[i] * Math.sin(th);
  }
  return [x, y];
}

/**
 * The same arm as users write it with no return annotation: `[x, y]` is then a
 * vector output (SPEC §3), and the Jacobian one [2, k] Tensor.
 */
export function armVec(q: Float64Array) {
  let x = 0, y = 0, th = 0;
  for (let i = 0; i < q.length; i++) {
    th += q[i];
    x += L[i] * Math.cos(th);
    y += L[i] * Math.sin(th);
  }
  return [x, y];
}

/** Extended Rosenbrock: sum over even i of 100 (x[i+1] - x[i]^2)^2 + (1 - x[i])^2. */
export function rosen(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i + 1 < x.length; i += 2) s += 100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2;
  return s;
}

export const armJacrev = jacrev(arm);
export const armJacfwd = jacfwd(arm);
export const armJacobian = (q: Float64Array) => jacobian(arm, q);
export const armVecJacrev = jacrev(armVec);
export const armVecJacfwd = jacfwd(armVec);
export const rosenHessian = hessian(rosen);
export const rosenGrad = grad(rosen);
