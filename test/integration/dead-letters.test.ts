// Dead letters: a follower of the event log that cannot process one event sets it aside (dead_letter, a metric, an
// alert) and goes on with the next ones; an operator lists them and asks for a retry once the cause is fixed
// (`swaprep dead-letters`). Here: the console's trade projector and the scoring pipeline's writes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { TradeProjector } from '../../ui/server/projector.js';
import {
  deadLettersTotal, listDeadLetters, openDeadLetterCounts, recordDeadLetter, requestRetry, DeadLetterError, ERROR_MAX_CHARS, type DeadLetter,
} from '../../engine/store/dead-letters.js';
import { createMetrics } from '../../engine/metrics.js';
import { AlertMonitor } from '../../engine/alerts/monitor.js';
import { AlertService } from '../../engine/alerts/service.js';
import { ScoringPipeline, type EventResult, type ScoringEvent } from '../../gpu-pool/pipeline.js';
import { migratedTestDatabase } from '../support/database.js';
import { jsonLines, runCli } from '../support/cli.js';
import { DEALER, encodeReport, tradeReport } from '../support/trades.js';

let url: string;
let pool: pg.Pool;

beforeAll(async () => {
  url = await migratedTestDatabase('deadletters');
  pool = new pg.Pool({ connectionString: url, max: 4 });
});

afterAll(async () => {
  await pool?.end();
});

const SOURCE = 'fep-dl';
const EVENTS = 40;
const LONG_KEY_SEQ = 7; // a trade key of 5,000 random characters: no btree index entry can hold it
const ENDLESS_SEQ = 19; // received at 'infinity': its time has no ISO form (an error of the projector's own code)
const NUL_SEQ = 25; // a NUL inside the report's counterparty2: the COPY encoder replaces it, nothing is set aside
const REFUSED_SEQ = 33; // a trade a test trigger refuses (a cause that can be fixed: the trigger is dropped)
const REFUSED_UTI = `${DEALER}REFUSED`;
const uti = (seq: number) => `${DEALER}DL${String(seq).padStart(4, '0')}`;

async function seedEvents(): Promise<void> {
  await pool.query(`INSERT INTO fep_source (source_id, token_hash, durable_seq) VALUES ($1, 'x', $2)`, [SOURCE, EVENTS]);
  for (let seq = 1; seq <= EVENTS; seq++) {
    let tradeKey = seq === REFUSED_SEQ ? REFUSED_UTI : uti(seq);
    const report = tradeReport({ uti: tradeKey });
    let status = 'accepted';
    let version: number | null = 1;
    if (seq === LONG_KEY_SEQ) {
      // Rejected events make no trade version, so event_log's (partial) trade index does not hold their key.
      tradeKey = randomBytes(3_750).toString('base64');
      status = 'rejected';
      version = null;
    }
    if (seq === ENDLESS_SEQ) {
      status = 'rejected';
      version = null;
    }
    if (seq === NUL_SEQ) report.counterparty2 = 'CP2\u0000HIDDEN';
    await pool.query(
      `INSERT INTO event_log (source_id, seq, received_at, trade_key, counterparty1, action_type, status, version, lifecycle, report)
       VALUES ($1, $2, $9::timestamptz, $3, $4, 'NEWT', $5, $6, $7, $8)`,
      [SOURCE, seq, tradeKey, DEALER, status, version, version === null ? null : 'live', Buffer.from(encodeReport(report)), seq === ENDLESS_SEQ ? 'infinity' : new Date()],
    );
  }
}

const counted = async (follower: string): Promise<number> =>
  (await deadLettersTotal.get()).values.find((v) => v.labels.follower === follower)?.value ?? 0;

describe('dead letters', () => {
  it('stores any error as text PostgreSQL takes: NULs stripped, capped at 2,000 characters', async () => {
    const hostile = new Error(`bad \u0000value ${'x'.repeat(10_000)}`);
    const a = await recordDeadLetter(pool, { follower: 'submission-intake', sourceId: 'hostile', seq: 1, error: hostile });
    const throwing = { toJSON: () => { throw new Error('no'); } };
    await recordDeadLetter(pool, { follower: 'submission-intake', sourceId: 'hostile', seq: 2, error: throwing });
    await recordDeadLetter(pool, { follower: 'submission-intake', sourceId: 'hostile', seq: 3, error: Object.assign(new RangeError('\u0000'), {}) });
    const again = await recordDeadLetter(pool, { follower: 'submission-intake', sourceId: 'hostile', seq: 1, error: 'second failure' });
    expect(again).toEqual({ id: a.id, attempts: 2 });
    const rows = await listDeadLetters(pool, { follower: 'submission-intake' });
    expect(rows.map((r) => [r.seq, r.status, r.attempts, r.code])).toEqual([[1, 'open', 2, null], [2, 'open', 1, null], [3, 'open', 1, 'RangeError']]);
    expect(rows[0]!.error).toBe('second failure');
    expect(rows[1]!.error).toBe('[object Object]');
    expect(rows[2]!.error).toBe('RangeError');
    const first = await pool.query<{ error: string }>(`SELECT error FROM dead_letter WHERE id = $1`, [a.id]);
    expect(first.rows[0]!.error).toBe('second failure');
    // The first error, as it was stored before the second replaced it, is checked through a fresh row.
    await recordDeadLetter(pool, { follower: 'submission-intake', sourceId: 'hostile', seq: 4, error: hostile });
    const [long] = await listDeadLetters(pool, { follower: 'submission-intake', status: 'open', limit: 10 }).then((l) => l.filter((d) => d.seq === 4));
    expect(long!.error.length).toBe(ERROR_MAX_CHARS);
    expect(long!.error.startsWith('bad value xxx')).toBe(true);
    await expect(requestRetry(pool, 987_654)).rejects.toThrow(DeadLetterError);
    await pool.query(`DELETE FROM dead_letter WHERE follower = 'submission-intake'`);
  });

  it('the projector sets aside the events PostgreSQL refuses, projects all the others, and retries them when asked', async () => {
    await seedEvents();
    await pool.query(`CREATE FUNCTION refuse_trade() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.trade_key = '${REFUSED_UTI}' THEN RAISE EXCEPTION 'test trigger refuses trade %', NEW.trade_key; END IF;
        RETURN NEW;
      END $$`);
    await pool.query(`CREATE TRIGGER refuse_trade BEFORE INSERT OR UPDATE ON trade_current FOR EACH ROW EXECUTE FUNCTION refuse_trade()`);

    const before = await counted('projection');
    // Passes of 16: the three bad events sit in different passes and are found by bisection.
    const projector = new TradeProjector(pool, { batchSize: 16, idleMs: 10, retryEveryMs: 3_600_000 });
    const lags: number[] = [];
    projector.onPass = (_events, lag) => lags.push(lag);
    await projector.catchUp();

    // Every valid event is projected, the cursor is past the last event, and the lag says so.
    const { rows: trades } = await pool.query<{ trade_key: string }>(`SELECT trade_key FROM trade_current ORDER BY trade_key`);
    const valid = Array.from({ length: EVENTS }, (_, i) => i + 1).filter((s) => ![LONG_KEY_SEQ, ENDLESS_SEQ, REFUSED_SEQ].includes(s));
    expect(trades.map((t) => t.trade_key)).toEqual(valid.map(uti));
    const { rows: cursor } = await pool.query<{ seq: string }>(`SELECT seq FROM trade_projection_cursor WHERE source_id = $1`, [SOURCE]);
    expect(Number(cursor[0]!.seq)).toBe(EVENTS);
    expect(lags.at(-1)).toBe(0);
    expect(Math.max(...lags)).toBeGreaterThan(0);
    const nul = await pool.query<{ counterparty2: string }>(`SELECT counterparty2 FROM trade_current WHERE trade_key = $1`, [uti(NUL_SEQ)]);
    expect(nul.rows[0]!.counterparty2).toBe('CP2\uFFFDHIDDEN');

    // The three are in dead_letter with their errors, counted, and alerted on.
    const letters = await listDeadLetters(pool, { follower: 'projection' });
    expect(letters.map((d) => [d.sourceId, d.seq, d.status, d.attempts])).toEqual([
      [SOURCE, LONG_KEY_SEQ, 'open', 1], [SOURCE, ENDLESS_SEQ, 'open', 1], [SOURCE, REFUSED_SEQ, 'open', 1],
    ]);
    const bySeq = new Map(letters.map((d) => [d.seq, d]));
    expect(bySeq.get(LONG_KEY_SEQ)).toMatchObject({ code: '54000', error: expect.stringMatching(/index row size \d+ exceeds/) });
    expect(bySeq.get(ENDLESS_SEQ)).toMatchObject({ code: 'RangeError', error: 'Invalid time value' });
    expect(bySeq.get(REFUSED_SEQ)).toMatchObject({ code: 'P0001', error: `test trigger refuses trade ${REFUSED_UTI}` });
    expect(await counted('projection')).toBe(before + 3);
    expect(await openDeadLetterCounts(pool)).toEqual(new Map([['projection', 3]]));

    const metrics = createMetrics(undefined, () => openDeadLetterCounts(pool));
    const scraped = await metrics.registry.metrics();
    expect(scraped).toContain(`swaprep_dead_letters_total{follower="projection"} ${before + 3}`);
    expect(scraped).toContain('swaprep_dead_letters_open{follower="projection"} 3');

    const alerts = new AlertService(pool, []);
    const fired = (await new AlertMonitor(pool, alerts).runOnce()).filter((c) => c.rule === 'dead-letters');
    expect(fired).toEqual([expect.objectContaining({
      dedupKey: 'dead-letters:projection', severity: 'warning', detail: { follower: 'projection', events: 3 },
      title: expect.stringContaining('3 event(s) set aside by the projection follower'),
    })]);
    expect(fired[0]!.title).toContain('swaprep dead-letters list --follower projection');

    // The cause of one is fixed; a retry of it and of one whose cause is not: one resolved, one open again.
    await pool.query(`DROP TRIGGER refuse_trade ON trade_current`);
    expect(await requestRetry(pool, bySeq.get(REFUSED_SEQ)!.id)).toBe(1);
    expect(await requestRetry(pool, bySeq.get(REFUSED_SEQ)!.id)).toBe(0); // already waiting
    expect(await requestRetry(pool, bySeq.get(LONG_KEY_SEQ)!.id)).toBe(1);
    expect(await projector.retryDeadLetters()).toEqual({ resolved: 1, failed: 1 });
    const refused = await pool.query<{ trade_key: string; version: number; events: number }>(
      `SELECT trade_key, version, events FROM trade_current WHERE trade_key = $1`, [REFUSED_UTI]);
    expect(refused.rows).toEqual([{ trade_key: REFUSED_UTI, version: 1, events: 1 }]);
    const after = new Map((await listDeadLetters(pool, { follower: 'projection' })).map((d) => [d.seq, d]));
    expect(after.get(REFUSED_SEQ)).toMatchObject({ status: 'resolved', attempts: 1, resolvedAt: expect.any(String) });
    expect(after.get(LONG_KEY_SEQ)).toMatchObject({ status: 'open', attempts: 2, code: '54000' });
    expect(await counted('projection')).toBe(before + 4);
    expect(await openDeadLetterCounts(pool)).toEqual(new Map([['projection', 2]]));
    // Nothing left to retry; the alert follows the count.
    expect(await projector.retryDeadLetters()).toEqual({ resolved: 0, failed: 0 });
    const again = (await new AlertMonitor(pool, alerts).runOnce()).filter((c) => c.rule === 'dead-letters');
    expect(again.map((c) => c.detail)).toEqual([{ follower: 'projection', events: 2 }]);
  });

  it('the projector keeps going live (its loop), past a bad event that arrives later', async () => {
    const projector = new TradeProjector(pool, { batchSize: 16, idleMs: 10, retryEveryMs: 3_600_000 });
    let lag = -1;
    projector.onPass = (_events, l) => (lag = l);
    projector.start();
    try {
      const seq = EVENTS + 1;
      await pool.query(
        `INSERT INTO event_log (source_id, seq, received_at, trade_key, counterparty1, action_type, status, version, lifecycle, report)
         VALUES ($1, $2, now(), $3, $4, 'NEWT', 'rejected', NULL, NULL, '\\x00'), ($1, $2 + 1, now(), $5, $4, 'NEWT', 'accepted', 1, 'live', $6)`,
        [SOURCE, seq, 'K'.repeat(2) + randomBytes(4_000).toString('base64'), DEALER, uti(seq + 1), Buffer.from(encodeReport(tradeReport({ uti: uti(seq + 1) })))],
      );
      await pool.query(`UPDATE fep_source SET durable_seq = $2 WHERE source_id = $1`, [SOURCE, seq + 1]);
      const deadline = Date.now() + 20_000;
      for (;;) {
        const { rows } = await pool.query(`SELECT 1 FROM trade_current WHERE trade_key = $1`, [uti(seq + 1)]);
        if (rows.length > 0 && lag === 0) break;
        if (Date.now() > deadline) throw new Error('the projector did not get past the bad event');
        await new Promise((r) => setTimeout(r, 50));
      }
      const letters = await listDeadLetters(pool, { follower: 'projection', status: 'open' });
      expect(letters.map((d) => d.seq)).toEqual([LONG_KEY_SEQ, ENDLESS_SEQ, seq]);
    } finally {
      await projector.stop();
    }
  });

  it('a failure that is not the events\' (a server shutting down, class 57) sets nothing aside: the lag shows it until it clears', async () => {
    const source = 'fep-dl2';
    await pool.query(`INSERT INTO fep_source (source_id, token_hash, durable_seq) VALUES ($1, 'x', 5)`, [source]);
    for (let seq = 1; seq <= 5; seq++) {
      await pool.query(
        `INSERT INTO event_log (source_id, seq, received_at, trade_key, counterparty1, action_type, status, version, lifecycle, report)
         VALUES ($1, $2, now(), $3, $4, 'NEWT', 'accepted', 1, 'live', $5)`,
        [source, seq, `${uti(seq)}B`, DEALER, Buffer.from(encodeReport(tradeReport({ uti: `${uti(seq)}B` })))]);
    }
    await pool.query(`CREATE FUNCTION shut_down() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'terminating connection due to administrator command' USING ERRCODE = 'admin_shutdown'; END $$`);
    await pool.query(`CREATE TRIGGER shut_down BEFORE INSERT ON trade_current FOR EACH ROW EXECUTE FUNCTION shut_down()`);
    const letters = (await listDeadLetters(pool)).length;
    const projector = new TradeProjector(pool, { batchSize: 16, idleMs: 10, retryEveryMs: 3_600_000 });
    const lags: number[] = [];
    projector.onPass = (_events, lag) => lags.push(lag);
    for (let i = 0; i < 3; i++) await expect(projector.catchUp()).rejects.toMatchObject({ code: '57P01' });
    expect(lags).toEqual([5, 5, 5]);
    expect((await listDeadLetters(pool)).length).toBe(letters);
    await pool.query(`DROP TRIGGER shut_down ON trade_current`);
    expect(await projector.catchUp()).toBe(5);
    expect(lags.at(-1)).toBe(0);
    const { rows } = await pool.query(`SELECT 1 FROM trade_current WHERE source_id = $1`, [source]);
    expect(rows.length).toBe(5);
  });

  it('swaprep dead-letters lists them and asks for retries, naming an unknown id', async () => {
    const env = { DATABASE_URL: url };
    const list = await runCli(['dead-letters', 'list', '--follower', 'projection', '--status', 'open', '--json'], env);
    expect(list.code).toBe(0);
    const rows = jsonLines<DeadLetter>(list.stdout);
    expect(rows.map((d) => [d.follower, d.sourceId, d.seq, d.status])).toEqual([
      ['projection', SOURCE, LONG_KEY_SEQ, 'open'], ['projection', SOURCE, ENDLESS_SEQ, 'open'], ['projection', SOURCE, EVENTS + 1, 'open'],
    ]);
    expect(rows[0]!).toMatchObject({ code: '54000', attempts: 2, error: expect.stringMatching(/index row size/) });

    const table = await runCli(['dead-letters', 'list'], env);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+FOLLOWER\s+EVENT\s+STATUS\s+ATTEMPTS\s+UPDATED\s+CODE\s+ERROR$/);
    expect(table.stdout).toMatch(new RegExp(`${SOURCE}#${REFUSED_SEQ}\\s+resolved`));

    const unknown = await runCli(['dead-letters', 'retry', '999999'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('there is no dead letter 999999');
    const bad = await runCli(['dead-letters', 'retry', 'abc'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"abc" is not a dead letter ID');
    const badFollower = await runCli(['dead-letters', 'list', '--follower', 'nobody'], env);
    expect(badFollower.code).toBe(2);
    expect(badFollower.stderr).toContain('unknown follower "nobody"');

    const one = await runCli(['dead-letters', 'retry', String(rows[0]!.id)], env);
    expect(one).toMatchObject({ code: 0, stdout: `dead letter ${rows[0]!.id} set to retry\n` });
    const all = await runCli(['dead-letters', 'retry', '--all'], env);
    expect(all).toMatchObject({ code: 0, stdout: '2 dead letter(s) set to retry\n' });
    const resolvedId = (await listDeadLetters(pool, { status: 'resolved' }))[0]!.id;
    const resolved = await runCli(['dead-letters', 'retry', String(resolvedId)], env);
    expect(resolved.code).toBe(1);
    expect(resolved.stderr).toContain(`dead letter ${resolvedId} is resolved: nothing to retry`);
    expect((await listDeadLetters(pool, { status: 'retry' })).length).toBe(3);

    // The projector's next look: still refused, so open again with one attempt more.
    const projector = new TradeProjector(pool, { batchSize: 16, idleMs: 10, retryEveryMs: 3_600_000 });
    expect(await projector.retryDeadLetters()).toEqual({ resolved: 0, failed: 3 });
    expect((await listDeadLetters(pool, { status: 'open' })).map((d) => d.attempts)).toEqual([3, 2, 2]);
  });

  it('the scoring pipeline sets aside an unreadable record and a result the database refuses, and stores the rest', async () => {
    const before = await counted('scoring');
    const stored: EventResult[] = [];
    let failOnce = true;
    const sink = {
      write: async (results: readonly EventResult[]): Promise<void> => {
        if (failOnce) {
          failOnce = false;
          // A lost connection: retried, nothing set aside.
          throw Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01', severity: 'FATAL' });
        }
        if (results.some((r) => r.seq === 13)) {
          throw Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021', severity: 'ERROR' });
        }
        stored.push(...results);
      },
    };
    const pipeline = new ScoringPipeline({ maxBatch: 8, maxWaitMs: 1, maxInflightBatches: 1, maxQueued: 1_000 }, sink, {
      record: async (e, error) => {
        await recordDeadLetter(pool, { follower: 'scoring', sourceId: e.sourceId, seq: e.seq, error });
      },
    });
    const report = encodeReport(tradeReport({ uti: uti(1) }));
    const events: ScoringEvent[] = Array.from({ length: 40 }, (_, i) => ({
      sourceId: 'fep-score', seq: i + 1, report: i + 1 === 29 ? Uint8Array.from([0x0a, 0x7f, 0x01]) : report, receivedAtMs: Date.now(), tradeKey: uti(i + 1), version: 1,
    }));
    await pipeline.submitTracked(events, false);
    await pipeline.idle();
    pipeline.close();

    // No model here: every readable event is stored as not scored; 13 is refused and set aside; 29 cannot be read:
    // set aside, its not-scored row (with why) stored.
    expect(stored.map((r) => r.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1).filter((s) => s !== 13));
    expect(stored.find((r) => r.seq === 29)).toMatchObject({ status: 'not_scored', reason: expect.stringMatching(/^unreadable record: /) });
    const letters = await listDeadLetters(pool, { follower: 'scoring' });
    expect(letters.map((d) => [d.sourceId, d.seq, d.code])).toEqual([['fep-score', 29, 'Error'], ['fep-score', 13, '22021']]);
    expect(await counted('scoring')).toBe(before + 2);
    expect(pipeline.stats()).toMatchObject({ pending: 0, notScored: 40 });
  });
});
