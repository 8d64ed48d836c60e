// The batch-first submission store against the simulated repository as its own process: one trade's
// submissions reach the repository in order whatever the sender concurrency; an answer is applied only to the
// records of the batch it names; a batch that times out goes again under the same id; the happy path writes no
// per-record row beyond the narrow submission row; a poison event is set aside and the rest goes on.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FepTcpClient } from '../../loadtest/fep-client.js';
import { createReportBuilder, DEFAULT_REPORTS_CONFIG } from '../../engine/reports/index.js';
import { HttpsChannel } from '../../engine/submission/channels/https.js';
import { SubmissionDispatcher } from '../../engine/submission/dispatcher.js';
import { SubmissionIntake } from '../../engine/submission/intake.js';
import type { Channel, HttpsRepositoryConfig, OutboundBatch, RepositoryConfig, SendResult } from '../../engine/submission/types.js';
import { listDeadLetters, requestRetry } from '../../engine/store/dead-letters.js';
import { AlertMonitor } from '../../engine/alerts/monitor.js';
import { AlertService } from '../../engine/alerts/service.js';
import type { RunningEngine } from '../../engine/main.js';
import { startTestEngine, TEST_SOURCES } from '../support/engine.js';
import { startChildSdrSim, type ChildSdrSim } from '../support/sdr-sim.js';
import { DEALER, encodeReport, tradeReport } from '../support/trades.js';
import { waitFor } from '../support/cli.js';

const REGIMES = ['cftc-part45', 'cftc-part43'] as const;
const builder = createReportBuilder({ ...DEFAULT_REPORTS_CONFIG, regimes: [...REGIMES] });

/** The simulator's channel, with what each send carried recorded, and an optional rewrite of its answers. */
class RecordingChannel implements Channel {
  readonly kind = 'https' as const;
  readonly sent: { batchId: string; records: number }[] = [];
  rewrite: ((batch: OutboundBatch, result: SendResult) => SendResult) | undefined;
  constructor(private readonly inner: HttpsChannel) {}
  async send(batch: OutboundBatch): Promise<SendResult> {
    this.sent.push({ batchId: batch.batchId, records: batch.records });
    const result = await this.inner.send(batch);
    return this.rewrite ? this.rewrite(batch, result) : result;
  }
  poll() {
    return this.inner.poll();
  }
  close() {
    return this.inner.close();
  }
}

let engine: RunningEngine;
let db: pg.Pool;
let sim: ChildSdrSim;
let fep: FepTcpClient;
let intake: SubmissionIntake;
let dispatcher: SubmissionDispatcher;
let channel: RecordingChannel;
let seq = 0;

async function send(reports: Uint8Array[]): Promise<number> {
  const first = seq + 1;
  seq += reports.length;
  fep.sendBatch(first, reports);
  await fep.waitForAck(seq);
  intake.nudge();
  return first;
}

/** Waits until `n` submissions have their answer. */
async function answered(n: number): Promise<void> {
  await waitFor(`${n} submissions answered`, async () =>
    Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM submission_state WHERE status IN ('acked', 'nacked')`)).rows[0]!.n) >= n, 60_000);
}

beforeAll(async () => {
  [engine, sim] = await Promise.all([startTestEngine(), startChildSdrSim()]);
  db = new pg.Pool({ connectionString: engine.databaseUrl, max: 6 });
  const http: HttpsRepositoryConfig = { kind: 'https', url: sim.baseUrl, timeoutMs: 1_000, maxResponseBytes: 1 << 20 };
  // Batches of five and four lanes: a trade's NEWT and MODIs land in different batches, many in flight at once,
  // the shape that once reordered a trade's reports.
  const repo: RepositoryConfig = { name: 'sim', regimes: [...REGIMES], format: 'json', maxBatch: 5, concurrency: 4, channel: http };
  channel = new RecordingChannel(new HttpsChannel(http));
  intake = new SubmissionIntake(db, builder, [repo], Date.now, { batchSize: 1_000, idleMs: 20, lingerMs: 300, retryEveryMs: 200 });
  dispatcher = new SubmissionDispatcher(db, [repo], new Map([['sim', channel]]), Date.now,
    { leaseMs: 10_000, responseTimeoutMs: 5_000, pollIntervalMs: 100, idleMs: 10, retry: { baseMs: 50, maxMs: 200, maxAttempts: 6 } });
  intake.sink = dispatcher;
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
  await engine?.stop();
  await sim?.stop();
});

describe('batch-first submissions', () => {
  it("one trade's submissions reach the repository in order across four lanes, each batch once, no per-record UPDATE", async () => {
    const trades = Array.from({ length: 60 }, (_, i) => `${DEALER}ORD${String(i).padStart(4, '0')}`);
    // Any UPDATE of a submission row fails (and the path with it): the happy path must not need one.
    await db.query(`CREATE FUNCTION forbid_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'submission rows are insert-only'; END $$`);
    await db.query('CREATE TRIGGER forbid_update BEFORE UPDATE ON submission FOR EACH ROW EXECUTE FUNCTION forbid_update()');
    // NEWTs, then each trade's MODI and a second MODI, sent back to back: the intake reads them in one pass, and
    // a trade's three records land in different batches, which the repository answers after a delay.
    await sim.configure({ delayMs: 5 });
    const frames = [trades.map((uti) => encodeReport(tradeReport({ uti }))), trades.map((uti) => encodeReport(modi(uti, 1, '2000000'))),
      trades.map((uti) => encodeReport(modi(uti, 2, '3000000')))];
    for (const f of frames) {
      fep.sendBatch(seq + 1, f);
      seq += f.length;
    }
    await fep.waitForAck(seq);
    intake.nudge();
    await answered(360);
    await sim.configure({ delayMs: 0 });

    const { rows } = await db.query<{ status: string; n: string }>('SELECT status, count(*) AS n FROM submission_state GROUP BY status');
    expect(Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]))).toEqual({ acked: 360 });
    const stats = await sim.stats();
    expect(stats.nacked).toBe(0); // a MODI ahead of its NEWT would be NACKed SEQ-001
    expect(stats.acked).toBe(360);
    const state = await sim.state();
    expect(state.trades.filter((t) => t.uti.includes('ORD')).every((t) => t.version === 3 && t.lastActionType === 'MODI')).toBe(true);

    // Every batch sent once, and the batches' ids are those the records carry.
    const ids = channel.sent.map((s) => s.batchId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(channel.sent.reduce((n, s) => n + s.records, 0)).toBe(360);
    const { rows: batches } = await db.query<{ n: string }>('SELECT count(DISTINCT batch_id) AS n FROM submission');
    expect(Number(batches[0]!.n)).toBe(ids.length);

    // Per record one narrow row, never updated (the trigger above); per batch one row and one response row; no
    // NACK rows; no per-record payload or response rows.
    const count = async (sql: string) => Number((await db.query<{ n: string }>(sql)).rows[0]!.n);
    expect(await count('SELECT count(*) AS n FROM submission')).toBe(360);
    expect(await count('SELECT count(*) AS n FROM submission_batch')).toBe(ids.length);
    expect(await count('SELECT count(*) AS n FROM submission_response')).toBe(ids.length);
    expect(await count('SELECT count(*) AS n FROM submission_nack')).toBe(0);
    await db.query('DROP TRIGGER forbid_update ON submission');
  });

  it('an answer is applied only to the records of the batch it answers; anything else is kept as rejected', async () => {
    const [earlier] = (await db.query<{ id: string }>(`SELECT id FROM submission_state WHERE status = 'acked' LIMIT 1`)).rows;
    channel.rewrite = (batch, result) => (result.kind === 'outcomes'
      ? { kind: 'outcomes', outcomes: [...result.outcomes,
        { submissionId: earlier!.id, outcome: 'NACK', codes: [{ code: 'X-1', message: 'not for this batch' }], batchId: batch.batchId },
        { submissionId: 'S-NOT-OURS', outcome: 'ACK', codes: [], batchId: batch.batchId }] }
      : result);
    try {
      const first = await send([encodeReport(tradeReport({ uti: `${DEALER}FOREIGN1` }))]);
      await waitFor('the new event answered', async () => {
        const { rows } = await db.query<{ status: string }>('SELECT status FROM submission_state WHERE source_id = $1 AND seq = $2', ['fep1', first]);
        return rows.length === 2 && rows.every((r) => r.status === 'acked');
      }, 20_000);
    } finally {
      channel.rewrite = undefined;
    }
    const { rows: stillAcked } = await db.query<{ status: string }>('SELECT status FROM submission_state WHERE id = $1', [earlier!.id]);
    expect(stillAcked[0]!.status).toBe('acked');
    expect((await db.query('SELECT 1 FROM submission_nack WHERE submission_id = $1', [earlier!.id])).rows).toEqual([]);
    const { rows: kept } = await db.query<{ rejected: { submissionId: string }[] }>(`SELECT rejected FROM submission_response WHERE jsonb_array_length(rejected) > 0`);
    expect(kept.flatMap((k) => k.rejected.map((r) => r.submissionId)).sort()).toEqual([earlier!.id, earlier!.id, 'S-NOT-OURS', 'S-NOT-OURS'].sort());
    expect(dispatcher.stats.rejected).toBe(4);
  });

  it('a batch whose request timed out goes again under the same batch id', async () => {
    await sim.fault('timeout', 1);
    const sentBefore = channel.sent.length;
    const first = await send([encodeReport(tradeReport({ uti: `${DEALER}TIMEOUT1` }))]);
    await waitFor('the timed-out event answered', async () => {
      const { rows } = await db.query<{ status: string }>('SELECT status FROM submission_state WHERE source_id = $1 AND seq = $2', ['fep1', first]);
      return rows.length === 2 && rows.every((r) => r.status === 'acked');
    }, 20_000);
    const sends = channel.sent.slice(sentBefore).map((s) => s.batchId);
    const again = sends.filter((id, i) => sends.indexOf(id) !== i);
    expect(again).toHaveLength(1);
    const { rows } = await db.query<{ batch_id: string; attempts: number }>('SELECT batch_id, attempts FROM submission_state WHERE batch_id = $1', [again[0]]);
    expect(rows[0]!.attempts).toBe(2);
    expect((await db.query<{ batch_id: string }>('SELECT batch_id FROM submission_attempt WHERE NOT ok AND batch_id = $1', [again[0]])).rows).toHaveLength(1);
  });

  it('an event the store refuses is set aside in the dead letters, the rest goes on, and a retry after the fix delivers it', async () => {
    // The fault comes from the database, as a refused row would: a trigger refuses one trade's submission rows.
    await db.query(`CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.trade_key LIKE '%POISON%' THEN RAISE EXCEPTION 'refused: %', NEW.trade_key; END IF; RETURN NEW; END $$`);
    await db.query('CREATE TRIGGER refuse_poison BEFORE INSERT ON submission FOR EACH ROW EXECUTE FUNCTION refuse_poison()');
    const utis = Array.from({ length: 40 }, (_, i) => `${DEALER}${i === 23 ? 'POISON' : 'GOOD'}${String(i).padStart(3, '0')}`);
    const first = await send(utis.map((uti) => encodeReport(tradeReport({ uti }))));
    await waitFor('the poison set aside', async () => (await listDeadLetters(db, { follower: 'submission-intake' })).length === 1, 30_000);
    await waitFor('the good events delivered', async () =>
      Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM submission_state WHERE trade_key LIKE '%GOOD%' AND status = 'acked'`)).rows[0]!.n) === 78, 30_000);
    const [letter] = await listDeadLetters(db, { follower: 'submission-intake' });
    expect(letter).toMatchObject({ sourceId: 'fep1', seq: first + 23, status: 'open' });
    expect(letter!.error).toContain('refused');
    expect((await db.query(`SELECT 1 FROM submission WHERE trade_key LIKE '%POISON%'`)).rows).toEqual([]);
    // The alert rule sees it, and says where to look.
    const fired = await new AlertMonitor(db, new AlertService(db, []), Date.now).runOnce();
    expect(fired.find((c) => c.rule === 'dead-letters')).toMatchObject({ dedupKey: 'dead-letters:submission-intake', detail: { follower: 'submission-intake', events: 1 } });

    // Fixed: the trigger goes; the operator asks for a retry; the event is delivered and its dead letter resolved.
    await db.query('DROP TRIGGER refuse_poison ON submission');
    expect(await requestRetry(db, letter!.id)).toBe(1);
    await waitFor('the retried event delivered', async () => {
      const { rows } = await db.query<{ status: string }>(`SELECT status FROM submission_state WHERE trade_key LIKE '%POISON%'`);
      return rows.length === 2 && rows.every((r) => r.status === 'acked');
    }, 30_000);
    expect((await listDeadLetters(db, { follower: 'submission-intake' }))[0]!.status).toBe('resolved');
  });
});

/** A MODI of the trade, `minutes` after its execution (a later event than the one before). */
function modi(uti: string, minutes: number, notional: string) {
  const r = tradeReport({ uti, actionType: 'MODI', notional });
  const at = new Date(Date.parse(r.executionTimestamp!) + minutes * 60_000).toISOString().replace('.000Z', 'Z');
  r.eventTimestamp = at;
  r.reportingTimestamp = at;
  r.amendmentIndicator = false;
  return r;
}
