// emit: after every marker is built and glued, the passes over the functions
// the markers reach (compiler/pipeline.ts), their JavaScript or TypeScript
// after the user's code, the runtime import on the first line (no line of the
// user's code moves, so source maps stay exact), the module's WGSL, and the
// user's text with its types stripped for the "js" target.
import ts from "typescript";
import type MagicString from "magic-string";
import { emitPrelude, JsEmitter, RT, templateText } from "../emit/js.js";
import { renderFused } from "../emit/fused-js.js";
import { kernelsForCode, RUNTIME_KERNELS } from "../emit/wgsl/index.js";
import type { SourceModule } from "../front/module.js";
import type { CompilePaths } from "../ad/jvp.js";
import { useStructuredTwins } from "../ad/structured.js";
import { FusedHelpers } from "../ir/fused.js";
import type { Fn } from "../ir/ir.js";
import { checkModule, runPasses } from "../pipeline.js";
import { type Collected, MARKERS } from "./collect.js";
import type { Glue } from "./glue.js";
import { reachable, transitiveCaptures } from "./graph.js";

export interface Emitted {
  code: string;
  map: ReturnType<MagicString["generateMap"]>;
  shaders: Record<string, string>;
}

/** The module's output: the passes over the functions the markers reach, their code after the user's glued text, the imports and the WGSL. */
export function emitModule({ mod, program }: Collected, g: Glue, fileName: string, options: { checkIR?: boolean; paths?: CompilePaths }): Emitted {
  const tsOut = g.tsOut;
  const checkIR = (after: string, m: ReadonlyMap<string, Fn>) => options.checkIR && checkModule(after, m, program.fns);
  const reachableFns = () => new Map(reachable(program.fns, [...g.roots]).map((f) => [f, program.fns.get(f)!]));
  checkIR("lowering and the AD transforms", reachableFns());
  // Drivers of straight-line tensor code run their structured twins (every transform is built by now).
  useStructuredTwins(program.fns);
  checkIR("the structured twins", reachableFns());
  // Emit every IR function the markers reach.
  const emitter = new JsEmitter({ ts: tsOut, file: fileName });
  emitter.tupleOf = (name) => {
    const f = program.fns.get(name)!;
    return f.tupleResult || f.results.length !== 1;
  };
  const order = reachable(program.fns, [...g.roots]);
  const caps = transitiveCaptures(program.fns, order);
  emitter.capsOf = (name) => caps.get(name) ?? [];
  // locals never shadow a generated function (or the runtime's names)
  const globalNames = new Set([...order, ...Object.values(RT)]);
  const helpers = new FusedHelpers();
  // Jacobian fusion, simplify, device numbers, elementwise fusion, names (compiler/pipeline.ts)
  const fused = runPasses(new Map(order.map((f) => [f, program.fns.get(f)!])), program.fns, {
    globalNames, fuse: options.paths?.fuse === false ? undefined : helpers, checkIR: options.checkIR,
  });
  const generated = order.map((f) => emitter.fn(fused.get(f)!)).join("\n\n");
  const fusedText = renderFused(helpers, tsOut);
  g.extraCode.push(...fusedText.code);
  return assemble(mod, g, fileName, { generated, usesRuntime: emitter.usesRuntime, kernels: fusedText.kernels });
}

/** The user's glued text with the runtime imports on its first line and the helpers after its imports, then the generated code and the WGSL. */
function assemble(mod: SourceModule, g: Glue, fileName: string, { generated, usesRuntime, kernels }: { generated: string; usesRuntime: boolean; kernels: Record<string, string> }): Emitted {
  const tsOut = g.tsOut;
  // after the leading imports: an import further down is hoisted, but the prelude must run before any user code
  const firstCode = mod.sf.statements.findIndex((st) => !ts.isImportDeclaration(st));
  const lastImport = (firstCode < 0 ? [...mod.sf.statements] : mod.sf.statements.slice(0, firstCode)).reverse().find((st) => ts.isImportDeclaration(st));
  const at = lastImport ? lastImport.getEnd() : 0;
  // on the first line, so that no line of the user's code moves (source maps stay exact)
  let tensorImport = usesRuntime || g.usesVmap ? `import * as __jt from "jacc/internal"; ` : "";
  let generatedPart = `\n\n// ---- jacc: generated derivative code (do not edit; regenerate with jacc)\n${generated}\n${g.extraCode.length ? `\n${g.extraCode.join("\n\n")}\n` : ""}`;
  // (the WGSL function is appended below, once the module's kernels are known)
  // (the user's text is parsed, the generated text, ours and large, only scanned: parsing it cost a fifth of compileModule)
  const userRead = identifiersRead(ts.createSourceFile("user.ts", g.s.toString(), ts.ScriptTarget.Latest, true, ts.ScriptKind.TS));
  const generatedReads = identifiersScanned(generatedPart);
  removeUnusedJaccImports(mod, g.s, new Set([...userRead, ...generatedReads]));
  // the functions only markers read are still read (a user's noUnusedLocals on the output; the same text
  // for both targets); the user's remaining text decides (a generated local of the same name is another variable)
  const unread = unreadDeclarations(mod.sf, userRead);
  if (unread.length) generatedPart += `\n// the functions the markers above differentiate (read here, so noUnusedLocals holds)\nvoid [${unread.join(", ")}];\n`;

  let code: string;
  // WebGPU: the WGSL kernels this module's tensor code can reach, registered on its first line (a hoisted function holds them)
  const shaders = { ...(usesTensors(mod.jaccImports, generatedPart, mod.jaccNamespaces.size > 0) ? kernelsForCode(g.s.toString() + generatedPart, mod.jaccImports) : {}), ...g.vmapShaders, ...kernels };
  const gpuPart = Object.keys(shaders).length ? wgslFunction(shaders, tsOut) : "";
  const gpuRegister = gpuPart ? `${usesRuntime || g.usesVmap ? "" : `import * as __jt from "jacc/internal"; `}__jt.gpuKernels(__jaccWgsl()); ` : "";
  tensorImport += gpuRegister;
  // the helpers the module uses (after the imports), and the Tensor class if they or the generated code name it
  const prelude = emitPrelude({ ts: tsOut, file: fileName }, g.s.toString() + generatedPart + gpuPart);
  g.s.appendRight(at, `${at ? "\n" : ""}${prelude}`);
  if (new RegExp(`\\b${RT.tensor}\\b`).test(prelude + generatedPart)) tensorImport = `import { Tensor as ${RT.tensor} } from "jacc/internal"; ` + tensorImport;
  // the runtime imports go first: type stripping must not elide them (only generated code uses them)
  if (tsOut) g.s.prepend(tensorImport);
  const map = g.s.generateMap({ hires: true, source: fileName, includeContent: true });
  if (tsOut) code = g.s.toString() + generatedPart + gpuPart;
  else {
    // Only the user's text needs its types stripped: the generated part is emitted as JavaScript.
    const out = ts.transpileModule(g.s.toString(), {
      fileName,
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, verbatimModuleSyntax: false, sourceMap: false, removeComments: false },
    });
    // TypeScript elides an import the user's text no longer reads as a value (`tensor` used only inside a marker's
    // function, now generated code): jacc's value imports the generated code reads are imported again
    const wanted = jaccValueImports(mod).filter(([local]) => generatedReads.has(local));
    const kept = wanted.length ? importedNames(out.outputText) : new Set<string>();
    const lost = wanted.filter(([local]) => !kept.has(local));
    if (lost.length) tensorImport += `import { ${lost.map(([local, exported]) => (local === exported ? local : `${exported} as ${local}`)).join(", ")} } from "jacc"; `;
    code = tensorImport + out.outputText.replace(/\n\/\/# sourceMappingURL=.*$/, "") + generatedPart;
    if (gpuPart) code += gpuPart;
    // TypeScript's emit keeps line structure for type-only removals: the map above stays a close approximation.
  }
  return { code, map, shaders };
}

/**
 * A module works with Tensors when it imports from "jacc" more than markers
 * (the Tensor type, factories, ops) or its generated code calls a tensor op.
 */
function usesTensors(imports: Map<string, string>, generated: string, namespaces = false): boolean {
  for (const exported of imports.values()) if (!MARKERS.has(exported)) return true;
  if (namespaces) return true; // (import * as jc from "jacc": its ops are jc.exp(…))
  for (const m of generated.matchAll(/__jt\.(\w+)\(/g)) if (!m[1].startsWith("ad") && m[1] in RUNTIME_KERNELS) return true;
  return false;
}

/** The module's WGSL as string constants in one hoisted function (the first line calls it before any user code runs). */
function wgslFunction(shaders: Record<string, string>, tsOut: boolean): string {
  // (template literals: a backquote, a backslash or "${" in a shader's comments must not end or interpolate them)
  const entries = Object.entries(shaders).map(([name, text]) => `    ${name}: \`\n${templateText(text)}\`,`);
  return [
    "",
    "// ---- jacc: WGSL compute shaders of this module's tensor ops (WebGPU); the runtime compiles them on first use",
    `function __jaccWgsl()${tsOut ? ": Record<string, string>" : ""} {`,
    "  return {",
    ...entries,
    "  };",
    "}",
    "",
  ].join("\n");
}

/** Drops marker imports whose every use was compiled, so bundles carry no stubs. */
/**
 * Drops the names imported from "jacc" that nothing reads once the markers are
 * replaced: the compiled markers, and ops or types used only inside the
 * replaced text (`jacobian((x: Tensor) => x.exp(), v)`), so the output passes
 * noUnusedLocals. Whatever the module's text after the replacements, or the
 * generated code, still names stays.
 */
function removeUnusedJaccImports(mod: SourceModule, s: MagicString, read: Set<string>): void {
  for (const st of mod.sf.statements) {
    if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier) || st.moduleSpecifier.text !== "jacc") continue;
    const nb = st.importClause?.namedBindings;
    if (!nb || !ts.isNamedImports(nb)) continue;
    const keep = nb.elements.filter((el) => read.has(el.name.text));
    if (keep.length === nb.elements.length) continue;
    if (keep.length === 0 && !st.importClause?.name) s.overwrite(st.getStart(mod.sf), st.getEnd(), `/* jacc: markers compiled */`);
    else if (keep.length === 0) s.overwrite(st.importClause!.name!.getEnd(), nb.getEnd(), "");
    else s.overwrite(nb.getStart(mod.sf), nb.getEnd(), `{ ${keep.map((el) => el.getText(mod.sf)).join(", ")} }`);
  }
}

/** The value bindings the module imports from "jacc" (not `type` ones): [local, exported]. */
function jaccValueImports(mod: SourceModule): [string, string][] {
  const out: [string, string][] = [];
  for (const st of mod.sf.statements) {
    if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier) || st.moduleSpecifier.text !== "jacc" || st.importClause?.isTypeOnly) continue;
    const nb = st.importClause?.namedBindings;
    if (nb && ts.isNamedImports(nb)) for (const el of nb.elements) if (!el.isTypeOnly) out.push([el.name.text, (el.propertyName ?? el.name).text]);
  }
  return out;
}

/** The names the transpiled module still imports (TypeScript keeps an import its text reads as a value). */
function importedNames(js: string): Set<string> {
  const sf = ts.createSourceFile("out.js", js, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
  const out = new Set<string>();
  for (const st of sf.statements) {
    const nb = ts.isImportDeclaration(st) ? st.importClause?.namedBindings : undefined;
    if (nb && ts.isNamedImports(nb)) for (const el of nb.elements) out.add(el.name.text);
  }
  return out;
}

/** The names a module reads: identifiers outside imports, other than property names and the names declarations bind. */
function identifiersRead(sf: ts.SourceFile): Set<string> {
  const read = new Set<string>();
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n)) return;
    const p = n.parent;
    const bound = p && (ts.isVariableDeclaration(p) || ts.isFunctionDeclaration(p) || ts.isParameter(p)) && p.name === n;
    if (ts.isIdentifier(n) && !bound && !(p && ts.isPropertyAccessExpression(p) && p.name === n)) read.add(n.text);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return read;
}

/**
 * The identifiers of generated text by its tokens, property names after `.`
 * left out (over-approximate where a generated declaration shares a user's
 * name: an import is then kept, never wrongly dropped).
 */
function identifiersScanned(text: string): Set<string> {
  const read = new Set<string>();
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, true, ts.LanguageVariant.Standard, text);
  let prev = ts.SyntaxKind.Unknown;
  const braces: number[] = []; // open braces inside each `${` of the templates being read
  for (let k = scanner.scan(); k !== ts.SyntaxKind.EndOfFileToken; k = scanner.scan()) {
    if (k === ts.SyntaxKind.TemplateHead) braces.push(0);
    else if (k === ts.SyntaxKind.OpenBraceToken && braces.length) braces[braces.length - 1]++;
    else if (k === ts.SyntaxKind.CloseBraceToken && braces.length) {
      // the `}` of a `${…}`: the template's text goes on (a middle part, or the tail that ends it)
      if (braces[braces.length - 1] > 0) braces[braces.length - 1]--;
      else if (scanner.reScanTemplateToken(false) === ts.SyntaxKind.TemplateTail) braces.pop();
    }
    if (k === ts.SyntaxKind.Identifier && prev !== ts.SyntaxKind.DotToken && prev !== ts.SyntaxKind.QuestionDotToken) read.add(scanner.getTokenValue());
    prev = k;
  }
  return read;
}

/**
 * The module-level functions and constants the source reads (a marker's
 * function, `grad(f)`) that the output no longer does: with the markers
 * replaced only the generated code stands for them, and a user's
 * noUnusedLocals would reject the declaration.
 */
function unreadDeclarations(sf: ts.SourceFile, readAfter: Set<string>): string[] {
  const readBefore = identifiersRead(sf);
  const exported = (st: ts.Statement) => ts.canHaveModifiers(st) && !!ts.getModifiers(st)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  const names: string[] = [];
  for (const st of sf.statements) {
    if (exported(st)) continue;
    if (ts.isFunctionDeclaration(st) && st.name) names.push(st.name.text);
    else if (ts.isVariableStatement(st)) for (const d of st.declarationList.declarations) if (ts.isIdentifier(d.name)) names.push(d.name.text);
  }
  return names.filter((n) => readBefore.has(n) && !readAfter.has(n));
}

