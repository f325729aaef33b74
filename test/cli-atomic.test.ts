// The CLI's promises about files (SPEC §7): it never writes over an input,
// writes each output atomically (a crash mid-run leaves no half file), and a
// failing module does not stop the others from being reported and written.
//
// Crashes: the CLI is killed with SIGKILL (1) at chosen writes, through the
// test hook JACC_TEST_KILL_AT_WRITE=n (cli/output.ts: the n-th file is killed
// after its temp file is written and before the rename, the worst moment),
// and (2) at timed moments of a longer run. Every output present afterwards
// must equal a clean run's file byte for byte; what may remain besides is a
// dot temp file of the killed process, never a partial file under an output's
// name, and the next run removes it.
import { test } from "uvu";
import * as assert from "uvu/assert";
import fs from "node:fs";
import path from "node:path";
import { isTemp, jacc, listFiles, workspace } from "./util/cli.js";

const grad = (i: number) => `import { grad, jacrev } from "jacc";
export function f${i}(x: number): number {
  return Math.sin(${i} * x) * x ** 3 + Math.exp(-x * x / ${i + 1});
}
export const d${i} = grad(f${i});
export const j${i} = jacrev((v: number[]) => v[0] * v[1] + ${i} * Math.cos(v[0]));
`;
const plain = (i: number) => `export const k${i} = ${i};\n`;

function modules(n: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < n; i++) files[`src/m${String(i).padStart(2, "0")}.ts`] = i % 3 === 2 ? plain(i) : grad(i);
  return files;
}

/** Every file of `dir` that is not a temp file equals the clean run's; returns them and the temp files. */
function checkAgainstClean(dir: string, clean: string, what: string): { complete: string[]; temps: string[] } {
  const all = listFiles(dir);
  const temps = all.filter(isTemp);
  const complete = all.filter((f) => !isTemp(f));
  for (const f of complete) {
    const ref = path.join(clean, f);
    assert.ok(fs.existsSync(ref), `${what}: ${f} is not an output of a clean run`);
    assert.ok(fs.readFileSync(path.join(dir, f)).equals(fs.readFileSync(ref)), `${what}: ${f} differs from the clean run's (a partial write)`);
  }
  return { complete, temps };
}

test("emit: killed at the n-th write, every output present is complete; the next run removes the temp file and finishes", async () => {
  const ws = workspace("atomic", modules(9));
  const clean = await jacc(ws, ["emit", "src/*.ts", "--out", "clean", "--target", "js"]);
  assert.is(clean.code, 0, clean.stderr);
  const cleanFiles = listFiles(path.join(ws, "clean"));
  assert.is(cleanFiles.length, 9 * 2, cleanFiles.join(" ")); // every module and its map (modules without markers are transpiled, with a map)
  for (const n of [1, 2, 5, 11]) {
    const out = `o${n}`;
    const r = await jacc(ws, ["emit", "src/*.ts", "--out", out, "--target", "js"], { JACC_TEST_KILL_AT_WRITE: String(n) });
    assert.is(r.signal, "SIGKILL", `the hook killed the run at write ${n} (${r.code} ${r.stderr})`);
    const { complete, temps } = checkAgainstClean(path.join(ws, out), path.join(ws, "clean"), `killed at write ${n}`);
    assert.is(complete.length, n - 1, `the ${n - 1} writes before the kill are complete: ${complete.join(" ")}`);
    assert.is(temps.length, 1, `the killed write left only its temp file: ${temps.join(" ")}`);
    const again = await jacc(ws, ["emit", "src/*.ts", "--out", out, "--target", "js"]);
    assert.is(again.code, 0, again.stderr);
    assert.equal(listFiles(path.join(ws, out)), cleanFiles, "after a clean run: the same files, no temp file");
    checkAgainstClean(path.join(ws, out), path.join(ws, "clean"), `rerun after a kill at write ${n}`);
  }
});

test("emit: the stale-temp sweep removes only jacc's own temp files, never a user's file", async () => {
  const ws = workspace("foreign", { "src/a.ts": grad(1) });
  const dead = 2 ** 22 + 12345; // above Linux's largest pid_max (2^22): no live process has it
  const foreign = [
    `.notes.${dead}.draft.tmp`, // the shape of the old temp name: .<name>.<pid>.<random>.tmp
    `.a.ts.${dead}.abc123.tmp`,
    `.jacc-tmp.a.ts.${dead}.abc123.tmp`, // jacc's prefix, but not its 12-hex random part
  ];
  const ours = `.jacc-tmp.a.ts.${dead}.0123456789ab.tmp`; // what a killed run of jacc leaves
  fs.mkdirSync(path.join(ws, "o/src"), { recursive: true });
  for (const f of [...foreign, ours]) fs.writeFileSync(path.join(ws, "o/src", f), "precious\n");
  fs.mkdirSync(path.join(ws, "o/src", `.jacc-tmp.d.ts.${dead}.0123456789ab.tmp`)); // a directory of that name is not a temp file
  const r = await jacc(ws, ["emit", "src/a.ts", "--out", "o"]);
  assert.is(r.code, 0, r.stderr);
  for (const f of foreign) assert.is(fs.readFileSync(path.join(ws, "o/src", f), "utf8"), "precious\n", `${f} survives`);
  assert.not.ok(fs.existsSync(path.join(ws, "o/src", ours)), "jacc's own stale temp file is swept");
  assert.ok(fs.statSync(path.join(ws, "o/src", `.jacc-tmp.d.ts.${dead}.0123456789ab.tmp`)).isDirectory());
  assert.equal(listFiles(path.join(ws, "o")).filter((f) => !isTemp(f)), ["src/a.ts", "src/a.ts.map"]);
});

test("emit: SIGKILL at timed moments of a longer run leaves only complete outputs", async () => {
  const ws = workspace("atomic-timed", modules(36));
  const t0 = Date.now();
  const clean = await jacc(ws, ["emit", "src/*.ts", "--out", "clean"]);
  const ms = Date.now() - t0;
  assert.is(clean.code, 0, clean.stderr);
  const total = listFiles(path.join(ws, "clean")).length;
  const seen: number[] = [];
  // (at fractions of a clean run's time: process start and loading the compiler come first, the writes last)
  for (const frac of [0.8, 0.88, 0.94, 0.98]) {
    const out = `t${Math.round(frac * 100)}`;
    await jacc(ws, ["emit", "src/*.ts", "--out", out], {}, (p) => setTimeout(() => p.kill("SIGKILL"), Math.round(frac * ms)));
    const { complete, temps } = checkAgainstClean(path.join(ws, out), path.join(ws, "clean"), `killed after ${Math.round(frac * ms)} ms`);
    assert.ok(temps.length <= 1, `at most the one write in flight: ${temps.join(" ")}`);
    seen.push(complete.length);
  }
  console.log(`  killed runs had written ${seen.join(", ")} of ${total} files`);
});

test("emit: never writes over an input (the inputs' directory as --out, a link to an input, the input's map)", async () => {
  const mod = grad(1);
  const ws = workspace("noclobber", { "src/mod.ts": mod, "src/other.ts": grad(2), "src/mod.ts.map": "{}\n", "keep.ts": mod });
  fs.mkdirSync(path.join(ws, "links"));
  fs.symlinkSync(path.join(ws, "keep.ts"), path.join(ws, "links", "keep.ts"));
  const [intoSrc, intoLinks, mapClash] = await Promise.all([
    // from inside src, --out . (spelled ./): src/mod.ts would be written onto itself
    jacc(path.join(ws, "src"), ["emit", "mod.ts", "other.ts", "--out", "./"]),
    // links/keep.ts is a link to the input keep.ts: writing "through" it would replace the input
    jacc(ws, ["emit", "keep.ts", "--out", "links"]),
    // the input src/mod.ts.map would be replaced by the output's map
    jacc(ws, ["emit", "src/mod.ts", "src/mod.ts.map", "--out", "."]),
  ]);
  for (const [r, re] of [[intoSrc, /refusing to overwrite input mod\.ts/], [intoLinks, /refusing to overwrite input keep\.ts/], [mapClash, /refusing to overwrite input src\/mod\.ts/]] as const) {
    assert.is(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, re);
    assert.match(r.stderr, /nothing written/);
  }
  assert.is(fs.readFileSync(path.join(ws, "src/mod.ts"), "utf8"), mod);
  assert.is(fs.readFileSync(path.join(ws, "src/mod.ts.map"), "utf8"), "{}\n");
  assert.is(fs.readFileSync(path.join(ws, "keep.ts"), "utf8"), mod);
  assert.equal(listFiles(ws), ["keep.ts", "src/mod.ts", "src/mod.ts.map", "src/other.ts"]);
  // --out inside the inputs' tree: a second run does not take the first run's outputs as inputs
  const first = await jacc(ws, ["emit", "src/**/*.ts", "--out", "src/out"]);
  const second = await jacc(ws, ["emit", "src/**/*.ts", "--out", "src/out"]);
  assert.is(first.code, 0, first.stderr);
  assert.is(second.code, 0, second.stderr);
  assert.equal(listFiles(path.join(ws, "src/out")), ["src/mod.ts", "src/mod.ts.map", "src/other.ts", "src/other.ts.map"]);
});

test("emit: a failing module among several: every failure reported, the others written, exit 1", async () => {
  const ws = workspace("failing", {
    "a.ts": grad(1),
    "b_bad.ts": `import { grad } from "jacc";\nexport function g(x: number) {\n  for (const k in [x]) { return x; }\n  return x;\n}\nexport const dg = grad(g);\n`,
    "c.ts": plain(3),
    "d_bad.ts": `import { jacrev } from "jacc";\nlet n = 0;\nexport function h(x: number) {\n  n += 1;\n  return x * x;\n}\nexport const dh = jacrev(h);\n`,
    "e.ts": grad(5),
  });
  // a dangling link is no file to the glob (tinyglobby), but named on the command line it is reported
  fs.symlinkSync(path.join(ws, "nowhere.ts"), path.join(ws, "c_dangling.ts"));
  const r = await jacc(ws, ["emit", "*.ts", "c_dangling.ts", "--out", "o"]);
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /^b_bad\.ts:3:3 - error jacc\(unsupported-construct\): .*`for…in`/m);
  assert.match(r.stderr, /c_dangling\.ts: no such file or directory/);
  assert.match(r.stderr, /^d_bad\.ts:4:3 - error jacc\(captured-write\)/m);
  assert.match(r.stderr, /3 modules written to o \(1 without markers\), 3 failed/);
  assert.equal(listFiles(path.join(ws, "o")), ["a.ts", "a.ts.map", "c.ts", "e.ts", "e.ts.map"]);
});

test.run();
