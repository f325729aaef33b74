// The WGSL side of the compiler (no device needed): each module with tensor
// code carries the kernels its code can reach as string constants, registered
// on its first line; scalar modules carry none; `jacc emit` writes them as
// .wgsl files and `jacc explain` prints them.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import * as assert from "uvu/assert";
import { test } from "uvu";
import { compileModule } from "../compiler/index.js";
import { KERNELS, kernelText, RUNTIME_KERNELS, runtimeCallsOf, WgslBuilder } from "../compiler/emit/wgsl/index.js";
import { repoRoot } from "./util/compile.js";

const TENSOR_SRC = `import { jacrev, tensor, type Tensor } from "jacc";
const f = (x: Tensor) => x.exp().sum(1);
export const J = jacrev(f)(tensor([[1, 2], [3, 4]]));
`;
const SCALAR_SRC = `import { grad } from "jacc";
const f = (x: number, y: number) => Math.exp(x) * Math.log(y) + Math.max(x, y);
export const g = grad(f)(1, 2);
`;

for (const target of ["js", "ts"] as const) {
  test(`compileModule (${target}): a tensor module carries exactly the kernels its code reaches, registered on line 1`, () => {
    const r = compileModule(TENSOR_SRC, "m.ts", { target });
    assert.equal(r.diagnostics, []);
    const names = Object.keys(r.shaders).sort();
    for (const k of ["unary_exp", "reduce_sum", "one_hot", "fill"]) assert.ok(names.includes(k), `${k} in ${names}`);
    for (const k of ["matmul", "softmax", "unary_sin", "binary_pow"]) assert.not.ok(names.includes(k), `${k} not needed`);
    for (const k of names) assert.is(r.shaders[k], kernelText(k));
    const first = r.code.split("\n")[0];
    assert.match(first, /__jt\.gpuKernels\(__jaccWgsl\(\)\);/);
    assert.match(r.code, /function __jaccWgsl\(\)/);
    // string constants in the module, one per kernel
    for (const k of names) assert.ok(r.code.includes(`    ${k}: \`\n${r.shaders[k]}\``), `${k} as a template literal`);
  });
}

test("compileModule: a scalar module gets no WGSL (and its code is unchanged by WebGPU)", () => {
  const r = compileModule(SCALAR_SRC, "s.ts", { target: "js" });
  assert.equal(r.diagnostics, []);
  assert.equal(r.shaders, {});
  assert.not.match(r.code, /gpuKernels|__jaccWgsl/);
});

test("runtimeCallsOf: methods, imported functions, generated calls and adZ's op names; not Math or console", () => {
  const calls = runtimeCallsOf(`x.exp(); Math.max(1, 2); console.log(1); __jt.adOneHot(o, 0); mm(a, b); __jt.adZ("neg", 1, a);`, new Map([["mm", "matmul"]]));
  assert.equal([...calls].sort(), ["adOneHot", "exp", "matmul", "neg"]);
});

test("RUNTIME_KERNELS names only kernels that exist, and every kernel is used by some runtime function", () => {
  const used = new Set(Object.values(RUNTIME_KERNELS).flat());
  for (const k of used) assert.ok(k in KERNELS, `${k} is not a kernel`);
  for (const k of Object.keys(KERNELS)) assert.ok(used.has(k), `${k} is never used`);
});

test("WgslBuilder indents blocks", () => {
  const b = new WgslBuilder();
  b.comment("c").block("fn f()", () => b.line("let x = 1;").block("if (x > 0)", () => b.line("return;")));
  assert.is(b.toString(), "// c\nfn f() {\n  let x = 1;\n  if (x > 0) {\n    return;\n  }\n}\n");
});

test("jacc emit writes each module's kernels as .wgsl files beside it; jacc explain prints them", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jacc-wgsl-"));
  fs.writeFileSync(path.join(dir, "m.ts"), TENSOR_SRC);
  fs.writeFileSync(path.join(dir, "s.ts"), SCALAR_SRC);
  const cli = path.join(repoRoot, "dist", "cli", "main.js");
  const r = spawnSync(process.execPath, [cli, "emit", "m.ts", "s.ts", "--out", "out"], { cwd: dir, encoding: "utf8" });
  assert.is(r.status, 0, r.stderr);
  const files = fs.readdirSync(path.join(dir, "out")).sort();
  assert.ok(files.includes("m.unary_exp.wgsl") && files.includes("m.reduce_sum.wgsl"), files.join(" "));
  assert.not.ok(files.some((f) => f.startsWith("s.") && f.endsWith(".wgsl")), "no WGSL for the scalar module");
  assert.is(fs.readFileSync(path.join(dir, "out", "m.unary_exp.wgsl"), "utf8"), kernelText("unary_exp"));
  const e = spawnSync(process.execPath, [cli, "explain", "m.ts", "f"], { cwd: dir, encoding: "utf8" });
  assert.is(e.status, 0, e.stderr);
  assert.match(e.stdout, /── WGSL[\s\S]*\/\/ unary_exp\n\/\/ jacc: elementwise exp/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test.run();
