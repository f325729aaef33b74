// The published package: `npm pack` of this checkout (the build `npm test` just made) into a
// scratch directory, then what is in the tarball, its source maps, and publint and
// are-the-types-wrong run on the tarball itself (both read it locally: no network).
import { test } from "uvu";
import * as assert from "uvu/assert";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync, spawnSync } from "node:child_process";
import { repoRoot } from "./util/compile.js";

const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const dest = fs.mkdtempSync(path.join(os.tmpdir(), "jacc-pack-"));
// --ignore-scripts: prepack would rebuild what `npm test` has just built
const packed = JSON.parse(execFileSync(npm, ["pack", "--json", "--ignore-scripts", "--pack-destination", dest], { cwd: repoRoot, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }))[0] as {
  filename: string;
  files: { path: string }[];
};
const tarball = path.join(dest, packed.filename);
const files = packed.files.map((f) => f.path);
const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8"));

test.after(() => fs.rmSync(dest, { recursive: true, force: true }));

test("the tarball holds the runtime, compiler, plugins and CLI, and no tests or benchmarks", () => {
  const stray = files.filter((f) => !/^dist\/(runtime|compiler|plugin|cli)\//.test(f) && !["package.json", "README.md", "ts-plugin/package.json"].includes(f));
  assert.equal(stray, [], `unexpected files in the tarball: ${stray.slice(0, 10).join(", ")}`);
  for (const dir of ["runtime", "compiler", "plugin", "cli"]) assert.ok(files.includes(`dist/${dir}/index.js`) || files.some((f) => f.startsWith(`dist/${dir}/`)), `dist/${dir} missing`);
  // every file an export or the bin names is shipped
  const targets = [manifest.bin.jacc, ...Object.values(manifest.exports as Record<string, Record<string, string> | string>).flatMap((e) => (typeof e === "string" ? [e] : Object.values(e)))];
  for (const t of targets) assert.ok(files.includes(t.replace(/^\.\//, "")), `${t} is exported but not in the tarball`);
});

test("every source map carries its sources' text (the .ts files are not shipped)", () => {
  const maps = files.filter((f) => f.endsWith(".map"));
  assert.ok(maps.length > 50, `only ${maps.length} maps`);
  for (const m of maps) {
    const map = JSON.parse(fs.readFileSync(path.join(repoRoot, m), "utf8"));
    assert.ok(Array.isArray(map.sourcesContent) && map.sourcesContent.length === map.sources.length && map.sourcesContent.every((s: unknown) => typeof s === "string" && s.length > 0), `${m} has no sourcesContent`);
  }
});

test("webgpu is an optional peer dependency; building is prepack's job, not prepare's", () => {
  assert.ok(manifest.peerDependencies?.webgpu, "webgpu is not a peer dependency");
  assert.is(manifest.peerDependenciesMeta?.webgpu?.optional, true);
  assert.is(manifest.scripts.prepare, undefined, "prepare runs in consumers' installs");
  assert.match(manifest.scripts.prepack, /tsc -p tsconfig\.build\.json/);
});

test("publint finds nothing to say about the tarball (suggestions included)", () => {
  const r = spawnSync(process.execPath, [path.join(repoRoot, "node_modules", "publint", "src", "cli.js"), "run", tarball, "--strict", "--level", "suggestion"], { encoding: "utf8" });
  assert.is(r.status, 0, `publint:\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /All good!/, `publint:\n${r.stdout}`);
});

test("are-the-types-wrong: clean for ES-module consumers (node16 from ESM, bundler)", () => {
  const cli = path.join(repoRoot, "node_modules", "@arethetypeswrong", "cli", "dist", "index.js");
  const r = spawnSync(process.execPath, [cli, tarball, "--profile", "esm-only", "--format", "json"], { encoding: "utf8", maxBuffer: 1 << 26 });
  const report = JSON.parse(r.stdout);
  const esmProblems = Object.values(report.problems as Record<string, { resolutionKind?: string; entrypoint: string; kind: string }[]>)
    .flat()
    .filter((p) => p.resolutionKind !== "node10" && p.resolutionKind !== "node16-cjs");
  assert.equal(esmProblems, [], JSON.stringify(esmProblems));
  assert.is(r.status, 0, r.stderr);
  // every export was looked at
  assert.ok(Object.keys(report.analysis.entrypoints).length >= Object.keys(manifest.exports).length, "entry points missing from the analysis");
});

test.run();
