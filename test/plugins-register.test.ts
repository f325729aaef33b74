// `node --import jacc/register` (plugin/register.ts, plugin/node-hooks.ts) run as a user runs it:
// a project with jacc installed, a module with markers compiled on the fly, and a module jacc
// cannot compile reported as jacc's diagnostic alone (no Node banner, no loader stack), exit 1.
import { test } from "uvu";
import * as assert from "uvu/assert";
import fs from "node:fs";
import path from "node:path";
import { BAD, checkAppOutput, node, workspace } from "./util/projects.js";

const ws = workspace("tsc");

test("register: a module with markers runs", async () => {
  const r = await node(["--import", "jacc/register", "src/main.ts"], ws);
  assert.is(r.code, 0, r.stderr);
  checkAppOutput(r.stdout);
});

test("register: a module jacc cannot compile prints the diagnostic and its code frame, exit 1, nothing of Node's", async () => {
  // imported by the entry, and the entry itself
  fs.writeFileSync(path.join(ws, "bad", "entry.ts"), `import { g } from "./bad.ts";\nconsole.log(g);\n`);
  for (const entry of ["bad/entry.ts", "bad/bad.ts"]) {
    const r = await node(["--import", "jacc/register", entry], ws);
    assert.is(r.code, 1, `${entry}: ${r.stdout}${r.stderr}`);
    assert.is(r.stdout, "");
    const where = `${path.join(ws, "bad", "bad.ts")}:${BAD.line}:${BAD.col} - error jacc(${BAD.code}): `;
    assert.ok(r.stderr.startsWith(`jacc: 1 error(s) compiling ${path.join(ws, "bad", "bad.ts")}\n${where}`), r.stderr);
    assert.match(r.stderr, /> 5 \|   const s = `x = \$\{x\}`;\n\s+\|\s+\^+/); // the code frame
    // no uncaught-exception banner, no stack frames, no version line
    for (const noise of [/triggerUncaughtException/, /^\s+at /m, /node:internal/, /Node\.js v\d/, /\[JaccCompileError\]/]) assert.not.match(r.stderr, noise, `${entry}: ${r.stderr}`);
  }
});

test("register: a failed import the program catches stays the program's to handle", async () => {
  fs.writeFileSync(path.join(ws, "bad", "catch.ts"), `try {\n  await import("./bad.ts");\n} catch (e) {\n  console.log("caught", (e as Error).name);\n}\n`);
  const r = await node(["--import", "jacc/register", "bad/catch.ts"], ws);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout.trim(), "caught JaccCompileError");
});

test("register: other uncaught errors are Node's as before", async () => {
  fs.writeFileSync(path.join(ws, "bad", "throws.ts"), `throw new TypeError("not jacc's");\n`);
  const r = await node(["--import", "jacc/register", "bad/throws.ts"], ws);
  assert.is(r.code, 1);
  assert.match(r.stderr, /TypeError: not jacc's\n\s+at /);
});

test.run();
