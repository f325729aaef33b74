// Diagnostics at the marker (SPEC §2): invalid literal options, `hasAux` and
// `grad` output checks, `strict: true`, marker functions that are not
// statically resolvable, `vmap`'s options and limits; run-time checks of
// computed options (RangeError); and the stubs that throw when a marker
// reaches run time uncompiled.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { jacobian, jacrev, jacfwd, hessian, grad, vjp, jvp, vmap } from "jacc";
import { compileModule, formatDiagnostic } from "../compiler/index.js";
import { compileAndImport } from "./util/compile.js";
import { diagDir, expectDiagnostic, goodModuleWorks, IMPORTS, type Expected } from "./util/diagnostic-check.js";
import path from "node:path";

interface Bad extends Expected {
  name: string;
  src: string;
}

const OPT = "invalid-option";
const F1 = `export function f(x: number) { return x * x; }\n`;
const F2 = `export function f(x: number, y: number) { return x * y; }\n`;

const OPTIONS: Bad[] = [
  { name: "unknown option name", src: `${F1}export const d = grad(f, { ‸argnum: 0 });`, code: OPT, message: [/unknown option/, /`argnum`/, /grad/] },
  { name: "unknown option of jacobian", src: `${F1}export const d = jacobian(f, 2, { ‸argnums: 0 });`, code: OPT, message: [/unknown option/, /`argnums`/, /jacobian/] },
  { name: "option of another marker (chunkSize on jacfwd)", src: `${F1}export const d = jacfwd(f, { ‸chunkSize: 2 });`, code: OPT, message: [/chunkSize/, /jacfwd/] },
  { name: "argnums out of range", src: `${F2}export const d = grad(f, { argnums: ‸2 });`, code: OPT, message: [/argnums/, /out of range/, /2/] },
  { name: "argnums out of range in an array", src: `${F2}export const d = jacrev(f, { argnums: ‸[0, 5] });`, code: OPT, message: [/argnums/, /5/] },
  { name: "argnums out of range for hessian", src: `${F2}export const d = hessian(f, { argnums: ‸[0, 2] });`, code: OPT, message: [/argnums/, /2/] },
  { name: "argnums negative", src: `${F2}export const d = grad(f, { argnums: ‸-1 });`, code: OPT, message: [/argnums/, /-1/] },
  { name: "argnums not an integer", src: `${F2}export const d = jacfwd(f, { argnums: ‸0.5 });`, code: OPT, message: [/argnums/, /0\.5/] },
  { name: "argnums repeated", src: `${F2}export const d = grad(f, { argnums: ‸[0, 0] });`, code: OPT, message: [/argnums/, /repeat/] },
  { name: "argnums empty array", src: `${F2}export const d = jacrev(f, { argnums: ‸[] });`, code: OPT, message: [/argnums/, /empty/] },
  { name: "argnums not a literal", src: `const k = 1;\n${F2}export const d = grad(f, { argnums: ‸k });`, code: OPT, message: [/argnums/, /literal/] },
  { name: "chunkSize 0", src: `${F1}export const d = jacrev(f, { chunkSize: ‸0 });`, code: OPT, message: [/chunkSize/, /0/] },
  { name: "chunkSize negative", src: `${F1}export const d = jacrev(f, { chunkSize: ‸-2 });`, code: OPT, message: [/chunkSize/, /-2/] },
  { name: "chunkSize not an integer", src: `${F1}export const d = jacrev(f, { chunkSize: ‸1.5 });`, code: OPT, message: [/chunkSize/, /1\.5/] },
  { name: "chunkSize a string", src: `${F1}export const d = jacrev(f, { chunkSize: ‸"2" });`, code: OPT, message: [/chunkSize/] },
  { name: "strategy \"sideways\"", src: `${F1}export const d = jacobian(f, 2, { strategy: ‸"sideways" });`, code: OPT, message: [/strategy/, /sideways/, /reverse-mode/, /forward-mode/] },
  { name: "randomness \"maybe\"", src: `${F1}export const d = jacfwd(f, { randomness: ‸"maybe" });`, code: OPT, message: [/randomness/, /maybe/] },
  { name: "hasAux not a boolean", src: `export function f(x: number): [number, number] { return [x, x]; }\nexport const d = grad(f, { hasAux: ‸"yes" });`, code: OPT, message: [/hasAux/] },
  { name: "strict not a literal", src: `const s = true;\n${F2}export const d = jacobian(f, [1, 2], { strict: ‸s });`, code: OPT, message: [/strict/, /literal/] },
  { name: "options not an object literal", src: `const o = { argnums: 0 };\n${F1}export const d = grad(f, ‸o);`, code: OPT, message: [/options/, /object literal/] },
  {
    name: "hasAux: true with a function that does not return a pair",
    src: `${F1}export const d = grad(‸f, { hasAux: true });`,
    code: "has-aux",
    message: [/hasAux/, /\[output, aux\]/],
  },
  {
    name: "hasAux: true with a function returning a triple",
    src: `export function f(x: number): [number, number, number] { return [x, x, x]; }\nexport const d = jacrev(‸f, { hasAux: true });`,
    code: "has-aux",
    message: [/hasAux/, /3/],
  },
  {
    name: "hasAux: true on vjp with a single output",
    src: `${F1}export const d = vjp(‸f, [1], { hasAux: true });`,
    code: "has-aux",
    message: [/hasAux/],
  },
  {
    name: "grad of a function returning a vector",
    src: `export function f(x: number): number[] { return [x, 2 * x]; }\nexport const d = grad(‸f);`,
    code: "grad-output",
    message: [/grad/, /single/, /jacrev/],
  },
  {
    name: "grad of a function returning a tuple",
    src: `export function f(x: number): [number, number] { return [x, 2 * x]; }\nexport const d = grad(‸f);`,
    code: "grad-output",
    message: [/grad/],
  },
  {
    name: "strict: true, a tuple output that does not depend on a parameter",
    src: `export function f(x: number, y: number): [number, number] { return [x * y, x * x]; }\nexport const d = ‸jacobian(f, [1, 2], { strict: true });`,
    code: "strict",
    message: [/output 1/, /`y`/, /`f`/],
  },
  {
    name: "strict: true, the single output does not depend on a parameter",
    src: `export function f(x: number, y: number) { return x * x; }\nexport const d = ‸jacobian(f, [1, 2], { strict: true, vectorize: true });`,
    code: "strict",
    message: [/output/, /`y`/],
  },
  {
    name: "strict: true, the output does not depend on the first parameter",
    src: `export function f(a: number, b: number) { return 3 * b; }\nexport const d = ‸jacobian(f, [1, 2], { strict: true });`,
    code: "strict",
    message: [/output/, /`a`/],
  },
  {
    name: "strict: true names the parameter as written (`θ$`, not the generated code's name)",
    src: `export function f(θ$: number, b: number) { return 3 * b; }\nexport const d = ‸jacobian(f, [1, 2], { strict: true });`,
    code: "strict",
    message: [/output/, /parameter `θ\$`/],
  },
  {
    name: "vmap: inDims out of range names the parameter as written",
    src: `export function f(ψ: number) { return ψ * ψ; }\nexport const d = vmap(f, { inDims: ‸1 });`,
    code: OPT,
    message: [/inDims/, /number parameter `ψ`/],
  },
  {
    name: "a marker's function that is not statically resolvable: a method of an object",
    src: `const someObject = { method: (x: number) => x * x };\nexport const d = jacrev(‸someObject.method);`,
    code: "unresolved",
    message: [/someObject\.method/, /statically/],
  },
  {
    name: "a marker's function that is not statically resolvable: a call's result",
    src: `export function make() { return (x: number) => x; }\nexport const d = jacrev(‸make());`,
    code: "unresolved",
    message: [/make\(\)/],
  },
  {
    name: "a marker's function that is not statically resolvable: a `let` binding",
    src: `let h = (x: number) => x * x;\nexport const d = grad(‸h);`,
    code: "unresolved",
    message: [/`h`/],
  },
  {
    name: "a marker's function that is not statically resolvable: an unknown name",
    src: `export const d = jacfwd(‸nowhere);`,
    code: "unresolved",
    message: [/nowhere/],
  },
  {
    name: "a transform of vmap with dims computed at run time",
    src: `${F1}const dims = 0;\nexport const d = jacrev(‸vmap(f, { inDims: dims }));`,
    code: "unsupported-construct",
    message: [/vmap/, /literal `inDims`/],
  },
  { name: "vmap: chunkSize 0", src: `${F1}export const d = vmap(f, { chunkSize: ‸0 });`, code: OPT, message: [/chunkSize/, /0/] },
  { name: "vmap: randomness \"maybe\"", src: `${F1}export const d = vmap(f, { randomness: ‸"maybe" });`, code: OPT, message: [/randomness/, /maybe/] },
  { name: "vmap: unknown option", src: `${F1}export const d = vmap(f, { ‸argnums: 0 });`, code: OPT, message: [/unknown option/, /argnums/, /vmap/] },
  { name: "vmap: inDims with more entries than parameters", src: `${F1}export const d = vmap(f, { inDims: ‸[0, 0] });`, code: OPT, message: [/inDims/, /2/] },
  {
    name: "a marker given no function",
    src: `export const d = ‸grad();`,
    code: "arity",
    message: [/grad/],
  },
];

for (const bad of OPTIONS) {
  test(`marker: ${bad.name}`, async () => {
    expectDiagnostic(bad.name.replace(/\W+/g, "-"), bad.src, bad);
    await goodModuleWorks(bad.name.replace(/\W+/g, "-"));
  });
}

test("valid literal options compile (the diagnostics above are not over-eager)", async () => {
  const m = await compileAndImport<Record<string, (...a: any[]) => any>>(
    `${IMPORTS}${F2}export const a = grad(f, { argnums: [1, 0] });
export const b = jacrev(f, { argnums: 1, chunkSize: 1 });
export const c = jacfwd(f, { argnums: [0, 1], randomness: "same" });
export const h = hessian(f, { argnums: 0 });
export const j = (x: number, y: number) => jacobian(f, [x, y], { strict: true, strategy: "forward-mode", vectorize: true, createGraph: false });
`,
    "diag-valid-options",
  );
  assert.equal(m.a(2, 3), [2, 3]);
  assert.is(m.b(2, 3), 2);
  assert.equal(m.c(2, 3), [3, 2]);
  assert.is(m.h(2, 3), 0);
  assert.equal(m.j(2, 3), [3, 2]);
});

// ---------------------------------------------------------------- SPEC §2: randomness
test("randomness: \"different\" allows a random op (SPEC §2: only \"error\" makes it a compile-time error)", async () => {
  const src = `${IMPORTS}export function f(x: number) { return x * Math.random(); }\nexport const d = jacfwd(f, { randomness: "different" });\n`;
  const r = compileModule(src, path.join(diagDir, "randomness-different.ts"), { target: "js" });
  assert.equal(r.diagnostics.map(formatDiagnostic), [], "no diagnostic expected under randomness: \"different\"");
});

test("randomness: \"same\" allows a random op (SPEC §2)", async () => {
  const src = `${IMPORTS}export function f(x: number) { return x + Math.random(); }\nexport const d = jacfwd(f, { randomness: "same" });\n`;
  const r = compileModule(src, path.join(diagDir, "randomness-same.ts"), { target: "js" });
  assert.equal(r.diagnostics.map(formatDiagnostic), [], "no diagnostic expected under randomness: \"same\"");
});

test("randomness: \"different\" on vmap allows a random op (SPEC §2)", async () => {
  const src = `${IMPORTS}export function f(x: number) { return x * Math.random(); }\nexport const d = vmap(f, { randomness: "different" });\n`;
  const r = compileModule(src, path.join(diagDir, "vmap-randomness-different.ts"), { target: "js" });
  assert.equal(r.diagnostics.map(formatDiagnostic), [], "no diagnostic expected under randomness: \"different\"");
});

test("vmap: a literal inDims out of range for a number parameter is a compile-time diagnostic (SPEC §2)", () => {
  expectDiagnostic("vmap-indims-range", `${F1}export const d = vmap(f, { inDims: ‸2 });`, { code: OPT, message: [/inDims/, /2/] });
});

test("vmap: a literal outDims out of range for a number output is a compile-time diagnostic (SPEC §2)", () => {
  expectDiagnostic("vmap-outdims-range", `${F1}export const d = vmap(f, { outDims: ‸-3 });`, { code: OPT, message: [/outDims/, /-3/] });
});

// ---------------------------------------------------------------- vmap inside a differentiated function
test("vmap of a function of numbers bound to a local inside a differentiated function, given a number: a diagnostic at the argument", async () => {
  const src = `export function f(x: number) {\n  const h = vmap((t: number) => t * t);\n  return h(‸x);\n}\nexport const d = grad(f);\n`;
  expectDiagnostic("vmap-inside", src, { code: "unsupported-construct", message: [/takes an array of numbers for `t` here, not a number/] });
  await goodModuleWorks("vmap-inside");
});

// ---------------------------------------------------------------- `this` parameters
test("a TypeScript `this` parameter is not a parameter: `function (this: void, x: number)` compiles", async () => {
  const src = `${IMPORTS}export function f(this: void, x: number, y: number) { return x * y * y; }\nexport const d = grad(f, { argnums: 1 });\n`;
  const r = compileModule(src, path.join(diagDir, "this-param.ts"), { target: "js" });
  assert.equal(r.diagnostics.map(formatDiagnostic), [], "`this: void` is a type annotation, not a parameter");
  const m = await compileAndImport<{ d: (x: number, y: number) => number }>(src, "diag-this-param");
  assert.is(m.d(2, 3), 12); // d/dy (x y²) = 2xy
});

// ---------------------------------------------------------------- run-time option checks
test("a computed chunkSize of 0 throws a RangeError when the compiled code runs", async () => {
  const m = await compileAndImport<{ make: (size: number) => (xs: number[]) => unknown }>(
    `${IMPORTS}export function f(xs: number[]) { return xs[0] * xs[1]; }\nexport const make = (size: number) => jacrev(f, { chunkSize: size });\n`,
    "diag-runtime-chunk",
  );
  assert.throws(() => m.make(0), (e: unknown) => e instanceof RangeError && /chunkSize/.test(e.message) && /0/.test(e.message));
  assert.throws(() => m.make(-1), (e: unknown) => e instanceof RangeError);
  assert.throws(() => m.make(1.5), (e: unknown) => e instanceof RangeError);
  const J = m.make(1)([2, 3]) as { toArray(): number[] };
  assert.equal(J.toArray(), [3, 2]);
});

test("a chunkSize of 0 in a module-level variable: the RangeError surfaces when the module runs", async () => {
  let err: unknown;
  try {
    await compileAndImport(`${IMPORTS}export function f(xs: number[]) { return xs[0] * xs[1]; }\nlet size = 0;\nexport const d = jacrev(f, { chunkSize: size });\n`, "diag-runtime-chunk-var");
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof RangeError, `expected a RangeError, got ${err}`);
  assert.match((err as Error).message, /chunkSize/);
});

test("a computed strategy or randomness that is not allowed throws a RangeError at run time", async () => {
  const m = await compileAndImport<{ jac: (how: string) => number; fwd: (mode: string) => (x: number) => number }>(
    `${IMPORTS}${F1}export const jac = (how: any) => jacobian(f, 3, { strategy: how });\nexport const fwd = (mode: any) => jacfwd(f, { randomness: mode });\n`,
    "diag-runtime-strategy",
  );
  assert.is(m.jac("forward-mode"), 6);
  assert.is(m.jac("reverse-mode"), 6);
  assert.throws(() => m.jac("sideways"), (e: unknown) => e instanceof RangeError && /strategy/.test(e.message));
  assert.is(m.fwd("error")(3), 6);
  assert.throws(() => m.fwd("maybe"), (e: unknown) => e instanceof RangeError && /randomness/.test(e.message));
});

// The generated check declares its own temporary (`const c = <expr>`): an
// option expression that mentions a variable of the same name must still work.
test("run-time chunkSize check: a variable named `c` is not shadowed by the check's temporary", async () => {
  const m = await compileAndImport<{ make: (c: number) => (xs: number[]) => unknown }>(
    `${IMPORTS}export function f(xs: number[]) { return xs[0] * xs[1]; }\nexport const make = (c: number) => jacrev(f, { chunkSize: c });\n`,
    "diag-runtime-chunk-c",
  );
  assert.throws(() => m.make(0), (e: unknown) => e instanceof RangeError, "expected a RangeError (not a ReferenceError from `const c = c`)");
  assert.equal((m.make(2)([2, 3]) as { toArray(): number[] }).toArray(), [3, 2]);
});

test("run-time strategy / randomness checks: variables named `s` and `r` are not shadowed", async () => {
  const m = await compileAndImport<{ jac: (s: string) => number; fwd: (r: string) => (x: number) => number }>(
    `${IMPORTS}${F1}export const jac = (s: any) => jacobian(f, 3, { strategy: s });\nexport const fwd = (r: any) => jacfwd(f, { randomness: r });\n`,
    "diag-runtime-strategy-sr",
  );
  assert.is(m.jac("forward-mode"), 6);
  assert.is(m.fwd("same")(3), 6);
});

// ---------------------------------------------------------------- uncompiled markers
const STUBS: Record<string, () => unknown> = {
  jacobian: () => jacobian((x: number) => x * x, 2),
  jacrev: () => jacrev((x: number) => x * x),
  jacfwd: () => jacfwd((x: number) => x * x),
  hessian: () => hessian((x: number) => x * x),
  grad: () => grad((x: number) => x * x),
  vjp: () => vjp((x: number) => x * x, [2]),
  jvp: () => jvp((x: number) => x * x, [2], [1]),
  vmap: () => vmap((x: number) => x * x),
};

/** The line of the caller in this file, as the stack shows it (the file runs from dist/test). */
function stackLine(e: Error): string | undefined {
  const m = /diagnostics-markers\.test\.js:(\d+):\d+/.exec(e.stack ?? "");
  return m?.[1];
}

for (const [name, call] of Object.entries(STUBS)) {
  test(`uncompiled \`${name}\` throws an Error naming it, where it was called, and how to enable the compiler`, () => {
    let err: unknown;
    try {
      call();
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof Error, `${name} must throw when it was not compiled`);
    const msg = (err as Error).message;
    assert.ok(msg.includes(`\`${name}\``) || new RegExp(`\\b${name}\\b`).test(msg), `names the marker: ${msg}`);
    // the call site: this test file and the line of the arrow in STUBS
    const line = stackLine(err as Error);
    assert.ok(line, `the stack shows this file:\n${(err as Error).stack}`);
    assert.ok(new RegExp(`diagnostics-markers\\.test\\.js:${line}\\b`).test(msg), `names the caller's file and line (${line}): ${msg}`);
    assert.match(msg, /jacc\/register/, "mentions the Node loader");
    assert.match(msg, /jacc emit|CLI/, "mentions the CLI");
    assert.match(msg, /plugin|jacc\/vite|jacc\/babel|jacc\/tsc/, "mentions the plugins");
  });
}

test.run();
