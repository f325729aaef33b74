// The example app (examples/app) in headless Chromium: the production build is
// served with a strict Content-Security-Policy (script-src 'self', no eval), the
// page computes its Jacobians, and the numbers it shows (results, colour scales,
// hover read-outs, slider values) must equal the same programs compiled by jacc
// and run in Node; its adapter line must name the adapter this Chromium gives
// and call SwiftShader a software adapter. A screenshot goes to
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
    assert.is(await p.locator("canvas").count(), 10, "a heatmap, its colour scale and a sparsity canvas per Jacobian, and the arm");
    await checkAdapterLabel(p, results);
    await checkScalesAndReadouts(p, results);
    const armSize = await p.evaluate(() => document.querySelector<HTMLCanvasElement>("#arm figure canvas")!.getBoundingClientRect().width);
    assert.ok(armSize >= 360, `the arm view is ${armSize} px wide`);
    const stats = await p.locator(".stats").allTextContents();
    assert.is(stats.length, 3);
    for (const s of stats) assert.match(s, /per Jacobian/);
    assert.match((await p.textContent("#device")) ?? "", new RegExp(`ran on: ${results.device}`));
    for (const k of ["arm", "mlp", "batch"] as const) assert.ok(results.panels[k].us > 0, `${k} timing`);

    // (before the sliders move: the screenshot shows the state the results describe, a read-out on)
    await hoverCell(p, "mlp", results, 0, 0, 6);
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
    const shown = await p.locator("#arm .sliders output").allTextContents();
    assert.equal(shown, [1.2, ...m.ARM_Q.slice(1)].map((v) => `${v.toFixed(2)} rad`), "each slider shows its angle");
    close(live.J, m.armJacobian(live.q).map((t: { toArray(): Nested }) => t.toArray()), 1e-12, "arm after moving joint 0");

    console.log(
      `    app in Chromium (adapter: ${results.adapter ? `${results.adapter.name}${results.adapter.software ? ", software" : ""}` : "none"}; ran on ${results.device}: ${results.why}): arm ${results.panels.arm.us.toFixed(2)} µs, ` +
        `mlp ${results.panels.mlp.us.toFixed(1)} µs, vmap batch ${results.panels.batch.us.toFixed(1)} µs per Jacobian`,
    );
    await p.close();
  });

  /** The adapter line names the adapter this Chromium gives (read here on its own) and says whether it is a software one. */
  async function checkAdapterLabel(p: import("playwright-core").Page, results: PageResults): Promise<void> {
    const own = await p.evaluate(async () => {
      type Info = { vendor?: string; architecture?: string; isFallbackAdapter?: boolean };
      const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<{ info?: Info; isFallbackAdapter?: boolean } | null> } }).gpu;
      const a = gpu ? await gpu.requestAdapter().catch(() => null) : null;
      return a ? { vendor: a.info?.vendor ?? "", architecture: a.info?.architecture ?? "", fallback: a.info?.isFallbackAdapter === true || a.isFallbackAdapter === true } : null;
    });
    const label = (await p.textContent("#adapter")) ?? "";
    if (!own) {
      assert.is(results.adapter, null);
      assert.match(label, "Adapter: none");
      return;
    }
    assert.ok(results.adapter, "the page read the adapter");
    for (const part of [own.vendor, own.architecture].filter(Boolean)) assert.match(label, part, `the label names the adapter (${part})`);
    // these flags give Chromium's SwiftShader: a software adapter, and the page must say so
    const software = own.fallback || /swiftshader/i.test(own.architecture);
    assert.ok(software, `this Chromium's adapter (${own.vendor} ${own.architecture}) is SwiftShader, a software one`);
    assert.is(results.adapter!.software, true);
    assert.match(label, /software \(CPU emulation of a GPU: not GPU timings\)/);
    assert.is(await p.getAttribute("#adapter", "class"), "software");
    if (results.device === "webgpu") for (const s of await p.locator("#mlp .stats, #batch .stats").allTextContents()) assert.match(s, /· webgpu \(software adapter\)$/);
  }

  /** Puts the pointer on the middle of a cell of a panel's heatmap, where the canvas's data-left/top/cell put it. */
  async function hoverCell(p: import("playwright-core").Page, k: "mlp" | "batch", results: PageResults, tile: number, i: number, j: number): Promise<void> {
    const heat = p.locator(`#${k} canvas`).nth(0);
    const d = await heat.evaluate((c) => ({ ...(c as HTMLCanvasElement).dataset }));
    const [left, top, cell] = [Number(d.left), Number(d.top), Number(d.cell)];
    assert.ok(left > 0 && top > 0 && cell > 0, `${k}: the map leaves room for its axes`);
    const cols = results.panels[k].shape.at(-1)!; // the batch's tiles sit side by side, one cell apart
    await heat.hover({ position: { x: left + (tile * (cols + 1) + j + 0.5) * cell, y: top + (i + 0.5) * cell } });
  }

  /** Each colour scale spans ±max |J| of its panel's numbers; hovering a cell reads out that cell's number. */
  async function checkScalesAndReadouts(p: import("playwright-core").Page, results: PageResults): Promise<void> {
    const flat = (x: Nested): number[] => (typeof x === "number" ? [x] : x.flatMap(flat));
    for (const k of ["arm", "mlp", "batch"] as const) {
      const max = Math.max(...flat(results.panels[k].J).map(Math.abs));
      const scale = p.locator(`#${k} canvas.scale`);
      assert.is(Number(await scale.getAttribute("data-max")), max, `${k}: the scale's top value`);
      assert.is(Number(await scale.getAttribute("data-min")), -max, `${k}: the scale's bottom value`);
    }
    // the pointer on a cell: [panel, tile, i, j]
    const cases: [("mlp" | "batch"), number, number, number][] = [["mlp", 0, 1, 3], ["mlp", 0, 2, 13], ["batch", 2, 4, 5]];
    for (const [k, tile, i, j] of cases) {
      await hoverCell(p, k, results, tile, i, j);
      const text = (await p.textContent(`#${k} .readout`)) ?? "";
      const J = results.panels[k].J as Nested[];
      const want = (k === "batch" ? (J[tile] as number[][])[i][j] : (J[i] as number[])[j]) as number;
      const got = new RegExp(`^${k === "batch" ? `sample ${tile}: ` : ""}J\\[${i}\\]\\[${j}\\] = (\\S+)  \\(output ${i}, input ${j}\\)$`).exec(text);
      assert.ok(got, `${k}: the read-out at cell ${tile}/${i}/${j} is "${text}"`);
      assert.ok(Math.abs(Number(got![1]) - want) <= 1e-3 * Math.abs(want) + 1e-12, `${k}: the read-out shows ${got![1]}, the page's number is ${want}`);
    }
    await p.mouse.move(0, 0);
    assert.match((await p.textContent("#mlp .readout")) ?? "", "hover a cell");
  }

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
