// SPEC §3: f(x1, x2, x3) = [x1 + x2, x3 x1, x2^3], a tuple in and a tuple out.
import { jacobian } from "jacc";

export const f = (x1: number, x2: number, x3: number): [number, number, number] => [x1 + x2, x3 * x1, x2 ** 3];

// Each result says what it differentiates (`of`, `at`) so the demo can check it by finite differences.
export function main() {
  const x: [number, number, number] = [3, 4, 5];
  return {
    J: { value: jacobian(f, x), of: f, at: x, tupleOut: true }, // [[1, 1, 0], [5, 0, 3], [0, 48, 0]]
  };
}
