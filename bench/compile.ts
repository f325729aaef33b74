// Compiles a module's text with jacc (as a user's build would) into
// .tmp/bench/ and imports the result. Inside the repository `import … from
// "jacc"` in the output resolves to this package (self-reference).
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import { fileURLToPath, pathToFileURL } from "node:url";
import { compileModule, type CompilePaths, formatDiagnostic } from "jacc/compiler";

/** The repository root (this file runs as dist/bench/compile.js). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const benchTmp = path.join(repoRoot, ".tmp", "bench");

export interface Compiled {
  file: string; // the emitted .mjs
  code: string;
}

/**
 * Compiles `source` as if it were the file `fileName` and writes the JavaScript
 * to .tmp/bench/<name>-<hash>.mjs; `append` is added after the generated code
 * (the benchmarks use it to export a probe of the module's tape). Throws on
 * diagnostics.
 */
export function compileToFile(source: string, fileName: string, name: string, append = "", paths?: CompilePaths): Compiled {
  const r = compileModule(source, fileName, { target: "js", paths });
  if (r.diagnostics.length) throw new Error(r.diagnostics.map(formatDiagnostic).join("\n"));
  const code = r.code + append;
  fs.mkdirSync(benchTmp, { recursive: true });
  const hash = crypto.createHash("sha1").update(code).digest("hex").slice(0, 10);
  const file = path.join(benchTmp, `${name}-${hash}.mjs`);
  fs.writeFileSync(file, code);
  return { file, code };
}

export async function importFile<T = any>(file: string): Promise<T> {
  return import(pathToFileURL(file).href) as Promise<T>;
}

/** Reads a file of the repository (bench/subjects.ts and the like). */
export function readRepoFile(rel: string): string {
  return fs.readFileSync(path.join(repoRoot, rel), "utf8");
}

/**
 * A probe appended to a compiled module: the length of its reverse-sweep tape
 * (`__jaccTape`, a module-level Float64Array of the generated code), or -1 if
 * the generated code has none.
 */
export const TAPE_PROBE =
  "\nexport function __benchTapeLength() { return typeof __jaccTape === 'undefined' ? -1 : __jaccTape.length; }\n";
