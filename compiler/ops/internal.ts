// The runtime helpers (runtime/ad.ts, runtime/jac.ts) that the derivative
// rules and passes emit, each defined once as the ops are (compiler/ops/tensor.ts):
// its runtime call and derivatives, its structure class and its batching rule.
// They are not part of the language: the front end never reads them.
import { type Atom, type Builder, BOOL, lit, NUM, TENSOR, VEC } from "../ir/ir.js";
import { sumTo, T, tadd } from "./elementwise.js";
import { type BatchRule, type Kind, dimArgs, flagged, isB, same, sameShapeDim, shiftNum } from "./batching.js";
import { type OpStructure, DENSE, NONE } from "./structure.js";
import { call, linear, lits, type TensorRule } from "./tensor.js";

export interface InternalOpDef {
  rule: TensorRule;
  structure: OpStructure;
  /** how the helper runs once over a batch (vmap(grad(f)) meets the reverse rules' helpers); null: no rule, the row loop */
  batch: BatchRule | null;
}

const NUMBER = () => NUM;
/** A helper over operands that share their leading dims (the class losses' targets): unbatched operands repeated over the batch. */
const broadcastAll = (op: string, n: number): BatchRule => (b, args, kinds, attrs, B) => ({ a: b.t(op, args.map((a, i) => (i < n && !isB(kinds[i]) ? b.t("ad.bBroadcast", [a, B]) : a)), attrs), kind: "b" });
/** A class loss's helper whose operand `at` is the class weight: the same for every example, or the row loop. */
const constantWeight = (at: number, rule: BatchRule): BatchRule => (b, args, kinds, attrs, B) =>
  args[at] && !(args[at].k === "lit" && args[at].v === undefined) && isB(kinds[at]) ? "a class weight that varies over the batch runs row by row under vmap" : rule(b, args, kinds, attrs, B);
/** A piece of a flat array of Tensors over a batch: its leading dims carry it, where the array and the index do not vary. */
const pieceBatch = (op: string): BatchRule => (b, [a, packed, p], kinds) =>
  isB(kinds[1]) || isB(kinds[2]) ? "an array of Tensors that varies over the batch runs row by row" : { a: b.t(op, [a, packed, p]), kind: isB(kinds[0]) ? "b" : "u" };
/** A helper with no derivative and no structured or batching rule (masks, weights, plumbing). */
const plumbing = (fn: string, operands: number, structure: OpStructure = NONE, batch: BatchRule | null = null): InternalOpDef => ({
  rule: { operands, js: call(fn), zero: true },
  structure,
  batch,
});
/** Number arithmetic on cotangents that may be 0-d device tensors (compiler/opt/device-numbers.ts, run after every transform: never differentiated). */
const numOp = (fn: string, operands: number): InternalOpDef => ({ rule: { operands, js: call(fn), type: NUMBER }, structure: NONE, batch: null });
/** A reverse rule's helper, linear in its first operand, with no structured rule of its own. */
const backward = (rule: TensorRule, batch: BatchRule | null = null): InternalOpDef => ({ rule, structure: DENSE, batch });

/** x + y where either may be a run-time structural zero (undefined): ad.acc, not t.add. */
const acc = (b: Builder, x: Atom | null, y: Atom | null): Atom | null => (!x ? y : !y ? x : T(b, "ad.acc", [x, y]));

const INTERNAL_OPS_TABLE = {
  // acc(a, b) = a + b, where a may be undefined (a cotangent not reached yet)
  "ad.acc": {
    rule: {
      operands: 2,
      js: call("adAcc"),
      jvp: (b, _x, [da, db]) => (da && db ? T(b, "ad.acc", [da, db]) : da ?? db),
      vjp: (_b, _x, _o, ct) => [ct, ct],
    },
    structure: { structure: "diagonal", sj: "sjAcc" },
    batch: flagged("ad.bAcc", 2),
  },
  "ad.sumTo": {
    rule: {
      operands: 1,
      js: call("adSumTo"),
      type: (ts) => (ts[1]?.k === "num" ? NUM : TENSOR),
      jvp: (b, x, [dx], out) => (dx ? b.t("ad.sumTo", [dx, x[1]], [], out.k === "var" && b.fn.vars.get(out.name)?.k === "num" ? NUM : TENSOR) : null),
      vjp: (b, x, _o, ct) => [T(b, "ad.expandAs", [ct, x[0]])],
    },
    structure: { structure: "broadcast", sj: "sjSumTo" },
    batch: (b, [t, like], kinds) => {
      const likeNum = kinds[1] === "n" || like.k === "lit" || b.fn.vars.get(like.name)?.k === "num";
      const a = b.t("ad.bSumTo", [t, like], [[isB(kinds[0]), isB(kinds[1]), likeNum]], isB(kinds[0]) ? TENSOR : likeNum ? NUM : TENSOR);
      return { a, kind: isB(kinds[0]) ? (likeNum ? "n" : "b") : "u" };
    },
  },
  "ad.expandAs": {
    rule: {
      operands: 1,
      js: call("adExpandAs"),
      jvp: (b, x, [dx]) => (dx ? T(b, "ad.expandAs", [dx, x[1]]) : null),
      vjp: (b, x, _o, ct, _a, _at, ty) => [sumTo(b, ct, x[0], ty[0])],
    },
    structure: { structure: "broadcast", sj: "sjExpandAs" },
    batch: flagged("ad.bExpandAs", 2),
  },
  // det(A)·A⁻ᵀ (runtime/ops/linalg-det.ts): dC = (⟨C, dA⟩ C − C dAᵀ C) / det, ḡA = (⟨G, C⟩ C − C Gᵀ C) / det
  // (NaN at a singular A: the second derivative of det there is left to the SVD path PyTorch has and jacc has not)
  "ad.detCofactor": backward(
    {
      operands: 1,
      js: call("adDetCofactor"),
      jvp: (b, [A], [dA], C) => (dA ? cofactorMove(b, A, C, dA) : null),
      vjp: (b, [A], C, G) => [cofactorMove(b, A, C, G)],
    },
    same("ad.detCofactor"),
  ),
  // einsum's lowering checks every operand's shape against the subscripts first (compiler/front/einsum.ts):
  // operand 0 back unchanged, the others constants; attrs [subscripts, which operands carry vmap's batch dim]
  "ad.einsumCheck": {
    rule: linear("adEinsumCheck", (_b, ct) => ct, "ad.einsumCheck"),
    structure: { structure: "reshape", sj: "sjMove" },
    batch: (b, args, kinds, [subs]) => ({ a: b.t("ad.einsumCheck", args, [subs, kinds.map(isB)]), kind: isB(kinds[0]) ? "b" : "u" }),
  },
  "ad.reshapeAs": { rule: linear("adReshapeAs", (b, ct, x) => T(b, "ad.reshapeAs", [ct, x[0]]), "ad.reshapeAs"), structure: { structure: "reshape", sj: "sjReshapeAs" }, batch: flagged("ad.bReshapeAs", 2) },
  // crossEntropy's target distribution (runtime/ops/loss.ts), classes last: the target itself for
  // probabilities, a one-hot for class indices, times the class weight (operand 3, undefined: none);
  // ad.ceTargetTangent(x, t, v, w) is how it moves: v (times 1 − smoothing, times w), or zeros.
  // attrs [ignoreIndex, labelSmoothing, reduction]; batched, each example counts its own rows
  "ad.ceTarget": backward(
    {
      operands: 2,
      js: call("adCeTarget"),
      jvp: (b, [x, t, w], [, dt], _o, [, smooth]) => (dt ? T(b, "ad.ceTargetTangent", [x, t, dt, w], [smooth]) : null),
      vjp: (b, [x, t, w], _o, ct, act, [, smooth]) => [null, act[1] ? T(b, "ad.ceTargetTangent", [x, t, ct, w], [smooth]) : null],
    },
    constantWeight(2, (b, args, kinds, attrs, B) => broadcastAll("ad.ceTarget", 2)(b, args, kinds, [...attrs.slice(0, 3), true], B)),
  ),
  "ad.ceTargetTangent": backward(
    {
      operands: 3,
      js: call("adCeTargetTangent"),
      jvp: (b, [x, t, , w], [, , dv], _o, attrs) => (dv ? T(b, "ad.ceTargetTangent", [x, t, dv, w], attrs) : null),
      vjp: (b, [x, t, , w], _o, ct, act, attrs) => [null, null, act[2] ? T(b, "ad.ceTargetTangent", [x, t, ct, w], attrs) : null],
    },
    constantWeight(3, broadcastAll("ad.ceTargetTangent", 3)),
  ),
  // a differentiated array of Tensors as one flat Tensor of their entries (runtime/tensor-list.ts): its
  // number of pieces; piece p (a number operand) of the flat Tensor, a tangent or a batch of them (linear in
  // its first operand, the flat primal, second, saying where); and a piece's cotangent put back in its range
  "ad.listCount": { rule: { operands: 1, js: call("adListCount"), type: NUMBER, zero: true }, structure: NONE, batch: null },
  "ad.listPiece": backward(
    {
      operands: 1,
      js: call("adListPiece"),
      jvp: (b, [, packed, p], [da]) => (da ? T(b, "ad.listPiece", [da, packed, p]) : null),
      vjp: (b, [, packed, p], _o, ct) => [T(b, "ad.listPieceBack", [ct, packed, p])],
    },
    pieceBatch("ad.listPiece"),
  ),
  "ad.listPieceBack": backward(
    {
      operands: 1,
      js: call("adListPieceBack"),
      jvp: (b, [, packed, p], [dct]) => (dct ? T(b, "ad.listPieceBack", [dct, packed, p]) : null),
      vjp: (b, [, packed, p], _o, g) => [T(b, "ad.listPiece", [g, packed, p])],
    },
    pieceBatch("ad.listPieceBack"),
  ),
  // the class losses' classes' dim moved last (attrs [true]) or back ([false]) where the input has
  // spatial dims (PyTorch's [N, C, d1, …]; runtime/ops/loss.ts adClassMove): a permutation of its first
  // operand, the second (the input) only saying whether and where; batched, attrs gain whether each is
  "ad.classMove": backward(
    {
      operands: 1,
      js: call("adClassMove"),
      jvp: (b, [, x], [da], _o, attrs) => (da ? T(b, "ad.classMove", [da, x], attrs) : null),
      vjp: (b, [, x], _o, ct, _act, [last, ...batched]) => [T(b, "ad.classMove", [ct, x], [!last, ...batched])],
    },
    (b, [a, x], kinds, [last]) => ({ a: b.t("ad.classMove", [a, x], [last, isB(kinds[0]), isB(kinds[1])]), kind: isB(kinds[0]) ? "b" : "u" }),
  ),
  // conv1d / conv2d's derivative kernels (runtime/ops/conv.ts), attrs [spatial dims, stride, padding, dilation,
  // groups]: each bilinear, its derivatives written with the convolution and the other kernel, so Hessians work.
  // ad.convInput(ct, w, x) is the transposed convolution (x gives the shape), ad.convWeight(ct, x, w) the
  // correlation of x and ct (w gives the shape); ⟨convInput(ct, w), g⟩ = ⟨ct, conv(g, w)⟩ = ⟨convWeight(ct, g), w⟩
  "ad.convInput": backward(
    {
      operands: 2,
      js: call("adConvInput"),
      // (forward over reverse: either term may be a run-time structural zero, undefined: ad.acc adds them)
      jvp: (b, [ct, w, x], [dct, dw], _o, attrs) => acc(b, dct ? T(b, "ad.convInput", [dct, w, x], attrs) : null, dw ? T(b, "ad.convInput", [ct, dw, x], attrs) : null),
      vjp: (b, [ct, w], _o, g, act, attrs) => [act[0] ? convOf(b, g, w, attrs) : null, act[1] ? T(b, "ad.convWeight", [ct, g, w], attrs) : null],
    },
    (b, [ct, w, x], kinds, attrs, B) =>
      isB(kinds[1]) ? "the input gradient of a convolution with a batched weight" : { a: b.t("ad.bFold", [bcast(b, ct, kinds[0], B), w, bcast(b, x, kinds[2], B)], ["adConvInput", attrs[0], [0, 2], ...attrs]), kind: "b" },
  ),
  // (a per-example weight gradient does not fold into N: vmap(grad) w.r.t. a weight runs the row loop)
  "ad.convWeight": backward({
    operands: 2,
    js: call("adConvWeight"),
    jvp: (b, [ct, x, w], [dct, dx], _o, attrs) => acc(b, dct ? T(b, "ad.convWeight", [dct, x, w], attrs) : null, dx ? T(b, "ad.convWeight", [ct, dx, w], attrs) : null),
    vjp: (b, [ct, x], _o, g, act, attrs) => [act[0] ? convOf(b, x, g, attrs) : null, act[1] ? T(b, "ad.convInput", [ct, g, x], attrs) : null],
  }),
  // maxPool2d's tangent (dx at each window's maximum of x) and backward (ct added there): each the other's transpose
  "ad.maxPoolJvp": backward(linear("adMaxPoolJvp", (b, ct, [, x], attrs) => T(b, "ad.maxPoolBackward", [ct, x], attrs), "ad.maxPoolJvp"), foldBoth("adMaxPoolJvp")),
  "ad.maxPoolBackward": backward(linear("adMaxPoolBackward", (b, ct, [, x], attrs) => T(b, "ad.maxPoolJvp", [ct, x], attrs), "ad.maxPoolBackward"), foldBoth("adMaxPoolBackward")),
  "ad.avgPoolBackward": backward(linear("adAvgPoolBackward", (b, ct, _x, attrs) => T(b, "t.avgPool2d", [ct], attrs), "ad.avgPoolBackward"), foldBoth("adAvgPoolBackward")),
  // nllLoss's one-hot of its class indices (runtime/ops/loss.ts): a constant
  // attrs [ignoreIndex, reduction]; batched, each example counts its own rows
  "ad.nllTarget": plumbing("adNllTarget", 2, NONE, constantWeight(2, (b, args, kinds, attrs, B) => broadcastAll("ad.nllTarget", 2)(b, args, kinds, [...attrs.slice(0, 2), true], B))),
  "ad.sumBackward": backward(
    linear("adSumBackward", (b, ct, _x, attrs) => T(b, "t.sum", [ct], attrs), "ad.sumBackward"),
    // ct broadcast back over the reduced dims: an expand when the dims were kept or were all of them
    (b, [ct, x], kinds, [dim, keep], B) => {
      if (dim === undefined || dim === null || keep === true) return { a: b.t("ad.bExpandAs", [ct, x], [[isB(kinds[0]), isB(kinds[1])]]), kind: "b" };
      // some dims, not kept: the same backward over the batch (both operands batched), its dims past the batch dim
      const [cb, xb] = [ct, x].map((a, i) => (isB(kinds[i]) ? a : b.t("ad.bBroadcast", [a, B])));
      return { a: b.t("ad.sumBackward", [cb, xb], [Array.isArray(dim) ? dim.map(shiftNum) : shiftNum(dim as number), false]), kind: "b" };
    },
  ),
  "ad.meanBackward": backward(
    linear("adMeanBackward", (b, ct, _x, attrs) => T(b, "t.mean", [ct], attrs), "ad.meanBackward"),
    // over all of an example's dims: ct broadcast back, divided by the example's size; some dims: the same backward over the batch, its dims past the batch dim
    (b, [ct, x], kinds, [dim, keep], B) => {
      if (dim === undefined || dim === null) return { a: b.t("t.div", [b.t("ad.bExpandAs", [ct, x], [[isB(kinds[0]), isB(kinds[1])]]), b.t(isB(kinds[1]) ? "ad.bNumel" : "ad.numel", [x], [], NUM)]), kind: "b" };
      const [cb, xb] = [ct, x].map((a, i) => (isB(kinds[i]) ? a : b.t("ad.bBroadcast", [a, B])));
      return { a: b.t("ad.meanBackward", [cb, xb], [Array.isArray(dim) ? dim.map(shiftNum) : shiftNum(dim as number), keep]), kind: "b" };
    },
  ),
  "ad.selectBackward": backward(linear("adSelectBackward", (b, ct, x) => T(b, "t.select", [ct, x[2], x[3]]), "ad.selectBackward")),
  "ad.narrowBackward": backward(linear("adNarrowBackward", (b, ct, x) => T(b, "t.narrow", [ct, x[2], x[3], x[4]]), "ad.narrowBackward")),
  // movement ops (runtime/ad/moves.ts): each the transpose of its op
  // (batched: runtime/batching-moves.ts, told which of ct and x are batched)
  "ad.repeatBackward": backward(linear("adRepeatBackward", (b, ct, _x, [sizes, tile]) => T(b, tile ? "t.tile" : "t.repeat", [ct], [sizes]), "ad.repeatBackward"), flagged("ad.bRepeatBackward", 2)),
  "ad.diagonalBackward": backward(linear("adDiagonalBackward", (b, ct, x) => T(b, "t.diagonal", [ct, x[2], x[3], x[4]]), "ad.diagonalBackward"), flagged("ad.bDiagonalBackward", 2)),
  "ad.diagBackward": backward(linear("adDiagBackward", (b, ct, x) => T(b, "t.diag", [ct, x[2]]), "ad.diagBackward"), flagged("ad.bDiagBackward", 2)),
  "ad.traceBackward": backward(linear("adTraceBackward", (b, ct) => T(b, "t.trace", [ct]), "ad.traceBackward"), flagged("ad.bTraceBackward", 2)),
  "ad.pieceBackward": backward(linear("adPieceBackward", (b, ct, _x, [op, ...attrs]) => T(b, `t.${op}`, [ct], attrs), "ad.pieceBackward"), flagged("ad.bPieceBackward", 2)),
  // (no batching rule yet: vmap(grad) through indexSelect runs the row loop)
  "ad.indexSelectBackward": backward(linear("adIndexSelectBackward", (b, ct, x) => T(b, "t.indexSelect", [ct, x[2], x[3]]), "ad.indexSelectBackward")),
  // gather / scatter's src gradient fitted to src's shape (its own transpose), and maskedSelect's
  // backward (its transpose is maskedSelect; batched: one mask for the batch, runtime/batching-scatter.ts)
  "ad.fitTo": backward(linear("adFitTo", (b, ct, x) => T(b, "ad.fitTo", [ct, x[0]]), "ad.fitTo"), (b, [g, like], kinds, _a, B) => ({ a: b.t("ad.fitTo", [isB(kinds[0]) ? g : b.t("ad.bBroadcast", [g, B]), like]), kind: "b" })),
  "ad.maskedSelectBackward": backward(
    linear("adMaskedSelectBackward", (b, ct, x) => T(b, "t.maskedSelect", [ct, x[2]]), "ad.maskedSelectBackward"),
    (b, [ct, x, m], kinds, _a, B) => {
      if (isB(kinds[2])) return "`maskedSelect` with a batched mask: each example's result has its own length";
      const [cb, xb] = [ct, x].map((a, i) => (isB(kinds[i]) ? a : b.t("ad.bBroadcast", [a, B])));
      return { a: b.t("ad.bMaskedSelectBackward", [cb, xb, m]), kind: "b" };
    },
  ),
  "ad.indexBackward": backward(linear("adIndexBackward", (b, ct, x) => T(b, "t.index", [ct, x[2]]), "ad.indexBackward")),
  // bilinear in (ct, the other operand); the first operand only gives shapes
  "ad.matmulBackA": backward(
    {
      operands: 3,
      js: call("adMatmulBackA"),
      jvp: (b, [ct, a, y], [dct, , dy]) => acc(b, dct ? T(b, "ad.matmulBackA", [dct, a, y]) : null, dy ? T(b, "ad.matmulBackA", [ct, a, dy]) : null),
    },
    flagged("ad.bMatmulBackA", 3),
  ),
  "ad.matmulBackB": backward(
    {
      operands: 3,
      js: call("adMatmulBackB"),
      jvp: (b, [ct, a, y], [dct, da]) => acc(b, dct ? T(b, "ad.matmulBackB", [dct, a, y]) : null, da ? T(b, "ad.matmulBackB", [ct, da, y]) : null),
    },
    flagged("ad.bMatmulBackB", 3),
  ),
  "ad.catPiece": backward({
    operands: 1,
    js: call("adCatPiece", (a, attrs) => [a[0], ...lits(attrs), ...a.slice(1)]),
    jvp: (b, x, [dct], _o, attrs) => (dct ? T(b, "ad.catPiece", [dct, ...x.slice(1)], attrs) : null),
  }),
  "ad.prodGrad": backward({
    operands: 1,
    js: call("adProdGrad"),
    jvp: (b, [x], [dx], _o, attrs) => (dx ? T(b, "ad.prodGradJvp", [x, dx], attrs) : null),
  }),
  // third derivatives of prod are not provided (its second-order tangent is a constant here)
  "ad.prodGradJvp": plumbing("adProdGradJvp", 2),
  // var / std's 1 / (N - correction): a run-time number (attrs [dim, correction]; batched: past the batch dim)
  "ad.varScale": {
    rule: { operands: 1, js: call("adVarScale"), zero: true, type: NUMBER },
    structure: NONE,
    batch: (b, [x], _k, [dim, correction]) => ({ a: b.t("ad.varScale", [x], [dim, correction, true], NUM), kind: "u" }),
  },
  // cumsum's backward: sums from the end (linear; its vjp is cumsum)
  "ad.revCumsum": backward(
    { operands: 1, js: call("adRevCumsum"), jvp: (b, x, [dct]) => (dct ? T(b, "ad.revCumsum", [dct, x[1]]) : null), vjp: (b, x, _o, ct) => [T(b, "t.cumsum", [ct, x[1]])] },
    dimArgs("ad.revCumsum", [1]),
  ),
  // cumprod's tangent (linear in dx) and backward (linear in ct); their tangents in x are the mixed
  // parts of hyper-dual scans, so Hessians are exact; third derivatives are not provided (as prod)
  "ad.cumprodJvp": backward(
    {
      operands: 2,
      js: call("adCumprodJvp"),
      jvp: (b, [x, dx, dim], [ex, ddx]) => acc(b, ddx ? T(b, "ad.cumprodJvp", [x, ddx, dim]) : null, ex && dx ? T(b, "ad.cumprodJvp2", [x, dx, ex, dim]) : null),
    },
    sameShapeDim("ad.cumprodJvp", 2),
  ),
  "ad.cumprodJvp2": plumbing("adCumprodJvp2", 3),
  "ad.cumprodBackward": backward(
    {
      operands: 2,
      js: call("adCumprodBackward"),
      jvp: (b, [ct, x, dim], [dct, dx]) => acc(b, dct ? T(b, "ad.cumprodBackward", [dct, x, dim]) : null, dx ? T(b, "ad.cumprodBackwardJvp", [ct, x, dx, dim]) : null),
    },
    sameShapeDim("ad.cumprodBackward", 2),
  ),
  "ad.cumprodBackwardJvp": plumbing("adCumprodBackwardJvp", 3),
  "ad.block": plumbing("adBlock", 2, DENSE),
  "ad.step": plumbing("adStep", 1, NONE, same("ad.step")),
  "ad.pickWeight": plumbing("adPickWeight", 2, DENSE),
  "ad.clampMask": plumbing("adClampMask", 1, NONE, same("ad.clampMask")),
  "ad.extremumWeights": plumbing("adExtremumWeights", 2, NONE, (b, args, kinds, [dim, keep], B) => {
    if (dim === undefined || dim === null) return "the tie weights of a max / min over all dims";
    const [xb, ob] = args.map((a, i) => (isB(kinds[i]) ? a : b.t("ad.bBroadcast", [a, B])));
    return { a: b.t("ad.extremumWeights", [xb, ob], [Array.isArray(dim) ? dim.map(shiftNum) : shiftNum(dim as number), keep]), kind: "b" };
  }),
  "ad.sign": plumbing("adSign", 1, NONE, same("ad.sign")),
  // a cotangent converted back to its primal's float dtype (the reverse of x.float() / x.double()): linear in it
  "ad.castLike": {
    rule: {
      operands: 2,
      js: call("adCastLike"),
      jvp: (b, x, [dc]) => (dc ? T(b, "ad.castLike", [dc, x[1]]) : null),
      vjp: (b, [c], _o, ct) => [T(b, "ad.castLike", [ct, c]), null],
    },
    structure: DENSE,
    batch: (b, args, kinds) => ({ a: b.t("ad.castLike", args), kind: kinds[0] }),
  },
  "ad.zerosLike": plumbing("adZerosLike", 1, NONE, same("ad.zerosLike")),
  "ad.oneHot": plumbing("adOneHot", 1),
  // ctᵀ·J for a Jacobian block (vjp of a function that runs a reverse sweep itself: compiler/ad/drivers.ts);
  // no derivative rule: nothing differentiates such a vjp (markers.ts allows it in plain code only)
  "ad.contract": { rule: { operands: 2, js: call("adContract") }, structure: DENSE, batch: null },
  "ad.numel": { rule: { operands: 1, js: call("adNumel"), zero: true, type: NUMBER }, structure: NONE, batch: (b, [x]) => ({ a: b.t("ad.bNumel", [x], [], NUM), kind: "u" }) },
  // structured Jacobians (runtime/jac.ts): the identity seed and a block filled from its structure
  "ad.sjSeed": plumbing("sjSeed", 1),
  "ad.sjOk": { rule: { operands: 1, js: call("sjOk"), zero: true, type: () => BOOL }, structure: NONE, batch: null },
  "ad.sjOkCpu": { rule: { operands: 1, js: call("sjOkCpu"), zero: true, type: () => BOOL }, structure: NONE, batch: null },
  "ad.sjBlock": plumbing("sjBlock", 3),
  "ad.numAdd": numOp("adNumAdd", 2),
  "ad.numSub": numOp("adNumSub", 2),
  "ad.numMul": numOp("adNumMul", 2),
  "ad.numDiv": numOp("adNumDiv", 2),
  "ad.numNeg": numOp("adNumNeg", 1),
  "ad.numPlain": numOp("adNumPlain", 1),
  "ad.numMath": { rule: { operands: 2, js: call("adNumMath", (a, attrs) => [JSON.stringify(attrs[0]), ...a]), type: NUMBER }, structure: NONE, batch: null },
  "ad.item": numOp("adItem", 1),
  "ad.numVec": { rule: { operands: 0, js: call("adNumVec"), type: () => VEC }, structure: NONE, batch: null },
  "ad.numCopy": { rule: { operands: 0, js: call("adNumCopy"), type: () => VEC }, structure: NONE, batch: null },
  "ad.numFit": numOp("adNumFit", 1),
} satisfies Record<`ad.${string}`, InternalOpDef>;

/** The convolution of x and w with no bias (attrs [spatial dims, stride, padding, dilation, groups]). */
function convOf(b: Builder, x: Atom, w: Atom, [sp, ...attrs]: unknown[]): Atom {
  return T(b, `t.conv${sp}d`, [x, w, lit(undefined)], attrs);
}

/** An unbatched operand repeated over the batch. */
const bcast = (b: Builder, a: Atom, k: Kind, B: Atom) => (isB(k) ? a : b.t("ad.bBroadcast", [a, B]));

/** A pool helper of (t, x), both spatial: the batch folds into N (an unbatched one repeated over the batch first). */
function foldBoth(fn: string): BatchRule {
  return (b, [t, x], kinds, attrs, B) => ({ a: b.t("ad.bFold", [bcast(b, t, kinds[0], B), bcast(b, x, kinds[1], B)], [fn, 2, [0, 1], ...attrs]), kind: "b" });
}

export type InternalOpName = keyof typeof INTERNAL_OPS_TABLE;
export const INTERNAL_OPS: Record<InternalOpName, InternalOpDef> = INTERNAL_OPS_TABLE;

/** (⟨X, C⟩ C − C Xᵀ C) / det(A) per matrix: the cofactor matrix's jvp (X = dA) and vjp (X = its cotangent). */
function cofactorMove(b: Builder, A: Atom, C: Atom, X: Atom): Atom {
  const inner = T(b, "t.sum", [T(b, "t.mul", [X, C])], [[-2, -1], true]);
  const CXC = T(b, "t.matmul", [T(b, "t.matmul", [C, T(b, "t.transpose", [X, lit(-2), lit(-1)])]), C]);
  const det = T(b, "t.unsqueeze", [T(b, "t.unsqueeze", [T(b, "t.linalgDet", [A]), lit(-1)]), lit(-1)]);
  return T(b, "t.div", [T(b, "t.sub", [T(b, "t.mul", [inner, C]), CXC]), det]);
}
