// Runs bench/torch_bench.py with /usr/bin/python3 (Debian's python3-torch) and
// returns its timings; null, after printing "PyTorch not available", when that
// Python cannot import torch.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { repoRoot } from "./compile.js";

export const PYTHON = "/usr/bin/python3";

export interface TorchCase {
  id: string;
  program: "arm" | "rosen" | "expsum" | "tanhwx" | "mlp" | "mlpbatch" | "sinexp";
  kind: "jacobian" | "hessian" | "grad";
  size: number;
  /** the loop formulation is timed too up to this size */
  loopMax: number;
  x: number[];
  L?: number[];
  /** tensor programs: x's shape and the captured matrices */
  xShape?: number[];
  mats?: Record<string, { data: number[]; shape: number[] }>;
}

export interface TorchVariant {
  time?: number;
  checksum?: number;
  error?: string;
}

export interface TorchCaseResult {
  best: number | null;
  bestVariant: string | null;
  checksum: number | null;
  variants: Record<string, TorchVariant>;
}

export interface TorchResults {
  torch: string;
  threads: number;
  cases: Record<string, TorchCaseResult>;
}

export function torchAvailable(): string | null {
  if (!fs.existsSync(PYTHON)) return null;
  const r = spawnSync(PYTHON, ["-c", "import torch, functorch; print(torch.__version__)"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : null;
}

export function runTorch(cases: TorchCase[]): TorchResults | null {
  if (!torchAvailable()) {
    console.log("PyTorch not available (/usr/bin/python3 cannot import torch): skipping the PyTorch ratios");
    return null;
  }
  const script = path.join(repoRoot, "bench", "torch_bench.py");
  const r = spawnSync(PYTHON, [script], {
    input: JSON.stringify(cases),
    encoding: "utf8",
    stdio: ["pipe", "pipe", "inherit"],
    maxBuffer: 1 << 26,
    timeout: 900_000,
  });
  if (r.status !== 0) {
    console.log(`PyTorch benchmark failed (exit ${r.status}${r.error ? `, ${r.error.message}` : ""}): skipping the PyTorch ratios`);
    return null;
  }
  try {
    return JSON.parse(r.stdout) as TorchResults;
  } catch {
    console.log("PyTorch benchmark printed no JSON: skipping the PyTorch ratios");
    return null;
  }
}
