import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, type EngineConfig } from '../../engine/config.js';
import { useTestEngine } from '../support/engine.js';
import { screenshot, useBrowser } from '../support/browser.js';

// The first admin in a real browser: the engine generated the password (in a file of the data directory); the
// console shows only the change-password form until a new one is chosen, then the app (under the engine's
// Content-Security-Policy: test/support/browser.ts fails a test on anything it refuses).

const dataDir = mkdtempSync(join(tmpdir(), 'swaprep-first-login-'));
const t = useTestEngine({ dataDir, console: { ...loadConfig({}).console, adminPassword: undefined } } as Partial<EngineConfig>);
const browser = useBrowser();
const base = () => `http://127.0.0.1:${t.engine.httpPort}`;

describe('first login in the browser', () => {
  it('makes admin choose a new password before showing the console', async () => {
    const generated = readFileSync(join(dataDir, 'console-admin-password'), 'utf8').trim();
    const page = await browser.newPage();
    await page.goto(`${base()}/`);
    await page.locator('input[name=username]').fill('admin');
    await page.locator('input[name=password]').fill(generated);
    await page.locator('button[type=submit]').click();

    // Only the form: no navigation, no pages.
    await page.locator('input[name=currentPassword]').waitFor();
    expect(await page.locator('nav.side').count()).toBe(0);
    await page.locator('input[name=currentPassword]').fill(generated);
    await page.locator('input[name=newPassword]').fill('admin-new-password-1');
    await page.locator('input[name=confirmPassword]').fill('admin-new-password-2');
    await page.locator('form button[type=submit]').click();
    await expect.poll(() => page.locator('[role=alert]').textContent()).toContain('The two new passwords differ');
    await page.locator('input[name=confirmPassword]').fill('admin-new-password-1');
    await screenshot(page, 'console-first-login');
    await page.locator('form button[type=submit]').click();

    // Changed: the console itself, as admin (the Users page is in the navigation).
    await page.locator('nav.side').waitFor();
    await expect.poll(() => page.locator('[data-user]').getAttribute('data-user')).toBe('admin');
    expect((await page.locator('nav.side a').allTextContents()).join(' ')).toContain('Users');
    // The new password is the one that works now.
    const r = await fetch(`${base()}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'admin-new-password-1' }) });
    expect(r.status).toBe(200);
  });
});
