import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { readEventsAfter } from '../../engine/store/follow-event-log.js';
import { migratedTestDatabase } from '../support/database.js';

let pool: pg.Pool;

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: await migratedTestDatabase('follow'), max: 2 });
  // Source a: seqs 1-10, a hole at 11, then 12; source b: 1-3, then nothing until 5,001-5,003.
  const seqs: [string, number][] = [...Array.from({ length: 10 }, (_, i): [string, number] => ['a', i + 1]), ['a', 12],
    ['b', 1], ['b', 2], ['b', 3], ['b', 5001], ['b', 5002], ['b', 5003]];
  await pool.query(
    `INSERT INTO event_log (source_id, seq, received_at, status, report) SELECT s, q, now(), 'accepted', '\\x00' FROM unnest($1::text[], $2::bigint[]) AS u(s, q)`,
    [seqs.map(([s]) => s), seqs.map(([, q]) => q)]);
});

afterAll(async () => {
  await pool.end();
});

const seqsOf = async (source: string, cursor: number, durable: number, limit: number) =>
  (await readEventsAfter<{ seq: string }>(pool, 'seq', source, cursor, durable, limit)).map((r) => Number(r.seq));

describe('readEventsAfter', () => {
  it('reads at most `limit` events in seq order from the cursor', async () => {
    expect(await seqsOf('a', 0, 12, 4)).toEqual([1, 2, 3, 4]);
    expect(await seqsOf('a', 4, 12, 4)).toEqual([5, 6, 7, 8]);
  });

  it('stops at a hole above the durable watermark and crosses one below it', async () => {
    expect(await seqsOf('a', 8, 10, 10)).toEqual([9, 10]);
    expect(await seqsOf('a', 8, 12, 10)).toEqual([9, 10, 12]);
  });

  it('goes on past a stretch of missing seqs longer than the limit', async () => {
    expect(await seqsOf('b', 3, 5003, 100)).toEqual([5001, 5002, 5003]);
    // Above the watermark the stretch may still be filling: nothing is taken.
    expect(await seqsOf('b', 3, 3, 100)).toEqual([]);
  });
});
