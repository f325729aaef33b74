// The IR checker between passes (compiler/pipeline.ts checkModule): a function
// a pass left unchanged is not checked again, but only while the functions it
// calls are unchanged too; a changed or new function always is.
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Fn, Type } from "../compiler/ir/ir.js";
import { checkModule } from "../compiler/pipeline.js";

const NUM: Type = { k: "num" };
const fn = (name: string, nParams: number, body: Fn["body"]): Fn => {
  const params = Array.from({ length: nParams }, (_, i) => ({ name: `p${i}`, type: NUM }));
  return { name, params, results: [NUM], tupleResult: false, body, vars: new Map([...params.map((p) => [p.name, NUM] as [string, Type]), ["y", NUM]]), captures: [] };
};
const callee2 = fn("g", 2, [{ k: "return", values: [{ k: "var", name: "p0" }] }]);
const caller = fn("f", 2, [
  { k: "call", dsts: ["y"], fn: "g", args: [{ k: "var", name: "p0" }, { k: "var", name: "p1" }] },
  { k: "return", values: [{ k: "var", name: "y" }] },
]);
const throwsMalformed = (run: () => void, what: RegExp) => {
  try {
    run();
  } catch (e) {
    assert.match(String((e as Error).message), /the IR after pass2 is malformed/);
    assert.match(String((e as Error).message), what);
    return;
  }
  assert.unreachable("expected the checker to report the malformed function");
};

test("checkModule: an unchanged caller is checked again when its callee changed", () => {
  const checked = new WeakMap();
  checkModule("pass1", new Map([["f", caller], ["g", callee2]]), new Map(), undefined, checked);
  // a later pass gives g one parameter: f (the same object) now passes it two arguments
  const callee1 = fn("g", 1, [{ k: "return", values: [{ k: "var", name: "p0" }] }]);
  throwsMalformed(() => checkModule("pass2", new Map([["f", caller], ["g", callee1]]), new Map(), undefined, checked), /2 arguments for 1 parameters of g/);
});

test("checkModule: a function a pass changed is checked, whatever was checked before", () => {
  const checked = new WeakMap();
  checkModule("pass1", new Map([["f", caller], ["g", callee2]]), new Map(), undefined, checked);
  const broken = { ...caller, body: [{ k: "return", values: [{ k: "var", name: "z" }] }] } as Fn;
  throwsMalformed(() => checkModule("pass2", new Map([["f", broken], ["g", callee2]]), new Map(), undefined, checked), /z is not declared/);
});

test("checkModule: unchanged functions with unchanged callees pass again", () => {
  const checked = new WeakMap();
  const m = new Map([["f", caller], ["g", callee2]]);
  checkModule("pass1", m, new Map(), undefined, checked);
  checkModule("pass2", new Map(m), new Map(), undefined, checked);
});

test.run();
