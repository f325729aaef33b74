// Every conformance case (../shared/conformance/cases) and every tensor
// fixture (fixtures/tensor) run on WebGPU and compared with the CPU. Each
// program is compiled twice, as a user's build would compile it, in a float32
// variant: its `tensor(…)` factory makes float32 tensors on the CPU, or float32
// tensors on the webgpu device. The WebGPU run's results are read back with
// `await t.read()` and compared with the CPU run's at 1e-4 (relative +
// absolute), structure first (the same kinds: T32 blocks of the same shapes;
// a float64 block on the CPU, a number input's in reverse mode (SPEC §3), is a
// float32 block on the device, which has no float64).
// Each run also checks that the kernels it dispatched are among those the
// compiler emitted into that module.
import fs from "node:fs";
import path from "node:path";
import * as assert from "uvu/assert";
import { test } from "uvu";
import crypto from "node:crypto";
import { pathToFileURL } from "node:url";
import { compileOrThrow, repoRoot, tmpDir } from "./util/compile.js";
import { CPU_ONLY, CPU_ONLY_ERROR, float32Shim, gpuTest, kind, mismatches, numbers, readBack } from "./util/webgpu.js";
import { webgpuExecutor } from "../runtime/internal.js";

const FILE = "webgpu-programs";
const TOL = 1e-4;
const confDir = path.join(repoRoot, "..", "shared", "conformance", "cases");
const fxDir = path.join(repoRoot, "fixtures", "tensor");

type Run = { value: unknown; shaders: Record<string, string> };

async function runProgram(name: string, src: string, device: "cpu" | "webgpu", conformance: boolean): Promise<Run> {
  const source = conformance ? src.replace(/^emit\(/gm, "await (globalThis as any).__jaccEmit(") : src;
  const r = compileOrThrow(source, path.join(tmpDir, `${name}.ts`), "js");
  const shim = float32Shim(device);
  const code = r.code.replace(/import\s*\{([^}]*)\}\s*from\s*"jacc";/g, (whole, names: string) =>
    names.split(",").some((n) => n.trim() === "tensor") ? `import {${names}} from "${shim}";` : whole,
  );
  const hash = crypto.createHash("sha1").update(code).digest("hex").slice(0, 10);
  const out = path.join(tmpDir, `wg-${name}-${device}-${hash}.mjs`);
  fs.writeFileSync(out, code);
  const sink: unknown[] = [];
  (globalThis as Record<string, unknown>).__jaccEmit = async (v: unknown) => void sink.push(await readBack(v));
  const mod = (await import(pathToFileURL(out).href)) as Record<string, unknown>;
  if (conformance) return { value: sink, shaders: r.shaders };
  const exported = Object.fromEntries(Object.entries(mod).filter(([k, v]) => k !== "tolerance" && typeof v !== "function"));
  return { value: await readBack(exported), shaders: r.shaders };
}

function programs(): { name: string; src: string; conformance: boolean }[] {
  const list: { name: string; src: string; conformance: boolean }[] = [];
  if (fs.existsSync(confDir)) {
    for (const f of fs.readdirSync(confDir).filter((f) => f.endsWith(".ts")).sort()) {
      list.push({ name: `conformance-${f.replace(/\.ts$/, "")}`, src: fs.readFileSync(path.join(confDir, f), "utf8"), conformance: true });
    }
  }
  for (const f of fs.readdirSync(fxDir).filter((f) => f.endsWith(".ts")).sort()) {
    list.push({ name: `tensor-${f.replace(/\.ts$/, "")}`, src: fs.readFileSync(path.join(fxDir, f), "utf8"), conformance: false });
  }
  return list;
}

test("webgpu programs: the conformance cases are there (../shared/conformance) or the run says they are not", () => {
  if (!fs.existsSync(confDir)) console.log(`\nWEBGPU: ${confDir} is absent: only the tensor fixtures run on WebGPU\n`);
});

/** The CPU's structure as the device gives it: a float64 block there is float32 on the device (at the same place; the strings align). */
function deviceKind(cpu: string, gpu: string): string {
  return cpu.replace(/T64\[/g, (m, at: number) => (gpu.startsWith("T32[", at) ? "T32[" : m));
}

/** Runs a program on both devices and compares (kinds, numbers at TOL, kernels dispatched ⊆ compiled). */
async function compare(name: string, src: string, conformance: boolean): Promise<void> {
  if (CPU_ONLY.test(src)) {
    // an op with no WebGPU kernel: the device run is a TypeError naming it
    const err = await runProgram(name, src, "webgpu", conformance).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof TypeError && CPU_ONLY_ERROR.test(err.message), `${name}: a CPU-only op on WebGPU tensors: ${String(err)}`);
    return;
  }
  const cpu = await runProgram(name, src, "cpu", conformance);
  const ex = webgpuExecutor()!;
  ex.used.clear();
  const gpu = await runProgram(name, src, "webgpu", conformance);
  assert.is(kind(gpu.value), deviceKind(kind(cpu.value), kind(gpu.value)), `${name}: structure on webgpu vs cpu`);
  const bad = mismatches(numbers(gpu.value), numbers(cpu.value), TOL);
  assert.ok(bad.length === 0, `${name}: ${bad.length} mismatch(es) at ${TOL}\n  ${bad.slice(0, 6).join("\n  ")}`);
  const missing = [...ex.used].filter((k) => !(k in gpu.shaders));
  assert.equal(missing, [], `${name}: kernels dispatched but not compiled into the module`);
}

for (const p of programs()) {
  gpuTest(FILE, `webgpu: ${p.name} (float32) gives the CPU's results`, () => compare(p.name, p.src, p.conformance));
}

test.run();
