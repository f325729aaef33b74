// jacc/vite: the build plugin, through unplugin, for Vite (default export); jacc/rollup,
// jacc/webpack, jacc/rspack and jacc/esbuild export the same plugin for those bundlers.
//
//   vite.config.ts   import jacc from "jacc/vite";  export default { plugins: [jacc()] };
//
// It runs before Vite's own TypeScript transform (enforce: "pre"): the module it returns is
// still TypeScript, and esbuild strips the types afterwards. It transforms one module at a
// time, so the dev server's hot update recompiles what changed.
import { createUnplugin, type UnpluginInstance, type UnpluginOptions } from "unplugin";
import type { Plugin as VitePlugin } from "vite";
import { compileModule, formatDiagnostic, type CompileResult, type Diagnostic } from "../compiler/index.js";
import { importDependencies, NODE_MODULES, SCRIPT_FILE, targetOf } from "./shared.js";

export interface JaccPluginOptions {
  /** The strategy of `jacobian` markers that do not set one (default "reverse-mode"). */
  strategy?: "reverse-mode" | "forward-mode";
}

/** The error a module with diagnostics fails with: Rollup's and Vite's error fields, line and column 1-based as jacc's. */
export interface JaccBuildError extends Error {
  id: string;
  plugin: string;
  loc: { file: string; line: number; column: number };
  frame: string;
  /** every diagnostic of the module (the message and loc above are the first's) */
  diagnostics: Diagnostic[];
}

/** Whether the plugin looks at this id: scripts on disk, outside node_modules, not virtual. */
export function isCandidate(id: string): boolean {
  return !id.startsWith("\0") && !NODE_MODULES.test(id) && SCRIPT_FILE.test(cleanId(id));
}

function cleanId(id: string): string {
  return id.replace(/[?#].*$/, "");
}

/**
 * The transform hook's work, for every bundler: null when the module has no marker (the bundler
 * keeps its own text and map), `{ code, map }` when it had markers, a thrown JaccBuildError when
 * jacc reports diagnostics (Vite shows it in its overlay; `vite build` fails).
 */
export function transformJacc(code: string, id: string, options: JaccPluginOptions = {}): { code: string; map: NonNullable<CompileResult["map"]> } | null {
  if (!isCandidate(id) || !code.includes("jacc")) return null;
  const file = cleanId(id);
  const r = compileModule(code, file, { target: targetOf(file), strategy: options.strategy });
  if (r.diagnostics.length) throw buildError(id, r);
  if (!r.changed) return null;
  return { code: r.code, map: r.map! };
}

// Transforms jacc's diagnostics into one error object in Rollup's and Vite's shape.
function buildError(id: string, r: CompileResult): JaccBuildError {
  const first = r.diagnostics[0];
  const n = r.diagnostics.length;
  // the first diagnostic's frame is the error's own (the tools print it once, under the message)
  const lines = r.diagnostics.map((d, i) => (i === 0 ? formatDiagnostic(d).split("\n")[0] : formatDiagnostic(d)));
  const err = new Error(`${n} jacc error${n > 1 ? "s" : ""}\n${lines.join("\n")}`) as JaccBuildError;
  err.name = "JaccCompileError";
  err.id = id;
  err.plugin = "jacc";
  err.loc = { file: first.file, line: first.line, column: first.col };
  err.frame = first.frame;
  err.diagnostics = r.diagnostics;
  return err;
}

const isJaccError = (e: unknown): e is JaccBuildError => (e as Error | undefined)?.name === "JaccCompileError";

/** The error with its code frame in the message, for the tools that print only the message (webpack and Rspack). */
function withFrameInMessage(err: JaccBuildError): JaccBuildError & { hideStack: boolean } {
  err.message = `${err.message}\n${err.frame}`;
  return Object.assign(err, { hideStack: true }); // webpack prints the message, not the plugin's stack
}

/**
 * esbuild's messages, one a diagnostic, each with jacc's file:line:col and frame in its text: unplugin passes
 * esbuild no line text, so a location of its own would print an empty frame.
 */
const esbuildMessages = (err: JaccBuildError) => err.diagnostics.map((d) => ({ message: formatDiagnostic(d), plugin: "jacc", id: err.id }));

export const unplugin: UnpluginInstance<JaccPluginOptions | undefined, false> = createUnplugin<JaccPluginOptions | undefined, false>((options = {}, meta) => {
  // Rollup, Vite and Rolldown print an error's `frame` under its message; webpack and Rspack print the
  // message alone; esbuild prints a thrown error as coming from unplugin's own source line
  const frameInMessage = meta.framework === "webpack" || meta.framework === "rspack";
  /** compiled module id → the files its generated code may depend on (a marker's function may live in an imported module) */
  const deps = new Map<string, string[]>();
  const plugin: UnpluginOptions = {
    name: "jacc",
    enforce: "pre",
    transform: {
      filter: { id: { include: /\.(ts|mts|cts|tsx|js|mjs|cjs|jsx)([?#]|$)/, exclude: [NODE_MODULES, /^\0/] }, code: "jacc" },
      handler(code, id) {
        let out;
        try {
          out = transformJacc(code, id, options);
        } catch (e) {
          if (!isJaccError(e)) throw e;
          if (meta.framework !== "esbuild") throw frameInMessage ? withFrameInMessage(e) : e;
          for (const m of esbuildMessages(e)) this.error(m); // esbuild: recorded, the build fails after the step
          return null;
        }
        if (!out) {
          deps.delete(id);
          return null;
        }
        // the bundler's type stripping may drop an import whose function was inlined: watch it all the same
        const files = importDependencies(cleanId(id), code);
        deps.set(id, files);
        for (const f of files) this.addWatchFile(f);
        return out;
      },
    },
    vite: {
      // When a module a compiled module depends on changes, the compiled module is stale too.
      handleHotUpdate({ file, modules, server }) {
        const stale = [];
        for (const [id, files] of deps) {
          if (!files.includes(file)) continue;
          const mod = server.moduleGraph.getModuleById(id);
          if (!mod) continue;
          server.moduleGraph.invalidateModule(mod);
          stale.push(mod);
        }
        return stale.length ? [...modules, ...stale] : undefined;
      },
    },
  };
  return plugin;
});

/** The Vite plugin: `plugins: [jacc()]`. */
const jacc: (options?: JaccPluginOptions) => VitePlugin = unplugin.vite;
export default jacc;
export const jaccVite = unplugin.vite;
export const jaccRollup = unplugin.rollup;
export const jaccEsbuild = unplugin.esbuild;
export const jaccWebpack = unplugin.webpack;
export const jaccRspack = unplugin.rspack;
