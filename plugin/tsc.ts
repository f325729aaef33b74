// jacc/tsc: a TypeScript transformer for `tsc` through ts-patch.
//
//   tsconfig.json  "compilerOptions": { "plugins": [{ "transform": "jacc/tsc" }] }
//   then build with `tspc` (ts-patch's tsc), or `ts-patch install` once and keep `tsc`.
//
// tsc type-checks the user's module as written (the markers' declared types),
// then emits; at emit this transformer swaps each module that has markers for
// the module compileModule writes. Options: { "strategy": "forward-mode" }.
import ts from "typescript";
import fs from "node:fs";
import { compileModule, formatDiagnostic, type CompileResult, type Diagnostic } from "../compiler/index.js";
import { unsupportedTypeScript } from "./ts-version.cjs";
import { NODE_MODULES, SCRIPT_FILE, targetOf, tsCodeOf, tsMessageOf } from "./shared.js";

type TS = typeof ts;

/** What ts-patch passes as a source transformer's third argument (ts-patch's TransformerExtras). */
export interface TransformerExtras {
  ts?: TS;
  addDiagnostic?: (diagnostic: ts.Diagnostic) => number;
  library?: string;
}

export interface JaccTscConfig {
  strategy?: "reverse-mode" | "forward-mode";
}

type Emit = ts.Program["emit"];

/** compileModule's result for every module of a program (only those with markers are kept). */
const compiled = new WeakMap<ts.Program, Map<string, CompileResult>>();
const reported = new WeakSet<ts.Program>();
const heldBack = new WeakSet<ts.Program>();

/**
 * ts-patch's source-transformer entry point: `(program, config, extras) => TransformerFactory`.
 * Also usable without ts-patch: `program.emit(undefined, undefined, undefined, false, { before: [jacc(program)] })`
 * (a module with errors then throws, its diagnostics formatted).
 */
export default function jaccTransformer(program: ts.Program, config: JaccTscConfig = {}, extras: TransformerExtras = {}): ts.TransformerFactory<ts.SourceFile> {
  const tsi = extras.ts ?? ts;
  const unsupported = unsupportedTypeScript("jacc/tsc", tsi.version);
  if (unsupported) throw new Error(unsupported);
  const results = compileProgram(program, config);

  const bad = new Set<string>();
  for (const [file, r] of results) if (r.diagnostics.length) bad.add(file);
  if (bad.size && extras.addDiagnostic && !reported.has(program)) {
    reported.add(program);
    for (const file of bad) for (const d of results.get(file)!.diagnostics) extras.addDiagnostic(toTsDiagnostic(tsi, program, d));
  }
  if (bad.size) holdBack(program, bad);

  return () => (sf) => {
    const r = results.get(sf.fileName);
    if (!r) return sf;
    if (r.diagnostics.length) {
      if (extras.addDiagnostic) return sf; // reported above; ts-patch's emit writes nothing for it
      throw new Error(`jacc: ${r.diagnostics.length} error(s) compiling ${sf.fileName}\n${r.diagnostics.map(formatDiagnostic).join("\n")}`);
    }
    return emittedSourceFile(tsi, program.getCompilerOptions(), sf, r.code);
  };
}

function compileProgram(program: ts.Program, config: JaccTscConfig): Map<string, CompileResult> {
  let results = compiled.get(program);
  if (results) return results;
  results = new Map();
  for (const sf of program.getSourceFiles()) {
    if (sf.isDeclarationFile || program.isSourceFileFromExternalLibrary(sf) || NODE_MODULES.test(sf.fileName)) continue;
    if (!SCRIPT_FILE.test(sf.fileName)) continue;
    const r = compileModule(sf.text, sf.fileName, { target: targetOf(sf.fileName), strategy: config.strategy });
    if (r.changed) results.set(sf.fileName, r);
  }
  compiled.set(program, results);
  return results;
}

// Transforms a jacc diagnostic into a TypeScript diagnostic at the same place:
//   file.ts:5:9 - error TS9001: jacc(unsupported-construct): …
function toTsDiagnostic(tsi: TS, program: ts.Program, d: Diagnostic): ts.Diagnostic {
  let file = program.getSourceFile(d.file);
  if (!file && fs.existsSync(d.file)) file = tsi.createSourceFile(d.file, fs.readFileSync(d.file, "utf8"), tsi.ScriptTarget.Latest, true);
  return {
    file,
    start: file ? d.start : undefined,
    length: file ? d.length : undefined,
    category: d.severity === "warning" ? tsi.DiagnosticCategory.Warning : tsi.DiagnosticCategory.Error,
    code: tsCodeOf(d.code),
    messageText: file ? tsMessageOf(d) : `${d.file}:${d.line}:${d.col}: ${tsMessageOf(d)}`,
    source: "jacc",
  };
}

// Transforms the compiled module (TypeScript, markers replaced) into the SourceFile tsc emits:
// transpiled on its own with the program's options, so that import elision, module format and
// downlevelling see the generated code too (tsc's checker only knows the user's text), then
// parsed as JavaScript, which tsc's later transforms leave as it is.
function emittedSourceFile(tsi: TS, options: ts.CompilerOptions, sf: ts.SourceFile, code: string): ts.SourceFile {
  const out = tsi.transpileModule(code, { fileName: sf.fileName, compilerOptions: transpileOptions(tsi, options, sf), reportDiagnostics: false });
  const kind = /x$/.test(sf.fileName) ? tsi.ScriptKind.JSX : tsi.ScriptKind.JS;
  const parsed = tsi.createSourceFile(sf.fileName, out.outputText, { languageVersion: sf.languageVersion, impliedNodeFormat: sf.impliedNodeFormat }, true, kind);
  markSynthesized(tsi, parsed);
  return parsed;
}

// Marks every node of the freshly parsed module as synthesized. tsc's later transforms ask the
// program's checker about the parse-tree nodes they see (const-enum inlining of `a.b`, import
// elision, CommonJS export rewriting); the checker never bound these nodes and crashes on them
// (`reading 'flags'` on `[1, 2].map((t) => t).length`). For a synthesized node with no original
// the checker's emit resolver answers "nothing known" (no constant, alias kept), which is what
// already-transpiled JavaScript needs. The nodes keep their positions, so the printer still
// copies literals and comments from the parsed text.
function markSynthesized(tsi: TS, sf: ts.SourceFile): void {
  const visit = (node: ts.Node): void => {
    (node as { flags: ts.NodeFlags }).flags |= tsi.NodeFlags.Synthesized;
    tsi.forEachChild(node, visit);
  };
  tsi.forEachChild(sf, visit);
}

function transpileOptions(tsi: TS, options: ts.CompilerOptions, sf: ts.SourceFile): ts.CompilerOptions {
  const o: ts.CompilerOptions = { ...options, plugins: [], noEmit: false, noEmitOnError: false };
  for (const k of ["declaration", "declarationMap", "emitDeclarationOnly", "sourceMap", "inlineSourceMap", "inlineSources", "outFile", "composite", "incremental", "tsBuildInfoFile"] as const) delete o[k];
  // transpileModule cannot read package.json: the program already knows this file's module format
  const m = options.module ?? 0;
  if (m >= tsi.ModuleKind.Node16 && m <= tsi.ModuleKind.NodeNext) {
    o.module = sf.impliedNodeFormat === tsi.ModuleKind.ESNext ? tsi.ModuleKind.ESNext : tsi.ModuleKind.CommonJS;
    delete o.moduleResolution;
  }
  return o;
}

// Holds back the emit of modules that failed: ts-patch's emit (program.originalEmit) runs per
// file, skipping them, so tsc reports the diagnostics, exits non-zero and writes nothing for them.
function holdBack(program: ts.Program, bad: Set<string>): void {
  const p = program as ts.Program & { originalEmit?: Emit };
  const emit = p.originalEmit;
  if (!emit || heldBack.has(program)) return;
  heldBack.add(program);
  p.originalEmit = (target, writeFile, token, dtsOnly, transformers, ...rest: unknown[]) => {
    const run = (sf: ts.SourceFile) => (emit as (...a: unknown[]) => ts.EmitResult)(sf, writeFile, token, dtsOnly, transformers, ...rest);
    if (target) return bad.has(target.fileName) ? { emitSkipped: true, diagnostics: [] } : run(target);
    if (program.getCompilerOptions().outFile) return { emitSkipped: true, diagnostics: [] }; // one bundle: nothing to write
    const results = program.getSourceFiles().filter((sf) => !sf.isDeclarationFile && !bad.has(sf.fileName)).map(run);
    return {
      emitSkipped: true,
      diagnostics: results.flatMap((r) => r.diagnostics),
      emittedFiles: results.some((r) => r.emittedFiles) ? results.flatMap((r) => r.emittedFiles ?? []) : undefined,
    };
  };
}
