import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import copyStreams from 'pg-copy-streams';
import { BinaryCopyEncoder } from '../../engine/store/copy-binary.js';
import { createTestDatabase } from '../support/database.js';

let client: pg.Client;
beforeAll(async () => {
  client = new pg.Client({ connectionString: await createTestDatabase('copy') });
  await client.connect();
});
afterAll(async () => {
  await client?.end();
});

describe('BinaryCopyEncoder', () => {
  it('round-trips text, NULL, bytea, int8, int4 and timestamptz through PostgreSQL', async () => {
    await client.query('CREATE TABLE t (s text, b bytea, i8 bigint, i4 integer, ts timestamptz)');
    const when = Date.UTC(2024, 3, 29, 13, 22, 34, 567);
    const enc = new BinaryCopyEncoder(16); // tiny on purpose: growth is exercised
    const rows = [
      { s: 'ascii', b: Buffer.from([0, 1, 2, 255]), i8: 9_007_199_254_740_991, i4: -5, ts: when },
      { s: 'ünïcødé ✓ 한국', b: Buffer.alloc(100_000, 9), i8: -42, i4: 2_147_483_647, ts: 0 },
      { s: undefined, b: Buffer.alloc(0), i8: 0, i4: 0, ts: Date.UTC(1999, 11, 31, 23, 59, 59) },
    ];
    for (const r of rows) enc.row(5).text(r.s).bytea(r.b).int8(r.i8).int4(r.i4).timestamptzMs(r.ts);
    await pipeline(Readable.from([enc.finish()]), client.query(copyStreams.from('COPY t FROM STDIN WITH (FORMAT binary)')));
    const got = (await client.query<{ s: string | null; b: Buffer; i8: string; i4: number; ts: Date }>('SELECT * FROM t')).rows;
    expect(got.map((r) => r.s)).toEqual(['ascii', 'ünïcødé ✓ 한국', null]);
    expect(got.map((r) => Buffer.compare(r.b, rows[got.indexOf(r)]!.b))).toEqual([0, 0, 0]);
    expect(got.map((r) => r.i8)).toEqual(['9007199254740991', '-42', '0']);
    expect(got.map((r) => r.i4)).toEqual([-5, 2_147_483_647, 0]);
    expect(got.map((r) => r.ts.getTime())).toEqual(rows.map((r) => r.ts));
  });

  it('writes short ASCII, empty, long and mixed text alike (the ASCII fast path and the general one)', async () => {
    await client.query('CREATE TABLE m (s text)');
    const values = ['', 'NEWT', '2024-04-01T12:58:20Z', 'A'.repeat(64), 'B'.repeat(65), 'x'.repeat(5_000), 'ascii then é', 'é then ascii', '\u007f'];
    const enc = new BinaryCopyEncoder(8);
    for (const v of values) enc.row(1).text(v);
    await pipeline(Readable.from([enc.finish()]), client.query(copyStreams.from('COPY m FROM STDIN WITH (FORMAT binary)')));
    expect((await client.query<{ s: string }>('SELECT s FROM m')).rows.map((r) => r.s)).toEqual(values);
  });

  it('replaces NUL characters, which PostgreSQL text cannot hold, instead of failing the group', async () => {
    await client.query('CREATE TABLE n (s text)');
    const enc = new BinaryCopyEncoder().row(1).text('a\0b');
    await pipeline(Readable.from([enc.finish()]), client.query(copyStreams.from('COPY n FROM STDIN WITH (FORMAT binary)')));
    expect((await client.query('SELECT s FROM n')).rows[0].s).toBe('a\uFFFDb');
  });
});
