import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createTestDatabase } from '../support/database.js';
import { jsonLines, runCli } from '../support/cli.js';
import { startTestEngine, submissionSettings } from '../support/engine.js';
import type { FileSummary } from '../../engine/ingest/files/replay-file.js';

const CORPUS = join(process.cwd(), 'test', 'fixtures', 'drr-6.10', 'cftc-part45');
let databaseUrl: string;
let db: pg.Pool;
let dir: string;

beforeAll(async () => {
  databaseUrl = await createTestDatabase('replay');
  db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  // A copy: replay writes rejects files beside its inputs.
  dir = mkdtempSync(join(tmpdir(), 'swaprep-replay-corpus-'));
  cpSync(CORPUS, join(dir, 'cftc-part45'), { recursive: true });
});
afterAll(async () => {
  await db?.end();
});

async function stored(): Promise<{ events: number; sources: number }> {
  const { rows } = await db.query<{ events: string; sources: string }>(`SELECT count(*) AS events, count(DISTINCT source_id) AS sources FROM event_log WHERE source_id LIKE 'file-%'`);
  return { events: Number(rows[0]!.events), sources: Number(rows[0]!.sources) };
}

describe('swaprep replay (in-process engine)', () => {
  it('replays every file of the Part 45 corpus, and a second replay stores nothing new', async () => {
    const first = await runCli(['replay', join(dir, 'cftc-part45'), '--json', '--quiet', '--workers', '1'], { DATABASE_URL: databaseUrl });
    expect(first.stderr).not.toMatch(/FAILED|Error/);
    expect(first.code).toBe(0);
    const summaries = jsonLines<FileSummary>(first.stdout);
    expect(summaries.length).toBe(209);
    for (const s of summaries) {
      expect(s.records).toBe(1);
      expect(s.accepted + s.rejected).toBe(1);
      expect(s.duplicates).toBe(0);
    }
    expect(await stored()).toEqual({ events: 209, sources: 209 });

    const second = await runCli(['replay', join(dir, 'cftc-part45'), '--json', '--quiet', '--workers', '0'], { DATABASE_URL: databaseUrl });
    expect(second.code).toBe(0);
    const again = jsonLines<FileSummary>(second.stdout);
    expect(again.length).toBe(209);
    for (const s of again) expect([s.duplicates, s.accepted, s.resumedAfter]).toEqual([1, 0, 1]);
    expect(await stored()).toEqual({ events: 209, sources: 209 });
  }, 120_000);

  it('leaves submissions and the console projection to the engine, which takes them up from the event log', async () => {
    const count = async (sql: string) => Number((await db.query<{ n: string }>(sql)).rows[0]!.n);
    // The replays above loaded the log only.
    expect(await count(`SELECT count(*) AS n FROM submission WHERE source_id LIKE 'file-%'`)).toBe(0);
    expect(await count(`SELECT count(*) AS n FROM trade_current WHERE source_id LIKE 'file-%'`)).toBe(0);
    const engine = await startTestEngine({ databaseUrl, submission: submissionSettings({}) });
    try {
      // Every file source's events are taken up by both followers: their cursors reach the source's durable seq.
      const behind = (cursorTable: string) =>
        count(`SELECT count(*) AS n FROM fep_source f LEFT JOIN ${cursorTable} c USING (source_id)
                WHERE f.source_id LIKE 'file-%' AND COALESCE(c.seq, 0) < f.durable_seq`);
      for (let i = 0; (await behind('submission_cursor')) + (await behind('trade_projection_cursor')) > 0; i++) {
        if (i > 200) throw new Error('the engine did not take up the replayed events');
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(await count(`SELECT count(*) AS n FROM fep_source WHERE source_id LIKE 'file-%'`)).toBe(209);
      // The corpus's records all fail this rulebook (LEI check digits, among others): each rejected event gets its
      // validation exception from the submission path, and its trade a row in the console's projection (some corpus
      // files are versions of one trade).
      expect(await count(`SELECT count(*) AS n FROM event_log WHERE source_id LIKE 'file-%' AND status = 'rejected'`)).toBe(209);
      expect(await count(`SELECT count(*) AS n FROM exception WHERE kind = 'validation' AND source_id LIKE 'file-%'`)).toBe(209);
      const trades = await count(`SELECT count(DISTINCT (trade_key, COALESCE(counterparty1, ''))) AS n FROM event_log WHERE source_id LIKE 'file-%' AND trade_key IS NOT NULL`);
      expect(trades).toBeGreaterThan(100);
      expect(await count(`SELECT count(*) AS n FROM trade_current WHERE source_id LIKE 'file-%'`)).toBe(trades);
    } finally {
      await engine.stop();
    }
  }, 60_000);

  it('counts bad lines as rejected records and names them in the rejects file beside the input', async () => {
    const good = readFileSync(join(CORPUS, 'rates', 'IR-IRS-Fixed-Float-ex01.json'), 'utf8');
    const one = (uti: string) => JSON.stringify({ ...(JSON.parse(good) as object), uniqueTransactionIdentifier: uti });
    const path = join(dir, 'mixed.jsonl');
    writeFileSync(path, [one('5493001RKR55V4X61F71MIXED1'), '{"actionType": "NEWT",', '', one('5493001RKR55V4X61F71MIXED2'), '{"actionType":"NEWT","leg1":{"notionalAmount":"x","bogus":1}}'].join('\n') + '\n');
    const r = await runCli(['replay', path, '--json', '--quiet'], { DATABASE_URL: databaseUrl });
    expect(r.code).toBe(0);
    const [s] = jsonLines<FileSummary>(r.stdout);
    expect(s).toMatchObject({ records: 4, rejectedByReader: 2, duplicates: 0, rejectsFile: `${path}.rejects.csv` });
    expect(s!.accepted + s!.rejected).toBe(4);
    const rows = readFileSync(`${path}.rejects.csv`, 'utf8').trim().split('\n');
    expect(rows[0]).toBe('line,seq,rule,element,severity,path,message');
    expect(rows.filter((l) => l.startsWith('2,,FILE-SYNTAX,,error,,'))).toHaveLength(1);
    expect(rows.filter((l) => l.startsWith('5,,FILE-SCHEMA,,error,leg1.bogus,'))).toHaveLength(1);
    // Engine rejections (if any) carry their seq: record 1 is line 1, record 2 is line 4.
    for (const row of rows.slice(1).filter((l) => !l.includes(',FILE-'))) expect(row).toMatch(/^(1,1|4,2),/);

    // The same file again: nothing sent, the bad lines still reported, the engine's rows kept.
    const again = await runCli(['replay', path, '--json', '--quiet'], { DATABASE_URL: databaseUrl });
    const [s2] = jsonLines<FileSummary>(again.stdout);
    expect(s2).toMatchObject({ records: 4, duplicates: 2, accepted: 0, rejectedByReader: 2 });
    expect(readFileSync(`${path}.rejects.csv`, 'utf8').trim().split('\n').sort()).toEqual(rows.sort());
  }, 60_000);

  it('fails a file that cannot be read as records, and goes on with the others', async () => {
    const bad = join(dir, 'bad-header.csv');
    writeFileSync(bad, 'actionType,leg1.nope\nNEWT,1\n');
    const r = await runCli(['replay', bad, join(dir, 'mixed.jsonl'), '--quiet'], { DATABASE_URL: databaseUrl });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/bad-header\.csv: FAILED: .*bad-header\.csv:1: CSV header: column 2 "leg1.nope": no field "nope"/);
    expect(r.stdout).toMatch(/mixed\.jsonl: 4 records/);
    expect(existsSync(`${bad}.rejects.csv`)).toBe(false);
  }, 60_000);

  it('writes rejects files under --rejects-dir instead of beside read-only inputs', async () => {
    const out = mkdtempSync(join(tmpdir(), 'swaprep-rejects-'));
    const r = await runCli(['replay', join(CORPUS, 'fx'), '--rejects-dir', out, '--json', '--quiet'], { DATABASE_URL: databaseUrl });
    expect(r.code).toBe(0);
    const summaries = jsonLines<FileSummary>(r.stdout);
    expect(summaries.length).toBe(25);
    for (const s of summaries) {
      if (s.rejectsFile) expect(s.rejectsFile.startsWith(out)).toBe(true);
    }
    expect(readdirSync(join(CORPUS, 'fx')).filter((n) => n.endsWith('.rejects.csv'))).toEqual([]);
    expect(readdirSync(out).every((n) => n.endsWith('.rejects.csv'))).toBe(true);
  }, 60_000);
});
