#!/usr/bin/env node
// Runs every compiled uvu test file (dist/test/**/*.test.js), each in its own
// process (a file that crashes, hangs past its bound or leaves the WebGPU
// device in a bad state cannot take the others' results with it; one process
// for 2,500 tests grew until a late WebGPU file stopped), and ends with the
// line "N passed, M failed" that CI reads. Extra arguments filter the files
// by a regular expression over their paths.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";
import fs from "node:fs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const uvu = path.join(root, "node_modules", "uvu", "bin.js");
const testDir = path.join(root, "dist", "test");
const filter = process.argv[2] ? new RegExp(process.argv[2]) : undefined;
const files = fs
  .readdirSync(testDir, { recursive: true })
  .map(String)
  .filter((f) => f.endsWith(".test.js") && (!filter || filter.test(f)))
  .sort();
// WebGPU tests run on Dawn; without a GPU, on SwiftShader's Vulkan driver when it is installed (as .ci/run sets up)
const env = { ...process.env };
const swiftshader = "/usr/lib/chromium/vk_swiftshader_icd.json";
if (!env.VK_ICD_FILENAMES && fs.existsSync(swiftshader)) env.VK_ICD_FILENAMES = swiftshader;
env.XDG_RUNTIME_DIR ??= "/tmp";

let passed = 0, failed = 0;
const skipped = new Set();
const crashed = [];
const badExits = [];
const run = (f) => {
  // uvu's pattern is a regular expression over the path: this file alone
  const pattern = `^${f.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`;
  const r = spawnSync(process.execPath, [uvu, "dist/test", pattern], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 28, env, timeout: 30 * 60_000 });
  process.stdout.write(r.stdout ?? "");
  const out = (r.stdout ?? "").replace(/\x1b\[[0-9;]*m/g, "");
  for (const line of out.split("\n").filter((l) => l.startsWith("WEBGPU SKIPPED"))) skipped.add(line);
  return { total: Number(/Total:\s+(\d+)/.exec(out)?.[1] ?? NaN), ok: Number(/Passed:\s+(\d+)/.exec(out)?.[1] ?? NaN), exit: r.status ?? r.signal, out };
};
for (const f of files) {
  let { total, ok, exit, out: out0 } = run(f);
  if (Number.isFinite(total) && total > ok && out0.includes("did not settle in")) {
    // a bounded call into a build tool never settled (test/plugins-vite.test.ts): run the file once more, and say so
    const again = run(f);
    badExits.push(`${f}: a build tool's call did not settle; run again: ${again.ok}/${again.total} passed, exit ${again.exit}`);
    ({ total, ok, exit } = again);
  } else if (Number.isFinite(total) && total === ok && exit !== 0) {
    // every test passed, then the process failed (a native teardown under load): run the file once
    // more, and say so next to the summary either way
    const again = run(f);
    badExits.push(`${f}: every test passed, then exit ${exit}; run again: ${again.ok}/${again.total} passed, exit ${again.exit}`);
    ({ total, ok, exit } = again);
  }
  if (!Number.isFinite(total) || !Number.isFinite(ok)) {
    // no summary: the file crashed, hung past the bound or exited early
    crashed.push(`${f} (exit ${exit})`);
    failed++;
    continue;
  }
  passed += ok;
  failed += total - ok + (exit === 0 || total !== ok ? 0 : 1);
}
for (const b of badExits) console.log(`test/run.mjs: ${b}`);
for (const c of crashed) console.error(`test/run.mjs: no summary from ${c}`);
// no WebGPU adapter: say so again next to the summary (the WebGPU tests passed vacuously; under CI they fail)
for (const line of skipped) console.log(line);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && files.length > 0 ? 0 : 1);
