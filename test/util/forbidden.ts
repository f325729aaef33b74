// Text that only the compiler (jacc's or TypeScript's) or an uncompiled marker would put in a
// bundle, and the two ways to run a string as code: what no production bundle may hold.
// test/app-bundle.test.ts shows that each pattern finds what it looks for.
export const FORBIDDEN: [string, RegExp][] = [
  ["TypeScript", /typescript/i],
  ["TypeScript's compiler API", /createSourceFile|SyntaxKind|createProgram|Microsoft Corporation/],
  ["jacc's compiler", /compileModule|MarkerCompiler|unsupported-construct|captured-write|---- jacc: generated/],
  ["magic-string", /MagicString|generateMap/],
  ["a marker stub", /was called at run time|markers must be compiled away|Enable jacc's compiler/],
  ["eval", /\beval\s*\(/],
  ["new Function", /new\s+Function\s*\(/],
];

/** What of FORBIDDEN `code` holds, as "what (the text found)"; empty when clean. */
export function forbiddenIn(code: string): string[] {
  return FORBIDDEN.filter(([, re]) => re.test(code)).map(([what, re]) => `${what} (${re.exec(code)![0]})`);
}
