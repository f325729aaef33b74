// Local functions that assign variables of the function around them
// (`const add = (t: number) => { total += t; }`). Lowered as functions of their
// own they would get copies of those variables (captures are parameters), so
// the lowering inlines them at each call instead (FnLowerer.inlineWriter), as
// it does a callback written in place. Syntax only: what a body declares, what
// it assigns, what names it reads.
import ts from "typescript";

const ASSIGNMENTS = new Set([
  ts.SyntaxKind.EqualsToken, ts.SyntaxKind.PlusEqualsToken, ts.SyntaxKind.MinusEqualsToken, ts.SyntaxKind.AsteriskEqualsToken,
  ts.SyntaxKind.SlashEqualsToken, ts.SyntaxKind.PercentEqualsToken, ts.SyntaxKind.AsteriskAsteriskEqualsToken,
  ts.SyntaxKind.QuestionQuestionEqualsToken, ts.SyntaxKind.BarBarEqualsToken, ts.SyntaxKind.AmpersandAmpersandEqualsToken,
]);

/** Every name a function declares inside itself: parameters, variables, functions (at any depth, nested functions' too). */
function declared(fn: ts.FunctionLikeDeclaration): Set<string> {
  const out = new Set<string>();
  const names = (b: ts.BindingName): void => {
    if (ts.isIdentifier(b)) out.add(b.text);
    else for (const el of b.elements) if (!ts.isOmittedExpression(el)) names(el.name);
  };
  const visit = (n: ts.Node): void => {
    if (ts.isParameter(n) || ts.isVariableDeclaration(n)) names(n.name);
    if ((ts.isFunctionDeclaration(n) || ts.isFunctionExpression(n)) && n.name) out.add(n.name.text);
    ts.forEachChild(n, visit);
  };
  fn.parameters.forEach(visit);
  if (fn.body) visit(fn.body);
  return out;
}

/** The variable an assignment target writes: `a`, `a.x`, `a[i].y` → a (destructuring targets: each of theirs). */
function roots(target: ts.Expression, out: string[]): void {
  let e: ts.Expression = target;
  while (ts.isParenthesizedExpression(e) || ts.isNonNullExpression(e) || ts.isAsExpression(e)) e = e.expression;
  if (ts.isArrayLiteralExpression(e)) {
    for (const el of e.elements) roots(ts.isSpreadElement(el) ? el.expression : el, out);
    return;
  }
  if (ts.isObjectLiteralExpression(e)) {
    for (const p of e.properties) {
      if (ts.isShorthandPropertyAssignment(p)) out.push(p.name.text);
      else if (ts.isPropertyAssignment(p)) roots(p.initializer, out);
      else if (ts.isSpreadAssignment(p)) roots(p.expression, out);
    }
    return;
  }
  if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.EqualsToken) return roots(e.left, out); // a default: [a = 1] = …
  while (ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e)) e = e.expression;
  if (ts.isIdentifier(e)) out.push(e.text);
}

/** Whether `fn` assigns (or increments) a variable it does not declare itself: one of an enclosing function. */
export function writesOuter(fn: ts.FunctionLikeDeclaration): boolean {
  if (!fn.body) return false;
  const own = declared(fn);
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    const targets: string[] = [];
    if (ts.isBinaryExpression(n) && ASSIGNMENTS.has(n.operatorToken.kind)) roots(n.left, targets);
    if ((ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) && (n.operator === ts.SyntaxKind.PlusPlusToken || n.operator === ts.SyntaxKind.MinusMinusToken)) roots(n.operand, targets);
    if (targets.some((t) => !own.has(t))) found = true;
    else ts.forEachChild(n, visit);
  };
  visit(fn.body);
  return found;
}

/** The names `fn` reads or writes that it does not declare (an over-approximation: property names excluded, nothing else). */
export function freeNames(fn: ts.FunctionLikeDeclaration): Set<string> {
  const own = declared(fn);
  const out = new Set<string>();
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n) && !own.has(n.text)) {
      const p = n.parent;
      const isKey = (ts.isPropertyAccessExpression(p) && p.name === n) || (ts.isPropertyAssignment(p) && p.name === n) || ts.isTypeReferenceNode(p) || (ts.isQualifiedName(p) && p.right === n);
      if (!isKey) out.add(n.text);
    }
    if (ts.isTypeNode(n)) return; // (types name no variables)
    ts.forEachChild(n, visit);
  };
  fn.parameters.forEach((p) => p.initializer && visit(p.initializer));
  if (fn.body) visit(fn.body);
  return out;
}

/** The names `fn` calls that it does not declare itself (`add(x)`, not `o.add(x)`). */
export function calledNames(fn: ts.FunctionLikeDeclaration): Set<string> {
  const own = declared(fn);
  const out = new Set<string>();
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n)) {
      let c: ts.Expression = n.expression;
      while (ts.isParenthesizedExpression(c)) c = c.expression;
      if (ts.isIdentifier(c) && !own.has(c.text)) out.add(c.text);
    }
    ts.forEachChild(n, visit);
  };
  if (fn.body) visit(fn.body);
  return out;
}
