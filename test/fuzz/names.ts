// Names as users write them (issue 14 §2: the grammar covers what users write).
// The generators name things by pattern (acc, v5, i0, a, r, tl0); users write
// `o`, `n`, `dx`, `x_bar`, `J`, `out`, `θ`, `$v`, which meet the names the
// compiler derives (the tangent of `o` is `do`, of `x` is `dx`; cotangents
// end in `_bar`; Jacobian blocks are `J00`). A program's locals, parameters and
// functions (every declared name but `f`) are renamed, each with probability
// ½, to such names, consistently everywhere, to names no identifier of the
// program already has: an alpha-renaming, so the program means what it meant.
import ts from "typescript";

const POOL = [
  "o", "n", "d", "t", "r", "e", "x", "y", "J", "T", "s", "v", "k", "i", "it", "out", "ct", "ct0", "tape", "tapeStart", "sp", "rand",
  "dx", "dt", "dr", "da", "do_", "x_bar", "a_bar", "out_bar", "r_bar", "J00", "J01", "r0", "t2", "n2", "arr", "len", "tmp",
  "grad_f", "jacrev_f", "f_jvp", "vmap_f", "θ", "λ", "Δx", "$v", "_", "__", "$",
];

/** A renaming of `text`'s declared names (all but `f`), drawn from `seed`; seed 0 (where shrinking goes) renames nothing. */
export function renamer(text: string, seed: number): (code: string) => string {
  if (!seed) return (code) => code;
  const sf = ts.createSourceFile("p.ts", text, ts.ScriptTarget.Latest, false);
  const declared: string[] = [];
  const used = new Set<string>();
  const pinned = new Set<string>(); // read as `{ x }`: its name is also a property's
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n)) used.add(n.text);
    if (ts.isShorthandPropertyAssignment(n)) pinned.add(n.name.text);
    const name = (n as { name?: ts.Node }).name;
    if ((ts.isVariableDeclaration(n) || ts.isParameter(n) || ts.isFunctionDeclaration(n) || ts.isBindingElement(n)) && name && ts.isIdentifier(name) && name.text !== "f" && !declared.includes(name.text)) {
      declared.push(name.text);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  let state = seed >>> 0 || 1;
  const next = () => {
    // xorshift32
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const map = new Map<string, string>();
  for (const name of declared) {
    if (next() < 0.5 || pinned.has(name)) continue;
    const free = POOL.filter((p) => !used.has(p));
    if (!free.length) break;
    const to = free[Math.floor(next() * free.length)];
    used.add(to);
    map.set(name, to);
  }
  if (!map.size) return (code) => code;
  return (code) => renameIn(code, map);
}

/** `code` with every identifier that names a variable or function (not a property) renamed by `map`. */
function renameIn(code: string, map: Map<string, string>): string {
  const sf = ts.createSourceFile("p.ts", code, ts.ScriptTarget.Latest, false);
  const edits: { at: number; end: number; to: string }[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n) && map.has(n.text) && !isPropertyName(n)) edits.push({ at: n.getStart(sf), end: n.end, to: map.get(n.text)! });
    ts.forEachChild(n, visit);
  };
  visit(sf);
  let out = code;
  for (const e of edits.sort((a, b) => b.at - a.at)) out = out.slice(0, e.at) + e.to + out.slice(e.end);
  return out;
}

function isPropertyName(n: ts.Identifier): boolean {
  const p = n.parent;
  if (!p) return false;
  if (ts.isPropertyAccessExpression(p) && p.name === n) return true;
  if ((ts.isPropertyAssignment(p) || ts.isPropertySignature(p) || ts.isMethodDeclaration(p)) && p.name === n) return true;
  if ((ts.isImportSpecifier(p) || ts.isExportSpecifier(p)) && (p.propertyName === n || p.name === n)) return true;
  return false;
}
