// Scalar helpers that elementwise formulas call (compiler/ops/elementwise.ts's `jsHelpers`).

/** C's pow (what PyTorch computes): pow(1, y) = 1 and pow(-1, ±inf) = 1, where JS gives NaN. */
export function powC(x: number, y: number): number {
  return x === 1 || (x === -1 && (y === Infinity || y === -Infinity)) ? 1 : Math.pow(x, y);
}
