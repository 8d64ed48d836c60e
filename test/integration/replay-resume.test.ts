import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { RunningEngine } from '../../engine/main.js';
import { startTestEngine } from '../support/engine.js';
import { jsonLines, runCli, startCli, waitFor } from '../support/cli.js';
import { writeFlowFile } from '../../loadtest/flow-files.js';
import { fileSourceId } from '../../engine/ingest/files/file-source.js';
import type { FileSummary } from '../../engine/ingest/files/replay-file.js';

const LINES = 8_000;
let engine: RunningEngine;
let db: pg.Pool;
let path: string;
let badLines: number;

beforeAll(async () => {
  engine = await startTestEngine();
  db = new pg.Pool({ connectionString: engine.databaseUrl, max: 2 });
  path = join(mkdtempSync(join(tmpdir(), 'swaprep-resume-')), 'flow.jsonl');
  await writeFlowFile(path, LINES, { seed: 21, invalidRate: 0.01, anomalyRate: 0.01 });
  // A few lines that do not parse, at the end (appended lines do not move the source id's 64 KiB head).
  appendFileSync(path, '{"broken": \n\nnot json at all\n');
  badLines = 2;
});
afterAll(async () => {
  await db?.end();
  await engine?.stop();
});

async function stored(sourceId: string): Promise<{ n: number; min: number; max: number }> {
  const { rows } = await db.query<{ n: string; min: string; max: string }>('SELECT count(*) AS n, min(seq) AS min, max(seq) AS max FROM event_log WHERE source_id = $1', [sourceId]);
  return { n: Number(rows[0]!.n), min: Number(rows[0]!.min), max: Number(rows[0]!.max) };
}

describe('swaprep replay --to', () => {
  it('resumes after being killed midway: the rest is sent, nothing is stored twice', async () => {
    const to = `tcp://127.0.0.1:${engine.tcpPort}`;
    const sourceId = fileSourceId(path);
    // Slowed down (8 s for the file) so that the kill lands midway.
    const run = startCli(['replay', path, '--to', to, '--database-url', engine.databaseUrl, '--rate', '1000', '--json', '--quiet']);
    await waitFor('the first acknowledged records', async () => (await stored(sourceId)).n >= 1000, 30_000, 20);
    run.child.kill('SIGKILL');
    await run.exited;
    const partial = await stored(sourceId);
    expect(partial.n).toBeLessThan(LINES);
    const rerun = await runCli(['replay', path, '--to', to, '--database-url', engine.databaseUrl, '--json', '--quiet']);
    expect(rerun.code).toBe(0);
    const [s] = jsonLines<FileSummary>(rerun.stdout);
    // The engine still makes durable what it had read from the dead connection, so the watermark may be
    // past what was stored at the kill; Welcome waits for it, and the rerun resumes right after it.
    expect(s!.resumedAfter).toBeGreaterThanOrEqual(partial.n);
    expect(s!.resumedAfter).toBeLessThan(LINES);
    expect(s!.records).toBe(LINES + badLines);
    expect(s!.duplicates).toBe(s!.resumedAfter);
    expect(s!.accepted + s!.rejected - s!.rejectedByReader).toBe(LINES - s!.resumedAfter);
    expect(s!.rejectedByReader).toBe(badLines);
    // Every record stored exactly once, seqs 1..N without a gap.
    expect(await stored(sourceId)).toEqual({ n: LINES, min: 1, max: LINES });
    const rejects = readFileSync(`${path}.rejects.csv`, 'utf8').trim().split('\n');
    expect(rejects.filter((l) => l.includes(',FILE-SYNTAX,'))).toHaveLength(badLines);

    // And once more: all duplicates.
    const third = await runCli(['replay', path, '--to', to, '--database-url', engine.databaseUrl, '--json', '--quiet']);
    const [s3] = jsonLines<FileSummary>(third.stdout);
    expect(s3).toMatchObject({ records: LINES + badLines, duplicates: LINES, accepted: 0, resumedAfter: LINES });
    expect(await stored(sourceId)).toEqual({ n: LINES, min: 1, max: LINES });
  }, 120_000);

  it('stops cleanly on SIGINT: what was sent is acknowledged and summarised, a rerun completes', async () => {
    const p2 = join(mkdtempSync(join(tmpdir(), 'swaprep-resume-')), 'flow2.jsonl');
    await writeFlowFile(p2, 6000, { seed: 22 }); // 12 s at --rate 500: SIGINT lands midway
    const sourceId = fileSourceId(p2);
    const to = `tcp://127.0.0.1:${engine.tcpPort}`;
    const run = startCli(['replay', p2, '--to', to, '--database-url', engine.databaseUrl, '--rate', '500', '--json', '--quiet']);
    await waitFor('some records stored', async () => (await stored(sourceId)).n >= 300, 30_000, 20);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(130);
    const [s] = jsonLines<FileSummary>(run.stdout());
    expect(s!.interrupted).toBe(true);
    expect(s!.unconfirmed).toBe(0);
    expect(await stored(sourceId)).toMatchObject({ n: s!.accepted + s!.rejected, min: 1 });
    const rerun = await runCli(['replay', p2, '--to', to, '--database-url', engine.databaseUrl, '--json', '--quiet']);
    const [s2] = jsonLines<FileSummary>(rerun.stdout);
    expect(s2!.duplicates).toBe(s!.accepted + s!.rejected);
    expect(await stored(sourceId)).toEqual({ n: 6000, min: 1, max: 6000 });
  }, 120_000);

  it('replays over gRPC as well, as a named source', async () => {
    const p3 = join(mkdtempSync(join(tmpdir(), 'swaprep-resume-')), 'flow3.csv');
    await writeFlowFile(p3, 500, { seed: 23 });
    const { upsertSource } = await import('../../engine/store/sources.js');
    await upsertSource(db, 'grpc-replay', 'grpc-token');
    const r = await runCli(['replay', p3, '--to', `grpc://127.0.0.1:${engine.grpcPort}`, '--source', 'grpc-replay', '--token', 'grpc-token', '--json', '--quiet']);
    expect(r.code).toBe(0);
    const [s] = jsonLines<FileSummary>(r.stdout);
    expect(s).toMatchObject({ sourceId: 'grpc-replay', records: 500, duplicates: 0 });
    expect(await stored('grpc-replay')).toEqual({ n: 500, min: 1, max: 500 });
  }, 60_000);
});
