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

const TWO_OVER_SQRT_PI = 1.1283791670955126;

/** erfc(x) for x ≥ 1.5 by its continued fraction (modified Lentz): e^(-x²)/√π / (x + (1/2)/(x + 1/(x + (3/2)/(x + …)))). */
function erfcTail(x: number): number {
  const tiny = 1e-300;
  let f = x, c = x, d = 0;
  for (let n = 1; n < 2000; n++) {
    const a = n / 2;
    d = x + a * d;
    d = 1 / (Math.abs(d) < tiny ? tiny : d);
    c = x + a / c;
    if (Math.abs(c) < tiny) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / (f * 1.7724538509055159);
}

/**
 * The error function in float64. Below |x| = 2 the series
 * erf(x) = 2/√π e^(-x²) Σ (2x²)ⁿ x / (1·3·…·(2n+1)), whose terms are all
 * positive (no cancellation); above, 1 - erfc by its continued fraction.
 */
export function erfC(x: number): number {
  if (x !== x) return NaN;
  const a = Math.abs(x);
  if (a >= 6) return x > 0 ? 1 : -1;
  if (a >= 2) return x > 0 ? 1 - erfcTail(a) : erfcTail(a) - 1;
  const q = 2 * x * x;
  let term = x, sum = x;
  for (let n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
    term *= q / (2 * n + 1);
    sum += term;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-x * x) * sum;
}

/** 1 - erf(x) without the cancellation for large x (the continued fraction from x = 1.5). */
export function erfcC(x: number): number {
  if (x !== x) return NaN;
  if (x >= 1.5) return x > 27 ? 0 : erfcTail(x);
  if (x <= -6) return 2;
  if (x <= -2) return 2 - erfcTail(-x);
  return 1 - erfC(x);
}
