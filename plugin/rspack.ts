// jacc/rspack: the build plugin for Rspack, through unplugin (a loader that runs before the others).
//
//   rspack.config.mjs   import jacc from "jacc/rspack";  export default { plugins: [jacc()], module: { rules: [builtin:swc-loader …] } };
//
// jacc hands back TypeScript: Rspack's builtin:swc-loader (or another) must strip the types after it.
export { jaccRspack as default, type JaccPluginOptions } from "./vite.js";
