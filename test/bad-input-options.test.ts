// Bad-input matrix (b): invalid marker options (SPEC §2 Options), one row each.
//
// Written as literals they are compile-time diagnostics (`invalid-option` or
// `arity`) at the option, with nothing emitted (the rows below complete
// test/diagnostics-markers.test.ts, which has the first ones). Computed at run
// time, chunkSize / strategy / randomness are checked when the marker's result
// is created and inDims / outDims when the vmapped function is called, with a
// RangeError naming the marker and the option; `undefined` is the default.
// argnums, hasAux, strict, vectorize and createGraph decide the generated
// code's structure, so they must be literals: a computed one is a diagnostic.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { compileAndImport } from "./util/compile.js";
import { throwsWith } from "./runtime-assert.js";
import { expectDiagnostic, IMPORTS } from "./util/diagnostic-check.js";

const OPT = "invalid-option";
const F1 = `export function f(x: number) { return x * x; }\n`;
const F2 = `export function f(x: number, y: number) { return x * y; }\n`;
const FP = `export function f(x: number): [number, number] { return [x * x, 1]; }\n`;

/** [name, marked source, code, message patterns] */
const LITERAL: [string, string, string, RegExp[]][] = [
  ["argnums a string", `${F2}export const d = grad(f, { argnums: ‸"0" });`, OPT, [/argnums/, /"0"/]],
  ["argnums null", `${F2}export const d = jacrev(f, { argnums: ‸null });`, OPT, [/argnums/, /null/]],
  ["argnums NaN (not a literal number)", `${F2}export const d = jacrev(f, { argnums: ‸NaN });`, OPT, [/argnums/, /literal/]],
  ["argnums repeated (jacfwd)", `${F2}export const d = jacfwd(f, { argnums: ‸[1, 1] });`, OPT, [/argnums/, /repeats 1/]],
  ["argnums repeated (hessian)", `${F2}export const d = hessian(f, { argnums: ‸[0, 0] });`, OPT, [/argnums/, /repeats 0/]],
  ["argnums out of range (jacfwd)", `${F2}export const d = jacfwd(f, { argnums: ‸3 });`, OPT, [/argnums/, /3/, /out of range/, /2 parameter/]],
  ["argnums computed", `${F2}export const mk = (a: number) => grad(f, { argnums: ‸a });`, OPT, [/argnums/, /literal/]],
  ["chunkSize true", `${F1}export const d = jacrev(f, { chunkSize: ‸true });`, OPT, [/chunkSize/, /true/]],
  ["chunkSize 2.5 (vmap)", `${F1}export const d = vmap(f, { chunkSize: ‸2.5 });`, OPT, [/chunkSize/, /2\.5/]],
  ["strategy a number", `${F1}export const d = jacobian(f, 2, { strategy: ‸1 });`, OPT, [/strategy/, /reverse-mode/, /got 1/]],
  ["strategy in the wrong case", `${F1}export const d = jacobian(f, 2, { strategy: ‸"Reverse-Mode" });`, OPT, [/strategy/, /"Reverse-Mode"/]],
  ["vectorize a string", `${F1}export const d = jacobian(f, 2, { vectorize: ‸"yes" });`, OPT, [/vectorize/, /true.*false/]],
  ["strict a number", `${F1}export const d = jacobian(f, 2, { strict: ‸1 });`, OPT, [/strict/]],
  ["strict computed", `${F1}export const mk = (s: boolean) => jacobian(f, 2, { strict: ‸s });`, OPT, [/strict/, /literal/]],
  ["vectorize computed", `${F1}export const mk = (s: boolean) => jacobian(f, 2, { vectorize: ‸s });`, OPT, [/vectorize/, /literal/]],
  ["createGraph a string", `${F1}export const d = jacobian(f, 2, { createGraph: ‸"true" });`, OPT, [/createGraph/]],
  ["createGraph computed", `${F1}export const mk = (s: boolean) => jacobian(f, 2, { createGraph: ‸s });`, OPT, [/createGraph/, /literal/]],
  ["hasAux a number", `${FP}export const d = jacrev(f, { hasAux: ‸1 });`, OPT, [/hasAux/]],
  ["hasAux computed", `${FP}const a = true;\nexport const d = jacrev(f, { hasAux: ‸a });`, OPT, [/hasAux/, /literal/]],
  ["randomness a number", `${F1}export const d = jacfwd(f, { randomness: ‸0 });`, OPT, [/randomness/, /"error"/, /got 0/]],
  ["inDims a string", `${F1}export const d = vmap(f, { inDims: ‸"0" });`, OPT, [/inDims/, /integer, null/]],
  ["inDims 0.5", `${F1}export const d = vmap(f, { inDims: ‸0.5 });`, OPT, [/inDims/]],
  ["inDims all null", `${F1}export const d = vmap(f, { inDims: ‸null });`, OPT, [/inDims/, /batched/]],
  ["outDims a string", `${F1}export const d = vmap(f, { outDims: ‸"x" });`, OPT, [/outDims/]],
  ["outDims with more entries than outputs", `${F1}export const d = vmap(f, { outDims: ‸[0, 0] });`, OPT, [/outDims/, /2 entries/, /1 value/]],
  ["options null", `${F1}export const d = grad(f, ‸null);`, OPT, [/options of `grad`/, /object literal/]],
  ["options spread", `${F1}const o = {};\nexport const d = grad(f, { ‸...o });`, OPT, [/options of `grad`/, /name: value/]],
  ["option with a computed key", `${F1}export const d = grad(f, { ‸["argnums"]: 0 });`, OPT, [/options of `grad`/]],
  ["a third argument to grad", `${F1}export const d = grad(f, {}, ‸3);`, "arity", [/`grad` takes at most 2 arguments/]],
  ["jacobian without inputs", `${F1}export const d = ‸jacobian(f);`, "arity", [/`jacobian` needs a function and its inputs/]],
  ["vjp without primals", `${F1}export const d = ‸vjp(f);`, "arity", [/`vjp` needs/, /primals/]],
  ["jvp without tangents", `${F1}export const d = ‸jvp(f, [1]);`, "arity", [/`jvp` needs/, /tangents/]],
  ["vjp: primals of the wrong length", `${F2}export const d = vjp(f, ‸[1]);`, "arity", [/primals/, /expected 2, got 1/]],
  ["jvp: tangents of the wrong length", `${F2}export const d = jvp(f, [1, 2], ‸[1]);`, "arity", [/tangents/, /expected 2, got 1/]],
  ["jacobian: inputs of the wrong length", `${F2}export const d = jacobian(f, ‸[1, 2, 3]);`, "arity", [/inputs/, /expected 2, got 3/]],
];

for (const [name, src, code, message] of LITERAL) {
  test(`bad input, literal option: ${name}`, () => {
    expectDiagnostic(`opt-${name.replace(/\W+/g, "-")}`, src, { code, message });
  });
}

// ---------------------------------------------------------------- computed at run time

const RT = `${IMPORTS}${F1}export function fv(x: number[]) { return x[0] * x[1]; }
export const jrChunk = (c: any) => jacrev(fv, { chunkSize: c });
export const vmChunk = (c: any) => vmap(f, { chunkSize: c });
export const vmRand = (r: any) => vmap(f, { randomness: r });
export const jfRand = (r: any) => jacfwd(f, { randomness: r });
export const jbStrat = (s: any) => jacobian(f, 2, { strategy: s });
export const vmIn = (d: any) => vmap(f, { inDims: d });
export const vmOut = (d: any) => vmap(f, { outDims: d });
`;
type M = Record<string, (v: unknown) => (...a: unknown[]) => unknown>;
const batch = () => new Float64Array([1, 2]);

/** [name, what throws (creating or calling the marker's result), message patterns] — all RangeErrors */
const COMPUTED: [string, (m: M) => unknown, RegExp[]][] = [
  ["jacrev chunkSize 0", (m) => m.jrChunk(0), [/^jacrev: chunkSize/, /got 0/]],
  ["jacrev chunkSize -1", (m) => m.jrChunk(-1), [/^jacrev: chunkSize/, /-1/]],
  ["jacrev chunkSize 1.5", (m) => m.jrChunk(1.5), [/^jacrev: chunkSize/, /1\.5/]],
  ["jacrev chunkSize Infinity", (m) => m.jrChunk(Infinity), [/^jacrev: chunkSize/, /Infinity/]],
  ["jacrev chunkSize NaN", (m) => m.jrChunk(NaN), [/^jacrev: chunkSize/, /NaN/]],
  ["jacrev chunkSize \"2\" (a string)", (m) => m.jrChunk("2"), [/^jacrev: chunkSize/, /"2"/]],
  ["vmap chunkSize 0", (m) => m.vmChunk(0), [/^vmap: chunkSize/, /0/]],
  ["vmap chunkSize \"x\"", (m) => m.vmChunk("x"), [/^vmap: chunkSize/, /"x"/]],
  ["vmap randomness \"maybe\"", (m) => m.vmRand("maybe"), [/^vmap: randomness/, /"maybe"/]],
  ["jacfwd randomness 3", (m) => m.jfRand(3), [/^jacfwd: randomness/, /got 3/]],
  ["jacobian strategy \"sideways\"", (m) => m.jbStrat("sideways"), [/^jacobian: strategy/, /"sideways"/]],
  ["jacobian strategy 1", (m) => m.jbStrat(1), [/^jacobian: strategy/, /got 1/]],
  ["vmap inDims 1 for a number parameter (at the call)", (m) => m.vmIn(1)(batch()), [/^vmap: inDims\[0\] = 1/, /out of range/]],
  ["vmap inDims -2 (at the call)", (m) => m.vmIn(-2)(batch()), [/^vmap: inDims\[0\] = -2/]],
  ["vmap inDims \"x\" (at the call)", (m) => m.vmIn("x")(batch()), [/^vmap: inDims\[0\] = x/]],
  ["vmap inDims with too many entries (at the call)", (m) => m.vmIn([0, 0])(batch()), [/^vmap: inDims has 2 entries/]],
  ["vmap inDims all null (at the call)", (m) => m.vmIn(null)(batch()), [/^vmap:/, /batched/]],
  ["vmap outDims 1 for a number output (at the call)", (m) => m.vmOut(1)(batch()), [/^vmap: outDims = 1/, /number output/]],
];

let mod: M | undefined;
const load = async () => (mod ??= await compileAndImport<M>(RT, "bad-input-options-rt"));

for (const [name, run, message] of COMPUTED) {
  test(`bad input, computed option: ${name} → RangeError`, async () => {
    const m = await load();
    let err: unknown;
    try {
      run(m);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof RangeError, `expected a RangeError, got ${err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err)}`);
    for (const re of message) assert.match((err as Error).message, re);
  });
}

test("computed options: undefined is the default, valid values work", async () => {
  const m = await load();
  assert.equal((m.jrChunk(undefined)([2, 3]) as { toArray(): number[] }).toArray(), [3, 2]);
  assert.equal((m.jrChunk(1)([2, 3]) as { toArray(): number[] }).toArray(), [3, 2]);
  assert.is(m.jbStrat(undefined) as unknown, 4);
  assert.is(m.jbStrat("forward-mode") as unknown, 4);
  assert.is(m.jfRand(undefined)(3), 6);
  assert.is(m.vmRand("different") === undefined, false);
  assert.equal(Array.from((m.vmIn(0)(batch()) as { data: Float64Array }).data ?? (m.vmIn(0)(batch()) as Float64Array)), [1, 4]);
});

// primals / tangents that are not an array with one entry per parameter: spreading a
// Tensor or a Float64Array would call f with the wrong arguments, so the call throws
const PRIMALS = `import { vjp, jvp, tensor, Tensor } from "jacc";
function f(x: Tensor): Tensor { return x.mul(x); }
function g(x: Float64Array, y: number): number { return x[0] * y; }
export const vjpOf = (p: any) => vjp(f, p);
export const vjpOfG = (p: any) => vjp(g, p);
export const jvpOf = (p: any, t: any) => jvp(f, p, t);
export const x = tensor([1, 2]);
`;
const BAD_PRIMALS: [string, (m: any) => unknown, RegExp][] = [
  ["vjp(f, x) with x a Tensor", (m) => m.vjpOf(m.x), /^vjp\(f\): primals must be an array with one entry per parameter \(1\), got a Tensor$/],
  ["vjp(g, xs) with xs a Float64Array", (m) => m.vjpOfG(new Float64Array([1, 2])), /^vjp\(g\): primals .* \(2\), got a Float64Array$/],
  ["vjp(g, [xs]) with one entry of two", (m) => m.vjpOfG([new Float64Array([1, 2])]), /^vjp\(g\): primals .* \(2\), got an array of 1$/],
  ["jvp(f, [x], x)", (m) => m.jvpOf([m.x], m.x), /^jvp\(f\): tangents must be an array .* got a Tensor$/],
  ["jvp(f, null, [x])", (m) => m.jvpOf(null, [m.x]), /^jvp\(f\): primals .* got null$/],
];
for (const [name, run, message] of BAD_PRIMALS) {
  test(`bad input: ${name} → TypeError`, async () => {
    const m = await compileAndImport<any>(PRIMALS, "bad-input-primals");
    throwsWith(() => run(m), TypeError, message);
  });
}
test("primals in an array: vjp and jvp still work", async () => {
  const m = await compileAndImport<any>(PRIMALS, "bad-input-primals");
  assert.equal(m.vjpOf([m.x])[1](m.x)[0].toArray(), [2, 8]);
  assert.equal(m.jvpOf([m.x], [m.x])[1].toArray(), [2, 8]);
});

test("vjp and jvp leave out trailing parameters with defaults or optional (PyTorch calls func(*primals)): at the top level, with run-time primals, inside a differentiated function; the counts checked", async () => {
  const m = await compileAndImport<any>(`import { jvp, vjp, grad, jacfwd } from "jacc";
function h(a: number, b?: number): number { return b === undefined ? a * a : a * b; }
function k(a: number, s = 2 * a): number { return Math.sin(a) * s; }
export const jh = (p: number[], t: number[]) => jvp(h, p, t);
export const jh1 = (a: number) => jvp(h, [a], [1]);
export const vh1 = (a: number) => vjp(h, [a]);
export const vh2 = (a: number, b: number) => vjp(h, [a, b]);
export const jk1 = (a: number) => jvp(k, [a], [1]);
export const vk1 = (a: number) => vjp(k, [a]);
export const vh = (p: number[]) => vjp(h, p);
function outer(x: number): number { const [y, t] = jvp(h, [x], [1]); const [z, back] = vjp(k, [x]); return y * t + z * back(1)[0]; }
export const outerF = outer;
export const d = [grad(outer), jacfwd(outer)];
`, "primals-left-out");
  assert.equal(m.jh1(2), [4, 4]);
  assert.equal(m.jh([2, 3], [1, 0]), [6, 3]);
  const [y, back] = m.vh1(2);
  assert.equal([y, back(1)], [4, [4]]); // one cotangent per primal given
  assert.equal(m.vh2(2, 3)[1](1), [3, 2]);
  // the default s = 2a is a function of a: its derivative counts
  const dk = 2 * Math.sin(0.5) + 2 * 0.5 * Math.cos(0.5);
  assert.ok(Math.abs(m.jk1(0.5)[1] - dk) < 1e-15 && Math.abs(m.vk1(0.5)[1](1)[0] - dk) < 1e-15);
  const o = m.outerF as (x: number) => number;
  const fdo = (o(0.7 + 1e-5) - o(0.7 - 1e-5)) / 2e-5;
  for (const g of m.d) assert.ok(Math.abs(g(0.7) - fdo) < 1e-6 * (1 + Math.abs(fdo)), `${g(0.7)} vs finite differences ${fdo}`);
  throwsWith(() => m.jh([2], [1, 0]), TypeError, /^jvp\(h\): tangents must have one entry per primal \(1\), got 2$/);
  throwsWith(() => m.vh([]), TypeError, /^vjp\(h\): primals must be an array with one entry per parameter \(1 to 2\), got an array of 0$/);
  throwsWith(() => m.vh([1, 2, 3]), TypeError, /\(1 to 2\), got an array of 3$/);
});

test.run();
