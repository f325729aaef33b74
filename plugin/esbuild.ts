// jacc/esbuild: the build plugin for esbuild, through unplugin.
//
//   build.mjs   import jacc from "jacc/esbuild";  await esbuild.build({ …, bundle: true, plugins: [jacc()] });
export { jaccEsbuild as default, type JaccPluginOptions } from "./vite.js";
