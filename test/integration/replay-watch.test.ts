import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { RunningEngine } from '../../engine/main.js';
import { startTestEngine } from '../support/engine.js';
import { jsonLines, startCli, waitFor, type CliRun } from '../support/cli.js';
import { writeFlowFile } from '../../loadtest/flow-files.js';

let engine: RunningEngine;
let db: pg.Pool;
let dir: string;
let watcher: CliRun;

beforeAll(async () => {
  engine = await startTestEngine();
  db = new pg.Pool({ connectionString: engine.databaseUrl, max: 2 });
  dir = mkdtempSync(join(tmpdir(), 'swaprep-watch-'));
  watcher = startCli(['replay', '--watch', dir, '--to', `tcp://127.0.0.1:${engine.tcpPort}`, '--database-url', engine.databaseUrl, '--stable-ms', '400', '--poll-ms', '50', '--json', '--quiet']);
});
afterAll(async () => {
  if (watcher && watcher.child.exitCode === null) {
    watcher.child.kill('SIGKILL');
    await watcher.exited;
  }
  await db?.end();
  await engine?.stop();
});

async function storedFor(prefix: string): Promise<number> {
  const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM event_log WHERE source_id LIKE $1', [`file-${prefix}%`]);
  return Number(rows[0]!.n);
}

describe('swaprep replay --watch', () => {
  it('takes a file renamed into the directory while the engine runs, and moves it to done/ with its summary', async () => {
    const staging = mkdtempSync(join(tmpdir(), 'swaprep-staging-'));
    await writeFlowFile(join(staging, 'trades.jsonl'), 800, { seed: 31 });
    // Written under a temporary name in the watched directory, then renamed: never taken half-written.
    const tmp = join(dir, '.trades.jsonl.tmp');
    writeFileSync(tmp, readFileSync(join(staging, 'trades.jsonl')));
    renameSync(tmp, join(dir, 'trades.jsonl'));
    await waitFor('done/trades.jsonl.summary.json', () => existsSync(join(dir, 'done', 'trades.jsonl.summary.json')));
    expect(existsSync(join(dir, 'trades.jsonl'))).toBe(false);
    expect(existsSync(join(dir, 'done', 'trades.jsonl'))).toBe(true);
    const summary = JSON.parse(readFileSync(join(dir, 'done', 'trades.jsonl.summary.json'), 'utf8')) as Record<string, unknown>;
    expect(summary).toMatchObject({ records: 800, duplicates: 0, movedTo: join(dir, 'done', 'trades.jsonl') });
    expect(await storedFor('trades.jsonl-')).toBe(800);
    expect(jsonLines(watcher.stdout()).some((s) => s.records === 800)).toBe(true);
  }, 60_000);

  it('waits until a file written in place has been stable, and reads all of it', async () => {
    const staging = mkdtempSync(join(tmpdir(), 'swaprep-staging-'));
    await writeFlowFile(join(staging, 'slow.jsonl'), 300, { seed: 32 });
    const lines = readFileSync(join(staging, 'slow.jsonl'), 'utf8').split('\n').filter(Boolean);
    const target = join(dir, 'slow.jsonl');
    // Appended in three parts 150 ms apart: each write restarts the stability clock.
    for (let part = 0; part < 3; part++) {
      appendFileSync(target, lines.slice(part * 100, (part + 1) * 100).join('\n') + '\n');
      await new Promise((r) => setTimeout(r, 150));
      expect(existsSync(join(dir, 'done', 'slow.jsonl'))).toBe(false);
    }
    await waitFor('done/slow.jsonl', () => existsSync(join(dir, 'done', 'slow.jsonl.summary.json')));
    expect(JSON.parse(readFileSync(join(dir, 'done', 'slow.jsonl.summary.json'), 'utf8'))).toMatchObject({ records: 300 });
    expect(await storedFor('slow.jsonl-')).toBe(300);
  }, 60_000);

  it('moves a file that cannot be read as records to failed/, with the reason', async () => {
    writeFileSync(join(dir, 'bad.csv'), 'actionType,not.a.field\nNEWT,1\n');
    await waitFor('failed/bad.csv.summary.json', () => existsSync(join(dir, 'failed', 'bad.csv.summary.json')));
    const summary = JSON.parse(readFileSync(join(dir, 'failed', 'bad.csv.summary.json'), 'utf8')) as { error: string };
    expect(summary.error).toMatch(/CSV header: column 2 "not.a.field": no field "not"/);
    // Outputs are never taken as inputs.
    expect(readdirSync(dir).sort()).toEqual(['done', 'failed']);
  }, 60_000);

  it('stops on SIGTERM', async () => {
    watcher.child.kill('SIGTERM');
    expect(await watcher.exited).toBe(0);
  }, 30_000);
});
