// Migration 007 moves a database of the per-record layout (submission rows with their status, payload rows,
// response rows) into batches: every record keeps its id, status, NACK codes and record as sent, and what was
// still pending goes out with its batch.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../engine/store/migrate.js';
import { projectRoot } from '../../engine/project-root.js';
import { createTestDatabase } from '../support/database.js';

let db: pg.Client;

beforeAll(async () => {
  db = new pg.Client({ connectionString: await createTestDatabase('mig7') });
  await db.connect();
  // The schema as it was before batches: migrations 001 to 006, recorded as applied.
  await db.query('CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
  const dir = join(projectRoot(), 'engine', 'store', 'migrations');
  for (const file of readdirSync(dir).filter((f) => /^00[1-6]_.+\.sql$/.test(f)).sort()) {
    await db.query(readFileSync(join(dir, file), 'utf8'));
    await db.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [Number.parseInt(file, 10), file]);
  }
  // Twelve records claimed by batch B-OLD (two NACKed, one still pending), eighteen never claimed.
  await db.query(`INSERT INTO submission (id, regime, repository, source_id, seq, trade_key, format, status, due_at, batch_id, attempts, created_at)
    SELECT 'S' || lpad(i::text, 2, '0'), 'cftc-part45', 'sdr', 'src', i, 'T' || i, 'json',
           CASE WHEN i % 5 = 0 THEN 'nacked' WHEN i % 7 = 0 THEN 'pending' ELSE 'acked' END, now() + interval '1 day',
           CASE WHEN i <= 12 THEN 'B-OLD' END, CASE WHEN i <= 12 THEN 1 ELSE 0 END, now() - ((40 - i) || ' seconds')::interval
      FROM generate_series(1, 30) i`);
  await db.query(`INSERT INTO submission_payload (id, payload) SELECT id, '{"uti":"' || trade_key || '","n":1.50}' FROM submission`);
  await db.query(`INSERT INTO submission_response (submission_id, outcome, codes)
    SELECT id, CASE WHEN status = 'nacked' THEN 'NACK' ELSE 'ACK' END,
           CASE WHEN status = 'nacked' THEN '[{"code":"E1","message":"bad"}]'::jsonb ELSE '[]' END FROM submission WHERE status IN ('acked', 'nacked')`);
  expect(await migrate(db)).toContain('007_submission_batches.sql');
}, 60_000);

afterAll(async () => {
  await db?.end();
});

describe('migration to batch-first submissions', () => {
  it('keeps every record with its status, codes and record as sent', async () => {
    const { rows } = await db.query<{ id: string; status: string; trade_key: string; payload: string; nack_codes: unknown }>(
      'SELECT id, status, trade_key, payload, nack_codes FROM submission_state ORDER BY id');
    expect(rows).toHaveLength(30);
    for (const r of rows) {
      const i = Number(r.id.slice(1));
      expect(r.status).toBe(i % 5 === 0 ? 'nacked' : i % 7 === 0 ? 'pending' : 'acked');
      expect(JSON.parse(r.payload)).toEqual({ uti: `T${i}`, n: 1.5 });
      expect(r.payload).toContain('1.50'); // the record exactly as it was sent
      expect(r.nack_codes).toEqual(i % 5 === 0 ? [{ code: 'E1', message: 'bad' }] : null);
    }
  });

  it('groups the records into batches: the claimed ones keep their batch, the rest in batches of their repository', async () => {
    const { rows } = await db.query<{ id: string; records: number; status: string; acks: number; nacks: number }>(
      'SELECT id, records, status, acks, nacks FROM submission_batch ORDER BY id');
    expect(rows.map((b) => b.records).reduce((a, b) => a + b, 0)).toBe(30);
    expect(rows.find((b) => b.id === 'B-OLD')).toMatchObject({ records: 12, status: 'pending', acks: 9, nacks: 2 });
    expect(rows.every((b) => b.status === 'pending')).toBe(true); // each holds a pending record: it is sent again, same id
    const { rows: old } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM information_schema.tables WHERE table_name IN ('submission_payload', 'submission_v1', 'submission_response_v1')`);
    expect(Number(old[0]!.n)).toBe(0);
  });
});
