// An MLP classifier trained with grad(crossEntropy) over a Params record, and per-sample gradient norms with vmap(grad).
import { crossEntropy, grad, tensor, vmap, type Tensor } from "jacc";

interface Params { W1: Tensor; b1: Tensor; W2: Tensor; b2: Tensor }

/** The class scores of a batch X [N, 2]: [N, 2]. */
function logits(p: Params, X: Tensor): Tensor {
  return X.matmul(p.W1.t()).add(p.b1).tanh().matmul(p.W2.t()).add(p.b2);
}

/** Cross-entropy of the scores against the class labels Y [N] (0 or 1), averaged over the batch. */
export function loss(p: Params, X: Tensor, Y: Tensor): Tensor {
  return crossEntropy(logits(p, X), Y);
}

/** One example's loss (x [2], its label y a 0-d tensor): vmap over the batch gives per-sample gradients. */
function exampleLoss(p: Params, x: Tensor, y: Tensor): Tensor {
  return crossEntropy(logits(p, x.unsqueeze(0)).squeeze(0), y);
}

const gradient = grad(loss);
const perSample = vmap(grad(exampleLoss), { inDims: [null, 0, 0] });

// ---- data and parameters, deterministic: the class of a point is the sign of x·y (an XOR pattern)
const N = 64, H = 12;
const noise = (i: number) => Math.sin(i * 12.9898 + 78.233) * 43758.5453 - Math.floor(Math.sin(i * 12.9898 + 78.233) * 43758.5453);
const points = Array.from({ length: N }, (_, i) => [2 * noise(2 * i) - 1, 2 * noise(2 * i + 1) - 1]);
const X = tensor(points, { dtype: "float64" });
const Y = tensor(points.map(([a, b]) => (a * b > 0 ? 0 : 1)), { dtype: "float64" });
const init = (rows: number, cols: number, seed: number, scale: number) =>
  tensor(Array.from({ length: rows }, (_, r) => Array.from({ length: cols }, (_, c) => scale * (2 * noise(seed + r * cols + c) - 1))), { dtype: "float64" });

function accuracy(p: Params): number {
  const z = logits(p, X).toArray() as number[][];
  const y = Y.toArray() as number[];
  return z.filter((row, i) => (row[0] > row[1] ? 0 : 1) === y[i]).length / N;
}

const names = ["W1", "b1", "W2", "b2"] as const;
const flatParams = (p: Params): number[] => names.flatMap((k) => [...p[k].data]);
const paramsOf = (v: number[], like: Params): Params => {
  let at = 0;
  const take = (t: Tensor) => tensor(v.slice(at, (at += t.numel())), { dtype: "float64" }).reshape(t.shape);
  return { W1: take(like.W1), b1: take(like.b1), W2: take(like.W2), b2: take(like.b2) };
};

export function main() {
  let p: Params = { W1: init(H, 2, 1000, 1.5), b1: init(H, 1, 2000, 0.5).reshape([H]), W2: init(2, H, 3000, 0.5), b2: tensor([0, 0], { dtype: "float64" }) };
  const before = { loss: loss(p, X, Y).item(), accuracy: accuracy(p) };
  for (let step = 0; step < 300; step++) {
    const g = gradient(p, X, Y);
    p = { W1: p.W1.sub(g.W1.mul(0.5)), b1: p.b1.sub(g.b1.mul(0.5)), W2: p.W2.sub(g.W2.mul(0.5)), b2: p.b2.sub(g.b2.mul(0.5)) };
  }
  const after = { loss: loss(p, X, Y).item(), accuracy: accuracy(p) };
  // per-sample gradients: one record with a leading batch dim per leaf; their norms, and their mean is the batch gradient
  const each = perSample(p, X, Y);
  const norms = Array.from({ length: N }, (_, i) => Math.sqrt(names.reduce((s, k) => s + each[k].select(0, i).square().sum().item(), 0)));
  const g = gradient(p, X, Y);
  const meanGap = Math.max(...names.map((k) => each[k].mean(0).sub(g[k]).abs().max().item()));
  const few = paramsOf(flatParams(p), p);
  return {
    "loss and accuracy before training": [before.loss, before.accuracy],
    "loss and accuracy after 300 steps": [after.loss, after.accuracy],
    "largest per-sample gradient norms": [...norms].sort((a, b) => b - a).slice(0, 3),
    "mean of the per-sample gradients − the batch gradient (max abs)": meanGap,
    // (every parameter is checked; the b2 block is the one printed)
    "d loss / d every parameter": { value: flatParams(g), of: (v: number[]) => loss(paramsOf(v, few), X, Y).item(), at: [flatParams(p)], quiet: true },
    "d loss / d b2": { value: g.b2, of: (b: number[]) => loss({ ...p, b2: tensor(b, { dtype: "float64" }) }, X, Y).item(), at: [[...p.b2.data]] },
  };
}
