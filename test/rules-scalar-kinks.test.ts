// The scalar rules at their kinks, with PyTorch's conventions (SPEC §4), in
// both modes (grad = reverse, jacfwd = forward): abs'(0) = 0, piecewise
// constant functions have derivative 0, max/min split ties evenly among all
// tied arguments, fmod's derivatives, pow's masks at x = 0, infinities and NaN
// propagated (never an error, never folded away). Then second derivatives
// (hessian = jacfwd∘jacrev) against finite differences of the analytic first
// derivative.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { compileAndImport } from "./util/compile.js";
import { compile2, fd, fmt, near, prng, seedOf, type Grad2 } from "./util/scalar-check.js";

/** Asserts `got` equals `want` entry by entry (NaN equals NaN, infinities exactly, else within tol). */
function same(got: unknown, want: number[], what: string, tol = 1e-12): void {
  assert.ok(Array.isArray(got) && got.length === want.length, `${what}: expected an array of ${want.length}, got ${JSON.stringify(got)}`);
  want.forEach((w, i) => {
    const g = (got as number[])[i];
    assert.ok(near(g, w, tol), `${what}[${i}]: expected ${fmt(w)}, got ${fmt(g)}`);
  });
}

/** Checks grad and jacfwd of `expr` at each point against the expected [d/dx, d/dy]. */
async function kink(expr: string, cases: [x: number, y: number, want: [number, number]][]): Promise<void> {
  const m = await compile2(expr, "", "kink");
  for (const [x, y, want] of cases) {
    same(m.gr(x, y), want, `grad of ${expr} at (${x}, ${y})`);
    same(m.jf(x, y), want, `jacfwd of ${expr} at (${x}, ${y})`);
  }
}

// ---------------------------------------------------------------- abs, piecewise constants
test("abs'(0) = 0 (PyTorch), ±1 on either side", async () => {
  await kink("Math.abs(x)", [[0, 1, [0, 0]], [-0, 1, [0, 0]], [2, 1, [1, 0]], [-2, 1, [-1, 0]]]);
  await kink("y * Math.abs(x)", [[0, 3, [0, 0]], [-1, 3, [-3, 1]]]);
  await kink("Math.abs(x - y)", [[1.5, 1.5, [0, 0]]]);
});

for (const name of ["sign", "floor", "ceil", "round", "trunc"]) {
  test(`${name} has derivative 0, at its jumps too`, async () => {
    const jumps = name === "round" ? [0.5, -0.5, 1.5, 0] : [0, 1, -1, 2];
    // y * f(x): d/dx = 0 (not NaN, not an impulse); d/dy = f(x)
    const fx = (x: number) => (Math as unknown as Record<string, (t: number) => number>)[name](x);
    await kink(`y * Math.${name}(x)`, jumps.map((x) => [x, 2, [0, fx(x)]] as [number, number, [number, number]]));
    await kink(`Math.${name}(x * y)`, [[0, 0, [0, 0]], [1, 1, [0, 0]], [0.5, 1, [0, 0]]]);
  });
}

// ---------------------------------------------------------------- max / min ties
test("Math.max / Math.min of two tied arguments: 1/2 each", async () => {
  await kink("Math.max(x, y)", [[1, 1, [0.5, 0.5]], [0, 0, [0.5, 0.5]], [2, 1, [1, 0]], [1, 2, [0, 1]]]);
  await kink("Math.min(x, y)", [[1, 1, [0.5, 0.5]], [-3, -3, [0.5, 0.5]], [2, 1, [0, 1]], [1, 2, [1, 0]]]);
});

test("Math.max(x, x) and Math.min(x, x): the halves add up to 1", async () => {
  await kink("Math.max(x, x)", [[1.5, 0, [1, 0]], [0, 0, [1, 0]]]);
  await kink("Math.min(x, x)", [[1.5, 0, [1, 0]]]);
  await kink("Math.max(x, x, y)", [[1, 1, [2 / 3, 1 / 3]], [1, 0, [1, 0]]]);
});

test("Math.max / Math.min with a constant tied: the variable gets 1/2", async () => {
  await kink("Math.max(x, 1)", [[1, 0, [0.5, 0]]]);
  await kink("Math.min(2, y)", [[0, 2, [0, 0.5]]]);
});

const MAX3 = `import { grad, jacfwd } from "jacc";
export const f = (x: number, y: number, z: number) => Math.max(x, y, z);
export const gr = grad(f, { argnums: [0, 1, 2] });
export const jf = jacfwd(f, { argnums: [0, 1, 2] });
export const h = (x: number, y: number, z: number) => Math.min(x, y, z);
export const hgr = grad(h, { argnums: [0, 1, 2] });
export const hjf = jacfwd(h, { argnums: [0, 1, 2] });
`;
type G3 = (x: number, y: number, z: number) => number[];

test("Math.max / Math.min of three: all tied → 1/3 each; two tied → 1/2 each and 0 for the other", async () => {
  const m = await compileAndImport<{ gr: G3; jf: G3; hgr: G3; hjf: G3 }>(MAX3, "kink-max3");
  const t = 1 / 3;
  for (const [mode, fn] of [["grad", m.gr], ["jacfwd", m.jf]] as const) {
    same(fn(1, 1, 1), [t, t, t], `${mode} max(1, 1, 1)`);
    same(fn(2, 2, 1), [0.5, 0.5, 0], `${mode} max(2, 2, 1)`);
    same(fn(2, 1, 2), [0.5, 0, 0.5], `${mode} max(2, 1, 2)`);
    same(fn(0, 3, 3), [0, 0.5, 0.5], `${mode} max(0, 3, 3)`);
    same(fn(1, 1, 5), [0, 0, 1], `${mode} max(1, 1, 5): the tie is not the maximum`);
    same(fn(3, 1, 2), [1, 0, 0], `${mode} max(3, 1, 2)`);
  }
  for (const [mode, fn] of [["grad", m.hgr], ["jacfwd", m.hjf]] as const) {
    same(fn(1, 1, 1), [t, t, t], `${mode} min(1, 1, 1)`);
    same(fn(1, 1, 2), [0.5, 0.5, 0], `${mode} min(1, 1, 2)`);
    same(fn(2, 1, 1), [0, 0.5, 0.5], `${mode} min(2, 1, 1)`);
    same(fn(1, 1, 0), [0, 0, 1], `${mode} min(1, 1, 0)`);
  }
});

// ---------------------------------------------------------------- fmod
test("% (fmod): d/da = 1, d/db = −trunc(a/b), any signs", async () => {
  const pts: [number, number][] = [[7.5, 2], [-7.5, 2], [7.5, -2], [-7.5, -2], [0.3, 2], [5, 1.5], [-0.3, 0.7]];
  await kink("x % y", pts.map(([a, b]) => [a, b, [1, -Math.trunc(a / b)]] as [number, number, [number, number]]));
  // at a jump (a/b an integer) the formula still holds: d/db = −a/b
  await kink("x % y", [[6, 2, [1, -3]], [-6, 2, [1, 3]]]);
});

// ---------------------------------------------------------------- pow at 0
test("pow at x = 0: d/dx (x**3) = 0 (literal and variable exponent), 0**0 has d/dx = 0", async () => {
  await kink("x ** 3", [[0, 0, [0, 0]]]);
  await kink("Math.pow(x, 3)", [[0, 0, [0, 0]]]);
  await kink("x ** y", [[0, 3, [0, 0]], [0, 0, [0, 0]], [0, 1, [1, 0]], [0, 2, [0, 0]]]);
  await kink("x ** 0", [[0, 0, [0, 0]], [2, 0, [0, 0]]]);
});

test("pow at x = 0, y ≥ 0: d/dy = 0 (PyTorch's mask)", async () => {
  await kink("x ** y", [[0, 3, [0, 0]], [0, 0.5, [Infinity, 0]], [0, 0, [0, 0]]]);
  await kink("Math.pow(x, y)", [[0, 2.5, [0, 0]]]);
  await kink("2 * y + 0 ** y", [[1, 1.5, [0, 2]]]); // a constant base 0
});

test("pow with a negative base: d/dx = y·x^(y−1), d/dy = out·log x = NaN (as in PyTorch)", async () => {
  await kink("x ** y", [[-2, 3, [12, NaN]], [-2, 2, [-4, NaN]]]);
  await kink("x ** 3", [[-2, 0, [12, 0]]]);
});

test("pow at x = 0, y < 0: infinities propagate (no mask), never an error", async () => {
  // d/dx = y·0^(y−1) = −Infinity for y = −1; d/dy = 0^y·log 0 = Infinity·(−Infinity) = −Infinity
  await kink("x ** y", [[0, -1, [-Infinity, -Infinity]]]);
});

// ---------------------------------------------------------------- infinities and NaN
test("sqrt'(0) = Infinity", async () => {
  await kink("Math.sqrt(x)", [[0, 1, [Infinity, 0]]]);
  // d/dy = x · 1/(2√(xy)) = 0 · Infinity = NaN, as in PyTorch
  await kink("Math.sqrt(x * y)", [[0, 1, [Infinity, NaN]]]);
});

test("atan2 at (0, 0): NaN derivatives, not an error", async () => {
  await kink("Math.atan2(x, y)", [[0, 0, [NaN, NaN]]]);
  await kink("Math.atan2(y, x)", [[0, 0, [NaN, NaN]]]);
});

test("0 * Math.log(x) at x = 0: a NaN derivative (0 · Infinity is never folded to 0)", async () => {
  await kink("0 * Math.log(x)", [[0, 1, [NaN, 0]]]);
  await kink("Math.log(x) * 0", [[0, 1, [NaN, 0]]]);
  await kink("y * Math.log(x)", [[0, 0, [NaN, -Infinity]]]);
});

test("hypot at (0, 0): NaN derivatives", async () => {
  await kink("Math.hypot(x, y)", [[0, 0, [NaN, NaN]]]);
  await kink("Math.hypot(x, y, 0)", [[0, 0, [NaN, NaN]]]);
});

// ---------------------------------------------------------------- second derivatives
interface Second {
  expr: string;
  /** the analytic gradient [d/dx, d/dy] */
  grad: Grad2;
  x: [number, number];
  y: [number, number];
}

const SECOND: Record<string, Second> = {
  exp: { expr: "Math.exp(x * y)", grad: (x, y) => [y * Math.exp(x * y), x * Math.exp(x * y)], x: [-1.5, 1.5], y: [-1.5, 1.5] },
  sin: { expr: "Math.sin(x * y)", grad: (x, y) => [y * Math.cos(x * y), x * Math.cos(x * y)], x: [-2, 2], y: [-2, 2] },
  log: { expr: "Math.log(x * x + y)", grad: (x, y) => [(2 * x) / (x * x + y), 1 / (x * x + y)], x: [-2, 2], y: [0.2, 3] },
  pow: { expr: "x ** y", grad: (x, y) => [y * x ** (y - 1), x ** y * Math.log(x)], x: [0.3, 3], y: [-2, 3] },
  "pow (literal exponent)": { expr: "(x * y) ** 3", grad: (x, y) => [3 * y * (x * y) ** 2, 3 * x * (x * y) ** 2], x: [-2, 2], y: [-2, 2] },
  atan2: {
    expr: "Math.atan2(x, y)",
    grad: (x, y) => [y / (x * x + y * y), -x / (x * x + y * y)],
    x: [0.3, 3],
    y: [-3, 3],
  },
  tanh: {
    expr: "Math.tanh(x * y)",
    grad: (x, y) => {
      const s = 1 - Math.tanh(x * y) ** 2;
      return [y * s, x * s];
    },
    x: [-1.5, 1.5],
    y: [-1.5, 1.5],
  },
  div: { expr: "x / y", grad: (x, y) => [1 / y, -x / (y * y)], x: [-3, 3], y: [0.5, 3] },
  mod: { expr: "(x * y) % 1.25", grad: (x, y) => [y, x], x: [0.3, 2], y: [0.3, 2] },
};

type H2 = (x: number, y: number) => number[][];

for (const [name, s] of Object.entries(SECOND)) {
  test(`second derivatives of ${name}: hessian (forward-over-reverse) matches FD of the analytic gradient`, async () => {
    const m = await compile2<{ h: H2 }>(s.expr, "export const h = hessian(g, { argnums: [0, 1] });", `second-${name.replace(/\W+/g, "_")}`);
    const rnd = prng(seedOf(`second|${name}`));
    const at = (iv: [number, number]) => iv[0] + (iv[1] - iv[0]) * rnd();
    const bad: string[] = [];
    for (let k = 0; k < 8; k++) {
      const x = at(s.x);
      const y = at(s.y);
      if (name === "mod" && Math.abs(((x * y) / 1.25) - Math.round((x * y) / 1.25)) < 0.02) continue;
      const H = m.h(x, y);
      const want = [
        [fd((t) => s.grad(t, y)[0], x), fd((t) => s.grad(x, t)[0], y)],
        [fd((t) => s.grad(t, y)[1], x), fd((t) => s.grad(x, t)[1], y)],
      ];
      for (let a = 0; a < 2; a++)
        for (let b = 0; b < 2; b++)
          if (!near(H?.[a]?.[b], want[a][b], 1e-6)) bad.push(`H[${a}][${b}] at (${fmt(x)}, ${fmt(y)}): got ${fmt(H?.[a]?.[b])}, FD ${fmt(want[a][b])}`);
      // the first derivatives are right too (the hessian's inner gradient)
      same(m.gr(x, y), s.grad(x, y), `grad of ${s.expr}`, 1e-9);
    }
    assert.ok(bad.length === 0, `${s.expr}:\n  ${bad.join("\n  ")}`);
  });
}

test("hessian of Math.max splits ties in the inner gradient (d²/dx² max(x, y)² at a tie)", async () => {
  // g = max(x, y)²: at x = y = 1 the gradient is 2·max·(1/2) = 1 for each
  // argument; differentiating that again, the tie mask is a constant and
  // d max = 1/2 along either direction, so every entry is 2 · (1/2) · (1/2) = 0.5.
  const m = await compile2<{ h: H2 }>("Math.max(x, y) ** 2", "export const h = hessian(g, { argnums: [0, 1] });", "second-max-tie");
  same(m.gr(1, 1), [1, 1], "grad at the tie");
  same(m.jf(1, 1), [1, 1], "jacfwd at the tie");
  const H = m.h(1, 1);
  same(H[0], [0.5, 0.5], "hessian row 0 at the tie");
  same(H[1], [0.5, 0.5], "hessian row 1 at the tie");
  const H2 = m.h(2, 1);
  same(H2[0], [2, 0], "hessian row 0 away from the tie");
  same(H2[1], [0, 0], "hessian row 1 away from the tie");
});

test.run();
