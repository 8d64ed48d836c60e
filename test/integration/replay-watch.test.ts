import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { RunningEngine } from '../../engine/main.js';
import { startTestEngine } from '../support/engine.js';
import { jsonLines, runCli, startCli, waitFor, type CliRun } from '../support/cli.js';
import { writeFlowFile } from '../../loadtest/flow-files.js';

let engine: RunningEngine;
let db: pg.Pool;
const watchers: CliRun[] = [];

beforeAll(async () => {
  engine = await startTestEngine();
  db = new pg.Pool({ connectionString: engine.databaseUrl, max: 2 });
});
afterAll(async () => {
  for (const w of watchers) {
    if (w.child.exitCode === null) {
      w.child.kill('SIGKILL');
      await w.exited;
    }
  }
  await db?.end();
  await engine?.stop();
});

function startWatcher(dir: string, extra: string[] = []): CliRun {
  const w = startCli(['replay', '--watch', dir, '--to', `tcp://127.0.0.1:${engine.tcpPort}`, '--database-url', engine.databaseUrl, '--poll-ms', '50', '--json', '--quiet', ...extra]);
  watchers.push(w);
  return w;
}

async function storedFor(prefix: string): Promise<number> {
  const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM event_log WHERE source_id LIKE $1', [`file-${prefix}%`]);
  return Number(rows[0]!.n);
}

/** The lines of a synthetic flow file of `count` records. */
async function flowLines(count: number, seed: number): Promise<string[]> {
  const path = join(mkdtempSync(join(tmpdir(), 'swaprep-staging-')), 'flow.jsonl');
  await writeFlowFile(path, count, { seed });
  return readFileSync(path, 'utf8').split('\n').filter(Boolean);
}

/** Delivers a complete file the way rename mode asks: written under a temporary name, renamed into place. */
function deliver(dir: string, name: string, text: string): void {
  writeFileSync(join(dir, `.${name}.tmp`), text);
  renameSync(join(dir, `.${name}.tmp`), join(dir, name));
}

const summaryOf = (dir: string, kind: 'done' | 'failed', name: string) => JSON.parse(readFileSync(join(dir, kind, `${name}.summary.json`), 'utf8')) as Record<string, unknown>;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('swaprep replay --watch (--complete rename, the default)', () => {
  let dir: string;
  let watcher: CliRun;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'swaprep-watch-'));
    watcher = startWatcher(dir);
  });

  it('takes a file renamed into the directory while the engine runs, and moves it to done/ with its summary', async () => {
    deliver(dir, 'trades.jsonl', (await flowLines(800, 31)).join('\n') + '\n');
    await waitFor('done/trades.jsonl.summary.json', () => existsSync(join(dir, 'done', 'trades.jsonl.summary.json')));
    expect(existsSync(join(dir, 'trades.jsonl'))).toBe(false);
    expect(existsSync(join(dir, 'done', 'trades.jsonl'))).toBe(true);
    expect(summaryOf(dir, 'done', 'trades.jsonl')).toMatchObject({ records: 800, duplicates: 0, movedTo: join(dir, 'done', 'trades.jsonl') });
    expect(await storedFor('trades.jsonl-')).toBe(800);
    expect(jsonLines(watcher.stdout()).some((s) => s.records === 800)).toBe(true);
  }, 60_000);

  it('never takes a file written slowly under a temporary name, however long it pauses, and takes it whole once renamed', async () => {
    const lines = await flowLines(300, 32);
    // A slow copy: the first half, then a pause longer than the second the old rule waited for.
    writeFileSync(join(dir, 'slow.jsonl.part'), lines.slice(0, 150).join('\n') + '\n');
    writeFileSync(join(dir, '.slow-hidden.jsonl'), lines.slice(0, 10).join('\n') + '\n');
    await pause(1200);
    // A file renamed in now is taken two looks later: the watcher has looked at the partial one since, twice.
    deliver(dir, 'barrier.jsonl', (await flowLines(5, 33)).join('\n') + '\n');
    await waitFor('done/barrier.jsonl.summary.json', () => existsSync(join(dir, 'done', 'barrier.jsonl.summary.json')));
    expect(existsSync(join(dir, 'slow.jsonl.part'))).toBe(true);
    expect(readdirSync(join(dir, 'done')).filter((n) => n.includes('slow'))).toEqual([]);
    expect(await storedFor('slow')).toBe(0);
    expect(await storedFor('.slow')).toBe(0);

    appendFileSync(join(dir, 'slow.jsonl.part'), lines.slice(150).join('\n') + '\n');
    renameSync(join(dir, 'slow.jsonl.part'), join(dir, 'slow.jsonl'));
    await waitFor('done/slow.jsonl.summary.json', () => existsSync(join(dir, 'done', 'slow.jsonl.summary.json')));
    expect(summaryOf(dir, 'done', 'slow.jsonl')).toMatchObject({ records: 300, rejectedByReader: 0 });
    // Stored once, whole, as the renamed file's source: nothing of the partial file was replayed on its own.
    expect(await storedFor('slow')).toBe(300);
    expect(existsSync(join(dir, '.slow-hidden.jsonl'))).toBe(true);
    expect(await storedFor('.slow')).toBe(0);
  }, 60_000);

  it('moves a file that cannot be read as records to failed/, with the reason', async () => {
    deliver(dir, 'bad.csv', 'actionType,not.a.field\nNEWT,1\n');
    await waitFor('failed/bad.csv.summary.json', () => existsSync(join(dir, 'failed', 'bad.csv.summary.json')));
    expect((summaryOf(dir, 'failed', 'bad.csv') as { error: string }).error).toMatch(/CSV header: column 2 "not.a.field": no field "not"/);
    // Outputs are never taken as inputs; the hidden file is still there, untaken.
    expect(readdirSync(dir).sort()).toEqual(['.slow-hidden.jsonl', 'done', 'failed']);
  }, 60_000);

  it('stops on SIGTERM', async () => {
    watcher.child.kill('SIGTERM');
    expect(await watcher.exited).toBe(0);
  }, 30_000);
});

describe('swaprep replay --watch --complete marker', () => {
  let dir: string;
  let watcher: CliRun;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'swaprep-watch-marker-'));
    watcher = startWatcher(dir, ['--complete', 'marker']);
  });

  it('takes a file written in place only once its marker appears, whole, and moves the marker with it', async () => {
    const lines = await flowLines(300, 34);
    writeFileSync(join(dir, 'desk.jsonl'), lines.slice(0, 150).join('\n') + '\n');
    await pause(1200);
    // Another file with its marker is taken on the next look: by then the unmarked one was looked at and left.
    writeFileSync(join(dir, 'barrier.jsonl'), (await flowLines(5, 35)).join('\n') + '\n');
    writeFileSync(join(dir, 'barrier.jsonl.ready'), '');
    await waitFor('done/barrier.jsonl.summary.json', () => existsSync(join(dir, 'done', 'barrier.jsonl.summary.json')));
    expect(existsSync(join(dir, 'desk.jsonl'))).toBe(true);
    expect(await storedFor('desk')).toBe(0);

    appendFileSync(join(dir, 'desk.jsonl'), lines.slice(150).join('\n') + '\n');
    writeFileSync(join(dir, 'desk.jsonl.ready'), '');
    await waitFor('done/desk.jsonl.summary.json', () => existsSync(join(dir, 'done', 'desk.jsonl.summary.json')));
    expect(summaryOf(dir, 'done', 'desk.jsonl')).toMatchObject({ records: 300, rejectedByReader: 0 });
    expect(await storedFor('desk')).toBe(300);
    expect(existsSync(join(dir, 'done', 'desk.jsonl.ready'))).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['done', 'failed']);
  }, 60_000);

  it('stops on SIGTERM', async () => {
    watcher.child.kill('SIGTERM');
    expect(await watcher.exited).toBe(0);
  }, 30_000);
});

describe('swaprep replay --watch options', () => {
  it('says why --stable-ms is gone, and refuses a marker suffix that could not work', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'swaprep-watch-opts-'));
    const stable = await runCli(['replay', '--watch', dir, '--stable-ms', '400']);
    expect(stable.code).toBe(2);
    expect(stable.stderr).toMatch(/--stable-ms is no longer an option: a file unchanged for a while may be a stalled copy/);
    const suffix = await runCli(['replay', '--watch', dir, '--complete', 'marker', '--marker-suffix', '.csv']);
    expect(suffix.code).toBe(2);
    expect(suffix.stderr).toMatch(/--marker-suffix "\.csv": a marker must not end like a record file/);
    const rule = await runCli(['replay', '--watch', dir, '--complete', 'quiet']);
    expect(rule.code).toBe(2);
    expect(rule.stderr).toMatch(/--complete quiet: expected rename or marker/);
  }, 60_000);
});
