// WebGPU for the tests: one device per process, on Dawn (the `webgpu`
// package; SwiftShader where there is no GPU). Without an adapter each WebGPU
// test file prints a loud "WEBGPU SKIPPED: <reason>" line and its tests pass
// vacuously, except under CI (env CI set), where they FAIL: CI must really run
// the kernels.
import fs from "node:fs";
import path from "node:path";
import { tmpDir } from "./compile.js";
import { test } from "uvu";
import { initWebGPU, gpuKernels, Tensor } from "../../runtime/index.js";
import { allKernels } from "../../compiler/emit/wgsl/index.js";

const SWIFTSHADER = "/usr/lib/chromium/vk_swiftshader_icd.json";

let ready: Promise<{ ok: true } | { ok: false; reason: string }> | undefined;

/** Opens the device once (setting SwiftShader's ICD when none is set and it is installed). */
export function webgpu(): Promise<{ ok: true } | { ok: false; reason: string }> {
  if (!ready) {
    if (!process.env.VK_ICD_FILENAMES && fs.existsSync(SWIFTSHADER)) process.env.VK_ICD_FILENAMES = SWIFTSHADER;
    process.env.XDG_RUNTIME_DIR ??= "/tmp";
    ready = initWebGPU().then(
      () => ({ ok: true as const }),
      (e: unknown) => ({ ok: false as const, reason: e instanceof Error ? e.message : String(e) }),
    );
  }
  return ready;
}

/** Every kernel registered (kernel tests; compiled modules register their own). */
export function registerAllKernels(): void {
  gpuKernels(allKernels());
}

const announced = new Set<string>();
/**
 * A uvu test that needs WebGPU. With no adapter it says so loudly once per
 * file and passes, or fails under CI.
 */
export function gpuTest(file: string, name: string, fn: () => void | Promise<void>): void {
  test(name, async () => {
    const r = await webgpu();
    if (!r.ok) {
      if (!announced.has(file)) {
        announced.add(file);
        console.log(`\nWEBGPU SKIPPED: ${file}: ${r.reason}${process.env.CI ? " (CI is set: failing)" : ""}\n`);
      }
      if (process.env.CI) throw new Error(`WebGPU is required under CI: ${r.reason}`);
      return;
    }
    await fn();
  });
}

/** A value with every WebGPU tensor read back into a CPU tensor (arrays and objects walked). */
export async function readBack(v: unknown): Promise<unknown> {
  if (v instanceof Tensor) return v.device === "webgpu" ? new Tensor(await v.read(), v.shape.slice()) : v;
  if (Array.isArray(v)) return Promise.all(v.map(readBack));
  if (v !== null && typeof v === "object" && !ArrayBuffer.isView(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = await readBack(x);
    return out;
  }
  return v;
}

/** The structure of a value: "n", "T32[2,3]", arrays, objects (the conformance notation). */
export function kind(v: unknown): string {
  if (typeof v === "number") return "n";
  if (v instanceof Tensor) return `T${v.dtype.replace("float", "")}[${v.shape.join(",")}]`;
  if (ArrayBuffer.isView(v)) return `[${Array.from(v as unknown as ArrayLike<number>, () => "n").join(",")}]`;
  if (Array.isArray(v)) return `[${v.map(kind).join(",")}]`;
  if (v !== null && typeof v === "object") return `{${Object.keys(v).map((k) => `${k}:${kind((v as Record<string, unknown>)[k])}`).join(",")}}`;
  return typeof v;
}

/** Flat numbers of a value (tensors' storage, arrays, objects), in order. */
export function numbers(v: unknown, out: number[] = []): number[] {
  if (typeof v === "number") out.push(v);
  else if (v instanceof Tensor) out.push(...Array.from(v.data));
  else if (ArrayBuffer.isView(v)) out.push(...Array.from(v as unknown as ArrayLike<number>));
  else if (Array.isArray(v)) v.forEach((x) => numbers(x, out));
  else if (v !== null && typeof v === "object") Object.values(v).forEach((x) => numbers(x, out));
  return out;
}

/** Mismatches of `actual` against `expected` at |a − e| ≤ tol·(1 + |e|) (NaN matches NaN). */
export function mismatches(actual: number[], expected: number[], tol: number): string[] {
  if (actual.length !== expected.length) return [`${actual.length} numbers, expected ${expected.length}`];
  const bad: string[] = [];
  expected.forEach((e, i) => {
    const a = actual[i];
    const ok = Number.isNaN(e) ? Number.isNaN(a) : !Number.isFinite(e) ? a === e : Math.abs(a - e) <= tol * (1 + Math.abs(e));
    if (!ok) bad.push(`[${i}]: webgpu ${a}, cpu ${e}`);
  });
  return bad;
}

/**
 * A module re-exporting jacc with its `tensor(…)` factory making float32 tensors on `device`: a
 * compiled program's `import { tensor } from "jacc"` pointed here runs as its float32 variant there
 * (the source itself is compiled untouched). Returns the import specifier, relative to tmpDir.
 */
export function float32Shim(device: "cpu" | "webgpu"): string {
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

/** The ops with no WebGPU kernel (README, "WebGPU"): a program calling one runs on the CPU only, and a WebGPU tensor given to it is a TypeError naming it. */
export const CPU_ONLY = /\blinalg\.(solve|inv|det|slogdet|cholesky)\(|\bcross\(|\bscatter\(|\bmaskedSelect\(|\b(conv[12]d|maxPool2d|avgPool2d)\(/;
export const CPU_ONLY_ERROR = /^(linalg\.\w+|cross|scatter|maskedSelect|conv[12]d|maxPool2d|avgPool2d): expected tensors on the cpu device, got webgpu/;
