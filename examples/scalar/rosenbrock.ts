// Extended Rosenbrock, its gradient and its Hessian.
// f(x) = sum of 100 (x[i+1] - x[i]^2)^2 + (1 - x[i])^2.
import { grad, hessian } from "jacc";

export function rosenbrock(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i + 1 < x.length; i++) {
    const a = x[i + 1] - x[i] * x[i];
    const b = 1 - x[i];
    s += 100 * a * a + b * b;
  }
  return s;
}

export const gradient = grad(rosenbrock);
export const hess = hessian(rosenbrock);

export function main() {
  const x = Float64Array.from([-1.2, 1, 0.5, 0.8]);
  return {
    f: rosenbrock(x),
    grad: { value: gradient(x), of: rosenbrock, at: [x] },
    // The Hessian is checked against finite differences of the compiled gradient.
    hessian: { value: hess(x), of: (v: Float64Array) => gradient(v).toArray(), at: [x] },
  };
}
