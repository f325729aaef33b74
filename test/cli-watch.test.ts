// `jacc emit --watch` on a pipe: each rebuild is one summary line; the test waits for lines
// and files (polling, with generous bounds), never for a fixed time.
import { test } from "uvu";
import * as assert from "uvu/assert";
import fs from "node:fs";
import path from "node:path";
import { spawn } from "node:child_process";
import { repoRoot } from "./util/compile.js";

const cli = path.join(repoRoot, "dist", "cli", "main.js");

/** Polls `cond` every 50 ms until it holds; fails after `ms` with `what`. */
async function until(cond: () => boolean, what: () => string, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) assert.unreachable(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const lib = (body: string) => `export function sq(x: number): number {\n  ${body}\n}\n`;
const MAIN = `import { grad } from "jacc";\nimport { sq } from "./lib.js";\nexport const d = grad(sq);\n`;

test("emit --watch: a change to the module or to the module its marker's function comes from recompiles it; others do not", async () => {
  const ws = path.join(repoRoot, ".tmp", "cli-tests", `watch-${process.pid}`);
  fs.rmSync(ws, { recursive: true, force: true });
  fs.mkdirSync(path.join(ws, "src"), { recursive: true });
  fs.writeFileSync(path.join(ws, "src", "lib.ts"), lib("return x * x;"));
  fs.writeFileSync(path.join(ws, "src", "main.ts"), MAIN);
  fs.writeFileSync(path.join(ws, "src", "other.ts"), "export const z = 1;\n");
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  delete env.FORCE_COLOR;
  const p = spawn(process.execPath, [cli, "emit", "src/main.ts", "--out", "o", "--watch"], { cwd: ws, env });
  let stdout = "", stderr = "";
  p.stdout.on("data", (d) => (stdout += d));
  p.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => p.on("close", resolve));
  const lines = () => stdout.split("\n").filter(Boolean).length + stderr.split("\n").filter((l) => l.startsWith("jacc: ")).length;
  const out = path.join(ws, "o", "src", "main.ts");
  const seen = () => `line ${lines() + 1}; stdout:\n${stdout}\nstderr:\n${stderr}`;
  try {
    await until(() => lines() >= 1, seen);
    assert.is(stdout, "jacc: 1 module written to o\n");
    const before = fs.readFileSync(out, "utf8");

    // the imported function changes: main is recompiled (its derivative inlines sq)
    fs.writeFileSync(path.join(ws, "src", "lib.ts"), lib("return x * x * x;"));
    await until(() => lines() >= 2, seen);
    assert.match(stdout.split("\n")[1], /^jacc: src\/lib\.ts changed: 1 module written to o$/);
    const after = fs.readFileSync(out, "utf8");
    assert.is.not(after, before);

    // a file main does not import, then main itself: only main's change is a rebuild
    fs.writeFileSync(path.join(ws, "src", "other.ts"), "export const z = 2;\n");
    fs.writeFileSync(path.join(ws, "src", "main.ts"), MAIN + "export const e = grad(sq)(2);\n");
    await until(() => lines() >= 3, seen);
    assert.match(stdout.split("\n")[2], /^jacc: src\/main\.ts changed: 1 module written to o$/);
    assert.not.match(stdout + stderr, /other\.ts/);
    assert.match(fs.readFileSync(out, "utf8"), /export const e = /);

    // an error: the diagnostic and a failed summary on stderr; the last good output stays
    const good = fs.readFileSync(out, "utf8");
    fs.writeFileSync(path.join(ws, "src", "lib.ts"), lib("try { return x; } catch { return 0; }"));
    await until(() => lines() >= 4, seen);
    assert.match(stderr, /src\/lib\.ts:2:3 - error jacc\([\w-]+\): .*try/);
    assert.match(stderr, /^jacc: src\/lib\.ts changed: 0 modules written to o, 1 failed$/m);
    assert.is(fs.readFileSync(out, "utf8"), good);
    assert.not.match(stdout + stderr, /\x1b\[/); // a pipe: no status line, no colours
  } finally {
    p.kill("SIGTERM");
  }
  assert.is(await exited, 0, stderr);
});

test.run();
