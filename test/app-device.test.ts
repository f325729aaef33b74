// The example app's device switch (examples/app/src/device.ts), fed fakes: every
// branch of its decision, and how it names an adapter and tells a software one
// (SwiftShader, llvmpipe, isFallbackAdapter) from a GPU.
import { test } from "uvu";
import * as assert from "uvu/assert";
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import { pathToFileURL } from "node:url";
import { appRoot } from "./util/app-build.js";
import { tmpDir } from "./util/compile.js";

type Label = { name: string; software: boolean };
type Decide = (init: (() => Promise<unknown>) | undefined, gpu: { requestAdapter(): Promise<unknown> } | undefined) => Promise<{ device: string; why: string; adapter?: Label }>;

async function load(): Promise<{ decideDevice: Decide; describeAdapter: (a: object) => Label }> {
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

test("device switch: the adapter's name, and software adapters told apart from GPUs", async () => {
  const { decideDevice, describeAdapter } = await load();
  assert.equal(describeAdapter({ info: { vendor: "nvidia", architecture: "ampere", device: "", description: "" } }), { name: "nvidia ampere", software: false });
  assert.equal(describeAdapter({ info: { vendor: "google", architecture: "swiftshader", isFallbackAdapter: true } }), { name: "google swiftshader", software: true });
  // by its name alone (a browser that sets no isFallbackAdapter), or by the flag alone
  assert.is(describeAdapter({ info: { vendor: "mesa", description: "llvmpipe (LLVM 15.0.6, 256 bits)" } }).software, true);
  assert.is(describeAdapter({ info: { vendor: "google", architecture: "swiftshader" } }).software, true);
  assert.is(describeAdapter({ isFallbackAdapter: true, info: { vendor: "x" } }).software, true);
  assert.is(describeAdapter({ info: { vendor: "apple", architecture: "metal-3" } }).software, false);
  assert.equal(describeAdapter({}), { name: "unnamed adapter", software: false });

  const init = async () => undefined;
  const soft = await decideDevice(init, { requestAdapter: async () => ({ info: { vendor: "google", architecture: "swiftshader", isFallbackAdapter: true } }) });
  assert.equal([soft.device, soft.adapter], ["webgpu", { name: "google swiftshader", software: true }]);
  const hard = await decideDevice(init, { requestAdapter: async () => ({ info: { vendor: "nvidia", architecture: "ampere" } }) });
  assert.equal([hard.device, hard.adapter], ["webgpu", { name: "nvidia ampere", software: false }]);
  // the CPU after a failed initWebGPU, and the adapter still named
  const failed = await decideDevice(() => Promise.reject(new Error("no device")), { requestAdapter: async () => ({ info: { vendor: "nvidia" } }) });
  assert.equal([failed.device, failed.adapter?.name], ["cpu", "nvidia"]);
});

test.run();
