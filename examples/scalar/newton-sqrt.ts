// Newton's iteration for sqrt(a) in a data-dependent while loop, differentiated in a.
// The derivative flows through every iteration and matches 1 / (2 sqrt(a)).
import { grad } from "jacc";

export function newtonSqrt(a: number): number {
  let x = a > 1 ? a : 1;
  let steps = 0;
  while (Math.abs(x * x - a) > 1e-12 * a && steps < 60) {
    x = 0.5 * (x + a / x);
    steps++;
  }
  return x;
}

export const dSqrt = grad(newtonSqrt);

export function main() {
  const a = 2;
  return {
    sqrt: newtonSqrt(a),
    d: { value: dSqrt(a), of: newtonSqrt, at: [a] },
    exact: 1 / (2 * Math.sqrt(a)),
  };
}
