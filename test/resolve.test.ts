// A marker's function imported through TypeScript's module resolution (compiler/front/resolve.ts):
// tsconfig `paths`, package.json `imports` (#util), a workspace package linked into
// node_modules that exports its .ts sources, and NodeNext's "./x.js" for x.ts.
import { test } from "uvu";
import * as assert from "uvu/assert";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { compileModule } from "../compiler/index.js";
import { importDependencies } from "../plugin/shared.js";
import { repoRoot, tmpDir } from "./util/compile.js";

let n = 0;
function project(files: Record<string, string>): string {
  const dir = path.join(tmpDir, `resolve-${process.pid}-${n++}`);
  fs.rmSync(dir, { recursive: true, force: true });
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), text);
  }
  return dir;
}

const MAIN = `import { grad } from "jacc";
import { cube } from "@lib/cube.js";
import { sinSq } from "#util";
import { twice } from "wslib";
import { half } from "./local.js";
export const d = [grad(cube)(2), grad(sinSq)(0.5), grad(twice)(7), grad(half)(1)];
`;

function workspaceProject(tsconfig: object): string {
  const dir = project({
    "tsconfig.json": JSON.stringify(tsconfig),
    "package.json": JSON.stringify({ name: "app", type: "module", imports: { "#util": "./util/index.ts" } }),
    "src/main.ts": MAIN,
    "src/local.ts": "export const half = (x: number): number => x / 2;\n",
    "lib/cube.ts": "export function cube(x: number): number {\n  return x * x * x;\n}\n",
    "util/index.ts": "export function sinSq(x: number): number {\n  return Math.sin(x) ** 2;\n}\n",
    "packages/wslib/package.json": JSON.stringify({ name: "wslib", type: "module", exports: { ".": "./src/index.ts" } }),
    "packages/wslib/src/index.ts": "export const twice = (x: number): number => 2 * x;\n",
  });
  fs.mkdirSync(path.join(dir, "node_modules"));
  fs.symlinkSync(path.join("..", "packages", "wslib"), path.join(dir, "node_modules", "wslib"), "dir");
  fs.symlinkSync(repoRoot, path.join(dir, "node_modules", "jacc"), "dir"); // (the compiled module imports the runtime)
  return dir;
}

const NODENEXT = { compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", strict: true, paths: { "@lib/*": ["./lib/*"] } } };

test("paths, #imports, a linked workspace package's .ts sources and ./x.js resolve; the derivatives are right", async () => {
  const dir = workspaceProject(NODENEXT);
  const file = path.join(dir, "src", "main.ts");
  const r = compileModule(MAIN, file, { target: "js" });
  assert.equal(r.diagnostics.map((d) => d.message), []);
  // the generated code inlines the imported functions: run it without the imports
  const out = path.join(dir, "src", "main.out.mjs");
  fs.writeFileSync(out, r.code.replace(/^import \{ (cube|sinSq|twice|half) \} from .*$/gm, ""));
  const m = await import(pathToFileURL(out).href);
  const want = [12, Math.sin(1), 2, 0.5]; // d sin²x = sin 2x
  (m.d as number[]).forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-12, `d[${i}] = ${v}, want ${want[i]}`));
});

test("the build integrations watch the files so resolved (workspace package by its real path)", () => {
  const dir = workspaceProject(NODENEXT);
  const deps = importDependencies(path.join(dir, "src", "main.ts"), MAIN).map((f) => path.relative(fs.realpathSync(dir), fs.realpathSync(f)).split(path.sep).join("/"));
  assert.equal(deps.sort(), ["lib/cube.ts", "packages/wslib/src/index.ts", "src/local.ts", "util/index.ts"]);
});

test("without the tsconfig's paths, @lib/cube.js is unresolved: a diagnostic at the use, naming the specifier", () => {
  const dir = workspaceProject({ compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext" } });
  const r = compileModule(MAIN, path.join(dir, "src", "main.ts"), { target: "js" });
  assert.is(r.diagnostics.length, 1, r.diagnostics.map((d) => d.message).join("\n"));
  assert.is(r.diagnostics[0].code, "unresolved");
  assert.match(r.diagnostics[0].message, /"@lib\/cube\.js"/);
  assert.is(r.diagnostics[0].line, 6);
});

test("a module created after a failed resolution is found by the next compile (no stale cache in a long-lived process)", () => {
  const dir = project({ "tsconfig.json": JSON.stringify(NODENEXT), "main.ts": `import { grad } from "jacc";\nimport { later } from "./later.js";\nexport const d = grad(later);\n` });
  const file = path.join(dir, "main.ts");
  const src = fs.readFileSync(file, "utf8");
  const before = compileModule(src, file, { target: "js" });
  assert.is(before.diagnostics[0]?.code, "unresolved");
  fs.writeFileSync(path.join(dir, "later.ts"), "export const later = (x: number): number => x * x;\n");
  const after = compileModule(src, file, { target: "js" });
  assert.equal(after.diagnostics, []);
});

test("a module imported whole (import * as models): grad(models.loss), models.f(x) called inside, a helper of it taking a function; using the namespace as a value is a diagnostic", async () => {
  const dir = project({
    "tsconfig.json": JSON.stringify({ compilerOptions: { module: "ESNext", moduleResolution: "Bundler", strict: true } }),
    "models.ts": "export function loss(x: number, y: number): number {\n  return (x * y - 1) ** 2;\n}\nexport const sq = (t: number): number => t * t;\nexport function twice(g: (t: number) => number, t: number): number {\n  return g(g(t));\n}\n",
    "main.ts": `import { grad, jacfwd } from "jacc";\nimport * as models from "./models";\nfunction total(x: number): number {\n  return models.loss(x, 2) + models.sq(x) * models.twice((t) => t * 3, x);\n}\nexport const d = [grad(models.loss)(0.5, 3), grad(total)(0.7), jacfwd(total)(0.7)];\n`,
  });
  const file = path.join(dir, "main.ts");
  const r = compileModule(fs.readFileSync(file, "utf8"), file, { target: "js" });
  assert.equal(r.diagnostics.map((d) => d.message), []);
  const out = path.join(dir, "main.out.mjs");
  fs.writeFileSync(out, r.code.replace(/^import \* as models from .*$/gm, ""));
  const m = await import(pathToFileURL(out).href);
  // d/dx (2x − 1)² + 9x³ at 0.7: 4(2x − 1) + 27x²
  const want = [2 * (0.5 * 3 - 1) * 3, 4 * (2 * 0.7 - 1) + 27 * 0.49, 4 * (2 * 0.7 - 1) + 27 * 0.49];
  (m.d as number[]).forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-12, `d[${i}] = ${v}, want ${want[i]}`));
  const bad = compileModule(`import { grad } from "jacc";\nimport * as models from "./models";\nfunction f(x: number): number {\n  const m = models;\n  return x;\n}\nexport const d = grad(f);\n`, file, { target: "js" });
  assert.match(bad.diagnostics[0]?.message ?? "", /the namespace `models` of "\.\/models" cannot be used as a value here/);
});

test.run();
