// Test helpers: compile a module's source with jacc and import the result, as
// a user's build would run it. Outputs go to <repo>/.tmp so that `import … from
// "jacc"` resolves to this package (self-reference).
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import { fileURLToPath, pathToFileURL } from "node:url";
import { compileModule, type CompilePaths, formatDiagnostic, type CompileResult } from "../../compiler/index.js";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const tmpDir = path.join(repoRoot, ".tmp", "tests");

/** Compiles `source` (as if it were the file `fileName`) and throws on diagnostics. */
export function compileOrThrow(source: string, fileName = "test.ts", target: "js" | "ts" = "js"): CompileResult {
  const r = compileModule(source, fileName, { target, paths, checkIR: true });
  if (r.diagnostics.length) throw new Error(r.diagnostics.map(formatDiagnostic).join("\n"));
  return r;
}

/** The code paths compileOrThrow and compileAndImport leave out while `withPaths` runs. */
let paths: CompilePaths | undefined;

/**
 * Runs `f` with the compiler's code paths in `p` turned off ({ fuse: false }, { direct: false },
 * { structured: false }: CompileOptions.paths), then puts them back. compileOrThrow and
 * compileAndImport compile before they first wait, so a promise they return was compiled so.
 */
export function withPaths<T>(p: CompilePaths, f: () => T): T {
  const before = paths;
  paths = p;
  try {
    return f();
  } finally {
    paths = before;
  }
}

/** Compiles `source` and imports the generated module. */
export async function compileAndImport<T = any>(source: string, name = "module", fileName?: string): Promise<T> {
  fs.mkdirSync(tmpDir, { recursive: true });
  const file = fileName ?? path.join(tmpDir, `${name}.ts`);
  const r = compileOrThrow(source, file, "js");
  const hash = crypto.createHash("sha1").update(r.code).digest("hex").slice(0, 10);
  const out = path.join(tmpDir, `${name}-${hash}.mjs`);
  fs.writeFileSync(out, r.code);
  return import(pathToFileURL(out).href) as Promise<T>;
}

/** Central finite differences of a scalar function of one number. */
export function fd1(f: (x: number) => number, x: number, h = 1e-6): number {
  return (f(x + h) - f(x - h)) / (2 * h);
}

/** Relative + absolute closeness, NaN-aware. */
export function close(a: number, b: number, tol = 1e-6): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b;
  return Math.abs(a - b) <= tol * (1 + Math.abs(b));
}
