// The scoring service against a real PostgreSQL: events in event_log are submitted as the engine would after
// COMMIT; without a model they are stored as not scored (a score_record row each), activating a version rescored
// them in place; live scores land in batches (score_batch), with flags and review items; a verdict becomes a label;
// an activation made elsewhere (NOTIFY) swaps the model; and with no version at all the service trains and
// activates a bootstrap version by itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { SwapReport } from '../../proto/gen/swap_report.js';
import { migratedTestDatabase } from '../support/database.js';
import { ScoringService, type FlaggedEvent, type ScoringEvent } from '../../gpu-pool/scoring-service.js';
import { DatabaseRegistry } from '../../gpu-pool/registry.js';
import { recordVerdict } from '../../gpu-pool/store.js';
import { plantAnomaly } from '../../gpu-pool/sample/anomalies.js';
import { Rng } from '../../gpu-pool/models/rng.js';
import { trainAndEvaluate } from '../../gpu-pool/train.js';
import { smallOptions, smallVersion } from '../unit/scoring-helpers.js';

let databaseUrl: string;
let db: pg.Pool;

const freshDatabase = (): Promise<string> => migratedTestDatabase('score');

/** Stores flow events [from, from+n) in event_log (source 'fep1', seq = position + 1), with 100x rates planted every 50th. */
async function storeEvents(pool: pg.Pool, from: number, n: number): Promise<{ events: ScoringEvent[]; planted: Set<number> }> {
  const { events: flow } = smallVersion();
  const rng = new Rng(11);
  const planted = new Set<number>();
  const events: ScoringEvent[] = [];
  for (let i = from; i < from + n; i++) {
    const e = flow[i % flow.length]!;
    let report = e.report;
    if (i % 50 === 25) {
      const broken = plantAnomaly('rate_100x', report, rng, { hasPrevious: false, otherCounterparty: '' });
      if (broken) {
        report = broken;
        planted.add(i + 1);
      }
    }
    events.push({ sourceId: 'fep1', seq: i + 1, report: SwapReport.encode(report).finish(), receivedAtMs: e.receivedAtMs, tradeKey: e.tradeKey, version: e.version });
  }
  const values: unknown[] = [];
  const rows = events.map((e, k) => {
    values.push(e.sourceId, e.seq, new Date(e.receivedAtMs), e.tradeKey, e.version, Buffer.from(e.report));
    const b = k * 6;
    return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, 'accepted', $${b + 5}, $${b + 6})`;
  });
  await pool.query(`INSERT INTO event_log (source_id, seq, received_at, trade_key, status, version, report) VALUES ${rows.join(',')}`, values);
  return { events, planted };
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const count = async (sql: string, params: unknown[] = []) => Number((await db.query<{ n: string }>(sql, params)).rows[0]!.n);

beforeAll(async () => {
  databaseUrl = await freshDatabase();
  db = new pg.Pool({ connectionString: databaseUrl, max: 3 });
});
afterAll(async () => {
  await db?.end();
});

describe('scoring service', () => {
  it('stores events as not scored without a model, rescored them once a version is active, and fills the review queue', async () => {
    const service = await ScoringService.start({ databaseUrl, workers: 1, providers: ['cpu'], maxBatch: 256, bootstrap: 'off', alertRate: 0.02, sweepIntervalMs: 200 });
    const heard: FlaggedEvent[] = [];
    service.onFlagged((events) => heard.push(...events));
    try {
      const first = await storeEvents(db, 0, 400);
      service.submit(first.events);
      await service.flush();
      expect(await count(`SELECT count(*) AS n FROM score_record WHERE status = 'not_scored' AND reason = 'no model version yet'`)).toBe(400);

      // A version is registered and activated: the sweep rescored the stored events.
      const { version } = smallVersion();
      const registry = new DatabaseRegistry(db);
      await registry.save({ manifest: version.manifest, files: version.files });
      await service.activate(version.manifest.versionId);
      await waitFor('the sweep', async () => (await count(`SELECT count(*) AS n FROM event_score WHERE status = 'scored'`)) === 400);
      expect(await count(`SELECT count(*) AS n FROM score_record WHERE status = 'scored' AND attempts = 2`)).toBe(400);
      expect(await count(`SELECT count(*) AS n FROM score_batch`)).toBe(0);

      // Live events are scored directly. 1,200 at once exceed the bound (maxBatch 256 x (2 in flight + 2)):
      // submit() says so, keeps them all, and onDrain tells when there is room again.
      const second = await storeEvents(db, 400, 1200);
      const drained = new Promise<void>((resolve) => service.onDrain(resolve));
      expect(service.submit(second.events)).toBe(false);
      await drained;
      await service.flush();
      expect(await count(`SELECT count(*) AS n FROM event_score WHERE status = 'scored' AND version_id = $1`, [version.manifest.versionId])).toBe(1600);
      // The live scores are batch rows (a row per run of up to 1,024 events), not a row per event.
      expect(await count(`SELECT sum(cardinality(scores)) AS n FROM score_batch`)).toBe(1200);
      expect(await count(`SELECT count(*) AS n FROM score_batch`)).toBeLessThanOrEqual(30);
      expect(await count(`SELECT count(*) AS n FROM score_record`)).toBe(400);
      expect(service.stats()).toMatchObject({ notScored: 400, provider: { iforest: 'cpu', autoencoder: 'cpu', zscore: 'cpu' } });
      expect(service.stats().scored).toBe(1600);

      // Flagged events have review items with their top features; the planted 100x rates are among them.
      const reviews = await db.query<{ seq: string; top_features: { feature: string; value: number; contribution: number }[]; score: number }>(
        `SELECT seq, top_features, score FROM review_item ORDER BY seq`,
      );
      const flagged = await count(`SELECT count(*) AS n FROM event_score WHERE flagged`);
      expect(reviews.rows.length).toBe(flagged);
      expect(flagged).toBeGreaterThan(0);
      expect(flagged).toBeLessThan(1600 * 0.1);
      for (const r of reviews.rows) expect(r.top_features.length).toBe(3);
      // Their full detail: each model's score too (kept for flagged events only).
      expect(await count(`SELECT count(*) AS n FROM review_item WHERE iforest IS NOT NULL AND autoencoder IS NOT NULL AND zscore IS NOT NULL`)).toBe(flagged);
      // The engine heard of each flagged event, with its top features.
      expect(heard.map((h) => h.seq).sort((a, b) => a - b)).toEqual(reviews.rows.map((r) => Number(r.seq)));
      expect(heard[0]!.topFeatures.length).toBe(3);
      const planted = [...first.planted, ...second.planted];
      const caught = reviews.rows.filter((r) => planted.includes(Number(r.seq)));
      expect(caught.length).toBeGreaterThanOrEqual(Math.ceil(planted.length * 0.8));
      expect(caught[0]!.top_features[0]!.feature).toMatch(/rate|notation/);

      // Resubmitting stored events neither changes their scores nor adds review items.
      const before = await db.query(`SELECT seq, score FROM event_score ORDER BY seq`);
      service.submit(second.events.slice(0, 300));
      await service.flush();
      expect((await db.query(`SELECT seq, score FROM event_score ORDER BY seq`)).rows).toEqual(before.rows);
      expect(await count(`SELECT sum(cardinality(scores)) AS n FROM score_batch`)).toBe(1200);
      expect(await count(`SELECT count(*) AS n FROM score_record`)).toBe(400);
      expect(await count(`SELECT count(*) AS n FROM review_item`)).toBe(flagged);

      // An analyst's verdict is stored as a label and closes the review item.
      const item = reviews.rows[0]!;
      await recordVerdict(db, 'fep1', Number(item.seq), 'confirmed', 'alice', 'rate in percent');
      expect((await db.query(`SELECT verdict, analyst FROM review_label`)).rows).toEqual([{ verdict: 'confirmed', analyst: 'alice' }]);
      expect((await db.query(`SELECT state FROM review_item WHERE seq = $1`, [item.seq])).rows[0]).toEqual({ state: 'confirmed' });

      // An activation made by another process (swaprep train --activate) reaches the service through NOTIFY.
      const next = trainAndEvaluate(smallVersion().events, { ...smallOptions, seed: 8 });
      const other = new pg.Pool({ connectionString: databaseUrl, max: 1 });
      try {
        const elsewhere = new DatabaseRegistry(other);
        await elsewhere.save({ manifest: next.manifest, files: next.files });
        await elsewhere.activate(next.manifest.versionId);
      } finally {
        await other.end();
      }
      await waitFor('the hot swap', async () => service.activeVersion === next.manifest.versionId);
      const third = await storeEvents(db, 1600, 200);
      service.submit(third.events);
      await service.flush();
      expect(await count(`SELECT count(*) AS n FROM event_score WHERE version_id = $1`, [next.manifest.versionId])).toBe(200);
      expect(await count(`SELECT count(*) AS n FROM event_score`)).toBe(1800);
      expect((await db.query(`SELECT version_id FROM model_version WHERE active`)).rows).toEqual([{ version_id: next.manifest.versionId }]);
    } finally {
      await service.stop();
    }
  });

  it('trains and activates a bootstrap version when the database has none', async () => {
    const url = await freshDatabase();
    const service = await ScoringService.start({
      databaseUrl: url,
      workers: 1,
      providers: ['cpu'],
      maxBatch: 128,
      bootstrapEvents: 3000,
      bootstrapOptions: { iforest: { trees: 20, sampleSize: 128 }, autoencoder: { hidden: 16, code: 4, epochs: 2, batchSize: 256, learningRate: 1e-3, seed: 1 } },
    });
    const other = new pg.Pool({ connectionString: url, max: 1 });
    try {
      await waitFor('the bootstrap version', async () => service.activeVersion !== undefined, 90_000);
      const row = (await other.query<{ source: string; active: boolean }>(`SELECT source, active FROM model_version`)).rows;
      expect(row).toEqual([{ source: 'generator', active: true }]);
    } finally {
      await service.stop();
      await other.end();
    }
  });
});
