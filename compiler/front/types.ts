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

/** A property of a record type: its name and declared type, in the module the type was written. */
export interface Member { name: string; type: ts.TypeNode; mod: SourceModule; node: ts.Node }

/**
 * The properties of a record type (a type literal, or an interface with its
 * `extends`, aliases followed), a string saying why it is not one jacc can
 * read (a method, an optional or computed property), or undefined when the
 * type is no record at all.
 */
export function recordMembers(type: ts.TypeNode, mod: SourceModule): Member[] | string | undefined {
  const r = resolveType(type, mod);
  if (ts.isTypeLiteralNode(r.type)) return membersOf(r.type.members, r.mod);
  if (!ts.isTypeReferenceNode(r.type) || !ts.isIdentifier(r.type.typeName) || r.type.typeArguments) return undefined;
  const decl = declNamed(r.type.typeName.text, r.type, r.mod, new Set(), ts.isInterfaceDeclaration);
  return decl && interfaceMembers(decl.decl, decl.mod, new Set());
}

function interfaceMembers(decl: ts.InterfaceDeclaration, mod: SourceModule, seen: Set<ts.Node>): Member[] | string {
  if (decl.typeParameters) return `\`${decl.name.text}\` is generic`;
  if (seen.has(decl)) return `\`${decl.name.text}\` extends itself`;
  seen.add(decl);
  const out: Member[] = [];
  for (const h of decl.heritageClauses ?? []) {
    for (const base of h.types) {
      const b = ts.isIdentifier(base.expression) && !base.typeArguments ? declNamed(base.expression.text, base, mod, new Set(), ts.isInterfaceDeclaration) : undefined;
      if (!b) return `it extends \`${base.getText()}\``;
      const inherited = interfaceMembers(b.decl, b.mod, seen);
      if (typeof inherited === "string") return inherited;
      out.push(...inherited.filter((m) => !decl.members.some((own) => own.name?.getText() === m.name)));
    }
  }
  const own = membersOf(decl.members, mod);
  return typeof own === "string" ? own : [...out, ...own];
}

function membersOf(members: ts.NodeArray<ts.TypeElement>, mod: SourceModule): Member[] | string {
  const out: Member[] = [];
  for (const m of members) {
    if (!ts.isPropertySignature(m)) return `it has ${ts.isMethodSignature(m) ? `the method \`${m.name.getText()}\`` : `\`${m.getText()}\``}`;
    if (!(ts.isIdentifier(m.name) || ts.isStringLiteral(m.name))) return `its property \`${m.name.getText()}\` is computed`;
    if (m.questionToken) return `its property \`${m.name.text}\` is optional`;
    if (!m.type) return `its property \`${m.name.text}\` has no type`;
    out.push({ name: m.name.text, type: m.type, mod, node: m });
  }
  return out;
}

type Alias = { decl: ts.TypeAliasDeclaration; mod: SourceModule };

/** The alias `name` visible at `from`: walking scopes outwards, then the module's imports. */
function aliasNamed(name: string, from: ts.Node, mod: SourceModule, seen: Set<string>): Alias | undefined {
  return declNamed(name, from, mod, seen, ts.isTypeAliasDeclaration);
}

/** The declaration `name` of one kind (an alias, an interface) visible at `from`, the same way. */
function declNamed<D extends ts.Statement>(name: string, from: ts.Node, mod: SourceModule, seen: Set<string>, is: (st: ts.Node) => st is D): { decl: D; mod: SourceModule } | undefined {
  for (let n: ts.Node | undefined = from; n; n = n.parent) {
    // a type parameter of an enclosing function or alias shadows every alias of its name
    const params = (n as { typeParameters?: ts.NodeArray<ts.TypeParameterDeclaration> }).typeParameters;
    if (params?.some((p) => p.name.text === name) && n !== from) return undefined;
    if (!(ts.isSourceFile(n) || ts.isBlock(n) || ts.isModuleBlock(n))) continue;
    for (const st of n.statements) if (is(st) && (st as unknown as { name: ts.Identifier }).name.text === name) return { decl: st, mod };
    if (ts.isSourceFile(n)) return importedDecl(name, n, mod, seen, is);
  }
  return undefined;
}

/** `import { V3 } from "./types"` (or `import type`): the declaration that module exports as V3. */
function importedDecl<D extends ts.Statement>(name: string, sf: ts.SourceFile, mod: SourceModule, seen: Set<string>, is: (st: ts.Node) => st is D): { decl: D; mod: SourceModule } | undefined {
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier)) continue;
    const nb = st.importClause?.namedBindings;
    const el = nb && ts.isNamedImports(nb) ? nb.elements.find((e) => e.name.text === name) : undefined;
    if (!el) continue;
    const from = loadImported(mod, st.moduleSpecifier.text);
    return from && exportedDecl((el.propertyName ?? el.name).text, from, seen, is);
  }
  return undefined;
}

/** The declaration a module exports as `name`: declared there, exported by name, or re-exported from another module. */
function exportedDecl<D extends ts.Statement>(name: string, mod: SourceModule, seen: Set<string>, is: (st: ts.Node) => st is D): { decl: D; mod: SourceModule } | undefined {
  const key = `${mod.fileName}#${name}`;
  if (seen.has(key)) return undefined;
  seen.add(key);
  for (const st of mod.sf.statements) if (is(st) && (st as unknown as { name: ts.Identifier }).name.text === name) return { decl: st, mod };
  for (const st of mod.sf.statements) {
    if (!ts.isExportDeclaration(st) || !st.exportClause || !ts.isNamedExports(st.exportClause)) continue;
    const el = st.exportClause.elements.find((e) => e.name.text === name);
    if (!el) continue;
    const local = (el.propertyName ?? el.name).text;
    if (!st.moduleSpecifier) return declNamed(local, mod.sf, mod, seen, is);
    const from = ts.isStringLiteral(st.moduleSpecifier) ? loadImported(mod, st.moduleSpecifier.text) : undefined;
    return from && exportedDecl(local, from, seen, is);
  }
  return undefined;
}
