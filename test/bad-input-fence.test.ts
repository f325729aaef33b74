// Bad-input matrix (a): constructs outside the differentiable language (SPEC §4)
// that test/diagnostics.test.ts does not already cover, one row each. Every
// row checks the exact diagnostic code, that the message names the construct,
// file:line:col at the `‸`, the code frame with its caret, that compileModule
// emits no code for the module, and that a good module compiled next works.
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as J from "jacc";
import { RANDOM_FACTORIES } from "../compiler/front/random.js";
import { expectDiagnostic, goodModuleWorks } from "./util/diagnostic-check.js";

const U = "unsupported-construct";
const R = "random";
const fn = (body: string, sig = "x: number") => `export function f(${sig}) {\n  ${body}\n}\nexport const d = grad(f);`;

/** [name, marked source (after the markers' import), code, patterns the message must match] */
const ROWS: [string, string, string, RegExp[]][] = [
  ["void", fn("const u = ‸void 0;\n  return x;"), U, [/`void`/]],
  ["operator >>>", fn("return x ‸>>> 1;"), U, [/operator `>>>`/]],
  ["a local function assigning the function's variables, called where a name it uses is shadowed", fn("let s = 0;\n  const add = (t: number) => { s += t; };\n  { const s = 5; ‸add(s * x); }\n  return s;"), U, [/`add` assigns variables of the function around it, so it is lowered where it is called, and here `s` names another variable/, /rename one/]],
  ["a local function assigning the function's variables that calls itself", fn("let s = 0;\n  const down = (n: number): void => { s += x * n; if (n > 0) ‸down(n - 1); };\n  down(3);\n  return s;"), U, [/`down` assigns variables of the function around it and calls itself/, /pass those variables as parameters/]],
  ["write through an array element chosen by a computed index (JavaScript would change the element; jacc holds a copy)", `interface P { a: number; b: number }\nexport function f(x: number, i: number) {\n  const ps: P[] = [{ a: x, b: 1 }, { a: 2, b: x }];\n  const q = ps[i];\n  ‸q.a = 3;\n  return ps[0].a * x;\n}\nexport const d = grad(f);`, "param-write", [/write to `q.a`, a part of .* an array element chosen by a computed index/, /copy it first/]],
  ["vjp inside a differentiated function, of a function that runs a reverse sweep inside", `function g(x: number): number {\n  const d = grad((t: number) => t * t * x);\n  return d(x) * x;\n}\nfunction h(x: number): number {\n  const [o, pull] = vjp(‸g, [x]);\n  return o + pull(1)[0];\n}\nexport const v = grad(h);`, U, [/`vjp` inside a differentiated function, of a function that itself runs a reverse sweep/, /`jacrev` or `jacobian` of it there/]],
  ["push of a Tensor", fn("const hs: Tensor[] = [];\n  hs.push(‸x.exp());\n  return x.sum();", "x: Tensor"), U, [/`\.push` of a Tensor/, /cat/, /stack/]],
  ["push of an array (a matrix's row)", fn("const m: number[][] = [];\n  m.push(‸[x, x]);\n  return x;"), U, [/`\.push` of an array/, /one flat array/]],
  ["local functions calling each other", fn("function even(n: number, a: number): number { return n <= 0 ? a : odd(n - 1, a * x); }\n  function odd(n: number, a: number): number { return n <= 0 ? a : ‸even(n - 1, a + x); }\n  return even(3, x);"), U, [/local functions that call each other \(`even` and `odd`\)/]],
  ["let of a record, then a property write (JavaScript shares the object)", `interface P { a: number; b: number }\n` + fn("const o: P = { a: x, b: 2 };\n  let q = o;\n  ‸q.a = x * x;\n  return o.a + q.b;"), U, [/write to `q\.a`/, /`q = o` \(line \d+\) makes two names of one object/, /const q = o/]],
  ["bigint", fn("const b = ‸10n;\n  return x;"), U, [/bigint/]],
  ["debugger", fn("‸debugger;\n  return x;"), U, [/`debugger`/]],
  ["tagged template", `function tag(s: TemplateStringsArray) { return 1; }\n` + fn("const t = ‸tag`a`;\n  return x * t;"), U, [/tagged template/]],
  ["rest parameter", `export function f(‸...xs: number[]) { return xs[0]; }\nexport const d = grad(f);`, U, [/rest parameters/]],
  ["computed property in object destructuring", `interface P { a: number; b: number }\nconst K = "a";\n` + fn("const { ‸[K]: a } = p;\n  return a * x;", "x: number, p: P"), U, [/computed property name in destructuring/]],
  ["default value of another kind in destructuring", `function g(x: number): [number, number] { return [x, x]; }\n` + fn("const [a = ‸[1], b] = g(x);\n  return a * b;"), U, [/default value must be the same kind of value/]],
  ["spread of a Tensor in an array literal", fn("const y = [‸...x, 1];\n  return y[0];", "x: Tensor"), U, [/an array literal with spreads takes numeric arrays/]],
  ["operator <<", fn("return x ‸<< 1;"), U, [/operator `<<`/]],
  ["operator &", fn("return x ‸& 1;"), U, [/operator `&`/]],
  ["operator ~", fn("return ‸~x;"), U, [/operator `~`/]],
  ["operator instanceof", fn("return x ‸instanceof Array ? x[0] : 0;", "x: number[]"), U, [/operator `instanceof`/]],
  ["operator in", fn("return 0 ‸in x ? x[0] : 0;", "x: number[]"), U, [/operator `in`/]],
  ["operator ?? with different kinds of value", fn("const a = [x];\n  const b = a ?? ‸x;\n  return b[0];"), U, [/`\?\?` needs the same kind of value on both sides/]],
  ["assignment to a property", fn("const a = [x[0]];\n  ‸(a as any).k = 1;\n  return a[0];", "x: number[]"), U, [/assignment to `\(a as any\)\.k`/]],
  ["assignment to .length", fn("const a = [x];\n  ‸a.length = 0;\n  return x;"), U, [/assignment to `a\.length`/]],
  ["Tensor .dtype", fn("const n = ‸x.dtype;\n  return x.sum();", "x: Tensor"), U, [/`\.dtype`/, /\.shape, \.size\(d\)/]],
  ["unknown property", fn("return ‸(x as any).foo;", "x: number[]"), U, [/property `\.foo`/]],
  ["new Date()", fn("const t = ‸new Date();\n  return x;"), U, [/`new Date\(…\)`/]],
  ["new Function()", fn("const g = ‸new Function(\"return 1\");\n  return x;"), U, [/`new Function\(…\)`/]],
  ["Math.fround", fn("return ‸Math.fround(x);"), U, [/`Math\.fround`/]],
  ["array .sort() without a comparator", fn("return ‸x.sort()[0];", "x: number[]"), U, [/`\.sort\(\)` without a comparator/]],
  ["array .splice()", fn("return ‸x.splice(1, 1)[0];", "x: number[]"), U, [/`\.splice\(\)`/]],
  ["number .toFixed()", fn("return ‸x.toFixed(2).length;"), U, [/`\.toFixed\(\)`/]],
  ["vjp inside a differentiated function, primals not an array literal", fn("const p: [number] = [x];\n  const [y, g] = vjp((t: number) => t * t, ‸p);\n  return y;"), U, [/primals must be an array literal/]],
  ["jvp inside a differentiated function, tangents not an array literal", fn("const d: [number] = [1];\n  const [y, t] = jvp((u: number) => u * u, [x], ‸d);\n  return y;"), U, [/tangents must be an array literal/]],
  ["vmap inside a differentiated function of a function of numbers given a Tensor", fn("return vmap((t: number) => t * t)(‸x).sum();", "x: Tensor"), U, [/takes an array of numbers for `t` here, not a Tensor/]],
  ["break outside a loop", fn("{ ‸break; }\n  return x;"), U, [/`break` outside a loop/]],
  // jacc's random factories are random ops (SPEC §2): `random` under randomness "error", the only value grad takes
  ["rand() (a random Tensor) in tensor code", fn("return x.mul(‸rand([2])).sum();", "x: Tensor"), R, [/`rand\(\[2\]\)`/, /randomness "error"/, /outside/]],
  ["randn() in tensor code", fn("return x.mul(‸randn([2])).sum();", "x: Tensor"), R, [/`randn\(\[2\]\)`/, /randomness "error"/]],
  ["rand() under vmap's default randomness", `export const f = (x: Tensor) => x.add(‸rand([3]));\nexport const v = vmap(f);`, R, [/`rand\(\[3\]\)`/, /randomness "error"/]],
  ["randn() under jacfwd with randomness \"error\", imported under another name", `import { randn as noise } from "jacc";\nexport const f = (x: Tensor) => x.mul(‸noise(3)).sum();\nexport const j = jacfwd(f, { randomness: "error" });`, R, [/`noise\(3\)`/]],
  ["rand() in a function vmap reaches through a call", `function jitter(x: Tensor) { return x.add(‸rand([3])); }\nexport const f = (x: Tensor) => jitter(x).mul(2);\nexport const v = vmap(f);`, R, [/`rand\(\[3\]\)`/]],
  ["Math.random() in a Tensor factory's arguments (read as written)", `import { full } from "jacc";\nexport const f = (x: Tensor) => x.add(full([3], ‸Math.random()));\nexport const v = vmap(f);`, R, [/`Math\.random\(\)`/]],
  ["rand() in a Tensor factory's arguments", `import { tensor } from "jacc";\nexport const f = (x: Tensor) => x.add(tensor(‸rand([3])));\nexport const v = vmap(f);`, R, [/`rand\(\[3\]\)`/]],
  // under "different" / "same" only Math.random() is supported: a random Tensor stays outside the language
  ["rand() under vmap's randomness \"different\"", `export const f = (x: Tensor) => x.add(‸rand([3]));\nexport const v = vmap(f, { randomness: "different" });`, U, [/`rand\(…\)`/, /random Tensor/, /outside/]],
  ["randn() under jacfwd's randomness \"same\"", `export const f = (x: Tensor) => x.mul(‸randn([3])).sum();\nexport const j = jacfwd(f, { randomness: "same" });`, U, [/`randn\(…\)`/]],
  ["Math.random() in a Tensor factory's arguments under randomness \"same\"", `import { full } from "jacc";\nexport const f = (x: Tensor) => x.add(full([3], ‸Math.random()));\nexport const v = vmap(f, { randomness: "same" });`, U, [/`Math\.random\(\)`/, /factory/]],
  ["returning a function value", `export function f(x: number): any {\n  const h = (t: number) => t * x;\n  ‸return h;\n}\nexport const d = grad(f);`, U, [/function value/, /returned/]],
  ["capturing a tuple in a local function", `function g(x: number): [number, number] { return [x, x]; }\n` + fn("const p = g(x);\n  const h = () => ‸p[0];\n  return h();"), U, [/capturing the tuple `p`/]],
  ["for…of over a string", fn("let s = x;\n  for (const c of ‸\"ab\") s += x;\n  return s;"), U, [/a string/]],
  ["differentiating an object parameter with a string", `export function f(o: { x: number; s: string }) { return o.x; }\nexport const d = grad(‸f);`, "unsupported-type", [/`grad` would differentiate `o`/, /not a number, numeric array, Tensor or record of them \(`o\.s` is of type `string`\)/]],
  ["`arguments`", fn("return ‸arguments.length * x;"), "unresolved", [/`arguments`/]],
  ["eval", fn("return ‸eval(\"x\") * x;"), "unresolved", [/`eval`/]],
  ["JSON.parse", fn("return ‸JSON.parse(\"1\") * x;"), "unresolved", [/`JSON`/]],
  ["console.log", fn("‸console.log(x);\n  return x;"), U, [/`console\.log` is not supported in a differentiated function/, /around the marker's call/]],
];

const IMPORTS = `import { grad, jacrev, jacfwd, jacobian, hessian, vjp, jvp, vmap, rand, randn, type Tensor } from "jacc";\n`;

test("every random factory of the runtime is a random op for the compiler", () => {
  const random = Object.keys(J).filter((name) => /^rand/i.test(name) && typeof (J as Record<string, unknown>)[name] === "function");
  assert.ok(random.includes("rand") && random.includes("randn"), random.join(", "));
  for (const name of random) assert.ok(RANDOM_FACTORIES.has(name), `\`${name}\` is missing from RANDOM_FACTORIES (compiler/front/random.ts)`);
});

for (const [name, src, code, message] of ROWS) {
  test(`bad input, fence: ${name}`, async () => {
    const tag = `fence-${name.replace(/\W+/g, "-")}`;
    expectDiagnostic(tag, IMPORTS + src, { code, message }, true);
    await goodModuleWorks(tag);
  });
}

test.run();
