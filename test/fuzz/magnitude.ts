// The largest finite value a program computes at a point: the scale of the
// rounding that forward and reverse mode may legitimately disagree by.
//
// Reverse mode sums a variable's cotangent from each of its uses, forward mode
// sums tangents along each operation; the two orders round differently. Where
// a program computes (x − x)·H with H = 1.45e13 (a helper cubing twice), the
// reverse sweep adds +s·H and then −s·H into x's cotangent, and a smaller part
// added between them is lost to rounding: the error is up to eps·|s·H|, whatever
// the compiler does (PyTorch's reverse mode gives the same digits; seed
// 20350018 in test/fuzz/OPEN.md). Forward mode computes (dx − dx)·H = 0 exactly.
//
// The program is instrumented with the TypeScript API (each arithmetic result
// and call result is passed through a recorder), transpiled without jacc and
// run on a copy of the point.
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import { pathToFileURL } from "node:url";
import ts from "typescript";

const ARITHMETIC = new Set([
  ts.SyntaxKind.PlusToken, ts.SyntaxKind.MinusToken, ts.SyntaxKind.AsteriskToken, ts.SyntaxKind.SlashToken,
  ts.SyntaxKind.PercentToken, ts.SyntaxKind.AsteriskAsteriskToken,
  ts.SyntaxKind.PlusEqualsToken, ts.SyntaxKind.MinusEqualsToken, ts.SyntaxKind.AsteriskEqualsToken,
  ts.SyntaxKind.SlashEqualsToken, ts.SyntaxKind.PercentEqualsToken, ts.SyntaxKind.AsteriskAsteriskEqualsToken,
]);

const RECORDER = `
let __max = 0;
let __nonFinite = false;
function __num(x: number): void {
  if (!Number.isFinite(x)) __nonFinite = true;
  else if (Math.abs(x) > __max) __max = Math.abs(x);
}
function __rec(v: any): any {
  if (typeof v === "number") __num(v);
  else if (v && typeof v === "object" && (v.data instanceof Float64Array || v.data instanceof Float32Array)) {
    for (const x of v.data) __num(x);
  }
  return v;
}
export function __measure(run: () => unknown): { max: number; nonFinite: boolean } {
  __max = 0;
  __nonFinite = false;
  try { run(); } catch { /* f's own failures are reported by the checker */ }
  return { max: __max, nonFinite: __nonFinite };
}
`;

/** The module's text with every arithmetic result and call result recorded. */
export function instrument(source: string): string {
  const sf = ts.createSourceFile("program.ts", source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const wrap = (e: ts.Expression) => ts.factory.createCallExpression(ts.factory.createIdentifier("__rec"), undefined, [e]);
  const transformer: ts.TransformerFactory<ts.SourceFile> = (ctx) => {
    const visit = (node: ts.Node): ts.Node => {
      const out = ts.visitEachChild(node, visit, ctx);
      if (ts.isBinaryExpression(node) && ARITHMETIC.has(node.operatorToken.kind)) return wrap(out as ts.Expression);
      // (not a call used as a callee's receiver chain step that is a decorator, nor `super(...)`)
      if (ts.isCallExpression(node) && node.expression.kind !== ts.SyntaxKind.SuperKeyword) return wrap(out as ts.Expression);
      return out;
    };
    return (root) => ts.visitNode(root, visit) as ts.SourceFile;
  };
  const result = ts.transform(sf, [transformer]);
  const text = ts.createPrinter().printFile(result.transformed[0]);
  result.dispose();
  return text + RECORDER;
}

const modules = new Map<string, any>();

export interface Measure {
  /** the largest finite |value| of any arithmetic or call result */
  max: number;
  /** some such result was ±∞ or NaN (overflow.ts) */
  nonFinite: boolean;
}

/**
 * What `f` computes while it runs on `args` (copies; Tensors' elements count).
 * The module is compiled once per program and kept next to the checker's own.
 */
export async function measureAt(imports: string, source: string, outDir: string, args: () => unknown[]): Promise<Measure> {
  const text = `${imports}\n${instrument(source)}`;
  const key = crypto.createHash("sha1").update(text).digest("hex").slice(0, 16);
  let mod = modules.get(key);
  if (!mod) {
    const js = ts.transpileModule(text, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } }).outputText;
    fs.mkdirSync(outDir, { recursive: true });
    const file = path.join(outDir, `mag-${key}.mjs`);
    if (!fs.existsSync(file)) fs.writeFileSync(file, js);
    mod = await import(pathToFileURL(file).href);
    if (modules.size > 16) modules.clear();
    modules.set(key, mod);
  }
  return mod.__measure(() => mod.f(...args()));
}

/** The largest finite |value| of any arithmetic or call result while `f` runs on `args`. */
export async function magnitudeAt(imports: string, source: string, outDir: string, args: () => unknown[]): Promise<number> {
  return (await measureAt(imports, source, outDir, args)).max;
}
