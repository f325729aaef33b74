// vmap of a scalar program on WebGPU: the compiled module carries one WGSL
// kernel per top-level vmap (one invocation per batch row); WebGPU inputs run
// it in a single dispatch. Compared with the CPU path of the same module
// (float64 row loop) within float32 tolerance: vmap(jacfwd(lorenz)) over
// 1,000 and 1,000,000 rows, jacrev, a program with a branch and a loop,
// outDims, an unbatched argument, a captured number, and the errors.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tensor, Tensor } from "jacc";
import { compileAndImport, compileOrThrow } from "./util/compile.js";
import { gpuTest, mismatches, readBack, registerAllKernels } from "./util/webgpu.js";

/** Flat numbers (loops, not spreads: a million-row result overflows an argument list). */
function numbers(v: unknown, out: number[] = []): number[] {
  if (typeof v === "number") out.push(v);
  else if (v instanceof Tensor || ArrayBuffer.isView(v)) {
    const d = v instanceof Tensor ? v.data : (v as unknown as ArrayLike<number>);
    for (let i = 0; i < d.length; i++) out.push(d[i]);
  } else if (Array.isArray(v)) v.forEach((x) => numbers(x, out));
  return out;
}

const FILE = "webgpu-vmap";

const SOURCE = `
import { vmap, jacfwd, jacrev, grad, type Tensor } from "jacc";
let rho = 28;
export function setRho(r: number): void { rho = r; }
export function lorenz(x: number, y: number, z: number): [number, number, number] {
  return [10 * (y - x), x * (rho - z) - y, x * y - (8 / 3) * z];
}
export const J = vmap(jacfwd(lorenz, { argnums: [0, 1, 2] }));
export const Jr = vmap(jacrev(lorenz, { argnums: [0, 1, 2] }));
export const F = vmap(lorenz, { outDims: [0, 0, 0] });
export function wavy(x: number, k: number): number {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.sin(i * x) / i;
  return x > 0 ? s * x : s - x * x;
}
export const G = vmap(jacfwd(wavy), { inDims: [0, null] });
export const Gr = vmap(grad(wavy), { inDims: [0, null] });
export function arm(q: number[]): [number, number] {
  let x = 0, y = 0, th = 0;
  for (let i = 0; i < q.length; i++) { th += q[i]; x += Math.cos(th); y += Math.sin(th); }
  return [x, y];
}
export const A = vmap(jacrev(arm));
export const T = vmap((x: Tensor) => x.exp().sum());
export function seven(a: number, b: number, c: number, d: number, e: number, f: number, g: number): [number, number] {
  return [a * b + Math.sin(c) - d / (1 + e * e), f * g * a];
}
export const S = vmap(jacfwd(seven, { argnums: [0, 6] }));
export const S2 = vmap(seven, { inDims: [0, null, 0, null, 0, 0, 0], outDims: [0, 0] });
`;

function uniform(n: number, seed: number, lo: number, hi: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = lo + ((hi - lo) * s) / 4294967296;
  }
  return a;
}

const gpu = (a: Float32Array) => new Tensor(a, [a.length]).to("webgpu");

async function compare(label: string, gpuResult: unknown, cpuResult: unknown, tol = 1e-4): Promise<void> {
  const g = numbers(await readBack(gpuResult));
  const c = numbers(cpuResult);
  const bad = mismatches(g, c, tol);
  assert.equal(bad.slice(0, 5), [], `${label}: ${bad.length} mismatches`);
}

gpuTest(FILE, "vmap(jacfwd(lorenz)) on WebGPU equals the CPU, 1,000 and 1,000,000 rows", async () => {
  const m = await compileAndImport(SOURCE, "webgpu-vmap");
  for (const B of [1000, 1_000_000]) {
    const x = uniform(B, 1, -20, 20), y = uniform(B, 2, -20, 20), z = uniform(B, 3, 0, 50);
    const out = m.J(gpu(x), gpu(y), gpu(z));
    assert.ok(out[0][0] instanceof Tensor && out[0][0].device === "webgpu", "results stay on the device");
    assert.equal(out[1][0].shape, [B]);
    await compare(`jacfwd B=${B}`, out, m.J(x, y, z));
    if (B === 1000) {
      await compare("jacrev", m.Jr(gpu(x), gpu(y), gpu(z)), m.Jr(x, y, z));
      await compare("values", m.F(gpu(x), gpu(y), gpu(z)), m.F(x, y, z));
    }
  }
});

gpuTest(FILE, "a captured number is read when the kernel runs; branches and loops per row; an unbatched argument", async () => {
  const m = await compileAndImport(SOURCE, "webgpu-vmap");
  const x = uniform(500, 4, -3, 3), y = uniform(500, 5, -3, 3), z = uniform(500, 6, 0, 40);
  m.setRho(10);
  await compare("rho = 10", m.J(gpu(x), gpu(y), gpu(z)), m.J(x, y, z));
  m.setRho(28);
  await compare("jacfwd(wavy), k unbatched", m.G(gpu(x), 7), m.G(x, 7), 1e-3);
});

gpuTest(FILE, "several outputs are views of aligned columns of one buffer: ops, reads, copies and views of them are right", async () => {
  const m = await compileAndImport(SOURCE, "webgpu-vmap");
  registerAllKernels(); // the ops below run outside the compiled module
  const B = 333; // not a multiple of 64: each column is padded to the next 256 bytes
  const x = uniform(B, 8, -2, 2), y = uniform(B, 9, -2, 2), z = uniform(B, 10, 0, 30);
  const g = m.J(gpu(x), gpu(y), gpu(z));
  const c = m.J(x, y, z);
  const cols = [g[1][0], g[2][1], g[2][2]];
  assert.ok(cols.every((t: { byteOffset: number }) => t.byteOffset % 256 === 0), "column views start on 256-byte boundaries");
  assert.ok(cols[0].byteOffset > 0, "a later column is a view at an offset, not a copy");
  await compare("read of a column", g[1][0], c[1][0]);
  await compare("elementwise op on two columns", g[1][0].mul(g[2][0]).add(1), c[1][0].mul(c[2][0]).add(1));
  await compare("reduction", g[2][1].sum(), c[2][1].sum(), 1e-3);
  await compare("reshape view, matmul", g[1][2].reshape([9, 37]).matmul(g[2][0].reshape([37, 9])), c[1][2].reshape([9, 37]).matmul(c[2][0].reshape([37, 9])), 1e-3);
  await compare("select, clone, permute", [g[1][0].select(0, 5), g[2][2].clone(), g[1][0].reshape([3, 111]).permute([1, 0])], [c[1][0].select(0, 5), c[2][2].clone(), c[1][0].reshape([3, 111]).permute([1, 0])]);
  await compare("a column as the next vmap's input", m.J(g[1][0], g[2][0], g[2][1]), m.J(c[1][0].to("float32"), c[2][0].to("float32"), c[2][1].to("float32")), 1e-3);
});

gpuTest(FILE, "batched inputs are bound where they lie (one binding each, up to 6 inputs); 7 inputs are packed into one array", async () => {
  const code = compileOrThrow(SOURCE, "webgpu-vmap.ts").code;
  assert.match(code, /var<storage, read> jacc_in2: array<f32>; \/\/ parameter z\b/, "lorenz's kernel has a binding per input");
  assert.match(code, /\(jacfwd_seven\), one invocation per batch row[\s\S]*?var<storage, read> jacc_in: array<f32>;/, "seven inputs: one packed binding");
  const m = await compileAndImport(SOURCE, "webgpu-vmap");
  const n = 300;
  const cols = [11, 12, 13, 14, 15, 16, 17].map((seed) => uniform(n, seed, -2, 2));
  await compare("7 batched inputs, packed", m.S(...cols.map(gpu)), m.S(...cols), 1e-3);
  const args = cols.map((c, i) => (i === 1 || i === 3 ? c[0] : c));
  await compare("unbatched numbers among batched inputs", m.S2(...args.map((a) => (typeof a === "number" ? a : gpu(a)))), m.S2(...args), 1e-3);
});

gpuTest(FILE, "vmap on WebGPU: clear errors", async () => {
  const m = await compileAndImport(SOURCE, "webgpu-vmap");
  const x = gpu(uniform(10, 7, -1, 1));
  assert.throws(() => m.J(x, gpu(uniform(9, 1, 0, 1)), x), (e: Error) => e instanceof RangeError && /vmap\(jacfwd_lorenz\)|vmap\(.*\): mismatched batch sizes/.test(e.message));
  assert.throws(() => m.J(x, uniform(10, 1, 0, 1), x), (e: Error) => e instanceof TypeError && /every batched argument must be a WebGPU tensor/.test(e.message));
  // reverse mode through a loop with a run-time trip count: the tape has no build-time bound
  assert.throws(() => m.Gr(x, 3), (e: Error) => e instanceof TypeError && /vmap\(wavy\): has no WebGPU kernel/.test(e.message) && /tape/.test(e.message));
  assert.throws(() => m.A(tensor([[0.1, 0.2]]).to("webgpu")), (e: Error) => e instanceof TypeError && /no WebGPU kernel/.test(e.message) && /vector|length/.test(e.message));
});

test.run();
