// End to end: FEP -> engine -> submission intake -> HTTPS channel -> simulated repository (its own process)
// -> ACK/NACK -> exceptions -> maker-checker correction -> CORR through the engine -> ACK -> exception closed;
// transport faults; daily reports; reconciliation. Real PostgreSQL, real sockets.
import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FepTcpClient } from '../../loadtest/fep-client.js';
import { createReportBuilder, DEFAULT_REPORTS_CONFIG, parseCsvLine } from '../../engine/reports/index.js';
import { HttpsChannel } from '../../engine/submission/channels/https.js';
import { SubmissionDispatcher } from '../../engine/submission/dispatcher.js';
import { SubmissionIntake } from '../../engine/submission/intake.js';
import type { HttpsRepositoryConfig, RepositoryConfig } from '../../engine/submission/types.js';
import { CorrectionError, CorrectionService } from '../../engine/exceptions/corrections.js';
import { auditTrail } from '../../engine/exceptions/audit.js';
import { listExceptions } from '../../engine/exceptions/store.js';
import { listReportFiles, makeReportFile, readReportFile } from '../../engine/scheduled/files.js';
import { reconcile } from '../../engine/reconcile/reconcile.js';
import type { RunningEngine } from '../../engine/main.js';
import { startTestEngine, TEST_SOURCES } from '../support/engine.js';
import { startChildSdrSim, type ChildSdrSim } from '../support/sdr-sim.js';
import { DEALER, encodeReport, OTHER_SUBMITTER, tradeReport } from '../support/trades.js';
import { runCli, waitFor } from '../support/cli.js';

const REGIMES = ['cftc-part45', 'cftc-part43'] as const;
const builder = createReportBuilder({ ...DEFAULT_REPORTS_CONFIG, regimes: [...REGIMES] });

let engine: RunningEngine;
let db: pg.Pool;
let sim: ChildSdrSim;
let fep: FepTcpClient;
let intake: SubmissionIntake;
let dispatcher: SubmissionDispatcher;
let seq = 0;
const uti = (s: string) => `${DEALER}E2E${s}`;

interface SubRow { id: string; regime: string; status: string; action_type: string; payload: string; correction_id: string | null }

async function send(report: Uint8Array): Promise<number> {
  const s = ++seq;
  fep.sendBatch(s, [report]);
  await fep.waitForAck(s);
  intake.nudge();
  return s;
}

async function subsOf(s: number): Promise<SubRow[]> {
  const { rows } = await db.query<SubRow>(`SELECT s.id, s.regime, s.status, s.action_type, s.payload, s.correction_id FROM submission_state s
      WHERE s.source_id = 'fep1' AND s.seq = $1 ORDER BY s.regime`, [s]);
  return rows;
}

async function settled(s: number, count = 2): Promise<SubRow[]> {
  await waitFor(`submissions of event ${s} settled`, async () => {
    const rows = await subsOf(s);
    return rows.length === count && rows.every((r) => r.status === 'acked' || r.status === 'nacked');
  }, 20_000);
  return subsOf(s);
}

beforeAll(async () => {
  [engine, sim] = await Promise.all([startTestEngine(), startChildSdrSim()]);
  db = new pg.Pool({ connectionString: engine.databaseUrl, max: 6 });
  const repo: RepositoryConfig = {
    name: 'sim', regimes: [...REGIMES], format: 'json', maxBatch: 10_000, concurrency: 1,
    channel: { kind: 'https', url: sim.baseUrl, timeoutMs: 1_000, maxResponseBytes: 1 << 20 },
  };
  intake = new SubmissionIntake(db, builder, [repo], Date.now, { batchSize: 1_000, idleMs: 20 });
  dispatcher = new SubmissionDispatcher(db, [repo], new Map([['sim', new HttpsChannel(repo.channel as HttpsRepositoryConfig)]]), Date.now,
    { leaseMs: 10_000, responseTimeoutMs: 5_000, pollIntervalMs: 100, idleMs: 20, retry: { baseMs: 50, maxMs: 200, maxAttempts: 6 } });
  intake.start();
  dispatcher.start();
  fep = await FepTcpClient.connect(engine.tcpPort);
  seq = await fep.hello('fep1', TEST_SOURCES.fep1);
}, 60_000);

afterAll(async () => {
  await fep?.close();
  await intake?.stop();
  await dispatcher?.stop();
  await db?.end();
  await Promise.all([engine?.stop(), sim?.stop()]);
});

describe('submission end to end (HTTPS API, simulator process)', () => {
  it('NEWT -> ACK under Part 45 and Part 43, both reported unmasked (the SDR anonymises and caps what it disseminates)', async () => {
    const s = await send(encodeReport(tradeReport({ uti: uti('A'), notional: '115000000' })));
    const rows = await settled(s);
    expect(rows.map((r) => [r.regime, r.status, r.action_type])).toEqual([['cftc-part43', 'acked', 'NEWT'], ['cftc-part45', 'acked', 'NEWT']]);
    const p43 = JSON.parse(rows[0]!.payload) as Record<string, Record<string, unknown>>;
    expect(p43.counterparty1).toBe(DEALER);
    expect(p43.leg1!.notionalAmount).toBe(115000000);
    const p45 = JSON.parse(rows[1]!.payload) as Record<string, unknown>;
    expect(p45.counterparty1).toBe(DEALER);
    expect(p45.nonReportable).toBeUndefined();
    const state = await sim.state();
    const trades = state.trades.filter((t) => t.uti === uti('A'));
    expect(trades.map((t) => [t.regime, t.submissionIds])).toEqual([['cftc-part43', [rows[0]!.id]], ['cftc-part45', [rows[1]!.id]]]);
  });

  it('rejected -> NACK -> exception -> correction approved by a second person -> CORR -> ACK -> exception closed', async () => {
    const s = await send(encodeReport(tradeReport({ uti: uti('B'), submitter: OTHER_SUBMITTER })));
    const rows = await settled(s);
    expect(rows.map((r) => [r.regime, r.status])).toEqual([['cftc-part43', 'acked'], ['cftc-part45', 'nacked']]);

    const [exc] = await listExceptions(db, { status: 'open' });
    expect(exc).toMatchObject({ kind: 'nack', regime: 'cftc-part45', submissionId: rows[1]!.id, tradeKey: uti('B') });
    expect(exc!.codes).toEqual([expect.objectContaining({ code: 'PRM-001' })]);

    const corrections = new CorrectionService(db);
    const original = await corrections.originalReport(exc!.id);
    expect(original?.reportSubmittingEntityID).toBe(OTHER_SUBMITTER);
    const fixed = { ...original!, reportSubmittingEntityID: DEALER };
    const proposal = await corrections.propose({ exceptionId: exc!.id, maker: 'alice', actionType: 'CORR', report: fixed, reason: 'submitter must be the dealer' });
    await expect(corrections.approve({ correctionId: proposal.id, checker: 'alice' })).rejects.toBeInstanceOf(CorrectionError);
    const approved = await corrections.approve({ correctionId: proposal.id, checker: 'bob' });
    expect(approved.report.actionType).toBe('CORR');
    expect(approved.report.eventType).toBeUndefined();

    // The correction enters the engine like any event (here over the same FEP connection).
    const c = await send(approved.fepReport);
    const corrRows = await settled(c);
    expect(corrRows.map((r) => [r.regime, r.status, r.action_type])).toEqual([['cftc-part43', 'acked', 'CORR'], ['cftc-part45', 'acked', 'CORR']]);
    expect(corrRows[1]!.correction_id).toBe(String(proposal.id));
    await waitFor('exception closed', async () => (await listExceptions(db, { status: 'closed' })).length === 1);
    const [closed] = await listExceptions(db, { status: 'closed' });
    expect(closed).toMatchObject({ id: exc!.id, closedBySubmission: corrRows[1]!.id });
    expect((await corrections.get(proposal.id))?.status).toBe('acked');

    const trail = (await auditTrail(db, 'correction', proposal.id)).map((a) => [a.actor, a.action]);
    expect(trail).toEqual([['alice', 'propose'], ['bob', 'approve'], ['system', 'submitted'], ['system', 'acked']]);
    const excTrail = (await auditTrail(db, 'exception', exc!.id)).map((a) => [a.actor, a.action]);
    expect(excTrail).toEqual([['system', 'open'], ['alice', 'correcting'], ['system', 'close']]);
    const propose = (await auditTrail(db, 'correction', proposal.id))[0]!;
    expect((propose.before as Record<string, unknown>).reportSubmittingEntityID).toBe(OTHER_SUBMITTER);
    expect(((propose.after as Record<string, Record<string, unknown>>).record!).reportSubmittingEntityID).toBe(DEALER);
  });

  it('a dropped connection and a duplicate response -> exactly one ACK per submission', async () => {
    await sim.fault('drop', 1);
    const dropped = await settled(await send(encodeReport(tradeReport({ uti: uti('C') }))));
    await sim.fault('duplicate', 1);
    const duplicated = await settled(await send(encodeReport(tradeReport({ uti: uti('D') }))));
    expect([...dropped, ...duplicated].map((r) => r.status)).toEqual(['acked', 'acked', 'acked', 'acked']);

    // The dropped batch was sent again under the same batch id (the repository's idempotency key) and the
    // repository answered the resend from memory.
    const { rows: failedAttempts } = await db.query<{ batch_id: string }>('SELECT batch_id FROM submission_attempt WHERE NOT ok');
    expect(failedAttempts).toHaveLength(1);
    const { rows: tries } = await db.query<{ attempts: number; batch_id: string }>('SELECT attempts, batch_id FROM submission_state WHERE id = ANY($1::text[]) ORDER BY attempts', [dropped.map((r) => r.id)]);
    expect(tries.map((t) => t.attempts)).toEqual([1, 2]); // one regime's batch met the drop and went twice
    expect(tries[1]!.batch_id).toBe(failedAttempts[0]!.batch_id);
    const stats = await sim.stats();
    expect(stats.faults).toMatchObject({ drop: 1, duplicate: 1 });
    expect(stats.resent).toBeGreaterThanOrEqual(1);

    // The duplicate answer is kept (counted on its batch and its response row) and changed nothing.
    const { rows: responses } = await db.query<{ acks: number; duplicates: number }>(
      `SELECT r.acks, r.duplicates FROM submission_response r WHERE r.batch_id IN (SELECT batch_id FROM submission WHERE id = ANY($1::text[]))`, [duplicated.map((r) => r.id)]);
    expect(responses.reduce((n, r) => n + r.duplicates, 0)).toBe(1);
    expect(responses.reduce((n, r) => n + r.acks, 0)).toBe(2);

    // Exactly one report per submission at the repository, and its reports are exactly our ACKed submissions.
    const state = await sim.state();
    const theirIds = state.trades.flatMap((t) => t.submissionIds);
    expect(new Set(theirIds).size).toBe(theirIds.length);
    const { rows: acked } = await db.query<{ id: string }>(`SELECT id FROM submission_state WHERE status = 'acked'`);
    expect(theirIds.sort()).toEqual(acked.map((r) => r.id).sort());
  });

  it('daily reports hold the day\'s activity, open trades and exceptions; files are kept and listable', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const dir = mkdtempSync(join(tmpdir(), 'swaprep-reports-'));
    const daily = await makeReportFile(db, 'daily-activity', today, { dir, createdBy: 'test' });
    const lines = readFileSync(daily.path, 'utf8').trim().split('\n').map(parseCsvLine);
    expect(lines[0]).toEqual(['category', 'name', 'status', 'count']);
    const count = (category: string, name: string, status: string) => Number(lines.find((l) => l[0] === category && l[1] === name && l[2] === status)?.[3] ?? 0);
    expect(count('events', 'NEWT', 'accepted')).toBe(4);
    expect(count('events', 'CORR', 'accepted')).toBe(1);
    expect(count('submissions', 'cftc-part45', 'acked')).toBe(4);
    expect(count('submissions', 'cftc-part45', 'nacked')).toBe(1);
    expect(count('submissions', 'cftc-part43', 'acked')).toBe(5);
    expect(count('responses', 'sim', 'ACK')).toBe(9);
    expect(count('responses', 'sim', 'NACK')).toBe(1);
    expect(count('exceptions', 'nack', 'opened')).toBe(1);
    expect(count('exceptions', 'nack', 'closed')).toBe(1);

    const open = await makeReportFile(db, 'open-trades', today, { dir, createdBy: 'test' });
    const trades = readFileSync(open.path, 'utf8').trim().split('\n').slice(1).map(parseCsvLine);
    expect(trades.map((t) => t[0]).sort()).toEqual(['A', 'B', 'C', 'D'].map(uti));
    expect(trades.find((t) => t[0] === uti('B'))?.[3]).toBe('CORR');

    // On demand through the CLI, into a named file.
    const out = join(dir, 'exceptions.csv');
    const cli = await runCli(['report', 'exceptions', '--date', today, '--out', out, '--by', 'carol'], { DATABASE_URL: engine.databaseUrl });
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout)).toMatchObject({ kind: 'exceptions', reportDate: today, rows: 1, createdBy: 'carol', path: out });
    const exceptionRows = readFileSync(out, 'utf8').trim().split('\n').slice(1).map(parseCsvLine);
    expect(exceptionRows.map((r) => [r[1], r[2], r[4], r[6]])).toEqual([['nack', 'closed', uti('B'), 'PRM-001']]);

    const files = await listReportFiles(db);
    expect(files.map((f) => f.kind)).toEqual(['daily-activity', 'open-trades', 'exceptions']);
    const download = await readReportFile(db, files[2]!.id);
    expect(download?.content.toString('utf8')).toBe(readFileSync(out, 'utf8'));
  });

  it('reconciliation agrees with the repository, then finds planted mismatches', async () => {
    const clean = await reconcile(db, builder, { regimes: [...REGIMES], repository: { name: 'sim', view: await sim.state() } });
    expect(clean.mismatches).toEqual([]);
    expect(clean.ok).toBe(true);

    // Planted: a report at the repository we never made, and a submission missing on our side.
    const planted = builder.build('cftc-part45', tradeReport({ uti: uti('X') }), Date.now(), 'json').payload;
    const res = await fetch(new URL('v1/submissions', sim.baseUrl), {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: `{"batchId":"planted","regime":"cftc-part45","records":[{"submissionId":"PLANTED-1","record":${planted}}]}`,
    });
    expect(res.status).toBe(200);
    const [lost] = (await subsOf(1)).filter((r) => r.regime === 'cftc-part43');
    await db.query('DELETE FROM submission WHERE id = $1', [lost!.id]);

    const found = await reconcile(db, builder, { regimes: [...REGIMES], repository: { name: 'sim', view: await sim.state() } });
    expect(found.ok).toBe(false);
    expect(found.mismatches.map((m) => [m.type, m.submissionId]).sort()).toEqual([
      ['not-submitted', lost!.id],
      ['unknown-at-repository', 'PLANTED-1'],
      ['unknown-at-repository', lost!.id],
    ].sort());
    const { rows } = await db.query<{ ok: boolean }>('SELECT ok FROM reconciliation_run ORDER BY id');
    expect(rows.map((r) => r.ok)).toEqual([true, false]);
  });
});
