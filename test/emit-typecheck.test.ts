// Emitted TypeScript type-checks: every module of the fixture corpora (fixtures/tensor, vmap, constants,
// golden, fuzz-tensor and the tsc project's sources) compiled with target "ts" passes
// `tsc --noEmit --strict` (noImplicitAny included) as one program; every module jacc changed
// passes noUnusedLocals too (a module without markers is the user's text, as written). The modules live in memory inside the repository, so `import … from
// "jacc"` resolves to dist/runtime/index.d.ts as in a user's project.
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { test } from "uvu";
import { compileAndImport } from "./util/compile.js";
import * as assert from "uvu/assert";
import { compileModule, formatDiagnostic } from "../compiler/index.js";
import { repoRoot } from "./util/compile.js";

const dirs = ["fixtures/tensor", "fixtures/vmap", "fixtures/golden", "fixtures/fuzz-tensor", "fixtures/constants", "fixtures/records", "fixtures/projects/tsc/src"];
const out = path.join(repoRoot, ".tmp", "emit-typecheck");

/** Each source's emitted module, at the path it type-checks at (relative imports between them still resolve). */
const compiled = new Set<string>();
function emitAll(): Map<string, string> {
  const memory = new Map<string, string>();
  for (const d of dirs) {
    const dir = path.join(repoRoot, d);
    if (!fs.existsSync(dir)) continue;
    for (const f of fs.readdirSync(dir).filter((f) => f.endsWith(".ts") && !f.endsWith(".expected.ts")).sort()) {
      const file = path.join(dir, f);
      const r = compileModule(fs.readFileSync(file, "utf8"), file, { target: "ts" });
      assert.equal(r.diagnostics.map(formatDiagnostic), [], `${d}/${f} compiles`);
      memory.set(path.join(out, d, f), r.changed ? r.code : fs.readFileSync(file, "utf8")); // (a module without markers as written)
      if (r.changed) compiled.add(path.join(out, d, f));
    }
  }
  return memory;
}

function typeCheck(memory: Map<string, string>, extra: ts.CompilerOptions): string[] {
  const options: ts.CompilerOptions = {
    strict: true, noImplicitAny: true, noEmit: true, skipLibCheck: true, types: [],
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, ...extra,
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (f, lang, ...rest) => (memory.has(f) ? ts.createSourceFile(f, memory.get(f)!, lang, true) : getSourceFile.call(host, f, lang, ...rest));
  host.fileExists = (f) => memory.has(f) || fileExists.call(host, f);
  host.readFile = (f) => memory.get(f) ?? readFile.call(host, f);
  host.directoryExists = (d) => [...memory.keys()].some((f) => f.startsWith(d + path.sep)) || ts.sys.directoryExists(d);
  const program = ts.createProgram([...memory.keys()], options, host);
  const fmt: ts.FormatDiagnosticsHost = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => out, getNewLine: () => "\n" };
  return ts.getPreEmitDiagnostics(program).map((d) => ts.formatDiagnostic(d, fmt));
}

const emitted = emitAll();

test("emit --target ts: every fixture module type-checks under --strict (noImplicitAny)", () => {
  assert.ok(emitted.size >= 60, `only ${emitted.size} modules`);
  const errors = typeCheck(emitted, {});
  assert.equal(errors, [], errors.slice(0, 20).join("\n"));
});

test("emit --target ts: every compiled module also passes noUnusedLocals (no unused helper, local, store or import)", () => {
  assert.ok(compiled.size >= 50, `only ${compiled.size} compiled modules`);
  const errors = typeCheck(emitted, { noUnusedLocals: true }).filter((e) => [...compiled].some((f) => e.startsWith(path.relative(out, f))));
  assert.equal(errors, [], errors.slice(0, 20).join("\n"));
});

test("emit --target ts: a function only markers read is still read, imports only the markers used are gone", () => {
  const src = `import { grad, jacrev, type Tensor } from "jacc";\nconst f = (x: number) => x * x;\nexport const df = grad(f);\nexport const j = jacrev((x: Tensor) => x.exp());\n`;
  const r = compileModule(src, path.join(repoRoot, ".tmp", "unused.ts"), { target: "ts" });
  assert.match(r.code, /void \[f\];/);
  assert.match(r.code, /\/\* jacc: markers compiled \*\//); // the user's import line: grad, jacrev and Tensor all unread now
  const js = compileModule(src, path.join(repoRoot, ".tmp", "unused.ts"), { target: "js" });
  assert.match(js.code, /void \[f\];/); // the same program once types are stripped (test/plugins-consistency.test.ts)
});

test("emit --target ts: generated locals carry number and boolean types, not any", () => {
  const loop = emitted.get(path.join(out, "fixtures/golden/loop.ts"))!;
  assert.match(loop, /let n2: number = 0, tapeStart: number = 0/);
  assert.match(loop, /t: boolean = false/);
});

test("emit --target js: a jacc factory read only inside a marker's function is still imported (TypeScript elides what the user's text no longer reads)", async () => {
  const src = `import { vmap, grad, tensor, zeros as z, type Tensor } from "jacc";\nexport const f = vmap(grad((x: Tensor) => x.mul(tensor([2, 0], { dtype: "float64" })).add(z([2])).sum()));\n`;
  const js = compileModule(src, path.join(repoRoot, ".tmp", "factory-only.ts"), { target: "js" });
  assert.match(js.code, /import \{ tensor, zeros as z \} from "jacc";/);
  const m = await compileAndImport(src, "factory-only");
  const { tensor } = await import("jacc");
  assert.equal(Array.from(m.f(tensor([[1, 2], [3, 4]], { dtype: "float64" })).data), [2, 0, 2, 0]);
});

test.run();
