// jacc/tsc: the fixture project (fixtures/projects/tsc) built by ts-patch's tsc (`tspc`)
// with `"plugins": [{ "transform": "jacc/tsc" }]`, as a user builds it; the output run by node.
import { test } from "uvu";
import * as assert from "uvu/assert";
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import jaccTransformer from "jacc/tsc";
import { BAD, checkAppOutput, node, repoRoot, stripAnsi, workspace, type Ran } from "./util/projects.js";

const tspc = path.join(repoRoot, "node_modules", "ts-patch", "bin", "tspc.js");

// The builds are slow (seconds each): they all start now and run at once; the tests await them.
const ws = workspace("tsc");
const built = node([tspc, "-p", ws]);
const bad = node([tspc, "-p", path.join(ws, "bad"), "--pretty", "true"]);

function ok(r: Ran, what: string): void {
  assert.is(r.code, 0, `${what} failed:\n${r.stdout}\n${r.stderr}`);
}

test("tspc builds the fixture project; its output runs and gives SPEC §3's Jacobian and d sin", async () => {
  const r = await built;
  ok(r, "tspc");
  const main = fs.readFileSync(path.join(ws, "dist", "main.js"), "utf8");
  assert.not.ok(main.includes("jacobian(f, [3, 4, 5])") || main.includes("jacrev((x"), "markers remain in the output");
  assert.match(main, /---- jacc: generated derivative code/);
  const run = await node([path.join(ws, "dist", "main.js")]);
  ok(run, "node dist/main.js");
  checkAppOutput(run.stdout);
  console.log(`    tspc build: ${r.ms} ms; dist/main.js ${main.length} bytes`);
});

/** The fixture's modules emitted in memory by TypeScript's API, with `transformers` (no type check: noLib, noResolve). */
function emitInMemory(files: string[], options: ts.CompilerOptions, transformers: (p: ts.Program) => ts.CustomTransformers | undefined): Map<string, string> {
  const program = ts.createProgram(files, { noLib: true, noResolve: true, skipLibCheck: true, ...options });
  const written = new Map<string, string>();
  const r = program.emit(undefined, (f, text) => written.set(path.basename(f), text), undefined, false, transformers(program));
  assert.is(r.emitSkipped, false);
  return written;
}

const esm = { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext };
const srcFiles = ["main.ts", "plain.ts"].map((f) => path.join(ws, "src", f));

test("tsc: CommonJS output (module commonjs, target ES2017) runs too", async () => {
  const out = emitInMemory(srcFiles, { target: ts.ScriptTarget.ES2017, module: ts.ModuleKind.CommonJS }, (p) => ({ before: [jaccTransformer(p)] }));
  const dir = path.join(ws, "dist-cjs");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "package.json"), '{ "type": "commonjs" }\n');
  for (const [f, text] of out) fs.writeFileSync(path.join(dir, f), text);
  assert.match(out.get("main.js")!, /require\("jacc"\)/);
  const run = await node([path.join(dir, "main.js")]);
  ok(run, "node dist-cjs/main.js");
  checkAppOutput(run.stdout);
});

test("tsc: a module without markers is emitted byte for byte as plain tsc emits it", () => {
  const withJacc = emitInMemory(srcFiles, esm, (p) => ({ before: [jaccTransformer(p)] }));
  const without = emitInMemory(srcFiles, esm, () => undefined);
  assert.is(withJacc.get("plain.js"), without.get("plain.js"));
  assert.is.not(withJacc.get("main.js"), without.get("main.js"));
  // the transformer hands back the very SourceFile it was given
  const program = ts.createProgram(srcFiles, { ...esm, noLib: true, noResolve: true });
  const sf = program.getSourceFile(srcFiles[1])!;
  const t = ts.transform(sf, [jaccTransformer(program, {}, { ts })]);
  assert.ok(t.transformed[0] === sf);
  t.dispose();
});

test("tsc: a bad program fails the build with file:line:col as a TypeScript error, and nothing is written for it", async () => {
  const r = await bad;
  assert.is.not(r.code, 0, "the build must fail");
  const out = stripAnsi(r.stdout + r.stderr);
  assert.ok(out.includes(`bad.ts:${BAD.line}:${BAD.col} - error TS9001: jacc(${BAD.code}):`), out);
  assert.match(out, /5\s+const s = `x = \$\{x\}`;\n\s+~{10}\n/, "tsc's code frame underlines the template string");
  assert.not.ok(fs.existsSync(path.join(ws, "bad", "dist", "bad.js")), "bad.js must not be written");
  assert.ok(fs.existsSync(path.join(ws, "bad", "dist", "ok.js")), "the module without errors is still emitted");
});

test("tsc transformer without ts-patch (customTransformers): a module with errors throws its diagnostics", () => {
  const badFile = path.join(ws, "bad", "bad.ts");
  const program = ts.createProgram([badFile], { ...esm, noLib: true, noResolve: true });
  assert.throws(
    () => program.emit(undefined, () => {}, undefined, false, { before: [jaccTransformer(program)] }),
    (e: Error) => e.message.includes(`bad.ts:${BAD.line}:${BAD.col} - error jacc(${BAD.code})`),
  );
});

test.run();
