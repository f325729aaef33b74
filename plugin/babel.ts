// jacc/babel: a Babel plugin.
//
//   babel.config.json   { "plugins": ["jacc/babel"], "presets": ["@babel/preset-typescript"] }
//
// Before any plugin visits the module (Babel's `pre`), a module with markers is replaced by
// the module compileModule writes, parsed with the file's own parser options; TypeScript
// stays TypeScript, so the user's preset strips its types as usual. Options: { strategy }.
import type { BabelFile, ConfigAPI, PluginObj, PluginPass, TransformOptions, types as t } from "@babel/core";
import { compileModule, formatDiagnostic, type CompileResult, type Diagnostic } from "../compiler/index.js";
import { NODE_MODULES, SCRIPT_FILE, targetOf } from "./shared.js";
import { decode } from "@jridgewell/sourcemap-codec";

/** The part of Babel's plugin API this plugin uses (a plugin's `api` is @babel/core itself, plus ConfigAPI). */
export interface BabelAPI extends Partial<ConfigAPI> {
  parseSync(code: string, options?: TransformOptions): t.File | null;
}

export interface JaccBabelOptions {
  /** The strategy of `jacobian` markers that do not set one (default "reverse-mode"). */
  strategy?: "reverse-mode" | "forward-mode";
}

type File = BabelFile & { buildCodeFrameError(node: { loc?: unknown } | null, msg: string): Error };

export default function jaccBabel(api: BabelAPI, options: JaccBabelOptions = {}): PluginObj {
  api.assertVersion?.(7);
  return {
    name: "jacc",
    pre(this: PluginPass, babelFile: BabelFile) {
      const file = babelFile as File;
      const filename = this.filename ?? file.opts.filename ?? "unknown.ts";
      if (!file.code.includes("jacc") || !SCRIPT_FILE.test(filename) || NODE_MODULES.test(filename)) return;
      const r = compileModule(file.code, filename, { target: targetOf(filename), strategy: options.strategy });
      if (r.diagnostics.length) throw diagnosticError(file, filename, r.diagnostics);
      if (!r.changed) return;
      // Transforms the program into the compiled program (the same parser, the same plugins)
      const parsed = api.parseSync(r.code, { filename, babelrc: false, configFile: false, parserOpts: file.opts.parserOpts, sourceType: "module" });
      if (!parsed) throw new Error(`jacc: could not parse the compiled ${filename}`);
      remapLocations(parsed, r.map);
      const program = file.ast.program;
      program.body = parsed.program.body;
      program.directives = parsed.program.directives;
      file.ast.comments = parsed.comments;
      file.path.scope.crawl();
    },
    visitor: {},
  };
}

// Transforms jacc's diagnostics into a Babel code-frame error:
//   /src/app.ts: /src/app.ts:5:9 - error jacc(unsupported-construct): …  followed by Babel's frame
function diagnosticError(file: File, filename: string, diagnostics: Diagnostic[]): Error {
  const [first, ...rest] = diagnostics;
  const headline = formatDiagnostic(first).split("\n")[0];
  const others = rest.map((d) => "\n" + formatDiagnostic(d)).join("");
  let err: Error;
  if (first.file === filename) {
    const loc = { start: { line: first.line, column: first.col - 1 }, end: { line: first.line, column: first.col - 1 + Math.max(1, first.length) } };
    err = file.buildCodeFrameError({ loc }, headline);
    err.message += others;
  } else err = new Error(`${formatDiagnostic(first)}${others}`);
  Object.assign(err, { code: "JACC_COMPILE_ERROR", loc: { line: first.line, column: first.col - 1 }, diagnostics });
  return err;
}

// Source maps: each node of the compiled program that stands for the user's text gets the
// location of that text (compileModule's map is exact there); generated code gets none.
function remapLocations(ast: t.File, map: CompileResult["map"]): void {
  if (!map) return;
  const lines = decode(map.mappings) as number[][][]; // absolute, 0-based: [column, source, line, column, name]
  const at = (line: number, column: number): { line: number; column: number } | undefined => {
    const segs = lines[line - 1];
    if (!segs) return undefined;
    let lo = 0, hi = segs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = segs[mid];
      if (s[0] === column) return s.length >= 4 ? { line: s[2] + 1, column: s[3] } : undefined;
      if (s[0] < column) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  };
  const seen = new Set<object>();
  const visit = (node: unknown): void => {
    if (!node || typeof node !== "object" || seen.has(node)) return;
    seen.add(node);
    if (Array.isArray(node)) return node.forEach(visit);
    const n = node as { type?: string; loc?: t.SourceLocation | null };
    if (typeof n.type === "string" && n.loc) {
      const start = at(n.loc.start.line, n.loc.start.column);
      if (!start) n.loc = null;
      else {
        const end = at(n.loc.end.line, n.loc.end.column) ?? (n.loc.end.line === n.loc.start.line ? { line: start.line, column: start.column + n.loc.end.column - n.loc.start.column } : start);
        n.loc = { ...n.loc, start: { ...n.loc.start, ...start }, end: { ...n.loc.end, ...end } };
      }
    }
    for (const key of Object.keys(node)) if (key !== "loc") visit((node as Record<string, unknown>)[key]); // comments too: Babel maps them
  };
  visit(ast.program);
  visit(ast.comments);
}
