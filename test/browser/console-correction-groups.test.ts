import pg from 'pg';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../engine/config.js';
import type { RunningEngine } from '../../engine/main.js';
import { FepTcpClient } from '../../loadtest/fep-client.js';
import type { CorrectionDetail } from '../../ui/api/contract.js';
import { startTestEngine, submissionSettings, TEST_SOURCES } from '../support/engine.js';
import { CLIENT, DEALER, encodeReport, tradeReport } from '../support/trades.js';
import { logIn, screenshot, useBrowser } from '../support/browser.js';
import { apiLogin, createUsers, eventually } from '../support/console.js';

// Repeating groups in the correction editor: an analyst adds a second and a third other payment, removes one
// from the middle and edits the rest; the correction the server stored holds exactly the items left, in order,
// as an array in the canonical JSON shape. The exception is a rejected NEWT (a submitter that is not an LEI),
// opened by the submission path (no repository needed for that).

const ADMIN_PASSWORD = 'admin-password-groups';
const PASSWORD = 'analyst-password-1';
const UTI = `${DEALER}BRWGROUPS1`;

const browser = useBrowser();
let engine: RunningEngine;
let db: pg.Pool;
const base = () => `http://127.0.0.1:${engine.httpPort}`;

beforeAll(async () => {
  engine = await startTestEngine({
    submission: submissionSettings({}),
    console: { ...loadConfig({}).console, adminPassword: ADMIN_PASSWORD },
  });
  db = new pg.Pool({ connectionString: engine.databaseUrl, max: 2 });
  const admin = await apiLogin(base(), 'admin', ADMIN_PASSWORD);
  await createUsers(base(), admin.accessToken, [{ username: 'ana', password: PASSWORD, role: 'analyst' }]);
  const fep = await FepTcpClient.connect(engine.tcpPort);
  const seq = (await fep.hello('fep1', TEST_SOURCES.fep1)) + 1;
  fep.sendBatch(seq, [encodeReport(tradeReport({ uti: UTI, submitter: 'NOT-AN-LEI' }))]);
  await fep.waitForAck(seq);
  await fep.close();
}, 90_000);

afterAll(async () => {
  await db?.end();
  await engine?.stop();
});

/** Sets one input of the form by its record path, whatever kind of input the element has. */
async function setField(page: Page, path: string, value: string): Promise<void> {
  const input = page.locator(`[data-path="${path}"]`);
  if ((await input.evaluate((el) => el.tagName)) === 'SELECT') await input.selectOption(value);
  else await input.fill(value);
}

async function fillPayment(page: Page, index: number, p: { paymentType: string; amount: string; currency: string; date: string }): Promise<void> {
  for (const [field, value] of Object.entries({ ...p, payer: DEALER, payerFormat: 'Lei', receiver: CLIENT, receiverFormat: 'Lei' })) {
    await setField(page, `otherPayment[${index}].${field}`, value);
  }
}

describe('repeating groups in the correction editor', () => {
  it('adds, removes and edits items of a group, and the stored correction holds exactly those items', async () => {
    const exceptionId = await eventually(async () => {
      const { rows } = await db.query<{ id: string }>(`SELECT id FROM exception WHERE trade_key = $1 AND kind = 'validation' AND status = 'open'`, [UTI]);
      return rows[0] ? Number(rows[0].id) : undefined;
    }, 'the rejected NEWT to become a validation exception', 30_000);

    const page = await browser.newPage();
    await logIn(page, base(), 'ana', PASSWORD, `/exceptions/${exceptionId}/correct`);
    const submitter = page.locator('[data-path="reportSubmittingEntityID"]');
    await expect.poll(() => submitter.inputValue()).toBe('NOT-AN-LEI');
    expect(await page.locator('select[name=actionType]').inputValue()).toBe('NEWT');
    await submitter.fill(DEALER);

    // The record has no other payment: finding the group shows it with no item, only "Add an item".
    await page.locator('input[data-search]').fill('other payment');
    const group = page.locator('[data-group="otherPayment"]');
    const items = group.locator('fieldset.group-item');
    await expect.poll(() => items.count()).toBe(0);
    const add = group.locator('button[data-add-item="otherPayment"]');

    // First, second and third items, each edited in its own inputs.
    await add.click();
    await add.click();
    await expect.poll(() => items.count()).toBe(2);
    await fillPayment(page, 0, { paymentType: 'UFRO', amount: '1000', currency: 'USD', date: '2024-04-03' });
    await fillPayment(page, 1, { paymentType: 'UWIN', amount: '2000.5', currency: 'EUR', date: '2024-04-04' });
    await add.click();
    await expect.poll(() => items.count()).toBe(3);
    await fillPayment(page, 2, { paymentType: 'PEXH', amount: '3000', currency: 'JPY', date: '2024-04-05' });

    // Removing the middle item moves the third into its place, values and all.
    await items.nth(1).locator('button[data-remove-item]').click();
    await expect.poll(() => items.count()).toBe(2);
    expect(await page.locator('[data-path="otherPayment[1].amount"]').inputValue()).toBe('3000');
    expect(await page.locator('[data-path="otherPayment[1].paymentType"]').inputValue()).toBe('PEXH');
    expect(await page.locator('[data-path="otherPayment[0].amount"]').inputValue()).toBe('1000');
    // ... and the remaining items can still be edited.
    await setField(page, 'otherPayment[1].amount', '3500');

    // The rulebook judges the items as typed (a bad currency in the second item is named at its path).
    await setField(page, 'otherPayment[1].currency', 'XX');
    await expect.poll(() => page.locator('.verdict').getAttribute('data-verdict')).toBe('rejected');
    expect(await page.locator('[data-field="otherPayment[1].currency"] .field-msgs').count()).toBe(1);
    await setField(page, 'otherPayment[1].currency', 'JPY');
    await expect.poll(() => page.locator('.verdict').getAttribute('data-verdict')).toMatch(/^accepted/);

    // A per-leg group: leg 2's notional schedule gets a first item, judged as typed. This trade's product has a
    // constant notional, so the rulebook refuses any schedule (P45-C33); removing the item, the array goes with it.
    await page.locator('input[data-search]').fill('notional amount schedule');
    const leg2 = page.locator('[data-group="leg2.notionalAmountSchedule"]');
    await leg2.locator('button[data-add-item]').click();
    await setField(page, 'leg2.notionalAmountSchedule[0].value', '5000000');
    await setField(page, 'leg2.notionalAmountSchedule[0].effectiveDate', '2025-04-03');
    await expect.poll(() => page.locator('.validation .findings').textContent()).toContain('P45-C33');
    expect(await page.locator('.verdict').getAttribute('data-verdict')).toBe('rejected');
    expect(await page.locator('[data-group="leg1.notionalAmountSchedule"] fieldset.group-item').count()).toBe(0);
    await leg2.locator('button[data-remove-item="0"]').click();
    await expect.poll(() => page.locator('.verdict').getAttribute('data-verdict')).toMatch(/^accepted/);

    await page.locator('textarea[name=reason]').fill('submitter is the dealer; the upfront and exchange payments were missing');
    await page.locator('input[data-search]').fill('other payment');
    await screenshot(page, 'console-correction-groups');
    await page.locator('button[type=submit]', { hasText: 'Submit for approval' }).click();
    await page.waitForURL(/\/corrections\/\d+$/);
    const correctionId = Number(new URL(page.url()).pathname.split('/').pop());

    // What the server stored, read back through the API.
    const token = (await apiLogin(base(), 'ana', PASSWORD)).accessToken;
    const r = await fetch(`${base()}/api/corrections/${correctionId}`, { headers: { authorization: `Bearer ${token}` } });
    expect(r.status).toBe(200);
    const stored = (await r.json()) as CorrectionDetail;
    expect(stored.record.reportSubmittingEntityID).toBe(DEALER);
    expect(stored.record.otherPayment).toEqual([
      { paymentType: 'UFRO', amount: 1000, currency: 'USD', date: '2024-04-03', payer: DEALER, payerFormat: 'Lei', receiver: CLIENT, receiverFormat: 'Lei' },
      { paymentType: 'PEXH', amount: 3500, currency: 'JPY', date: '2024-04-05', payer: DEALER, payerFormat: 'Lei', receiver: CLIENT, receiverFormat: 'Lei' },
    ]);
    expect(stored.record.leg2).toBeTypeOf('object');
    expect(stored.record.leg2).not.toHaveProperty('notionalAmountSchedule');
  }, 120_000);
});
