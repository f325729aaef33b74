// The public op functions, each also a Tensor method (tensor.ts). Kernel
// helpers (binary, unary, strided) stay internal. Each op runs on the device
// of its arguments: the CPU kernels here, or WebGPU's (runtime/webgpu) when a
// WebGPU tensor is among them (runtime/device.ts).
import { deviceAware } from "../device.js";
import * as whereOps from "./where.js";
import * as reduce from "./reduce.js";
import * as mm from "./matmul.js";
import * as reshapeOps from "./reshape.js";
import * as permuteOps from "./permute.js";
import * as join from "./join.js";
import * as slice from "./slice.js";
import * as sm from "./softmax.js";
import * as allAny from "./all-any.js";
import * as linalgOps from "./linalg.js";
import * as detOps from "./linalg-det.js";
import { linalgNorm } from "./linalg-norm.js";
import * as loss from "./loss.js";
import * as nn from "./nn.js";
import * as stats from "./stats.js";
import * as scan from "./scan.js";
import * as conv from "./conv.js";

export type { AlphaOptions } from "./binary.js";
// the elementwise ops, generated from the op registry (compiler/ops/elementwise.ts)
export * from "./elementwise-api.gen.js";
export type { Dims } from "./reduce.js";
export type { NormOrder, VarOptions } from "./stats.js";
export type { IntArg } from "./conv.js";

export const where = deviceAware("where", whereOps.where);
export const clamp = deviceAware("clamp", whereOps.clamp);
// (built on where, on the device of its arguments)
export const maskedFill = whereOps.maskedFill;
export const sum = deviceAware("sum", reduce.sum);
export const mean = deviceAware("mean", reduce.mean);
export const prod = deviceAware("prod", reduce.prod);
export const max = deviceAware("max", reduce.max);
export const min = deviceAware("min", reduce.min);
// (built on other ops, on the device of their argument)
export const all = allAny.all;
export const any = allAny.any;
export const norm = stats.norm;
export const logsumexp = stats.logsumexp;
export const std = stats.std;
// (`var` is a reserved word: the function is exported under that name, callable as `ops.var` or as the method)
const var_ = stats.var_;
export { var_ as var };
export const cumsum = deviceAware("cumsum", scan.cumsum);
export const cumprod = deviceAware("cumprod", scan.cumprod);
export const argmax = deviceAware("argmax", scan.argmax);
export const argmin = deviceAware("argmin", scan.argmin);
export const matmul = deviceAware("matmul", mm.matmul);
export const dot = deviceAware("dot", mm.dot);
export const outer = deviceAware("outer", mm.outer);
export const reshape = deviceAware("reshape", reshapeOps.reshape);
export const view = deviceAware("view", reshapeOps.view);
export const flatten = deviceAware("flatten", reshapeOps.flatten);
export const squeeze = deviceAware("squeeze", reshapeOps.squeeze);
export const unsqueeze = deviceAware("unsqueeze", reshapeOps.unsqueeze);
export const detach = deviceAware("detach", reshapeOps.detach);
export const permute = deviceAware("permute", permuteOps.permute);
export const transpose = deviceAware("transpose", permuteOps.transpose);
export const t = deviceAware("t", permuteOps.t);
export const expand = deviceAware("expand", permuteOps.expand);
export const cat = deviceAware("cat", join.cat);
export const stack = deviceAware("stack", join.stack);
export const narrow = deviceAware("narrow", slice.narrow);
export const select = deviceAware("select", slice.select);
export const index = deviceAware("index", slice.index);
// (on the device of their argument: runtime/ops/moves.ts)
export { flip, roll, repeat, tile, movedim, unflatten, broadcastTo, expandAs, clone, diag, diagonal, trace, tril, triu, chunk, split, unbind, pad, indexSelect } from "./moves.js";
// (gather and scatterAdd read the CPU index and then run on the input's device; scatter and maskedSelect are CPU only)
export { gather, scatter, scatterAdd, maskedSelect } from "./scatter.js";
export const softmax = deviceAware("softmax", sm.softmax);
export const logSoftmax = deviceAware("logSoftmax", sm.logSoftmax);
// torch.nn.functional (built on other ops, on the device of their arguments: loss.ts, nn.ts)
export type { LossOptions, Reduction } from "./loss.js";
export const crossEntropy = loss.crossEntropy;
export const nllLoss = loss.nllLoss;
export const mseLoss = loss.mseLoss;
export const binaryCrossEntropyWithLogits = loss.binaryCrossEntropyWithLogits;
export const linear = nn.linear;
export const layerNorm = nn.layerNorm;
export const dropout = nn.dropout;
/** The cross product of 3-vectors along a dim (default -1, as torch.linalg.cross; torch.cross's legacy default differs), CPU only. */
export const cross = linalgOps.cross;
/**
 * torch.linalg: `linalg.solve(A, B)`, `linalg.inv(A)`, `linalg.det(A)`, `linalg.slogdet(A)` ([sign, logabsdet]),
 * `linalg.cholesky(A)` (CPU only: a WebGPU tensor is a TypeError naming the op), and `linalg.norm(x, ord?, dim?, keepdim?)`.
 */
export const linalg = { solve: linalgOps.solve, inv: linalgOps.inv, det: detOps.det, slogdet: detOps.slogdet, cholesky: detOps.cholesky, norm: linalgNorm };
/** torch.einsum: `einsum("ij,jk->ik", a, b)` (CPU and WebGPU). */
export { einsum } from "./einsum.js";
/** torch.nn.functional's convolutions and pools (CPU only: a WebGPU tensor is a TypeError naming the op); an absent bias is undefined or null. */
export const conv1d = conv.conv1d;
export const conv2d = conv.conv2d;
export const maxPool2d = conv.maxPool2d;
export const avgPool2d = conv.avgPool2d;
