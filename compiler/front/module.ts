// Parsing and static name resolution. jacc resolves a marker's function and
// everything it calls lexically, without a type checker: declarations are
// found by walking scopes outwards, imports from "jacc" are markers or ops,
// and other imports are resolved as TypeScript resolves them and parsed from disk.
import ts from "typescript";
import fs from "node:fs";
import { resolveImport } from "./resolve.js";

export interface SourceModule {
  fileName: string;
  sf: ts.SourceFile;
  /** local name → name exported by "jacc" */
  jaccImports: Map<string, string>;
  /** local names of `import * as jc from "jacc"` */
  jaccNamespaces: Set<string>;
}

export type Decl =
  | { k: "function"; node: ts.FunctionLikeDeclaration; name: string; module: SourceModule }
  | { k: "var"; node: ts.VariableDeclaration; name: string; module: SourceModule; moduleLevel: boolean; isConst: boolean }
  | { k: "param"; node: ts.ParameterDeclaration; name: string; module: SourceModule }
  | { k: "jacc"; exported: string; module: SourceModule }
  | { k: "jaccNamespace"; module: SourceModule }
  | { k: "import"; spec: string; exported: string; node: ts.Node; module: SourceModule }
  /** `import * as models from "./models"`: its members are imports (namespaceMember) */
  | { k: "namespace"; spec: string; module: SourceModule };

const cache = new Map<string, { mtime: number; mod: SourceModule }>();

export function parseModule(source: string, fileName: string): SourceModule {
  const kind = /\.[cm]?tsx$|\.jsx$/.test(fileName) ? ts.ScriptKind.TSX : fileName.endsWith(".js") || fileName.endsWith(".mjs") ? ts.ScriptKind.JS : ts.ScriptKind.TS;
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, true, kind);
  const jaccImports = new Map<string, string>();
  const jaccNamespaces = new Set<string>();
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st) && ts.isStringLiteral(st.moduleSpecifier) && st.moduleSpecifier.text === "jacc") {
      const nb = st.importClause?.namedBindings;
      if (nb && ts.isNamedImports(nb)) {
        for (const el of nb.elements) jaccImports.set(el.name.text, (el.propertyName ?? el.name).text);
      } else if (nb && ts.isNamespaceImport(nb)) jaccNamespaces.add(nb.name.text);
    }
  }
  return { fileName, sf, jaccImports, jaccNamespaces };
}

/** Parses an imported module from disk (found as TypeScript resolves it: resolve.ts), or undefined. */
export function loadImported(from: SourceModule, spec: string): SourceModule | undefined {
  const file = resolveImport(from.fileName, spec);
  if (!file) return undefined;
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    return undefined;
  }
  const hit = cache.get(file);
  if (hit && hit.mtime === st.mtimeMs) return hit.mod;
  const mod = parseModule(fs.readFileSync(file, "utf8"), file);
  cache.set(file, { mtime: st.mtimeMs, mod });
  return mod;
}

function bindingNames(name: ts.BindingName, out: ts.Identifier[]): void {
  if (ts.isIdentifier(name)) out.push(name);
  else for (const el of name.elements) if (!ts.isOmittedExpression(el)) bindingNames(el.name, out);
}

function declInStatements(stmts: readonly ts.Statement[], name: string, mod: SourceModule, moduleLevel: boolean): Decl | undefined {
  for (const st of stmts) {
    if (ts.isFunctionDeclaration(st) && st.name?.text === name && st.body) return { k: "function", node: st, name, module: mod };
    if (ts.isVariableStatement(st)) {
      const isConst = (st.declarationList.flags & ts.NodeFlags.Const) !== 0;
      for (const d of st.declarationList.declarations) {
        const ids: ts.Identifier[] = [];
        bindingNames(d.name, ids);
        if (!ids.some((i) => i.text === name)) continue;
        if (ts.isIdentifier(d.name) && d.initializer && isConst) {
          const init = skipParens(d.initializer);
          if (ts.isArrowFunction(init) || ts.isFunctionExpression(init)) return { k: "function", node: init, name, module: mod };
        }
        return { k: "var", node: d, name, module: mod, moduleLevel, isConst };
      }
    }
    if (ts.isImportDeclaration(st) && moduleLevel && ts.isStringLiteral(st.moduleSpecifier)) {
      const nb = st.importClause?.namedBindings;
      if (nb && ts.isNamespaceImport(nb) && nb.name.text === name) return st.moduleSpecifier.text === "jacc" ? { k: "jaccNamespace", module: mod } : { k: "namespace", spec: st.moduleSpecifier.text, module: mod };
      if (nb && ts.isNamedImports(nb)) {
        for (const el of nb.elements) {
          if (el.name.text !== name) continue;
          const exported = (el.propertyName ?? el.name).text;
          if (st.moduleSpecifier.text === "jacc") return { k: "jacc", exported, module: mod };
          return { k: "import", spec: st.moduleSpecifier.text, exported, node: el, module: mod };
        }
      }
    }
  }
  return undefined;
}

/** jacc's exports that are objects of functions (torch.linalg's). */
const JACC_NAMESPACES = new Set(["linalg"]);

/**
 * The name a callee has among jacc's exports: `grad` imported by name (or renamed), or
 * `jc.grad` through `import * as jc from "jacc"`, `linalg.solve`; undefined for anything else.
 */
export function jaccExportOf(callee: ts.Expression, lookup: (name: string, at: ts.Node) => { k: string } | undefined): string | undefined {
  const e = skipParens(callee);
  if (ts.isIdentifier(e)) {
    const d = lookup(e.text, e);
    return d && d.k === "jacc" ? (d as Extract<Decl, { k: "jacc" }>).exported : undefined;
  }
  if (ts.isPropertyAccessExpression(e) && ts.isIdentifier(e.name)) {
    // jc.exp; a namespace object of jacc's (linalg.solve, jc.linalg.solve) gives "linalg.solve"
    const inner = skipParens(e.expression);
    if (ts.isIdentifier(inner)) {
      const d = lookup(inner.text, inner);
      if (d && d.k === "jaccNamespace") return e.name.text;
    }
    const owner = jaccExportOf(inner, lookup);
    return owner !== undefined && JACC_NAMESPACES.has(owner) ? `${owner}.${e.name.text}` : undefined;
  }
  return undefined;
}

export function skipParens(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isNonNullExpression(e) || ts.isSatisfiesExpression(e) || ts.isTypeAssertionExpression(e)) e = e.expression;
  return e;
}

/** Finds the declaration `name` refers to at `from`, walking scopes outwards. */
export function findDeclaration(name: string, from: ts.Node, mod: SourceModule): Decl | undefined {
  let n: ts.Node | undefined = from;
  while (n) {
    if (ts.isSourceFile(n)) return declInStatements(n.statements, name, mod, true);
    if (ts.isBlock(n) || ts.isModuleBlock(n) || ts.isCaseClause(n) || ts.isDefaultClause(n)) {
      const d = declInStatements(n.statements, name, mod, false);
      if (d) return d;
    }
    if (ts.isFunctionLike(n)) {
      for (const p of (n as ts.SignatureDeclaration).parameters) {
        const ids: ts.Identifier[] = [];
        bindingNames(p.name, ids);
        if (ids.some((i) => i.text === name)) return { k: "param", node: p, name, module: mod };
      }
      if ((ts.isFunctionExpression(n) || ts.isFunctionDeclaration(n)) && n.name?.text === name && n.body) return { k: "function", node: n, name, module: mod };
    }
    if ((ts.isForStatement(n) || ts.isForOfStatement(n) || ts.isForInStatement(n)) && n.initializer && ts.isVariableDeclarationList(n.initializer)) {
      for (const d of n.initializer.declarations) {
        const ids: ts.Identifier[] = [];
        bindingNames(d.name, ids);
        if (ids.some((i) => i.text === name)) return { k: "var", node: d, name, module: mod, moduleLevel: false, isConst: false };
      }
    }
    n = n.parent;
  }
  return undefined;
}

/** The exported declaration `name` of a module (function or variable). */
export function findExport(mod: SourceModule, name: string): Decl | undefined {
  for (const st of mod.sf.statements) {
    if (ts.isExportDeclaration(st) && st.exportClause && ts.isNamedExports(st.exportClause) && !st.moduleSpecifier) {
      for (const el of st.exportClause.elements) {
        if (el.name.text === name) return declInStatements(mod.sf.statements, (el.propertyName ?? el.name).text, mod, true);
      }
    }
  }
  const d = declInStatements(mod.sf.statements, name, mod, true);
  return d;
}

/** `models.loss` where `models` is a namespace import of another module: the import of that member. */
export function namespaceMember(e: ts.Expression, lookup: (name: string, at: ts.Node) => unknown): Extract<Decl, { k: "import" }> | undefined {
  if (!ts.isPropertyAccessExpression(e) || !ts.isIdentifier(e.expression)) return undefined;
  const d = lookup(e.expression.text, e) as Decl | undefined;
  return d && d.k === "namespace" ? { k: "import", spec: d.spec, exported: e.name.text, node: e, module: d.module } : undefined;
}

export function locOf(node: ts.Node): { file: string; line: number; col: number } {
  const sf = node.getSourceFile();
  const { line, character } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
  return { file: sf.fileName, line: line + 1, col: character + 1 };
}
