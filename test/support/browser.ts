/**
 * Browser tests drive Debian's Chromium through playwright-core (which never downloads a browser): one browser
 * per test file, a fresh context (no storage) per test, a screenshot of each test's end under test/artifacts/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { projectRoot } from '../../engine/project-root.js';

export const CHROMIUM = process.env.SWAPREP_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = join(projectRoot(), 'test/artifacts');

/** Starts Chromium for the enclosing file; `newPage` opens a page in a fresh context at a laptop's size. */
export function useBrowser() {
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (or set SWAPREP_CHROMIUM)`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless'] });
  });
  afterAll(async () => {
    await browser?.close();
  });
  return {
    async newPage(opts: { locale?: string } = {}): Promise<Page> {
      const context = await browser!.newContext({ viewport: { width: 1400, height: 900 }, locale: opts.locale ?? 'en-US' });
      contexts.push(context);
      const page = await context.newPage();
      // A script error in the console is a failed test, not a silent blank page.
      page.on('pageerror', (err) => {
        throw new Error(`page error: ${err.message}`);
      });
      // So is anything the engine's Content-Security-Policy refused (an inline style, a script from elsewhere).
      page.on('console', (m) => {
        if (/Content Security Policy/i.test(m.text())) throw new Error(`refused by the Content-Security-Policy: ${m.text()}`);
      });
      return page;
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Logs in through the login form and waits for the navigation to appear. */
export async function logIn(page: Page, base: string, username: string, password: string, path = '/'): Promise<void> {
  await page.goto(base + path);
  await page.locator('input[name=username]').fill(username);
  await page.locator('input[name=password]').fill(password);
  await page.locator('button[type=submit]').click();
  await page.locator('nav.side').waitFor();
}
