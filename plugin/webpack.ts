// jacc/webpack: the build plugin for webpack 5, through unplugin (a loader that runs before the others).
//
//   webpack.config.mjs   import jacc from "jacc/webpack";  export default { plugins: [jacc()], module: { rules: [ts-loader …] } };
//
// jacc hands back TypeScript: a loader that strips types (ts-loader with transpileOnly, esbuild-loader,
// babel-loader, swc-loader) must handle .ts after it.
export { jaccWebpack as default, type JaccPluginOptions } from "./vite.js";
