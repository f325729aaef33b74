// jacc/vite: the fixture project (fixtures/projects/vite, its vite.config.ts with `plugins: [jacc()]`)
// built with Vite's build(), served by Vite's dev server, and bundled by esbuild through jaccEsbuild.
import { test } from "uvu";
import * as assert from "uvu/assert";
import fs from "node:fs";
import path from "node:path";
import { build, createServer } from "vite";
import * as esbuild from "esbuild";
import jacc, { jaccEsbuild, transformJacc, type JaccBuildError } from "jacc/vite";
import { compileModule } from "jacc/compiler";
import { decode } from "@jridgewell/sourcemap-codec";
import { BAD, checkAppOutput, lineOf, node, stripAnsi, workspace } from "./util/projects.js";

const ws = workspace("vite");
const configFile = path.join(ws, "vite.config.ts");
const mainTs = path.join(ws, "src", "main.ts");

/**
 * `p`, or a failure naming `what` after `ms`: a Vite or esbuild call that never settles (seen under
 * heavy load: a promise left waiting with no timer, for 20–30 minutes) fails its test instead of
 * hanging the suite, and test/run.mjs runs the file once more.
 */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not settle in ${ms / 1000} s`)), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

test("vite build: the fixture's library build runs and gives SPEC §3's Jacobian and d sin", async () => {
  const t0 = Date.now();
  await within(build({ root: ws, configFile, logLevel: "silent" }), 180_000, "vite build()");
  const ms = Date.now() - t0;
  const out = path.join(ws, "dist", "main.js");
  const run = await node([out]);
  assert.is(run.code, 0, run.stderr);
  checkAppOutput(run.stdout);
  console.log(`    vite build: ${ms} ms; dist/main.js ${fs.statSync(out).size} bytes (the runtime bundled)`);
});

test("vite build: the source map leads the user's code back to its line in src/main.ts", () => {
  const code = fs.readFileSync(path.join(ws, "dist", "main.js"), "utf8");
  const map = JSON.parse(fs.readFileSync(path.join(ws, "dist", "main.js.map"), "utf8")) as { sources: string[]; mappings: string };
  const src = fs.readFileSync(mainTs, "utf8");
  const needle = "JSON.stringify({ J, D: D.toArray()";
  const genLine = lineOf(code, needle);
  const seg = (decode(map.mappings) as number[][][])[genLine - 1].find((s) => s.length >= 4 && map.sources[s[1]].endsWith("src/main.ts"));
  assert.ok(seg, "the line maps to src/main.ts");
  assert.is(seg![2] + 1, lineOf(src, needle));
});

test("vite: a module without markers passes through (the transform returns null: Vite keeps its text and map)", () => {
  const plain = fs.readFileSync(path.join(ws, "src", "plain.ts"), "utf8");
  assert.is(transformJacc(plain, path.join(ws, "src", "plain.ts")), null);
  // also when it mentions jacc without importing a marker, and for ids the plugin skips
  assert.is(transformJacc(`// uses jacc's runtime only\nimport { tensor } from "jacc";\nexport const t = tensor([1]);\n`, path.join(ws, "src", "t.ts")), null);
  const src = fs.readFileSync(mainTs, "utf8");
  assert.is(transformJacc(src, "\0virtual:main.ts"), null);
  assert.is(transformJacc(src, path.join(ws, "node_modules", "x", "main.ts")), null);
  assert.is(transformJacc(src, path.join(ws, "src", "main.css")), null);
  // the plugin's own hook, as Vite calls it
  const plugin = jacc();
  const hook = plugin.transform as { handler: (code: string, id: string) => unknown };
  assert.ok(hook.handler.call({}, plain, path.join(ws, "src", "plain.ts")) == null);
  assert.is(plugin.enforce, "pre");
});

test("vite build: a bad program fails the build; the error carries id, loc and frame; nothing is written", async () => {
  const outDir = path.join(ws, "dist-bad");
  let err: JaccBuildError | undefined;
  try {
    await within(build({ root: ws, configFile, logLevel: "silent", build: { outDir, lib: { entry: "bad/bad.ts", formats: ["es"], fileName: "bad" } } }), 180_000, "vite build() of a bad program");
  } catch (e) {
    err = e as JaccBuildError;
  }
  assert.ok(err, "the build must fail");
  const badTs = path.join(ws, "bad", "bad.ts");
  assert.is(err!.id, badTs);
  assert.equal(err!.loc, { file: badTs, line: BAD.line, column: BAD.col });
  assert.match(err!.frame, /> 5 \|\s+const s = `x = \$\{x\}`;/);
  assert.match(err!.frame, /\^{10}/);
  const message = stripAnsi(err!.message);
  assert.match(message, `${badTs}:${BAD.line}:${BAD.col} - error jacc(${BAD.code})`);
  assert.match(message, "[jacc]"); // Vite's format: the plugin, the message, then file:line:col and the frame
  assert.match(message, `file: ${badTs}:${BAD.line}:${BAD.col}`);
  assert.not.ok(fs.existsSync(outDir), "nothing is written");
});

test("vite dev server: serves the compiled module, and recompiles it when the module its marker reaches changes", async () => {
  // (no dependency pre-bundling: the test reads jacc's transform, and under load the optimizer's scan
  // left a transformRequest waiting with no timer, for 20–30 minutes)
  const server = await within(createServer({ root: ws, configFile, logLevel: "silent", server: { middlewareMode: true, ws: false }, optimizeDeps: { noDiscovery: true, include: [] } }), 120_000, "vite createServer()");
  const transform = (url: string) => within(server.transformRequest(url), 120_000, `vite transformRequest(${url})`);
  try {
    const main = await transform("/src/main.ts");
    assert.ok(main, "transformRequest");
    // every function jacc generated is there (esbuild drops the comments), the markers are not
    const compiled = transformJacc(fs.readFileSync(mainTs, "utf8"), mainTs)!.code;
    const generated = [...compiled.slice(compiled.indexOf("---- jacc: generated")).matchAll(/^function (\w+)\(/gm)].map((m) => m[1]);
    assert.ok(generated.length >= 2, `generated functions: ${generated}`);
    for (const f of generated) assert.match(main!.code, `function ${f}(`);
    assert.not.match(main!.code, "jacobian(f, [3, 4, 5])");
    assert.not.match(main!.code, ": number"); // Vite's esbuild stripped the types after jacc
    // the source map chain (jacc's map, then esbuild's) leads back to the user's line
    const needle = "JSON.stringify({ J, D: D.toArray()";
    const devMap = main!.map as { sources: string[]; mappings: string };
    const seg = (decode(devMap.mappings) as number[][][])[lineOf(main!.code, needle) - 1]?.find((s) => s.length >= 4 && devMap.sources[s[1]].endsWith("main.ts"));
    assert.ok(seg, "the dev server's map leads the line to src/main.ts");
    assert.is(seg![2] + 1, lineOf(fs.readFileSync(mainTs, "utf8"), needle));
    const before = (await transform("/src/hot.ts"))!.code;
    await transform("/src/cube.ts");
    fs.writeFileSync(path.join(ws, "src", "cube.ts"), "export const cube = (x: number): number => x ** 3 + Math.sin(x);\n");
    let after = before;
    for (let i = 0; i < 100 && after === before; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = (await transform("/src/hot.ts"))!.code;
    }
    assert.is.not(after, before, "hot.ts was recompiled");
    assert.match(after, /Math\.cos|\bcos\(/);
  } finally {
    await Promise.race([server.close(), new Promise((r) => setTimeout(r, 5000))]);
  }
});

test("jaccEsbuild: esbuild bundles the fixture through the same plugin", async () => {
  const outfile = path.join(ws, "dist-esbuild", "main.js");
  await within(esbuild.build({ entryPoints: [mainTs], bundle: true, platform: "node", format: "esm", outfile, plugins: [jaccEsbuild()], logLevel: "silent" }), 180_000, "esbuild.build()");
  const run = await node([outfile]);
  assert.is(run.code, 0, run.stderr);
  checkAppOutput(run.stdout);
});

test("vite: the transform returns compileModule's own code and map (target ts)", () => {
  const src = fs.readFileSync(mainTs, "utf8");
  const out = transformJacc(src, mainTs)!;
  const ref = compileModule(src, mainTs, { target: "ts" });
  assert.is(out.code, ref.code);
  assert.is(out.map.mappings, ref.map!.mappings);
});

// a call that did not settle may leave Vite's watcher or esbuild's pipe open: end the process once the
// summary is out (an unref'd timer: a process that ends by itself is not held)
test.after(() => void setTimeout(() => process.exit(), 2000).unref());

test.run();
