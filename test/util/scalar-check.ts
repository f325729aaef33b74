// Helpers for the scalar rule tests: a seeded PRNG, central finite differences
// in float64, and compile-and-import of a two-parameter scalar function with
// its reverse (`grad`) and forward (`jacfwd`) derivatives.
import { compileAndImport } from "./compile.js";

/** mulberry32: a small deterministic PRNG (never Math.random in tests). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A stable 32-bit seed from a string (FNV-1a), so each case has its own points. */
export function seedOf(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * Central finite difference of f at x, fourth-order stencil
 * (−f(x+2h) + 8f(x+h) − 8f(x−h) + f(x−2h)) / 12h, with h scaled to |x|.
 */
export function fd(f: (x: number) => number, x: number, h = 1e-4 * Math.max(1, Math.abs(x))): number {
  return (-f(x + 2 * h) + 8 * f(x + h) - 8 * f(x - h) + f(x - 2 * h)) / (12 * h);
}

/** ∂/∂x and ∂/∂y of g at (x, y) by finite differences. */
export function fdGrad(g: (x: number, y: number) => number, x: number, y: number): [number, number] {
  return [fd((t) => g(t, y), x), fd((t) => g(x, t), y)];
}

/** Same value, both NaN, the same infinity, or within tol·(1 + |expected|). */
export function near(actual: number, expected: number, tol = 1e-6): boolean {
  if (Number.isNaN(expected)) return Number.isNaN(actual);
  if (!Number.isFinite(expected)) return actual === expected;
  return Number.isFinite(actual) && Math.abs(actual - expected) <= tol * (1 + Math.abs(expected));
}

export type Fn2 = (x: number, y: number) => number;
export type Grad2 = (x: number, y: number) => [number, number];

export interface Compiled2 {
  g: Fn2;
  /** grad(g, { argnums: [0, 1] }): reverse mode */
  gr: Grad2;
  /** jacfwd(g, { argnums: [0, 1] }): forward mode */
  jf: Grad2;
  source: string;
}

/** The module text for `g = (x, y) => expr` with its two first derivatives. */
export function moduleOf(expr: string, extra = ""): string {
  return [
    `import { grad, jacfwd, hessian, jacrev } from "jacc";`,
    `export const g = (x: number, y: number) => ${expr};`,
    `export const gr = grad(g, { argnums: [0, 1] });`,
    `export const jf = jacfwd(g, { argnums: [0, 1] });`,
    extra,
  ].join("\n");
}

let counter = 0;
/** Compiles `g = (x, y) => expr` with grad and jacfwd (and `extra` exports) and imports it. */
export async function compile2<T = object>(expr: string, extra = "", name = "rule"): Promise<Compiled2 & T> {
  const source = moduleOf(expr, extra);
  const m = await compileAndImport<Compiled2 & T>(source, `${name}-${counter++}`);
  return Object.assign({}, m, { source });
}

/** Formats a number for a failure message. */
export const fmt = (x: number): string => (Number.isFinite(x) ? x.toPrecision(12) : String(x));
