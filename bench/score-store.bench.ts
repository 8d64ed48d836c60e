/**
 * What storing anomaly scores costs PostgreSQL, per scored event: the scoring thread's ScoreWriter alone, fed the
 * results a live engine would give it, on a fresh database per run.
 *
 *   npm run build && node dist/bench/score-store.bench.js
 *
 * SCORE_STORE_EVENTS live results (default 200,000) from two sources, their seqs contiguous but for 1 in 100 (a
 * rejected event: never scored), 1 in 100 flagged (a review item with five top features), are written as the
 * pipeline's write loop does: one write() after another, each of SCORE_STORE_WRITES events (comma-separated sizes,
 * default 64,512,4096: a write coalesces the batches that finished while the previous write ran, so its size
 * follows the rate), the two sources' events interleaved. Per size and run: CPU seconds of the writing backend
 * (from /proc: the pool holds one connection), of this process, WAL bytes (pg_current_wal_insert_lsn: the server's,
 * so use a server nobody else writes to), and the database's growth. Then the readers: the not-scored sweep and the
 * catch-up sweep over the stored events (every one scored, so it reads them all), and the scores of 2,000 events
 * looked up one by one as the trade detail does.
 * Medians of SCORE_STORE_RUNS runs (default 3) go to bench/results.json under "scoreStore".
 * DATABASE_URL: the server to use (default the local one, else an embedded one).
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { migrate } from '../engine/store/migrate.js';
import { BinaryCopyEncoder, copyBinary } from '../engine/store/copy-binary.js';
import { EVENT_COLUMNS } from '../engine/store/group-commit.js';
import { ScoreWriter, notScoredEvents, unscoredEvents } from '../gpu-pool/store.js';
import type { EventResult } from '../gpu-pool/pipeline.js';
import { benchPostgres, serverVersion } from './support/postgres.js';
import { machine, median, writeResult } from './support/results.js';
import { rng } from './support/console-data.js';

const EVENTS = Number(process.env.SCORE_STORE_EVENTS ?? 200_000);
const WRITES = (process.env.SCORE_STORE_WRITES ?? '64,512,4096').split(',').map(Number);
const RUNS = Number(process.env.SCORE_STORE_RUNS ?? 3);
const SOURCES = 2;
const TICKS_PER_SECOND = 100;
const say = (m: string) => process.stderr.write(m + '\n');

function processCpu(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND;
}

/** The live results, in the order the write loop would see them, and every stored event's key (rejected ones too). */
function workload(): { results: EventResult[]; events: { sourceId: string; seq: number; rejected: boolean }[] } {
  const r = rng(11);
  const results: EventResult[] = [];
  const events: { sourceId: string; seq: number; rejected: boolean }[] = [];
  const seqs = new Array<number>(SOURCES).fill(0);
  while (results.length < EVENTS) {
    const s = results.length % SOURCES;
    const sourceId = `bench-${s}`;
    const seq = ++seqs[s]!;
    const rejected = r() < 0.01;
    events.push({ sourceId, seq, rejected });
    if (rejected) continue;
    const flagged = r() < 0.01;
    const perModel: [number, number, number] = [r(), r() * 3, r() * 4];
    results.push({
      sourceId, seq, tradeKey: `UTI-${s}-${seq}`, status: 'scored', versionId: 'bench-v1', score: perModel[2] * 0.9 + (flagged ? 3 : 0), flagged, perModel, attempts: 1,
      ...(flagged ? { top: Array.from({ length: 5 }, (_, i) => ({ feature: `feature_${i}`, value: r() * 40, contribution: r() * 3 })) } : {}),
    });
  }
  return { results, events };
}

/** The events' own rows (the sweeps join event_log), stored before the measurement. */
async function storeEvents(db: pg.Pool, events: readonly { sourceId: string; seq: number; rejected: boolean }[]): Promise<void> {
  const now = Date.now();
  const client = await db.connect();
  try {
    for (let i = 0; i < events.length; i += 50_000) {
      const enc = new BinaryCopyEncoder(8 << 20);
      for (const e of events.slice(i, i + 50_000)) {
        enc.row(11).text(e.sourceId).int8(e.seq).timestamptzMs(now - 60_000 + e.seq).text(`UTI-${e.sourceId}-${e.seq}`).text('LEI').text('NEWT').text('2026-01-01T00:00:00Z')
          .text(e.rejected ? 'rejected' : 'accepted');
        if (e.rejected) enc.null().null();
        else enc.int4(1).text('live');
        enc.bytea(Buffer.from([0x0a, 0x01, 0x41]));
      }
      await copyBinary(client, 'event_log', EVENT_COLUMNS, enc.finish());
    }
    for (let s = 0; s < SOURCES; s++) await client.query(`INSERT INTO fep_source (source_id, token_hash) VALUES ($1, 'x')`, [`bench-${s}`]);
    await client.query('CHECKPOINT');
  } finally {
    client.release();
  }
}

interface Run {
  writeEvents: number;
  postgresUsPerEvent: number;
  clientUsPerEvent: number;
  walBytesPerEvent: number;
  dbBytesPerEvent: number;
  eventsPerSecond: number;
  notScoredSweepMs: number;
  catchUpSweepMs: number;
  lookupUsPerEvent: number;
}

async function measure(pgServer: Awaited<ReturnType<typeof benchPostgres>>, writeEvents: number, w: ReturnType<typeof workload>): Promise<Run> {
  return pgServer.withFreshDatabase(async (url) => {
    const db = new pg.Pool({ connectionString: url, max: 1 });
    try {
      const c = await db.connect();
      await migrate(c);
      c.release();
      await storeEvents(db, w.events);
      const { rows: [info] } = await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      const pid = info!.pid;
      const lsn = async () => (await db.query<{ l: string }>('SELECT pg_current_wal_insert_lsn()::text AS l')).rows[0]!.l;
      const lsnBytes = (l: string) => { const [hi, lo] = l.split('/'); return parseInt(hi!, 16) * 2 ** 32 + parseInt(lo!, 16); };
      const dbSize = async () => Number((await db.query<{ n: string }>('SELECT pg_database_size(current_database()) AS n')).rows[0]!.n);
      const writer = new ScoreWriter(db);
      const size0 = await dbSize();
      const wal0 = lsnBytes(await lsn());
      const pg0 = processCpu(pid);
      const me0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < w.results.length; i += writeEvents) await writer.write(w.results.slice(i, i + writeEvents), true);
      const wallS = (performance.now() - t0) / 1000;
      const me = process.cpuUsage(me0);
      const pgS = processCpu(pid) - pg0;
      const walBytes = lsnBytes(await lsn()) - wal0;
      await db.query('CHECKPOINT');
      const grown = (await dbSize()) - size0;
      const n = w.results.length;

      let t = performance.now();
      const notScored = await notScoredEvents(db, 1000);
      const notScoredSweepMs = performance.now() - t;
      t = performance.now();
      const unscored = await unscoredEvents(db, 86_400_000, 1000);
      const catchUpSweepMs = performance.now() - t;
      if (notScored.length !== 0 || unscored.length !== 0) throw new Error(`the sweeps found ${notScored.length} not scored and ${unscored.length} unscored events: every one was scored`);

      // Scores one event at a time, as the trade detail asks for its events' scores (event_score_of where the store
      // has batches, else the per-event table).
      const { rows: [fn] } = await db.query<{ f: string | null }>(`SELECT to_regprocedure('event_score_of(text, bigint)')::text AS f`);
      const lookup = fn!.f ? 'SELECT score FROM event_score_of($1, $2)' : 'SELECT score FROM event_score WHERE source_id = $1 AND seq = $2';
      const r = rng(5);
      const picks = Array.from({ length: 2000 }, () => w.results[Math.floor(r() * n)]!);
      t = performance.now();
      for (const p of picks) {
        const { rows } = await db.query<{ score: number }>(lookup, [p.sourceId, p.seq]);
        if (rows.length !== 1 || Math.abs(rows[0]!.score - p.score!) > 1e-5) throw new Error(`score of ${p.sourceId}#${p.seq}: ${JSON.stringify(rows)}, stored ${p.score}`);
      }
      const lookupUsPerEvent = ((performance.now() - t) * 1000) / picks.length;
      return {
        writeEvents,
        postgresUsPerEvent: round((pgS * 1e6) / n, 2),
        clientUsPerEvent: round(((me.user + me.system) / n), 2),
        walBytesPerEvent: round(walBytes / n, 1),
        dbBytesPerEvent: round(grown / n, 1),
        eventsPerSecond: Math.round(n / wallS),
        notScoredSweepMs: round(notScoredSweepMs, 1),
        catchUpSweepMs: round(catchUpSweepMs, 1),
        lookupUsPerEvent: round(lookupUsPerEvent, 1),
      };
    } finally {
      await db.end();
    }
  });
}

const round = (x: number, d = 0) => Math.round(x * 10 ** d) / 10 ** d;

async function main(): Promise<void> {
  const pgServer = await benchPostgres();
  const w = workload();
  const bySize: Record<string, { runs: Run[]; medians: Record<string, number> }> = {};
  try {
    for (const size of WRITES) {
      const runs: Run[] = [];
      for (let run = 1; run <= RUNS; run++) {
        const r = await measure(pgServer, size, w);
        runs.push(r);
        say(`writes of ${size}: PostgreSQL ${r.postgresUsPerEvent} µs/event, client ${r.clientUsPerEvent} µs/event, WAL ${r.walBytesPerEvent} B/event, ` +
          `database +${r.dbBytesPerEvent} B/event, ${r.eventsPerSecond} events/s; sweeps ${r.notScoredSweepMs} / ${r.catchUpSweepMs} ms; lookup ${r.lookupUsPerEvent} µs`);
      }
      const keys = Object.keys(runs[0]!).filter((k) => k !== 'writeEvents') as (keyof Run)[];
      bySize[String(size)] = { runs, medians: Object.fromEntries(keys.map((k) => [k, median(runs.map((x) => x[k]))])) };
    }
    writeResult('scoreStore', {
      machine: machine(), postgres: { server: pgServer.kind, version: await serverVersion(pgServer.adminUrl).catch(() => 'unknown') },
      settings: { events: w.results.length, sources: SOURCES, rejectedShare: 0.01, flaggedShare: 0.01, runs: RUNS },
      bySize,
    });
    process.stdout.write(JSON.stringify(Object.fromEntries(Object.entries(bySize).map(([k, v]) => [k, v.medians])), null, 2) + '\n');
  } finally {
    await pgServer.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench score-store failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
