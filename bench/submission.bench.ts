/**
 * node dist/bench/submission.bench.js — does the submission path keep up with ingest? Events are written into
 * event_log as the engine's group commit writes them (binary COPY, durable watermark in the same transaction),
 * and the path as `serve` runs it (intake -> batches of 10,000 -> HTTPS channel -> the simulated repository as
 * its own process -> ACKs applied) turns them into acknowledged submissions. Per run, on a fresh database and a
 * fresh simulator:
 *
 *   ceiling   the baseline: PostgreSQL's own rate for the rows the path writes per event (2 submissions by
 *             COPY, their payloads, one set-based ACK UPDATE and the responses), pre-built, no HTTP: no
 *             submission path on this database can beat it.
 *   drain     BENCH_EVENTS events already stored, then the path starts: events/s until every submission is
 *             settled (the path's top speed with a backlog).
 *   paced     ingest at BENCH_RATE events/s for BENCH_SECONDS while the path runs: events/s from event_log to
 *             ACKed, batch fill, and the backlog (events not yet settled) sampled every second, with its slope
 *             over the second half of the run; the verdict (pacedVerdict) says whether the path kept up.
 *
 * Env: BENCH_RUNS (3), BENCH_EVENTS (100000), BENCH_RATE (50000), BENCH_SECONDS (30), DATABASE_URL.
 * Result under "submissionPath" in bench/results.json (medians of the runs, and every run).
 */
import pg from 'pg';
import { join } from 'node:path';
import { projectRoot } from '../engine/project-root.js';
import { loadCorpus } from '../loadtest/corpus-reports.js';
import { startChildSdrSim, type ChildSdrSim } from '../loadtest/sdr-sim/child.js';
import { migrate } from '../engine/store/migrate.js';
import { BinaryCopyEncoder, copyBinary } from '../engine/store/copy-binary.js';
import { EVENT_COLUMNS } from '../engine/store/group-commit.js';
import { SwapReport } from '../proto/gen/swap_report.js';
import { createReportBuilder, DEFAULT_REPORTS_CONFIG } from '../engine/reports/index.js';
import { DEFAULT_SUBMISSION_PATH, startSubmissionPath, type SubmissionPath } from '../engine/submission/path.js';
import { applyOutcomes, copySubmissions, type NewSubmission } from '../engine/submission/store.js';
import { submissionId } from '../engine/submission/ids.js';
import { benchPostgres } from './support/postgres.js';
import { machine, median, writeResult } from './support/results.js';
import { pacedVerdict } from './support/paced-verdict.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const RATE = Number(process.env.BENCH_RATE ?? 50_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const REGIMES = ['cftc-part45', 'cftc-part43'] as const;
const SOURCE = 'bench';
const UTI_MARK = 'BENCHUTI000000000000';

/** Event templates: corpus NEWTs with a fixed-width UTI placeholder, patched per event (no per-event protobuf encode). */
function templates(): { bytes: Buffer; at: number; cp1: string; eventTs: string | undefined }[] {
  const records = loadCorpus(join(projectRoot(), 'test', 'fixtures', 'drr-6.10', 'cftc-part45')).filter((r) => r.actionType === 'NEWT');
  return records.map((rec) => {
    const r = SwapReport.fromPartial(rec);
    r.uniqueTransactionIdentifier = UTI_MARK;
    r.counterparty1 = r.reportSubmittingEntityID ?? r.counterparty1;
    const bytes = Buffer.from(SwapReport.encode(r).finish());
    return { bytes, at: bytes.indexOf(UTI_MARK), cp1: r.counterparty1 ?? 'X', eventTs: r.eventTimestamp };
  });
}

/** Writes events seq from..to (inclusive) as one group commit would: COPY into event_log and the watermark. */
async function storeEvents(db: pg.ClientBase, tpl: ReturnType<typeof templates>, from: number, to: number): Promise<void> {
  const enc = new BinaryCopyEncoder((to - from + 1) * 1400 + 1024);
  const now = Date.now();
  for (let seq = from; seq <= to; seq++) {
    const t = tpl[seq % tpl.length]!;
    const uti = 'BENCHUTI' + String(seq).padStart(12, '0');
    const bytes = Buffer.from(t.bytes);
    bytes.write(uti, t.at, 'latin1');
    enc.row(11).text(SOURCE).int8(seq).timestamptzMs(now).text(uti).text(t.cp1).text('NEWT').text(t.eventTs).text('accepted').int4(1).text('live').bytea(bytes);
  }
  await db.query('BEGIN');
  await copyBinary(db, 'event_log', EVENT_COLUMNS, enc.finish());
  await db.query(`UPDATE fep_source SET durable_seq = $1 WHERE source_id = '${SOURCE}'`, [to]);
  await db.query('COMMIT');
}

async function freshDatabase(server: Awaited<ReturnType<typeof benchPostgres>>): Promise<pg.Pool> {
  const pool = new pg.Pool({ connectionString: await server.freshDatabase(), max: 8 });
  const c = await pool.connect();
  await migrate(c);
  await c.query(`INSERT INTO fep_source (source_id, token_hash) VALUES ('${SOURCE}', 'x')`);
  c.release();
  return pool;
}

function startPath(pool: pg.Pool, sim: ChildSdrSim): SubmissionPath {
  return startSubmissionPath(pool, {
    ...DEFAULT_SUBMISSION_PATH,
    reports: { ...DEFAULT_REPORTS_CONFIG, regimes: [...REGIMES] },
    repositories: [{ name: 'sim', regimes: [...REGIMES], format: 'json', maxBatch: 10_000, concurrency: 2, channel: { kind: 'https', url: sim.baseUrl, timeoutMs: 120_000 } }],
    dispatcher: { ...DEFAULT_SUBMISSION_PATH.dispatcher, idleMs: 20 },
    schedule: [],
  });
}

/** Settled events so far: settled submissions over submissions per event (about 2: Part 45 and, for most, Part 43). */
function settledEvents(path: SubmissionPath): number {
  const perEvent = path.intake.stats.submissions > 0 ? path.intake.stats.submissions / path.intake.stats.events : 2;
  return (path.dispatcher.stats.acks + path.dispatcher.stats.nacks) / perEvent;
}

function batchFill(path: SubmissionPath): number {
  const s = path.dispatcher.stats;
  return s.capacity > 0 ? s.records / s.capacity : 0;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The baseline: the database work the path does for N events, pre-built and sent as fast as PostgreSQL takes it. */
async function ceiling(pool: pg.Pool, tpl: ReturnType<typeof templates>, n: number): Promise<number> {
  const builder = createReportBuilder({ ...DEFAULT_REPORTS_CONFIG, regimes: [...REGIMES] });
  const groups: NewSubmission[][] = [];
  const now = Date.now();
  for (let from = 1; from <= n; from += 5_000) {
    const g: NewSubmission[] = [];
    for (let seq = from; seq < Math.min(n + 1, from + 5_000); seq++) {
      const t = tpl[seq % tpl.length]!;
      const bytes = Buffer.from(t.bytes);
      bytes.write('BENCHUTI' + String(seq).padStart(12, '0'), t.at, 'latin1');
      const report = SwapReport.decode(bytes);
      for (const regime of builder.owed(report)) {
        const b = builder.build(regime, report, now, 'json');
        g.push({ id: submissionId(regime, 'ceiling', seq), regime, repository: 'sim', sourceId: 'ceiling', seq, tradeKey: report.uniqueTransactionIdentifier ?? null,
          counterparty1: t.cp1, submitter: t.cp1, actionType: 'NEWT', format: 'json', payload: b.payload, dueAtMs: b.dueAtMs, disseminateAtMs: b.disseminateAtMs ?? null,
          correctionId: null, batchId: 'B', leaseUntilMs: now + 60_000 });
      }
    }
    groups.push(g);
  }
  const db = await pool.connect();
  const started = performance.now();
  for (const g of groups) {
    await db.query('BEGIN');
    await copySubmissions(db, g, Date.now());
    await db.query('COMMIT');
    await db.query('BEGIN');
    await applyOutcomes(db, g.map((s) => ({ submissionId: s.id, outcome: 'ACK' as const, codes: [], batchId: 'B' })), Date.now(), { batchId: 'B', ids: g.map((s) => s.id) });
    await db.query('COMMIT');
  }
  const seconds = (performance.now() - started) / 1000;
  db.release();
  return n / seconds;
}

async function drain(pool: pg.Pool, sim: ChildSdrSim, tpl: ReturnType<typeof templates>) {
  const db = await pool.connect();
  for (let from = 1; from <= EVENTS; from += 10_000) await storeEvents(db, tpl, from, Math.min(EVENTS, from + 9_999));
  db.release();
  const started = performance.now();
  const path = startPath(pool, sim);
  while (path.intake.stats.events < EVENTS || settledEvents(path) < path.intake.stats.events - 0.5) await sleep(50);
  const seconds = (performance.now() - started) / 1000;
  const out = { events: EVENTS, submissions: path.intake.stats.submissions, seconds: round(seconds), eventsPerSecond: Math.round(EVENTS / seconds), batchFill: round(batchFill(path), 3) };
  await path.stop();
  return out;
}

type Sample = { t: number; ingested: number; taken: number; submissions: number; batches: number; settled: number; backlog: number };

async function paced(pool: pg.Pool, sim: ChildSdrSim, tpl: ReturnType<typeof templates>) {
  const path = startPath(pool, sim);
  const db = await pool.connect();
  const samples: Sample[] = [];
  let written = 0;
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  // Sampled on its own timer, so a slow ingest write cannot skip samples (the writer awaits COPY, the loop is free).
  const sampler = setInterval(() => {
    const st = path.intake.stats;
    const settled = settledEvents(path);
    samples.push({ t: round(elapsed(), 1), ingested: written, taken: st.events, submissions: st.submissions, batches: path.dispatcher.stats.batches, settled: Math.round(settled), backlog: Math.round(written - settled) });
    if (process.env.BENCH_VERBOSE) process.stderr.write(`${JSON.stringify(samples.at(-1))}\n`);
  }, 1000);
  // The ingest driver: every 50 ms, whatever the rate owes by now, in groups of at most 10,000 (as the group commit).
  while (elapsed() < SECONDS) {
    const due = Math.floor(RATE * elapsed());
    while (written < due) {
      const to = Math.min(due, written + 10_000);
      await storeEvents(db, tpl, written + 1, to);
      written = to;
    }
    await sleep(50);
  }
  clearInterval(sampler);
  const seconds = elapsed();
  db.release();
  // Steady state: the second half of the run.
  const half = samples.filter((s) => s.t >= SECONDS / 2);
  const first = half[0];
  const last = half[half.length - 1];
  const steadyRate = first && last && last.t > first.t ? (last.settled - first.settled) / (last.t - first.t) : 0;
  const slope = slopeOf(half.map((s) => [s.t, s.backlog]));
  const ingestedRate = written / seconds;
  // Then let it finish, to show nothing was lost on the way (bounded wait).
  const drainStarted = performance.now();
  while (settledEvents(path) < written - 0.5 && performance.now() - drainStarted < 120_000) await sleep(100);
  const out = {
    targetRate: RATE, seconds: round(seconds), ingestedEventsPerSecond: Math.round(ingestedRate),
    settledEventsPerSecond: Math.round(steadyRate), batchFill: round(batchFill(path), 3),
    backlogSlopeEventsPerSecond: Math.round(slope), verdict: pacedVerdict(RATE, ingestedRate, steadyRate, slope, half.length),
    finalBacklogEvents: samples.at(-1)?.backlog ?? 0, drainAfterSeconds: round((performance.now() - drainStarted) / 1000),
    allSettled: settledEvents(path) >= written - 0.5, samples,
  };
  await path.stop();
  return out;
}

function slopeOf(points: [number, number][]): number {
  if (points.length < 2) return 0;
  const n = points.length;
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

async function main(): Promise<void> {
  const server = await benchPostgres();
  const tpl = templates();
  const runs: { ceilingEventsPerSecond: number; drain: Awaited<ReturnType<typeof drain>>; paced: Awaited<ReturnType<typeof paced>> }[] = [];
  for (let i = 0; i < RUNS; i++) {
    const ceilPool = await freshDatabase(server);
    const ceil = await ceiling(ceilPool, tpl, EVENTS);
    await ceilPool.end();
    let sim = await startChildSdrSim({ extraArgs: ['--no-sftp'] });
    let pool = await freshDatabase(server);
    const d = await drain(pool, sim, tpl);
    await pool.end();
    await sim.stop();
    sim = await startChildSdrSim({ extraArgs: ['--no-sftp'] });
    pool = await freshDatabase(server);
    const p = await paced(pool, sim, tpl);
    await pool.end();
    await sim.stop();
    const run = { ceilingEventsPerSecond: Math.round(ceil), drain: d, paced: p };
    runs.push(run);
    process.stderr.write(`run ${i + 1}/${RUNS}: ${JSON.stringify({ ...run, paced: { ...p, samples: `${p.samples.length} samples` } })}\n`);
  }
  await server.close();
  const m = (f: (r: (typeof runs)[number]) => number) => Math.round(median(runs.map(f)) * 1000) / 1000;
  const result = {
    machine: machine(), database: server.kind, runs: RUNS, events: EVENTS, rate: RATE, seconds: SECONDS,
    medians: {
      ceilingEventsPerSecond: m((r) => r.ceilingEventsPerSecond),
      drainEventsPerSecond: m((r) => r.drain.eventsPerSecond),
      drainBatchFill: m((r) => r.drain.batchFill),
      pacedIngestedEventsPerSecond: m((r) => r.paced.ingestedEventsPerSecond),
      pacedSettledEventsPerSecond: m((r) => r.paced.settledEventsPerSecond),
      pacedBatchFill: m((r) => r.paced.batchFill),
      pacedBacklogSlopeEventsPerSecond: m((r) => r.paced.backlogSlopeEventsPerSecond),
      runsKeepingUp: runs.filter((r) => r.paced.verdict === 'keeps up').length,
    },
    goal: { eventsPerSecond: 50_000, met: RATE >= 50_000 && runs.filter((r) => r.paced.verdict === 'keeps up').length > RUNS / 2 },
    all: runs,
  };
  writeResult('submissionPath', result);
  process.stdout.write(JSON.stringify({ ...result, all: undefined }, null, 2) + '\n');
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
