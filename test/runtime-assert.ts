// Assertions shared by the runtime tests: nested numbers compared with a
// tolerance (NaN equals NaN), and errors checked by class and message.
import * as assert from "uvu/assert";
import { Tensor } from "../runtime/index.js";

type Nested = number | boolean | Nested[];

function walk(actual: unknown, expected: Nested, tol: number, path: string): void {
  if (typeof expected === "boolean") {
    if (actual !== expected) assert.unreachable(`${path}: expected ${expected}, got ${JSON.stringify(actual)}`);
    return;
  }
  if (typeof expected === "number") {
    if (typeof actual !== "number") assert.unreachable(`${path}: expected a number, got ${JSON.stringify(actual)}`);
    const a = actual as number;
    const ok = Number.isNaN(expected) ? Number.isNaN(a) : a === expected || Math.abs(a - expected) <= tol * (1 + Math.abs(expected));
    if (!ok) assert.unreachable(`${path}: expected ${expected}, got ${a}`);
    return;
  }
  if (!Array.isArray(actual) || actual.length !== expected.length) {
    assert.unreachable(`${path}: expected an array of length ${expected.length}, got ${JSON.stringify(actual)}`);
  }
  expected.forEach((e, i) => walk((actual as unknown[])[i], e, tol, `${path}[${i}]`));
}

/** The tensor's values (toArray) equal `expected` within `tol` (relative + absolute). */
export function values(t: Tensor, expected: Nested, tol = 1e-12): void {
  assert.ok(t instanceof Tensor, "expected a Tensor");
  walk(t.toArray(), expected, tol, "value");
}

/** Shape, dtype and values at once. */
export function tensorIs(t: Tensor, shape: number[], dtype: "float32" | "float64" | "bool" | "int32", expected: Nested, tol = 1e-12): void {
  assert.equal([...t.shape], shape, "shape");
  assert.is(t.dtype, dtype, "dtype");
  values(t, expected, tol);
}

/** `f` throws an instance of `cls` whose message contains every fragment (a string) or matches it (a RegExp). */
export function throwsWith(f: () => unknown, cls: typeof TypeError | typeof RangeError | typeof Error, ...fragments: (string | RegExp)[]): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  if (err === undefined) assert.unreachable(`expected ${cls.name}, nothing was thrown`);
  assert.instance(err, cls, `expected ${cls.name}, got ${String(err)}`);
  const msg = (err as Error).message;
  for (const frag of fragments) assert.ok(typeof frag === "string" ? msg.includes(frag) : frag.test(msg), `message ${JSON.stringify(msg)} lacks ${typeof frag === "string" ? JSON.stringify(frag) : frag}`);
}
