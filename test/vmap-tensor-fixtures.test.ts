// The tensor fixture corpus (fixtures/tensor) under vmap: every immediately
// applied function transform of a fixture — `jacrev(f, opts)(a, b)`,
// `jacfwd`, `grad`, `hessian` — is also compiled as
// `vmap(jacrev(f, opts))(batch(a), batch(b))` over a batch of three perturbed
// copies of its arguments, and each row of the batched result is compared with
// the same unbatched transform called on that row (the same generated code
// per row, so agreement is to rounding).
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Tensor } from "jacc";
import { compileAndImport, repoRoot } from "./util/compile.js";

const dir = path.join(repoRoot, "fixtures", "tensor");
const TRANSFORMS = new Set(["jacrev", "jacfwd", "grad", "hessian"]);
const ROWS = 3;

// Appended to each fixture: the batch of an argument (three perturbed copies) and its row b
// (a record's leaves each: vmap's inDims 0 batches every leaf of a record argument).
const HELPERS = `
import { stack as __stack, tensor as __tensor, Tensor as __T } from "jacc";
const __isRecord = (a: any): boolean => a !== null && typeof a === "object" && !(a instanceof __T) && !Array.isArray(a) && !ArrayBuffer.isView(a);
const __leaves = (a: any, f: (x: any) => any): any => Object.fromEntries(Object.entries(a).map(([k, x]) => [k, f(x)]));
const __perturb = (a: any, b: number): any =>
  __isRecord(a) ? __leaves(a, (x) => __perturb(x, b)) :
  a instanceof __T ? a.mul(1 - 0.1 * b).add(0.05 * b) : typeof a === "number" ? a * (1 - 0.1 * b) + 0.05 * b : Array.from(a as ArrayLike<number>, (v) => v * (1 - 0.1 * b) + 0.05 * b);
const __batch = (a: any): any =>
  __isRecord(a) ? __leaves(a, __batch) :
  a instanceof __T ? __stack([0, 1, 2].map((b) => __perturb(a, b))) : typeof a === "number" ? Float64Array.from([0, 1, 2], (b) => __perturb(a, b)) : __tensor([0, 1, 2].map((b) => __perturb(a, b)), { dtype: "float64" });
`;

interface Site { text: string; marker: string; args: string[] }

/** `T(f, opts)(args)` calls of the module, T a function transform. */
function sites(source: string): Site[] {
  const sf = ts.createSourceFile("f.ts", source, ts.ScriptTarget.ES2022, true);
  const out: Site[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) && ts.isCallExpression(n.expression) && ts.isIdentifier(n.expression.expression) && TRANSFORMS.has(n.expression.expression.text)) {
      const inner = n.expression;
      // the function must not read locals of an enclosing function (the appended code is at module level)
      let enclosed = false;
      for (let p: ts.Node | undefined = n.parent; p; p = p.parent) if (ts.isFunctionLike(p)) enclosed = true;
      if (!enclosed && n.arguments.length) out.push({ text: inner.getText(sf), marker: inner.expression.getText(sf), args: n.arguments.map((a) => a.getText(sf)) });
      return;
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

function flat(x: unknown): number[] {
  if (typeof x === "number") return [x];
  if (x instanceof Tensor) return Array.from(x.data);
  if (Array.isArray(x)) return x.flatMap(flat);
  if (x !== null && typeof x === "object") return Object.values(x).flatMap(flat); // a record's leaves, in order
  throw new Error(`unexpected value ${String(x)}`);
}

function rowOf(batched: unknown, b: number): unknown {
  if (batched instanceof Tensor) return batched.select(0, b);
  if (Array.isArray(batched)) return batched.map((x) => rowOf(x, b));
  if (batched !== null && typeof batched === "object") return Object.fromEntries(Object.entries(batched).map(([k, x]) => [k, rowOf(x, b)]));
  throw new Error(`not a batched value: ${String(batched)}`);
}

let checked = 0;
// fixtures whose transforms vmap does not batch, and why (a documented limit: README, "Not supported")
const UNBATCHED: Record<string, string> = { "68_tensor_lists.ts": "an array of Tensors as a differentiated input is not batched by vmap (a diagnostic)" };

for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".ts") && !(f in UNBATCHED)).sort()) {
  const source = fs.readFileSync(path.join(dir, file), "utf8");
  const found = sites(source);
  if (!found.length) continue;
  test(`vmap tensor fixture: ${file}`, async () => {
    const extra = found
      .map((s, k) => [
        `export const __vm${k} = vmap(${s.text})(${s.args.map((a) => `__batch(${a})`).join(", ")});`,
        // (the row index is \`__b\`: a fixture's own \`b\` may be an argument)
        `export const __row${k} = [0, 1, 2].map((__b) => ${s.text}(${s.args.map((a) => `__perturb(${a}, __b)`).join(", ")}));`,
      ].join("\n"))
      .join("\n");
    const text = `import { vmap } from "jacc";\n${source}\n${HELPERS}\n${extra}\n`;
    const m = await compileAndImport(text, `vmapfix-${file.replace(/\.ts$/, "")}`);
    const tol = file.includes("float32") ? 1e-5 : 1e-9;
    found.forEach((s, k) => {
      for (let b = 0; b < ROWS; b++) {
        const got = flat(rowOf(m[`__vm${k}`], b));
        const want = flat(m[`__row${k}`][b]);
        assert.is(got.length, want.length, `${file}: vmap(${s.text}) row ${b}: ${got.length} entries vs ${want.length}`);
        got.forEach((g, i) => {
          const w = want[i];
          const ok = Number.isNaN(w) ? Number.isNaN(g) : Math.abs(g - w) <= tol * (1 + Math.abs(w));
          if (!ok) assert.unreachable(`${file}: vmap(${s.text}) row ${b} entry ${i}: ${g} vs ${w}`);
        });
      }
      checked++;
    });
  });
}

test("the tensor fixtures' transforms were checked under vmap", () => {
  assert.ok(checked >= 40, `only ${checked} transforms of fixtures/tensor were checked under vmap`);
});

test.run();
