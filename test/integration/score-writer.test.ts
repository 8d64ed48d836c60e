// Scores reach event_score exactly once: new scores by the direct binary COPY (review items for the flagged),
// a write that meets stored rows by the staged upsert, which never overwrites a score and upgrades 'not_scored'.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { ScoreWriter } from '../../gpu-pool/store.js';
import type { EventResult } from '../../gpu-pool/pipeline.js';
import { migratedTestDatabase } from '../support/database.js';

let pool: pg.Pool;
let writer: ScoreWriter;

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: await migratedTestDatabase('scorewriter'), max: 2 });
  writer = new ScoreWriter(pool);
});

afterAll(async () => {
  await pool.end();
});

const scored = (seq: number, score: number, flagged = false): EventResult => ({
  sourceId: 'fep-1', seq, tradeKey: `UTI${seq}`, status: 'scored', versionId: 'v1', score, flagged, perModel: [0.25, 1.5, score],
  top: flagged ? [{ feature: 'rate_z_vs_product', value: 31.5, contribution: 2.75 }] : undefined, attempts: 1,
});
const rows = async () =>
  (await pool.query<{ seq: string; status: string; score: number | null; flagged: boolean | null; zscore: number | null; attempts: number }>(
    'SELECT seq, status, score, flagged, zscore, attempts FROM event_score ORDER BY seq')).rows.map((r) => ({ ...r, seq: Number(r.seq) }));

describe('ScoreWriter', () => {
  it('stores new scores, each model score as a real, and a review item with top features for each flagged one', async () => {
    await writer.write([scored(1, 0.5), scored(2, 3.25, true), scored(3, 1.125)]);
    expect(await rows()).toEqual([
      { seq: 1, status: 'scored', score: 0.5, flagged: false, zscore: 0.5, attempts: 1 },
      { seq: 2, status: 'scored', score: 3.25, flagged: true, zscore: 3.25, attempts: 1 },
      { seq: 3, status: 'scored', score: 1.125, flagged: false, zscore: 1.125, attempts: 1 },
    ]);
    const reviews = (await pool.query('SELECT seq, trade_key, version_id, score, top_features FROM review_item')).rows;
    expect(reviews).toEqual([{ seq: '2', trade_key: 'UTI2', version_id: 'v1', score: 3.25, top_features: [{ feature: 'rate_z_vs_product', value: 31.5, contribution: 2.75 }] }]);
  });

  it('keeps the first score when an event comes back, and stores the new ones of the same write', async () => {
    await writer.write([scored(3, 9), scored(4, 2)]);
    expect((await rows()).slice(2)).toEqual([
      { seq: 3, status: 'scored', score: 1.125, flagged: false, zscore: 1.125, attempts: 1 },
      { seq: 4, status: 'scored', score: 2, flagged: false, zscore: 2, attempts: 1 },
    ]);
  });

  it("upgrades a 'not_scored' row when its rescoring succeeds", async () => {
    await writer.write([{ sourceId: 'fep-1', seq: 5, tradeKey: 'UTI5', status: 'not_scored', reason: 'no model version yet', attempts: 1 }]);
    expect((await rows()).at(-1)).toEqual({ seq: 5, status: 'not_scored', score: null, flagged: null, zscore: null, attempts: 1 });
    await writer.write([scored(5, 0.75)], false); // a sweep's rescoring
    expect((await rows()).at(-1)).toEqual({ seq: 5, status: 'scored', score: 0.75, flagged: false, zscore: 0.75, attempts: 2 });
  });
});
