// `jacc emit --with-checks`: the check files written next to derivative
// modules run under plain node (--target js), print one line per derivative
// and pass on correct code (a hand-written module and fixtures of
// fixtures/scalar with markers appended); a derivative made wrong in the
// emitted module makes its check fail with exit status 1.
import { test } from "uvu";
import * as assert from "uvu/assert";
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import ts from "typescript";
import { repoRoot } from "./util/compile.js";
import { checkFileFor } from "../cli/checks.js";
import { env, jacc, listFiles, workspace } from "./util/cli.js";

const ARM = `import { grad, jacrev, jacfwd, hessian, type Tensor } from "jacc";
const L = [1, 0.5, 0.25];
export function arm(q: number[]): [number, number] {
  let x = 0, y = 0, th = 0;
  for (let i = 0; i < q.length; i++) { th += q[i]; x += L[i] * Math.cos(th); y += L[i] * Math.sin(th); }
  return [x, y];
}
export const f = (x1: number, x2: number): number => Math.sin(x1) * x2 ** 3;
export const rosen = (x: number[]) => { let s = 0; for (let i = 0; i + 1 < x.length; i++) s += 100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2; return s; };
export const soft = (x: Tensor) => x.exp().div(x.exp().sum()).mul(x).sum();
export const Jarm = jacrev(arm);
export const df = grad(f, { argnums: [0, 1] });
export const jf = jacfwd(f, { argnums: 1 });
export const hr = hessian(rosen);
export const hf = hessian(f, { argnums: [0, 1] });
export const gs = grad(soft);
const hidden = (x: number) => x * x;
export const dh = grad(hidden);
`;

/** A scalar fixture with jacrev and jacfwd of each exported function of number / number[] parameters appended. */
function withMarkers(file: string): string {
  const text = fs.readFileSync(path.join(repoRoot, "fixtures", "scalar", file), "utf8");
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const extra: string[] = [];
  for (const st of sf.statements) {
    if (!ts.isFunctionDeclaration(st) || !st.name || !ts.getModifiers(st)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
    if (!st.parameters.every((p) => p.type && /^(number|number\[\])$/.test(p.type.getText(sf)))) continue;
    const all = `{ argnums: [${st.parameters.map((_, i) => i).join(", ")}] }`;
    extra.push(`export const __jr_${st.name.text} = jacrev(${st.name.text}, ${all});`, `export const __jf_${st.name.text} = jacfwd(${st.name.text}, ${all});`);
  }
  return `import { jacrev, jacfwd } from "jacc";\n${text}\n${extra.join("\n")}\n`;
}

test("emit --with-checks: a tuple output declared through a type alias is checked as a tuple (SPEC §3)", () => {
  const src = `import { jacrev } from "jacc";\ntype V2 = [number, number];\ntype Out = Readonly<V2>;\nexport const f = (x: number): Out => [x, x * x];\nexport const v = (x: number): number[] => [x, x * x];\nexport const jf = jacrev(f);\nexport const jv = jacrev(v);\n`;
  const text = checkFileFor(src, path.join(repoRoot, ".tmp", "alias.ts"), path.join(repoRoot, ".tmp", "out", "alias.js"), "js", false)!;
  assert.match(text, /derivative: m\.jf, original: m\.f, argnums: undefined, tupleOut: true/);
  assert.match(text, /derivative: m\.jv, original: m\.v, argnums: undefined, tupleOut: false/);
});

const FIXTURES = ["robot_arm.ts", "rosenbrock.ts", "math_trig.ts", "math_exp_log.ts"];
const run = (file: string) => spawnSync(process.execPath, [file], { encoding: "utf8", env, cwd: path.dirname(file) });

test("emit --with-checks --target js: check files run under node, one line per derivative, all pass", async () => {
  const files: Record<string, string> = { "src/arm.ts": ARM };
  for (const f of FIXTURES) files[`src/fx/${f}`] = withMarkers(f);
  const ws = workspace("checks", files);
  const r = await jacc(ws, ["emit", "src/**/*.ts", "--with-checks", "--target", "js", "--out", "o"]);
  assert.is(r.code, 0, r.stderr);
  const out = listFiles(path.join(ws, "o"));
  for (const f of ["src/arm.check.js", ...FIXTURES.map((f) => `src/fx/${f.replace(/\.ts$/, ".check.js")}`)]) assert.ok(out.includes(f), `${f} written: ${out.join(" ")}`);
  const arm = fs.readFileSync(path.join(ws, "o/src/arm.check.js"), "utf8");
  assert.match(arm, /^export const samples = \{$/m, "editable samples at the top");
  assert.match(arm, /^  rosen: \[\[0\.3, 0\.42, 0\.54\]\], \/\/ x: number\[\]$/m);
  assert.match(arm, /^\/\/ skipped: dh = grad\(hidden\): its function is not an exported function/m);
  // the module has WGSL (soft's Tensor code): its Tensor derivative is also compared on WebGPU, or skipped with a reason
  assert.match(arm, /^ok = \(await checkCpuVsWebGPU\("gs = grad\(soft\)", m\.gs, samples\.soft\)\) && ok;$/m);
  const ran = run(path.join(ws, "o/src/arm.check.js"));
  assert.is(ran.status, 0, ran.stdout + ran.stderr);
  assert.match(ran.stdout, /^(ok {3}|skip )gs = grad\(soft\): CPU vs WebGPU/m);
  const lines = ran.stdout.trim().split("\n").filter((l) => !/CPU vs WebGPU/.test(l));
  assert.equal(lines.map((l) => l.split(":")[0]), ["ok   Jarm = jacrev(arm)", "ok   df = grad(f, { argnums", "ok   jf = jacfwd(f, { argnums", "ok   hr = hessian(rosen)", "ok   hf = hessian(f, { argnums", "ok   gs = grad(soft)"]);
  for (const f of FIXTURES) {
    const fr = run(path.join(ws, "o/src/fx", f.replace(/\.ts$/, ".check.js")));
    assert.is(fr.status, 0, `${f}:\n${fr.stdout}${fr.stderr}`);
    assert.ok(/^ok {3}__jr_/m.test(fr.stdout) && /^ok {3}__jf_/m.test(fr.stdout) && !/FAIL/.test(fr.stdout), `${f}:\n${fr.stdout}`);
  }
  // the ts target writes .check.ts beside .ts
  const t = await jacc(ws, ["emit", "src/arm.ts", "--with-checks", "--out", "ots"]);
  assert.is(t.code, 0, t.stderr);
  assert.equal(listFiles(path.join(ws, "ots")).filter((f) => !f.endsWith(".wgsl")), ["src/arm.check.ts", "src/arm.ts", "src/arm.ts.map"]);
  assert.match(fs.readFileSync(path.join(ws, "ots/src/arm.check.ts"), "utf8"), /node --import jacc\/register arm\.check\.ts/);
});

test("emit --with-checks: a wrong derivative in the emitted module fails its check (exit 1), the others still pass", async () => {
  const ws = workspace("checks-wrong", { "arm.ts": ARM });
  const r = await jacc(ws, ["emit", "arm.ts", "--with-checks", "--target", "js", "--out", "o"]);
  assert.is(r.code, 0, r.stderr);
  const mod = path.join(ws, "o/arm.js");
  const text = fs.readFileSync(mod, "utf8");
  const wrong = text.replace(/^export const jf = (\w+);$/m, "export const jf = (...a) => 1.001 * $1(...a);");
  assert.not.equal(wrong, text, "the emitted module exports jf as a generated function");
  fs.writeFileSync(mod, wrong);
  const ran = run(path.join(ws, "o/arm.check.js"));
  assert.is(ran.status, 1, ran.stdout + ran.stderr);
  assert.match(ran.stdout, /^FAIL jf = jacfwd\(f, \{ argnums: 1 \}\): 1 value\(s\), max relative error .* \(finite differences\)$/m);
  assert.is((ran.stdout.match(/^ok .*finite|^ok .*max relative/gm) ?? []).length, 5, ran.stdout);
  // the samples are the user's to edit: a different point, still checked
  const check = path.join(ws, "o/arm.check.js");
  fs.writeFileSync(check, fs.readFileSync(check, "utf8").replace("  f: [0.3, 0.42],", "  f: [-1.25, 2],"));
  fs.writeFileSync(mod, text);
  const edited = run(check);
  assert.is(edited.status, 0, edited.stdout + edited.stderr);
});

test.run();
