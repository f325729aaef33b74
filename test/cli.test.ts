// The built CLI (dist/cli/main.js) run as a user runs it, in scratch
// directories under .tmp/ so that emitted modules resolve "jacc" to this package.
import { test } from "uvu";
import * as assert from "uvu/assert";
import fs from "node:fs";
import path from "node:path";
import { spawn, spawnSync } from "node:child_process";
import { repoRoot } from "./util/compile.js";
import { expandInputs } from "../cli/files.js";
import { colorFor } from "../cli/color.js";

const stripAnsi = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, "");

const cli = path.join(repoRoot, "dist", "cli", "main.js");
const scratch = path.join(repoRoot, ".tmp", "cli-tests");
let n = 0;

/** A fresh directory holding `files` (path → text). */
function workspace(files: Record<string, string>): string {
  const dir = path.join(scratch, `ws${process.pid}-${n++}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), text);
  }
  return dir;
}

// Without colour: node colours console.log's numbers when FORCE_COLOR is set.
const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
delete env.FORCE_COLOR;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI; asynchronous so that a test can run independent commands at once. */
function jacc(cwd: string, ...args: string[]): Promise<Ran> {
  return jaccWith(env, cwd, ...args);
}

function jaccWith(env: NodeJS.ProcessEnv, cwd: string, ...args: string[]): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [cli, ...args], { cwd, env });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("error", reject);
    p.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const runNode = (file: string) => spawnSync(process.execPath, [file], { encoding: "utf8", env });

/** Every file under dir, relative, "/"-separated. */
function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => fs.statSync(path.join(dir, f)).isFile())
    .map((f) => f.split(path.sep).join("/"))
    .sort();
}

const TUPLE = `import { jacobian } from "jacc";
export const f = (x1: number, x2: number, x3: number): [number, number, number] => [x1 + x2, x3 * x1, x2 ** 3];
console.log(JSON.stringify(jacobian(f, [3, 4, 5])));
`;
const GRAD = `import { grad } from "jacc";
export function sq(x: number): number {
  return x * x * x;
}
export const dsq = grad(sq);
`;
const PLAIN = `// no markers here
export const add = (a: number, b: number): number => a + b;
console.log(String(add(2, 3)));
`;
const BAD_TRY = `import { grad } from "jacc";

export function g(x: number): number {
  try { return x * x; } catch { return 0; }
}
export const dg = grad(g);
`;
const BAD_THIS = `import { grad } from "jacc";
export function h(x: number): number {
  // @ts-ignore
  return this.k * x;
}
export const dh = grad(h);
`;

test("emit --target js: a module that runs under plain node with the right numbers", async () => {
  const ws = workspace({ "mod.ts": TUPLE });
  const r = await jacc(ws, "emit", "mod.ts", "--target", "js");
  assert.is(r.code, 0, r.stderr);
  assert.equal(listFiles(path.join(ws, "jacc-out")), ["mod.js", "mod.js.map"]);
  const run = runNode(path.join(ws, "jacc-out", "mod.js"));
  assert.is(run.status, 0, run.stderr);
  assert.equal(JSON.parse(run.stdout), [[1, 1, 0], [5, 0, 3], [0, 48, 0]]);
  const js = fs.readFileSync(path.join(ws, "jacc-out", "mod.js"), "utf8");
  assert.not.match(js, /: number/); // types stripped
  assert.match(js, /\/\/# sourceMappingURL=mod\.js\.map\n$/);
  const map = JSON.parse(fs.readFileSync(path.join(ws, "jacc-out", "mod.js.map"), "utf8"));
  assert.equal(map.sources, ["../mod.ts"]);
  assert.is(map.file, "mod.js");
});

test("emit (default --target ts): the generated functions, paths mirrored", async () => {
  const ws = workspace({ "src/a/mod.ts": TUPLE, "src/b.ts": GRAD });
  const r = await jacc(ws, "emit", "src/a/mod.ts", "src/b.ts", "--out", "build");
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /2 modules written to build/);
  assert.equal(listFiles(path.join(ws, "build")), ["src/a/mod.ts", "src/a/mod.ts.map", "src/b.ts", "src/b.ts.map"]);
  const ts = fs.readFileSync(path.join(ws, "build/src/a/mod.ts"), "utf8");
  assert.match(ts, /generated derivative code/);
  assert.match(ts, /function jacobian_\w*\(x1: any, x2: any, x3: any\)/);
  assert.not.match(ts, /jacobian\(f,/);
  assert.match(fs.readFileSync(path.join(ws, "build/src/b.ts"), "utf8"), /function grad_\w*\(x: any\)/);
});

test("emit: globs (*, **, ?) skip node_modules, dot-directories and .d.ts", async () => {
  const ws = workspace({
    "src/one.ts": GRAD,
    "src/deep/er/two.ts": PLAIN,
    "src/x1.ts": PLAIN,
    "src/node_modules/dep/index.ts": PLAIN,
    "src/.hidden/h.ts": PLAIN,
    "src/types.d.ts": "export type T = number;\n",
    "src/notes.md": "# notes\n",
  });
  const [all, q, none] = await Promise.all([
    jacc(ws, "emit", "src/**/*.ts", "--out", "o"),
    jacc(ws, "emit", "src/x?.ts", "--out", "q"),
    jacc(ws, "emit", "src/*.nope", "--out", "z"),
  ]);
  assert.is(all.code, 0, all.stderr);
  assert.equal(listFiles(path.join(ws, "o")), ["src/deep/er/two.ts", "src/one.ts", "src/one.ts.map", "src/x1.ts"]);
  assert.is(q.code, 0, q.stderr);
  assert.equal(listFiles(path.join(ws, "q")), ["src/x1.ts"]);
  assert.is(none.code, 1);
  assert.match(none.stderr, /no files match/);
});

test("emit: braces, classes, !negation, the directory's .gitignore and --ignore", async () => {
  const ws = workspace({
    "src/a.ts": GRAD,
    "src/b.tsx": "export const b = 1;\n",
    "src/c.mts": PLAIN,
    "src/a.test.ts": PLAIN,
    "src/gen/g.ts": PLAIN,
    "src/vendor/v.ts": PLAIN,
    "src/skip-me.ts": PLAIN,
    ".gitignore": "# generated\ngen/\n*.tmp.ts\n",
    "src/x.tmp.ts": PLAIN,
  });
  const [braces, classes, negated, dir] = await Promise.all([
    jacc(ws, "emit", "src/**/*.{ts,tsx}", "--out", "o1"),
    jacc(ws, "emit", "src/[ab].ts*", "--out", "o2"),
    jacc(ws, "emit", "src/**/*.ts", "!src/**/*.test.ts", "--ignore", "vendor", "--ignore", "skip-*.ts", "--out", "o3"),
    jacc(ws, "check", "src", "!**/*.test.ts"),
  ]);
  assert.is(braces.code, 0, braces.stderr);
  // .gitignore: gen/ (a directory at any depth) and *.tmp.ts are left out
  assert.equal(listFiles(path.join(ws, "o1")), ["src/a.test.ts", "src/a.ts", "src/a.ts.map", "src/b.tsx", "src/skip-me.ts", "src/vendor/v.ts"]);
  assert.is(classes.code, 0, classes.stderr);
  assert.equal(listFiles(path.join(ws, "o2")), ["src/a.ts", "src/a.ts.map", "src/b.tsx"]);
  assert.is(negated.code, 0, negated.stderr);
  assert.equal(listFiles(path.join(ws, "o3")), ["src/a.ts", "src/a.ts.map"]);
  assert.is(dir.code, 0, dir.stdout);
  assert.match(dir.stdout, /5 files checked/); // a, b, c, skip-me, vendor/v (gen/ and x.tmp.ts ignored, a.test.ts negated)
});

test("emit: a module without markers is copied unchanged (transpiled for --target js)", async () => {
  const ws = workspace({ "plain.ts": PLAIN });
  const [ts, js] = await Promise.all([jacc(ws, "emit", "plain.ts"), jacc(ws, "emit", "plain.ts", "--target", "js", "--out", "js")]);
  assert.is(ts.code, 0, ts.stderr);
  assert.is(fs.readFileSync(path.join(ws, "jacc-out/plain.ts"), "utf8"), PLAIN);
  assert.equal(listFiles(path.join(ws, "jacc-out")), ["plain.ts"]);
  assert.is(js.code, 0, js.stderr);
  assert.not.match(fs.readFileSync(path.join(ws, "js/plain.js"), "utf8"), /: number/);
  assert.is(runNode(path.join(ws, "js/plain.js")).stdout.trim(), "5");
});

test("emit: refuses to write over an input, and writes nothing", async () => {
  const ws = workspace({ "plain.ts": PLAIN, "mod.ts": TUPLE, "lib/mod.ts": TUPLE, "lib/mod.js": "// mine\n" });
  const [same, js] = await Promise.all([
    jacc(ws, "emit", "plain.ts", "mod.ts", "--out", "."),
    // --target js into the inputs' directory: lib/mod.js would replace the input lib/mod.js.
    jacc(ws, "emit", "lib/mod.ts", "lib/mod.js", "--target", "js", "--out", "."),
  ]);
  assert.is(same.code, 1);
  assert.match(same.stderr, /refusing to overwrite input plain\.ts/);
  assert.is(js.code, 1);
  assert.match(js.stderr, /refusing to overwrite input lib\/mod\.js with the output of lib\/mod\.ts/);
  assert.is(fs.readFileSync(path.join(ws, "plain.ts"), "utf8"), PLAIN);
  assert.is(fs.readFileSync(path.join(ws, "lib/mod.js"), "utf8"), "// mine\n");
  assert.equal(listFiles(ws), ["lib/mod.js", "lib/mod.ts", "mod.ts", "plain.ts"]);
});

test("emit: a failing module reports file:line:col with a code frame; the others are still written", async () => {
  const ws = workspace({ "bad.ts": BAD_TRY, "worse.ts": BAD_THIS, "good.ts": GRAD });
  const r = await jacc(ws, "emit", "bad.ts", "good.ts", "worse.ts");
  assert.is(r.code, 1);
  assert.match(r.stderr, /^bad\.ts:4:3 - error jacc\([\w-]+\): .*try/m);
  assert.match(r.stderr, /^> 4 \|   try \{/m);
  assert.match(r.stderr, /^\s+\|\s+\^+/m);
  assert.match(r.stderr, /^worse\.ts:4:\d+ - error jacc\([\w-]+\): .*this/m);
  assert.match(r.stderr, /1 module written to jacc-out, 2 failed/);
  assert.equal(listFiles(path.join(ws, "jacc-out")), ["good.ts", "good.ts.map"]);
});

test("diagnostics: coloured (frame highlighted) under FORCE_COLOR, plain on a pipe or under NO_COLOR", async () => {
  const ws = workspace({ "bad.ts": BAD_TRY });
  const plainEnv: NodeJS.ProcessEnv = { ...process.env };
  delete plainEnv.FORCE_COLOR;
  delete plainEnv.NO_COLOR;
  const [forced, piped, noColor, forcedOff, emitForced] = await Promise.all([
    jaccWith({ ...plainEnv, FORCE_COLOR: "1" }, ws, "check", "bad.ts"),
    jaccWith(plainEnv, ws, "check", "bad.ts"),
    jaccWith({ ...plainEnv, NO_COLOR: "1" }, ws, "check", "bad.ts"),
    jaccWith({ ...plainEnv, FORCE_COLOR: "0" }, ws, "check", "bad.ts"),
    jaccWith({ ...plainEnv, FORCE_COLOR: "1" }, ws, "emit", "bad.ts"),
  ]);
  const ESC = /\x1b\[/;
  for (const r of [forced, emitForced]) {
    const text = r.stdout + r.stderr;
    assert.match(text, ESC);
    assert.match(text, /\x1b\[31m\x1b\[1merror/); // the severity in red
    assert.match(stripAnsi(text), /^bad\.ts:4:3 - error jacc\([\w-]+\): .*try/m);
    assert.match(stripAnsi(text), /^> 4 \|   try \{/m); // the same frame under the colours
    assert.match(text, /\x1b\[36mtry\x1b\[39m/); // the keyword highlighted
  }
  for (const r of [piped, noColor, forcedOff]) {
    assert.not.match(r.stdout + r.stderr, ESC);
    assert.match(r.stdout, /^> 4 \|   try \{/m);
  }
  assert.ok(colorFor({ isTTY: true, hasColors: () => true }, {}));
  assert.not.ok(colorFor({ isTTY: true, hasColors: () => true }, { NO_COLOR: "1" }));
  assert.not.ok(colorFor({ isTTY: false }, {}));
  assert.ok(colorFor({ isTTY: false }, { FORCE_COLOR: "1", NO_COLOR: "1" }));
  assert.not.ok(colorFor({ isTTY: true, hasColors: () => true }, { FORCE_COLOR: "0" }));
});

test("emit: no temporary files are left behind, and no progress line on a pipe", async () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 6; i++) files[`m${i}.ts`] = i % 2 ? GRAD : PLAIN;
  const ws = workspace(files);
  const r = await jacc(ws, "emit", "*.ts", "--out", "o", "--target", "js");
  assert.is(r.code, 0, r.stderr);
  const out = fs.readdirSync(path.join(ws, "o"));
  assert.is(out.filter((f) => f.startsWith(".") || f.endsWith(".tmp")).length, 0, out.join(" "));
  assert.is(out.filter((f) => f.endsWith(".js")).length, 6);
  assert.not.match(r.stderr + r.stdout, /\r/);
  // A second run over existing outputs replaces them in place.
  assert.is((await jacc(ws, "emit", "*.ts", "--out", "o", "--target", "js")).code, 0);
  assert.equal(fs.readdirSync(path.join(ws, "o")).sort(), out.sort());
});

test("emit: inputs outside the current directory mirror from their common directory", async () => {
  const ws = workspace({ "lib/a/x.ts": GRAD, "lib/b/y.ts": PLAIN, "app/keep.txt": "" });
  const r = await jacc(path.join(ws, "app"), "emit", "../lib/a/x.ts", "../lib/b/y.ts", "--out", "o");
  assert.is(r.code, 0, r.stderr);
  assert.equal(listFiles(path.join(ws, "app/o")), ["a/x.ts", "a/x.ts.map", "b/y.ts"]);
});

test("emit: --strategy and --target are validated; inputs are required", async () => {
  const ws = workspace({ "mod.ts": TUPLE });
  const [fwd, bad, target, none] = await Promise.all([
    jacc(ws, "emit", "mod.ts", "--strategy", "forward-mode"),
    jacc(ws, "emit", "mod.ts", "--strategy", "sideways"),
    jacc(ws, "emit", "mod.ts", "--target", "wasm"),
    jacc(ws, "emit"),
  ]);
  assert.is(fwd.code, 0, fwd.stderr);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /invalid value for --strategy: "sideways"/);
  assert.is(target.code, 2);
  assert.is(none.code, 2);
  assert.match(none.stderr, /no input files/);
});

test("check: exit codes, diagnostics and a summary; nothing written", async () => {
  const ws = workspace({ "good.ts": GRAD, "plain.ts": PLAIN, "bad.ts": BAD_TRY });
  const [ok, bad, missing] = await Promise.all([
    jacc(ws, "check", "good.ts", "plain.ts"),
    jacc(ws, "check", "good.ts", "bad.ts"),
    jacc(ws, "check", "missing.ts"),
  ]);
  assert.is(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /2 files checked: 0 errors/);
  assert.is(bad.code, 1);
  assert.match(bad.stdout, /^bad\.ts:4:3 - error jacc/m);
  assert.match(bad.stdout, /> 4 \|/);
  assert.match(bad.stdout, /2 files checked: 1 error, 0 warnings in 1 file/);
  assert.is(missing.code, 1);
  assert.match(missing.stdout, /missing\.ts: no such file/);
  assert.equal(listFiles(ws), ["bad.ts", "good.ts", "plain.ts"]);
});

test("explain: generated source, IR and the sparsity grid", async () => {
  const ws = workspace({ "mod.ts": TUPLE, "bad.ts": BAD_TRY });
  const [r, ascii, none, bad, usage] = await Promise.all([
    jacc(ws, "explain", "mod.ts", "f"),
    jacc(ws, "explain", "mod.ts", "jacobian_", "--ascii"),
    jacc(ws, "explain", "mod.ts", "nothing"),
    jacc(ws, "explain", "bad.ts", "g"),
    jacc(ws, "explain", "mod.ts"),
  ]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /jacobian\(f\) at mod\.ts:3/);
  assert.match(r.stdout, /function jacobian_\w*\(x1: any, x2: any, x3: any\)/);
  assert.match(r.stdout, /── IR/);
  assert.match(r.stdout, /fn jacobian_\w*\(/);
  assert.match(r.stdout, /x1 x2 x3\nout\[0\]  █  █  ·\nout\[1\]  █  ·  █\nout\[2\]  ·  █  ·\n/);
  assert.match(r.stdout, /no WGSL for this marker \(scalar program\)/);
  // the Jacobian plan (compiler/ad/jacobian-plan.ts): number inputs run the sweeps
  assert.match(r.stdout, /^plan: sweeps \(reverse\), fusion on: a differentiated input is a number or a vector$/m);
  assert.is(ascii.code, 0, ascii.stderr);
  assert.match(ascii.stdout, /out\[0\]  x  x  \.\n/);
  assert.is(none.code, 1);
  assert.match(none.stderr, /no marker in mod\.ts matches "nothing"\navailable names: f, jacobian_/);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /bad\.ts:4:3 - error/);
  assert.is(usage.code, 2);
});

test("--help on every command, --version, unknown commands and flags", async () => {
  const ws = workspace({});
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8"));
  const helps = [["--help"], ["-h"], ["emit", "--help"], ["check", "-h"], ["explain", "--help"], ["help", "emit"]];
  const runs = await Promise.all(helps.map((args) => jacc(ws, ...args)));
  runs.forEach((r, i) => {
    assert.is(r.code, 0, helps[i].join(" "));
    assert.match(r.stdout, /Usage/, helps[i].join(" "));
  });
  assert.match(runs[2].stdout, /--target ts\|js/);
  const [version, unknown, flag, topFlag, bare] = await Promise.all([
    jacc(ws, "--version"),
    jacc(ws, "frobnicate"),
    jacc(ws, "emit", "x.ts", "--frob"),
    jacc(ws, "--frob"),
    jacc(ws),
  ]);
  assert.is(version.stdout.trim(), `jacc ${pkg.version}`);
  assert.is(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command 'frobnicate'/);
  assert.is(flag.code, 2);
  assert.match(flag.stderr, /unknown option '--frob'/);
  assert.is(topFlag.code, 2);
  assert.is(bare.code, 2);
  assert.match(bare.stderr, /Usage/);
});

test("expandInputs: the output directory is skipped, duplicates once, a missing path named", () => {
  const ws = workspace({ "s/a.ts": "", "s/b.ts": "", "s/out/c.ts": "" });
  const e = expandInputs(["s/*.ts", "s/a.ts", "s/**/*.ts", "nope.ts"], ws, { skipDirs: [path.join(ws, "s/out")] });
  assert.equal(e.files.map((f) => path.relative(ws, f).split(path.sep).join("/")), ["s/a.ts", "s/b.ts"]);
  assert.equal(e.problems, ["nope.ts: no such file or directory"]);
});

test.run();
