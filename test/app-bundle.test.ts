// The example app's production bundle (vite build of examples/app, from its own
// vite.config.ts): no compiler, no marker stubs, no eval; jacc's runtime in its
// own chunk, measured gzipped; and the number-only page ships none of it.
import { test } from "uvu";
import * as assert from "uvu/assert";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import ts from "typescript";
import type { OutputChunk, RollupOutput } from "rollup";
import { build } from "vite";
import { appRoot, buildApp, chunkGraph, isRuntimeModule } from "./util/app-build.js";
import { repoRoot } from "./util/compile.js";
import { FORBIDDEN } from "./util/forbidden.js";

const gzip = (s: string): number => zlib.gzipSync(s, { level: 9 }).length;
const isWebGPUBackend = (id: string): boolean => isRuntimeModule(id) && path.basename(path.dirname(id)) === "webgpu";
/** A chunk's modules by rendered size, largest first. */
const byModule = (c: OutputChunk): string =>
  Object.entries(c.modules)
    .map(([id, m]) => [path.basename(path.dirname(id)) === "ops" ? `ops/${path.basename(id)}` : path.basename(id), m.renderedLength] as const)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([m, n]) => `${m} ${n}`)
    .join(", ");
const kB = (n: number): string => `${(n / 1000).toFixed(2)} kB`;

test("the forbidden patterns find what they look for (in the compiler, the stubs and TypeScript)", () => {
  const read = (f: string) => fs.readFileSync(path.join(repoRoot, f), "utf8");
  const sources: Record<string, string> = {
    "TypeScript": read("node_modules/typescript/package.json"),
    "TypeScript's compiler API": read("node_modules/typescript/lib/typescript.d.ts"),
    "jacc's compiler": read("dist/compiler/index.js") + read("dist/compiler/front/lower.js"),
    "magic-string": read("node_modules/magic-string/package.json") + read("dist/compiler/module/glue.js"),
    "a marker stub": read("dist/runtime/markers.js"),
    "eval": "x = eval(s)",
    "new Function": "f = new Function('a', s)",
  };
  for (const [what, re] of FORBIDDEN) assert.ok(re.test(sources[what]), `the pattern for ${what} finds it`);
});

test("app bundle: no compiler, no marker stub, no eval or new Function in any chunk", async () => {
  const { chunks, ms } = await buildApp();
  assert.ok(chunks.length >= 3, `chunks: ${chunks.map((c) => c.fileName)}`);
  for (const c of chunks) {
    for (const [what, re] of FORBIDDEN) assert.not.ok(re.test(c.code), `${c.fileName} contains ${what} (${re.exec(c.code)?.[0]})`);
    for (const id of c.moduleIds) {
      assert.not.ok(/^(dist[\\/])?(compiler|plugin|cli)[\\/]/.test(path.relative(repoRoot, id)), `${c.fileName} bundles ${id}`);
      assert.not.ok(/node_modules[\\/](typescript|magic-string|unplugin)[\\/]/.test(id), `${c.fileName} bundles ${id}`);
    }
  }
  console.log(`    vite build of examples/app: ${ms} ms, ${chunks.length} chunks`);
});

// (30 kB until the ops of 2026-12-06 (conv, einsum, det, scatter, the nn losses) took it to 35.5 kB: every op stays
// reachable through the Tensor class's methods and the ops namespace; see BENCHMARKS.md for the lever)
test("app bundle: jacc's runtime is one chunk of its own, at most 40 kB gzipped; the WebGPU backend is not in it", async () => {
  const { chunks } = await buildApp();
  const main = chunkGraph(chunks, "main");
  const runtime = main.filter((c) => c.moduleIds.some(isRuntimeModule));
  assert.is(runtime.length, 1, `the runtime's modules (statically loaded) are in ${runtime.map((c) => c.fileName)}`);
  const [rt] = runtime;
  assert.match(rt.name, "jacc-runtime");
  // and Vite's helper for initWebGPU's dynamic import (it preloads the backend's imports)
  const others = rt.moduleIds.filter((id) => !isRuntimeModule(id) && !/vite\/preload-helper/.test(id));
  assert.is(others.length, 0, `the runtime chunk holds only the runtime, not ${others}`);
  assert.not.ok(rt.moduleIds.some(isWebGPUBackend), `the runtime chunk bundles the WebGPU backend: ${rt.moduleIds.filter(isWebGPUBackend)}`);
  const size = gzip(rt.code);
  const app = main.filter((c) => c !== rt).reduce((s, c) => s + gzip(c.code), 0);
  console.log(`    runtime chunk ${rt.fileName}: ${kB(rt.code.length)} minified, ${kB(size)} gzipped; the app's own chunks ${kB(app)} gzipped`);
  console.log(`    runtime modules (rendered bytes before minification): ${byModule(rt)}`);
  assert.ok(size <= 40_000, `the runtime chunk is ${kB(size)} gzipped (target 40 kB)`);
});

test("app bundle: the WebGPU backend is a chunk of its own (at most 16 kB gzipped), reached only by initWebGPU's dynamic import", async () => {
  const { chunks } = await buildApp();
  const gpu = chunks.filter((c) => c.moduleIds.some(isWebGPUBackend));
  assert.is(gpu.length, 1, `the backend's modules are in ${gpu.map((c) => c.fileName)}`);
  const [g] = gpu;
  assert.match(g.name, "jacc-webgpu");
  assert.ok(g.moduleIds.every(isWebGPUBackend), `the WebGPU chunk holds only the backend: ${g.moduleIds.filter((id) => !isWebGPUBackend(id))}`);
  assert.not.ok(chunkGraph(chunks, "main").includes(g), "the main page does not load the backend statically");
  const rt = chunks.find((c) => c.name === "jacc-runtime")!;
  assert.ok(rt.dynamicImports.includes(g.fileName), `the runtime chunk imports ${g.fileName} dynamically (its dynamic imports: ${rt.dynamicImports})`);
  const size = gzip(g.code);
  console.log(`    WebGPU chunk ${g.fileName}: ${kB(g.code.length)} minified, ${kB(size)} gzipped, loaded by initWebGPU()`);
  console.log(`    WebGPU modules (rendered bytes before minification): ${byModule(g)}`);
  assert.ok(size <= 16_000, `the WebGPU chunk is ${kB(size)} gzipped (target 16 kB)`);
});

test("app bundle: the number-only page loads 0 bytes of jacc's runtime", async () => {
  const { chunks } = await buildApp();
  const graph = chunkGraph(chunks, "scalar");
  const runtimeBytes = graph.flatMap((c) => Object.entries(c.modules)).filter(([id]) => isRuntimeModule(id)).reduce((s, [, m]) => s + m.renderedLength, 0);
  assert.is(runtimeBytes, 0, `the scalar page bundles ${runtimeBytes} bytes of the runtime`);
  assert.not.ok(graph.some((c) => c.name === "jacc-runtime"), "the scalar page does not import the runtime chunk");
  const entry = graph.find((c) => c.isEntry)!;
  assert.match(entry.code, "jacobian(tip)", "the generated code is there (its argument-count message)");
  assert.not.match(entry.code, /\bclass \w+|Float64Array\.from/, "no Tensor class in the scalar page");
  console.log(`    number-only page: ${graph.map((c: OutputChunk) => `${c.fileName} ${kB(gzip(c.code))}`).join(", ")} gzipped; runtime 0 bytes`);
});

test("negative control: the same app built without jacc's plugin bundles the marker stubs, and the check above sees them", async () => {
  const out = (await build({
    root: appRoot,
    configFile: false,
    logLevel: "silent",
    build: { write: false, minify: true, rollupOptions: { input: path.join(appRoot, "index.html"), onwarn: () => undefined } },
  })) as RollupOutput;
  const code = out.output.filter((x): x is OutputChunk => x.type === "chunk").map((c) => c.code).join("\n");
  const stub = FORBIDDEN.find(([what]) => what === "a marker stub")![1];
  assert.ok(stub.test(code), "an uncompiled app carries the stubs' message");
});

test("app sources type-check as a user's project (examples/app/tsconfig.json, \"jacc\" from package exports)", () => {
  const configPath = path.join(appRoot, "tsconfig.json");
  const { config } = ts.readConfigFile(configPath, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, appRoot);
  const program = ts.createProgram(parsed.fileNames, parsed.options);
  const diags = ts.getPreEmitDiagnostics(program);
  assert.is(diags.length, 0, ts.formatDiagnostics(diags, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => appRoot, getNewLine: () => "\n" }));
});

test.run();
