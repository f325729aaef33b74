// jacc/babel: the fixture project (fixtures/projects/babel, its babel.config.json with
// `"plugins": ["jacc/babel"]` and @babel/preset-typescript) transformed by Babel's transformAsync.
import { test } from "uvu";
import * as assert from "uvu/assert";
import fs from "node:fs";
import path from "node:path";
import { transformAsync } from "@babel/core";
import { decode } from "@jridgewell/sourcemap-codec";
import { BAD, checkAppOutput, lineOf, node, stripAnsi, workspace } from "./util/projects.js";

const ws = workspace("babel");
const outDir = path.join(ws, "out");

/** Babel as the project configures it (babel.config.json in ws), or with `options` instead. */
async function babel(rel: string, options: Record<string, unknown> = {}) {
  const filename = path.join(ws, rel);
  return transformAsync(fs.readFileSync(filename, "utf8"), { filename, cwd: ws, root: ws, ...options });
}

test("babel: the fixture transformed by its babel.config.json runs and gives SPEC §3's Jacobian and d sin", async () => {
  const t0 = Date.now();
  for (const f of ["main", "plain"]) {
    const r = await babel(`src/${f}.ts`);
    assert.ok(r?.code, f);
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(path.join(outDir, `${f}.js`), r!.code!);
    fs.writeFileSync(path.join(outDir, `${f}.js.map`), JSON.stringify(r!.map));
  }
  const ms = Date.now() - t0;
  const main = fs.readFileSync(path.join(outDir, "main.js"), "utf8");
  assert.not.ok(main.includes("jacobian(f, [3, 4, 5])") || main.includes("jacrev((x"), "markers remain");
  assert.not.match(main, ": number"); // the preset stripped the types of the compiled module
  const run = await node([path.join(outDir, "main.js")]);
  assert.is(run.code, 0, run.stderr);
  checkAppOutput(run.stdout);
  console.log(`    babel transformAsync (2 modules, config loading included): ${ms} ms; out/main.js ${main.length} bytes`);
});

test("babel: the source map leads the user's code back to its line in src/main.ts", () => {
  const code = fs.readFileSync(path.join(outDir, "main.js"), "utf8");
  const map = JSON.parse(fs.readFileSync(path.join(outDir, "main.js.map"), "utf8")) as { mappings: string };
  const src = fs.readFileSync(path.join(ws, "src", "main.ts"), "utf8");
  const lines = decode(map.mappings) as number[][][]; // absolute, 0-based: [column, source, line, column, name]
  for (const needle of ["console.log(JSON.stringify(", "const dsin = ", "const f = (x1, x2, x3)"]) {
    const segs = lines[lineOf(code, needle) - 1].filter((s) => s.length >= 4);
    assert.ok(segs.length, `a mapping on the line of ${needle}`);
    const want = lineOf(src, needle.replace("(x1, x2, x3)", "(x1: number"));
    assert.ok(segs.every((s) => s[2] + 1 === want), `${needle}: mapped to lines ${segs.map((s) => s[2] + 1)}, want ${want}`);
  }
});

test("babel: a module without markers comes out exactly as Babel writes it without jacc", async () => {
  const withJacc = await babel("src/plain.ts");
  const without = await babel("src/plain.ts", { configFile: false, babelrc: false, presets: ["@babel/preset-typescript"], sourceMaps: true });
  assert.is(withJacc!.code, without!.code);
  assert.equal(withJacc!.map, without!.map);
});

test("babel: a bad program throws a code-frame error naming file:line:col", async () => {
  let err: (Error & { code?: string; loc?: { line: number; column: number } }) | undefined;
  try {
    await babel("bad/bad.ts");
  } catch (e) {
    err = e as typeof err;
  }
  assert.ok(err, "the transform must fail");
  const badTs = path.join(ws, "bad", "bad.ts");
  const message = stripAnsi(err!.message);
  assert.match(message, `${badTs}:${BAD.line}:${BAD.col} - error jacc(${BAD.code})`);
  assert.match(message, /> 5 \|\s+const s = `x = \$\{x\}`;\n\s+\|\s+\^{10}/); // Babel's own code frame
  assert.is(err!.code, "JACC_COMPILE_ERROR");
  assert.equal(err!.loc, { line: BAD.line, column: BAD.col - 1 }); // Babel's convention: column 0-based
});

test("babel: a JavaScript module (target js) with markers", async () => {
  const src = `import { grad, jacobian } from "jacc";\nconst cube = (x) => x * x * x;\nconst f = (x1, x2) => x1 * x2 + Math.sin(x1);\nconsole.log(JSON.stringify([grad(cube)(2), jacobian(f, [0, 3])]));\n`;
  const filename = path.join(ws, "src", "plain-js.mjs");
  fs.writeFileSync(filename, src);
  const r = await transformAsync(src, { filename, cwd: ws, root: ws });
  assert.not.match(r!.code!, "grad(cube)(2)");
  fs.writeFileSync(path.join(outDir, "plain-js.mjs"), r!.code!);
  const run = await node([path.join(outDir, "plain-js.mjs")]);
  assert.is(run.code, 0, run.stderr);
  assert.equal(JSON.parse(run.stdout), [12, [4, 0]]);
});

test.run();
