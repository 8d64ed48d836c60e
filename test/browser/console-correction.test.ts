import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../engine/config.js';
import type { RunningEngine } from '../../engine/main.js';
import { FepTcpClient } from '../../loadtest/fep-client.js';
import { startTestEngine, submissionSettings, TEST_SOURCES } from '../support/engine.js';
import { startChildSdrSim, type ChildSdrSim } from '../support/sdr-sim.js';
import { DEALER, encodeReport, OTHER_SUBMITTER, tradeReport } from '../support/trades.js';
import { logIn, screenshot, useBrowser } from '../support/browser.js';
import { apiLogin, createUsers, eventually } from '../support/console.js';

// The correction flow in a browser, end to end: the engine submits to the simulated repository (its own
// process, `swaprep sdr-sim`), which NACKs a record whose submitter is not counterparty 1 (PRM-001); an analyst
// corrects the record in the editor (validated as typed by the rulebook in the browser), a supervisor approves
// it, the CORR enters the engine as source `console`, the repository ACKs it and the exception closes.

const ADMIN_PASSWORD = 'admin-password-browser';
const PASSWORD = 'analyst-password-1';
const UTI = `${DEALER}BRWCORR1`;

const browser = useBrowser();
let engine: RunningEngine;
let sim: ChildSdrSim;
let db: pg.Pool;
const base = () => `http://127.0.0.1:${engine.httpPort}`;

beforeAll(async () => {
  sim = await startChildSdrSim();
  engine = await startTestEngine({
    submission: submissionSettings({ SWAPREP_SDR: `sim=${sim.baseUrl}` }),
    console: { ...loadConfig({}).console, adminPassword: ADMIN_PASSWORD },
  });
  db = new pg.Pool({ connectionString: engine.databaseUrl, max: 2 });
  const admin = await apiLogin(base(), 'admin', ADMIN_PASSWORD);
  await createUsers(base(), admin.accessToken, [
    { username: 'ana', password: PASSWORD, role: 'analyst' },
    { username: 'sup', password: PASSWORD, role: 'supervisor' },
  ]);
  const fep = await FepTcpClient.connect(engine.tcpPort);
  const seq = (await fep.hello('fep1', TEST_SOURCES.fep1)) + 1;
  fep.sendBatch(seq, [encodeReport(tradeReport({ uti: UTI, submitter: OTHER_SUBMITTER }))]);
  await fep.waitForAck(seq);
  await fep.close();
  await eventually(async () => {
    const { rows } = await db.query(`SELECT id FROM exception WHERE trade_key = $1 AND kind = 'nack' AND status = 'open'`, [UTI]);
    return rows[0];
  }, 'the NACK of the Part 45 submission to become an exception', 30_000);
}, 90_000);

afterAll(async () => {
  await db?.end();
  await Promise.all([engine?.stop(), sim?.stop()]);
});

describe('correcting a NACKed trade in the browser', () => {
  it('an analyst corrects the record, a supervisor approves it, and the repository acknowledges it', async () => {
    // The analyst finds the exception and opens the editor.
    const page = await browser.newPage();
    await logIn(page, base(), 'ana', PASSWORD, '/exceptions?kind=nack');
    const row = page.locator('table.data-table tbody tr', { hasText: UTI });
    await expect.poll(() => row.textContent()).toContain('PRM-001');
    await row.locator('a[href^="/exceptions/"]').click();
    await page.waitForURL(/\/exceptions\/\d+$/);
    const exceptionId = Number(new URL(page.url()).pathname.split('/').pop());
    await page.locator('a', { hasText: 'Correct…' }).click();
    await page.waitForURL(`${base()}/exceptions/${exceptionId}/correct`);

    // The form is generated from the data-element table; the rulebook runs as the analyst types.
    const submitter = page.locator('[data-path="reportSubmittingEntityID"]');
    await expect.poll(() => submitter.inputValue()).toBe(OTHER_SUBMITTER);
    expect(await page.locator('select[name=actionType]').inputValue()).toBe('CORR');
    await submitter.fill('NOT-AN-LEI');
    await expect.poll(() => page.locator('.verdict').getAttribute('data-verdict')).toBe('rejected');
    expect(await page.locator('[data-field="reportSubmittingEntityID"] .field-msgs').textContent()).toContain('FMT-LEI');
    expect(await page.locator('button[type=submit]', { hasText: 'Submit for approval' }).isDisabled()).toBe(true);
    await submitter.fill(DEALER);
    await expect.poll(() => page.locator('.verdict').getAttribute('data-verdict')).toMatch(/^accepted/);
    await page.locator('textarea[name=reason]').fill('the submitter must be the dealer (PRM-001)');
    await screenshot(page, 'console-correction-editor');
    await page.locator('button[type=submit]', { hasText: 'Submit for approval' }).click();
    await page.waitForURL(/\/corrections\/\d+$/);
    const correctionId = Number(new URL(page.url()).pathname.split('/').pop());
    await expect.poll(() => page.locator('.summary [data-status]').first().getAttribute('data-status')).toBe('pending_approval');
    // The maker cannot approve: only another supervisor can.
    expect(await page.locator('button', { hasText: 'Approve' }).count()).toBe(0);

    // The supervisor sees what changed and approves.
    const sup = await browser.newPage();
    await logIn(sup, base(), 'sup', PASSWORD, '/corrections');
    await sup.locator(`table.data-table tbody tr[data-key="${correctionId}"] td`).first().click();
    await sup.waitForURL(`${base()}/corrections/${correctionId}`);
    const change = sup.locator('table.diff tr', { hasText: 'reportSubmittingEntityID' });
    await expect.poll(() => change.locator('td').allTextContents()).toEqual(['reportSubmittingEntityID', OTHER_SUBMITTER, DEALER]);
    await screenshot(sup, 'console-correction-approve');
    await sup.locator('button', { hasText: 'Approve' }).click();
    await expect.poll(() => sup.locator('.notice').textContent()).toBe('Approved and sent to the engine.');

    // The CORR goes to the repository as any event does; its ACK settles the correction and closes the exception.
    await expect.poll(async () => {
      await sup.reload();
      return sup.locator('.summary [data-status]').first().getAttribute('data-status');
    }, { timeout: 30_000, interval: 500 }).toBe('acked');
    await sup.goto(`${base()}/trades/${UTI}`);
    const corrSubmission = sup.locator('.submission', { hasText: 'CORR' }).filter({ hasText: 'cftc-part45' });
    await expect.poll(() => corrSubmission.locator('.submission-head [data-status]').first().getAttribute('data-status')).toBe('acked');
    expect(await corrSubmission.locator('.responses [data-status]').first().getAttribute('data-status')).toBe('ACK');
    await screenshot(sup, 'console-correction-acked');

    const { rows } = await db.query<{ status: string; closed_reason: string | null }>('SELECT status, closed_reason FROM exception WHERE id = $1', [exceptionId]);
    expect(rows[0]!.status).toBe('closed');
    const { rows: events } = await db.query<{ source_id: string; action_type: string; status: string }>(
      'SELECT source_id, action_type, status FROM event_log WHERE trade_key = $1 ORDER BY received_at', [UTI]);
    expect(events).toEqual([{ source_id: 'fep1', action_type: 'NEWT', status: 'accepted' }, { source_id: 'console', action_type: 'CORR', status: 'accepted' }]);
  }, 120_000);
});
