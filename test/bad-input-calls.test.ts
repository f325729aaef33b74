// Bad-input matrix (d): wrong argument counts and kinds given to the functions
// jacc generates. A wrong count is a TypeError naming the marker and the
// function (`grad(f2): expected 2 arguments, got 1`); vmap also names the
// argument and the batch sizes. One row per case.
//
// OPEN (not fixed here: the checks belong in the generated entry functions,
// compiler/emit + compiler/ir, which this branch does not own): the
// differentiating markers do not check argument KINDS. A string where a
// number goes gives NaN, a number where a vector goes fails inside with
// "Tensor: shape [] must hold non-negative integers", a number where a Tensor
// goes with the first op's TypeError. Those rows are in OPEN_KINDS below:
// each is run and reported ("OPEN") with what it does now; the test fails only
// if one of them crashes the process in some other way. When the checks land,
// move the rows to KINDS.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tensor } from "jacc";
import { compileAndImport } from "./util/compile.js";

const SRC = `
import { grad, jacrev, jacfwd, hessian, vmap, jacobian, type Tensor } from "jacc";
export function f2(x: number, y: number) { return x * y; }
export function fv(x: number[]) { return x[0] * x[1]; }
export function ft(x: Tensor) { return x.exp().sum(); }
export function fd(x: number, y = 2) { return x * y; }
export const g2 = grad(f2), jr2 = jacrev(f2, { argnums: [0, 1] }), jf2 = jacfwd(f2), h2 = hessian(f2);
export const gv = grad(fv), jft = jacfwd(ft), gd = grad(fd);
export const vm2 = vmap(f2), vmv = vmap(fv), vmt = vmap(ft);
`;
type M = Record<string, (...a: unknown[]) => unknown>;
let mod: M | undefined;
const load = async () => (mod ??= await compileAndImport<M>(SRC, "bad-input-calls"));
const F = (...v: number[]) => Float64Array.from(v);

/** [name, call, class, message patterns] */
const COUNTS: [string, (m: M) => unknown, typeof TypeError | typeof RangeError, RegExp[]][] = [
  ["grad(f2)()", (m) => m.g2(), TypeError, [/^grad\(f2\): expected 2 arguments, got 0$/]],
  ["grad(f2)(1)", (m) => m.g2(1), TypeError, [/^grad\(f2\): expected 2 arguments, got 1$/]],
  ["grad(f2)(1, 2, 3)", (m) => m.g2(1, 2, 3), TypeError, [/^grad\(f2\): expected 2 arguments, got 3$/]],
  ["jacrev(f2)(1)", (m) => m.jr2(1), TypeError, [/^jacrev\(f2\): expected 2 arguments, got 1$/]],
  ["jacfwd(f2)(1)", (m) => m.jf2(1), TypeError, [/^jacfwd\(f2\): expected 2 arguments, got 1$/]],
  ["hessian(f2)(1)", (m) => m.h2(1), TypeError, [/^hessian\(f2\): expected 2 arguments, got 1$/]],
  ["jacfwd(ft)()", (m) => m.jft(), TypeError, [/^jacfwd\(ft\): expected 1 argument, got 0$/]],
  ["grad(fd)() (one default parameter)", (m) => m.gd(), TypeError, [/^grad\(fd\): expected 1 to 2 arguments, got 0$/]],
  ["grad(fd)(1, 2, 3)", (m) => m.gd(1, 2, 3), TypeError, [/^grad\(fd\): expected 1 to 2 arguments, got 3$/]],
  ["vmap(f2)(batch) (one argument short)", (m) => m.vm2(F(1, 2, 3)), TypeError, [/^vmap\(f2\):/, /`y`/, /undefined/]],
  ["vmap(f2)(1, 2) (numbers where batches go)", (m) => m.vm2(1, 2), TypeError, [/^vmap\(f2\):/, /`x`/, /a number/, /inDims/]],
  ["vmap(f2) with batch sizes 3 and 2", (m) => m.vm2(F(1, 2, 3), F(1, 2)), RangeError, [/^vmap\(f2\):/, /batch sizes/, /`y` has 2/, /`x` has 3/]],
  ["vmap(fv)([1, 2]) (a vector that is not a batch of rows)", (m) => m.vmv([1, 2]), TypeError, [/^vmap\(fv\):/, /`x`/]],
  ["vmap(ft)(1)", (m) => m.vmt(1), TypeError, [/^vmap\(ft\):/, /`x`/, /a number/]],
];

for (const [name, run, cls, message] of COUNTS) {
  test(`bad input, call: ${name} → ${cls.name}`, async () => {
    const m = await load();
    let err: unknown;
    try {
      run(m);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof cls && err.constructor === cls, `expected a ${cls.name}, got ${err instanceof Error ? `${err.constructor.name}: ${err.message}` : `no error (${String(err)})`}`);
    for (const re of message) assert.match((err as Error).message, re);
  });
}

/** Wrong kinds: what SPEC §5 asks is a TypeError naming the marker; not checked yet (see the header). */
const OPEN_KINDS: [string, (m: M) => unknown][] = [
  ["grad(f2)(\"a\", 2)", (m) => m.g2("a", 2)],
  ["grad(f2)([1], 2)", (m) => m.g2([1], 2)],
  ["grad(f2)(tensor(1), 2)", (m) => m.g2(tensor(1), 2)],
  ["grad(fv)(1)", (m) => m.gv(1)],
  ["grad(fv)(\"ab\")", (m) => m.gv("ab")],
  ["jacfwd(ft)([1, 2])", (m) => m.jft([1, 2])],
];

test("bad input, call: wrong argument kinds (OPEN: reported, see the header)", async () => {
  const m = await load();
  for (const [name, run] of OPEN_KINDS) {
    let what: string;
    try {
      const r = run(m) as { toArray?: () => unknown };
      what = `no error, returns ${JSON.stringify(r?.toArray ? r.toArray() : r)}`;
    } catch (e) {
      assert.ok(e instanceof Error, `${name} threw a non-Error`);
      const named = /^(grad|jacrev|jacfwd|hessian)\(/.test(e.message);
      what = `${e.constructor.name}: ${e.message}${named ? "" : " (does not name the marker)"}`;
    }
    console.log(`  OPEN ${name}: ${what}`);
  }
});

test.run();
