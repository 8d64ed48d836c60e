// Scores are stored exactly once, in batches (migration 009): a write of new live scores becomes one score_batch row
// per run of a source's events (review items for the flagged); a write that meets stored scores, a sweep's rescoring
// and events not scored go to score_record by the staged upsert, which never overwrites a score and upgrades
// 'not_scored'. Every reader sees one score per event: event_score_of(source, seq), the event_score view, the sweeps.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { ScoreWriter, notScoredEvents, unscoredEvents } from '../../gpu-pool/store.js';
import type { EventResult } from '../../gpu-pool/pipeline.js';
import { migrate } from '../../engine/store/migrate.js';
import { projectRoot } from '../../engine/project-root.js';
import { createTestDatabase, migratedTestDatabase } from '../support/database.js';

let pool: pg.Pool;
let writer: ScoreWriter;

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: await migratedTestDatabase('scorewriter'), max: 2 });
  writer = new ScoreWriter(pool);
});

afterAll(async () => {
  await pool.end();
});

const scored = (seq: number, score: number, flagged = false, sourceId = 'fep-1'): EventResult => ({
  sourceId, seq, tradeKey: `UTI${seq}`, status: 'scored', versionId: 'v1', score, flagged, perModel: [0.25, 1.5, score],
  top: flagged ? [{ feature: 'rate_z_vs_product', value: 31.5, contribution: 2.75 }] : undefined, attempts: 1,
});
const notScored = (seq: number, sourceId = 'fep-1'): EventResult => ({ sourceId, seq, tradeKey: `UTI${seq}`, status: 'not_scored', reason: 'no model version yet', attempts: 1 });

/** Every score through the event_score view, as the one-row-per-event table had them. */
const rows = async (sourceId = 'fep-1') =>
  (await pool.query<{ seq: string; status: string; score: number | null; flagged: boolean | null; zscore: number | null; attempts: number }>(
    'SELECT seq, status, score, flagged, zscore, attempts FROM event_score WHERE source_id = $1 ORDER BY seq', [sourceId])).rows.map((r) => ({ ...r, seq: Number(r.seq) }));
/** One event's score as the trade detail reads it. */
const scoreOf = async (seq: number, sourceId = 'fep-1') =>
  (await pool.query<{ status: string; score: number | null; flagged: boolean; iforest: number | null; autoencoder: number | null; zscore: number | null }>(
    'SELECT status, score, flagged, iforest, autoencoder, zscore FROM event_score_of($1, $2)', [sourceId, seq])).rows;
const batches = async (sourceId = 'fep-1') =>
  (await pool.query<{ min_seq: string; max_seq: string; holes: number[] | null; flagged: number[] | null; scores: number[] }>(
    'SELECT min_seq, max_seq, holes, flagged, scores FROM score_batch WHERE source_id = $1 ORDER BY min_seq', [sourceId])).rows
    .map((b) => ({ ...b, min_seq: Number(b.min_seq), max_seq: Number(b.max_seq) }));
const records = async (sourceId = 'fep-1') =>
  (await pool.query<{ seq: string; status: string }>('SELECT seq, status FROM score_record WHERE source_id = $1 ORDER BY seq', [sourceId])).rows.map((r) => `${r.seq}:${r.status}`);

describe('ScoreWriter', () => {
  it('stores new scores as one batch row, and a review item with top features and each model score as a real for each flagged one', async () => {
    await writer.write([scored(1, 0.5), scored(2, 3.25, true), scored(3, 1.125)]);
    expect(await batches()).toEqual([{ min_seq: 1, max_seq: 3, holes: null, flagged: [1], scores: [0.5, 3.25, 1.125] }]);
    expect(await records()).toEqual([]);
    // Each model's score is kept for the flagged events only (in their review items).
    expect(await rows()).toEqual([
      { seq: 1, status: 'scored', score: 0.5, flagged: false, zscore: null, attempts: 1 },
      { seq: 2, status: 'scored', score: 3.25, flagged: true, zscore: 3.25, attempts: 1 },
      { seq: 3, status: 'scored', score: 1.125, flagged: false, zscore: null, attempts: 1 },
    ]);
    expect(await scoreOf(2)).toEqual([{ status: 'scored', score: 3.25, flagged: true, iforest: 0.25, autoencoder: 1.5, zscore: 3.25 }]);
    expect(await scoreOf(3)).toEqual([{ status: 'scored', score: 1.125, flagged: false, iforest: null, autoencoder: null, zscore: null }]);
    const reviews = (await pool.query('SELECT seq, trade_key, version_id, score, top_features, iforest, autoencoder, zscore FROM review_item')).rows;
    expect(reviews).toEqual([{
      seq: '2', trade_key: 'UTI2', version_id: 'v1', score: 3.25, top_features: [{ feature: 'rate_z_vs_product', value: 31.5, contribution: 2.75 }], iforest: 0.25, autoencoder: 1.5, zscore: 3.25,
    }]);
  });

  it('keeps the first score when an event comes back, and stores the new ones of the same write', async () => {
    await writer.write([scored(3, 9), scored(4, 2)]);
    expect((await rows()).slice(2)).toEqual([
      { seq: 3, status: 'scored', score: 1.125, flagged: false, zscore: null, attempts: 1 },
      { seq: 4, status: 'scored', score: 2, flagged: false, zscore: 2, attempts: 1 },
    ]);
    // The batch overlapped a stored one: the write went the exact way, one score_record row for the new event.
    expect(await batches()).toHaveLength(1);
    expect(await records()).toEqual(['4:scored']);
    // Written again whole (a retried write whose COMMIT was lost), nothing changes.
    await writer.write([scored(1, 7, true), scored(2, 7), scored(3, 7)]);
    expect((await rows()).map((r) => r.score)).toEqual([0.5, 3.25, 1.125, 2]);
    expect(Number((await pool.query('SELECT count(*) AS n FROM review_item')).rows[0].n)).toBe(1);
  });

  it("upgrades a 'not_scored' row when its rescoring succeeds", async () => {
    await writer.write([notScored(5)]);
    expect((await rows()).at(-1)).toEqual({ seq: 5, status: 'not_scored', score: null, flagged: null, zscore: null, attempts: 1 });
    expect((await notScoredEvents(pool, 10)).length).toBe(0); // no event_log row: the sweep joins the log
    await writer.write([scored(5, 0.75)], false); // a sweep's rescoring
    expect((await rows()).at(-1)).toEqual({ seq: 5, status: 'scored', score: 0.75, flagged: false, zscore: 0.75, attempts: 2 });
  });

  it('cuts batches per source, at gaps of more than 17 seqs and after 1,024 events; the seqs skipped are holes', async () => {
    const seqs = [100, 101, 103, 120, 121, 200];
    const write = [...seqs.map((s) => scored(s, s / 100)), scored(100, 1, true, 'fep-2'), ...Array.from({ length: 1100 }, (_, i) => scored(1000 + i, 0.5, false, 'fep-3'))];
    await writer.write(write.reverse()); // in any order
    expect((await batches()).slice(1).map((b) => [b.min_seq, b.max_seq, b.holes])).toEqual([[100, 121, [2, ...Array.from({ length: 16 }, (_, i) => i + 4)]], [200, 200, null]]);
    expect((await batches('fep-2')).map((b) => [b.min_seq, b.max_seq, b.flagged])).toEqual([[100, 100, [0]]]);
    expect((await batches('fep-3')).map((b) => [b.min_seq, b.max_seq, b.scores.length])).toEqual([[1000, 2023, 1024], [2024, 2099, 76]]);
    for (const s of seqs) expect(await scoreOf(s)).toMatchObject([{ status: 'scored', score: s / 100 }]);
    for (const hole of [102, 104, 119, 122, 199, 201]) expect(await scoreOf(hole)).toEqual([]);
    expect(await scoreOf(2099, 'fep-3')).toMatchObject([{ status: 'scored', score: 0.5 }]);
    expect(await scoreOf(100, 'fep-2')).toMatchObject([{ flagged: true }]);
  });

  it('stores a batch around events recorded as not scored, and rescoring them leaves the batch alone', async () => {
    await writer.write([notScored(301)]);
    await writer.write([scored(300, 0.3), scored(302, 0.32)]);
    expect((await batches()).at(-1)).toMatchObject({ min_seq: 300, max_seq: 302, holes: [1] });
    // The event comes back live (a resubmission) and is scored: its range lies in the batch's, so it goes the exact way.
    await writer.write([scored(301, 0.31)]);
    expect(await scoreOf(301)).toMatchObject([{ status: 'scored', score: 0.31 }]);
    expect(await records()).toContain('301:scored');
    expect((await rows()).filter((r) => r.seq >= 300 && r.seq <= 302).map((r) => r.score)).toEqual([0.3, 0.31, 0.32]);
  });

  it('refuses a batch that overlaps stored scores, whoever writes it', async () => {
    const overlap = pool.query(`INSERT INTO score_batch (source_id, min_seq, max_seq, version_id, scores) VALUES ('fep-1', 201, 201, 'v1', '{1}'), ('fep-1', 199, 200, 'v1', '{1,1}')`);
    await expect(overlap).rejects.toMatchObject({ code: '23P01' });
    const overRecord = pool.query(`INSERT INTO score_batch (source_id, min_seq, max_seq, version_id, scores) VALUES ('fep-1', 4, 5, 'v1', '{1,1}')`);
    await expect(overRecord).rejects.toMatchObject({ code: '23P01' });
    await pool.query(`INSERT INTO score_batch (source_id, min_seq, max_seq, version_id, scores) VALUES ('fep-1', 201, 201, 'v1', '{1}')`);
    await expect(pool.query(`INSERT INTO score_batch (source_id, min_seq, max_seq, version_id, scores) VALUES ('fep-1', 202, 203, 'v1', '{1}')`))
      .rejects.toMatchObject({ code: '23514' }); // two seqs, one score
  });

  it('finds the accepted events without a score for the catch-up sweep, and the not-scored ones for the sweep', async () => {
    const values = [1, 2, 3, 4, 5, 6, 102, 103, 301].map((s) => `('fep-1', ${s}, now(), 'UTI${s}', 'accepted', '\\x0a01'::bytea)`).join(', ');
    await pool.query(`INSERT INTO event_log (source_id, seq, received_at, trade_key, status, report) VALUES ${values}`);
    expect((await unscoredEvents(pool, 60_000, 100)).map((e) => e.seq).sort((a, b) => a - b)).toEqual([6, 102]);
    await writer.write([notScored(6)]);
    expect((await notScoredEvents(pool, 100)).map((e) => e.seq)).toEqual([6]);
    expect((await unscoredEvents(pool, 60_000, 100)).map((e) => e.seq)).toEqual([102]);
  });
});

describe('migration 009', () => {
  it("moves event_score's rows: scored ones into batches, not scored ones to score_record, every score read back the same", async () => {
    const url = await createTestDatabase('scoremig');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      // The schema as it was before 009, with scores written the old way.
      const dir = join(projectRoot(), 'engine', 'store', 'migrations');
      await client.query(`CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
      for (const file of readdirSync(dir).filter((f) => /^\d+_.+\.sql$/.test(f) && Number.parseInt(f, 10) < 9).sort()) {
        await client.query(readFileSync(join(dir, file), 'utf8'));
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [Number.parseInt(file, 10), file]);
      }
      await client.query(`INSERT INTO event_score (source_id, seq, status, version_id, score, flagged, iforest, autoencoder, zscore, reason, attempts, scored_at)
        SELECT 'a', s, 'scored', 'v1', s / 10.0, s % 7 = 0, 0.5, 1.5, s / 10.0, NULL, 1, '2026-01-01T00:00:00Z'::timestamptz FROM generate_series(1, 1100) s WHERE s % 50 <> 3
        UNION ALL SELECT 'a', s, 'scored', 'v1', NULL, false, NULL, NULL, NULL, NULL, 2, '2026-01-02T00:00:00Z' FROM generate_series(103, 1100, 100) s
        UNION ALL SELECT 'a', s, 'not_scored', NULL, NULL, NULL, NULL, NULL, NULL, 'no model version yet', 1, '2026-01-01T00:00:00Z' FROM generate_series(53, 1100, 100) s
        UNION ALL SELECT 'b', s, 'scored', 'v2', 1, false, 1, 1, 1, NULL, 1, '2026-01-03T00:00:00Z' FROM generate_series(1, 100, 30) s`);
      await client.query(`INSERT INTO review_item (source_id, seq, trade_key, version_id, score, top_features) VALUES ('a', 7, 'UTI7', 'v1', 0.7, '[]')`);
      const all = `SELECT source_id, seq, status, version_id, score, flagged, iforest, autoencoder, zscore, reason, attempts, scored_at FROM event_score ORDER BY source_id, seq`;
      const before = (await client.query(all)).rows;
      expect(before).toHaveLength(1078 + 10 + 11 + 4);
      expect(await migrate(client)).toContain('009_score_batches.sql');
      expect((await client.query(all)).rows).toEqual(before);
      const counts = (await client.query(`SELECT (SELECT count(*) FROM score_batch) AS batches, (SELECT count(*) FROM score_record) AS records,
        (SELECT count(*) FROM score_record WHERE status = 'scored') AS scored_records`)).rows[0];
      // 'a': runs cut at each rescored event (another write); 'b': seqs 30 apart, a batch each.
      expect(counts).toEqual({ batches: expect.any(String), records: '11', scored_records: '0' });
      expect(Number(counts.batches)).toBeLessThan(40);
      // A flagged event's model scores now live in its review item too (new batches keep them nowhere else).
      expect((await client.query(`SELECT iforest, autoencoder, zscore FROM review_item`)).rows).toEqual([{ iforest: 0.5, autoencoder: 1.5, zscore: 0.7 }]);
      for (const [source, seq] of [['a', 7], ['a', 103], ['a', 1100], ['b', 91]] as const) {
        const expected = before.find((r) => r.source_id === source && Number(r.seq) === seq);
        const got = (await client.query('SELECT status, version_id, score, flagged, attempts FROM event_score_of($1, $2)', [source, seq])).rows;
        expect(got).toEqual([{ status: expected.status, version_id: expected.version_id, score: expected.score, flagged: expected.flagged, attempts: expected.attempts }]);
      }
    } finally {
      await client.end();
    }
  });
});
