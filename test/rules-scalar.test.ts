// A rule test for every scalar primitive, generated from the rule table
// (compiler/rules/scalar.ts): each differentiable primitive (no `zero: true`)
// must have an entry in CASES below, or the coverage test fails, so a new
// primitive cannot go untested. Each case compiles
//   export const g = (x: number, y: number) => <expr>;
//   export const gr = grad(g, { argnums: [0, 1] });    // reverse
//   export const jf = jacfwd(g, { argnums: [0, 1] });  // forward
// and checks both against central finite differences in float64 at 10 seeded
// random points of the expression's domain. Kinks, NaN conventions and second
// derivatives are in rules-scalar-kinks.test.ts.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { MATH_PRIMS, scalarRules } from "../compiler/rules/scalar.js";
import { compileModule } from "../compiler/index.js";
import { compile2, fdGrad, fmt, moduleOf, near, prng, seedOf } from "./util/scalar-check.js";
import { repoRoot } from "./util/compile.js";
import path from "node:path";

type Interval = [number, number];

interface Case {
  /** the body of g(x, y) */
  expr: string;
  /** where x and y are drawn from (uniformly) */
  x: Interval;
  y: Interval;
  /** reject points too close to a kink, a jump or a singularity (FD would straddle it) */
  avoid?: (x: number, y: number) => boolean;
  /** check second derivatives too (hessian and reverse-over-reverse against FD of the checked grad) */
  second?: boolean;
  tol?: number;
}

const POINTS = 10;
const R: Interval = [-3, 3];
const POS: Interval = [0.5, 3];

/** distance of t to the nearest integer */
const fromInt = (t: number) => Math.abs(t - Math.round(t));

// ---------------------------------------------------------------- unary Math functions
// Domains: where the function is differentiable, with a margin from singular
// points (acosh x > 1, atanh |x| < 1, asin / acos |x| < 1, log x > 0, …).
interface Unary { dom: Interval; avoid?: (u: number) => boolean }
const UNARY: Record<string, Unary> = {
  exp: { dom: R },
  log: { dom: [0.1, 5] }, // x > 0
  log1p: { dom: [-0.9, 4] }, // x > -1
  expm1: { dom: R },
  log2: { dom: [0.1, 5] }, // x > 0
  log10: { dom: [0.1, 5] }, // x > 0
  sqrt: { dom: [0.05, 5] }, // x > 0 (sqrt'(0) = Infinity: kinks test)
  cbrt: { dom: [-5, 5], avoid: (u) => Math.abs(u) < 0.05 }, // x ≠ 0
  sin: { dom: [-4, 4] },
  cos: { dom: [-4, 4] },
  tan: { dom: [-1.4, 1.4] }, // |x| < π/2
  asin: { dom: [-0.95, 0.95] }, // |x| < 1
  acos: { dom: [-0.95, 0.95] }, // |x| < 1
  atan: { dom: [-4, 4] },
  sinh: { dom: R },
  cosh: { dom: R },
  tanh: { dom: R },
  asinh: { dom: [-4, 4] },
  acosh: { dom: [1.05, 5] }, // x > 1
  atanh: { dom: [-0.95, 0.95] }, // |x| < 1
  abs: { dom: [-4, 4], avoid: (u) => Math.abs(u) < 0.01 }, // kink at 0: kinks test
};

/** Two forms per unary f: f(x) alone, and y·f((x + y)/2) (a cotangent ≠ 1, a tangent of 1/2, y used twice). */
function unaryCases(name: string, u: Unary): Case[] {
  const av = u.avoid;
  return [
    { expr: `Math.${name}(x)`, x: u.dom, y: R, avoid: av && ((x) => av(x)) },
    { expr: `y * Math.${name}((x + y) / 2)`, x: u.dom, y: u.dom, avoid: av && ((x, y) => av((x + y) / 2) || av(y)) },
  ];
}

// ---------------------------------------------------------------- the table
const CASES: Record<string, Case[]> = {
  add: [
    { expr: "x + y", x: R, y: R },
    { expr: "(x + y) * y", x: R, y: R },
    { expr: "x + 2.5", x: R, y: R },
  ],
  sub: [
    { expr: "x - y", x: R, y: R },
    { expr: "y * (x - y)", x: R, y: R },
    { expr: "1 - y", x: R, y: R },
  ],
  mul: [
    { expr: "x * y", x: R, y: R },
    { expr: "x * x", x: R, y: R },
    { expr: "3 * x * y * y", x: R, y: R },
  ],
  div: [
    { expr: "x / y", x: R, y: POS },
    { expr: "x / y", x: R, y: [-3, -0.5] },
    { expr: "1 / y", x: R, y: POS },
    { expr: "x / (x * x + y * y)", x: POS, y: R },
  ],
  neg: [
    { expr: "-x", x: R, y: R },
    { expr: "-(x * y)", x: R, y: R },
    { expr: "y * -x", x: R, y: R },
  ],
  pow: [
    { expr: "x ** y", x: [0.2, 3], y: [-2, 3] },
    { expr: "y * x ** y", x: [0.2, 3], y: [-2, 3] },
    { expr: "x ** 3", x: R, y: R }, // a literal exponent: negative bases are fine
    { expr: "x ** 2", x: R, y: R },
    { expr: "x ** 0.5", x: [0.1, 4], y: R },
    { expr: "x ** -1.5", x: [0.2, 4], y: R },
    { expr: "2 ** y", x: R, y: R },
    { expr: "(x * y) ** 4", x: [-1.5, 1.5], y: [-1.5, 1.5] },
    { expr: "Math.pow(x, y)", x: [0.2, 3], y: [-2, 3] },
    { expr: "Math.pow(x, 3)", x: R, y: R },
    { expr: "Math.pow(x * y, 0.25)", x: POS, y: POS },
  ],
  // fmod: jumps where x / y is an integer, so points near one are avoided
  mod: [
    { expr: "x % y", x: [0.1, 6], y: [0.6, 2.5], avoid: (x, y) => fromInt(x / y) < 0.02 },
    { expr: "x % y", x: [-6, -0.1], y: [0.6, 2.5], avoid: (x, y) => fromInt(x / y) < 0.02 },
    { expr: "x % y", x: [0.1, 6], y: [-2.5, -0.6], avoid: (x, y) => fromInt(x / y) < 0.02 },
    { expr: "y * (x % 1.5)", x: [-6, 6], y: R, avoid: (x) => fromInt(x / 1.5) < 0.02 },
  ],
  // atan2(a, b): avoid the origin and the branch cut (a ≈ 0, b < 0)
  atan2: [
    { expr: "Math.atan2(x, y)", x: R, y: R, avoid: (x, y) => Math.hypot(x, y) < 0.2 || (y < 0 && Math.abs(x) < 0.05) },
    { expr: "Math.atan2(y, x)", x: R, y: R, avoid: (x, y) => Math.hypot(x, y) < 0.2 || (x < 0 && Math.abs(y) < 0.05) },
    { expr: "Math.atan2(x * y, 2)", x: R, y: R },
  ],
  hypot: [
    { expr: "Math.hypot(x, y)", x: R, y: R, avoid: (x, y) => Math.hypot(x, y) < 0.2 },
    { expr: "Math.hypot(x, y, x * y)", x: R, y: R, avoid: (x, y) => Math.hypot(x, y) < 0.2 },
    { expr: "Math.hypot(x, 2, y)", x: R, y: R },
    { expr: "y * Math.hypot(x)", x: R, y: R, avoid: (x) => Math.abs(x) < 0.05 },
  ],
  // max / min: avoid ties (the tie conventions are in the kinks test)
  max: [
    { expr: "Math.max(x, y)", x: R, y: R, avoid: (x, y) => Math.abs(x - y) < 0.01 },
    { expr: "Math.max(x, y, x * y)", x: R, y: R, avoid: (x, y) => spread3(x, y, x * y) < 0.01 },
    { expr: "y * Math.max(x, 1)", x: R, y: R, avoid: (x) => Math.abs(x - 1) < 0.01 },
    { expr: "Math.max(x)", x: R, y: R },
  ],
  min: [
    { expr: "Math.min(x, y)", x: R, y: R, avoid: (x, y) => Math.abs(x - y) < 0.01 },
    { expr: "Math.min(x, y, x * y)", x: R, y: R, avoid: (x, y) => spread3(x, y, x * y) < 0.01 },
    { expr: "y * Math.min(x, 1)", x: R, y: R, avoid: (x) => Math.abs(x - 1) < 0.01 },
  ],
  // `select` is not written by users (a ternary lowers to `if`): it appears in
  // the derivative rules of pow and max/min, so its own jvp and vjp rules run in
  // second derivatives. These cases check hessian and jacrev∘jacrev too.
  select: [
    { expr: "x ** y", x: [0.2, 3], y: [-2, 3], second: true },
    { expr: "Math.max(x * y, y * y)", x: R, y: R, avoid: (x, y) => Math.abs(x * y - y * y) < 0.01, second: true },
  ],
};

function spread3(a: number, b: number, c: number): number {
  return Math.min(Math.abs(a - b), Math.abs(a - c), Math.abs(b - c));
}

for (const [name, u] of Object.entries(UNARY)) {
  const prim = MATH_PRIMS[name] ?? name;
  CASES[prim] = [...(CASES[prim] ?? []), ...unaryCases(name, u)];
}

// Math functions whose derivative is 0 everywhere (PyTorch): checked away from
// their jumps here, at the jumps in the kinks test.
const ZERO_MATH: Record<string, (u: number) => boolean> = {
  sign: (u) => Math.abs(u) < 0.01,
  floor: (u) => fromInt(u) < 0.01,
  ceil: (u) => fromInt(u) < 0.01,
  round: (u) => fromInt(u - 0.5) < 0.01,
  trunc: (u) => fromInt(u) < 0.01,
};

// Primitives users cannot write: `fround`, the float32 twin's rounding (its jvp and vjp, the
// identity, run in test/vmap-scalar-rows.test.ts's float32 Jacobians against the tensor path)
const INTERNAL = new Set(["fround"]);

// ---------------------------------------------------------------- coverage
test("coverage: every differentiable primitive of the rule table has test cases", () => {
  const missing = Object.entries(scalarRules)
    .filter(([p, r]) => !r.zero && !INTERNAL.has(p))
    .map(([p]) => p)
    .filter((p) => !CASES[p]?.length);
  assert.equal(missing, [], `differentiable primitives without a rule test (add them to CASES): ${missing.join(", ")}`);
  const unknown = Object.keys(CASES).filter((p) => !(p in scalarRules));
  assert.equal(unknown, [], `CASES names primitives the rule table does not have: ${unknown.join(", ")}`);
});

test("coverage: every Math function of the rule table is tested (SPEC §4's list included)", () => {
  const spec = "exp log log1p expm1 log2 log10 sqrt cbrt pow sin cos tan asin acos atan atan2 sinh cosh tanh asinh acosh atanh abs sign min max hypot floor ceil round trunc".split(" ");
  const notMapped = spec.filter((n) => !(n in MATH_PRIMS));
  assert.equal(notMapped, [], `SPEC §4 Math functions missing from MATH_PRIMS: ${notMapped.join(", ")}`);
  const exprs = Object.values(CASES).flat().map((c) => c.expr);
  const untested = Object.entries(MATH_PRIMS)
    .filter(([name, prim]) => !(scalarRules[prim]?.zero ? name in ZERO_MATH : exprs.some((e) => e.includes(`Math.${name}(`))))
    .map(([n]) => n);
  assert.equal(untested, [], `Math functions without a test: ${untested.join(", ")}`);
  const noRule = Object.entries(MATH_PRIMS).filter(([, p]) => !scalarRules[p]).map(([n]) => n);
  assert.equal(noRule, [], `MATH_PRIMS entries without a rule: ${noRule.join(", ")}`);
});

test("coverage: each table entry really exercises its primitive (the grad's IR contains it)", () => {
  const absent: string[] = [];
  for (const [prim, cases] of Object.entries(CASES)) {
    const src = moduleOf(cases[0].expr);
    const r = compileModule(src, path.join(repoRoot, ".tmp", "tests", "coverage.ts"), { target: "js", explain: true });
    assert.equal(r.diagnostics.map((d) => d.message), [], `${prim}: ${cases[0].expr}`);
    const ir = r.markers?.[0]?.ir ?? "";
    if (!new RegExp(`\\b${prim}\\(`).test(ir)) absent.push(`${prim} (${cases[0].expr})`);
  }
  assert.equal(absent, [], `entries whose IR does not contain the primitive: ${absent.join(", ")}`);
});

// ---------------------------------------------------------------- first derivatives
function points(c: Case, key: string): [number, number][] {
  const rnd = prng(seedOf(key));
  const at = (iv: Interval) => iv[0] + (iv[1] - iv[0]) * rnd();
  const out: [number, number][] = [];
  for (let tries = 0; out.length < POINTS && tries < 10000; tries++) {
    const x = at(c.x);
    const y = at(c.y);
    if (!c.avoid?.(x, y)) out.push([x, y]);
  }
  return out;
}

for (const [prim, cases] of Object.entries(CASES)) {
  cases.forEach((c, i) => {
    test(`${prim}: ${c.expr} — grad (reverse) and jacfwd (forward) match finite differences`, async () => {
      const m = await compile2<{ h: (x: number, y: number) => number[][]; rr: (x: number, y: number) => number[][] }>(
        c.expr,
        c.second
          ? `export const h = hessian(g, { argnums: [0, 1] });\nexport const rr = jacrev(jacrev(g, { argnums: [0, 1] }), { argnums: [0, 1] });`
          : "",
        `rule-${prim}-${i}`,
      );
      const bad: string[] = [];
      const pts = points(c, `${prim}|${c.expr}|${c.x}|${c.y}`);
      assert.is(pts.length, POINTS, "not enough points outside the avoided set");
      for (const [x, y] of pts) {
        const want = fdGrad(m.g, x, y);
        for (const [mode, fn] of [["grad", m.gr], ["jacfwd", m.jf]] as const) {
          const got = fn(x, y);
          if (!Array.isArray(got) || got.length !== 2) {
            bad.push(`${mode}(${fmt(x)}, ${fmt(y)}) returned ${JSON.stringify(got)}, expected [d/dx, d/dy]`);
            continue;
          }
          for (let k = 0; k < 2; k++) {
            if (!near(got[k], want[k], c.tol)) bad.push(`${mode} d/d${"xy"[k]} at (${fmt(x)}, ${fmt(y)}): got ${fmt(got[k])}, FD ${fmt(want[k])}`);
          }
        }
        if (c.second) {
          // second derivatives against FD of the (already checked) reverse gradient
          const fdH = [
            fdGrad((a, b) => m.gr(a, b)[0], x, y),
            fdGrad((a, b) => m.gr(a, b)[1], x, y),
          ];
          for (const [mode, fn] of [["hessian", m.h], ["jacrev∘jacrev", m.rr]] as const) {
            const H = fn(x, y);
            for (let a = 0; a < 2; a++)
              for (let b = 0; b < 2; b++)
                if (!near(H?.[a]?.[b], fdH[a][b], 1e-5)) bad.push(`${mode}[${a}][${b}] at (${fmt(x)}, ${fmt(y)}): got ${fmt(H?.[a]?.[b])}, FD ${fmt(fdH[a][b])}`);
          }
        }
      }
      assert.ok(bad.length === 0, `${c.expr}:\n  ${bad.slice(0, 8).join("\n  ")}${bad.length > 8 ? `\n  … ${bad.length - 8} more` : ""}`);
    });
  });
}

// ---------------------------------------------------------------- zero-derivative Math functions
for (const [name, avoid] of Object.entries(ZERO_MATH)) {
  test(`${name}: derivative 0 in both modes away from the jumps (and FD agrees)`, async () => {
    const m = await compile2(`y * Math.${name}(x) + Math.${name}(x * y)`, "", `rule-zero-${name}`);
    const pts = points({ expr: name, x: [-4, 4], y: [0.5, 2], avoid: (x, y) => avoid(x) || avoid(x * y) }, `zero|${name}`);
    for (const [x, y] of pts) {
      const fdx = fdGrad(m.g, x, y)[0];
      assert.ok(near(fdx, 0), `FD d/dx of ${name} at ${x} should be 0 away from jumps, got ${fdx}`);
      for (const [mode, fn] of [["grad", m.gr], ["jacfwd", m.jf]] as const) {
        const [dx, dy] = fn(x, y);
        assert.is(dx, 0, `${mode} d/dx at (${x}, ${y})`);
        assert.ok(near(dy, Math[name as "sign"](x)), `${mode} d/dy at (${x}, ${y}): got ${dy}, expected ${Math[name as "sign"](x)}`);
      }
    }
  });
}

test.run();
