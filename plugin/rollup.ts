// jacc/rollup: the build plugin for Rollup (and Rolldown), through unplugin.
//
//   rollup.config.mjs   import jacc from "jacc/rollup";  export default { plugins: [jacc(), nodeResolve(), esbuild()] };
//
// jacc hands back TypeScript: a plugin that strips types (rollup-plugin-esbuild, @rollup/plugin-babel,
// @rollup/plugin-swc) must come after it, and must transform the code it is given, not re-read the file.
export { jaccRollup as default, type JaccPluginOptions } from "./vite.js";
