// Which TypeScript the tsc transformer and the editor plugin run under. TypeScript 7 (the
// native compiler) has neither a transformer API nor tsserver plugins: say so in one line,
// with what to do, rather than crash somewhere inside.

/** The one-line error for a TypeScript these plugins cannot run under, or undefined. */
export function unsupportedTypeScript(plugin: "jacc/tsc" | "jacc/ts-plugin", version: string | undefined): string | undefined {
  const major = Number(/^(\d+)\./.exec(version ?? "")?.[1]);
  if (!(major >= 7)) return undefined;
  const fix = plugin === "jacc/tsc"
    ? "install TypeScript 5 (npm i -D typescript@5 ts-patch), or build with a bundler plugin or the jacc CLI"
    : "select the workspace's TypeScript 5 (npm i -D typescript@5)";
  return `${plugin}: TypeScript ${version} has no ${plugin === "jacc/tsc" ? "transformer API" : "language-service plugins"}; ${fix}.`;
}
