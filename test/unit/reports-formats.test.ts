// Submission formats: flat JSON per regime (helpers never leave; Part 43 unmasked, the SDR anonymises) and CSV whose
// columns are the data elements in Technical Specification order.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'lossless-json';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../engine/project-root.js';
import { reportToJsonText } from '../../engine/record/json.js';
import { createReportBuilder, csvColumns, parseCsvLine } from '../../engine/reports/index.js';
import { corpusFiles, loadCorpusReport } from '../support/corpus.js';

const builder = createReportBuilder();
// A copy of ../shared/spec/cftc-data-elements.tsv, so the test runs on a clone without shared/.
const TSV = join(projectRoot(), 'test', 'fixtures', 'spec', 'cftc-data-elements.tsv');

/** Every key path of a parsed JSON value ("leg1.notionalAmount", "otherPayment[].payer"). */
function keyPaths(v: unknown, prefix = ''): string[] {
  if (Array.isArray(v)) return v.flatMap((x) => keyPaths(x, prefix + '[]'));
  if (v === null || typeof v !== 'object' || v.constructor?.name === 'LosslessNumber') return [prefix];
  return Object.entries(v as Record<string, unknown>).flatMap(([k, x]) => keyPaths(x, prefix === '' ? k : `${prefix}.${k}`));
}

const part45Files = corpusFiles('cftc-part45');
const sample = loadCorpusReport(part45Files.find((f) => f.endsWith('IR-CCS-Fixed-Fixed-ex01.json'))!);

describe('CSV columns', () => {
  it('follow the Technical Specification order of shared/spec/cftc-data-elements.tsv', () => {
    if (!existsSync(TSV)) throw new Error(`${TSV} missing: copy ../shared/spec/cftc-data-elements.tsv there`);
    const rows = readFileSync(TSV, 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
    // Expected column order: every numbered element and TR field that has a JSON path, per leg where it is per leg.
    const expected: string[] = [];
    for (const [num, label, path] of rows) {
      if (!(num === 'TR' || /^\d+$/.test(num!))) continue;
      const paths = path === '(none)' ? [] : path!.split(' / ');
      const legs = paths.some((x) => x.startsWith('leg1.')) ? ['-Leg 1', '-Leg 2'] : [''];
      // 107-128 without a DRR path are carried by the record under names chosen by engine/record (proto).
      const n = Number(num);
      const perLeg = n === 107 || n === 108;
      if (paths.length === 0 && !(n >= 107 && n <= 128)) continue;
      for (const suffix of perLeg ? ['-Leg 1', '-Leg 2'] : legs) expected.push(`${label}${suffix}`);
    }
    expect(csvColumns('cftc-part45').map((c) => c.name)).toEqual(expected);
  });

  it('of Part 43 hold the Part 43 elements, identities included (the SDR anonymises); KTFC drops CFTC-only elements', () => {
    const p43 = csvColumns('cftc-part43').map((c) => c.name);
    expect(p43).toContain('Notional amount-Leg 1');
    expect(p43).toContain('Block trade election indicator');
    for (const kept of ['Counterparty 1 (reporting counterparty)', 'Counterparty 2', 'Submitter identifier', 'Other payment payer']) expect(p43).toContain(kept);
    for (const gone of ['Payer identifier-Leg 1', 'Jurisdiction', 'Clearing member']) expect(p43).not.toContain(gone);
    const ktfc = csvColumns('ktfc').map((c) => c.name);
    expect(ktfc).toContain('Counterparty 1 (reporting counterparty)');
    expect(ktfc).toContain('Unique transaction identifier (UTI)');
    for (const gone of ['Jurisdiction', 'Clearing swap UTIs', 'TR Asset Class', 'Unique swap identifier (USI)', 'Prime brokerage transaction indicator']) {
      expect(ktfc).not.toContain(gone);
    }
  });

  it('rows line up with the header and carry values, joined groups and price notations', () => {
    const built = builder.build('cftc-part45', sample, 0, 'csv');
    const cols = csvColumns('cftc-part45');
    const cells = parseCsvLine(built.payload);
    expect(cells).toHaveLength(cols.length);
    const cell = (name: string) => cells[cols.findIndex((c) => c.name === name)];
    expect(cell('Notional amount-Leg 1')).toBe('115000000');
    expect(cell('Notional currency-Leg 2')).toBe('USD');
    expect(cell('Day count convention-Leg 1')).toBe('A005');
    expect(cell('Unique transaction identifier (UTI)')).toBe('DUMMYTRADEIDENTIFY01IRCCSFIXEDFIXED');
    expect(cell('Cleared')).toBe('N');
    expect(cell('Custom basket indicator')).toBe('false');
    expect(cell('TR Asset Class')).toBe('InterestRate');
    expect(builder.csvHeader('cftc-part45').split(',')).toHaveLength(cols.length);
  });

  it('quote fields with commas and quotes (RFC 4180) and parse back', () => {
    expect(parseCsvLine('a,"b,c","say ""hi""",,')).toEqual(['a', 'b,c', 'say "hi"', '', '']);
  });
});

describe('JSON submissions', () => {
  it.each(part45Files.map((f) => [f.slice(f.indexOf('cftc-part45'))]))('%s: Part 45 = the record less helper sections, exactly', (rel) => {
    const report = loadCorpusReport(part45Files.find((f) => f.endsWith(rel))!);
    const out = parse(builder.build('cftc-part45', report, 0, 'json').payload) as Record<string, unknown>;
    const paths = keyPaths(out);
    expect(paths.filter((x) => x.startsWith('nonReportable') || /Format$/.test(x))).toEqual([]);
    // Everything else of the corpus record is there with the same values (X attributes are stripped too).
    const full = parse(reportToJsonText(report)) as Record<string, unknown>;
    delete full.nonReportable;
    for (const x of ['clearingTimestamp', 'countryOfTheCounterparty2', 'executionAgentCounterparty1', 'executionAgentCounterparty2',
      'counterparty2Name', 'earlyTerminationDate', 'traderLocation', 'barrier', 'priceSchedule', 'strikePriceSchedule']) delete full[x];
    const strip = (o: unknown): unknown => {
      if (Array.isArray(o)) return o.map(strip);
      if (o === null || typeof o !== 'object' || o.constructor?.name === 'LosslessNumber') return o;
      const r: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(o)) {
        if (/Format$/.test(k)) continue;
        const x = strip(v);
        // A message left (or sent) empty is omitted by the writer: {} carries nothing.
        if (x !== null && typeof x === 'object' && !Array.isArray(x) && x.constructor?.name !== 'LosslessNumber' && Object.keys(x).length === 0) continue;
        r[k] = x;
      }
      return r;
    };
    expect(JSON.stringify(out)).toBe(JSON.stringify(strip(full)));
  });

  it("Part 43: the report's own values over the Part 43 elements (17 CFR 43.3(a)), helpers stripped", () => {
    const out = parse(builder.build('cftc-part43', sample, 0, 'json').payload) as Record<string, Record<string, unknown>>;
    expect(out.counterparty1).toBe('987654321ZZABCDEFG12');
    expect(out.reportSubmittingEntityID).toBeDefined();
    expect(out.nonReportable).toBeUndefined();
    expect(out.eventIdentifier).toBeUndefined(); // not a Part 43 element
    // Unmasked: 115,000,000 is reported as is; the SDR caps it (100000000+) when it disseminates (public-record.ts).
    expect(String(out.leg1!.notionalAmount)).toBe('115000000');
    expect(String(out.leg2!.notionalAmount)).toBe('15000000');
    expect(out.leg1!.payerIdentifier).toBeUndefined(); // not a Part 43 element
    expect(out.uniqueTransactionIdentifier).toBe('DUMMYTRADEIDENTIFY01IRCCSFIXEDFIXED');
  });

  it('KTFC keeps CDE fields and drops CFTC-only ones', () => {
    const out = parse(builder.build('ktfc', sample, 0, 'json').payload) as Record<string, unknown>;
    expect(out.counterparty1).toBe('987654321ZZABCDEFG12');
    expect(out.cftcGuidebook).toBeUndefined();
    expect(out.counterparty1FinancialEntityIndicator).toBeUndefined();
    expect(out.nonStandardizedTermIndicator).toBeUndefined();
    expect(out.nonReportable).toBeUndefined();
  });

  it('writes strings that need escaping as valid JSON', () => {
    const r = { ...sample, eventIdentifier: 'a"b\\c\nd' };
    const out = JSON.parse(builder.build('cftc-part45', r, 0, 'json').payload) as Record<string, unknown>;
    expect(out.eventIdentifier).toBe('a"b\\c\nd');
  });
});
