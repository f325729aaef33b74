// `jacc emit --with-checks`: next to each derivative module, a check file
// (<name>.check.ts / .check.js) that compares every generated derivative
// exported as `export const d = grad|jacrev|jacfwd|hessian(f, …)` with central
// finite differences of `f` (which the module must export too) at sample
// inputs written as literals at the top of the file, for the user to edit.
import path from "node:path";
import ts from "typescript";
import { parseModule, type SourceModule, tupleType } from "../compiler/index.js";
import { safeText } from "../compiler/emit/text.js";

const KINDS = new Set(["grad", "jacrev", "jacfwd", "hessian"]);

/** <dir>/m.ts → <dir>/m.check.ts (m.js → m.check.js). */
export function checkPathOf(output: string): string {
  const ext = path.extname(output);
  return output.slice(0, output.length - ext.length) + ".check" + ext;
}

interface Fn {
  params: { name: string; type: string }[];
  tuple: boolean;
}

/** A literal sample for a parameter type, or undefined when the type has none. */
function sample(type: string, k: number): string | undefined {
  const v = (i: number) => +(0.3 + 0.17 * (k + i) - 0.05 * ((k + i) % 3)).toFixed(4);
  const three = [0, 1, 2].map(v).join(", ");
  if (type === "number" || type === "") return String(v(0));
  if (type === "number[]" || type === "Array<number>" || type === "readonly number[]") return `[${three}]`;
  if (type === "Float64Array" || type === "Float32Array") return `new ${type}([${three}])`;
  if (type === "Tensor") return `tensor([${three}], { dtype: "float64" })`;
  return undefined;
}

function exportedFunctions(mod: SourceModule): Map<string, Fn> {
  const sf = mod.sf;
  const out = new Map<string, Fn>();
  const isExported = (n: ts.Node) => ts.getModifiers(n as ts.HasModifiers)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  const add = (name: string, f: ts.SignatureDeclarationBase) =>
    out.set(name, {
      params: f.parameters.map((p) => ({ name: p.name.getText(sf), type: p.type ? p.type.getText(sf) : p.initializer && ts.isNumericLiteral(p.initializer) ? "number" : "?" })),
      tuple: !!tupleType(f.type, mod), // (as the compiler reads it: `type V3 = [number, number, number]` is a tuple too)
    });
  for (const st of sf.statements) {
    if (!isExported(st)) continue;
    if (ts.isFunctionDeclaration(st) && st.name) add(st.name.text, st);
    if (ts.isVariableStatement(st))
      for (const d of st.declarationList.declarations) {
        const init = d.initializer;
        if (ts.isIdentifier(d.name) && init && (ts.isArrowFunction(init) || ts.isFunctionExpression(init))) add(d.name.text, init);
      }
  }
  return out;
}

/** argnums of an options literal (undefined: the default 0; null: not a literal). */
function argnumsOf(opts: ts.Expression | undefined): number | number[] | undefined | null {
  if (!opts || !ts.isObjectLiteralExpression(opts)) return undefined;
  for (const p of opts.properties) {
    if (!ts.isPropertyAssignment(p) || p.name.getText() !== "argnums") continue;
    const v = p.initializer;
    if (ts.isNumericLiteral(v)) return Number(v.text);
    if (ts.isArrayLiteralExpression(v) && v.elements.every(ts.isNumericLiteral)) return v.elements.map((e) => Number((e as ts.NumericLiteral).text));
    return null;
  }
  return undefined;
}

/** The check file's text for a compiled module, or undefined when it exports no derivative to check. */
export function checkFileFor(source: string, fileName: string, output: string, target: "ts" | "js", hasWgsl: boolean): string | undefined {
  const mod = parseModule(source, fileName);
  const sf = mod.sf;
  const fns = exportedFunctions(mod);
  const samples = new Map<string, string>();
  const checks: string[] = [];
  const skipped: string[] = [];
  const gpu: string[] = [];
  for (const st of sf.statements) {
    if (!ts.isVariableStatement(st) || !ts.getModifiers(st)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
    for (const d of st.declarationList.declarations) {
      const init = d.initializer;
      if (!ts.isIdentifier(d.name) || !init || !ts.isCallExpression(init) || !ts.isIdentifier(init.expression) || !KINDS.has(init.expression.text)) continue;
      const kind = init.expression.text;
      const what = `${d.name.text} = ${init.getText(sf).replace(/\s+/g, " ").slice(0, 60)}`;
      const fArg = init.arguments[0];
      const f = fArg && ts.isIdentifier(fArg) ? fns.get(fArg.text) : undefined;
      if (!f) {
        skipped.push(`${what}: its function is not an exported function of this module (export it to check it)`);
        continue;
      }
      const argnums = argnumsOf(init.arguments[1]);
      if (argnums === null) {
        skipped.push(`${what}: argnums is not a literal`);
        continue;
      }
      const name = (fArg as ts.Identifier).text;
      if (!samples.has(name)) {
        const lits = f.params.map((p, k) => sample(p.type, k));
        if (lits.some((l) => l === undefined)) {
          skipped.push(`${what}: no sample for a parameter of type ${f.params.find((p, k) => !lits[k])!.type}`);
          continue;
        }
        samples.set(name, `  ${name}: [${lits.join(", ")}], // ${safeText(f.params.map((p) => `${p.name}: ${p.type}`).join(", "))}`);
      }
      checks.push(
        `ok = checkDerivative({ name: ${JSON.stringify(what)}, kind: "${kind}", derivative: m.${d.name.text}, original: m.${name}, argnums: ${JSON.stringify(argnums)}, tupleOut: ${f.tuple}, args: samples.${name} }) && ok;`,
      );
      // a module with WGSL runs its Tensor code on the device of its inputs: the same derivative on WebGPU
      if (hasWgsl && f.params.some((p) => p.type === "Tensor")) gpu.push(`ok = (await checkCpuVsWebGPU(${JSON.stringify(what)}, m.${d.name.text}, samples.${name})) && ok;`);
    }
  }
  if (!checks.length && !skipped.length) return undefined;
  const base = path.basename(output);
  const run = target === "js" ? `node ${path.basename(checkPathOf(output))}` : `node --import jacc/register ${path.basename(checkPathOf(output))}`;
  const any = target === "ts" ? ": any" : "";
  return [
    // (the file's name in comments and the import through safeText / JSON: any characters stay text)
    `// Checks of ${safeText(base)}, written by \`jacc emit --with-checks\`: every generated`,
    `// derivative against central finite differences of the original function.`,
    `// Edit the sample inputs below. Run: ${safeText(run)} (exit status 1 on a mismatch).`,
    `import { checkDerivative${gpu.length ? ", checkCpuVsWebGPU" : ""} } from "jacc/checks";`,
    `import { tensor } from "jacc";`,
    `import * as m from ${JSON.stringify(`./${base}`)};`,
    `void tensor;`,
    ``,
    `// ---- sample inputs, one array of arguments per function (edit freely)`,
    `export const samples${any} = {`,
    ...samples.values(),
    `};`,
    ``,
    `let ok = true;`,
    ...checks,
    ...skipped.map((s) => `// skipped: ${safeText(s)}`),
    ...(gpu.length
      ? [`// CPU vs WebGPU (this module has WGSL): skipped, with a line saying why, where no WebGPU adapter is available`, ...gpu]
      : [`// CPU vs WebGPU: this module has no WGSL for Tensor code (when it has, checkCpuVsWebGPU from "jacc/checks" compares the two)`]),
    `process.exit(ok ? 0 : 1); // (exits even where a WebGPU device keeps the event loop alive)`,
    ``,
  ].join("\n");
}
