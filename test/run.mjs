#!/usr/bin/env node
// Runs every compiled uvu test file (dist/test/**/*.test.js) in one process and
// ends with the line "N passed, M failed" that CI reads.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";
import fs from "node:fs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const uvu = path.join(root, "node_modules", "uvu", "bin.js");
const args = [uvu, "dist/test", "\\.test\\.js$", ...process.argv.slice(2)];
// WebGPU tests run on Dawn; without a GPU, on SwiftShader's Vulkan driver when it is installed (as .ci/run sets up)
const env = { ...process.env };
const swiftshader = "/usr/lib/chromium/vk_swiftshader_icd.json";
if (!env.VK_ICD_FILENAMES && fs.existsSync(swiftshader)) env.VK_ICD_FILENAMES = swiftshader;
env.XDG_RUNTIME_DIR ??= "/tmp";
const r = spawnSync(process.execPath, args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 28, env });
process.stdout.write(r.stdout ?? "");
const out = (r.stdout ?? "").replace(/\x1b\[[0-9;]*m/g, "");
const total = Number(/Total:\s+(\d+)/.exec(out)?.[1] ?? NaN);
const passed = Number(/Passed:\s+(\d+)/.exec(out)?.[1] ?? NaN);
if (!Number.isFinite(total) || !Number.isFinite(passed)) {
  console.log("0 passed, 1 failed");
  console.error("test/run.mjs: could not read uvu's summary (a test file crashed?)");
  process.exit(1);
}
const failed = total - passed + (r.status === 0 ? 0 : total === passed ? 1 : 0);
// no WebGPU adapter: say so again next to the summary (the WebGPU tests passed vacuously; under CI they fail)
for (const line of new Set(out.split("\n").filter((l) => l.startsWith("WEBGPU SKIPPED")))) console.log(line);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
