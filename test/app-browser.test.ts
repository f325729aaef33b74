// The example app (examples/app) in headless Chromium: the production build is
// served with a strict Content-Security-Policy (script-src 'self', no eval), the
// page computes its Jacobians, and the numbers it shows must equal the same
// programs compiled by jacc and run in Node. A screenshot goes to
// .tmp/screenshots/app.png.
import { test } from "uvu";
import * as assert from "uvu/assert";
import fs from "node:fs";
import path from "node:path";
import { appRoot, buildApp } from "./util/app-build.js";
import { launchChromium, skipWithoutChromium, type Browser } from "./util/chromium.js";
import { close, type Nested, type PageResults } from "./util/app-results.js";
import { serveStatic, type StaticServer } from "./util/static-server.js";
import { compileAndImport, repoRoot } from "./util/compile.js";

if (skipWithoutChromium("test/app-browser.test.ts")) {
  test.run();
} else {
  let server: StaticServer, browser: Browser;
  const violations: string[] = [];

  test.before(async () => {
    const { outDir } = await buildApp();
    server = await serveStatic(outDir);
    browser = await launchChromium();
    // reported by the page itself (an init script runs before the page's scripts, outside its CSP)
    await browser.context.addInitScript(() => {
      const w = window as unknown as { __csp: string[] };
      w.__csp = [];
      document.addEventListener("securitypolicyviolation", (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    browser.context.on("console", (m) => {
      if (/Content.Security.Policy|unsafe-eval/i.test(m.text())) violations.push(m.text());
    });
  });

  test.after(async () => {
    await browser?.close();
    await server?.close();
  });

  async function open(page: string): Promise<{ results: PageResults; csp: string[]; pageErrors: string[]; p: import("playwright-core").Page }> {
    const p = await browser.context.newPage();
    const pageErrors: string[] = [];
    p.on("pageerror", (e) => pageErrors.push(String(e)));
    await p.goto(server.url + page);
    await p.waitForSelector("body[data-done]", { timeout: 60_000 });
    const results = JSON.parse((await p.textContent("#results")) ?? "null") as PageResults;
    const csp = await p.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
    return { results, csp, pageErrors, p };
  }

  test("app in Chromium: the page's Jacobians equal the same programs compiled in Node; no CSP violation", async () => {
    const { results, csp, pageErrors, p } = await open("index.html");
    assert.not.ok(results.error, `the page failed: ${results.error}`);
    assert.equal(pageErrors, [], "no uncaught error in the page");
    assert.equal(csp, [], "no securitypolicyviolation event");
    assert.equal(violations, [], "no CSP message on the console");

    // the same source, compiled by jacc and run in Node
    const programsTs = path.join(appRoot, "src", "programs.ts");
    const m = await compileAndImport(fs.readFileSync(programsTs, "utf8"), "app-programs", programsTs);
    const arm = m.armJacobian(m.ARM_Q).map((t: { toArray(): Nested }) => t.toArray());
    const q = m.mlpParams();
    const mlp = m.mlpJacobian(q.x, q.W1, q.b1, q.W2, q.b2).toArray();
    const batch = m.batchJacobian(m.batchStates()).toArray();

    // float64 on the CPU: the same code, so the same numbers up to rounding; float32 on WebGPU
    const tol = results.device === "cpu" ? 1e-12 : 1e-4;
    close(results.panels.arm.J, arm, 1e-12, "arm");
    close(results.panels.mlp.J, mlp, tol, "mlp");
    close(results.panels.batch.J, batch, tol, "batch");
    assert.equal(results.panels.arm.shape, [2, 6]);
    assert.equal(results.panels.mlp.shape, [4, 16]);
    assert.equal(results.panels.batch.shape, [4, 10, 12]);

    // the sparsity the page draws: the pruned inputs' columns, the tridiagonal band
    const J = results.panels.mlp.J as number[][];
    for (const row of J) assert.equal(row.slice(12), [0, 0, 0, 0]);
    for (const tile of results.panels.batch.J as number[][][])
      tile.forEach((row, i) => row.forEach((v, j) => assert.is(v !== 0, Math.abs(j - (i + 1)) <= 1, `batch band at ${i},${j}`)));

    // what the page shows beside each map
    assert.is(await p.locator("canvas").count(), 7, "a heatmap and a sparsity canvas per Jacobian, and the arm");
    const stats = await p.locator(".stats").allTextContents();
    assert.is(stats.length, 3);
    for (const s of stats) assert.match(s, /per Jacobian/);
    assert.match((await p.textContent("#device")) ?? "", new RegExp(`ran on: ${results.device}`));
    for (const k of ["arm", "mlp", "batch"] as const) assert.ok(results.panels[k].us > 0, `${k} timing`);

    // (before the sliders move: the screenshot shows the state the results describe)
    const shots = path.join(repoRoot, ".tmp", "screenshots");
    fs.mkdirSync(shots, { recursive: true });
    await p.screenshot({ path: path.join(shots, "app.png"), fullPage: true });

    // the arm's sliders: moving joint 0 recomputes its Jacobian in the page
    const live = await p.evaluate(() => {
      const input = document.querySelector<HTMLInputElement>("#arm input[type=range]")!;
      input.value = "1.2";
      input.dispatchEvent(new Event("input"));
      const arm = document.getElementById("arm")!;
      return { q: JSON.parse(arm.dataset.q!) as number[], J: JSON.parse(arm.dataset.j!) as Nested };
    });
    assert.equal(live.q, [1.2, ...m.ARM_Q.slice(1)]);
    close(live.J, m.armJacobian(live.q).map((t: { toArray(): Nested }) => t.toArray()), 1e-12, "arm after moving joint 0");

    // whether this Chromium offers WebGPU at all (the flags of test/util/chromium.ts): reported, not required
    const adapter = await p.evaluate(async () => {
      const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
      return gpu ? Boolean(await gpu.requestAdapter().catch(() => null)) : false;
    });
    console.log(
      `    app in Chromium (WebGPU adapter: ${adapter ? "yes" : "no"}; ran on ${results.device}: ${results.why}): arm ${results.panels.arm.us.toFixed(2)} µs, ` +
        `mlp ${results.panels.mlp.us.toFixed(1)} µs, vmap batch ${results.panels.batch.us.toFixed(1)} µs per Jacobian`,
    );
    await p.close();
  });

  test("app in Chromium: the number-only page (no runtime in its bundle) shows the arm's Jacobian", async () => {
    const { results, csp, pageErrors, p } = await open("scalar.html");
    assert.equal(pageErrors, []);
    assert.equal(csp, []);
    const scalarTs = path.join(appRoot, "src", "scalar.ts");
    const m = await compileAndImport(fs.readFileSync(scalarTs, "utf8"), "app-scalar", scalarTs);
    close((results as unknown as { J: Nested }).J, m.tipJacobian(m.Q), 1e-12, "tip");
    assert.equal(violations, []);
    await p.close();
  });

  test("negative control: under the same server and listeners, a script that calls eval is reported", async () => {
    const dir = path.join(repoRoot, ".tmp", "csp-control", String(process.pid));
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "index.html"), '<!doctype html><script type="module" src="./e.js"></script>');
    fs.writeFileSync(path.join(dir, "e.js"), 'try { eval("1"); } catch {} document.body.dataset.done = "true";');
    const control = await serveStatic(dir);
    const p = await browser.context.newPage();
    try {
      await p.goto(control.url);
      await p.waitForSelector("body[data-done]", { state: "attached" });
      await p.waitForFunction(() => (window as unknown as { __csp: string[] }).__csp.length > 0, undefined, { timeout: 5000 });
      assert.match((await p.evaluate(() => (window as unknown as { __csp: string[] }).__csp)).join(), "script-src");
    } finally {
      await p.close();
      await control.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test.run();
}
