/**
 * Headless Chromium for the explorer tests: Debian's `/usr/bin/chromium` (installed
 * by `.ci/run`), driven by playwright-core, which downloads no browser. A missing
 * binary fails the test with a message saying how to install it.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';

/** CHROMIUM is the browser binary; POLYRPC_CHROMIUM overrides it. */
export const CHROMIUM = process.env.POLYRPC_CHROMIUM ?? '/usr/bin/chromium';

/**
 * launchChromium starts headless Chromium with a fresh profile (playwright makes a
 * temporary `--user-data-dir` per launch and deletes it on close).
 * @throws Error when the binary is missing.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `explorer tests need Chromium at ${CHROMIUM}: apt-get install -y chromium (as .ci/run does), ` +
        'or set POLYRPC_CHROMIUM to a Chromium binary',
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** watchConsole collects a page's console errors and uncaught exceptions. */
export function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  return errors;
}
