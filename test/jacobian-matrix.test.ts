// One Jacobian mechanism, every plan: each tensor fixture (fixtures/tensor)
// runs under every plan it admits (compiler/ad/jacobian-plan.ts: as planned,
// without direct kernels, and as sweeps, via CompileOptions.paths) × fusion
// on/off × CPU/WebGPU, and every run gives the same numbers:
//   - CPU (the fixture as written, float64 where it says so) against the
//     planned, fused CPU run at 1e-12 (float32 blocks 1e-6: the sweeps round
//     intermediate float32 values where the structured path does too, but a
//     float32 sum may add in another order);
//   - WebGPU (the fixture compiled with `tensor(…)` making float32 device
//     tensors, as test/webgpu-programs.test.ts does) against the same code's
//     planned, fused CPU float32 run at 1e-4.
// The plans themselves are checked too: paths { direct: false } leaves no
// marker direct, paths { structured: false } leaves only sweeps, and enough
// fixtures admit each plan that the matrix covers all three. Work is bounded
// by the fixture count (≤ 3 plans × 2 fusion modes × 3 runs each).
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import { pathToFileURL } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { compileModule, formatDiagnostic, type CompilePaths, type Strategy } from "../compiler/index.js";
import { Tensor } from "../runtime/index.js";
import { repoRoot, tmpDir } from "./util/compile.js";
import { CPU_ONLY, CPU_ONLY_ERROR, float32Shim, kind, mismatches, numbers, readBack, webgpu } from "./util/webgpu.js";

const dir = path.join(repoRoot, "fixtures", "tensor");
const files = fs.readdirSync(dir).filter((f) => f.endsWith(".ts")).sort();

interface Variant { label: string; paths: CompilePaths }

/** The strategies the fixture's markers plan with `paths` (compile errors throw). */
function compile(file: string, src: string, paths: CompilePaths): { code: string; plans: Strategy[] } {
  const r = compileModule(src, path.join(dir, file), { target: "js", paths, checkIR: true, explain: true });
  if (r.diagnostics.length) throw new Error(r.diagnostics.map(formatDiagnostic).join("\n"));
  return { code: r.code, plans: (r.markers ?? []).flatMap((m) => (m.plan ? [m.plan.strategy] : [])) };
}

/** Imports `code` (its `tensor` import pointed at the float32 shim for `device`, or as written) and reads its exports back. */
async function run(name: string, code0: string, device: "as-written" | "cpu" | "webgpu"): Promise<Record<string, unknown>> {
  const code = device === "as-written" ? code0 : code0.replace(/import\s*\{([^}]*)\}\s*from\s*"jacc";/g, (whole, names: string) =>
    names.split(",").some((n) => n.trim() === "tensor") ? `import {${names}} from "${float32Shim(device)}";` : whole);
  fs.mkdirSync(tmpDir, { recursive: true });
  const out = path.join(tmpDir, `matrix-${name}-${device}-${crypto.createHash("sha1").update(code).digest("hex").slice(0, 10)}.mjs`);
  fs.writeFileSync(out, code);
  const mod = (await import(pathToFileURL(out).href)) as Record<string, unknown>;
  return (await readBack(Object.fromEntries(Object.entries(mod).filter(([k, v]) => k !== "tolerance" && typeof v !== "function")))) as Record<string, unknown>;
}

/** Differences of `a` from the reference `e`: structure first, then numbers (float32 tensors at f32tol). */
function differences(a: unknown, e: unknown, tol: number, f32tol: number, sameKinds = true): string[] {
  if (sameKinds && kind(a) !== kind(e)) return [`structure ${kind(a)}, reference ${kind(e)}`];
  const f32 = (v: unknown): boolean => v instanceof Tensor ? v.dtype === "float32" : Array.isArray(v) ? v.some(f32) : v !== null && typeof v === "object" && !ArrayBuffer.isView(v) ? Object.values(v).some(f32) : false;
  return mismatches(numbers(a), numbers(e), f32(e) ? f32tol : tol);
}

const admitted = { direct: 0, structured: 0, sweeps: 0 };
let gpuRuns = 0;

for (const file of files) {
  test(`${file}: every plan × fusion on/off × CPU/WebGPU gives the same numbers`, async () => {
    const src = fs.readFileSync(path.join(dir, file), "utf8");
    const name = file.replace(/\.ts$/, "");
    const planned = compile(file, src, {});
    const variants: Variant[] = [{ label: "as planned", paths: {} }];
    if (planned.plans.includes("direct")) variants.push({ label: "structured (no direct kernels)", paths: { direct: false } });
    if (planned.plans.some((s) => s !== "sweeps")) variants.push({ label: "sweeps", paths: { structured: false } });
    for (const s of new Set(planned.plans)) admitted[s]++;

    const gpu = await webgpu();
    const ref = await run(name, planned.code, "as-written");
    const ref32 = gpu.ok ? await run(name, planned.code, "cpu") : undefined;
    let runs = 0;
    for (const v of variants) {
      for (const fuse of [true, false]) {
        const paths = fuse ? v.paths : { ...v.paths, fuse: false };
        const c = compile(file, src, paths);
        if (v.paths.direct === false) assert.not.ok(c.plans.includes("direct"), `${file}: ${v.label}: a marker still plans a direct kernel`);
        if (v.paths.structured === false) assert.ok(c.plans.every((s) => s === "sweeps"), `${file}: ${v.label}: plans ${c.plans.join(", ")}`);
        const what = `${file}: ${v.label}, fusion ${fuse ? "on" : "off"}`;
        const cpu = await run(name, c.code, "as-written");
        const bad = differences(cpu, ref, 1e-12, 1e-6);
        assert.equal(bad.slice(0, 6), [], `${what} (CPU): ${bad.length} difference(s) from the planned run`);
        runs++;
        if (ref32 && CPU_ONLY.test(src)) {
          // an op with no WebGPU kernel: the device run is a TypeError naming it
          const err = await run(name, c.code, "webgpu").then(() => undefined, (e: unknown) => e);
          assert.ok(err instanceof TypeError && CPU_ONLY_ERROR.test(err.message), `${what} (WebGPU): a CPU-only op: ${String(err)}`);
          gpuRuns++;
        } else if (ref32) {
          const dev = await run(name, c.code, "webgpu");
          // a float64 block on the CPU (a number input's, reverse mode) is float32 on the device: numbers only there
          const bad32 = differences(dev, ref32, 1e-4, 1e-4, false);
          assert.equal(bad32.slice(0, 6), [], `${what} (WebGPU): ${bad32.length} difference(s) from the CPU float32 run`);
          assert.is(kind(dev).replace(/T64\[/g, "T32["), kind(ref32).replace(/T64\[/g, "T32["), `${what} (WebGPU): structure`);
          gpuRuns++;
        }
      }
    }
    assert.is(runs, variants.length * 2);
  });
}

const PLANS = `
import { jacrev, jacfwd, jacobian, tensor, type Tensor } from "jacc";
export const direct = jacrev((x: Tensor) => x.sin().mul(x).sum(0));
export const structured = (W: Tensor, b: Tensor, x: Tensor) => jacfwd((x: Tensor) => W.matmul(x).add(b).tanh().t())(x);
export const two = jacobian((x: Tensor, y: Tensor) => x.mul(y).exp(), [0, 1] as any);
export const sweeps = jacrev((x: Tensor) => { let y = x; for (let i = 0; i < 3; i++) y = y.sin(); return y; });
const W = tensor([[0.5, -1], [2, 0.25]]);
export const rows = jacrev((x: Tensor) => W.matmul(x).tanh());
`;

test("each marker's plan: the strategy, its reason from the ops' structure classes, and CompileOptions.paths", () => {
  const plans = (paths: CompilePaths) => {
    const r = compileModule(PLANS, path.join(tmpDir, "plans.ts"), { target: "js", paths, explain: true });
    assert.equal(r.diagnostics, []);
    return (r.markers ?? []).map((m) => m.plan!);
  };
  const [d, s, t, w, r] = plans({});
  assert.is(d.strategy, "direct");
  assert.match(d.reason, /an elementwise chain \(or its sum\)/);
  assert.is(r.strategy, "direct");
  assert.match(r.reason, /g\(W @ x\); .*bilinear ×1/);
  assert.match(d.reason, /tangent ops: diagonal ×\d+, .*reduce ×1: one generated loop/);
  assert.match(d.fallback!, /other devices, dtypes or shapes: the structured path/);
  assert.is(s.strategy, "structured");
  assert.match(s.reason, /bilinear ×1/);
  assert.match(s.reason, /move ×1/);
  assert.match(s.reason, /no direct kernel: not an elementwise chain/);
  assert.is(t.strategy, "structured");
  assert.match(t.reason, /no direct kernel: more than one input or output/);
  assert.is(w.strategy, "sweeps");
  assert.is(w.sweeps, "reverse");
  assert.match(w.reason, /not straight-line tensor code/);
  assert.ok([d, s, t, w].every((p) => p.fuse));
  const noDirect = plans({ direct: false, fuse: false });
  assert.equal(noDirect.map((p) => p.strategy), ["structured", "structured", "structured", "sweeps", "structured"]);
  assert.match(noDirect[0].reason, /no direct kernel: CompileOptions.paths \{ direct: false \}/);
  assert.ok(noDirect.every((p) => !p.fuse));
  const none = plans({ structured: false });
  assert.equal(none.map((p) => `${p.strategy} ${p.sweeps}`), ["sweeps reverse", "sweeps forward", "sweeps reverse", "sweeps reverse", "sweeps reverse"]);
  assert.match(none[0].reason, /CompileOptions.paths \{ structured: false \}/);
});

test("the matrix covers every strategy, and WebGPU where there is a device", async () => {
  assert.ok(admitted.direct >= 3, `direct kernels in ${admitted.direct} fixtures`);
  assert.ok(admitted.structured >= 10, `structured Jacobians in ${admitted.structured} fixtures`);
  assert.ok(admitted.sweeps >= 5, `sweeps in ${admitted.sweeps} fixtures`);
  const gpu = await webgpu();
  if (!gpu.ok) {
    console.log(`\nWEBGPU SKIPPED: jacobian-matrix: ${gpu.reason}${process.env.CI ? " (CI is set: failing)" : ""}\n`);
    if (process.env.CI) throw new Error(`WebGPU is required under CI: ${gpu.reason}`);
  } else assert.ok(gpuRuns >= files.length * 2, `${gpuRuns} WebGPU runs`);
});

test.run();
