// Scalar helpers that elementwise formulas call (compiler/ops/elementwise.ts's `jsHelpers`).

/** C's pow (what PyTorch computes): pow(1, y) = 1 and pow(-1, ±inf) = 1, where JS gives NaN. */
export function powC(x: number, y: number): number {
  return x === 1 || (x === -1 && (y === Infinity || y === -Infinity)) ? 1 : Math.pow(x, y);
}

/** torch.remainder: the remainder of floor division, with the divisor's sign (fmod, then moved into the divisor's side). */
export function remainderC(x: number, y: number): number {
  const r = x % y;
  return r !== 0 && r < 0 !== y < 0 ? r + y : r;
}

/** torch.round: halves to even (Math.round takes halves up: Math.round(2.5) = 3, torch.round(2.5) = 2). */
export function roundHalfEven(x: number): number {
  return Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : Math.round(x);
}
