// Bad-input matrix (c): run-time misuse of the runtime's ops (SPEC §5: "Bad
// input at run time … throws a TypeError or RangeError naming the op, the
// expected and the actual shapes. Nothing is mutated before the check").
//
// One row per case: the inputs (made fresh for the row), the call, the error
// class, and patterns the message must match: the op's name first, then the
// shapes involved (the actual one, and what was expected: the other operand's
// shape, the allowed dim range, the element count). A wrong kind of value (a
// string, an array where a Tensor goes, a non-integer dim) is a TypeError; a
// value of the right kind that does not fit (shapes, dims, sizes) a
// RangeError. After the call every input Tensor still holds its data and shape.
// (Mixed devices are tested with WebGPU.)
import { test } from "uvu";
import * as assert from "uvu/assert";
import * as J from "jacc";
import { Tensor, tensor, zeros } from "jacc";

const A = () => tensor([[1, 2, 3], [4, 5, 6]]); // [2, 3]
const B = () => tensor([[1, 2], [3, 4]]); // [2, 2]
const V3 = () => tensor([1, 2, 3]);
const V2 = () => tensor([1, 2]);
const R = RangeError;
const T = TypeError;
type Row = [name: string, inputs: () => unknown[], call: (...xs: any[]) => unknown, cls: typeof RangeError | typeof TypeError, message: RegExp[]];

const ROWS: Row[] = [
  // elementwise, broadcasting
  ["add: shapes that do not broadcast", () => [A(), B()], (a, b) => a.add(b), R, [/^add:/, /\[2,3\]/, /\[2,2\]/, /broadcast/]],
  ["sub (function) with a vector of the wrong length", () => [A(), V2()], (a, b) => J.sub(a, b), R, [/^sub:/, /\[2,3\]/, /\[2\]/]],
  ["mul: [2,3] by [3,1]", () => [A(), tensor([[1], [2], [3]])], (a, b) => a.mul(b), R, [/^mul:/, /\[2,3\]/, /\[3,1\]/]],
  ["div: [2,3] by [2]", () => [A(), V2()], (a, b) => a.div(b), R, [/^div:/, /\[2,3\]/, /\[2\]/]],
  ["pow: [2,3] by [2]", () => [A(), V2()], (a, b) => a.pow(b), R, [/^pow:/, /\[2,3\]/, /\[2\]/]],
  ["maximum: [2,3] and [2,2]", () => [A(), B()], (a, b) => a.maximum(b), R, [/^maximum:/, /\[2,3\]/, /\[2,2\]/]],
  ["minimum (function): [2,2] and [2,3]", () => [B(), A()], (b, a) => J.minimum(b, a), R, [/^minimum:/, /\[2,2\]/, /\[2,3\]/]],
  ["where: condition [2] against [2,3]", () => [tensor([1, 0]), A(), B()], (c, a, b) => J.where(c, a, b), R, [/^where:/, /\[2\]/, /\[2,3\]/]],
  ["clamp: a bound of shape [2] for [2,3]", () => [A(), V2()], (a, b) => a.clamp(b, null), R, [/^clamp:/, /\[2,3\]/, /\[2\]/]],
  ["add: a string operand", () => [A()], (a) => a.add("1"), T, [/^add:/, /Tensor or a number/, /"1"/]],
  ["add: an array operand", () => [A()], (a) => a.add([1, 2, 3]), T, [/^add:/, /an array/]],
  ["exp (function) of an array", () => [], () => J.exp([1, 2] as never), T, [/^exp:/, /expected a Tensor/, /an array/]],
  // matmul, dot, outer
  ["matmul: inner dimensions differ", () => [A(), A()], (a, b) => a.matmul(b), R, [/^matmul:/, /inner dimensions/, /\[2,3\] @ \[2,3\]/]],
  ["matmul: a 0-d operand", () => [tensor(1), A()], (s, a) => s.matmul(a), R, [/^matmul:/, /\[\] @ \[2,3\]/]],
  ["matmul: batched, inner dimensions differ", () => [zeros([2, 2, 3]), zeros([3, 2, 4])], (a, b) => a.matmul(b), R, [/^matmul:/, /\[2,2,3\] @ \[3,2,4\]/]],
  ["matmul: a number", () => [A()], (a) => a.matmul(2), T, [/^matmul:/, /Tensor/]],
  ["dot: lengths differ", () => [V3(), V2()], (a, b) => a.dot(b), R, [/^dot:/, /same length/, /\[3\]/, /\[2\]/]],
  ["dot: 2-D operands", () => [A(), A()], (a, b) => a.dot(b), R, [/^dot:/, /1-D/, /\[2,3\]/]],
  ["outer: a 2-D operand", () => [A(), V2()], (a, b) => a.outer(b), R, [/^outer:/, /1-D/, /\[2,3\]/, /\[2\]/]],
  // reductions
  ["sum: dim 2 of a 2-D tensor", () => [A()], (a) => a.sum(2), R, [/^sum:/, /dim 2/, /\[2,3\]/, /-2\.\.1/]],
  ["sum: dim -3", () => [A()], (a) => a.sum(-3), R, [/^sum:/, /dim -3/, /\[2,3\]/]],
  ["sum: a dim repeated", () => [A()], (a) => a.sum([0, 0]), R, [/^sum:/, /dim 0/, /more than once/]],
  ["mean: dim 0.5", () => [A()], (a) => a.mean(0.5), T, [/^mean:/, /integer/, /0\.5/, /\[2,3\]/]],
  ["prod: dim 5", () => [A()], (a) => a.prod(5), R, [/^prod:/, /dim 5/, /\[2,3\]/]],
  ["max: dim 3 with keepdim", () => [A()], (a) => a.max(3, true), R, [/^max:/, /dim 3/, /\[2,3\]/]],
  ["min: dim \"x\"", () => [A()], (a) => a.min("x"), T, [/^min:/, /"x"/]],
  // shape ops
  ["reshape: element count differs", () => [A()], (a) => a.reshape(4, 2), R, [/^reshape:/, /\[2,3\]/, /6 elements/, /\[4,2\]/]],
  ["reshape: two -1", () => [A()], (a) => a.reshape(-1, -1), R, [/^reshape:/, /one dimension can be -1/, /\[-1,-1\]/, /\[2,3\]/]],
  ["reshape: a size of -2", () => [A()], (a) => a.reshape(-2, 3), R, [/^reshape:/, /\[-2,3\]/, /\[2,3\]/]],
  ["view: element count differs", () => [A()], (a) => a.view([5]), R, [/^view:/, /\[2,3\]/, /\[5\]/]],
  ["flatten: dim 5", () => [A()], (a) => a.flatten(0, 5), R, [/^flatten:/, /dim 5/, /\[2,3\]/]],
  ["flatten: startDim after endDim", () => [A()], (a) => a.flatten(1, 0), R, [/^flatten:/, /startDim 1/, /endDim 0/, /\[2,3\]/]],
  ["squeeze: dim 3", () => [A()], (a) => a.squeeze(3), R, [/^squeeze:/, /dim 3/, /\[2,3\]/]],
  ["unsqueeze: dim 4", () => [A()], (a) => a.unsqueeze(4), R, [/^unsqueeze:/, /dim 4/, /\[2,3\]/, /-3\.\.2/]],
  ["expand: a size that is not 1 differs", () => [A()], (a) => a.expand(3, 3), R, [/^expand:/, /\[2,3\]/, /\[3,3\]/]],
  ["expand: fewer dims", () => [A()], (a) => a.expand(3), R, [/^expand:/, /\[2,3\]/, /\[3\]/]],
  ["permute: a repeated dim", () => [A()], (a) => a.permute(0, 0), R, [/^permute:/, /\[0,0\]/, /repeat/, /\[2,3\]/]],
  ["permute: too few dims", () => [A()], (a) => a.permute(0), R, [/^permute:/, /expected 2 dims/, /\[2,3\]/, /\[0\]/]],
  ["permute: dim out of range", () => [A()], (a) => a.permute(0, 2), R, [/^permute:/, /dim 2/, /\[2,3\]/]],
  ["transpose: dim out of range", () => [A()], (a) => a.transpose(0, 2), R, [/^transpose:/, /dim 2/, /\[2,3\]/]],
  // slicing
  ["narrow: past the end", () => [A()], (a) => a.narrow(1, 2, 2), R, [/^narrow:/, /start 2/, /length 2/, /size 3/, /\[2,3\]/]],
  ["narrow: dim out of range", () => [A()], (a) => a.narrow(3, 0, 1), R, [/^narrow:/, /dim 3/, /\[2,3\]/]],
  ["narrow: a negative length", () => [A()], (a) => a.narrow(0, 0, -1), R, [/^narrow:/, /length -1/, /\[2,3\]/]],
  ["narrow: a fractional start", () => [A()], (a) => a.narrow(0, 0.5, 1), T, [/^narrow:/, /start/, /integer/, /\[2,3\]/]],
  ["select: index out of range", () => [A()], (a) => a.select(0, 2), R, [/^select:/, /index 2/, /size 2/, /\[2,3\]/]],
  ["select: dim out of range", () => [A()], (a) => a.select(2, 0), R, [/^select:/, /dim 2/, /\[2,3\]/]],
  ["select: a fractional index", () => [A()], (a) => a.select(0, 0.5), T, [/^select:/, /integer/, /0\.5/, /\[2,3\]/]],
  ["index: a number out of range", () => [A()], (a) => a.index(5), R, [/^index:/, /index 5/, /size 2/, /\[2,3\]/]],
  ["index: an array entry out of range", () => [A()], (a) => a.index([0, 7]), R, [/^index:/, /index 7/, /\[2,3\]/]],
  ["index: a fractional number", () => [A()], (a) => a.index(0.5), T, [/^index:/, /integer/, /\[2,3\]/]],
  ["index: of a 0-d tensor", () => [tensor(1)], (s) => s.index(0), R, [/^index:/, /0-d/]],
  ["cat: shapes differ outside dim", () => [A(), B()], (a, b) => J.cat([a, b], 0), R, [/^cat:/, /\[2,3\]/, /\[2,2\]/, /dim 0/]],
  ["cat: dims differ in number", () => [A(), V3()], (a, v) => J.cat([a, v]), R, [/^cat:/, /\[2,3\]/, /\[3\]/]],
  ["cat: dim out of range", () => [A(), A()], (a, b) => J.cat([a, b], 2), R, [/^cat:/, /dim 2/, /\[2,3\]/]],
  ["cat: no tensors", () => [], () => J.cat([]), R, [/^cat:/, /non-empty/]],
  ["stack: shapes differ", () => [A(), B()], (a, b) => J.stack([a, b]), R, [/^stack:/, /\[2,3\]/, /\[2,2\]/, /position 1/]],
  ["stack: dim out of range", () => [A(), A()], (a, b) => J.stack([a, b], 4), R, [/^stack:/, /dim 4/, /\[2,3\]/, /-3\.\.2/]],
  ["stack: no tensors", () => [], () => J.stack([]), R, [/^stack:/, /non-empty/]],
  // softmax
  ["softmax: dim out of range", () => [A()], (a) => a.softmax(2), R, [/^softmax:/, /dim 2/, /\[2,3\]/]],
  ["logSoftmax: dim -3", () => [A()], (a) => a.logSoftmax(-3), R, [/^logSoftmax:/, /dim -3/, /\[2,3\]/]],
  ["softmax: no dim", () => [A()], (a) => a.softmax(), T, [/^softmax:/, /dim is required/]],
  // factories, dtypes, conversions
  ["zeros: a negative size", () => [], () => J.zeros([2, -1]), R, [/^zeros:/, /non-negative integers/, /\[2,-1\]/]],
  ["zeros: a fractional size", () => [], () => J.zeros([1.5]), R, [/^zeros:/, /\[1\.5\]/]],
  ["ones: NaN", () => [], () => J.ones([NaN]), R, [/^ones:/, /\[NaN\]/]],
  ["full: a string fill value", () => [], () => J.full([2], "x" as never), T, [/^full:/, /fillValue/, /"x"/]],
  ["eye: a negative size", () => [], () => J.eye(-1), R, [/^eye:/, /-1/]],
  ["arange: step 0", () => [], () => J.arange(0, 1, 0), R, [/^arange:/, /step/]],
  ["linspace: negative steps", () => [], () => J.linspace(0, 1, -1), R, [/^linspace:/, /steps/, /-1/]],
  ["rand: a negative size", () => [], () => J.rand([-2]), R, [/^rand:/, /\[-2\]/]],
  ["randn: a fractional size", () => [], () => J.randn([2.5]), R, [/^randn:/, /\[2\.5\]/]],
  ["tensor: ragged nested data", () => [], () => tensor([[1, 2], [3]]), R, [/^tensor:/, /ragged/, /length 2/, /length 1/]],
  ["tensor: strings", () => [], () => tensor(["a"] as never), T, [/^tensor:/, /numbers/, /"a"/]],
  ["tensor: dtype int64", () => [], () => tensor([1], { dtype: "int64" as never }), T, [/^tensor:/, /dtype/, /"int64"/, /"int32"/]],
  ["zeros: dtype float16", () => [], () => J.zeros([2], { dtype: "float16" as never }), T, [/^zeros:/, /dtype/, /"float16"/]],
  ["to: an unknown dtype", () => [A()], (a) => a.to("int8"), T, [/^to:/, /"int8"/]],
  ["to: an unknown device", () => [A()], (a) => a.to("gpu"), T, [/^to:/, /"gpu"/]],
  ["Tensor: data and shape disagree", () => [], () => new Tensor(new Float32Array(3), [2, 2]), R, [/^Tensor:/, /\[2,2\]/, /4 elements/, /3/]],
  ["Tensor: a plain array as data", () => [], () => new Tensor([1, 2] as never, [2]), T, [/^Tensor:/, /Float32Array, a Float64Array, a Uint8Array \(bool\) or an Int32Array/]],
  ["item: more than one element", () => [A()], (a) => a.item(), R, [/^item:/, /\[2,3\]/]],
  ["size: dim out of range", () => [A()], (a) => a.size(5), R, [/^size:/, /dim 5/, /\[2,3\]/]],
];

const snapshot = (xs: unknown[]) => xs.map((x) => (x instanceof Tensor ? { shape: [...x.shape], dtype: x.dtype, data: Array.from(x.data) } : x));

for (const [name, inputs, call, cls, message] of ROWS) {
  test(`bad input, runtime: ${name} → ${cls.name}`, () => {
    const xs = inputs();
    const before = snapshot(xs);
    let err: unknown;
    try {
      call(...xs);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof cls && err.constructor === cls, `expected a ${cls.name}, got ${err instanceof Error ? `${err.constructor.name}: ${err.message}` : `no error (${String(err)})`}`);
    for (const re of message) assert.match((err as Error).message, re);
    assert.equal(snapshot(xs), before, "the inputs are not mutated");
  });
}

test.run();
