import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileSourceId } from '../../engine/ingest/files/file-source.js';
import { parseTarget } from '../../engine/ingest/files/fep-link.js';
import { progressLine, formatSeconds } from '../../engine/ingest/files/progress.js';
import { RejectsFile } from '../../engine/ingest/files/rejects-file.js';
import { isRecordFile } from '../../engine/ingest/files/format.js';
import { parseDuration } from '../../engine/cli/loadtest.js';

const dir = () => mkdtempSync(join(tmpdir(), 'swaprep-parts-'));

describe('file source ids', () => {
  it('are stable for the same file and differ for another file under the same name', () => {
    const d = dir();
    const p = join(d, 'trades 2024.jsonl');
    writeFileSync(p, '{"a":1}\n');
    const id = fileSourceId(p);
    expect(id).toMatch(/^file-trades_2024\.jsonl-[0-9a-f]{10}$/);
    expect(fileSourceId(p)).toBe(id);
    writeFileSync(p, '{"a":2}\n');
    expect(fileSourceId(p)).not.toBe(id);
    const long = join(d, `${'x'.repeat(100)}.csv`);
    writeFileSync(long, '');
    expect(fileSourceId(long).length).toBeLessThanOrEqual(64);
  });
});

describe('replay helpers', () => {
  it('parse FEP targets and durations, and name what is wrong', () => {
    expect(parseTarget('tcp://127.0.0.1:7400')).toEqual({ transport: 'tcp', host: '127.0.0.1', port: 7400 });
    expect(parseTarget('grpc://[::1]:7401')).toEqual({ transport: 'grpc', host: '::1', port: 7401 });
    expect(() => parseTarget('http://x:1')).toThrow(/expected tcp:\/\/HOST:PORT/);
    expect(() => parseTarget('tcp://x:99999')).toThrow();
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1.5')).toBe(1500);
    expect(() => parseDuration('soon')).toThrow(/not a duration/);
  });

  it('describe progress with rate and ETA', () => {
    expect(progressLine({ file: 'f.jsonl', bytesRead: 50, totalBytes: 100, records: 5000, startedAtMs: 0 }, 1000)).toBe('[##########----------]  50% 5,000 records 5,000/s ETA 1s f.jsonl');
    expect(formatSeconds(3725)).toBe('1h02m');
    expect(formatSeconds(75)).toBe('1m15s');
  });

  it('never take replay outputs or hidden files as inputs', () => {
    expect(isRecordFile('a.jsonl')).toBe(true);
    expect(isRecordFile('A.CSV')).toBe(true);
    expect(isRecordFile('a.jsonl.rejects.csv')).toBe(false);
    expect(isRecordFile('a.csv.summary.json')).toBe(false);
    expect(isRecordFile('.a.jsonl.tmp')).toBe(false);
    expect(isRecordFile('a.txt')).toBe(false);
  });
});

describe('rejects file', () => {
  it('is written only when there is a reject, one line per row, quoting as CSV', async () => {
    const p = join(dir(), 'x.rejects.csv');
    const empty = await RejectsFile.open(p, 0);
    await empty.close();
    expect(existsSync(p)).toBe(false);
    const f = await RejectsFile.open(p, 0);
    f.write({ line: 3, rule: 'FILE-SYNTAX', severity: 'error', path: '', message: 'bad, "very"\nbad' });
    f.write({ line: 4, seq: 2, rule: 'P45-C57', element: '67', severity: 'error', path: 'leg1.fixedRate', message: 'required' });
    await f.close();
    expect(readFileSync(p, 'utf8')).toBe('line,seq,rule,element,severity,path,message\n3,,FILE-SYNTAX,,error,,"bad, ""very"" bad"\n4,2,P45-C57,67,error,leg1.fixedRate,required\n');
  });

  it('on resume keeps the engine rows of acknowledged records and drops the rest (the reader writes its own again)', async () => {
    const p = join(dir(), 'y.rejects.csv');
    const f = await RejectsFile.open(p, 0);
    f.write({ line: 2, rule: 'FILE-SYNTAX', severity: 'error', path: '', message: 'broken' });
    f.write({ line: 5, seq: 3, rule: 'R1', element: '1', severity: 'error', path: 'a', message: 'kept' });
    f.write({ line: 9, seq: 7, rule: 'R2', element: '2', severity: 'warning', path: 'b', message: 'beyond the watermark' });
    await f.close();
    const resumed = await RejectsFile.open(p, 5);
    await resumed.close();
    expect(readFileSync(p, 'utf8')).toBe('line,seq,rule,element,severity,path,message\n5,3,R1,1,error,a,kept\n');
    expect(existsSync(`${p}.prev`)).toBe(false);
    renameSync(p, `${p}.moved`);
    await (await RejectsFile.open(p, 5)).close();
    expect(existsSync(p)).toBe(false);
  });
});
