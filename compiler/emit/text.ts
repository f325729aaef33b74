// User-controlled text (file names, function and parameter names, source snippets) placed into
// emitted code: `//` and `/* */` comments of the JavaScript / TypeScript, template literals of
// its error messages, and WGSL comments. One escape serves them all, so such text can never end
// a comment or a literal and become code: line terminators (\n, \r, U+2028, U+2029, and WGSL's
// \v, \f, U+0085) and other control or bidirectional-override characters become \uXXXX, and
// `\`, `` ` ``, every `$` (no `${` can form, even across two pieces of text), `*/` and `/*` (WGSL
// block comments nest) are escaped. In a template literal the escapes read back as the original
// text; in a comment they read as written. (A whole generated text placed in a template literal,
// a WGSL shader, keeps its line breaks: compiler/emit/js.ts templateText.)

const UNSAFE = /[\\`$]|\*\/|\/\*|[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;
const SHORT: Record<string, string> = { "\\": "\\\\", "`": "\\`", $: "\\$", "*/": "*\\/", "/*": "/\\*", "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** `text` safe inside an emitted comment (JavaScript or WGSL) or template literal. */
export function safeText(text: string): string {
  return text.replace(UNSAFE, (c) => SHORT[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
