import { describe, expect, it } from 'vitest';
import { readAll, summary, tempFile } from '../support/files.js';
import { readRecords } from '../../engine/ingest/files/read-records.js';

const rec = (uti: string, extra = '') => `{"actionType":"NEWT","uniqueTransactionIdentifier":"${uti}"${extra}}`;

describe('JSONL reader', () => {
  it('reads one record per line with its line number, across any read size', async () => {
    const path = tempFile('a.jsonl', [rec('U1'), rec('U2'), rec('U3')].join('\n') + '\n');
    for (const chunk of [1, 7, 64, 1 << 20]) {
      expect(summary(await readAll(path, chunk))).toEqual([[1, 'ok U1'], [2, 'ok U2'], [3, 'ok U3']]);
    }
  });

  it('handles a BOM, CRLF line ends, blank lines and a missing final newline', async () => {
    const path = tempFile('b.jsonl', '\uFEFF' + rec('U1') + '\r\n\r\n   \r\n' + rec('U2') + '\r\n\n' + rec('U3'));
    expect(summary(await readAll(path))).toEqual([[1, 'ok U1'], [4, 'ok U2'], [6, 'ok U3']]);
  });

  it('rejects broken lines and keeps going, naming line, rule and field', async () => {
    const path = tempFile('c.jsonl', [rec('U1'), '{"actionType":"NEWT",', rec('U3', ',"leg1":{"notionalAmount":true}'), '[1,2]', rec('U5', ',"bogus":1'), rec('U6')].join('\n'));
    const records = await readAll(path);
    expect(summary(records)).toEqual([
      [1, 'ok U1'],
      [2, 'FILE-SYNTAX '],
      [3, 'FILE-SCHEMA leg1.notionalAmount'],
      [4, 'FILE-SCHEMA '],
      [5, 'FILE-SCHEMA bogus'],
      [6, 'ok U6'],
    ]);
    const broken = records[1]!;
    expect('issues' in broken && broken.issues[0]!.message).toMatch(/not valid JSON: .*position/);
  });

  it('keeps decimals exactly as written', async () => {
    const path = tempFile('d.jsonl', rec('U1', ',"leg1":{"notionalAmount":12345678901234567890.12345}') + '\n');
    const [r] = await readAll(path);
    expect(r && 'report' in r && r.report.leg1?.notionalAmount).toBe('12345678901234567890.12345');
  });

  it('decodes multi-byte UTF-8 split across reads', async () => {
    const path = tempFile('e.jsonl', rec('U1', ',"counterparty2Name":"Société Générale 株式会社"') + '\n');
    const [r] = await readAll(path, 3);
    expect(r && 'report' in r && r.report.counterparty2Name).toBe('Société Générale 株式会社');
  });

  it('rejects an over-long line without buffering it and resumes on the next line', async () => {
    const long = rec('U2', `,"counterparty2Name":"${'x'.repeat(5000)}"`);
    const path = tempFile('f.jsonl', [rec('U1'), long, rec('U3')].join('\n') + '\n');
    const out = [];
    for await (const r of readRecords(path, { chunkBytes: 256, limits: { maxRecordBytes: 1000 } })) out.push(r);
    expect(summary(out)).toEqual([[1, 'ok U1'], [2, 'FILE-SIZE '], [3, 'ok U3']]);
  });
});
