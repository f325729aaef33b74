// jacc/ts-plugin: a TypeScript language-service plugin, so that editors show jacc's
// diagnostics where tsc and the bundlers would report them.
//
//   tsconfig.json  "compilerOptions": { "plugins": [{ "name": "jacc/ts-plugin" }] }
//   (VS Code: "TypeScript: Select TypeScript Version" → the workspace's version)
//
// tsserver loads plugins with require() and Node10 resolution (no "exports"), so this file
// is CommonJS (dist/plugin/ts-plugin.cjs, reached through ts-plugin/package.json). The
// compiler is an ES module: it is loaded with require(esm), which Node has without a flag
// from 20.19 and 22.12 (recent VS Code runs tsserver on such a Node); where it is missing
// the plugin logs why and leaves the language service as it is.
import type * as ts from "typescript";
import path = require("node:path");
import { unsupportedTypeScript } from "./ts-version.cjs";

type Compiler = typeof import("../compiler/index.js");
type Shared = typeof import("./shared.js");

type JaccDiagnostic = import("../compiler/index.js").Diagnostic;

function init(modules: { typescript: typeof ts }): ts.server.PluginModule {
  const tsi = modules.typescript;
  const unsupported = unsupportedTypeScript("jacc/ts-plugin", tsi.version);
  if (unsupported) throw new Error(unsupported);

  function create(info: ts.server.PluginCreateInfo): ts.LanguageService {
    const log = (msg: string) => info.project.projectService.logger.info(`[jacc/ts-plugin] ${msg}`);
    let compiler: Compiler;
    let shared: Shared;
    try {
      compiler = require("../compiler/index.js") as Compiler;
      shared = require("./shared.js") as Shared;
    } catch (err) {
      log(`disabled: jacc's compiler could not be loaded with require() (Node ${process.versions.node}; require(esm) needs 20.19+ or 22.12+): ${String(err)}`);
      return info.languageService;
    }
    const ls = info.languageService;
    const strategy = (info.config as { strategy?: "reverse-mode" | "forward-mode" }).strategy;
    // one compile per file and program (a program is the state of every file: a marker's function may be imported)
    const cache = new WeakMap<ts.Program, Map<string, ts.Diagnostic[]>>();

    function jaccDiagnostics(fileName: string): ts.Diagnostic[] {
      const program = ls.getProgram();
      const sf = program?.getSourceFile(fileName);
      if (!program || !sf || sf.isDeclarationFile || !shared.SCRIPT_FILE.test(fileName) || !sf.text.includes("jacc")) return [];
      let perFile = cache.get(program);
      if (!perFile) cache.set(program, (perFile = new Map()));
      let out = perFile.get(fileName);
      if (!out) {
        let r;
        try {
          r = compiler.compileModule(sf.text, fileName, { target: shared.targetOf(fileName), strategy });
        } catch (err) {
          log(`compileModule threw on ${fileName}: ${String(err)}`);
          r = { diagnostics: [] };
        }
        out = r.diagnostics.map((d) => toTsDiagnostic(d, sf, shared));
        perFile.set(fileName, out);
      }
      return out;
    }

    // Transforms the language service into one whose semantic diagnostics also hold jacc's.
    const proxy = Object.create(null) as ts.LanguageService;
    for (const k of Object.keys(ls) as (keyof ts.LanguageService)[]) {
      const member = ls[k];
      (proxy as unknown as Record<string, unknown>)[k] = typeof member === "function" ? (...args: unknown[]) => (member as (...a: unknown[]) => unknown).apply(ls, args) : member;
    }
    proxy.getSemanticDiagnostics = (fileName) => {
      const own = ls.getSemanticDiagnostics(fileName);
      const jacc = jaccDiagnostics(fileName);
      return jacc.length ? [...own, ...jacc] : own;
    };
    log("enabled");
    return proxy;
  }

  // Transforms a jacc diagnostic into a TypeScript diagnostic of this file. One found in a module
  // the file imports (a marker's function defined there) is shown at that import, naming the place.
  function toTsDiagnostic(d: JaccDiagnostic, sf: ts.SourceFile, shared: Shared): ts.Diagnostic {
    const here = path.resolve(d.file) === path.resolve(sf.fileName);
    const at = here ? { start: d.start, length: d.length } : importOf(sf, d.file);
    return {
      file: sf,
      start: at.start,
      length: at.length,
      messageText: here ? shared.tsMessageOf(d) : `${shared.tsMessageOf(d)} (at ${d.file}:${d.line}:${d.col})`,
      category: d.severity === "warning" ? tsi.DiagnosticCategory.Warning : tsi.DiagnosticCategory.Error,
      code: shared.tsCodeOf(d.code),
      source: "jacc",
    };
  }

  function importOf(sf: ts.SourceFile, file: string): { start: number; length: number } {
    const stem = (p: string) => p.replace(/\.[cm]?[jt]sx?$/, "");
    for (const st of sf.statements) {
      if (tsi.isImportDeclaration(st) && tsi.isStringLiteral(st.moduleSpecifier) && st.moduleSpecifier.text.startsWith(".")) {
        if (stem(path.resolve(path.dirname(sf.fileName), st.moduleSpecifier.text)) === stem(path.resolve(file))) {
          return { start: st.getStart(sf), length: st.getEnd() - st.getStart(sf) };
        }
      }
    }
    return { start: 0, length: 0 };
  }

  return { create };
}

export = init;
