// The device switch, kept in one place: the tensor programs run on WebGPU when
// this jacc runtime has a WebGPU backend (it exports initWebGPU) and the browser
// gives an adapter, and on the CPU otherwise. The page shows which, and why.
import * as jacc from "jacc";
import type { NestedArray, Tensor } from "jacc";

export type DeviceName = "cpu" | "webgpu";

/** The adapter WebGPU gave, as the page names it. */
export interface AdapterLabel {
  /** vendor, architecture, device and description, where the browser says them */
  name: string;
  /** a software adapter (SwiftShader, llvmpipe, WARP…): WebGPU run on the CPU, so its timings are not GPU timings */
  software: boolean;
}

export interface DeviceChoice {
  device: DeviceName;
  why: string;
  /** the adapter, when navigator.gpu gave one (also when the tensors stayed on the CPU) */
  adapter?: AdapterLabel;
}

interface AdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
/** What the page reads of a GPUAdapter: `info`, and `isFallbackAdapter` where a browser still has it there. */
export interface GpuAdapterLike {
  info?: AdapterInfo;
  isFallbackAdapter?: boolean;
}
interface GpuNavigator {
  gpu?: { requestAdapter(): Promise<GpuAdapterLike | null> };
}

// A static member of the namespace (not a computed one), so the bundler still
// tree-shakes the runtime; it is undefined in a runtime without WebGPU.
const initWebGPU = (jacc as unknown as { initWebGPU?: () => Promise<unknown> }).initWebGPU;

export function chooseDevice(): Promise<DeviceChoice> {
  return decideDevice(initWebGPU, (navigator as GpuNavigator).gpu);
}

// Adapters that are CPU renderers, by the names their drivers give (for browsers that do not set isFallbackAdapter)
const SOFTWARE = /swiftshader|llvmpipe|lavapipe|softpipe|\bwarp\b|basic render|software/i;

/** The adapter's name and whether it is a software one (isFallbackAdapter, or a CPU renderer's name). */
export function describeAdapter(adapter: GpuAdapterLike): AdapterLabel {
  const info = adapter.info ?? {};
  const name = [info.vendor, info.architecture, info.device, info.description].filter((s) => typeof s === "string" && s).join(" ") || "unnamed adapter";
  return { name, software: info.isFallbackAdapter === true || adapter.isFallbackAdapter === true || SOFTWARE.test(name) };
}

/** The decision itself, given what the runtime and the browser offer (a test feeds it fakes). */
export async function decideDevice(init: (() => Promise<unknown>) | undefined, gpu: GpuNavigator["gpu"]): Promise<DeviceChoice> {
  if (typeof init !== "function") return { device: "cpu", why: "this jacc runtime has no WebGPU backend (no initWebGPU)" };
  if (!gpu) return { device: "cpu", why: "navigator.gpu is not available in this browser" };
  const found = await gpu.requestAdapter().catch(() => null);
  if (!found) return { device: "cpu", why: "navigator.gpu gave no adapter" };
  const adapter = describeAdapter(found);
  try {
    await init();
  } catch (e) {
    return { device: "cpu", why: `initWebGPU() failed: ${e instanceof Error ? e.message : String(e)}`, adapter };
  }
  return { device: "webgpu", why: "WebGPU adapter found; tensors in float32 (WGSL has no f64)", adapter };
}

/** A tensor where the programs run: as it is on the CPU, float32 on WebGPU. */
export async function place(t: Tensor, device: DeviceName): Promise<Tensor> {
  return device === "cpu" ? t : await t.to("float32").to("webgpu"); // convert on the CPU, then upload
}

/** A tensor's values as nested arrays, read back from whichever device holds them. */
export async function readBack(t: Tensor): Promise<NestedArray> {
  const data = await t.read();
  const build = (d: number, off: number, stride: number): NestedArray => {
    if (d === t.shape.length) return data[off];
    const n = t.shape[d];
    const inner = stride / n;
    return Array.from({ length: n }, (_, i) => build(d + 1, off + i * inner, inner));
  };
  return build(0, 0, data.length);
}
