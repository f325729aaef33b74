// The example app (examples/app) built once per test process with Vite's build(),
// from its own vite.config.ts, into a scratch folder under .tmp/. Both app tests
// (bundle, browser) share the one build.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { build } from "vite";
import type { OutputChunk, RollupOutput } from "rollup";
import { repoRoot } from "./compile.js";

export const appRoot = path.join(repoRoot, "examples", "app");
/** Where "jacc" resolves: the runtime's folder (dist/runtime), whose modules form the runtime chunk. */
export const runtimeDir = path.dirname(createRequire(path.join(appRoot, "vite.config.ts")).resolve("jacc"));

export interface AppBuild {
  outDir: string;
  chunks: OutputChunk[];
  ms: number;
}

let built: Promise<AppBuild> | undefined;

export function buildApp(): Promise<AppBuild> {
  built ??= (async () => {
    const outDir = path.join(repoRoot, ".tmp", "app-build", String(process.pid));
    fs.rmSync(outDir, { recursive: true, force: true });
    process.once("exit", () => fs.rmSync(outDir, { recursive: true, force: true }));
    const t0 = Date.now();
    const out = (await build({ root: appRoot, configFile: path.join(appRoot, "vite.config.ts"), logLevel: "silent", build: { outDir, emptyOutDir: true } })) as RollupOutput | RollupOutput[];
    const outputs = Array.isArray(out) ? out : [out];
    const chunks = outputs.flatMap((o) => o.output.filter((x): x is OutputChunk => x.type === "chunk"));
    return { outDir, chunks, ms: Date.now() - t0 };
  })();
  return built;
}

/** The chunks an entry loads: itself and its static imports, transitively. */
export function chunkGraph(chunks: OutputChunk[], entryName: string): OutputChunk[] {
  const byFile = new Map(chunks.map((c) => [c.fileName, c]));
  const entry = chunks.find((c) => c.isEntry && c.name === entryName);
  if (!entry) throw new Error(`no entry chunk named ${entryName} (chunks: ${chunks.map((c) => c.name).join(", ")})`);
  const seen = new Set<OutputChunk>();
  const visit = (c: OutputChunk): void => {
    if (seen.has(c)) return;
    seen.add(c);
    for (const f of c.imports) visit(byFile.get(f)!);
  };
  visit(entry);
  return [...seen];
}

/** Whether a module id belongs to jacc's runtime. */
export function isRuntimeModule(id: string): boolean {
  return id.startsWith(runtimeDir + path.sep);
}
