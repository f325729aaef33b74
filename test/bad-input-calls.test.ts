// Bad-input matrix (d): wrong argument counts and kinds given to the functions
// jacc generates. A wrong count is a TypeError naming the marker and the
// function (`grad(f2): expected 2 arguments, got 1`); vmap also names the
// argument and the batch sizes. One row per case.
//
// Wrong argument KINDS are checked by the generated entry functions too (a
// number, a number[] — an array, a typed array or a 1-D Tensor — or a Tensor,
// as the parameter's type says): a TypeError naming the marker, the argument
// and what was given.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tensor } from "jacc";
import { compileAndImport } from "./util/compile.js";
import { templateText } from "../compiler/emit/js.js";

const SRC = `
import { grad, jacrev, jacfwd, hessian, vmap, jacobian, type Tensor } from "jacc";
export function f2(x: number, y: number) { return x * y; }
export function fv(x: number[]) { return x[0] * x[1]; }
export function ft(x: Tensor) { return x.exp().sum(); }
export function fd(x: number, y = 2) { return x * y; }
export function fnv(s: number, y: number[]) { return s * y[0] * y[1]; }
export const g2 = grad(f2), jr2 = jacrev(f2, { argnums: [0, 1] }), jf2 = jacfwd(f2), h2 = hessian(f2);
// a marker given another marker's function: its parameters are required too (they had no defaults recorded: NaN)
export const ffr2 = jacfwd(jacrev(f2)), grr2 = jacrev(grad(f2));
export const gv = grad(fv), jft = jacfwd(ft), gd = grad(fd);
export const vm2 = vmap(f2), vmv = vmap(fv), vmt = vmap(ft);
export const hv = hessian(fv); // (a column-coloured Hessian: the runtime runs it, after the same checks)
export const gnv = grad(fnv, { argnums: [0, 1] }), jnv = (y: any) => jacobian(fnv, [1, y]);
// names that are no ASCII identifiers: messages give them as written (the generated code renames them)
export function fθ(θ$: number, ψ: number[], a\\u0024b = 1) { return θ$ * ψ[0] * a$b; }
export const gθ = grad(fθ), vmθ = vmap(fθ, { inDims: [0, null, null] });
`;
type M = Record<string, (...a: unknown[]) => unknown>;
let mod: M | undefined;
const load = async () => (mod ??= await compileAndImport<M>(SRC, "bad-input-calls"));
const F = (...v: number[]) => Float64Array.from(v);

/** [name, call, class, message patterns] */
const COUNTS: [string, (m: M) => unknown, typeof TypeError | typeof RangeError, RegExp[]][] = [
  ["grad(f2)()", (m) => m.g2(), TypeError, [/^grad\(f2\): expected 2 arguments, got 0$/]],
  ["jacfwd(jacrev(f2))()", (m) => m.ffr2(), TypeError, [/^jacfwd\(f2\): expected 2 arguments, got 0$/]],
  ["jacrev(grad(f2))(1)", (m) => m.grr2(1), TypeError, [/^jacrev\(f2\): expected 2 arguments, got 1$/]],
  ["grad(f2)(1)", (m) => m.g2(1), TypeError, [/^grad\(f2\): expected 2 arguments, got 1$/]],
  ["grad(f2)(1, 2, 3)", (m) => m.g2(1, 2, 3), TypeError, [/^grad\(f2\): expected 2 arguments, got 3$/]],
  ["jacrev(f2)(1)", (m) => m.jr2(1), TypeError, [/^jacrev\(f2\): expected 2 arguments, got 1$/]],
  ["jacfwd(f2)(1)", (m) => m.jf2(1), TypeError, [/^jacfwd\(f2\): expected 2 arguments, got 1$/]],
  ["hessian(f2)(1)", (m) => m.h2(1), TypeError, [/^hessian\(f2\): expected 2 arguments, got 1$/]],
  ["hessian(fv)()", (m) => m.hv(), TypeError, [/^hessian\(fv\): expected 1 argument, got 0$/]],
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

/** Wrong kinds: a TypeError naming the marker, the argument and what was given. */
const KINDS: [string, (m: M) => unknown, RegExp][] = [
  ["grad(f2)(\"a\", 2)", (m) => m.g2("a", 2), /^grad\(f2\): argument 1 \(`x`\) must be a number, got the string "a"$/],
  ["grad(f2)([1], 2)", (m) => m.g2([1], 2), /^grad\(f2\): argument 1 \(`x`\) must be a number, got an array of 1$/],
  ["grad(f2)(tensor(1), 2)", (m) => m.g2(tensor(1), 2), /^grad\(f2\): argument 1 \(`x`\) must be a number, got a Tensor of shape \[\]$/],
  ["jacrev(f2)(1, null)", (m) => m.jr2(1, null), /^jacrev\(f2\): argument 2 \(`y`\) must be a number, got null$/],
  ["grad(fv)(1)", (m) => m.gv(1), /^grad\(fv\): argument 1 \(`x`\) must be a number\[\] \(an array, a typed array or a 1-D Tensor\), got a number$/],
  ["grad(fv)(\"ab\")", (m) => m.gv("ab"), /^grad\(fv\): argument 1 \(`x`\) must be a number\[\].*got the string "ab"$/],
  ["grad(fv)(tensor([[1, 2]]))", (m) => m.gv(tensor([[1, 2]])), /^grad\(fv\): argument 1 \(`x`\).*got a Tensor of shape \[1, 2\]$/],
  ["jacfwd(ft)([1, 2])", (m) => m.jft([1, 2]), /^jacfwd\(ft\): argument 1 \(`x`\) must be a Tensor, got an array of 2$/],
  ["grad(fd)(1, \"b\") (a default parameter given a string)", (m) => m.gd(1, "b"), /^grad\(fd\): argument 2 \(`y`\) must be a number/],
  // a number[]'s elements: checked in one pass, never coerced ("1" * 2 would be 2)
  ["grad(fv)([\"1\", \"2\"])", (m) => m.gv(["1", "2"]), /^grad\(fv\): argument 1 \(`x`\) must be a number\[\], element 0 is the string "1"$/],
  ["grad(fnv)(1, [2, \"3\"])", (m) => m.gnv(1, [2, "3"]), /^grad\(fnv\): argument 2 \(`y`\) must be a number\[\], element 1 is the string "3"$/],
  ["grad(fv)([1, , 3]) (a hole)", (m) => m.gv([1, , 3]), /^grad\(fv\): argument 1 \(`x`\) must be a number\[\], element 1 is undefined$/],
  ["grad(fv)([[1], 2])", (m) => m.gv([[1], 2]), /^grad\(fv\): argument 1 \(`x`\) must be a number\[\], element 0 is an array of 1$/],
  ["grad(fv)([1, tensor(2)])", (m) => m.gv([1, tensor(2)]), /^grad\(fv\): argument 1 \(`x`\) must be a number\[\], element 1 is a Tensor of shape \[\]$/],
  ["jacobian(fnv, [1, [\"2\", 3]])", (m) => m.jnv(["2", 3]), /^jacobian\(fnv\): argument 2 \(`y`\) must be a number\[\], element 0 is the string "2"$/],
  ["hessian(fv)([\"1\", 2])", (m) => m.hv(["1", 2]), /^hessian\(fv\): argument 1 \(`x`\) must be a number\[\], element 0 is the string "1"$/],
  ["hessian(fv)(\"ab\")", (m) => m.hv("ab"), /^hessian\(fv\): argument 1 \(`x`\) must be a number\[\].*got the string "ab"$/],
  // vmap: a batch of numbers as a number[], and a batch of number[] rows
  ["vmap(f2)([\"1\", 2], [3, 4])", (m) => m.vm2(["1", 2], [3, 4]), /^vmap\(f2\): argument `x` must be a number\[\] \(a batch of numbers\), element 0 is the string "1"$/],
  ["vmap(fv)([[1, 2], [3, \"4\"]])", (m) => m.vmv([[1, 2], [3, "4"]]), /^vmap\(fv\): argument `x`: row 1 must be a number\[\], element 1 is the string "4"$/],
  ["grad(fθ)(\"a\", [1]) (the parameter named `θ$`)", (m) => m.gθ("a", [1]), /^grad\(fθ\): argument 1 \(`θ\$`\) must be a number, got the string "a"$/],
  ["grad(fθ)(1, 2) (the parameter named `ψ`)", (m) => m.gθ(1, 2), /^grad\(fθ\): argument 2 \(`ψ`\) must be a number\[\].*got a number$/],
  ["grad(fθ)(1, [1], \"c\") (the parameter written `a\\u0024b`)", (m) => m.gθ(1, [1], "c"), /^grad\(fθ\): argument 3 \(`a\$b`\) must be a number, got the string "c"$/],
  ["vmap(fθ)(1, [1]) (a number where the batch of `θ$` goes)", (m) => m.vmθ(1, [1]), /^vmap\(fθ\): argument `θ\$`/],
  ["vmap(fθ)([1, 2], [1], [3]) (a batch where `a$b` is not batched)", (m) => m.vmθ(F(1, 2), [1], F(3)), /^vmap\(fθ\): argument `a\$b` is not batched/],
];

for (const [name, run, message] of KINDS) {
  test(`bad input, call: ${name} → TypeError`, async () => {
    const m = await load();
    assert.throws(() => run(m), (e: Error) => e.constructor === TypeError && message.test(e.message), `${name}`);
  });
}

test("a name enters a generated message's template literal as it is: no `${` can form, no backquote ends it", () => {
  for (const text of ["θ$", "a$b", "$", "${x}", "$${{", "`", "\\", "\\`${", "grad(f$): argument 1 (\\`x$\\`)"]) {
    assert.is(new Function("x", `return \`${templateText(text)}\`;`)("!"), text);
  }
});

test("a 1-D Tensor is accepted where a number[] goes; an omitted default parameter is fine", async () => {
  const m = await load();
  assert.equal((m.gv(tensor([3, 4], { dtype: "float64" })) as { toArray(): unknown }).toArray(), [4, 3]);
  assert.is(m.gd(3), 2);
  assert.equal((m.hv(tensor([3, 4], { dtype: "float64" })) as { toArray(): unknown }).toArray(), [[0, 1], [1, 0]]);
  // a typed array's elements are numbers by construction: taken as they are
  assert.equal((m.gnv(2, new Float32Array([3, 4])) as [number, { toArray(): unknown }])[1].toArray(), [8, 6]);
  assert.is(m.gθ(2, [3]), 3, "grad of θ$ · ψ[0] · a$b in θ$");
});

test.run();
