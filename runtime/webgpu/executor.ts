/* eslint-disable @typescript-eslint/no-explicit-any -- WebGPU objects (the DOM types are not part of this build) */
// The WebGPU executor: one device, a buffer pool by size class, a pipeline
// cache keyed by shader text, and batched submission (dispatches and copies
// are encoded into one command encoder and submitted at a read-back or every
// BATCH commands). Buffers released while a batch is open return to the pool
// only after it is submitted, so queue.writeBuffer (which runs ahead of the
// open encoder) never touches a buffer an encoded command still uses.

import { kernelSource } from "../kernels.js";
import { fmt } from "../shape.js";

/** Commands per submission. */
const BATCH = 256;
const USAGE_STORAGE = 0x0080 | 0x0004 | 0x0008; // STORAGE | COPY_SRC | COPY_DST
const USAGE_READ = 0x0001 | 0x0008; // MAP_READ | COPY_DST
const MAP_READ = 0x0001;

/** A device buffer with its size class (bytes); shared by the tensors viewing it. */
export interface GpuStorage {
  buffer: any;
  bytes: number;
  refs: number;
  executor: Executor;
}

/** A buffer bound from a byte offset (a multiple of the device's minStorageBufferOffsetAlignment, 256). */
export type GpuBinding = GpuStorage | { storage: GpuStorage; offset: number };

function sizeClass(bytes: number): number {
  let c = 16;
  while (c < bytes) c *= 2;
  return c;
}

export class Executor {
  readonly device: any;
  readonly adapterInfo: string;
  private pool = new Map<number, any[]>();
  private pending: { buffer: any; bytes: number }[] = [];
  private pipelines = new Map<string, any>();
  private encoder: any = null;
  private commands = 0;
  /** Why the device was lost, once it was. */
  lost: string | null = null;
  private errors: string[] = [];
  /** Kernel names dispatched so far (tests check them against the module's compiled set). */
  readonly used = new Set<string>();
  stats = { dispatches: 0, submits: 0, buffersCreated: 0, pipelinesCreated: 0 };
  /** The largest buffer the device binds (its maxBufferSize and maxStorageBufferBindingSize). */
  readonly maxBuffer: number;

  constructor(device: any, adapterInfo: string) {
    this.device = device;
    this.adapterInfo = adapterInfo;
    const lim = device.limits ?? {};
    this.maxBuffer = Math.min(lim.maxBufferSize ?? Infinity, lim.maxStorageBufferBindingSize ?? Infinity);
    device.lost?.then?.((info: any) => {
      this.lost ??= info?.message || info?.reason || "unknown reason";
    });
    const onError = (e: any) => this.errors.push(String(e?.error?.message ?? e?.message ?? e));
    if (typeof device.addEventListener === "function") device.addEventListener("uncapturederror", onError);
    else device.onuncapturederror = onError;
  }

  /** Throws when the device is gone (every entry point checks first). */
  check(op: string): void {
    if (this.lost !== null) {
      throw new Error(`${op}: the WebGPU device was lost (${this.lost}); call \`await initWebGPU()\` again and move the tensors to the new device`);
    }
  }

  /** A buffer of at least `bytes` (`shape`: the tensor it holds, for the error when it is too big). */
  alloc(op: string, bytes: number, shape?: readonly number[]): GpuStorage {
    this.check(op);
    const max = this.maxBuffer;
    if (bytes > max) {
      const what = shape ? `a float32 tensor of shape ${fmt(shape)} (${bytes} bytes)` : `${bytes} bytes`;
      throw new RangeError(`${op}: ${what} on WebGPU is more than this device's largest buffer (${max} bytes)`);
    }
    const c = Math.min(sizeClass(bytes), max);
    const free = this.pool.get(c);
    const buffer = free && free.length ? free.pop() : this.create(c);
    return { buffer, bytes: c, refs: 0, executor: this };
  }
  private create(bytes: number): any {
    this.stats.buffersCreated++;
    return this.device.createBuffer({ size: bytes, usage: USAGE_STORAGE });
  }
  /** Back to the pool once no encoded command can use it. */
  release(s: GpuStorage): void {
    if (s.executor !== this || this.lost !== null) return;
    if (this.encoder) this.pending.push({ buffer: s.buffer, bytes: s.bytes });
    else this.toPool(s.buffer, s.bytes);
  }
  private toPool(buffer: any, bytes: number): void {
    let list = this.pool.get(bytes);
    if (!list) this.pool.set(bytes, (list = []));
    list.push(buffer);
  }

  /** A buffer holding `data` (written now; the buffer is fresh from the pool). */
  upload(op: string, data: Float32Array | Uint32Array): GpuStorage {
    const s = this.alloc(op, Math.max(data.byteLength, 4));
    if (data.byteLength) this.device.queue.writeBuffer(s.buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return s;
  }

  private pipeline(kernel: string, op: string): any {
    const text = kernelSource(kernel, op);
    let p = this.pipelines.get(text);
    if (!p) {
      const module = this.device.createShaderModule({ code: text, label: kernel });
      p = this.device.createComputePipeline({ layout: "auto", compute: { module, entryPoint: "main" }, label: kernel });
      this.pipelines.set(text, p);
      this.stats.pipelinesCreated++;
    }
    return p;
  }

  private enc(): any {
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    return this.encoder;
  }

  /**
   * Encodes one dispatch of `kernel`: binding 0 is `meta` (u32), then
   * `buffers` in order. `groups` are workgroup counts.
   */
  dispatch(kernel: string, op: string, meta: Uint32Array, buffers: GpuBinding[], groups: [number, number, number]): void {
    this.check(op);
    this.used.add(kernel);
    const p = this.pipeline(kernel, op);
    const m = this.upload(op, meta);
    const entries = [m, ...buffers].map((s, i) => ({ binding: i, resource: "offset" in s ? { buffer: s.storage.buffer, offset: s.offset } : { buffer: s.buffer } }));
    const bind = this.device.createBindGroup({ layout: p.getBindGroupLayout(0), entries });
    const pass = this.enc().beginComputePass();
    pass.setPipeline(p);
    pass.setBindGroup(0, bind);
    pass.dispatchWorkgroups(groups[0], groups[1], groups[2]);
    pass.end();
    this.release(m);
    this.stats.dispatches++;
    this.counted();
  }

  /** Encodes a copy of `bytes` bytes between device buffers. */
  copy(op: string, src: GpuStorage, srcByte: number, dst: GpuStorage, dstByte: number, bytes: number): void {
    this.check(op);
    if (bytes === 0) return;
    this.enc().copyBufferToBuffer(src.buffer, srcByte, dst.buffer, dstByte, bytes);
    this.counted();
  }

  private counted(): void {
    if (++this.commands >= BATCH) this.flush();
  }

  /** Submits the open batch. */
  flush(): void {
    if (!this.encoder) return;
    const cb = this.encoder.finish();
    this.encoder = null;
    this.commands = 0;
    this.device.queue.submit([cb]);
    this.stats.submits++;
    for (const b of this.pending) this.toPool(b.buffer, b.bytes);
    this.pending = [];
  }

  /** The first `n` floats of a buffer, after everything encoded so far has run. */
  async read(op: string, s: GpuStorage, n: number, byteOffset = 0): Promise<Float32Array> {
    this.check(op);
    const bytes = Math.max(4, n * 4);
    const staging = this.device.createBuffer({ size: sizeClass(bytes), usage: USAGE_READ });
    this.enc().copyBufferToBuffer(s.buffer, byteOffset, staging, 0, bytes);
    this.flush();
    try {
      await staging.mapAsync(MAP_READ, 0, bytes);
    } catch (err) {
      this.check(op);
      throw new Error(`${op}: reading from WebGPU failed: ${(err as Error).message}`);
    }
    const out = new Float32Array(staging.getMappedRange(0, bytes).slice(0));
    staging.unmap();
    staging.destroy();
    if (this.errors.length) {
      const all = this.errors.splice(0);
      throw new Error(`${op}: WebGPU reported ${all.length === 1 ? "an error" : `${all.length} errors`}: ${all.join("; ")}`);
    }
    return n === out.length ? out : out.subarray(0, n);
  }

  /** Loses the device on purpose (tests of the device-lost path). */
  destroy(reason = "destroyed"): void {
    this.lost ??= reason;
    this.encoder = null;
    this.device.destroy?.();
  }
}

/** Workgroup counts for `threads` threads of a `wg`-wide 1-D kernel (a 2-D grid past 65535 groups). */
export function grid(threads: number, wg: number): [number, number, number] {
  const groups = Math.ceil(threads / wg);
  if (groups <= 65535) return [groups, 1, 1];
  const y = Math.ceil(groups / 65535);
  return [Math.ceil(groups / y), y, 1];
}
