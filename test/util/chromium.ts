// Headless Chromium (Debian's /usr/bin/chromium) through playwright-core, with a
// fresh profile and the flags that give WebGPU on SwiftShader (no GPU needed),
// as /work/shared/conformance/README.md describes. Never downloads a browser.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { test } from "uvu";

export const CHROMIUM = process.env.JACC_CHROMIUM ?? "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--headless=new",
  "--no-sandbox",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
  "--enable-unsafe-webgpu",
  "--enable-unsafe-swiftshader",
  "--use-webgpu-adapter=swiftshader",
];

export function chromiumMissing(): string | undefined {
  return fs.existsSync(CHROMIUM) ? undefined : `${CHROMIUM} not found (apt-get install chromium; CI's .ci/run installs it)`;
}

/**
 * When Chromium is missing: prints a banner that cannot be missed, registers one
 * test saying so, and returns true (the caller then registers nothing else).
 */
export function skipWithoutChromium(file: string): boolean {
  const missing = chromiumMissing();
  if (!missing) return false;
  const banner = "!".repeat(78);
  console.log(`\n${banner}\n!! SKIPPED ${file}: ${missing}\n!! The example app was NOT checked in a browser.\n${banner}\n`);
  test(`${file}: SKIPPED (no Chromium; see the message above)`, () => undefined);
  return true;
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Browser> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "jacc-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1100, height: 900 },
  });
  return {
    context,
    close: async () => {
      await context.close().catch(() => undefined);
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}
