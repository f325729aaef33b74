// The tensor fixture corpus against PyTorch.
//
// Every file in fixtures/tensor/*.ts is a small module that uses jacc's
// markers on tensor functions and exports named results (and optionally
// `tolerance`, default 1e-6; float32 fixtures use 1e-4). Its PyTorch twin in
// fixtures/tensor/make_expected.py computes the same quantities with
// torch.autograd.functional / functorch and writes fixtures/tensor/expected.json
// (committed; the test never needs PyTorch). For each fixture the harness
// compiles the module with jacc, imports it, and compares every export with the
// expected entry: first its STRUCTURE (SPEC §3: a number "n" or a Tensor
// "T64[...]"/"T32[...]" whose shape is out.shape ++ in.shape and whose dtype is
// the input's in reverse mode and the output's in forward mode, arrays for
// tuples), then its values (|a − e| ≤ tol + tol·|e|).
//
// One uvu test per export, so a failure names the fixture and the result; the
// module is compiled and imported once per fixture. If the whole module fails
// to compile or import (a diagnostic, a compiler crash, an export that throws
// while the module is evaluated), each export is retried in a variant of the
// module without the other exported results, so the failure is pinned to the
// exports that cause it and the others are still checked.
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { compileAndImport, repoRoot } from "./util/compile.js";

const dir = path.join(repoRoot, "fixtures", "tensor");
const expected: Record<string, Record<string, { kind: string; data: unknown }>> = JSON.parse(
  fs.readFileSync(path.join(dir, "expected.json"), "utf8"),
);
const files = fs.readdirSync(dir).filter((f) => f.endsWith(".ts")).sort();
const CONFIG = new Set(["tolerance"]);

/** The structure of a value, in the notation of make_expected.py and the conformance cases. */
function kind(v: unknown): string {
  if (typeof v === "number") return "n";
  if (typeof v === "boolean") return "b";
  if (typeof v === "string") return "s";
  if (v !== null && typeof v === "object" && typeof (v as { toArray?: unknown }).toArray === "function") {
    const t = v as { dtype: string; shape: ArrayLike<number> };
    return `T${String(t.dtype).replace("float", "")}[${Array.from(t.shape).join(",")}]`;
  }
  if (ArrayBuffer.isView(v)) return `[${Array.from(v as unknown as ArrayLike<number>, () => "n").join(",")}]`;
  if (Array.isArray(v)) return `[${v.map(kind).join(",")}]`;
  if (v !== null && typeof v === "object") return `{${Object.keys(v).map((k) => `${k}:${kind((v as Record<string, unknown>)[k])}`).join(",")}}`;
  return String(v);
}

/** Nested arrays of numbers (tensors as toArray(), 0-d tensors as numbers), non-finite numbers as strings. */
function plain(v: unknown): unknown {
  if (typeof v === "number") return Number.isFinite(v) ? v : String(v);
  if (v === null || v === undefined || typeof v !== "object") return v;
  if (typeof (v as { toArray?: unknown }).toArray === "function") {
    const t = v as { toArray(): unknown; shape: readonly number[] };
    const a = t.toArray();
    return plain(t.shape.length === 0 && (Array.isArray(a) || ArrayBuffer.isView(a)) ? (a as ArrayLike<number>)[0] : a);
  }
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>, (x) => plain(x));
  if (Array.isArray(v)) return v.map(plain);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
}

/** Mismatches between expected and actual data (paths like [1][0][2]). */
function compare(e: unknown, a: unknown, tol: number, at = ""): string[] {
  if (typeof e === "number") {
    if (typeof a !== "number") return [`${at}: got ${JSON.stringify(a)}, expected ${e}`];
    return Math.abs(a - e) <= tol + tol * Math.abs(e) ? [] : [`${at}: got ${a}, expected ${e}`];
  }
  if (Array.isArray(e)) {
    if (!Array.isArray(a)) return [`${at}: got ${JSON.stringify(a)?.slice(0, 60)}, expected an array of ${e.length}`];
    if (a.length !== e.length) return [`${at}: got an array of ${a.length}, expected ${e.length}`];
    return e.flatMap((x, i) => compare(x, a[i], tol, `${at}[${i}]`));
  }
  if (e !== null && typeof e === "object") {
    if (a === null || typeof a !== "object") return [`${at}: expected an object`];
    return Object.keys(e).flatMap((k) => compare((e as Record<string, unknown>)[k], (a as Record<string, unknown>)[k], tol, `${at}.${k}`));
  }
  return e === a ? [] : [`${at}: got ${JSON.stringify(a)}, expected ${JSON.stringify(e)}`];
}

type Loaded = { mod: Record<string, unknown> } | { error: string };
const errorOf = (e: unknown) => (e instanceof Error ? e.message : String(e));
const importSource = (src: string, name: string): Promise<Loaded> =>
  compileAndImport<Record<string, unknown>>(src, name).then((mod) => ({ mod }), (e: unknown) => ({ error: errorOf(e) }));

/** The fixture's source without the exported result declarations other than `keep` (config exports stay). */
function onlyExport(src: string, keep: string): string {
  const sf = ts.createSourceFile("fixture.ts", src, ts.ScriptTarget.ES2022, true);
  const cuts: [number, number][] = [];
  for (const st of sf.statements) {
    if (!ts.isVariableStatement(st) || !st.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
    const names = st.declarationList.declarations.map((d) => d.name.getText(sf));
    if (names.every((n) => n !== keep && !CONFIG.has(n))) cuts.push([st.getStart(sf), st.getEnd()]);
  }
  let out = src;
  for (const [a, b] of cuts.reverse()) out = out.slice(0, a) + out.slice(b);
  return out;
}

const loaded = new Map<string, Promise<Loaded>>();
/** The whole fixture module (key ""), or, if that fails, a variant with only one export. */
function load(name: string, file: string, key = ""): Promise<Loaded> {
  const id = `${name}|${key}`;
  let p = loaded.get(id);
  if (!p) {
    const src = fs.readFileSync(file, "utf8");
    p = key === ""
      ? importSource(src, `fx-tensor-${name}`)
      : load(name, file).then((whole) => ("mod" in whole ? whole : importSource(onlyExport(src, key), `fx-tensor-${name}-${key}`)));
    loaded.set(id, p);
  }
  return p;
}

test("fixtures: at least 25 tensor fixtures, each with an entry in expected.json and vice versa", () => {
  const names = files.map((f) => f.replace(/\.ts$/, ""));
  assert.ok(names.length >= 25, `only ${names.length} fixtures`);
  assert.equal(names.filter((n) => !(n in expected)), [], "fixtures without expected values (run /usr/bin/python3 fixtures/tensor/make_expected.py)");
  assert.equal(Object.keys(expected).filter((n) => !names.includes(n)), [], "expected.json has entries for missing fixtures");
});

for (const file of files) {
  const name = file.replace(/\.ts$/, "");
  const want = expected[name] ?? {};
  const full = path.join(dir, file);

  test(`tensor/${name}: compiles, imports and exports exactly the expected results`, async () => {
    const r = await load(name, full);
    if ("error" in r) assert.unreachable(`${name} does not compile or import:\n${r.error}`);
    const mod = (r as { mod: Record<string, unknown> }).mod;
    const exported = Object.keys(mod).filter((k) => !CONFIG.has(k) && typeof mod[k] !== "function").sort();
    assert.equal(exported, Object.keys(want).sort(), "exported results vs expected.json");
  });

  for (const [key, exp] of Object.entries(want)) {
    test(`tensor/${name}: ${key} ${exp.kind}`, async () => {
      const r = await load(name, full, key);
      if ("error" in r) assert.unreachable(`${name} with only the export ${key} does not compile or import:\n${r.error.split("\n").slice(0, 6).join("\n")}`);
      const mod = (r as { mod: Record<string, unknown> }).mod;
      const tol = typeof mod.tolerance === "number" ? mod.tolerance : 1e-6;
      const actual = mod[key];
      const k = kind(actual);
      assert.is(k, exp.kind, `${name}.${key}: structure ${k}, expected ${exp.kind} (SPEC §3: shape out.shape ++ in.shape, dtype, arrays for tuples)`);
      const bad = compare(exp.data, plain(actual), tol);
      assert.ok(bad.length === 0, `${name}.${key}: ${bad.length} mismatch(es) (tol ${tol})\n  ${bad.slice(0, 6).join("\n  ")}`);
    });
  }
}

test.run();
