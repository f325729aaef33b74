// Every integration calls the same compileModule (SPEC §6): for the same input they give the
// same generated code, and for a bad program the same diagnostic at the same file:line:col.
import { test } from "uvu";
import * as assert from "uvu/assert";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { createRequire } from "node:module";
import ts from "typescript";
import { transformAsync } from "@babel/core";
import { compileModule } from "jacc/compiler";
import jaccTransformer from "jacc/tsc";
import jaccBabel from "jacc/babel";
import { transformJacc, type JaccBuildError } from "jacc/vite";
import { load } from "../plugin/node-hooks.js";
import { BAD, projects, stripAnsi, workspace } from "./util/projects.js";

const require = createRequire(import.meta.url);
const ws = workspace("tsc");
const main = path.join(ws, "src", "main.ts");
const src = fs.readFileSync(main, "utf8");
const bad = path.join(ws, "bad", "bad.ts");
const esm: ts.CompilerOptions = { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, noLib: true, noResolve: true };

/** JavaScript printed by TypeScript's printer without comments: equal text means the same program. */
const normalize = (js: string) => ts.createPrinter({ removeComments: true }).printFile(ts.createSourceFile("x.js", js, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS));
const strip = (code: string) => ts.transpileModule(code, { fileName: main, compilerOptions: esm }).outputText;

test("the fixture projects hold the same module with markers", () => {
  for (const tool of ["vite", "babel", "ts-plugin"]) assert.is(fs.readFileSync(path.join(projects, tool, "src", "main.ts"), "utf8"), src, tool);
});

test("all integrations give the same generated code for the same input", async () => {
  const ref = compileModule(src, main, { target: "ts" });
  assert.is(ref.diagnostics.length, 0);

  // Vite / Rollup / esbuild / webpack: the transform hook returns compileModule's text itself
  assert.is(transformJacc(src, main)!.code, ref.code);

  // Babel: the program it builds is the compiled module's, types and all (printed compactly by Babel's generator:
  // its line breaks and comment placement follow source locations, which the plugin points back at the user's text)
  const parserOpts = { plugins: ["typescript" as const] };
  const print = { compact: true, comments: false };
  const viaBabel = await transformAsync(src, { filename: main, configFile: false, babelrc: false, parserOpts, generatorOpts: print, plugins: [jaccBabel] });
  const refBabel = await transformAsync(ref.code, { filename: main, configFile: false, babelrc: false, parserOpts, generatorOpts: print });
  assert.match(viaBabel!.code!, "x1:number");
  assert.is(viaBabel!.code, refBabel!.code);

  // tsc: what it emits is the compiled module with its types stripped, byte for byte
  const program = ts.createProgram([main], esm);
  let emitted = "";
  program.emit(undefined, (f, text) => f.endsWith("main.js") && (emitted = text), undefined, false, { before: [jaccTransformer(program, {}, { ts })] });
  assert.is(emitted, strip(ref.code));

  // Node's loader (jacc/register) compiles with target "js": the same program once types are stripped
  const loaded = await load(pathToFileURL(main).href, {}, () => Promise.reject(new Error("next")));
  assert.is(normalize(String(loaded.source)), normalize(strip(ref.code)));
});

test("all integrations report the same diagnostic at the same file:line:col", async () => {
  const where = `${bad}:${BAD.line}:${BAD.col}`;
  const badText = fs.readFileSync(bad, "utf8");
  const ref = compileModule(badText, bad, { target: "ts" }).diagnostics;
  assert.is(ref.length, 1);
  assert.is(`${ref[0].file}:${ref[0].line}:${ref[0].col}`, where);

  // tsc (ts-patch's addDiagnostic)
  const program = ts.createProgram([bad], esm);
  const tsDiags: ts.Diagnostic[] = [];
  jaccTransformer(program, {}, { ts, addDiagnostic: (d) => tsDiags.push(d) });
  assert.is(tsDiags.length, 1);
  const p = tsDiags[0].file!.getLineAndCharacterOfPosition(tsDiags[0].start!);
  assert.is(`${tsDiags[0].file!.fileName}:${p.line + 1}:${p.character + 1}`, where);
  assert.is(tsDiags[0].messageText, `jacc(${ref[0].code}): ${ref[0].message}`);

  // Vite
  let viteErr: JaccBuildError | undefined;
  try {
    transformJacc(badText, bad);
  } catch (e) {
    viteErr = e as JaccBuildError;
  }
  assert.is(`${viteErr!.loc.file}:${viteErr!.loc.line}:${viteErr!.loc.column}`, where);
  assert.is(viteErr!.frame, ref[0].frame);

  // Babel
  const babelErr = await transformAsync(badText, { filename: bad, configFile: false, babelrc: false, parserOpts: { plugins: ["typescript"] }, plugins: [jaccBabel] }).then(
    () => undefined,
    (e: Error) => e,
  );
  assert.match(stripAnsi(babelErr!.message), `${where} - error jacc(${BAD.code}): ${ref[0].message}`);

  // Node's loader
  const loaderErr = await load(pathToFileURL(bad).href, {}, () => Promise.reject(new Error("next"))).then(
    () => undefined,
    (e: Error) => e,
  );
  assert.match(loaderErr!.message, `${where} - error jacc(${BAD.code}): ${ref[0].message}`);

  // the language-service plugin
  const init = require("jacc/ts-plugin") as (m: { typescript: typeof ts }) => ts.server.PluginModule;
  const host: ts.LanguageServiceHost = {
    getScriptFileNames: () => [bad],
    getScriptVersion: () => "1",
    getScriptSnapshot: (f) => (fs.existsSync(f) ? ts.ScriptSnapshot.fromString(fs.readFileSync(f, "utf8")) : undefined),
    getCurrentDirectory: () => ws,
    getCompilationSettings: () => esm,
    getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
    fileExists: ts.sys.fileExists,
    readFile: ts.sys.readFile,
  };
  const info = { config: {}, languageService: ts.createLanguageService(host), languageServiceHost: host, project: { projectService: { logger: { info() {} } } } };
  const ls = init({ typescript: ts }).create(info as unknown as ts.server.PluginCreateInfo);
  const d = ls.getSemanticDiagnostics(bad).filter((x) => x.source === "jacc");
  assert.is(d.length, 1);
  assert.is(d[0].start, tsDiags[0].start);
  assert.is(d[0].length, tsDiags[0].length);
  assert.is(d[0].code, tsDiags[0].code);
});

test.run();
