import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { csvCell, neutraliseFormula } from '../../engine/csv-cell.js';
import { csvField } from '../../engine/reports/csv.js';
import { toCsv } from '../../engine/scheduled/files.js';
import { RejectsFile } from '../../engine/ingest/files/rejects-file.js';

// Every CSV the engine writes goes through one cell function: a cell a spreadsheet would run as a formula gets a
// leading ', plain numbers stay numbers, and RFC 4180 quoting follows.

describe('CSV cells', () => {
  it('neutralises cells that start like a formula', () => {
    for (const v of ['=1+1', '+cmd', '-x', '@SUM(A1)', '\tlead', '\rlead', '=HYPERLINK("http://evil")', '-', '+']) {
      expect(neutraliseFormula(v), JSON.stringify(v)).toBe(`'${v}`);
    }
  });

  it('leaves plain numbers and ordinary text alone', () => {
    for (const v of ['-5', '+5', '-1.25E3', '-0.0025', '1e-9', '-.5', '42', 'USD', 'a=b', '2024-04-01', '', "'quoted"]) {
      expect(neutraliseFormula(v), JSON.stringify(v)).toBe(v);
    }
    // Not numbers, though they start like one: neutralised.
    expect(neutraliseFormula('-5 USD')).toBe("'-5 USD");
    expect(neutraliseFormula('-1,5')).toBe("'-1,5");
  });

  it('quotes per RFC 4180 after neutralising', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('=1,2')).toBe(`"'=1,2"`);
    expect(csvCell('=A1"x"')).toBe(`"'=A1""x"""`);
    expect(csvCell(' padded ')).toBe('" padded "');
    expect(csvCell('-1.25E3')).toBe('-1.25E3');
  });

  it('is the cell function of the files for people (scheduled reports, rejects); report lines for a repository keep their values', async () => {
    // A submission line is the report itself: the repository reads values as data, so nothing is prefixed there.
    expect(csvField('@x')).toBe('@x');
    expect(csvField('a,"b"')).toBe('"a,""b"""');
    expect(toCsv({ header: ['kind', 'n'], rows: [['=cmd|calc', -5], ['ok', '+7']] }))
      .toBe("kind,n\n'=cmd|calc,-5\nok,+7\n");
    const path = join(mkdtempSync(join(tmpdir(), 'swaprep-csv-')), 'in.jsonl.rejects.csv');
    const rejects = await RejectsFile.open(path, 0);
    rejects.write({ line: 3, rule: 'FILE-1', severity: 'error', path: 'uti', message: '=evil()\nsecond line' });
    await rejects.close();
    expect(readFileSync(path, 'utf8').split('\n')[1]).toBe("3,,FILE-1,,error,uti,'=evil() second line");
  });
});
