import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type EngineConfig } from '../../engine/config.js';
import { FepTcpClient } from '../../loadtest/fep-client.js';
import { TEST_SOURCES, useTestEngine } from '../support/engine.js';
import { DEALER_LEI, makeValidReport } from '../support/reports.js';
import { logIn, screenshot, useBrowser } from '../support/browser.js';
import { apiLogin, createUsers, eventually } from '../support/console.js';

// The analyst console in a real browser (Debian's Chromium) against a real engine: log in, find a trade by
// its UTI, open its detail, switch language, confirm an anomaly. Scoring is off in tests, so the anomaly is a
// review_item row written for a real stored event (what the scorer writes when it flags one).

const ADMIN_PASSWORD = 'admin-password-browser';
const PASSWORD = 'analyst-password-1';
const T1 = `${DEALER_LEI}BROWSERT1`;
const T2 = `${DEALER_LEI}BROWSERT2`;

const t = useTestEngine({ console: { ...loadConfig({}).console, adminPassword: ADMIN_PASSWORD } } as Partial<EngineConfig>);
const browser = useBrowser();
const base = () => `http://127.0.0.1:${t.engine.httpPort}`;

beforeAll(async () => {
  const admin = await apiLogin(base(), 'admin', ADMIN_PASSWORD);
  await createUsers(base(), admin.accessToken, [
    { username: 'ana', password: PASSWORD, role: 'analyst' },
    { username: 'vic', password: PASSWORD, role: 'viewer' },
  ]);
  const c = await FepTcpClient.connect(t.engine.tcpPort);
  const from = (await c.hello('fep1', TEST_SOURCES.fep1)) + 1;
  c.sendBatch(from, [
    makeValidReport({ uti: 'BROWSERT1', actionType: 'NEWT', minute: 0 }),
    makeValidReport({ uti: 'BROWSERT1', actionType: 'MODI', minute: 1 }),
    makeValidReport({ uti: 'BROWSERT2', actionType: 'NEWT', minute: 2 }),
  ]);
  await c.waitForAck(from + 2);
  await c.close();
  // The scorer's output for the MODI (seq from + 1): a flagged event in the review queue.
  await t.db.query(
    `INSERT INTO review_item (source_id, seq, trade_key, version_id, score, top_features)
     VALUES ('fep1', $1, $2, 'model-test', 5.25, '[{"feature":"notional_log_z","value":8.4,"contribution":3.9},{"feature":"rate_gap","value":0.2,"contribution":0.7}]')`,
    [from + 1, T1],
  );
  const viewer = await apiLogin(base(), 'vic', PASSWORD);
  await eventually(async () => {
    const r = await fetch(`${base()}/api/trades?uti=${T1}`, { headers: { authorization: `Bearer ${viewer.accessToken}` } });
    const body = (await r.json()) as { items?: { version: number | null }[] };
    return body.items?.[0]?.version === 2 ? true : undefined;
  }, 'the console projection of the trades');
});

describe('analyst console in a browser', () => {
  it('asks for a login, refuses a wrong password, shows only the pages of the role, and logs out', async () => {
    const page = await browser.newPage();
    await page.goto(`${base()}/exceptions`);
    await page.waitForURL(/\/login\?next=%2Fexceptions/);
    await page.locator('input[name=username]').fill('ana');
    await page.locator('input[name=password]').fill('not-the-password');
    await page.locator('button[type=submit]').click();
    await expect.poll(() => page.locator('[role=alert]').textContent()).toContain('Wrong username or password');

    await page.locator('input[name=password]').fill(PASSWORD);
    await page.locator('button[type=submit]').click();
    // Back to the page that asked for the login.
    await page.waitForURL(/\/exceptions$/);
    await expect.poll(() => page.locator('[data-user]').getAttribute('data-user')).toBe('ana');
    const nav = await page.locator('nav.side a').allTextContents();
    expect(nav.map((s) => s.replace(/\d+$/, ''))).toEqual(expect.arrayContaining(['Dashboard', 'Search', 'Exceptions', 'Review queue', 'Corrections']));
    expect(nav.join(' ')).not.toContain('Users');
    await screenshot(page, 'console-login');

    // Logging out revokes the session: a reload does not bring it back.
    await page.locator('button.logout').click();
    await page.waitForURL(/\/login/);
    await page.goto(`${base()}/search`);
    await page.waitForURL(/\/login\?next=%2Fsearch/);
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
  });

  it('finds a trade by UTI with the query prompt and opens its detail from the keyboard', async () => {
    const page = await browser.newPage();
    await logIn(page, base(), 'ana', PASSWORD, '/search');
    await page.keyboard.press('/');
    await expect.poll(() => page.evaluate('document.activeElement?.id')).toBe('q');
    await page.keyboard.type(`uti:${T1}`);
    await page.keyboard.press('Enter');
    // The server's parsed form of the query is shown back.
    await expect.poll(() => page.locator('.parsed .term').allTextContents()).toEqual([`uti:${T1}`]);
    const rows = page.locator('table.data-table tbody tr');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().getAttribute('data-key')).toBe(`${DEALER_LEI}/${T1}`);

    // Esc leaves the field; then j/k move in the results and Enter opens.
    await page.keyboard.press('Escape');
    await page.keyboard.press('j');
    await expect.poll(() => rows.first().getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.pathname === `/trades/${T1}`);
    await expect.poll(() => page.locator('h1').textContent()).toBe(`Trade ${T1}`);
    const history = page.locator('ol.history > li');
    await expect.poll(() => history.count()).toBe(2);
    expect(await history.nth(0).locator('b').textContent()).toBe('NEWT');
    expect(await history.nth(1).locator('b').textContent()).toBe('MODI');
    // The latest version is open with its differences from the previous one.
    const change = page.locator('table.diff tr', { hasText: 'actionType' });
    await expect.poll(() => change.locator('td').allTextContents()).toEqual(['actionType', 'NEWT', 'MODI']);
    await screenshot(page, 'console-trade');
  });

  it('keeps the session across a reload of a deep link, and switches to Korean', async () => {
    const page = await browser.newPage();
    await logIn(page, base(), 'ana', PASSWORD, `/trades/${T2}`);
    await page.reload();
    await expect.poll(() => page.locator('h1').textContent()).toBe(`Trade ${T2}`);
    await page.locator('header select').selectOption('ko');
    await expect.poll(() => page.locator('h1').textContent()).toBe(`거래 ${T2}`);
    expect(await page.locator('nav.side a').first().textContent()).toBe('대시보드');
    expect(await page.evaluate('document.documentElement.lang')).toBe('ko');
    await screenshot(page, 'console-korean');
  });

  it('confirms an anomaly in the review queue with a reason, which becomes a label', async () => {
    const viewerPage = await browser.newPage();
    await logIn(viewerPage, base(), 'vic', PASSWORD, '/review');
    await expect.poll(() => viewerPage.locator('table.data-table tbody tr').count()).toBe(1);
    // A viewer sees the queue but may not decide.
    expect(await viewerPage.locator('button', { hasText: 'Confirm anomaly' }).count()).toBe(0);

    const page = await browser.newPage();
    await logIn(page, base(), 'ana', PASSWORD, '/review');
    const row = page.locator('table.data-table tbody tr');
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.first().textContent()).toContain('notional_log_z');
    await row.first().locator('button', { hasText: 'Confirm anomaly' }).click();
    const dialog = page.locator('dialog[open]');
    await dialog.locator('textarea').fill('notional 40x the desk norm, booked in error');
    await screenshot(page, 'console-review-dialog');
    await dialog.locator('button[type=submit]').click();
    await expect.poll(() => page.locator('.state-empty').textContent()).toBe('Nothing to review.');
    await screenshot(page, 'console-review');

    const { rows } = await t.db.query<{ state: string; verdict: string; analyst: string; note: string }>(
      `SELECT r.state, l.verdict, l.analyst, l.note FROM review_item r JOIN review_label l USING (source_id, seq) WHERE r.trade_key = $1`, [T1]);
    expect(rows).toEqual([{ state: 'confirmed', verdict: 'confirmed', analyst: 'ana', note: 'notional 40x the desk norm, booked in error' }]);
  });
});
