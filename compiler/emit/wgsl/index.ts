// The WGSL kernels of the tensor runtime, by name, and which of them each
// runtime function (an op of SPEC §5 or an AD helper of runtime/ad.ts) needs on
// WebGPU. compileModule (compiler/index.ts) emits, into each module that calls
// tensor ops, the kernels its code can reach (`kernelsForCode`), as string
// constants registered with the runtime (`__jt.gpuKernels`); the runtime never
// generates shader text itself.
import {
  binaryKernel, clampMaskKernel, clampScalarKernel, copyStridedKernel, fillKernel, gatherRowsKernel, matmulKernel, oneHotKernel,
  prodGradJvpKernel, prodGradKernel, reduceKernel, scatterRowsAddKernel, softmaxKernel, unaryKernel, whereKernel,
  type BinaryKind, type FoldKind, type UnaryKind,
} from "./kernels.js";
import { argExtremumKernel, cumprodBackKernel, cumprodJvpKernel, scanKernel } from "./scan-kernels.js";
import { gatherDimKernel, scatterAddDimKernel } from "./index-kernels.js";

import { BINARY_NAMES, ELEMENTWISE_OPS, UNARY_NAMES } from "../../ops/elementwise.js";
import { SJ_ENTRIES, type SjEntry } from "../../ops/structure.js";

export { WgslBuilder } from "./builder.js";

const UNARY: UnaryKind[] = [...UNARY_NAMES, "step", "sgn"];
const BINARY: BinaryKind[] = [...BINARY_NAMES, "pick_max", "pick_min"];
const FOLDS: FoldKind[] = ["sum", "prod", "max", "min"];

/** Every kernel by name, each a generator of its (shape-independent) text. */
export const KERNELS: Record<string, () => string> = {
  ...Object.fromEntries(UNARY.map((op) => [`unary_${op}`, () => unaryKernel(op)])),
  ...Object.fromEntries(BINARY.map((op) => [`binary_${op}`, () => binaryKernel(op)])),
  ...Object.fromEntries(FOLDS.map((f) => [`reduce_${f}`, () => reduceKernel(f)])),
  where: whereKernel,
  clamp_scalar: clampScalarKernel,
  clamp_mask: clampMaskKernel,
  matmul: matmulKernel,
  copy_strided: copyStridedKernel,
  gather_rows: gatherRowsKernel,
  scatter_rows_add: scatterRowsAddKernel,
  softmax: () => softmaxKernel(false),
  log_softmax: () => softmaxKernel(true),
  fill: fillKernel,
  one_hot: oneHotKernel,
  prod_grad: prodGradKernel,
  prod_grad_jvp: prodGradJvpKernel,
  scan: scanKernel,
  cumprod_jvp: cumprodJvpKernel,
  cumprod_back: cumprodBackKernel,
  arg_extremum: argExtremumKernel,
  gather_dim: gatherDimKernel,
  scatter_add_dim: scatterAddDimKernel,
};

const COPY = ["copy_strided"];
/** Kernels behind adSumTo / un-broadcasting. */
const SUM_TO = ["reduce_sum"];
const EXPAND = ["copy_strided", "fill"];

/**
 * The kernels each runtime function uses on WebGPU (runtime/webgpu/ops.ts and
 * ad.ts), including those of the runtime functions it calls. Functions that
 * only change metadata (reshape, view, flatten, squeeze, unsqueeze, detach, adNumel,
 * adReshapeAs) need none. A test runs every GPU op with exactly these kernels.
 */
export const RUNTIME_KERNELS: Record<string, readonly string[]> = {
  // the registry's elementwise ops: their own kernel (and binary_mul to scale `other` by alpha)
  // (an op with variants, gelu, needs its variants' kernels too: gelu(x, { approximate: "tanh" }) runs unary_geluTanh)
  ...Object.fromEntries(UNARY_NAMES.filter((op) => !ELEMENTWISE_OPS[op].variantOf).map((op) => [op, Object.values(ELEMENTWISE_OPS[op].variants?.ops ?? { op }).map((n) => `unary_${n}`)])),
  ...Object.fromEntries(BINARY_NAMES.map((op) => [op, ELEMENTWISE_OPS[op].alpha ? [`binary_${op}`, "binary_mul"] : [`binary_${op}`]])),
  where: ["where"],
  // (masks on WebGPU are f32 buffers of 0 / 1: maskedFill of a bool input converts back with ne)
  maskedFill: ["where", "binary_ne"],
  all: ["unary_logicalNot", "reduce_sum", "binary_eq"],
  any: ["binary_ne", "reduce_sum", "binary_gt"],
  clamp: ["clamp_scalar", "binary_maximum", "binary_minimum"],
  sum: ["reduce_sum"],
  mean: ["reduce_sum"],
  prod: ["reduce_prod"],
  max: ["reduce_max", "binary_maximum"],
  min: ["reduce_min", "binary_minimum"],
  matmul: ["matmul", "fill"],
  dot: ["matmul", "fill"],
  outer: ["binary_mul"],
  reshape: [], view: [], flatten: [], squeeze: [], unsqueeze: [], detach: [],
  transpose: COPY, t: COPY, permute: COPY, expand: COPY, narrow: COPY, select: COPY, cat: COPY, stack: COPY,
  index: ["gather_rows", "copy_strided"],
  // movement ops (runtime/ops/moves.ts): strided copies, zeros first where some entries are not copied
  flip: COPY, roll: COPY, repeat: COPY, tile: COPY, movedim: COPY, broadcastTo: COPY, expandAs: COPY, diagonal: COPY,
  diag: EXPAND, unflatten: [], clone: [],
  trace: ["copy_strided", "reduce_sum"],
  tril: ["where", "binary_ne"], triu: ["where", "binary_ne"], pad: EXPAND,
  bRepeat: COPY, bDiag: EXPAND,
  bRepeatBackward: ["copy_strided", ...SUM_TO], bDiagonalBackward: EXPAND, bDiagBackward: EXPAND, bTraceBackward: EXPAND, bPieceBackward: EXPAND, bReshapeAs: COPY,
  chunk: COPY, split: COPY, unbind: COPY, adPiece: COPY,
  indexSelect: ["gather_rows", "copy_strided"],
  // (the index read by the kernel, a CPU one uploaded; scatter and maskedSelect are CPU only)
  gather: ["gather_dim"],
  scatterAdd: ["scatter_add_dim", "binary_add"],
  softmax: ["softmax"],
  logSoftmax: ["log_softmax"],
  // (built on other ops: their kernels)
  norm: ["unary_abs", "unary_square", "reduce_sum", "unary_sqrt", "reduce_max"],
  logsumexp: ["reduce_max", "unary_isfinite", "where", "binary_sub", "unary_exp", "reduce_sum", "unary_log", "binary_add"],
  var: ["reduce_sum", "binary_sub", "binary_mul", "binary_div"],
  std: ["reduce_sum", "binary_sub", "binary_mul", "binary_div", "unary_sqrt"],
  cumsum: ["scan"],
  cumprod: ["scan"],
  argmax: ["arg_extremum"],
  argmin: ["arg_extremum"],
  // (class indices on the device: the one-hot by comparison, NaN rows for an index that is not a class)
  // (ignoreIndex: the rows that count, by logicalNot and a sum; labelSmoothing: a scale and a shift)
  // ([N, C, d1, …]: the classes moved last by a strided copy; a class weight: a product)
  crossEntropy: ["copy_strided", "log_softmax", "binary_mul", "reduce_sum", "unary_neg", "binary_eq", "binary_ge", "binary_lt", "unary_round", "binary_logicalAnd", "where", "unary_logicalNot", "binary_div", "binary_add"],
  adCeTarget: ["binary_eq", "binary_ge", "binary_lt", "unary_round", "binary_logicalAnd", "where", "unary_logicalNot", "reduce_sum", "binary_div", "binary_mul", "binary_add"],
  adCeTargetTangent: ["fill", "binary_mul"],
  // torch.nn.functional (runtime/ops/nn.ts, loss.ts): built on other ops
  nllLoss: ["copy_strided", "binary_mul", "reduce_sum", "unary_neg", "binary_eq", "binary_ge", "binary_lt", "unary_round", "binary_logicalAnd", "where", "unary_logicalNot", "binary_div"],
  adNllTarget: ["binary_eq", "binary_ge", "binary_lt", "unary_round", "binary_logicalAnd", "where", "unary_logicalNot", "reduce_sum", "binary_div", "binary_mul"],
  adClassMove: COPY,
  mseLoss: ["binary_sub", "unary_square", "reduce_sum"],
  binaryCrossEntropyWithLogits: ["binary_sub", "binary_mul", "unary_logSigmoid", "reduce_sum"],
  linear: ["matmul", "fill", "copy_strided", "binary_add"],
  layerNorm: ["reduce_sum", "binary_sub", "binary_mul", "binary_add", "unary_rsqrt"],
  bLoss: ["copy_strided", "log_softmax", "binary_mul", "reduce_sum", "unary_neg", "binary_eq", "binary_ge", "binary_lt", "unary_round", "binary_logicalAnd", "where", "binary_sub", "unary_square", "unary_logSigmoid", "unary_logicalNot", "binary_ne", "binary_div", "binary_add"],
  zeros: ["fill"], ones: ["fill"], full: ["fill"],
  // AD helpers (runtime/ad.ts)
  adAcc: ["binary_add"],
  adSumTo: SUM_TO,
  adExpandAs: EXPAND,
  adZerosLike: ["fill"],
  adOneHot: ["one_hot"],
  adBlock: ["fill"],
  adSetRow: ["fill"],
  adSetCol: ["copy_strided", "fill"],
  adSumBackward: EXPAND,
  adMeanBackward: [...EXPAND, "binary_div"],
  adMatmulBackA: ["matmul", "fill", "copy_strided", "binary_mul", ...SUM_TO],
  adMatmulBackB: ["matmul", "fill", "copy_strided", "binary_mul", ...SUM_TO],
  adSelectBackward: EXPAND,
  adNarrowBackward: EXPAND,
  adReshapeAs: [],
  adStep: ["unary_step"],
  adSign: ["unary_sgn"],
  adEqMask: ["binary_eq"],
  adPickWeight: ["binary_pick_max", "binary_pick_min"],
  adClampMask: ["clamp_mask"],
  adExtremumWeights: [...EXPAND, "binary_eq", "reduce_sum", "binary_div"],
  adProdGrad: ["copy_strided", "prod_grad"],
  adProdGradJvp: ["copy_strided", "prod_grad_jvp"],
  adCatPiece: COPY,
  adIndexBackward: ["scatter_rows_add"],
  adVarScale: [],
  adRevCumsum: ["scan"],
  adCumprodJvp: ["cumprod_jvp"],
  adCumprodJvp2: ["cumprod_jvp"],
  adCumprodBackward: ["cumprod_back"],
  adCumprodBackwardJvp: ["cumprod_back"],
  adRepeatBackward: SUM_TO,
  adDiagonalBackward: EXPAND,
  adDiagBackward: EXPAND,
  adTraceBackward: EXPAND,
  adPieceBackward: EXPAND,
  adIndexSelectBackward: ["scatter_rows_add", "copy_strided", "fill"],
  adFitTo: EXPAND,
  adNumel: [],
  // number cotangents that may be 0-d device tensors (compiler/opt/device-numbers.ts)
  adNumAdd: ["binary_add", "binary_mul"],
  adNumSub: ["binary_sub", "binary_mul"],
  adNumMul: ["binary_mul"],
  adNumDiv: ["binary_div"],
  adNumNeg: ["unary_neg"],
  adNumMath: ["unary_exp", "unary_log", "unary_sqrt", "unary_sin", "unary_cos", "unary_tanh", "binary_pow"],
  adItem: [],
  adNumPlain: [],
  adNumVec: [],
  adNumCopy: [],
  adNumFit: [],
  adWrapNums: ["fill"],
  // structured Jacobians (runtime/jac.ts; on WebGPU runtime/webgpu/jac.ts): each entry (sjMul, sjMove, …)
  // runs its op's own kernels (its rule, or the op once per column: runtimeCallsOf adds them), fills and
  // strided copies (dense forms of a diagonal, columns), products (W @ diag(d) scales W's columns), and
  // an entry that gathers rows the `index` kernel
  ...Object.fromEntries(Object.keys(SJ_ENTRIES).map((e) => [e, ["fill", "copy_strided", "binary_mul"]])),
  sjSeed: [],
  sjBlock: ["fill", "copy_strided"],
  sjKind: [],
};

/** The text of one kernel (throws for an unknown name). */
export function kernelText(name: string): string {
  const gen = KERNELS[name];
  if (!gen) throw new Error(`jacc: no WGSL kernel named ${name}`);
  return gen();
}

/** The kernels (name → text) that the given runtime functions need. */
export function kernelsFor(fns: Iterable<string>): Record<string, string> {
  const names = new Set<string>();
  for (const f of fns) for (const k of RUNTIME_KERNELS[f] ?? []) names.add(k);
  return Object.fromEntries([...names].sort().map((n) => [n, kernelText(n)]));
}

/** Every kernel (tests, and programs that call tensor ops outside compiled modules). */
export function allKernels(): Record<string, string> {
  return Object.fromEntries(Object.keys(KERNELS).sort().map((n) => [n, kernelText(n)]));
}

/** Receivers whose methods are never tensor ops (`Math.max(`, `console.log(`). */
const NOT_TENSORS = new Set(["Math", "console", "JSON", "Object", "Array", "Number", "String", "Promise", "process", "Reflect", "Symbol", "Date"]);

/**
 * The runtime functions a module's code can call: `__jt.name(` in generated
 * code, `.name(` method calls (not on Math, console, …), the ops imported
 * from "jacc" (`imports`: local name → exported name), and
 * `adZ("name", …)` (an op named by a string) and the ops structured entries run.
 */
export function runtimeCallsOf(code: string, imports: ReadonlyMap<string, string> = new Map()): Set<string> {
  const out = new Set<string>();
  for (const m of code.matchAll(/([\w$]*)\s*\.\s*([A-Za-z_$][\w$]*)\s*\(/g)) {
    if (!NOT_TENSORS.has(m[1]) && m[2] in RUNTIME_KERNELS) out.add(m[2]);
  }
  // an op imported from "jacc" may be called or passed around (`xs.map(exp)`): count it either way
  for (const exported of imports.values()) if (exported in RUNTIME_KERNELS) out.add(exported);
  for (const m of code.matchAll(/adZ\(\s*["'](\w+)["']/g)) if (m[1] in RUNTIME_KERNELS) out.add(m[1]);
  // a structured entry runs its op: named by the entry (compiler/ops/structure.ts), or passed first (`sjMove(__jt.t, …)`)
  for (const m of code.matchAll(/\b(sj[A-Z]\w*)\(\s*(?:__jt\.(\w+))?/g)) {
    const e = SJ_ENTRIES[m[1] as SjEntry];
    if (!e) continue;
    const op = e.op ?? m[2];
    if (op && op in RUNTIME_KERNELS) out.add(op);
    if (e.gathers) out.add("index");
  }
  return out;
}

/** The kernels a module's code needs ({} when it calls no tensor op). */
export function kernelsForCode(code: string, imports?: ReadonlyMap<string, string>): Record<string, string> {
  return kernelsFor(runtimeCallsOf(code, imports));
}
