// Type annotations as jacc reads them: a type alias stands for the type it
// names (SPEC §3: `type V3 = [number, number, number]` declares a tuple
// output as surely as the tuple written out). Aliases are resolved as names
// are (module.ts): lexically, through relative imports and re-exports, without
// a type checker. Aliases of aliases, `readonly T`, `Readonly<T>` and
// parentheses are seen through; a generic alias is left as written.
import ts from "typescript";
import { loadImported, type SourceModule } from "./module.js";

/** A type with the module its names belong to (an alias may come from another module). */
export interface ResolvedType {
  type: ts.TypeNode;
  mod: SourceModule;
}

/** The type `type` stands for, aliases followed. */
export function resolveType(type: ts.TypeNode, mod: SourceModule): ResolvedType {
  const seen = new Set<ts.Node>(); // `type A = B; type B = A` ends here, not in a loop
  for (;;) {
    if (ts.isParenthesizedTypeNode(type) || (ts.isTypeOperatorNode(type) && type.operator === ts.SyntaxKind.ReadonlyKeyword)) {
      type = type.type;
      continue;
    }
    if (!ts.isTypeReferenceNode(type) || !ts.isIdentifier(type.typeName)) return { type, mod };
    const name = type.typeName.text;
    const alias = aliasNamed(name, type, mod, new Set());
    if (!alias) {
      if (name === "Readonly" && type.typeArguments?.length === 1) {
        type = type.typeArguments[0];
        continue;
      }
      return { type, mod };
    }
    if (alias.decl.typeParameters || type.typeArguments || seen.has(alias.decl)) return { type, mod };
    seen.add(alias.decl);
    ({ type } = alias.decl);
    mod = alias.mod;
  }
}

/** The tuple type `type` stands for, if it is one. */
export function tupleType(type: ts.TypeNode | undefined, mod: SourceModule): ResolvedType & { type: ts.TupleTypeNode } | undefined {
  if (!type) return undefined;
  const r = resolveType(type, mod);
  return ts.isTupleTypeNode(r.type) ? { type: r.type, mod: r.mod } : undefined;
}

type Alias = { decl: ts.TypeAliasDeclaration; mod: SourceModule };

/** The alias `name` visible at `from`: walking scopes outwards, then the module's imports. */
function aliasNamed(name: string, from: ts.Node, mod: SourceModule, seen: Set<string>): Alias | undefined {
  for (let n: ts.Node | undefined = from; n; n = n.parent) {
    // a type parameter of an enclosing function or alias shadows every alias of its name
    const params = (n as { typeParameters?: ts.NodeArray<ts.TypeParameterDeclaration> }).typeParameters;
    if (params?.some((p) => p.name.text === name) && n !== from) return undefined;
    if (!(ts.isSourceFile(n) || ts.isBlock(n) || ts.isModuleBlock(n))) continue;
    for (const st of n.statements) if (ts.isTypeAliasDeclaration(st) && st.name.text === name) return { decl: st, mod };
    if (ts.isSourceFile(n)) return importedAlias(name, n, mod, seen);
  }
  return undefined;
}

/** `import { V3 } from "./types"` (or `import type`): the alias that module exports as V3. */
function importedAlias(name: string, sf: ts.SourceFile, mod: SourceModule, seen: Set<string>): Alias | undefined {
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier)) continue;
    const nb = st.importClause?.namedBindings;
    const el = nb && ts.isNamedImports(nb) ? nb.elements.find((e) => e.name.text === name) : undefined;
    if (!el) continue;
    const from = loadImported(mod, st.moduleSpecifier.text);
    return from && exportedAlias((el.propertyName ?? el.name).text, from, seen);
  }
  return undefined;
}

/** The alias a module exports as `name`: declared there, exported by name, or re-exported from another module. */
function exportedAlias(name: string, mod: SourceModule, seen: Set<string>): Alias | undefined {
  const key = `${mod.fileName}#${name}`;
  if (seen.has(key)) return undefined;
  seen.add(key);
  for (const st of mod.sf.statements) if (ts.isTypeAliasDeclaration(st) && st.name.text === name) return { decl: st, mod };
  for (const st of mod.sf.statements) {
    if (!ts.isExportDeclaration(st) || !st.exportClause || !ts.isNamedExports(st.exportClause)) continue;
    const el = st.exportClause.elements.find((e) => e.name.text === name);
    if (!el) continue;
    const local = (el.propertyName ?? el.name).text;
    if (!st.moduleSpecifier) return aliasNamed(local, mod.sf, mod, seen);
    const from = ts.isStringLiteral(st.moduleSpecifier) ? loadImported(mod, st.moduleSpecifier.text) : undefined;
    return from && exportedAlias(local, from, seen);
  }
  return undefined;
}
