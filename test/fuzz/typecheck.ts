// Type-checks emitted TypeScript (compileModule(..., { target: "ts" })) with the
// TypeScript compiler API, strict, as a user's `tsc --noEmit` would: the file
// lives (in memory) inside the repository, so `import … from "jacc"` resolves
// through package.json's exports to dist/runtime/index.d.ts. Library and
// declaration files are parsed once and shared between programs.
import path from "node:path";
import ts from "typescript";
import { repoRoot } from "../util/compile.js";

const options: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  skipLibCheck: true,
  types: [],
};

const dir = path.join(repoRoot, ".tmp", "fuzz", "tc");
const memory = new Map<string, string>();
const cache = new Map<string, ts.SourceFile | undefined>();
const host = ts.createCompilerHost(options);
const getSourceFile = host.getSourceFile.bind(host);
const fileExists = host.fileExists.bind(host);
const readFile = host.readFile.bind(host);
host.getSourceFile = (f, lang, onError, create) => {
  const text = memory.get(f);
  if (text !== undefined) return ts.createSourceFile(f, text, lang, true);
  if (!cache.has(f)) cache.set(f, getSourceFile(f, lang, onError, create));
  return cache.get(f);
};
host.fileExists = (f) => memory.has(f) || fileExists(f);
host.readFile = (f) => memory.get(f) ?? readFile(f);
host.writeFile = () => {};
let old: ts.Program | undefined;
let counter = 0;

export interface TypeError {
  code: number;
  message: string;
  line: number; // 1-based, in the emitted file
  excerpt: string; // the emitted lines around it, and the source line jacc's comment names
}

/** Type errors of `code` (an emitted .ts module); [] when it type-checks. */
export function typeCheck(code: string): TypeError[] {
  const file = path.join(dir, `prog${counter++ % 8}.ts`);
  memory.clear();
  memory.set(file, code);
  const program = ts.createProgram({ rootNames: [file], options, host, oldProgram: old });
  old = program;
  const sf = program.getSourceFile(file)!;
  const diags = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
  const lines = code.split("\n");
  return diags.map((d) => {
    const line = d.start === undefined ? 0 : sf.getLineAndCharacterOfPosition(d.start).line;
    let origin = "";
    for (let k = line; k >= 0; k--) {
      const m = /^\s*\/\/ (\S+\.ts:\d+)/.exec(lines[k]);
      if (m) {
        origin = `  (jacc's comment above: ${m[1]})`;
        break;
      }
    }
    const from = Math.max(0, line - 2);
    const excerpt = lines
      .slice(from, line + 2)
      .map((l, k) => `${from + k === line ? ">" : " "} ${String(from + k + 1).padStart(5)} | ${l.length > 220 ? l.slice(0, 220) + " …" : l}`)
      .join("\n");
    return { code: d.code, message: ts.flattenDiagnosticMessageText(d.messageText, "\n"), line: line + 1, excerpt: excerpt + (origin ? `\n${origin}` : "") };
  });
}
