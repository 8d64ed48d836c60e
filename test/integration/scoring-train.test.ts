// `swaprep train --from db --activate` against a real PostgreSQL: it samples the event log (with an analyst's
// verdict on one event), records an active model version with its files and evaluation, and `swaprep score`
// then scores files with that version from the database.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import pg from 'pg';
import { SwapReport } from '../../proto/gen/swap_report.js';
import { migratedTestDatabase } from '../support/database.js';
import { run as train } from '../../engine/cli/train.js';
import { run as score } from '../../engine/cli/score.js';
import { syntheticEvents } from '../../gpu-pool/sources.js';
import type { Evaluation } from '../../gpu-pool/manifest.js';

let databaseUrl: string;
let db: pg.Pool;

beforeAll(async () => {
  databaseUrl = await migratedTestDatabase('train');
  db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  const events = syntheticEvents(3000, 8);
  for (let start = 0; start < events.length; start += 500) {
    const values: unknown[] = [];
    const rows = events.slice(start, start + 500).map((e, k) => {
      values.push('fep1', start + k + 1, new Date(e.receivedAtMs), e.tradeKey, e.version, e.report.counterparty1, Buffer.from(SwapReport.encode(e.report).finish()));
      const b = k * 7;
      return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, 'accepted', $${b + 5}, $${b + 6}, $${b + 7})`;
    });
    await db.query(`INSERT INTO event_log (source_id, seq, received_at, trade_key, status, version, counterparty1, report) VALUES ${rows.join(',')}`, values);
  }
  await db.query(`INSERT INTO review_label (source_id, seq, verdict, analyst) VALUES ('fep1', 2950, 'dismissed', 'bob')`);
});
afterAll(async () => {
  await db?.end();
});

async function quiet(fn: () => Promise<number>): Promise<{ code: number; out: string }> {
  let out = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((out += String(c)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    return { code: await fn(), out };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('swaprep train --from db', () => {
  it('records an active version trained on the event log, which swaprep score then uses', async () => {
    const t = await quiet(() => train(['--from', 'db', '--database-url', databaseUrl, '--activate', '--events', '3000', '--trees', '20', '--epochs', '2', '--json']));
    expect(t.code).toBe(0);
    const manifest = JSON.parse(t.out) as { versionId: string; evaluation: Evaluation; training: { source: string; events: number } };
    expect(manifest.training).toMatchObject({ source: 'db', events: 3000 });
    const rows = (await db.query<{ version_id: string; active: boolean; source: string; files: string }>(
      `SELECT v.version_id, v.active, v.source, (SELECT string_agg(name, ',' ORDER BY name) FROM model_file f WHERE f.version_id = v.version_id) AS files FROM model_version v`,
    )).rows;
    expect(rows).toEqual([{ version_id: manifest.versionId, active: true, source: 'db', files: 'autoencoder.onnx,iforest.onnx,reference.json,zscore.onnx' }]);
    expect(manifest.evaluation.analystLabels).toMatchObject({ dismissed: 1, confirmed: 0 });
    expect((await db.query(`SELECT metrics->'models'->'ensemble'->'overall'->>'rocAuc' AS auc FROM model_version`)).rows[0].auc).toMatch(/^0\.\d+/);

    const file = fileURLToPath(new URL('../fixtures/drr-6.10/cftc-part45/rates/IR-IRS-Fixed-Float-ex01.json', import.meta.url));
    expect(readFileSync(file, 'utf8').length).toBeGreaterThan(0);
    const s = await quiet(() => score(['--database-url', databaseUrl, file]));
    expect(s.code).toBe(0);
    expect(JSON.parse(s.out)).toMatchObject({ uti: 'IRIRSFIXEDFLOATEXX01', score: expect.any(Number) });
  });
});
