// What the build integrations share: which files they compile, the target
// compileModule writes for them, and jacc's diagnostics as TypeScript sees them
// (one error code per jacc code, 9000–9099, jacc's own code in the message).
import ts from "typescript";
import fs from "node:fs";
import type { Diagnostic } from "../compiler/index.js";
import { resolveImport } from "../compiler/front/resolve.js";

/** TypeScript sources (compiled with target "ts"); other ids with these extensions are JavaScript. */
export const TS_FILE = /\.(ts|mts|cts|tsx)$/;
export const SCRIPT_FILE = /\.(ts|mts|cts|tsx|js|mjs|cjs|jsx)$/;
/** Dependencies are never compiled (a package ships compiled code). */
export const NODE_MODULES = /[\\/]node_modules[\\/]/;

/** "ts" keeps the module TypeScript (the tool strips types afterwards); "js" for JavaScript sources. */
export function targetOf(fileName: string): "ts" | "js" {
  return TS_FILE.test(fileName) ? "ts" : "js";
}

/**
 * The files a module's generated code may depend on: its imports, and theirs, as the compiler
 * resolves them (a marker's function may be defined in another module, which the compiler reads
 * from disk: compiler/front/resolve.ts). At most `limit` files.
 */
export function importDependencies(file: string, code: string, limit = 200): string[] {
  const out = new Set<string>();
  const queue: [string, string][] = [[file, code]];
  while (queue.length && out.size < limit) {
    const [from, text] = queue.pop()!;
    for (const ref of ts.preProcessFile(text, true, false).importedFiles) {
      if (ref.fileName === "jacc") continue;
      const dep = resolveImport(from, ref.fileName);
      if (!dep || dep === file || out.has(dep)) continue;
      out.add(dep);
      try {
        queue.push([dep, fs.readFileSync(dep, "utf8")]);
      } catch {
        // unreadable: watched all the same
      }
    }
  }
  return [...out];
}

const CODES: Record<string, number> = {
  internal: 9000,
  "unsupported-construct": 9001,
  "unsupported-type": 9002,
  unresolved: 9003,
  "invalid-option": 9004,
  arity: 9005,
  "captured-write": 9006,
  "param-write": 9007,
  random: 9008,
  strict: 9009,
  "grad-output": 9010,
  "has-aux": 9011,
};

/** The TypeScript error code of a jacc diagnostic code (9099 for a code this table does not know). */
export function tsCodeOf(code: string): number {
  return CODES[code] ?? 9099;
}

/** The text of a jacc diagnostic as a TypeScript diagnostic's messageText. */
export function tsMessageOf(d: Diagnostic): string {
  return `jacc(${d.code}): ${d.message}`;
}
