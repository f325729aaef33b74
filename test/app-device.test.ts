// The example app's device switch (examples/app/src/device.ts), fed fakes: the
// WebGPU path cannot run in a browser until the runtime has initWebGPU, so its
// decision is checked here on its own.
import { test } from "uvu";
import * as assert from "uvu/assert";
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { pathToFileURL } from "node:url";
import { appRoot } from "./util/app-build.js";
import { tmpDir } from "./util/compile.js";

type Decide = (init: (() => Promise<unknown>) | undefined, gpu: { requestAdapter(): Promise<unknown> } | undefined) => Promise<{ device: string; why: string }>;

async function load(): Promise<{ decideDevice: Decide }> {
  const src = fs.readFileSync(path.join(appRoot, "src", "device.ts"), "utf8");
  const js = ts.transpileModule(src, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText;
  fs.mkdirSync(tmpDir, { recursive: true });
  const out = path.join(tmpDir, `app-device-${process.pid}.mjs`); // under the repository: "jacc" resolves to it
  fs.writeFileSync(out, js);
  return import(pathToFileURL(out).href);
}

const adapter = { requestAdapter: async () => ({}) };

test("device switch: WebGPU only with initWebGPU, navigator.gpu and an adapter; otherwise the CPU and why", async () => {
  const { decideDevice } = await load();
  let inits = 0;
  const init = async () => void inits++;
  assert.is((await decideDevice(undefined, adapter)).device, "cpu");
  assert.match((await decideDevice(undefined, adapter)).why, "no initWebGPU");
  assert.match((await decideDevice(init, undefined)).why, "navigator.gpu is not available");
  assert.match((await decideDevice(init, { requestAdapter: async () => null })).why, "no adapter");
  assert.match((await decideDevice(init, { requestAdapter: () => Promise.reject(new Error("lost")) })).why, "no adapter");
  const failed = await decideDevice(() => Promise.reject(new Error("no device")), adapter);
  assert.equal([failed.device, failed.why], ["cpu", "initWebGPU() failed: no device"]);
  assert.is(inits, 0, "initWebGPU is not called without an adapter");
  assert.is((await decideDevice(init, adapter)).device, "webgpu");
  assert.is(inits, 1);
});

test.run();
