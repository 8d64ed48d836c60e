// The SFTP channel against the simulator process: CSV batch files in, response files out; a duplicate
// response file, an answer that never comes (resent after the response timeout) and a refused upload each
// still end in exactly one ACK per submission.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReportBuilder, DEFAULT_REPORTS_CONFIG } from '../../engine/reports/index.js';
import { SftpChannel } from '../../engine/submission/channels/sftp.js';
import { SubmissionDispatcher } from '../../engine/submission/dispatcher.js';
import { SubmissionIntake } from '../../engine/submission/intake.js';
import type { RepositoryConfig, SftpRepositoryConfig } from '../../engine/submission/types.js';
import { migratedTestDatabase } from '../support/database.js';
import { startChildSdrSim, type ChildSdrSim } from '../support/sdr-sim.js';
import { DEALER, encodeReport, tradeReport } from '../support/trades.js';
import { waitFor } from '../support/cli.js';

const builder = createReportBuilder({ ...DEFAULT_REPORTS_CONFIG, regimes: ['ktfc'] });
let db: pg.Pool;
let sim: ChildSdrSim;
let intake: SubmissionIntake;
let dispatcher: SubmissionDispatcher;
let seq = 0;

/** Stores an accepted event as the engine would (event_log row, durable watermark), without an engine. */
async function storeEvent(uti: string): Promise<number> {
  const s = ++seq;
  const report = tradeReport({ uti });
  await db.query(
    `INSERT INTO event_log (source_id, seq, received_at, trade_key, counterparty1, action_type, event_timestamp, status, version, lifecycle, report)
     VALUES ('sftp-src', $1, now(), $2, $3, 'NEWT', $4, 'accepted', 1, 'live', $5)`,
    [s, uti, DEALER, report.eventTimestamp, Buffer.from(encodeReport(report))],
  );
  await db.query(`UPDATE fep_source SET durable_seq = $1 WHERE source_id = 'sftp-src'`, [s]);
  intake.nudge();
  return s;
}

async function settledOf(s: number): Promise<{ id: string; status: string; attempts: number }> {
  await waitFor(`event ${s} acknowledged`, async () => {
    const { rows } = await db.query<{ status: string }>(`SELECT status FROM submission_state WHERE seq = $1`, [s]);
    return rows[0]?.status === 'acked' || rows[0]?.status === 'nacked';
  }, 20_000);
  const { rows } = await db.query<{ id: string; status: string; attempts: number }>(`SELECT id, status, attempts FROM submission_state WHERE seq = $1`, [s]);
  return rows[0]!;
}

beforeAll(async () => {
  db = new pg.Pool({ connectionString: await migratedTestDatabase('sftp'), max: 4 });
  await db.query(`INSERT INTO fep_source (source_id, token_hash) VALUES ('sftp-src', 'x')`);
  sim = await startChildSdrSim();
  const channel: SftpRepositoryConfig = {
    kind: 'sftp', host: '127.0.0.1', port: sim.sftpPort, username: 'swaprep', password: 'swaprep', hostKeys: [sim.sftpHostKey],
    inbox: '/inbox', outbox: '/outbox', timeoutMs: 5_000, maxResponseBytes: 1 << 20,
  };
  const repo: RepositoryConfig = { name: 'krx', regimes: ['ktfc'], format: 'csv', maxBatch: 10_000, concurrency: 1, channel };
  intake = new SubmissionIntake(db, builder, [repo], Date.now, { batchSize: 1_000, idleMs: 20 });
  dispatcher = new SubmissionDispatcher(db, [repo], new Map([['krx', new SftpChannel(channel, (r) => builder.csvHeader(r))]]), Date.now,
    { leaseMs: 10_000, responseTimeoutMs: 1_500, pollIntervalMs: 100, idleMs: 20, retry: { baseMs: 50, maxMs: 200, maxAttempts: 6 } });
  intake.start();
  dispatcher.start();
}, 60_000);

afterAll(async () => {
  await intake?.stop();
  await dispatcher?.stop();
  await db?.end();
  await sim?.stop();
});

describe('submission over SFTP (simulator process)', () => {
  it('uploads a CSV batch file and applies the response file: NEWT -> ACK', async () => {
    const sub = await settledOf(await storeEvent(`${DEALER}SFTPA`));
    expect(sub).toMatchObject({ status: 'acked', attempts: 1 });
    const state = await sim.state();
    expect(state.trades.find((t) => t.uti === `${DEALER}SFTPA`)).toMatchObject({ regime: 'ktfc', submissionIds: [sub.id], lifecycle: 'live' });
  });

  it('a duplicate response file, a lost answer and a refused upload -> exactly one ACK each', async () => {
    await sim.fault('duplicate', 1, 'sftp');
    const dup = await settledOf(await storeEvent(`${DEALER}SFTPB`));
    await sim.fault('timeout', 1, 'sftp');
    const lost = await settledOf(await storeEvent(`${DEALER}SFTPC`));
    await sim.fault('5xx', 1, 'sftp');
    const refused = await settledOf(await storeEvent(`${DEALER}SFTPD`));
    expect([dup.status, lost.status, refused.status]).toEqual(['acked', 'acked', 'acked']);
    // Resent after the response timeout and retried after the refused upload, same ids. On a loaded machine a resend
    // can itself outlive the 5 s response timeout and go once more: what must hold is one ACK and one report each.
    expect(lost.attempts).toBeGreaterThanOrEqual(2);
    expect(refused.attempts).toBeGreaterThanOrEqual(2);

    // The duplicate response file is kept as a response of its own that changed nothing, and every record was
    // settled by exactly one answer (its batch counts one ACK per record).
    await waitFor('duplicate response file applied', async () => {
      const { rows } = await db.query(`SELECT 1 FROM submission_response r JOIN submission s ON s.batch_id = r.batch_id WHERE s.id = $1 AND r.duplicates = 1`, [dup.id]);
      return rows.length === 1;
    });
    const { rows: batches } = await db.query<{ records: number; acks: number; nacks: number }>('SELECT records, acks, nacks FROM submission_batch');
    expect(batches.every((b) => b.acks + b.nacks === b.records)).toBe(true);

    const state = await sim.state();
    const ids = state.trades.flatMap((t) => t.submissionIds);
    expect(ids.sort()).toEqual([dup.id, lost.id, refused.id, (await db.query<{ id: string }>('SELECT id FROM submission WHERE seq = 1')).rows[0]!.id].sort());
    const stats = await sim.stats();
    expect(stats.resent).toBeGreaterThanOrEqual(1); // the lost answer's resend was answered from the repository's memory
    expect(stats.faults).toMatchObject({ duplicate: 1, timeout: 1, '5xx': 1 });
  });

  it('a validation rejection by the engine opens an exception with its findings, and owes no submission', async () => {
    const s = ++seq;
    const report = tradeReport({ uti: `${DEALER}SFTPR` });
    // The event and its finding in one statement, as the group commit writes them in one transaction: the running
    // intake takes a contiguous seq at once, and must never see the event without its finding.
    await db.query(
      `WITH e AS (
         INSERT INTO event_log (source_id, seq, received_at, trade_key, counterparty1, action_type, event_timestamp, status, report)
         VALUES ('sftp-src', $1, now(), $2, $3, 'NEWT', $4, 'rejected', $5) RETURNING source_id, seq)
       INSERT INTO finding (source_id, seq, rule, element, path, severity, message)
       SELECT source_id, seq, 'P45-C57', '67', 'leg1.fixedRate', 'error', 'fixed rate missing' FROM e`,
      [s, `${DEALER}SFTPR`, DEALER, report.eventTimestamp, Buffer.from(encodeReport(report))]);
    await db.query(`UPDATE fep_source SET durable_seq = $1 WHERE source_id = 'sftp-src'`, [s]);
    intake.nudge();
    await waitFor('validation exception', async () => (await db.query(`SELECT 1 FROM exception WHERE kind = 'validation'`)).rows.length === 1);
    const { rows } = await db.query<{ seq: string; trade_key: string; codes: { rule: string }[]; record: { uniqueTransactionIdentifier: string } }>(
      `SELECT seq, trade_key, codes, record FROM exception WHERE kind = 'validation'`);
    expect(rows[0]).toMatchObject({ seq: String(s), trade_key: `${DEALER}SFTPR`, codes: [{ rule: 'P45-C57' }], record: { uniqueTransactionIdentifier: `${DEALER}SFTPR` } });
    expect((await db.query('SELECT 1 FROM submission WHERE seq = $1', [s])).rows).toEqual([]);
  });
});
