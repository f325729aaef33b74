// One input module through compileModule, with read failures and compiler
// crashes turned into messages instead of exceptions, so a run goes on.
// Commands load this module (and with it the compiler and TypeScript) only
// after their arguments parse, so --help and usage errors answer at once.
import fs from "node:fs";
import ts from "typescript";
import { compileModule, formatDiagnostic, formatDiagnosticInColor, type CompileOptions, type CompileResult, type Diagnostic } from "../compiler/index.js";
import path from "node:path";
import { displayName } from "./files.js";

export type Strategy = "reverse-mode" | "forward-mode";

export interface Compiled {
  file: string; // absolute
  name: string; // as shown to the user (relative to cwd when inside it)
  source: string;
  result?: CompileResult;
  /** a failure that is not a diagnostic: unreadable file, compiler crash */
  failure?: string;
  errors: Diagnostic[];
  warnings: Diagnostic[];
}

export interface CompileFileOptions {
  target: "ts" | "js";
  explain?: boolean;
  /** Default for markers without a strategy option; passed on for compilers that take it. */
  strategy?: Strategy;
}

export function compileFile(file: string, cwd: string, options: CompileFileOptions): Compiled {
  const name = displayName(file, cwd);
  const c: Compiled = { file, name, source: "", errors: [], warnings: [] };
  try {
    c.source = fs.readFileSync(file, "utf8");
  } catch (err) {
    c.failure = `${name}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
    return c;
  }
  const opts: CompileOptions & { strategy?: Strategy } = { target: options.target, explain: options.explain };
  if (options.strategy) opts.strategy = options.strategy;
  try {
    c.result = compileModule(c.source, name, opts);
  } catch (err) {
    c.failure = `${name}: internal compiler error: ${err instanceof Error ? err.message : String(err)}`;
    if (process.env.JACC_DEBUG && err instanceof Error) c.failure += `\n${err.stack}`;
    return c;
  }
  for (const d of c.result.diagnostics) (d.severity === "warning" ? c.warnings : c.errors).push(d);
  return c;
}

export { formatDiagnostic } from "../compiler/index.js";

/** How a command prints diagnostics: plain, or coloured with the frame highlighted from the file's text. */
export function diagnosticFormatter(color: boolean, cwd: string): (d: Diagnostic) => string {
  if (!color) return formatDiagnostic;
  const sources = new Map<string, string | undefined>();
  const sourceOf = (file: string): string | undefined => {
    if (!sources.has(file)) {
      try {
        sources.set(file, fs.readFileSync(path.resolve(cwd, file), "utf8"));
      } catch {
        sources.set(file, undefined); // (the plain frame, coloured around it)
      }
    }
    return sources.get(file);
  };
  return (d) => formatDiagnosticInColor(d, sourceOf(d.file));
}

/** A module without markers as ES-module JavaScript, with its source map. */
export function transpile(source: string, fileName: string): { code: string; map?: string } {
  const t = ts.transpileModule(source, {
    fileName,
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, sourceMap: true, jsx: ts.JsxEmit.Preserve },
  });
  return { code: t.outputText.replace(/\/\/# sourceMappingURL=.*\s*$/, ""), map: t.sourceMapText };
}

export const ok = (c: Compiled): boolean => !c.failure && c.errors.length === 0;

export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;
