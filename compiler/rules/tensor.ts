// The derivative rules of the tensor primitives (SPEC §5): one entry per op,
// its runtime call and its jvp / vjp side by side, built from other tensor
// primitives so derivatives are differentiable again. Operands that PyTorch
// broadcasts are un-broadcast in the vjp (ad.sumTo). `ad.*` entries are the
// runtime helpers of runtime/ad.ts that the rules themselves use.
import { type Atom, BOOL, type Builder, lit, NUM, TENSOR, type Type, VEC } from "../ir/ir.js";
import { ELEMENTWISE_NAMES, ELEMENTWISE_OPS, type ElementwiseName, expandAs, sumTo, T, tadd } from "../ops/elementwise.js";

type Tan = Atom | null;

export interface TensorRule {
  /** differentiable operands first (tensors or numbers); then integer arguments */
  operands: number;
  js: (a: string[], attrs: unknown[]) => string;
  zero?: boolean;
  type?: (args: Type[]) => Type;
  jvp?: (b: Builder, x: Atom[], dx: Tan[], out: Atom, attrs: unknown[]) => Tan;
  vjp?: (b: Builder, x: Atom[], out: Atom, ct: Atom, active: boolean[], attrs: unknown[], types: Type[]) => Tan[];
}

const lits = (attrs: unknown[]) => attrs.map((a) => (a === undefined ? "undefined" : JSON.stringify(a)));
const call = (fn: string) => (a: string[], attrs: unknown[]) => `__jt.${fn}(${[...a, ...lits(attrs)].join(", ")})`;

const rest = (x: Atom[], n: number) => x.slice(n);

/** A rule for an op linear in its first operand: the jvp applies the op to the tangent. */
function linear(fn: string, back: (b: Builder, ct: Atom, x: Atom[], attrs: unknown[]) => Atom, prim = `t.${fn}`): TensorRule {
  return {
    operands: 1,
    js: call(fn),
    jvp: (b, x, [dx], _o, attrs) => (dx ? T(b, prim, [dx, ...rest(x, 1)], attrs) : null),
    vjp: (b, x, _o, ct, _a, attrs) => [back(b, ct, x, attrs)],
  };
}

/** The rules of the registry's elementwise ops: the runtime call `__jt.<name>(operands..., params...)` and the entry's jvp / vjp. */
function elementwiseRules(): Record<`t.${ElementwiseName}`, TensorRule> {
  return Object.fromEntries(ELEMENTWISE_NAMES.map((name) => {
    const op = ELEMENTWISE_OPS[name];
    // (an op of zero derivative is a constant to AD: its operands' cotangents are not asked for)
    return [`t.${name}`, op.rule.zero ? { operands: op.arity, js: call(name), zero: true } : { operands: op.arity, js: call(name), jvp: op.rule.jvp, vjp: op.rule.vjp }];
  })) as Record<`t.${ElementwiseName}`, TensorRule>;
}


const TENSOR_RULES = {
  // the elementwise ops: compiler/ops/elementwise.ts
  ...elementwiseRules(),
  // reductions: linear; the vjp broadcasts ct back over the reduced dims
  "t.sum": linear("sum", (b, ct, [x], attrs) => T(b, "ad.sumBackward", [ct, x], attrs)),
  "t.mean": linear("mean", (b, ct, [x], attrs) => T(b, "ad.meanBackward", [ct, x], attrs)),
  // d(a @ b) = da @ b + a @ db
  "t.matmul": {
    operands: 2,
    js: call("matmul"),
    jvp: (b, [x, y], [dx, dy]) => tadd(b, dx ? T(b, "t.matmul", [dx, y]) : null, dy ? T(b, "t.matmul", [x, dy]) : null),
    vjp: (b, [x, y], _o, ct, act) => [act[0] ? T(b, "ad.matmulBackA", [ct, x, y]) : null, act[1] ? T(b, "ad.matmulBackB", [ct, x, y]) : null],
  },
  "t.dot": {
    operands: 2,
    js: call("dot"),
    jvp: (b, [x, y], [dx, dy]) => tadd(b, dx ? T(b, "t.dot", [dx, y]) : null, dy ? T(b, "t.dot", [x, dy]) : null),
    vjp: (b, [x, y], _o, ct, act) => [act[0] ? T(b, "t.mul", [ct, y]) : null, act[1] ? T(b, "t.mul", [ct, x]) : null],
  },
  "t.outer": {
    operands: 2,
    js: call("outer"),
    jvp: (b, [x, y], [dx, dy]) => tadd(b, dx ? T(b, "t.outer", [dx, y]) : null, dy ? T(b, "t.outer", [x, dy]) : null),
    vjp: (b, [x, y], _o, ct, act) => [act[0] ? T(b, "t.matmul", [ct, y]) : null, act[1] ? T(b, "t.matmul", [x, ct]) : null],
  },
  // shape ops: linear, with the inverse index map as vjp
  "t.select": linear("select", (b, ct, x) => T(b, "ad.selectBackward", [ct, x[0], x[1], x[2]])),
  "t.narrow": linear("narrow", (b, ct, x) => T(b, "ad.narrowBackward", [ct, x[0], x[1], x[2], x[3]])),
  "t.reshape": linear("reshape", (b, ct, [x]) => T(b, "ad.reshapeAs", [ct, x])),
  "t.view": linear("view", (b, ct, [x]) => T(b, "ad.reshapeAs", [ct, x])),
  "t.flatten": linear("flatten", (b, ct, [x]) => T(b, "ad.reshapeAs", [ct, x])),
  "t.squeeze": linear("squeeze", (b, ct, [x]) => T(b, "ad.reshapeAs", [ct, x])),
  "t.unsqueeze": linear("unsqueeze", (b, ct, [x]) => T(b, "ad.reshapeAs", [ct, x])),
  "t.transpose": linear("transpose", (b, ct, x) => T(b, "t.transpose", [ct, x[1], x[2]])),
  "t.t": linear("t", (b, ct) => T(b, "t.t", [ct])),
  "t.permute": linear("permute", (b, ct, _x, attrs) => T(b, "t.permute", [ct], [inversePerm(attrs[0] as number[])])),
  "t.expand": linear("expand", (b, ct, [x]) => sumTo(b, ct, x, TENSOR)),
  // softmax: d s = s (dx - Σ s dx); log-softmax: d l = dx - Σ softmax dx
  "t.softmax": {
    operands: 1,
    js: call("softmax"),
    jvp: (b, x, [dx], out) => (dx ? T(b, "t.mul", [out, T(b, "t.sub", [dx, keepSum(b, T(b, "t.mul", [out, dx]), x[1])])]) : null),
    vjp: (b, x, out, ct) => [T(b, "t.mul", [out, T(b, "t.sub", [ct, keepSum(b, T(b, "t.mul", [ct, out]), x[1])])])],
  },
  "t.logSoftmax": {
    operands: 1,
    js: call("logSoftmax"),
    jvp: (b, x, [dx], out) => (dx ? T(b, "t.sub", [dx, keepSum(b, T(b, "t.mul", [T(b, "t.exp", [out]), dx]), x[1])]) : null),
    vjp: (b, x, out, ct) => [T(b, "t.sub", [ct, T(b, "t.mul", [T(b, "t.exp", [out]), keepSum(b, ct, x[1])])])],
  },

  // where(c, a, b): differentiable in a and b only
  "t.where": {
    operands: 3,
    js: call("where"),
    jvp: (b, [c], [, da, db], out) => (da || db ? expandAs(b, T(b, "t.where", [c, da ?? lit(0), db ?? lit(0)]), out) : null),
    vjp: (b, [c, x, y], _o, ct, act, _a, ty) => [
      null,
      act[1] ? sumTo(b, T(b, "t.where", [c, ct, lit(0)]), x, ty[1]) : null,
      act[2] ? sumTo(b, T(b, "t.where", [c, lit(0), ct]), y, ty[2]) : null,
    ],
  },
  // clamp: d = dx where min <= x <= max (PyTorch), bounds are constants
  "t.clamp": {
    operands: 1,
    js: call("clamp"),
    jvp: (b, x, [dx]) => (dx ? T(b, "t.mul", [dx, T(b, "ad.clampMask", x)]) : null),
    vjp: (b, x, _o, ct) => [T(b, "t.mul", [ct, T(b, "ad.clampMask", x)])],
  },
  // max / min reductions: split evenly among tied extrema
  "t.amax": extremum("max"),
  "t.amin": extremum("min"),
  // prod: ∂/∂x_i = product of the others (exact at zeros)
  "t.prod": {
    operands: 1,
    js: call("prod"),
    jvp: (b, [x], [dx], _o, attrs) => (dx ? T(b, "t.sum", [T(b, "t.mul", [dx, T(b, "ad.prodGrad", [x], attrs)])], attrs) : null),
    vjp: (b, [x], _o, ct, _a, attrs) => [T(b, "t.mul", [T(b, "ad.sumBackward", [ct, x], attrs), T(b, "ad.prodGrad", [x], attrs)])],
  },
  // cat / stack of several tensors: the vjp hands each operand its piece of ct
  "t.cat": joinRule(false),
  "t.stack": joinRule(true),
  // index (gather along dim 0): linear in x, indices are constants
  "t.index": linear("index", (b, ct, x) => T(b, "ad.indexBackward", [ct, x[0], x[1]])),
  // item: the number of a one-element tensor, a differentiable value like any number
  // d(item x) = item(dx); x̄ = ct in x's shape (on x's device)
  "t.item": {
    operands: 1,
    js: (a) => `${a[0]}.item()`,
    type: () => NUM,
    jvp: (b, _x, [dx]) => (dx ? b.t("t.item", [dx], [], NUM) : null),
    vjp: (b, [x], _o, ct) => [expandAs(b, ct, x)],
  },
  // detach: the same values with no derivative (PyTorch's x.detach(); shares x's storage)
  "t.detach": { operands: 1, js: call("detach"), zero: true },

  // ---- runtime helpers the rules use (runtime/ad.ts)
  // acc(a, b) = a + b, where a may be undefined (a cotangent not reached yet)
  "ad.acc": {
    operands: 2,
    js: call("adAcc"),
    jvp: (b, _x, [da, db]) => (da && db ? T(b, "ad.acc", [da, db]) : da ?? db),
    vjp: (_b, _x, _o, ct) => [ct, ct],
  },
  "ad.sumTo": {
    operands: 1,
    js: call("adSumTo"),
    type: (ts) => (ts[1]?.k === "num" ? NUM : TENSOR),
    jvp: (b, x, [dx], out) => (dx ? b.t("ad.sumTo", [dx, x[1]], [], out.k === "var" && b.fn.vars.get(out.name)?.k === "num" ? NUM : TENSOR) : null),
    vjp: (b, x, _o, ct) => [T(b, "ad.expandAs", [ct, x[0]])],
  },
  "ad.expandAs": {
    operands: 1,
    js: call("adExpandAs"),
    jvp: (b, x, [dx]) => (dx ? T(b, "ad.expandAs", [dx, x[1]]) : null),
    vjp: (b, x, _o, ct, _a, _at, ty) => [sumTo(b, ct, x[0], ty[0])],
  },
  "ad.sumBackward": linear("adSumBackward", (b, ct, x, attrs) => T(b, "t.sum", [ct], attrs), "ad.sumBackward"),
  "ad.meanBackward": linear("adMeanBackward", (b, ct, x, attrs) => T(b, "t.mean", [ct], attrs), "ad.meanBackward"),
  "ad.selectBackward": linear("adSelectBackward", (b, ct, x) => T(b, "t.select", [ct, x[2], x[3]]), "ad.selectBackward"),
  "ad.narrowBackward": linear("adNarrowBackward", (b, ct, x) => T(b, "t.narrow", [ct, x[2], x[3], x[4]]), "ad.narrowBackward"),
  "ad.reshapeAs": linear("adReshapeAs", (b, ct, x) => T(b, "ad.reshapeAs", [ct, x[0]]), "ad.reshapeAs"),
  // bilinear in (ct, the other operand); the first operand only gives shapes
  "ad.matmulBackA": {
    operands: 3,
    js: call("adMatmulBackA"),
    jvp: (b, [ct, a, y], [dct, , dy]) => tadd(b, dct ? T(b, "ad.matmulBackA", [dct, a, y]) : null, dy ? T(b, "ad.matmulBackA", [ct, a, dy]) : null),
  },
  "ad.matmulBackB": {
    operands: 3,
    js: call("adMatmulBackB"),
    jvp: (b, [ct, a, y], [dct, da]) => tadd(b, dct ? T(b, "ad.matmulBackB", [dct, a, y]) : null, da ? T(b, "ad.matmulBackB", [ct, da, y]) : null),
  },
  "ad.step": { operands: 1, js: call("adStep"), zero: true },
  "ad.pickWeight": { operands: 2, js: call("adPickWeight"), zero: true },
  "ad.clampMask": { operands: 1, js: call("adClampMask"), zero: true },
  "ad.extremumWeights": { operands: 2, js: call("adExtremumWeights"), zero: true },
  "ad.prodGrad": {
    operands: 1,
    js: call("adProdGrad"),
    jvp: (b, [x], [dx], _o, attrs) => (dx ? T(b, "ad.prodGradJvp", [x, dx], attrs) : null),
  },
  // third derivatives of prod are not provided (its second-order tangent is a constant here)
  "ad.prodGradJvp": { operands: 2, js: call("adProdGradJvp"), zero: true },
  "ad.catPiece": {
    operands: 1,
    js: (a, attrs) => `__jt.adCatPiece(${[a[0], ...lits(attrs), ...a.slice(1)].join(", ")})`,
    jvp: (b, x, [dct], _o, attrs) => (dct ? T(b, "ad.catPiece", [dct, ...x.slice(1)], attrs) : null),
  },
  "ad.indexBackward": linear("adIndexBackward", (b, ct, x) => T(b, "t.index", [ct, x[2]]), "ad.indexBackward"),
  "ad.sign": { operands: 1, js: call("adSign"), zero: true },
  "ad.zerosLike": { operands: 1, js: call("adZerosLike"), zero: true },
  "ad.oneHot": { operands: 1, js: call("adOneHot"), zero: true },
  "ad.numel": { operands: 1, js: call("adNumel"), zero: true, type: () => NUM },
  "ad.block": { operands: 2, js: call("adBlock"), zero: true },
  // structured Jacobians (runtime/jac.ts): the identity seed and a block filled from its structure
  "ad.sjSeed": { operands: 1, js: call("sjSeed"), zero: true },
  "ad.sjOk": { operands: 1, js: call("sjOk"), zero: true, type: () => BOOL },
  "ad.sjOkCpu": { operands: 1, js: call("sjOkCpu"), zero: true, type: () => BOOL },
  "ad.sjBlock": { operands: 3, js: call("sjBlock"), zero: true },
  // number cotangents that may be 0-d device tensors (compiler/opt/device-numbers.ts, run after
  // every transform: never differentiated)
  "ad.numAdd": { operands: 2, js: call("adNumAdd"), type: () => NUM },
  "ad.numSub": { operands: 2, js: call("adNumSub"), type: () => NUM },
  "ad.numMul": { operands: 2, js: call("adNumMul"), type: () => NUM },
  "ad.numDiv": { operands: 2, js: call("adNumDiv"), type: () => NUM },
  "ad.numNeg": { operands: 1, js: call("adNumNeg"), type: () => NUM },
  "ad.numPlain": { operands: 1, js: call("adNumPlain"), type: () => NUM },
  "ad.numMath": { operands: 2, js: (a, attrs) => `__jt.adNumMath(${[JSON.stringify(attrs[0]), ...a].join(", ")})`, type: () => NUM },
  "ad.item": { operands: 1, js: call("adItem"), type: () => NUM },
  "ad.numVec": { operands: 0, js: call("adNumVec"), type: () => VEC },
  "ad.numCopy": { operands: 0, js: call("adNumCopy"), type: () => VEC },
  "ad.numFit": { operands: 1, js: call("adNumFit"), type: () => NUM },
  "t.size": { operands: 1, js: (a) => `${a[0]}.size(${a[1]})`, zero: true, type: () => NUM },
  "t.dim": { operands: 1, js: (a) => `${a[0]}.dim()`, zero: true, type: () => NUM },
  // a factory given the function's values (compiler/front/lower.ts factoryCall): no derivative, as in PyTorch
  "t.factory": {
    operands: 0,
    zero: true,
    js: (a, attrs) => {
      const [name, layout] = attrs as [string, FactoryArg[]];
      let next = 0;
      const opts = (fields: FactoryField[]) => `{ ${fields.map((f) => `${JSON.stringify(f.key)}: ${"text" in f ? f.text : `${a[next++]}.${f.prop}`}`).join(", ")} }`;
      const args = layout.map((l) => (l.k === "text" ? l.text : l.k === "atom" ? a[next++] : l.k === "opts" ? opts(l.fields) : `[${a.slice(next, (next += l.n)).join(", ")}]`));
      return `__jt.${name}(${args.join(", ")})`;
    },
  },
  // a copy: the generated code may not write into a tensor's own shape
  "t.shape": { operands: 1, js: (a) => `[...${a[0]}.shape]`, zero: true, type: () => VEC },
  "t.numel": { operands: 1, js: (a) => `${a[0]}.numel()`, zero: true, type: () => NUM },
} satisfies Record<string, TensorRule>;

/** The tensor primitives' names: compiler/ops/structure.ts's table is typed over them. */
export type TensorPrim = keyof typeof TENSOR_RULES;
/** How t.factory's operands rebuild a factory call's arguments (compiler/front/lower.ts factoryCall). */
export type FactoryField = { key: string; text: string } | { key: string; prop: "dtype" | "device" };
export type FactoryArg = { k: "atom" } | { k: "array"; n: number } | { k: "text"; text: string } | { k: "opts"; fields: FactoryField[] };

export const tensorRules: Record<string, TensorRule> = TENSOR_RULES;

function extremum(which: "max" | "min"): TensorRule {
  return {
    operands: 1,
    js: call(which),
    jvp: (b, [x], [dx], out, attrs) => (dx ? T(b, "t.sum", [T(b, "t.mul", [dx, T(b, "ad.extremumWeights", [x, out], attrs)])], attrs) : null),
    vjp: (b, [x], out, ct, _a, attrs) => [T(b, "t.mul", [T(b, "ad.sumBackward", [ct, x], attrs), T(b, "ad.extremumWeights", [x, out], attrs)])],
  };
}

function joinRule(stacked: boolean): TensorRule {
  const fn = stacked ? "stack" : "cat";
  return {
    operands: Infinity,
    js: (a, attrs) => `__jt.${fn}([${a.join(", ")}], ${JSON.stringify(attrs[0])})`,
    jvp: (b, x, dx, _o, attrs) => (dx.some(Boolean) ? T(b, `t.${fn}`, x.map((xi, i) => dx[i] ?? T(b, "ad.zerosLike", [xi])), attrs) : null),
    vjp: (b, x, _o, ct, act, attrs) => x.map((_, i) => (act[i] ? T(b, "ad.catPiece", [ct, ...x], [i, attrs[0], stacked]) : null)),
  };
}

function keepSum(b: Builder, t: Atom, dim: Atom | undefined): Atom {
  return T(b, "t.sum", [t], [dim && dim.k === "lit" ? dim.v : -1, true]);
}

function inversePerm(dims: number[]): number[] {
  const n = dims.length;
  const inv = new Array<number>(n);
  dims.forEach((d, i) => (inv[d < 0 ? d + n : d] = i));
  return inv;
}

/** Effects: statements that fill Jacobian blocks; jvp fills the tangent block alike. */
export const effects: Record<string, { js: (a: string[], attrs?: unknown[]) => string; tangentArgs: number[] }> = {
  // adSetRow(J, r, bar, nIn): J and bar carry tangents
  "ad.setRow": { js: (a) => `__jt.adSetRow(${a.join(", ")});`, tangentArgs: [0, 2] },
  "ad.setCol": { js: (a) => `__jt.adSetCol(${a.join(", ")});`, tangentArgs: [0, 2] },
  // vmap with randomness "same": each row replays the draws from the first
  "ad.randRewind": { js: (a) => `__jt.adRandRewind(${a[0]});`, tangentArgs: [] },
  // a batched vmap whose ops never read B still checks the batch sizes (a RangeError naming vmap and the sizes)
  "ad.checkBatch": { js: (a, attrs) => `__jt.adBatchSize(${[JSON.stringify(attrs?.[0]), `[${a.join(", ")}]`, JSON.stringify(attrs?.[1]), JSON.stringify(attrs?.[2])].join(", ")});`, tangentArgs: [] },
  // vmap's entry: an unbatched number argument must be a number (attrs: label, name)
  "ad.plainNumber": { js: (a, attrs) => `__jt.adPlainNumber(${a[0]}, ${JSON.stringify(attrs?.[0])}, ${JSON.stringify(attrs?.[1])});`, tangentArgs: [] },
};
