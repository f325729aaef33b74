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

interface Project {
  options: ts.CompilerOptions;
  cache: ts.ModuleResolutionCache;
}

const projects = new Map<string, Project>();
const configOf = new Map<string, string | undefined>();

/** The options of the tsconfig.json nearest `dir` (cached per directory and per config file). */
function projectFor(dir: string): Project {
  let config = configOf.get(dir);
  if (!configOf.has(dir)) {
    config = ts.findConfigFile(dir, ts.sys.fileExists);
    configOf.set(dir, config);
  }
  const key = config ?? "";
  let p = projects.get(key);
  if (!p) {
    let options = DEFAULTS;
    if (config) {
      // (a tsconfig jacc cannot read is not jacc's error to report: resolve with the defaults)
      const parsed = ts.getParsedCommandLineOfConfigFile(config, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
      if (parsed) options = { ...parsed.options, allowJs: true };
    }
    p = { options, cache: ts.createModuleResolutionCache(path.dirname(config ?? dir), (f) => f, options) };
    projects.set(key, p);
  }
  return p;
}

/**
 * The source file `spec` names when imported from `fromFile`, or undefined. TypeScript's resolver
 * first; a relative specifier it does not resolve (extensionless under NodeNext) is looked for as
 * Node's loader with jacc/register finds it.
 */
export function resolveImport(fromFile: string, spec: string): string | undefined {
  const from = path.resolve(fromFile);
  const { options, cache } = projectFor(path.dirname(from));
  const r = ts.resolveModuleName(spec, from, options, ts.sys, cache, undefined, ts.ModuleKind.ESNext).resolvedModule;
  if (r && usable(r.resolvedFileName)) return path.normalize(r.resolvedFileName);
  return spec.startsWith(".") ? resolveRelative(from, spec) : undefined;
}

/** A source jacc can read a function from: not a declaration file or JSON, and not a dependency's compiled JavaScript. */
function usable(file: string): boolean {
  if (/\.d\.[cm]?ts$|\.json$/.test(file)) return false;
  return !(NODE_MODULES.test(file) && /\.[cm]?jsx?$/.test(file));
}

const NODE_MODULES = /[\\/]node_modules[\\/]/;

/** Forgets tsconfig files and resolutions (a watcher calls it when files change). */
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
