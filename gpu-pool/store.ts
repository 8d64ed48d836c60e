/**
 * The scoring service's database side: scores and review items (one transaction per write, coalescing many
 * batches), the sweeps that find events to score again, and analysts' verdicts.
 *
 * Scores are stored the way they arrive, in batches (migration 009): a write of live, new scores (nearly every
 * write) becomes one score_batch row per run of a source's events (its seq range, the seqs in it the run does not
 * hold, the flagged ones, and the ensemble scores as a float4 array in seq order), sent with the BEGIN in one binary
 * COPY; the flagged events' review items (their full detail: top features, each model's score) go in one INSERT. The table's trigger refuses a batch that overlaps scores already
 * stored (a resubmitted or twice-queued event), and any such write, like any other (a sweep's rescoring, events not
 * scored, a score that is not finite), takes the staged way: COPY into a temporary table, leave out the events a batch
 * holds, and upsert one score_record row per event with ON CONFLICT: a 'scored' row is never overwritten and a
 * 'not_scored' row is upgraded in place when its rescoring succeeds. Measured with bench/score-store.bench.ts (writes
 * of 512 events; docs/benchmarks.md): PostgreSQL's CPU per scored event fell from 7.8 µs to 1.4, its WAL from 165
 * bytes to 14 and the stored bytes from 140 to 13, against one event_score row per event.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { BinaryCopyEncoder, copyBinary } from '../engine/store/copy-binary.js';
import { withTransaction } from '../engine/store/transaction.js';
import type { EventResult, ResultSink, ScoringEvent } from './pipeline.js';

const { from: copyFrom } = copyStreams;

// COPY text format: backslash, tab, newline and carriage return escaped; \N for NULL. Most values need no
// escaping, and this runs for every event: test first, replace only when needed.
const SPECIAL = /[\\\t\n\r]/;
const SPECIALS = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function text(v: string | undefined): string {
  if (v === undefined) return '\\N';
  return SPECIAL.test(v) ? v.replace(SPECIALS, (c) => ESCAPES[c]!) : v;
}

function num(v: number | undefined): string {
  return v !== undefined && Number.isFinite(v) ? String(v) : '\\N';
}

/** Every writer of scores holds it from its check to its COMMIT (score_batch's trigger takes it too). */
const SCORE_LOCK = 7409;

const STAGE = `CREATE TEMP TABLE IF NOT EXISTS score_in (
  source_id text COLLATE "C", seq bigint, trade_key text COLLATE "C", status text, version_id text COLLATE "C",
  score real, flagged boolean, iforest real, autoencoder real, zscore real, top_features jsonb, reason text, attempts integer
) ON COMMIT DELETE ROWS;
SELECT pg_advisory_xact_lock(${SCORE_LOCK})`;

// A score a batch holds is a 'scored' one: it stays as it is. (An event's batch: the source's batch with the greatest
// min_seq at or below its seq, when that one's range reaches the seq and does not skip it.)
const DROP_BATCHED = `DELETE FROM score_in i WHERE EXISTS (
  SELECT 1 FROM (SELECT b.min_seq, b.max_seq, b.holes FROM score_batch b WHERE b.source_id = i.source_id AND b.min_seq <= i.seq
                  ORDER BY b.min_seq DESC LIMIT 1) b
   WHERE b.max_seq >= i.seq AND NOT coalesce((i.seq - b.min_seq)::integer = ANY (b.holes), false))`;

const UPSERT_SCORES = `INSERT INTO score_record AS s (source_id, seq, status, version_id, score, flagged, iforest, autoencoder, zscore, reason, attempts)
  SELECT DISTINCT ON (source_id, seq) source_id, seq, status, version_id, score, flagged, iforest, autoencoder, zscore, reason, attempts
    FROM score_in ORDER BY source_id, seq, (status = 'scored') DESC
  ON CONFLICT (source_id, seq) DO UPDATE SET
    status = EXCLUDED.status, version_id = EXCLUDED.version_id, score = EXCLUDED.score, flagged = EXCLUDED.flagged,
    iforest = EXCLUDED.iforest, autoencoder = EXCLUDED.autoencoder, zscore = EXCLUDED.zscore, reason = EXCLUDED.reason,
    attempts = s.attempts + EXCLUDED.attempts, scored_at = now()
  WHERE s.status = 'not_scored'`;

// Only for rows whose score was stored by this write (the stored row carries the same version and flag).
const INSERT_REVIEWS = `INSERT INTO review_item (source_id, seq, trade_key, version_id, score, top_features, iforest, autoencoder, zscore)
  SELECT i.source_id, i.seq, i.trade_key, i.version_id, i.score, i.top_features, i.iforest, i.autoencoder, i.zscore FROM score_in i
   WHERE i.flagged AND EXISTS (SELECT 1 FROM score_record s WHERE s.source_id = i.source_id AND s.seq = i.seq
                                 AND s.flagged AND s.version_id = i.version_id AND s.score = i.score)
  ON CONFLICT (source_id, seq) DO NOTHING`;

/** A score the batch write can store as it is (the staged write stores a non-finite score as NULL). */
const isNewScore = (r: EventResult): boolean =>
  r.status === 'scored' && r.versionId !== undefined && r.flagged !== undefined && Number.isFinite(r.score) && r.perModel !== undefined && r.perModel.every(Number.isFinite);

/**
 * A batch row holds one source's events of one version and attempt count, in seq order; a new row starts where the
 * seqs jump by more than MAX_GAP + 1 (the seqs skipped are the row's holes: rejected events, mostly) or after
 * MAX_EVENTS events (an event's look-up reads its row's arrays whole).
 */
const MAX_GAP = 16;
const MAX_EVENTS = 1024;
const BATCH_COLUMNS = 'source_id, min_seq, max_seq, version_id, attempts, holes, flagged, scores, iforest, autoencoder, zscore';
const INT4_OID = 23;
const FLOAT4_OID = 700;
const EXCLUSION_VIOLATION = '23P01';
const UNIQUE_VIOLATION = '23505';

/** A one-dimensional array without NULLs in PostgreSQL's binary format (array_recv), elements 4 bytes each. */
function arrayBytes(oid: number, n: number, put: (buf: Buffer, at: number, i: number) => void): Buffer {
  const buf = Buffer.allocUnsafe(20 + 8 * n);
  buf.writeInt32BE(1, 0); // dimensions
  buf.writeInt32BE(0, 4); // no NULLs
  buf.writeUInt32BE(oid, 8);
  buf.writeInt32BE(n, 12);
  buf.writeInt32BE(1, 16); // lower bound
  for (let i = 0, at = 20; i < n; i++, at += 8) {
    buf.writeInt32BE(4, at);
    put(buf, at + 4, i);
  }
  return buf;
}

const int4Array = (values: readonly number[]) => arrayBytes(INT4_OID, values.length, (b, at, i) => b.writeInt32BE(values[i]!, at));
const float4Array = (rows: readonly EventResult[], value: (r: EventResult) => number) =>
  arrayBytes(FLOAT4_OID, rows.length, (b, at, i) => b.writeFloatBE(value(rows[i]!), at));

const bySourceAndSeq = (a: EventResult, b: EventResult) => (a.sourceId < b.sourceId ? -1 : a.sourceId > b.sourceId ? 1 : a.seq - b.seq);

/**
 * The batch rows of a write of new scores, binary COPY data; undefined when an event is in it twice (the staged
 * write keeps one).
 */
export function encodeBatches(results: readonly EventResult[]): Buffer | undefined {
  const sorted = [...results].sort(bySourceAndSeq);
  for (let i = 1; i < sorted.length; i++) if (sorted[i]!.seq === sorted[i - 1]!.seq && sorted[i]!.sourceId === sorted[i - 1]!.sourceId) return undefined;
  const copy = new BinaryCopyEncoder(results.length * 40 + 1024);
  for (let start = 0; start < sorted.length; ) {
    const first = sorted[start]!;
    let end = start + 1;
    for (; end < sorted.length && end - start < MAX_EVENTS; end++) {
      const r = sorted[end]!;
      if (r.sourceId !== first.sourceId || r.seq - sorted[end - 1]!.seq > MAX_GAP + 1 || r.versionId !== first.versionId || r.attempts !== first.attempts) break;
    }
    const run = sorted.slice(start, end);
    const minSeq = first.seq;
    const maxSeq = run[run.length - 1]!.seq;
    const holes: number[] = [];
    const flagged: number[] = [];
    for (let i = 0; i < run.length; i++) {
      const r = run[i]!;
      if (i > 0) for (let s = run[i - 1]!.seq + 1; s < r.seq; s++) holes.push(s - minSeq);
      if (r.flagged) flagged.push(r.seq - minSeq);
    }
    copy.row(11).text(first.sourceId).int8(minSeq).int8(maxSeq).text(first.versionId).int4(first.attempts);
    if (holes.length > 0) copy.bytea(int4Array(holes));
    else copy.null();
    if (flagged.length > 0) copy.bytea(int4Array(flagged));
    else copy.null();
    // Each model's raw score only for the flagged events, in their review items: in every batch row they doubled its
    // bytes and WAL (bench/score-store.bench.ts, writes of 4,096: 27 bytes per event instead of 13, 0.25 µs more CPU).
    copy.bytea(float4Array(run, (r) => r.score!)).null().null().null();
    start = end;
  }
  return copy.finish();
}

export class ScoreWriter implements ResultSink {
  constructor(private readonly db: pg.Pool) {}

  async write(results: readonly EventResult[], live = true): Promise<void> {
    if (results.length === 0) return;
    // A sweep's rescoring meets the event's 'not_scored' row by design: it goes to the upsert at once.
    if (live && results.every(isNewScore)) {
      const batches = encodeBatches(results);
      if (batches) {
        try {
          await this.writeBatches(results, batches);
          return;
        } catch (err) {
          const code = (err as { code?: string }).code;
          if (code !== EXCLUSION_VIOLATION && code !== UNIQUE_VIOLATION) throw err;
        }
      }
    }
    await this.writeStaged(results);
  }

  /** Scores of events that have none yet (see the top of the file): BEGIN and the COPY in one round trip. */
  private async writeBatches(results: readonly EventResult[], batches: Buffer): Promise<void> {
    const reviews = results.filter((r) => r.flagged && r.top);
    const client = await this.db.connect();
    try {
      try {
        await copyBinary(client, 'score_batch', BATCH_COLUMNS, batches, 'BEGIN;\n');
        if (reviews.length > 0) {
          await client.query(
            `INSERT INTO review_item (source_id, seq, trade_key, version_id, score, top_features, iforest, autoencoder, zscore)
             SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::real[], $6::jsonb[], $7::real[], $8::real[], $9::real[])`,
            [reviews.map((r) => r.sourceId), reviews.map((r) => r.seq), reviews.map((r) => r.tradeKey ?? null), reviews.map((r) => r.versionId),
              reviews.map((r) => r.score), reviews.map((r) => JSON.stringify(r.top)), reviews.map((r) => r.perModel![0]), reviews.map((r) => r.perModel![1]),
              reviews.map((r) => r.perModel![2])]);
        }
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    } finally {
      client.release();
    }
  }

  private async writeStaged(results: readonly EventResult[]): Promise<void> {
    let data = '';
    for (const r of results) {
      const m = r.perModel;
      data +=
        `${text(r.sourceId)}\t${r.seq}\t${text(r.tradeKey)}\t${r.status}\t${text(r.versionId)}\t${num(r.score)}\t` +
        `${r.flagged === undefined ? '\\N' : r.flagged ? 't' : 'f'}\t${num(m?.[0])}\t${num(m?.[1])}\t${num(m?.[2])}\t` +
        `${r.top ? text(JSON.stringify(r.top)) : '\\N'}\t${text(r.reason)}\t${r.attempts}\n`;
    }
    await withTransaction(this.db, async (client) => {
      await client.query(STAGE);
      await pipeline(Readable.from([data]), client.query(copyFrom('COPY score_in FROM STDIN')));
      await client.query(DROP_BATCHED);
      await client.query(UPSERT_SCORES);
      await client.query(INSERT_REVIEWS);
    });
  }
}

interface EventRow {
  source_id: string;
  seq: string;
  received_at: Date;
  trade_key: string | null;
  version: number | null;
  report: Buffer;
}

function toEvent(r: EventRow): ScoringEvent {
  return { sourceId: r.source_id, seq: Number(r.seq), report: new Uint8Array(r.report), receivedAtMs: r.received_at.getTime(), tradeKey: r.trade_key ?? undefined, version: r.version ?? undefined };
}

/** The last `limit` stored events (not rejected), oldest first: the service warms its feature state on them. */
export async function recentEvents(db: pg.Pool, limit: number): Promise<ScoringEvent[]> {
  const r = await db.query<EventRow>(
    `SELECT * FROM (SELECT source_id, seq, received_at, trade_key, version, report FROM event_log
                     WHERE status <> 'rejected' ORDER BY received_at DESC, seq DESC LIMIT $1) e
      ORDER BY received_at, seq`,
    [limit],
  );
  return r.rows.map(toEvent);
}

/** Events recorded as not scored, oldest first. */
export async function notScoredEvents(db: pg.Pool, limit: number): Promise<ScoringEvent[]> {
  const r = await db.query<EventRow>(
    `SELECT e.source_id, e.seq, e.received_at, e.trade_key, e.version, e.report
       FROM score_record s JOIN event_log e USING (source_id, seq)
      WHERE s.status = 'not_scored'
      ORDER BY s.scored_at LIMIT $1`,
    [limit],
  );
  return r.rows.map(toEvent);
}

/**
 * Accepted events of the last `sinceMs` with no score at all (their scores were lost with a crash before the
 * write): the catch-up a service runs when it starts. Rejected events are not scored (the engine submits only
 * accepted ones). The batches of the window (written after their events: none is older than the window, give or
 * take an hour of clock difference between engine and database) are expanded to their events and anti-joined in
 * one merge join (200,000 events: 0.56 s, where an index probe per event took 2.6 s).
 */
export async function unscoredEvents(db: pg.Pool, sinceMs: number, limit: number): Promise<ScoringEvent[]> {
  const r = await db.query<EventRow>(
    `SELECT e.source_id, e.seq, e.received_at, e.trade_key, e.version, e.report
       FROM event_log e
      WHERE e.received_at >= now() - make_interval(secs => $1::double precision / 1000)
        AND e.status <> 'rejected'
        AND NOT EXISTS (SELECT 1 FROM score_record s WHERE s.source_id = e.source_id AND s.seq = e.seq)
        AND NOT EXISTS (SELECT 1 FROM score_batch b CROSS JOIN LATERAL generate_series(0, (b.max_seq - b.min_seq)::integer) o
                         WHERE b.scored_at >= now() - make_interval(secs => $1::double precision / 1000) - interval '1 hour'
                           AND NOT coalesce(o = ANY (b.holes), false) AND b.source_id = e.source_id AND b.min_seq + o = e.seq)
      ORDER BY e.received_at LIMIT $2`,
    [sinceMs, limit],
  );
  return r.rows.map(toEvent);
}

/** Stores an analyst's verdict on a flagged event and closes its review item. */
export async function recordVerdict(db: pg.Pool, sourceId: string, seq: number, verdict: 'confirmed' | 'dismissed', analyst: string, note?: string): Promise<void> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    await client.query(`INSERT INTO review_label (source_id, seq, verdict, analyst, note) VALUES ($1, $2, $3, $4, $5)`, [sourceId, seq, verdict, analyst, note ?? null]);
    await client.query(`UPDATE review_item SET state = $3, decided_at = now() WHERE source_id = $1 AND seq = $2`, [sourceId, seq, verdict]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  } finally {
    client.release();
  }
}
