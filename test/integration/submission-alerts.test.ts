// Deadlines and alerts under a controlled clock: a submission the repository never acknowledges misses its
// deadline, and the alert reaches a webhook (HTTP POST JSON) and a mailbox (a local SMTP server); repeats are
// deduplicated, deliveries rate-limited, alerts acknowledged by a user and resolved when the condition clears.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertMonitor, DEFAULT_ALERT_RULES } from '../../engine/alerts/monitor.js';
import { EmailNotifier, WebhookNotifier } from '../../engine/alerts/notifiers.js';
import { AlertService } from '../../engine/alerts/service.js';
import { auditTrail } from '../../engine/exceptions/audit.js';
import { createReportBuilder } from '../../engine/reports/index.js';
import { applyBatchResponse, insertBatches, markBatchSent } from '../../engine/submission/store.js';
import { LineBuffer, recordLine } from '../../engine/submission/batch-body.js';
import { migratedTestDatabase } from '../support/database.js';
import { DEALER, tradeReport } from '../support/trades.js';
import { waitFor } from '../support/cli.js';
import { encodeReport } from '../support/trades.js';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReportScheduler } from '../../engine/scheduled/scheduler.js';
import { listReportFiles } from '../../engine/scheduled/files.js';
import { parseCsvLine } from '../../engine/reports/index.js';

let db: pg.Pool;
let now = Date.parse('2026-11-23T15:00:00Z'); // a Monday, 10:00 in New York
const clock = () => now;
const hooks: { alert: Record<string, unknown> }[] = [];
const mails: string[] = [];
let webhook: http.Server;
let smtp: SMTPServer;
let smtpPort = 0;
let email: EmailNotifier;

beforeAll(async () => {
  db = new pg.Pool({ connectionString: await migratedTestDatabase('alerts'), max: 3 });
  webhook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      hooks.push(JSON.parse(body) as { alert: Record<string, unknown> });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => webhook.listen(0, '127.0.0.1', r));
  smtp = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'], logger: false,
    onData(stream, _session, callback) {
      let text = '';
      stream.on('data', (d: Buffer) => (text += d.toString()));
      stream.on('end', () => {
        mails.push(text);
        callback();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
  smtpPort = (smtp.server.address() as AddressInfo).port;
  email = new EmailNotifier({ host: '127.0.0.1', port: smtpPort, secure: false, from: 'swaprep@example.test', to: ['ops@example.test'] });
}, 60_000);

afterAll(async () => {
  email?.close();
  await new Promise<void>((r) => webhook?.close(() => r()));
  await new Promise<void>((r) => smtp?.close(() => r()));
  await db?.end();
});

describe('deadline alerts', () => {
  it('raise when a submission misses its T+1 deadline, delivered by webhook and email, once', async () => {
    const builder = createReportBuilder();
    const report = tradeReport({ uti: `${DEALER}ALERTA`, executionTimestamp: new Date(now).toISOString().replace('.000', '') });
    const built = builder.build('cftc-part45', report, now, 'json');
    expect(new Date(built.dueAtMs).toISOString()).toBe('2026-11-25T05:00:00.000Z'); // end of Tuesday, New York (EST)
    const store = await db.connect();
    try {
      await insertBatches(store, [{ id: 'B-ALERT-A', repository: 'sdr', regime: 'cftc-part45', format: 'json', lane: 0, submitter: DEALER, records: 1,
        lines: LineBuffer.of([recordLine('json', 'S-ALERT-A', built.payload)]), hasCorrections: false, dueAtMs: built.dueAtMs }], [{
        id: 'S-ALERT-A', batchId: 'B-ALERT-A', ordinal: 0, regime: 'cftc-part45', sourceId: 'src', seq: 1, tradeKey: `${DEALER}ALERTA`, counterparty1: DEALER,
        actionType: 'NEWT', dueAtMs: built.dueAtMs, disseminateAtMs: null, correctionId: null,
      }], now);
      await markBatchSent(store, 'B-ALERT-A', now);
    } finally {
      store.release();
    }

    const alerts = new AlertService(db, [new WebhookNotifier(`http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook`), email], clock);
    const monitor = new AlertMonitor(db, alerts, clock, { ...DEFAULT_ALERT_RULES, deadlineWarnMs: 2 * 3_600_000 });

    expect(await monitor.runOnce()).toEqual([]); // Monday: nothing due soon

    now = Date.parse('2026-11-25T03:30:00Z'); // 90 minutes before the deadline
    expect((await monitor.runOnce()).map((c) => c.rule)).toEqual(['deadline-risk']);

    now = Date.parse('2026-11-25T05:00:01Z'); // one second late
    expect((await monitor.runOnce()).map((c) => c.dedupKey)).toEqual(['deadline-missed:sdr:cftc-part45']);
    await waitFor('webhook and email', () => hooks.length === 2 && mails.length === 2);
    const missedHook = hooks.find((h) => h.alert.rule === 'deadline-missed')!;
    expect(missedHook.alert).toMatchObject({ severity: 'critical', dedupKey: 'deadline-missed:sdr:cftc-part45', detail: { submissions: 1, sample: ['S-ALERT-A'] } });
    // Long headers are folded on the wire: unfold before matching.
    const unfolded = mails.map((m) => m.replace(/\r?\n[ \t]+/g, ' '));
    expect(unfolded.some((m) => /Subject: \[swaprep critical\] 1 cftc-part45 submission\(s\) to sdr missed their deadline/.test(m))).toBe(true);
    expect(mails.every((m) => m.includes('To: ops@example.test'))).toBe(true);
    const { rows: state } = await db.query<{ deadline_state: string }>(`SELECT deadline_state FROM submission_state WHERE id = 'S-ALERT-A'`);
    expect(state[0]!.deadline_state).toBe('missed');

    // Still missed a minute later: the same alert, counted, not delivered again.
    now += 60_000;
    await monitor.runOnce();
    const active = await alerts.list({ status: 'active' });
    expect(active.map((a) => [a.rule, a.occurrences])).toEqual([['deadline-missed', 2]]);
    expect(hooks).toHaveLength(2);
    const { rows: deliveries } = await db.query<{ channel: string; status: string }>('SELECT channel, status FROM alert_delivery ORDER BY id');
    expect(deliveries.map((d) => `${d.channel}:${d.status}`)).toEqual(['webhook:sent', 'email:sent', 'webhook:sent', 'email:sent']);

    // A user acknowledges it (audited); once the repository ACKs, the rule clears and the alert resolves.
    const acked = await alerts.acknowledge(active[0]!.id, 'dana');
    expect(acked).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'dana' });
    expect((await auditTrail(db, 'alert', active[0]!.id)).map((a) => [a.actor, a.action])).toEqual([['dana', 'acknowledge']]);
    const answer = await db.connect();
    try {
      await applyBatchResponse(answer, 'sdr', 'B-ALERT-A', [{ submissionId: 'S-ALERT-A', outcome: 'ACK', codes: [] }], now);
    } finally {
      answer.release();
    }
    await monitor.runOnce();
    expect(await alerts.list({ status: 'active' })).toEqual([]);
  });

  it('rate-limits deliveries per notifier and raises on the NACK rate', async () => {
    const seen: string[] = [];
    const recorder = { channel: 'webhook' as const, target: 'memory', deliver: async (a: { dedupKey: string }) => void seen.push(a.dedupKey) };
    const alerts = new AlertService(db, [recorder], clock, { maxPerWindow: 2, windowMs: 60_000 });
    for (const k of ['x1', 'x2', 'x3']) await alerts.raise({ rule: 'test', dedupKey: `test:${k}`, severity: 'warning', title: k, detail: {} });
    expect(seen).toEqual(['test:x1', 'test:x2']);
    const { rows } = await db.query<{ status: string }>(`SELECT d.status FROM alert_delivery d JOIN alert a ON a.id = d.alert_id WHERE a.rule = 'test' ORDER BY d.id`);
    expect(rows.map((r) => r.status)).toEqual(['sent', 'sent', 'rate_limited']);

    // 3 NACKs out of 4 outcomes within the window.
    await db.query(`INSERT INTO submission_response (batch_id, repository, received_at, acks, nacks, duplicates) VALUES ('B-N', 'sdr2', $1, 1, 3, 0)`, [new Date(now).toISOString()]);
    const monitor = new AlertMonitor(db, alerts, clock, { ...DEFAULT_ALERT_RULES, nackMinOutcomes: 4 });
    const fired = await monitor.runOnce();
    expect(fired.find((c) => c.rule === 'nack-rate')).toMatchObject({ dedupKey: 'nack-rate:sdr2', severity: 'critical', detail: { nacks: 3, outcomes: 4 } });
  });

  it('raise on a stalled source and on events durable but not yet submitted', async () => {
    now = Date.parse('2026-11-26T12:00:00Z');
    const r = tradeReport({ uti: `${DEALER}QUIET1` });
    await db.query(`INSERT INTO fep_source (source_id, token_hash, durable_seq) VALUES ('quiet', 'x', 1)`);
    await db.query(`INSERT INTO event_log (source_id, seq, received_at, trade_key, counterparty1, action_type, status, version, lifecycle, report)
                    VALUES ('quiet', 1, $1, $2, $3, 'NEWT', 'accepted', 1, 'live', $4)`, [new Date(now - 20 * 60_000).toISOString(), `${DEALER}QUIET1`, DEALER, Buffer.from(encodeReport(r))]);
    const alerts = new AlertService(db, [], clock);
    const fired = await new AlertMonitor(db, alerts, clock).runOnce();
    expect(fired.map((c) => c.dedupKey).filter((k) => k.includes('quiet')).sort()).toEqual(['stalled-source:quiet', 'storage-lag:intake:quiet']);
  });

  it('raise on events flagged for review, and on a flag rate that says the model does not fit the data', async () => {
    now = Date.parse('2026-11-26T13:00:00Z');
    const alerts = new AlertService(db, [], clock);
    const counts = { scored: 0, flagged: 0 };
    const monitor = new AlertMonitor(db, alerts, clock, DEFAULT_ALERT_RULES, { scoringCounts: () => ({ ...counts }) });
    const rules = async () => (await monitor.runOnce()).filter((c) => c.rule.startsWith('anomaly'));
    expect(await rules()).toEqual([]); // nothing flagged yet; the first look at the counts only takes them

    const review = (seq: number, minutesAgo: number) =>
      db.query(`INSERT INTO review_item (source_id, seq, trade_key, version_id, score, top_features, created_at) VALUES ('fep1', $1, 'UTI', 'v1', 3.5, '[]', $2)`,
        [seq, new Date(now - minutesAgo * 60_000).toISOString()]);
    await review(1, 40); // open, but older than the window
    await review(2, 5);
    counts.scored += 20_000;
    counts.flagged += 100; // 0.5%: the model's alert rate
    expect(await rules()).toMatchObject([{ rule: 'anomaly-flags', severity: 'warning', detail: { flaggedInWindow: 1, openReviewItems: 2 } }]);

    counts.scored += 20_000;
    counts.flagged += 8_000; // 40%
    const fired = await rules();
    expect(fired.map((c) => c.rule)).toEqual(['anomaly-flags', 'anomaly-flag-rate']);
    expect(fired[1]).toMatchObject({ severity: 'critical', detail: { scored: 20_000, flagged: 8_000, rate: 0.4 } });
    expect(fired[1]!.title).toMatch(/swaprep train --from db --activate/);

    // Once the window has passed and the rate is back to normal, both resolve.
    now += 20 * 60_000;
    counts.scored += 20_000;
    counts.flagged += 100;
    expect(await rules()).toEqual([]);
    const open = await db.query<{ dedup_key: string }>(`SELECT dedup_key FROM alert WHERE dedup_key LIKE 'anomaly%' AND status <> 'resolved'`);
    expect(open.rows).toEqual([]);
  });
});

describe('scheduled reports', () => {
  it('run at their configured time, once per day, and flag stale or missing valuations and margin', async () => {
    const put = async (seq: number, uti: string, action: string, eventTs: string, version: number | null) =>
      db.query(`INSERT INTO event_log (source_id, seq, received_at, trade_key, counterparty1, action_type, event_timestamp, status, version, lifecycle, report)
                VALUES ('val', $1, '2026-11-01T00:00:00Z', $2, $3, $4, $5, 'accepted', $6, 'live', $7)`,
        [seq, uti, DEALER, action, eventTs, version, Buffer.from(encodeReport(tradeReport({ uti })))]);
    await put(1, `${DEALER}VAL1`, 'NEWT', '2026-10-01T10:00:00Z', 1);
    await put(2, `${DEALER}VAL1`, 'VALU', '2026-11-01T10:00:00Z', 2); // 24 days before the end of 25 Nov: stale
    await put(3, `${DEALER}VAL2`, 'NEWT', '2026-10-01T10:00:00Z', 1);
    await put(4, `${DEALER}VAL2`, 'VALU', '2026-11-24T10:00:00Z', 2); // fresh
    await put(5, `${DEALER}VAL2`, 'MARU', '2026-11-24T00:00:00Z', 3); // fresh

    const dir = mkdtempSync(join(tmpdir(), 'swaprep-sched-'));
    const sched = new ReportScheduler(db, [{ kind: 'daily-activity', at: '06:00' }, { kind: 'stale-valuations', at: '06:00' }], dir, clock);
    now = Date.parse('2026-11-26T05:59:00Z');
    expect(await sched.runDue()).toEqual([]);
    now = Date.parse('2026-11-26T06:00:30Z');
    expect(await sched.runDue()).toEqual(['daily-activity@2026-11-25', 'stale-valuations@2026-11-25']);
    expect(await sched.runDue()).toEqual([]); // not made twice
    const files = await listReportFiles(db, { date: '2026-11-25' });
    expect(files.map((f) => [f.kind, f.createdBy])).toEqual([['daily-activity', 'scheduler'], ['stale-valuations', 'scheduler']]);
    const stale = readFileSync(files[1]!.path, 'utf8').trim().split('\n').slice(1).map(parseCsvLine)
      .filter((r) => r[0]!.includes('VAL')).map((r) => [r[0], r[2], r[4]]);
    expect(stale).toEqual([[`${DEALER}VAL1`, 'valuation', '24'], [`${DEALER}VAL1`, 'margin', 'missing']]);
  });
});
