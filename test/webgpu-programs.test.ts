// Every conformance case (../shared/conformance/cases) and every tensor
// fixture (fixtures/tensor) run on WebGPU and compared with the CPU. Each
// program is compiled twice, as a user's build would compile it, in a float32
// variant: its `tensor(…)` factory makes float32 tensors on the CPU, or float32
// tensors on the webgpu device. The WebGPU run's results are read back with
// `await t.read()` and compared with the CPU run's at 1e-4 (relative +
// absolute), structure first (the same kinds: T32 blocks of the same shapes).
// Each run also checks that the kernels it dispatched are among those the
// compiler emitted into that module.
import fs from "node:fs";
import path from "node:path";
import * as assert from "uvu/assert";
import { test } from "uvu";
import crypto from "node:crypto";
import { pathToFileURL } from "node:url";
import { compileOrThrow, repoRoot, tmpDir } from "./util/compile.js";
import { gpuTest, kind, mismatches, numbers, readBack } from "./util/webgpu.js";
import { webgpuExecutor } from "../runtime/index.js";

const FILE = "webgpu-programs";
const TOL = 1e-4;
const confDir = path.join(repoRoot, "..", "shared", "conformance", "cases");
const fxDir = path.join(repoRoot, "fixtures", "tensor");

/**
 * Programs that cannot run on WebGPU, with the reason: their results need a
 * synchronous read of device values (a number parameter's derivative from
 * tensor ops, `.item()`), which WebGPU does not allow.
 */
const NUMBER_PARAM = "reverse mode with respect to a number parameter (its derivative is a read-back of a device sum)";
const UNSUPPORTED: Record<string, string> = {
  "tensor-18_mixed_number_params": NUMBER_PARAM,
  "tensor-31_control_flow": NUMBER_PARAM,
  "tensor-33_hessian_mixed": NUMBER_PARAM,
  "tensor-38_numbers_and_vectors": NUMBER_PARAM,
};

/**
 * The compiled program with its `tensor` (imported from "jacc") making
 * float32 tensors on `device`: the import is pointed at a shim that re-exports
 * jacc with that factory (the source itself is compiled untouched).
 */
function shimFor(device: "cpu" | "webgpu"): string {
  fs.mkdirSync(tmpDir, { recursive: true });
  const file = path.join(tmpDir, `jacc-float32-${device}.mjs`);
  const text = [
    `export * from "jacc";`,
    `import { tensor as tensor0 } from "jacc";`,
    `export const tensor = (data, opts) => tensor0(data, { ...opts, dtype: "float32", device: "${device}" });`,
    "",
  ].join("\n");
  if (!fs.existsSync(file) || fs.readFileSync(file, "utf8") !== text) fs.writeFileSync(file, text);
  return `./${path.basename(file)}`;
}

type Run = { value: unknown; shaders: Record<string, string> };

async function runProgram(name: string, src: string, device: "cpu" | "webgpu", conformance: boolean): Promise<Run> {
  const source = conformance ? src.replace(/^emit\(/gm, "await (globalThis as any).__jaccEmit(") : src;
  const r = compileOrThrow(source, path.join(tmpDir, `${name}.ts`), "js");
  const shim = shimFor(device);
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

for (const p of programs()) {
  gpuTest(FILE, `webgpu: ${p.name} (float32) gives the CPU's results`, async () => {
    const cpu = await runProgram(p.name, p.src, "cpu", p.conformance);
    const ex = webgpuExecutor()!;
    ex.used.clear();
    let gpu: Run;
    try {
      gpu = await runProgram(p.name, p.src, "webgpu", p.conformance);
    } catch (e) {
      const why = UNSUPPORTED[p.name];
      if (why) {
        assert.ok(/webgpu|WebGPU/.test(String((e as Error).message)), `${p.name}: expected a WebGPU error (${why}), got ${(e as Error).message}`);
        return;
      }
      throw e;
    }
    assert.ok(!UNSUPPORTED[p.name], `${p.name} is listed as unsupported on WebGPU but ran: take it off the list`);
    assert.is(kind(gpu.value), kind(cpu.value), `${p.name}: structure on webgpu vs cpu`);
    const bad = mismatches(numbers(gpu.value), numbers(cpu.value), TOL);
    assert.ok(bad.length === 0, `${p.name}: ${bad.length} mismatch(es) at ${TOL}\n  ${bad.slice(0, 6).join("\n  ")}`);
    const missing = [...ex.used].filter((k) => !(k in gpu.shaders));
    assert.equal(missing, [], `${p.name}: kernels dispatched but not compiled into the module`);
  });
}

test.run();
