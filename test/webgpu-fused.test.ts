// Fused elementwise chains on WebGPU: each chain compiler/opt/fuse.ts finds
// gets one WGSL kernel (compiler/emit/wgsl/fused.ts), and WebGPU tensors of
// one shape run it as one dispatch instead of one per op. Compared with the
// CPU (float32) run of the same module within float32 tolerance, and with the
// op-by-op WebGPU run (paths { fuse: false }); dispatches counted with the executor's
// stats. Broadcasting falls back to the per-op kernels; mixed devices keep
// their error.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { randn, tensor, Tensor, webgpuExecutor } from "jacc/internal";
import { compileAndImport, compileOrThrow, repoRoot, withPaths } from "./util/compile.js";
import { gpuTest, mismatches, numbers, readBack } from "./util/webgpu.js";
import { fusedKernel, regionKernel } from "../compiler/emit/wgsl/fused.js";
import { MAX_GPU_BINDINGS, MAX_GPU_TENSORS } from "../compiler/ir/fused.js";
import { gpuKernels } from "../runtime/kernels.js";
import { adFuseGpu } from "../runtime/fused.js";

const FILE = "webgpu-fused";
const TOL = 2e-5;

const SOURCE = `
import { vjp, jvp, jacfwd, jacrev, grad, type Tensor } from "jacc";
const chainF = (x: Tensor, y: Tensor, s: number) => x.exp().mul(2).sin().add(y.mul(y).sigmoid()).div(s).neg().sub(-3).mul(-0.1).neg().sqrt().abs();
export const chain = (x: Tensor, y: Tensor, s: number) => vjp(chainF, [x, y, s])[0];
const linF = (x: Tensor, y: Tensor) => x.exp().mul(2).add(y.mul(3));
export const lin = (x: Tensor, y: Tensor) => vjp(linF, [x, y])[0];
export const linCt = (x: Tensor, y: Tensor, ct: Tensor) => vjp(linF, [x, y])[1](ct);
export const bcast = (x: Tensor, y: Tensor) => vjp((a: Tensor, b: Tensor) => a.mul(b).tanh().sub(1), [x, y])[0];
// a loop keeps these off the structured path (runtime/webgpu/jac.ts takes straight-line
// code without sweeps), so the sweeps' fused tangent / adjoint chains run
const sinExpLoop = (x: Tensor) => {
  let y = x.sin();
  for (let i = 0; i < 1; i++) y = y.mul(x.exp());
  return y;
};
export const jfSinExp = jacfwd(sinExpLoop);
export const jrSinExp = jacrev(sinExpLoop);
export const jrTanh = jacrev((x: Tensor) => x.mul(3).tanh());
export const gSinExp = grad((x: Tensor) => sinExpLoop(x).sum());
export const gLin = grad((x: Tensor, y: Tensor) => x.exp().mul(2).add(y.mul(3)).tanh().sum(), { argnums: [0, 1] });
export const gLog = grad((x: Tensor) => x.mul(x).add(1).log().sqrt().sum());
// forward mode's primal and tangent interleaved: one region, one kernel with two outputs
const sinExpTanh = (x: Tensor) => x.sin().mul(x.exp()).tanh();
export const jvpSinExpTanh = (x: Tensor, dx: Tensor) => jvp(sinExpTanh, [x], [dx]);
export const jvpScaled = (x: Tensor, s: number, dx: Tensor, ds: number) => jvp((a: Tensor, k: number) => a.mul(k).sin().mul(a), [x, s], [dx, ds]);
`;

/** The compiled module twice (fused and op by op), imported once per process. */
let modules: Promise<{ on: any; off: any }> | undefined;
function load(): Promise<{ on: any; off: any }> {
  modules ??= (async () => {
    const on = await compileAndImport(SOURCE, "webgpu-fused-on");
    return { on, off: await withPaths({ fuse: false }, () => compileAndImport(SOURCE, "webgpu-fused-off")) };
  })();
  return modules;
}

const f32 = (shape: number[], seed: number, scale = 1) => randn(shape, { seed, dtype: "float32" }).mul(scale);
const gpu = (t: Tensor) => t.to("webgpu");

/** Runs `f` on CPU tensors and on their WebGPU copies; returns the WebGPU run's dispatches and kernels. */
async function both(f: (...a: any[]) => unknown, args: unknown[]): Promise<{ cpu: number[]; dev: number[]; dispatches: number; kernels: string[] }> {
  const cpu = numbers(f(...args));
  const ex = webgpuExecutor()!;
  const d0 = ex.stats.dispatches;
  const before = new Set(ex.used);
  ex.used.clear();
  const r = f(...args.map((a) => (a instanceof Tensor ? gpu(a) : a)));
  const dispatches = ex.stats.dispatches - d0;
  const kernels = [...ex.used].sort();
  for (const k of before) ex.used.add(k);
  return { cpu, dev: numbers(await readBack(r)), dispatches, kernels };
}

const CASES: [string, (m: any) => (...a: any[]) => unknown, () => unknown[]][] = [
  ["primal of a 13-op chain with a number operand", (m) => m.chain, () => [f32([64, 33], 1), f32([64, 33], 2), 0.7]],
  ["x.exp().mul(2).add(y.mul(3))", (m) => m.lin, () => [f32([1000], 3), f32([1000], 4)]],
  ["its adjoint (vjp with a cotangent)", (m) => m.linCt, () => [f32([1000], 3), f32([1000], 4), f32([1000], 5)]],
  ["jacfwd of sin(x)·exp(x)", (m) => m.jfSinExp, () => [f32([40], 6)]],
  ["jacrev of sin(x)·exp(x)", (m) => m.jrSinExp, () => [f32([40], 7)]],
  ["jacrev of tanh(3x)", (m) => m.jrTanh, () => [f32([2, 20], 8)]],
  ["grad of sum(sin(x)·exp(x))", (m) => m.gSinExp, () => [f32([3, 17], 9)]],
  ["grad of sum(tanh(2 exp(x) + 3y)) wrt x and y", (m) => m.gLin, () => [f32([257], 10, 0.5), f32([257], 11, 0.5)]],
  ["grad of sum(sqrt(log(x² + 1)))", (m) => m.gLog, () => [f32([100], 12)]],
  ["jvp of tanh(sin(x)·exp(x)): primal and tangent in one kernel", (m) => m.jvpSinExpTanh, () => [f32([3, 50], 13), f32([3, 50], 14)]],
  ["jvp of sin(s x)·x with a number s and its tangent", (m) => m.jvpScaled, () => [f32([77], 15), 0.6, f32([77], 16), -1.3]],
];

for (const [name, pick, args] of CASES) {
  gpuTest(FILE, `fused kernels on WebGPU = CPU float32 and = the op-by-op kernels: ${name}`, async () => {
    const { on, off } = await load();
    const a = args();
    const fused = await both(pick(on), a);
    const perOp = await both(pick(off), a);
    assert.equal(mismatches(fused.dev, fused.cpu, TOL), [], "fused WebGPU vs CPU");
    assert.equal(mismatches(fused.dev, perOp.dev, 1e-6), [], "fused vs op-by-op WebGPU");
    assert.ok(fused.kernels.some((k) => k.startsWith("fuse_")), `a fused kernel ran: ${fused.kernels}`);
    assert.not.ok(perOp.kernels.some((k) => k.startsWith("fuse_")), "no fused kernel with paths { fuse: false }");
    assert.ok(fused.dispatches < perOp.dispatches, `${fused.dispatches} dispatches fused, ${perOp.dispatches} op by op`);
  });
}

gpuTest(FILE, "a 13-op chain is one dispatch (it was thirteen), a 4-op chain one (it was four)", async () => {
  const { on, off } = await load();
  const x = gpu(f32([5, 7], 1)), y = gpu(f32([5, 7], 2));
  const count = (f: () => unknown) => {
    const ex = webgpuExecutor()!;
    const d0 = ex.stats.dispatches;
    f();
    return ex.stats.dispatches - d0;
  };
  assert.is(count(() => on.chain(x, y, 0.7)), 1);
  assert.is(count(() => off.chain(x, y, 0.7)), 13);
  assert.is(count(() => on.lin(x, y)), 1);
  assert.is(count(() => off.lin(x, y)), 4);
  // jvp: the primal and the tangent from one kernel with two outputs (17 ops one by one)
  assert.is(count(() => on.jvpSinExpTanh(x, y)), 1);
  assert.ok(count(() => off.jvpSinExpTanh(x, y)) >= 12);
  // an empty tensor: no dispatch at all
  const e = gpu(tensor([], { dtype: "float32" }));
  assert.is(count(() => on.lin(e, e)), 0);
  assert.equal([...((await on.lin(e, e).read()) as Float32Array)], []);
});

gpuTest(FILE, "broadcast operands run the per-op kernels (same numbers); CPU and WebGPU tensors mixed keep the device error", async () => {
  const { on } = await load();
  const x = f32([4, 3], 1), y = f32([3], 2);
  const r = await both(on.bcast, [x, y]);
  assert.equal(mismatches(r.dev, r.cpu, TOL), []);
  assert.not.ok(r.kernels.some((k) => k.startsWith("fuse_")), `${r.kernels}`);
  assert.ok(r.kernels.includes("binary_mul") && r.kernels.includes("unary_tanh"), `${r.kernels}`);
  assert.throws(() => on.lin(gpu(f32([3], 1)), f32([3], 2)), (e: Error) => e instanceof TypeError && /on different devices \(webgpu and cpu\)/.test(e.message));
});

gpuTest(FILE, "adFuseGpu: undefined unless every tensor operand is a WebGPU tensor of one shape; an unregistered kernel is an error naming it", async () => {
  const k = fusedKernel({ op: "t.mul", args: [{ leaf: 0 }, { op: "t.exp", args: [{ leaf: 1 }] }] }, ["t", "n"], "mul(a0, exp(a1))")!;
  gpuKernels({ [k.name]: k.text });
  const x = gpu(tensor([1, 2, 3], { dtype: "float32" }));
  const out = adFuseGpu(k.name, "tn", [x, 0.5]);
  assert.ok(out instanceof Tensor && out.device === "webgpu");
  const want = [1, 2, 3].map((v) => Math.fround(v * Math.fround(Math.exp(0.5))));
  assert.equal(mismatches(Array.from(await out!.read()), want, 1e-6), []);
  assert.is(adFuseGpu(k.name, "tn", [tensor([1, 2, 3], { dtype: "float32" }), 0.5]), undefined, "CPU tensor");
  assert.is(adFuseGpu(k.name, "tn", [x, gpu(tensor([1], { dtype: "float32" }))]), undefined, "a tensor for a number");
  const k2 = fusedKernel({ op: "t.add", args: [{ leaf: 0 }, { leaf: 1 }] }, ["t", "t"], "add(a0, a1)")!;
  gpuKernels({ [k2.name]: k2.text });
  assert.is(adFuseGpu(k2.name, "tt", [x, gpu(tensor([[1, 2, 3]], { dtype: "float32" }))]), undefined, "shapes differ");
  assert.throws(() => adFuseGpu("fuse_0000000000000000", "tt", [x, x]), /fuse_0000000000000000.*was not compiled into this program/);
});

test("fusedKernel: one output, each tensor operand bound once, literals exact (NaN, inf, -0 as bits), a name per text", () => {
  const tree = { op: "t.mul", args: [{ op: "t.add", args: [{ leaf: 0 }, { lit: 0.1 }] }, { op: "t.sub", args: [{ leaf: 1 }, { leaf: 0 }] }] };
  const k = fusedKernel(tree, ["t", "n"], "mul(add(a0, 0.1), sub(a1, a0))")!;
  assert.match(k.name, /^fuse_[0-9a-f]{16}$/);
  assert.is((k.text.match(/var<storage, read> in\d+/g) ?? []).length, 1);
  assert.is((k.text.match(/in0\[i\]/g) ?? []).length, 1, "x read once");
  assert.match(k.text, /let s1 = f32_of\(params\[1u\]\);/);
  assert.match(k.text, new RegExp(`x0 \\+ ${String(Math.fround(0.1)).replace(".", "\\.")};`), "0.1 as its float32 value");
  assert.match(k.text, /out\[i\] = v3;/);
  const odd = fusedKernel({ op: "t.add", args: [{ op: "t.mul", args: [{ leaf: 0 }, { lit: NaN }] }, { op: "t.sub", args: [{ lit: -0 }, { lit: Infinity }] }] }, ["t"], "odd")!;
  assert.match(odd.text, /x0 \* f32_of\(0x7fc00000u\)/);
  assert.match(odd.text, /f32_of\(0x80000000u\) - f32_of\(0x7f800000u\)/);
  assert.is.not(odd.name, k.name);
  assert.is(fusedKernel(tree, ["t", "n"], "mul(add(a0, 0.1), sub(a1, a0))")!.name, k.name, "deterministic");
  // two literals: the first through its bits, so WGSL never folds (and rejects) a constant expression
  const lits = fusedKernel({ op: "t.add", args: [{ leaf: 0 }, { op: "t.div", args: [{ lit: 1 }, { lit: 0 }] }] }, ["t"], "lits")!;
  assert.match(lits.text, /f32_of\(0x3f800000u\) \/ 0\.0/);
  const many = { op: "t.add", args: [{ leaf: 0 }, { leaf: 1 }] };
  assert.is(fusedKernel(many, Array(MAX_GPU_TENSORS + 1).fill("t"), "many"), undefined, "too many bindings");
  assert.throws(() => fusedKernel({ op: "t.pow", args: [{ leaf: 0 }] }, ["t"], "pow"), /no WGSL for the fused op pow/);
});

test("regionKernel: the ops in order, a value read twice computed once, one output binding per stored op", () => {
  // v1 = sin(x0); v2 = cos(x0); v3 = x1 * v2; v4 = v1 * v1 + ... : outputs v1 and v3
  const nodes = [
    { op: "t.sin", args: [{ leaf: 0 }] },
    { op: "t.cos", args: [{ leaf: 0 }] },
    { op: "t.mul", args: [{ leaf: 1 }, { ref: 1 }] },
    { op: "t.mul", args: [{ ref: 0 }, { ref: 0 }] },
    { op: "t.sub", args: [{ lit: 1 }, { ref: 3 }] },
  ];
  const k = regionKernel(nodes, [0, 2, 4], ["t", "t"], "region")!;
  assert.match(k.name, /^fuse_[0-9a-f]{16}$/);
  assert.match(k.text, /^\/\/ jacc: fused elementwise region, one invocation per element, 3 outputs:/);
  assert.is((k.text.match(/op_sin\(/g) ?? []).length, 2, "sin defined once and called once");
  assert.match(k.text, /let v4 = v1 \* v1;/);
  for (const [i, v] of [[0, 1], [1, 3], [2, 5]]) assert.match(k.text, new RegExp(`out${i}\\[i\\] = v${v};`));
  assert.match(k.text, /@binding\(5\) var<storage, read_write> out2/);
  assert.is(regionKernel(nodes, [0, 2, 4], Array(MAX_GPU_BINDINGS - 2).fill("t"), "too many"), undefined, "operands + outputs over the bindings");
  assert.ok(regionKernel(nodes, [0, 2, 4], Array(MAX_GPU_BINDINGS - 3).fill("t"), "fits"));
});

gpuTest(FILE, "adFuseGpu with an output count: one dispatch writes every output", async () => {
  const k = regionKernel([{ op: "t.exp", args: [{ leaf: 0 }] }, { op: "t.mul", args: [{ ref: 0 }, { leaf: 1 }] }], [0, 1], ["t", "n"], "exp, mul")!;
  gpuKernels({ [k.name]: k.text });
  const x = gpu(tensor([0, 1, 2], { dtype: "float32" }));
  const ex = webgpuExecutor()!;
  const d0 = ex.stats.dispatches;
  const outs = adFuseGpu(k.name, "tn", [x, 3], 2)!;
  assert.is(ex.stats.dispatches - d0, 1);
  assert.is(outs.length, 2);
  const e = [0, 1, 2].map((v) => Math.fround(Math.exp(v)));
  assert.equal(mismatches(Array.from(await outs[0].read()), e, 1e-6), []);
  assert.equal(mismatches(Array.from(await outs[1].read()), e.map((v) => Math.fround(v * 3)), 1e-6), []);
  // an operand bound only for its shape (sumTo's `like`): still a valid binding
  const k2 = regionKernel([{ op: "t.exp", args: [{ leaf: 0 }] }, { op: "t.neg", args: [{ ref: 0 }] }], [0, 1], ["t", "t"], "exp, neg; like")!;
  gpuKernels({ [k2.name]: k2.text });
  const [a, b] = adFuseGpu(k2.name, "tt", [x, gpu(tensor([9, 9, 9], { dtype: "float32" }))], 2)!;
  assert.equal(mismatches(Array.from(await a.read()), e, 1e-6), []);
  assert.equal(mismatches(Array.from(await b.read()), e.map((v) => -v), 1e-6), []);
});

test("the compiled module carries one kernel per fused chain; a chain with too many tensor operands runs op by op on WebGPU", () => {
  const r = compileOrThrow(SOURCE, "fused-src.ts");
  const fused = Object.keys(r.shaders).filter((k) => k.startsWith("fuse_"));
  const called = [...r.code.matchAll(/__jt\.adFuseGpu\("(fuse_[0-9a-f]+)"/g)].map((m) => m[1]);
  assert.ok(fused.length >= 5, `${fused}`);
  assert.equal([...new Set(called)].sort(), fused.sort());
  const wide = compileOrThrow(
    `import { vjp, type Tensor } from "jacc";
     const f = (a: Tensor, b: Tensor, c: Tensor, d: Tensor, e: Tensor, g: Tensor, h: Tensor) => a.add(b).mul(c).sub(d).div(e).add(g).mul(h);
     export const p = (a: Tensor, b: Tensor, c: Tensor, d: Tensor, e: Tensor, g: Tensor, h: Tensor) => vjp(f, [a, b, c, d, e, g, h])[0];`,
    "fused-wide.ts",
  );
  const seven = wide.code.match(/function __jaccFuse\d+\(a0, a1, a2, a3, a4, a5, a6\) \{[^]*?\n\}/)?.[0] ?? "";
  assert.ok(seven, "a fused helper of the seven-operand chain");
  assert.not.match(seven, /adFuseGpu/);
  assert.match(seven, /more tensor operands than one kernel binds/);
  // the other chain (the adjoint's) still gets its kernel
  const kernels = Object.keys(wide.shaders).filter((k) => k.startsWith("fuse_"));
  assert.equal(kernels, [...new Set([...wide.code.matchAll(/adFuseGpu\("(fuse_[0-9a-f]+)"/g)].map((m) => m[1]))]);
});

test("jacc emit writes each fused chain's kernel as a .wgsl file; jacc explain prints it with the marker", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jacc-fused-"));
  const src = `import { grad, type Tensor } from "jacc";\nexport const g = grad((x: Tensor) => x.sin().mul(x.exp()).sum());\n`;
  fs.writeFileSync(path.join(dir, "m.ts"), src);
  const cli = path.join(repoRoot, "dist", "cli", "main.js");
  const r = spawnSync(process.execPath, [cli, "emit", "m.ts", "--out", "out"], { cwd: dir, encoding: "utf8" });
  assert.is(r.status, 0, r.stderr);
  const compiled = compileOrThrow(src, path.join(dir, "m.ts"));
  const fused = Object.keys(compiled.shaders).filter((k) => k.startsWith("fuse_"));
  assert.ok(fused.length >= 1, `${Object.keys(compiled.shaders)}`);
  const files = fs.readdirSync(path.join(dir, "out"));
  for (const k of fused) {
    assert.ok(files.includes(`m.${k}.wgsl`), files.join(" "));
    const text = fs.readFileSync(path.join(dir, "out", `m.${k}.wgsl`), "utf8");
    assert.is(text, compiled.shaders[k]);
    assert.match(text, /^\/\/ jacc: fused elementwise (chain|region), one invocation per element/);
  }
  const e = spawnSync(process.execPath, [cli, "explain", "m.ts", "g"], { cwd: dir, encoding: "utf8" });
  assert.is(e.status, 0, e.stderr);
  for (const k of fused) assert.match(e.stdout, new RegExp(`// ${k}\n// jacc: fused elementwise (chain|region)`), e.stdout.slice(e.stdout.indexOf("── WGSL")));
  fs.rmSync(dir, { recursive: true, force: true });
});

test.run();
