import { describe, expect, it } from 'vitest';
import { readAll, summary, tempFile } from '../support/files.js';
import { CsvParser, type CsvItem } from '../../engine/ingest/files/csv-parser.js';
import { compileCsvHeader } from '../../engine/ingest/files/csv-columns.js';
import { readRecords } from '../../engine/ingest/files/read-records.js';
import { FileFormatError } from '../../engine/ingest/files/types.js';

/** Parses `text` fed in pieces of `step` characters. */
function parse(text: string, step = 1_000_000): CsvItem[] {
  const p = new CsvParser();
  const out: CsvItem[] = [];
  for (let i = 0; i < text.length; i += step) out.push(...p.push(text.slice(i, i + step)));
  out.push(...p.end());
  return out;
}

describe('CSV parser', () => {
  it('splits fields, unescapes quotes and keeps line ends inside quoted fields', () => {
    const text = 'a,b,c\r\n1,"two, ""2""",3\r\n"multi\r\nline",x,"y\nz"\r\n4,,\r\n';
    const expected = [
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: ['1', 'two, "2"', '3'] },
      { line: 3, fields: ['multi\r\nline', 'x', 'y\nz'] },
      { line: 6, fields: ['4', '', ''] },
    ];
    for (const step of [1, 2, 3, 5, 1000]) expect(parse(text, step)).toEqual(expected);
  });

  it('skips blank lines and accepts a last line without line end (LF or CRLF files)', () => {
    expect(parse('a,b\n\n  \n1,2\n\n3,4')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 4, fields: ['1', '2'] },
      { line: 6, fields: ['3', '4'] },
    ]);
    expect(parse('a,b\r\n\r\n1,2\r')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 3, fields: ['1', '2'] },
    ]);
  });

  it('keeps a quote inside an unquoted field as a character', () => {
    expect(parse('5" pipe,x\n')).toEqual([{ line: 1, fields: ['5" pipe', 'x'] }]);
  });

  it('rejects only the broken record: a stray character after a closing quote', () => {
    for (const step of [1, 4, 1000]) {
      expect(parse('a,b\n"bad"q,1\n9,"1""0"\n', step)).toEqual([
        { line: 1, fields: ['a', 'b'] },
        { line: 2, error: 'unexpected character "q" after the closing quote of field 1' },
        { line: 3, fields: ['9', '1"0'] },
      ]);
    }
  });

  it('rejects a quote that never closes and resumes on the next line', () => {
    for (const step of [1, 3, 1000]) {
      expect(parse('a,b\n1,"open\n2,3\n4,5\n', step)).toEqual([
        { line: 1, fields: ['a', 'b'] },
        { line: 2, error: 'a quoted field is not closed before the end of the file' },
        { line: 3, fields: ['2', '3'] },
        { line: 4, fields: ['4', '5'] },
      ]);
    }
  });

  it('gives up on a quoted field longer than the limit without buffering the rest of the file', () => {
    const p = new CsvParser(50);
    const out = [...p.push('a,b\n1,"' + 'x'.repeat(40)), ...p.push('y'.repeat(40) + '\n2,3\n'), ...p.end()];
    expect(out[1]).toEqual({ line: 2, error: 'a quoted field is not closed within 50 characters' });
  });
});

describe('CSV columns', () => {
  it('maps JSON paths, indices of repeated groups and JSON cells onto the record', () => {
    const h = compileCsvHeader(['actionType', 'leg1.notionalAmount', 'otherPayment[1].amount', 'otherPayment[0].amount', 'clearingSwapUTIs[0]', 'blockTradeElectionIndicator', 'leg1.periodicPayment.fixedRatePaymentFrequencyPeriodMultiplier', 'nonReportable.preUpiData', 'leg2']);
    const r = h.decode(['NEWT', '1000000.50', '7', '5', 'UTI1', 'TRUE', '6', '{"a":{"b":1}}', '{"notionalCurrency":"USD"}']);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.report.actionType).toBe('NEWT');
    expect(r.report.leg1?.notionalAmount).toBe('1000000.50');
    expect(r.report.otherPayment.map((p) => p.amount)).toEqual(['5', '7']);
    expect(r.report.clearingSwapUTIs).toEqual(['UTI1']);
    expect(r.report.blockTradeElectionIndicator).toBe(true);
    expect(r.report.leg1?.periodicPayment?.fixedRatePaymentFrequencyPeriodMultiplier).toBe(6);
    expect(r.report.nonReportable?.preUpiData).toEqual({ a: { b: 1 } });
    expect(r.report.leg2?.notionalCurrency).toBe('USD');
  });

  it('treats empty cells as absent and drops gaps between indices', () => {
    const h = compileCsvHeader(['otherPayment[0].amount', 'otherPayment[3].amount', 'counterparty1']);
    const r = h.decode(['', '9', '']);
    expect(r.ok && r.report.otherPayment.map((p) => p.amount)).toEqual(['9']);
    expect(r.ok && r.report.counterparty1).toBeUndefined();
  });

  it('reports a wrong value with its path', () => {
    const h = compileCsvHeader(['blockTradeElectionIndicator', 'leg1.periodicPayment.fixedRatePaymentFrequencyPeriodMultiplier', 'nonReportable.enrichment']);
    const r = h.decode(['yes', '6.5', '{oops']);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => `${i.rule} ${i.path}`)).toEqual(['FILE-SYNTAX nonReportable.enrichment']);
    const r2 = h.decode(['yes', '6.5', '']);
    expect(!r2.ok && r2.issues.map((i) => `${i.rule} ${i.path}`)).toEqual(['FILE-SCHEMA blockTradeElectionIndicator', 'FILE-SCHEMA leg1.periodicPayment.fixedRatePaymentFrequencyPeriodMultiplier']);
  });

  it('refuses a header naming unknown fields, misplaced indices or the same field twice', () => {
    expect(() => compileCsvHeader(['actionType', 'leg1.nope'])).toThrow(/column 2 "leg1.nope": no field "nope" in swaprep.record.Leg/);
    expect(() => compileCsvHeader(['otherPayment.amount'])).toThrow(/repeated: write otherPayment\[0\]/);
    expect(() => compileCsvHeader(['actionType[0]'])).toThrow(/not a repeated field/);
    expect(() => compileCsvHeader(['actionType', ' actionType '])).toThrow(/same field as column 1/);
    expect(() => compileCsvHeader(['leg1', 'leg1.notionalAmount'])).toThrow(/holds JSON/);
  });
});

describe('CSV reader', () => {
  const header = 'actionType,uniqueTransactionIdentifier,leg1.notionalAmount';
  it('reads records under the header with BOM, CRLF, quoted fields and blank lines', async () => {
    const path = tempFile('a.csv', `\uFEFF${header}\r\nNEWT,U1,100\r\n\r\n"NEWT","U""2","1,000"\r\nNEWT,"U\r\n3",5\r\n`);
    const records = await readAll(path);
    expect(summary(records)).toEqual([[2, 'ok U1'], [4, 'ok U"2'], [5, 'ok U\r\n3']]);
    const second = records[1]!;
    expect('report' in second && second.report.leg1?.notionalAmount).toBe('1,000');
  });

  it('rejects broken lines and wrong field counts, and keeps going', async () => {
    const path = tempFile('b.csv', `${header}\nNEWT,U1,1\nNEWT,U2\n"NEWT"x,U3,3\nNEWT,U4,4,extra\nNEWT,U5,5\n`);
    expect(summary(await readAll(path))).toEqual([[2, 'ok U1'], [3, 'FILE-FIELDS '], [4, 'FILE-SYNTAX '], [5, 'FILE-FIELDS '], [6, 'ok U5']]);
  });

  it('fails the file on a bad header, naming file, line and column', async () => {
    const path = tempFile('c.csv', '\n\nactionType,leg9.x\nNEWT,1\n');
    await expect(readAll(path)).rejects.toThrow(FileFormatError);
    await expect(readAll(path)).rejects.toThrow(/c\.csv:3: CSV header: column 2 "leg9.x": no field "leg9"/);
  });

  it('reads an empty file as no records', async () => {
    const out = [];
    for await (const r of readRecords(tempFile('d.csv', ''))) out.push(r);
    expect(out).toEqual([]);
  });
});
