// What the example app's page writes into <pre id="results">, and the comparison
// of its numbers with the same programs run in Node.
import * as assert from "uvu/assert";

export type Nested = number | Nested[];

export interface PageResults {
  device: "cpu" | "webgpu";
  why: string;
  /** the adapter navigator.gpu gave, null without one */
  adapter: { name: string; software: boolean } | null;
  panels: Record<"arm" | "mlp" | "batch", { device: string; shape: number[]; J: Nested; us: number; primalUs: number }>;
  error?: string;
}

/** a ≈ b elementwise (relative and absolute `tol`), with the failing index in the message. */
export function close(a: Nested, b: Nested, tol: number, where = "J"): void {
  if (typeof a === "number" || typeof b === "number") {
    assert.type(a, "number", where);
    assert.type(b, "number", where);
    const x = a as number, y = b as number;
    assert.ok(Math.abs(x - y) <= tol * (1 + Math.abs(y)), `${where}: the page shows ${x}, Node computes ${y}`);
    return;
  }
  assert.is(a.length, b.length, `${where}: length`);
  a.forEach((v, i) => close(v, b[i], tol, `${where}[${i}]`));
}
