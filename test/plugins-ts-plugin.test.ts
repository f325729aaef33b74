// jacc/ts-plugin: the language-service plugin on the fixture project (fixtures/projects/ts-plugin,
// `"plugins": [{ "name": "jacc/ts-plugin" }]`): through TypeScript's LanguageService API, and
// loaded by a real tsserver the way an editor loads it.
import { test } from "uvu";
import * as assert from "uvu/assert";
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { spawn } from "node:child_process";
import ts from "typescript";
import { compileModule } from "jacc/compiler";
import { BAD, repoRoot, workspace } from "./util/projects.js";

const require = createRequire(import.meta.url);
const ws = workspace("ts-plugin");
const file = (f: string) => path.join(ws, "src", f);

/** A LanguageService over the fixture project whose files can be edited in memory. */
function languageService() {
  const cfg = ts.getParsedCommandLineOfConfigFile(path.join(ws, "tsconfig.json"), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => assert.unreachable(String(d.messageText)) })!;
  const texts = new Map<string, { text: string; version: number }>();
  const host: ts.LanguageServiceHost = {
    getScriptFileNames: () => cfg.fileNames,
    getScriptVersion: (f) => String(texts.get(f)?.version ?? 0),
    getScriptSnapshot: (f) => {
      const text = texts.get(f)?.text ?? ts.sys.readFile(f);
      return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
    },
    getCurrentDirectory: () => ws,
    getCompilationSettings: () => cfg.options,
    getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
    fileExists: ts.sys.fileExists,
    readFile: ts.sys.readFile,
    readDirectory: ts.sys.readDirectory,
    directoryExists: ts.sys.directoryExists,
    getDirectories: ts.sys.getDirectories,
  };
  const plain = ts.createLanguageService(host, ts.createDocumentRegistry());
  const logs: string[] = [];
  const info = {
    config: (cfg.options.plugins as { name: string }[])[0],
    languageService: plain,
    languageServiceHost: host,
    project: { projectService: { logger: { info: (m: string) => logs.push(m) } } },
    serverHost: ts.sys,
  } as unknown as ts.server.PluginCreateInfo;
  // loaded as tsserver loads it: require() of the CommonJS build
  const init = require("jacc/ts-plugin") as (m: { typescript: typeof ts }) => ts.server.PluginModule;
  const ls = init({ typescript: ts }).create(info);
  const edit = (f: string, text: string) => texts.set(f, { text, version: (texts.get(f)?.version ?? 0) + 1 });
  return { ls, plain, logs, edit };
}

const at = (d: ts.Diagnostic) => {
  const p = d.file!.getLineAndCharacterOfPosition(d.start!);
  return `${p.line + 1}:${p.character + 1}`;
};

test("ts-plugin: the bad module gets jacc's diagnostic at its file:line:col, as a TypeScript error 9001", () => {
  const { ls, logs } = languageService();
  assert.ok(logs.some((l) => l.includes("enabled")), logs.join("\n"));
  const ds = ls.getSemanticDiagnostics(file("bad.ts"));
  assert.is(ds.length, 1, ds.map((d) => d.messageText).join("\n"));
  const d = ds[0];
  assert.is(at(d), `${BAD.line}:${BAD.col}`);
  assert.is(d.code, 9001);
  assert.is(d.category, ts.DiagnosticCategory.Error);
  assert.is(d.source, "jacc");
  assert.match(String(d.messageText), `jacc(${BAD.code}): `);
  const text = fs.readFileSync(file("bad.ts"), "utf8");
  assert.is(text.slice(d.start!, d.start! + d.length!), "`x = ${x}`");
  // the same place and message as compileModule's
  const ref = compileModule(text, file("bad.ts"), { target: "ts" }).diagnostics[0];
  assert.is(d.start, ref.start);
  assert.is(d.length, ref.length);
  assert.is(d.messageText, `jacc(${ref.code}): ${ref.message}`);
});

test("ts-plugin: modules that compile (with or without markers) get exactly the language service's own diagnostics", () => {
  const { ls, plain } = languageService();
  for (const f of ["main.ts", "plain.ts"]) {
    const mine = ls.getSemanticDiagnostics(file(f));
    assert.equal(mine, plain.getSemanticDiagnostics(file(f)), f);
    assert.is(mine.length, 0, `${f}: ${mine.map((d) => d.messageText).join("\n")}`);
  }
  // and every other service passes through
  const main = fs.readFileSync(file("main.ts"), "utf8");
  const qi = ls.getQuickInfoAtPosition(file("main.ts"), main.indexOf("dsin ="));
  assert.match(ts.displayPartsToString(qi!.displayParts), "const dsin");
});

test("ts-plugin: diagnostics follow edits (a new version of the file is compiled again)", () => {
  const { ls, edit } = languageService();
  assert.is(ls.getSemanticDiagnostics(file("bad.ts")).length, 1);
  const fixed = fs.readFileSync(file("bad.ts"), "utf8").replace("const s = `x = ${x}`;\n  return s.length * x;", "return x * x;");
  edit(file("bad.ts"), fixed);
  assert.equal(ls.getSemanticDiagnostics(file("bad.ts")), []);
  const broken = fs.readFileSync(file("main.ts"), "utf8").replace("x.sin()", "x.sin().toString()");
  edit(file("main.ts"), broken);
  const ds = ls.getSemanticDiagnostics(file("main.ts")).filter((d) => d.source === "jacc");
  const ref = compileModule(broken, file("main.ts"), { target: "ts" }).diagnostics;
  assert.is(ds.length, 1);
  assert.is(ref.length, 1);
  assert.is(at(ds[0]), `${ref[0].line}:${ref[0].col}`);
  assert.is(ref[0].line, 10);
});

test("ts-plugin: a real tsserver loads it from node_modules/jacc (Node10 resolution, require) and reports the diagnostic", async () => {
  const tsserver = path.join(repoRoot, "node_modules", "typescript", "lib", "tsserver.js");
  const bad = file("bad.ts");
  const p = spawn(process.execPath, [tsserver, "--pluginProbeLocations", ws, "--disableAutomaticTypingAcquisition"], { stdio: ["pipe", "pipe", "ignore"] });
  const body = await new Promise<unknown>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("tsserver did not answer in 60 s")), 60_000);
    let buf = "";
    p.stdout.on("data", (d) => {
      buf += d;
      for (const line of buf.split("\n")) {
        if (!line.startsWith("{")) continue;
        const msg = JSON.parse(line);
        if (msg.type === "response" && msg.command === "semanticDiagnosticsSync") {
          clearTimeout(timer);
          resolve(msg.body);
        }
      }
    });
    const send = (o: object) => p.stdin.write(JSON.stringify(o) + "\n");
    send({ seq: 1, type: "request", command: "open", arguments: { file: bad } });
    send({ seq: 2, type: "request", command: "semanticDiagnosticsSync", arguments: { file: bad } });
  }).finally(() => p.kill());
  const ds = body as { start: { line: number; offset: number }; code: number; text: string; source?: string }[];
  assert.is(ds.length, 1, JSON.stringify(ds));
  assert.equal(ds[0].start, { line: BAD.line, offset: BAD.col });
  assert.is(ds[0].code, 9001);
  assert.match(ds[0].text, `jacc(${BAD.code})`);
});

test("ts-plugin: under TypeScript 7 (no language-service plugins) it says what to do, in one line", () => {
  const init = require("jacc/ts-plugin") as (m: { typescript: typeof ts }) => ts.server.PluginModule;
  assert.throws(
    () => init({ typescript: { ...ts, version: "7.0.0" } as typeof ts }),
    (e: Error) => e.message === "jacc/ts-plugin: TypeScript 7.0.0 has no language-service plugins; select the workspace's TypeScript 5 (npm i -D typescript@5).",
  );
  assert.type(init({ typescript: ts }).create, "function");
});

test.run();
