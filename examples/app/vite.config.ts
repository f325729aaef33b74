// The example app's build: jacc's plugin compiles the markers; two pages (the
// Jacobians, and a number-only page whose bundle needs none of jacc's runtime);
// jacc's runtime in a chunk of its own, cached apart from the app's code, and
// its WebGPU backend in another, which initWebGPU() loads when it is called.
import { defineConfig } from "vite";
import jacc from "jacc/vite";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

// The runtime's folder, wherever "jacc" resolves (node_modules/jacc in a user's project;
// this repository itself here, through package.json's name and exports).
const runtimeDir = path.dirname(createRequire(import.meta.url).resolve("jacc"));
const webgpuDir = path.join(runtimeDir, "webgpu") + path.sep;

const page = (name: string) => fileURLToPath(new URL(name, import.meta.url));

export default defineConfig({
  plugins: [jacc()],
  base: "./",
  build: {
    modulePreload: { polyfill: false }, // current browsers all have modulepreload
    rollupOptions: {
      input: { main: page("index.html"), scalar: page("scalar.html") },
      // src/device.ts feature-detects WebGPU: a runtime without it lacks that export
      onwarn(warning, warn) {
        if (warning.code !== "MISSING_EXPORT" || warning.binding !== "initWebGPU") warn(warning);
      },
      output: {
        manualChunks: (id) => (id.startsWith(webgpuDir) ? "jacc-webgpu" : id.startsWith(runtimeDir + path.sep) ? "jacc-runtime" : undefined),
      },
    },
  },
});
