// jacc/rollup, jacc/webpack, jacc/rspack, jacc/esbuild and Vite 8 (Rolldown): each bundler builds the fixture
// app (fixtures/projects/vite/src) from its own config file in fixtures/projects/<bundler>, as a
// user's project has it; the output runs on Node and prints SPEC §3's Jacobian and d sin; it holds
// no compiler, no marker stub and no eval; its source map leads back to src/main.ts; and the
// fixture's bad program fails the build with jacc's file:line:col and code frame. And Vite 8's
// dev server recompiles a module when the module its marker's function comes from changes.
import { test } from "uvu";
import * as assert from "uvu/assert";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { decode } from "@jridgewell/sourcemap-codec";
import { rollup, type RollupError } from "rollup";
import { loadConfigFile } from "rollup/loadConfigFile";
import webpack from "webpack";
import { rspack } from "@rspack/core";
import { build as vite8Build, createServer as vite8Server } from "vite8";
import { BAD, checkAppOutput, lineOf, node, stripAnsi, workspace } from "./util/projects.js";
import { forbiddenIn } from "./util/forbidden.js";
import * as vite from "jacc/vite";
import jaccRollup from "jacc/rollup";
import jaccWebpack from "jacc/webpack";
import jaccRspack from "jacc/rspack";
import jaccEsbuild from "jacc/esbuild";

test("jacc/rollup, jacc/webpack, jacc/rspack and jacc/esbuild export jacc/vite's plugin for their bundler", () => {
  assert.is(jaccRollup, vite.jaccRollup);
  assert.is(jaccWebpack, vite.jaccWebpack);
  assert.is(jaccRspack, vite.jaccRspack);
  assert.is(jaccEsbuild, vite.jaccEsbuild);
  assert.is(jaccRollup().name, "jacc");
});

/** What a bundler wrote: its entry file (to run) and its source map. */
interface Built {
  main: string;
  map: string;
  /** webpack's and Rspack's warnings */
  warnings?: string[];
}

interface Bundler {
  name: string;
  /** The fixture project's scratch copy; `packages` as projects.ts's workspace(). */
  packages?: Record<string, string>;
  /** Builds `entry` (relative to the project) from the project's config file; throws the bundler's error. */
  build(ws: string, entry?: string): Promise<Built>;
}

async function inFolder<T>(dir: string, run: () => Promise<T>): Promise<T> {
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    return await run();
  } finally {
    process.chdir(cwd);
  }
}

const importConfig = async <T>(file: string): Promise<T> => ((await import(pathToFileURL(file).href)) as { default: T }).default;

/** webpack and Rspack share an API: run the compiler, fail with the stats' errors. */
type PackStats = { hasErrors(): boolean; toJson(o: object): { errors?: { message: string }[]; warnings?: { message: string }[] } };
type PackCompiler = { run(cb: (err: Error | null, stats?: PackStats) => void): void; close(cb: (err?: Error | null) => void): void };
/** Runs the compiler; resolves with its warnings, rejects with its errors. */
function runPack(compiler: PackCompiler): Promise<string[]> {
  return new Promise((resolve, reject) =>
    compiler.run((err, stats) => {
      compiler.close(() => undefined);
      if (err) return reject(err);
      const json = stats!.toJson({ all: false, errors: true, warnings: true });
      if (stats!.hasErrors()) return reject(new Error(json.errors!.map((e) => e.message).join("\n")));
      resolve(json.warnings!.map((w) => w.message));
    }),
  );
}
interface PackConfig {
  entry: string;
  output: { path: string; filename: string };
}
const packEntry = (config: PackConfig, entry: string | undefined): PackConfig =>
  entry ? { ...config, entry: `./${entry}`, output: { ...config.output, path: path.join(config.output.path, "..", "dist-bad") } } : config;

const bundlers: Bundler[] = [
  {
    name: "rollup",
    // as `rollup -c` runs: in the project's folder (the config's paths are relative to it)
    build: (ws, entry) =>
      inFolder(ws, async () => {
        const { options } = await loadConfigFile(path.join(ws, "rollup.config.mjs"), {}, true);
        const [config] = options;
        const bundle = await rollup(entry ? { ...config, input: entry } : config);
        try {
          const out = entry ? { ...config.output[0], file: "dist-bad/bad.js" } : config.output[0];
          await bundle.write(out);
          const main = path.join(ws, out.file!);
          return { main, map: `${main}.map` };
        } finally {
          await bundle.close();
        }
      }),
  },
  {
    name: "webpack",
    async build(ws, entry) {
      const config = packEntry(await importConfig<PackConfig>(path.join(ws, "webpack.config.mjs")), entry);
      const warnings = await runPack(webpack(config as webpack.Configuration) as unknown as PackCompiler);
      const main = path.join(config.output.path, config.output.filename);
      return { main, map: `${main}.map`, warnings };
    },
  },
  {
    name: "rspack",
    async build(ws, entry) {
      const config = packEntry(await importConfig<PackConfig>(path.join(ws, "rspack.config.mjs")), entry);
      const warnings = await runPack(rspack(config as never) as unknown as PackCompiler);
      const main = path.join(config.output.path, config.output.filename);
      return { main, map: `${main}.map`, warnings };
    },
  },
  {
    name: "esbuild",
    // as its user runs it: `node build.mjs [entry]` in the project's folder
    async build(ws, entry) {
      const run = await node(["build.mjs", ...(entry ? [entry] : [])], ws);
      if (run.code !== 0) throw new Error(run.stderr);
      const main = path.join(ws, entry ? "dist-bad" : "dist", entry ? "bad.js" : "main.js");
      return { main, map: `${main}.map` };
    },
  },
  {
    name: "vite8",
    // the project's `vite` is Vite 8: its vite.config.ts imports defineConfig from it
    packages: { vite: "vite8" },
    async build(ws, entry) {
      const configFile = path.join(ws, "vite.config.ts");
      const outDir = path.join(ws, entry ? "dist-bad" : "dist");
      await vite8Build({ root: ws, configFile, logLevel: "silent", build: entry ? { outDir, lib: { entry, formats: ["es"], fileName: "bad" } } : {} });
      return { main: path.join(outDir, "main.js"), map: path.join(outDir, "main.js.map") };
    },
  },
];

for (const b of bundlers) {
  const ws = workspace(b.name, { sources: "vite", packages: b.packages });

  test(`${b.name}: builds the fixture from its config; the output runs and gives SPEC §3's Jacobian and d sin; no compiler, marker stub or eval`, async () => {
    const t0 = Date.now();
    const out = await b.build(ws);
    const ms = Date.now() - t0;
    const run = await node([out.main]);
    assert.is(run.code, 0, run.stderr);
    checkAppOutput(run.stdout);
    // (the runtime's dynamic import of Dawn is left to Node: no "critical dependency" warning)
    assert.equal(out.warnings ?? [], [], `${b.name}'s warnings`);
    // every chunk it wrote (webpack puts the WebGPU backend, imported dynamically, in one of its own)
    const dir = path.dirname(out.main);
    const chunks = fs.readdirSync(dir).filter((f) => /\.c?js$/.test(f));
    for (const f of chunks) assert.equal(forbiddenIn(fs.readFileSync(path.join(dir, f), "utf8")), [], `${b.name}'s ${f} holds what only the compiler or an uncompiled marker would`);
    assert.match(fs.readFileSync(out.main, "utf8"), "Float64Array", "the runtime is bundled (the check above looked at it)");
    const bytes = chunks.map((f) => `${f} ${fs.statSync(path.join(dir, f)).size}`).join(", ");
    console.log(`    ${b.name}: built in ${ms} ms; ${bytes} bytes (the runtime bundled)`);
  });

  test(`${b.name}: the source map leads the user's code back to its line in src/main.ts`, () => {
    const main = fs.readdirSync(path.join(ws, "dist")).find((f) => /^main\.c?js$/.test(f))!;
    const code = fs.readFileSync(path.join(ws, "dist", main), "utf8");
    const map = JSON.parse(fs.readFileSync(path.join(ws, "dist", `${main}.map`), "utf8")) as { sources: string[]; mappings: string };
    // the app's one console.log survives minification; its segment is the last at or before it
    const at = code.indexOf("console.log(");
    assert.ok(at >= 0 && code.indexOf("console.log(", at + 1) < 0, "one console.log in the bundle");
    const before = code.slice(0, at).split("\n");
    const [line, col] = [before.length - 1, before[before.length - 1].length];
    const seg = decode(map.mappings)[line]?.filter((s) => s.length >= 4 && s[0] <= col).pop();
    assert.ok(seg, "the line has a mapping");
    assert.match(map.sources[seg![1]!], /src\/main\.ts$/);
    assert.is(seg![2]! + 1, lineOf(fs.readFileSync(path.join(ws, "src", "main.ts"), "utf8"), "console.log("));
  });

  test(`${b.name}: the bad program fails the build with jacc's file:line:col and frame; nothing is written`, async () => {
    let err: (Error & Partial<RollupError>) | undefined;
    try {
      await b.build(ws, "bad/bad.ts");
    } catch (e) {
      err = e as Error;
    }
    assert.ok(err, "the build must fail");
    const badTs = path.join(ws, "bad", "bad.ts");
    const message = stripAnsi(err!.message);
    assert.match(message, `${badTs}:${BAD.line}:${BAD.col} - error jacc(${BAD.code})`);
    if (b.name === "webpack" || b.name === "rspack" || b.name === "esbuild") {
      // they print the message alone: it carries the frame, and not the plugin's stack
      assert.match(message, /> 5 \|\s+const s = `x = \$\{x\}`;/);
      assert.match(message, /\^{10}/);
      assert.not.match(message, /at transformJacc|at buildError/);
    }
    if (b.name === "rollup" || b.name === "vite8") {
      // Rollup's error fields (Rolldown gathers the build's errors in `errors`)
      const fields = (err as { errors?: RollupError[] }).errors?.[0] ?? err!;
      assert.is(fields.plugin, "jacc");
      assert.equal(fields.loc, { file: badTs, line: BAD.line, column: BAD.col });
      assert.match(fields.frame!, /> 5 \|\s+const s = `x = \$\{x\}`;/);
    }
    const bad = path.join(ws, "dist-bad");
    const written = fs.existsSync(bad) ? fs.readdirSync(bad).filter((f) => /\.c?js$/.test(f)) : [];
    assert.equal(written, [], "nothing is written");
  });
}

test("vite8 dev server: serves the compiled module, and recompiles it when the module its marker reaches changes", async () => {
  const ws = workspace("vite8", { sources: "vite", packages: { vite: "vite8" } });
  const server = await vite8Server({ root: ws, configFile: path.join(ws, "vite.config.ts"), logLevel: "silent", server: { middlewareMode: true, ws: false } });
  try {
    const main = (await server.transformRequest("/src/main.ts"))!.code;
    assert.not.match(main, "jacobian(f, [3, 4, 5])", "the marker is compiled away");
    assert.not.match(main, ": number", "Vite stripped the types after jacc");
    const before = (await server.transformRequest("/src/hot.ts"))!.code;
    assert.not.match(before, /Math\.cos|\bcos\(/);
    await server.transformRequest("/src/cube.ts");
    fs.writeFileSync(path.join(ws, "src", "cube.ts"), "export const cube = (x: number): number => x ** 3 + Math.sin(x);\n");
    let after = before;
    for (let i = 0; i < 100 && after === before; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = (await server.transformRequest("/src/hot.ts"))!.code;
    }
    assert.is.not(after, before, "hot.ts was recompiled");
    assert.match(after, /Math\.cos|\bcos\(/);
  } finally {
    await Promise.race([server.close(), new Promise((r) => setTimeout(r, 5000))]);
  }
});

test.run();
