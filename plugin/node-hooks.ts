// Node module hooks: TypeScript files (and JavaScript files that import jacc's
// markers) go through compileModule; a diagnostic stops the import with an
// error that carries file:line:col and a code frame.
import fs from "node:fs";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { compileModule, formatDiagnostic } from "../compiler/index.js";

type Next<A extends unknown[], R> = (...a: A) => Promise<R>;
interface LoadResult { format?: string; source?: string | ArrayBuffer | Uint8Array; shortCircuit?: boolean }

const TS = /\.(ts|mts|cts|tsx)$/;
/** The name of the error a diagnostic throws (register.ts prints its message alone when it is uncaught). */
export const COMPILE_ERROR = "JaccCompileError";

export async function resolve(specifier: string, context: { parentURL?: string }, next: Next<[string, unknown], { url: string }>): Promise<{ url: string; shortCircuit?: boolean }> {
  try {
    return await next(specifier, context);
  } catch (err) {
    // `./lib.js` written for a TypeScript source `./lib.ts`; extensionless relative imports
    if (context.parentURL && (specifier.startsWith("./") || specifier.startsWith("../"))) {
      for (const cand of [specifier.replace(/\.js$/, ".ts"), `${specifier}.ts`, `${specifier}/index.ts`]) {
        const url = new URL(cand, context.parentURL);
        if (fs.existsSync(fileURLToPath(url))) return { url: url.href, shortCircuit: true };
      }
    }
    throw err;
  }
}

export async function load(url: string, context: { format?: string }, next: Next<[string, unknown], LoadResult>): Promise<LoadResult> {
  if (!url.startsWith("file:") || url.includes("/node_modules/")) return next(url, context);
  const file = fileURLToPath(url);
  const isTs = TS.test(file);
  if (!isTs && !/\.(m?js)$/.test(file)) return next(url, context);
  const source = fs.readFileSync(file, "utf8");
  const result = compileModule(source, file, { target: "js" });
  if (result.diagnostics.length) {
    const err = new Error(`jacc: ${result.diagnostics.length} error(s) compiling ${file}\n${result.diagnostics.map(formatDiagnostic).join("\n")}`);
    err.name = COMPILE_ERROR;
    err.stack = `${err.name}: ${err.message}`; // the loader's own frames say nothing about the user's module
    throw err;
  }
  if (!result.changed) {
    if (!isTs) return next(url, context);
    const out = ts.transpileModule(source, { fileName: file, compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, sourceMap: false } });
    return { format: "module", source: out.outputText, shortCircuit: true };
  }
  return { format: "module", source: result.code, shortCircuit: true };
}
