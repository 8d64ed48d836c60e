import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { isTemporaryName, markerSuffixProblem, watchDirectory, WatchSettingError, type WatchOptions, type WatchOutcome } from '../../engine/ingest/files/watch.js';
import { waitFor } from '../support/cli.js';

/** A watcher on a fresh directory whose `handle` records what it was given (name and size when taken). */
function startWatch(opts: Partial<WatchOptions> = {}, onHandle?: (name: string) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'swaprep-watch-unit-'));
  const controller = new AbortController();
  const handled: { name: string; size: number }[] = [];
  const logs: string[] = [];
  const done = watchDirectory(dir, {
    pollMs: 20,
    ...opts,
    signal: controller.signal,
    log: (line) => logs.push(line),
    handle: async (path): Promise<WatchOutcome> => {
      const name = basename(path);
      handled.push({ name, size: statSync(path).size });
      onHandle?.(name);
      return { kind: 'done', summary: { file: path } };
    },
  });
  const taken = (name: string) => handled.some((h) => h.name === name);
  const stop = async () => {
    controller.abort();
    await done;
  };
  stops.push(stop);
  return { dir, handled, logs, taken, stop, done };
}

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

/** Puts a complete file into `dir` the way rename mode asks: written under a temporary name, then renamed. */
function deliver(dir: string, name: string, text: string) {
  writeFileSync(join(dir, `.${name}.tmp`), text);
  renameSync(join(dir, `.${name}.tmp`), join(dir, name));
}

describe('watchDirectory, rename rule', () => {
  it('never takes temporary names, and takes a file renamed from one whole', async () => {
    const w = startWatch();
    const temporary = ['.hidden.jsonl', 'a.jsonl.tmp', 'b.jsonl.part', 'c.jsonl.partial', 'd.jsonl.filepart', 'e.jsonl~'];
    for (const name of temporary) writeFileSync(join(w.dir, name), '{}\n');
    writeFileSync(join(w.dir, 'slow.jsonl.part'), '{"n":1}\n');
    // A file renamed in after them is taken two looks later: by then every temporary file was looked at twice.
    deliver(w.dir, 'barrier.jsonl', '{}\n');
    await waitFor('barrier.jsonl taken', () => w.taken('barrier.jsonl'));
    appendFileSync(join(w.dir, 'slow.jsonl.part'), '{"n":2}\n');
    renameSync(join(w.dir, 'slow.jsonl.part'), join(w.dir, 'slow.jsonl'));
    await waitFor('slow.jsonl taken', () => w.taken('slow.jsonl'));
    expect(w.handled.map((h) => h.name).sort()).toEqual(['barrier.jsonl', 'slow.jsonl']);
    expect(w.handled.find((h) => h.name === 'slow.jsonl')!.size).toBe(16);
    expect(readdirSync(w.dir).filter((n) => temporary.includes(n)).sort()).toEqual([...temporary].sort());
    expect(readFileSync(join(w.dir, 'done', 'slow.jsonl'), 'utf8')).toBe('{"n":1}\n{"n":2}\n');
  });

  it('leaves a file seen growing under its final name, and takes it once renamed to a new name', async () => {
    // The first file of a pass grows the second one while it is handled: the watcher sees it change between looks.
    let w: ReturnType<typeof startWatch>;
    w = startWatch({}, (name) => {
      if (name === 'a-first.jsonl') appendFileSync(join(w.dir, 'inplace.jsonl'), '{"part":2}\n');
    });
    writeFileSync(join(w.dir, 'inplace.jsonl'), '{"part":1}\n');
    deliver(w.dir, 'a-first.jsonl', '{}\n');
    await waitFor('the in-place warning', () => w.logs.some((l) => l.startsWith('inplace.jsonl: is being written in place')));
    // Quiet now, and still not taken: two more files renamed in and taken after it stopped growing.
    deliver(w.dir, 'b-barrier.jsonl', '{}\n');
    await waitFor('b-barrier.jsonl taken', () => w.taken('b-barrier.jsonl'));
    deliver(w.dir, 'c-barrier.jsonl', '{}\n');
    await waitFor('c-barrier.jsonl taken', () => w.taken('c-barrier.jsonl'));
    expect(w.taken('inplace.jsonl')).toBe(false);
    expect(existsSync(join(w.dir, 'inplace.jsonl'))).toBe(true);
    renameSync(join(w.dir, 'inplace.jsonl'), join(w.dir, 'inplace-complete.jsonl'));
    await waitFor('inplace-complete.jsonl taken', () => w.taken('inplace-complete.jsonl'));
    expect(w.handled.find((h) => h.name === 'inplace-complete.jsonl')!.size).toBe(22);
    expect(w.logs.filter((l) => l.includes('written in place'))).toHaveLength(1);
  });

  it('moves a file that changed while it was replayed to failed/, with the reason', async () => {
    let w: ReturnType<typeof startWatch>;
    w = startWatch({}, (name) => appendFileSync(join(w.dir, name), '{"late":true}\n'));
    deliver(w.dir, 'grows.jsonl', '{}\n');
    await waitFor('failed/grows.jsonl.summary.json', () => existsSync(join(w.dir, 'failed', 'grows.jsonl.summary.json')));
    const summary = JSON.parse(readFileSync(join(w.dir, 'failed', 'grows.jsonl.summary.json'), 'utf8')) as { error: string };
    expect(summary.error).toMatch(/grows\.jsonl changed while it was replayed \(it was not complete: 3 bytes then, 17 now\)/);
    expect(existsSync(join(w.dir, 'done', 'grows.jsonl'))).toBe(false);
  });
});

describe('watchDirectory, marker rule', () => {
  it('takes a file only once its marker is there, and moves the marker with it', async () => {
    const w = startWatch({ complete: 'marker' });
    writeFileSync(join(w.dir, 'm.jsonl'), '{"part":1}\n');
    writeFileSync(join(w.dir, 'barrier.jsonl'), '{}\n');
    writeFileSync(join(w.dir, 'barrier.jsonl.ready'), '');
    await waitFor('barrier.jsonl taken', () => w.taken('barrier.jsonl'));
    expect(w.taken('m.jsonl')).toBe(false);
    appendFileSync(join(w.dir, 'm.jsonl'), '{"part":2}\n');
    writeFileSync(join(w.dir, 'm.jsonl.ready'), '');
    await waitFor('done/m.jsonl.summary.json', () => existsSync(join(w.dir, 'done', 'm.jsonl.summary.json')));
    expect(w.handled.find((h) => h.name === 'm.jsonl')!.size).toBe(22);
    expect(existsSync(join(w.dir, 'done', 'm.jsonl.ready'))).toBe(true);
    expect(readdirSync(w.dir).sort()).toEqual(['done', 'failed']);
  });

  it('ignores a marker older than its file until the marker is written again', async () => {
    const w = startWatch({ complete: 'marker', markerSuffix: '.done' });
    writeFileSync(join(w.dir, 's.csv'), 'actionType\nNEWT\n');
    writeFileSync(join(w.dir, 's.csv.done'), '');
    // The marker was written, then the file changed (an earlier day's marker, or a writer that marks first).
    const past = new Date(Date.now() - 60_000);
    utimesSync(join(w.dir, 's.csv.done'), past, past);
    await waitFor('the stale-marker note', () => w.logs.some((l) => l.startsWith('s.csv: changed after its marker s.csv.done')));
    expect(w.taken('s.csv')).toBe(false);
    writeFileSync(join(w.dir, 's.csv.done'), '');
    await waitFor('s.csv taken', () => w.taken('s.csv'));
    expect(existsSync(join(w.dir, 'done', 's.csv.done'))).toBe(true);
  });

  it('refuses a marker suffix that could not work', async () => {
    expect(markerSuffixProblem('.ready')).toBeUndefined();
    expect(markerSuffixProblem('.done')).toBeUndefined();
    expect(markerSuffixProblem('ready')).toMatch(/expected a suffix such as \.ready/);
    expect(markerSuffixProblem('.json')).toMatch(/must not end like a record file/);
    expect(markerSuffixProblem('.tmp')).toMatch(/marks a temporary file/);
    const controller = new AbortController();
    const dir = mkdtempSync(join(tmpdir(), 'swaprep-watch-unit-'));
    const attempt = watchDirectory(dir, { complete: 'marker', markerSuffix: '.csv', signal: controller.signal, handle: async () => ({ kind: 'retry', error: 'x' }), log: () => {} });
    await expect(attempt).rejects.toBeInstanceOf(WatchSettingError);
    expect(isTemporaryName('.x.csv')).toBe(true);
    expect(isTemporaryName('x.csv.filepart')).toBe(true);
    expect(isTemporaryName('x.csv')).toBe(false);
  });
});
