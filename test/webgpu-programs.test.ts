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
import ts from "typescript";
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
const NUMBER_PARAM = "reverse mode with respect to a number parameter (its derivative would be a synchronous read-back of a device sum)";
/**
 * Exports ("program.export") that cannot run on WebGPU, with the reason. A
 * fixture with one of them runs export by export (a module of that export
 * alone), so its other exports are still compared.
 */
const UNSUPPORTED: Record<string, string> = {
  "tensor-18_mixed_number_params.rev": NUMBER_PARAM,
  "tensor-18_mixed_number_params.scalarOut": NUMBER_PARAM,
  "tensor-18_mixed_number_params.gradBoth": NUMBER_PARAM,
  "tensor-31_control_flow.branchLow": NUMBER_PARAM,
  "tensor-33_hessian_mixed.mixed": NUMBER_PARAM,
  "tensor-38_numbers_and_vectors.arrayRev": NUMBER_PARAM,
  "tensor-38_numbers_and_vectors.typedRev": NUMBER_PARAM,
  "tensor-38_numbers_and_vectors.mathRev": NUMBER_PARAM,
};
const splitPrograms = new Set(Object.keys(UNSUPPORTED).map((k) => k.split(".")[0]));

/** The fixture's source without the exported declarations other than `keep` (tolerance stays). */
function onlyExport(src: string, keep: string): string {
  const sf = ts.createSourceFile("fixture.ts", src, ts.ScriptTarget.ES2022, true);
  const cuts: [number, number][] = [];
  for (const st of sf.statements) {
    if (!ts.isVariableStatement(st) || !st.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
    const names = st.declarationList.declarations.map((d) => d.name.getText(sf));
    if (names.every((n) => n !== keep && n !== "tolerance")) cuts.push([st.getStart(sf), st.getEnd()]);
  }
  let out = src;
  for (const [a, b] of cuts.reverse()) out = out.slice(0, a) + out.slice(b);
  return out;
}

/** The exported result names of a fixture's source. */
function exportsOf(src: string): string[] {
  const sf = ts.createSourceFile("fixture.ts", src, ts.ScriptTarget.ES2022, true);
  return sf.statements.flatMap((st) =>
    ts.isVariableStatement(st) && st.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) ? st.declarationList.declarations.map((d) => d.name.getText(sf)) : [],
  ).filter((n) => n !== "tolerance");
}

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

/** Runs a program on both devices and compares (kinds, numbers at TOL, kernels dispatched ⊆ compiled). */
async function compare(name: string, src: string, conformance: boolean): Promise<void> {
  const cpu = await runProgram(name, src, "cpu", conformance);
  const ex = webgpuExecutor()!;
  ex.used.clear();
  const gpu = await runProgram(name, src, "webgpu", conformance);
  assert.is(kind(gpu.value), kind(cpu.value), `${name}: structure on webgpu vs cpu`);
  const bad = mismatches(numbers(gpu.value), numbers(cpu.value), TOL);
  assert.ok(bad.length === 0, `${name}: ${bad.length} mismatch(es) at ${TOL}\n  ${bad.slice(0, 6).join("\n  ")}`);
  const missing = [...ex.used].filter((k) => !(k in gpu.shaders));
  assert.equal(missing, [], `${name}: kernels dispatched but not compiled into the module`);
}

for (const p of programs()) {
  if (!splitPrograms.has(p.name)) {
    gpuTest(FILE, `webgpu: ${p.name} (float32) gives the CPU's results`, () => compare(p.name, p.src, p.conformance));
    continue;
  }
  for (const key of exportsOf(p.src)) {
    const id = `${p.name}.${key}`;
    gpuTest(FILE, `webgpu: ${id} (float32) gives the CPU's results${UNSUPPORTED[id] ? " or says why it cannot run on WebGPU" : ""}`, async () => {
      const src = onlyExport(p.src, key);
      try {
        await compare(`${p.name}-${key}`, src, false);
      } catch (e) {
        if (!UNSUPPORTED[id]) throw e;
        assert.match(String((e as Error).message), /^WebGPU: the derivative with respect to a number parameter/, `${id}: ${UNSUPPORTED[id]}`);
        return;
      }
      assert.ok(!UNSUPPORTED[id], `${id} is listed as unsupported on WebGPU but ran: take it off the list`);
    });
  }
}

test.run();
