/**
 * node dist/bench/submission.bench.js — throughput of the submission path (intake -> batches of 10,000 ->
 * HTTPS channel -> simulated repository -> ACKs applied) on this machine. EVENTS accepted events (default
 * 100,000, corpus-based, unique UTIs) are stored at once as the engine would (event_log + durable watermark),
 * then the path drains them; events/s = events / time until every owed submission is acknowledged.
 * The simulator runs in-process here (no process start in the timing). Result under "submissionPath".
 */
import pg from 'pg';
import { join } from 'node:path';
import { projectRoot } from '../engine/project-root.js';
import { loadCorpus } from '../loadtest/corpus-reports.js';
import { migrate } from '../engine/store/migrate.js';
import { SwapReport } from '../proto/gen/swap_report.js';
import { startSdrSim, DEFAULT_SIM } from '../loadtest/sdr-sim/index.js';
import { DEFAULT_REPORTS_CONFIG } from '../engine/reports/index.js';
import { DEFAULT_SUBMISSION_PATH, startSubmissionPath } from '../engine/submission/path.js';
import { benchPostgres } from './support/postgres.js';
import { machine, writeResult } from './support/results.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);

async function main(): Promise<void> {
  const server = await benchPostgres();
  const url = await server.freshDatabase();
  const pool = new pg.Pool({ connectionString: url, max: 8 });
  const c = await pool.connect();
  await migrate(c);
  c.release();
  const records = loadCorpus(join(projectRoot(), 'test', 'fixtures', 'drr-6.10', 'cftc-part45')).filter((r) => r.actionType === 'NEWT');
  await pool.query(`INSERT INTO fep_source (source_id, token_hash) VALUES ('bench', 'x')`);
  // Store the events in chunks as the group commit would.
  for (let from = 1; from <= EVENTS; from += 10_000) {
    const n = Math.min(10_000, EVENTS - from + 1);
    const seqs: number[] = [];
    const keys: string[] = [];
    const cps: string[] = [];
    const bytes: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      const seq = from + i;
      const r = SwapReport.fromPartial(records[seq % records.length]!);
      r.uniqueTransactionIdentifier = `BENCH${String(seq).padStart(12, '0')}`;
      r.counterparty1 = r.reportSubmittingEntityID ?? r.counterparty1;
      seqs.push(seq); keys.push(r.uniqueTransactionIdentifier); cps.push(r.counterparty1 ?? 'X'); bytes.push(Buffer.from(SwapReport.encode(r).finish()));
    }
    await pool.query(
      `INSERT INTO event_log (source_id, seq, received_at, trade_key, counterparty1, action_type, status, version, lifecycle, report)
       SELECT 'bench', s, now(), k, c, 'NEWT', 'accepted', 1, 'live', b FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bytea[]) AS t(s, k, c, b)`,
      [seqs, keys, cps, bytes]);
  }
  await pool.query(`UPDATE fep_source SET durable_seq = $1 WHERE source_id = 'bench'`, [EVENTS]);
  const sim = await startSdrSim({ ...DEFAULT_SIM, sftpPort: undefined });
  const t0 = performance.now();
  const path = startSubmissionPath(pool, {
    ...DEFAULT_SUBMISSION_PATH,
    reports: { ...DEFAULT_REPORTS_CONFIG, regimes: ['cftc-part45', 'cftc-part43'] },
    repositories: [{ name: 'sim', regimes: ['cftc-part45', 'cftc-part43'], format: 'json', maxBatch: 10_000, concurrency: 2, channel: { kind: 'https', url: `http://127.0.0.1:${sim.httpPort}/`, timeoutMs: 60_000 } }],
    intake: { batchSize: 10_000, idleMs: 20 },
    dispatcher: { ...DEFAULT_SUBMISSION_PATH.dispatcher, idleMs: 20 },
    schedule: [],
  });
  let owed = 0;
  for (;;) {
    const { rows } = await pool.query<{ open: string; total: string; cursor: string | null }>(
      `SELECT count(*) FILTER (WHERE status IN ('pending', 'sent')) AS open, count(*) AS total, (SELECT seq FROM submission_cursor WHERE source_id = 'bench') AS cursor FROM submission`);
    owed = Number(rows[0]!.total);
    if (Number(rows[0]!.cursor ?? 0) >= EVENTS && Number(rows[0]!.open) === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const seconds = (performance.now() - t0) / 1000;
  await path.stop();
  await sim.close();
  await pool.end();
  await server.close();
  const result = { machine: machine(), events: EVENTS, submissions: owed, seconds: Math.round(seconds * 100) / 100, eventsPerSecond: Math.round(EVENTS / seconds), submissionsPerSecond: Math.round(owed / seconds), goal: { eventsPerSecond: 50_000, met: EVENTS / seconds >= 50_000 } };
  writeResult('submissionPath', result);
  console.log(JSON.stringify(result));
}

void main();
