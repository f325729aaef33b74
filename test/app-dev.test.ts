// The example app in Vite's dev server, driven in headless Chromium: editing the
// module with markers reloads the page with recompiled Jacobians (checked
// against Node), and a jacc diagnostic shows in Vite's error overlay with its
// plugin, file:line:col and code frame. Works on a scratch copy of the app.
import { test } from "uvu";
import * as assert from "uvu/assert";
import fs from "node:fs";
import path from "node:path";
import { createServer } from "vite";
import { appRoot } from "./util/app-build.js";
import { launchChromium, skipWithoutChromium, type Browser } from "./util/chromium.js";
import { close, type Nested, type PageResults } from "./util/app-results.js";
import { compileAndImport, repoRoot } from "./util/compile.js";

if (skipWithoutChromium("test/app-dev.test.ts")) {
  test.run();
} else {
  let browser: Browser;
  test.before(async () => {
    browser = await launchChromium();
  });
  test.after(async () => {
    await browser?.close();
  });

  test("app in Vite's dev server (Chromium): editing the module with markers reloads the page with recompiled Jacobians; a jacc error shows in Vite's overlay", async () => {
    // a scratch copy inside the repository (so "jacc" still resolves to it), edited below
    const dir = path.join(repoRoot, ".tmp", "app-dev", String(process.pid));
    fs.rmSync(dir, { recursive: true, force: true });
    fs.cpSync(appRoot, dir, { recursive: true, filter: (src) => !/[\\/](dist|node_modules)$/.test(src) });
    const programsTs = path.join(dir, "src", "programs.ts");
    const original = fs.readFileSync(programsTs, "utf8");
    const server = await createServer({ root: dir, configFile: path.join(dir, "vite.config.ts"), logLevel: "silent", server: { host: "127.0.0.1", port: 0 } });
    const p = await browser.context.newPage();
    try {
      await server.listen();
      const url = server.resolvedUrls!.local[0];
      await p.goto(url);
      await p.waitForSelector("body[data-done]", { timeout: 60_000 });
      const armOf = async (): Promise<Nested> => (JSON.parse((await p.textContent("#results")) ?? "{}") as PageResults).panels.arm.J;
      const before = await armOf();

      // 1. a longer first link: the page reloads and shows the new Jacobian, as Node computes it
      const edited = original.replace("export const LINKS = [1.0,", "export const LINKS = [1.5,");
      assert.is.not(edited, original);
      await p.evaluate(() => ((window as unknown as { __stale: boolean }).__stale = true));
      fs.writeFileSync(programsTs, edited);
      await p.waitForFunction(() => !(window as unknown as { __stale?: boolean }).__stale && document.body.dataset.done, undefined, { timeout: 30_000 });
      const after = await armOf();
      const m = await compileAndImport(edited, "app-programs-edited", programsTs);
      close(after, m.armJacobian(m.ARM_Q).map((t: { toArray(): Nested }) => t.toArray()), 1e-12, "arm after the edit");
      assert.not.equal(after, before);

      // 2. a template string in the differentiated function: Vite's overlay shows jacc's diagnostic
      const bad = edited.replace("  let y = 0;\n", "  let y = 0;\n  const label = `q0 = ${q[0]}`;\n");
      const line = bad.slice(0, bad.indexOf("`q0")).split("\n").length;
      const col = bad.split("\n")[line - 1].indexOf("`") + 1;
      fs.writeFileSync(programsTs, bad);
      await p.waitForSelector("vite-error-overlay", { timeout: 30_000 });
      const overlay = async (part: string) => (await p.locator(`vite-error-overlay .${part}`).textContent()) ?? "";
      assert.is(await overlay("plugin"), "[plugin:jacc] ");
      assert.match(await overlay("message-body"), "error jacc(unsupported-construct): a template string is not supported");
      assert.is(await overlay("file"), `${programsTs}:${line}:${col}`);
      assert.match(await overlay("frame"), new RegExp(`> ${line} \\|\\s+const label = \``));
      assert.match(await overlay("frame"), /\^{5,}/);
      if (process.env.JACC_SCREENSHOTS) await p.screenshot({ path: path.join(repoRoot, ".tmp", "screenshots", "app-overlay.png") });

      // 3. fixed again: the page recovers
      await p.evaluate(() => ((window as unknown as { __stale: boolean }).__stale = true));
      fs.writeFileSync(programsTs, original);
      await p.waitForFunction(() => !(window as unknown as { __stale?: boolean }).__stale && document.body.dataset.done === "true", undefined, { timeout: 30_000 });
      close(await armOf(), before, 1e-12, "arm after the fix");
    } finally {
      await p.close();
      await Promise.race([server.close(), new Promise((r) => setTimeout(r, 5000))]);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test.run();
}
