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
// The fixture's tsconfig has no isolatedModules (so tsc's transforms ask its checker about the
// emitted nodes) and has declaration on; tsconfig.cjs.json is the same project as CommonJS.
const ws = workspace("tsc");
// (one after another: concurrent tspc runs contend for ts-patch's lock on its cache of patched TypeScript)
const built = node([tspc, "-p", ws]);
const builtCjs = built.then(() => node([tspc, "-p", path.join(ws, "tsconfig.cjs.json")]));
const bad = builtCjs.then(() => node([tspc, "-p", path.join(ws, "bad"), "--pretty", "true"]));

function ok(r: Ran, what: string): void {
  assert.is(r.code, 0, `${what} failed:\n${r.stdout}\n${r.stderr}`);
}

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
const closeAll = (a: number[], b: number[], what: string) => {
  assert.is(a.length, b.length, what);
  a.forEach((v, i) => close(v, b[i], `${what}[${i}]`));
};

/** src/readme.ts (the README's first example) printed its derivatives: checked against the closed forms. */
function checkReadme(stdout: string): void {
  const out = JSON.parse(stdout.trim().split("\n").pop()!) as { dx: number[]; dy: number[]; J: number[][]; g: number[]; H: number[][]; E: number[] };
  const q = [0.1, 0.2, 0.3], L = [1, 0.5, 0.25];
  const th = q.map((_, i) => q.slice(0, i + 1).reduce((s, t) => s + t, 0));
  const tail = (h: (t: number) => number) => q.map((_, j) => L.reduce((s, l, i) => (i >= j ? s + l * h(th[i]) : s), 0));
  closeAll(out.dx, tail((t) => -Math.sin(t)), "d arm_x / dq");
  closeAll(out.dy, tail(Math.cos), "d arm_y / dq");
  assert.equal(out.J, [[1, 1, 0], [5, 0, 3], [0, 48, 0]]);
  const x = [1.2, 1, -0.5, 0.3];
  const gPair = (a: number, b: number) => [-400 * a * (b - a * a) - 2 * (1 - a), 200 * (b - a * a)];
  closeAll(out.g, [...gPair(x[0], x[1]), ...gPair(x[2], x[3])], "grad rosen");
  const hPair = (a: number, b: number) => [[1200 * a * a - 400 * b + 2, -400 * a], [-400 * a, 200]];
  const [h0, h1] = [hPair(x[0], x[1]), hPair(x[2], x[3])];
  const H = [[...h0[0], 0, 0], [...h0[1], 0, 0], [0, 0, ...h1[0]], [0, 0, ...h1[1]]];
  H.forEach((row, i) => closeAll(out.H[i], row, `hessian rosen[${i}]`));
  assert.equal(out.E, [2, 2, 2]);
}

/** src/access.ts (issue 18's repro: `[1, 2].map(…).length`, `id({ a: 3 }).a` beside a marker). */
function checkAccess(stdout: string): void {
  assert.equal(JSON.parse(stdout.trim().split("\n").pop()!), { v: 2, a: 3, d: 4 });
}

/** Runs each module the build wrote to `dir` and checks its output; `dir`'s declarations were written too. */
async function checkBuild(dir: string): Promise<void> {
  const main = fs.readFileSync(path.join(dir, "main.js"), "utf8");
  assert.not.ok(main.includes("jacobian(f, [3, 4, 5])") || main.includes("jacrev((x"), "markers remain in the output");
  assert.match(main, /---- jacc: generated derivative code/);
  const run = (f: string) => node([path.join(dir, f)]).then((r) => (ok(r, `node ${f}`), r.stdout));
  checkAppOutput(await run("main.js"));
  checkReadme(await run("readme.js"));
  checkAccess(await run("access.js"));
  // declarations come from the module as written (the markers' declared types)
  assert.match(fs.readFileSync(path.join(dir, "readme.d.ts"), "utf8"), /export declare const J: number\[\]\[\];/);
  assert.match(fs.readFileSync(path.join(dir, "access.d.ts"), "utf8"), /export declare const d: number;/);
}

test("tspc builds the fixture project (ES modules, declarations, no isolatedModules); its output runs and gives the right derivatives", async () => {
  const r = await built;
  ok(r, "tspc");
  await checkBuild(path.join(ws, "dist"));
  console.log(`    tspc build: ${r.ms} ms`);
});

test("tspc builds the fixture project as CommonJS (tsconfig.cjs.json); its output runs too", async () => {
  ok(await builtCjs, "tspc -p tsconfig.cjs.json");
  const dir = path.join(ws, "dist-cjs");
  fs.writeFileSync(path.join(dir, "package.json"), '{ "type": "commonjs" }\n');
  assert.match(fs.readFileSync(path.join(dir, "readme.js"), "utf8"), /require\("jacc"\)/);
  await checkBuild(dir);
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

test("tsc: under TypeScript 7 (no transformer API) the transformer says what to do, in one line", () => {
  const program = ts.createProgram([srcFiles[1]], { ...esm, noLib: true, noResolve: true });
  const ts7 = { ...ts, version: "7.0.0" } as typeof ts;
  assert.throws(
    () => jaccTransformer(program, {}, { ts: ts7 }),
    (e: Error) => e.message === "jacc/tsc: TypeScript 7.0.0 has no transformer API; install TypeScript 5 (npm i -D typescript@5 ts-patch), or build with a bundler plugin or the jacc CLI.",
  );
  assert.not.throws(() => jaccTransformer(program, {}, { ts: { ...ts, version: "5.9.3" } as typeof ts }));
});

test.run();
