// Where an import's source lives, as TypeScript resolves it: ts.resolveModuleName
// with the compiler options of the importing file's tsconfig.json (tsconfig
// `paths`, package.json `imports` such as "#lib", workspace packages and the .ts
// sources linked packages export). A resolution that ends in a declaration file
// (.d.ts) is no use: jacc needs the function's body.
import ts from "typescript";
import fs from "node:fs";
import path from "node:path";

/** Without a tsconfig.json: resolve as a bundler does (extensionless relative paths, "exports", "imports"). */
const DEFAULTS: ts.CompilerOptions = { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, allowJs: true, resolveJsonModule: false };

const projects = new Map<string, { mtime: number; options: ts.CompilerOptions }>();
const configOf = new Map<string, string | undefined>();

/**
 * The compiler options of the tsconfig.json nearest `dir`: found once per directory, read again
 * when it changes (an editor or a dev server lives long). Resolutions themselves are not cached,
 * so that a file created later is found.
 */
function optionsFor(dir: string): ts.CompilerOptions {
  if (!configOf.has(dir)) configOf.set(dir, ts.findConfigFile(dir, ts.sys.fileExists));
  const config = configOf.get(dir);
  if (!config) return DEFAULTS;
  let mtime = -1;
  try {
    mtime = fs.statSync(config).mtimeMs;
  } catch {
    // removed since: the defaults below
  }
  const hit = projects.get(config);
  if (hit && hit.mtime === mtime) return hit.options;
  // (a tsconfig jacc cannot read is not jacc's error to report: resolve with the defaults)
  const parsed = mtime < 0 ? undefined : ts.getParsedCommandLineOfConfigFile(config, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  const options = parsed ? { ...parsed.options, allowJs: true } : DEFAULTS;
  projects.set(config, { mtime, options });
  return options;
}

/**
 * The source file `spec` names when imported from `fromFile`, or undefined. TypeScript's resolver
 * first; a relative specifier it does not resolve (extensionless under NodeNext) is looked for as
 * Node's loader with jacc/register finds it.
 */
export function resolveImport(fromFile: string, spec: string): string | undefined {
  const from = path.resolve(fromFile);
  const r = ts.resolveModuleName(spec, from, optionsFor(path.dirname(from)), ts.sys, undefined, undefined, ts.ModuleKind.ESNext).resolvedModule;
  if (r && usable(r.resolvedFileName)) return path.normalize(r.resolvedFileName);
  return spec.startsWith(".") ? resolveRelative(from, spec) : undefined;
}

/** A source jacc can read a function from: not a declaration file or JSON, and not a dependency's compiled JavaScript. */
function usable(file: string): boolean {
  if (/\.d\.[cm]?ts$|\.json$/.test(file)) return false;
  return !(NODE_MODULES.test(file) && /\.[cm]?jsx?$/.test(file));
}

const NODE_MODULES = /[\\/]node_modules[\\/]/;

/** Forgets where the tsconfig files are (a watcher calls it when files change: one may have been added). */
export function clearResolutionCache(): void {
  projects.clear();
  configOf.clear();
}

function resolveRelative(from: string, spec: string): string | undefined {
  const base = path.resolve(path.dirname(from), spec);
  const stem = base.replace(/\.(js|mjs|cjs|jsx)$/, "");
  for (const c of [base, `${stem}.ts`, `${stem}.tsx`, `${stem}.mts`, `${base}.ts`, path.join(base, "index.ts"), `${stem}.js`, `${stem}.mjs`]) {
    try {
      if (fs.statSync(c).isFile()) return c;
    } catch {
      // next candidate
    }
  }
  return undefined;
}
