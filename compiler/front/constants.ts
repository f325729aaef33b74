// Structured constants: arguments a differentiated function reads but is never
// differentiated with respect to, whose declared type is an array of rows,
// tuples or records (`data: [number, number][]`, `ps: P[]`, `rows: number[][]`,
// `layers: { W: Tensor }[]`) or a record holding such arrays. They stay the
// JavaScript values the caller passed; each read is a load or a property read
// of the value, typed by the declaration: a number, a vector (a row, read in
// place, never copied), a Tensor, or again a tuple or record of those, which
// the front end then treats as any tuple or record. Arrays nested deeper stay
// such constants until indexed.
import ts from "typescript";
import { type Atom, type Builder, lit, NUM, OPAQUE, type Type } from "../ir/ir.js";
import type { Val } from "./lower.js";
import { type Member, recordMembers, type ResolvedType, resolveType, tupleType } from "./types.js";

/** The lowerer's reading of a leaf type (number, boolean, a numeric array, Tensor); undefined for anything else. */
export type LeafType = (type: ts.TypeNode, mod: ResolvedType["mod"]) => Type | undefined;

/** The element type of an array type (`T[]`, `Array<T>`, `ReadonlyArray<T>`, aliases followed), if it is one. */
export function arrayElement(type: ts.TypeNode, mod: ResolvedType["mod"]): ResolvedType | undefined {
  const r = resolveType(type, mod);
  if (ts.isArrayTypeNode(r.type)) return { type: r.type.elementType, mod: r.mod };
  if (ts.isTypeReferenceNode(r.type) && ts.isIdentifier(r.type.typeName) && /^(Readonly)?Array$/.test(r.type.typeName.text) && r.type.typeArguments?.length === 1) {
    return { type: r.type.typeArguments[0], mod: r.mod };
  }
  return undefined;
}

/**
 * Whether an array's element type makes the array more than a vector of
 * numbers: a row (array, typed array), a tuple, a record, a Tensor or a string.
 * (Numbers, booleans and types jacc cannot see into keep the array a vector.)
 */
export function isStructuredElement(el: ts.TypeNode, mod: ResolvedType["mod"], leaf: LeafType): boolean {
  const r = resolveType(el, mod);
  const t = leaf(r.type, r.mod);
  if (t) return t.k !== "num" && t.k !== "bool";
  if (ts.isArrayTypeNode(r.type) || ts.isTupleTypeNode(r.type) || ts.isTypeLiteralNode(r.type)) return true;
  if (r.type.kind === ts.SyntaxKind.StringKeyword) return true;
  return arrayElement(r.type, r.mod) !== undefined || recordMembers(r.type, r.mod) !== undefined;
}

/** Reads of structured constants, for one function being lowered. */
export class ConstReader {
  /** the declared type of each constant variable (an opaque IR variable) */
  private readonly types = new Map<string, ResolvedType>();

  constructor(private readonly b: Builder, private readonly leaf: LeafType) {}

  /** Notes the declared type of an opaque variable (a parameter, a captured value). */
  declare(name: string, type: ResolvedType): void {
    this.types.set(name, type);
  }

  /** `to` holds the same constant as `from` (`const q = data`). */
  alias(to: string, from: Atom): void {
    const t = this.typeOf(from);
    if (t) this.types.set(to, t);
  }

  private typeOf(a: Atom): ResolvedType | undefined {
    return a.k === "var" ? this.types.get(a.name) : undefined;
  }

  /** `c[index]` of a constant array or tuple (`literal`: the index when written as a literal); undefined when c's type is unknown. */
  element(c: Atom, index: Atom, literal?: number): Val | undefined {
    const rt = this.typeOf(c);
    if (!rt) return undefined;
    const el = arrayElement(rt.type, rt.mod);
    if (el) return this.read(c, { index }, el);
    const tuple = tupleType(rt.type, rt.mod);
    if (!tuple || literal === undefined || !tuple.type.elements[literal]) return undefined;
    const item = tuple.type.elements[literal];
    return this.read(c, { index }, { type: ts.isNamedTupleMember(item) ? item.type : item, mod: tuple.mod });
  }

  /** `c.key` of a constant record; undefined when c's type is unknown or has no such property. */
  property(c: Atom, key: string): Val | undefined {
    const m = this.member(c, key);
    return m && this.read(c, { key }, m);
  }

  /** Whether `c.key` is a property of a constant record whose type jacc reads (nothing is emitted). */
  hasProperty(c: Atom, key: string): boolean {
    return this.member(c, key) !== undefined;
  }

  private member(c: Atom, key: string): Member | undefined {
    const rt = this.typeOf(c);
    const members = rt && recordMembers(rt.type, rt.mod);
    return Array.isArray(members) ? members.find((x) => x.name === key) : undefined;
  }

  /** Whether `c` is a constant whose elements the for…of over it can read. */
  iterable(c: Atom): boolean {
    const rt = this.typeOf(c);
    return !!rt && arrayElement(rt.type, rt.mod) !== undefined;
  }

  /** `c[index]` or `c.key` as a value of the declared type `rt`. */
  private read(c: Atom, at: { index: Atom } | { key: string }, rt: ResolvedType | Member, depth = 0): Val {
    const expr = (t: Type) =>
      "key" in at
        ? this.b.let(`${at.key.replace(/[^\w$]/g, "_")}_`, t, { k: "prim", op: "prop", args: [c], attrs: [at.key] })
        : this.b.let("el", t, { k: "load", arr: c, index: at.index });
    const r = resolveType(rt.type, rt.mod);
    const t = this.leaf(r.type, r.mod);
    if (t) return { k: "atom", a: expr(t), t };
    const tuple = tupleType(r.type, r.mod);
    const members = tuple ? undefined : recordMembers(r.type, r.mod);
    // anything else jacc cannot see into (a union, a class): a number where a number goes, as a
    // property of a constant always was
    if (!tuple && !Array.isArray(members) && !arrayElement(r.type, r.mod)) return { k: "atom", a: expr(NUM), t: NUM };
    const opaque = expr(OPAQUE);
    this.types.set((opaque as { name: string }).name, r);
    // (a type that contains itself is read one level at a time, as an array is)
    if (depth > 8) return { k: "atom", a: opaque, t: OPAQUE };
    if (tuple) {
      const items = tuple.type.elements.map((el, i) => this.read(opaque, { index: lit(i) }, { type: ts.isNamedTupleMember(el) ? el.type : el, mod: tuple.mod }, depth + 1));
      return { k: "tuple", items, view: true };
    }
    if (Array.isArray(members) && members.length) {
      return { k: "tuple", items: members.map((m) => this.read(opaque, { key: m.name }, m, depth + 1)), keys: members.map((m) => m.name), view: true };
    }
    return { k: "atom", a: opaque, t: OPAQUE };
  }
}
