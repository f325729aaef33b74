// `npm run demo` (the README's first command after npm ci): every example in
// examples/scalar and examples/tensor compiles with `jacc emit`, runs, and each
// derivative it checks agrees with finite differences.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { repoRoot } from "./util/compile.js";

test("the demo compiles and checks every example", () => {
  const r = spawnSync(process.execPath, [path.join(repoRoot, "dist", "cli", "demo.js")], { cwd: repoRoot, encoding: "utf8" });
  assert.is(r.status, 0, r.stderr || r.stdout.slice(-2000));
  assert.match(r.stdout, /\nall derivatives agree with finite differences\n$/);
  for (const example of ["robot-arm.ts", "rosenbrock.ts", "springs.ts", "curve-fit.ts", "mlp-classifier.ts", "robot-ik.ts"]) assert.ok(r.stdout.includes(`■ ${example}:`), `${example} ran`);
  // the Levenberg–Marquardt iteration reaches its target
  const after = /distance to the target, before and after 20 steps = \[1\.12295, ([^\]]+)\]/.exec(r.stdout)?.[1];
  assert.ok(after !== undefined && Math.abs(Number(after)) < 1e-9, `distance after: ${after}`);
});

test.run();
