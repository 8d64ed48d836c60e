// Every DRR 6.10 corpus record (test/fixtures/drr-6.10, copied unmodified) through the whole codec:
// JSON text -> SwapReport -> protobuf binary -> SwapReport -> JSON text, compared with the original exactly.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'lossless-json';
import { describe, expect, it } from 'vitest';
import { SwapReport } from '../../proto/gen/swap_report.js';
import { parseJsonLossless, reportFromJson, reportToJsonText } from '../../engine/record/json.js';
import { tradeKeyOf } from '../../engine/record/identity.js';

const CORPUS = fileURLToPath(new URL('../fixtures/drr-6.10/', import.meta.url));

function jsonFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? jsonFiles(join(dir, e.name)) : e.name.endsWith('.json') ? [join(dir, e.name)] : []))
    .sort();
}

const part45 = jsonFiles(join(CORPUS, 'cftc-part45'));
const part43 = jsonFiles(join(CORPUS, 'cftc-part43'));
const files = [...part45, ...part43].map((f) => relative(CORPUS, f));
const read = (rel: string): string => readFileSync(join(CORPUS, rel), 'utf8');

function decodeOrFail(text: string): SwapReport {
  const res = reportFromJson(parseJsonLossless(text));
  if (!res.ok) throw new Error(`decode issues: ${JSON.stringify(res.issues)}`);
  return res.report;
}

describe('DRR 6.10 corpus', () => {
  it('holds the 209 + 209 records the corpus README lists', () => {
    expect(part45.length).toBe(209);
    expect(part43.length).toBe(209);
  });

  it.each(files)('%s round-trips exactly through SwapReport and protobuf binary', (rel) => {
    const text = read(rel);
    const res = reportFromJson(parseJsonLossless(text));
    expect(res.ok ? [] : res.issues).toEqual([]);
    if (!res.ok) return;

    const bytes = SwapReport.encode(res.report).finish();
    const back = SwapReport.decode(bytes);
    // The JSON decoder builds the same object ts-proto's binary decoder does: same properties (all present, as
    // createBase* makes them), arrays, Struct objects.
    expect(back).toStrictEqual(res.report);

    const out = reportToJsonText(back);
    // lossless-json's own parse keeps every number as a LosslessNumber holding its text, so this comparison fails
    // on any changed digit, on "1.0" written as "1", and on a number written back as a string (or vice versa).
    expect(parse(out)).toEqual(parse(text));
    // DRR writes keys sorted and so does reportToJsonText: the compact form of the original is reproduced byte for byte.
    expect(out).toBe(stringify(parse(text)));
  });

  it('decodes every record from plain JSON.parse output too (numbers as doubles)', () => {
    for (const rel of files) {
      const text = read(rel);
      const res = reportFromJson(JSON.parse(text));
      expect(res.ok ? [] : res.issues, rel).toEqual([]);
      if (res.ok) expect(JSON.parse(reportToJsonText(res.report)), rel).toEqual(JSON.parse(text));
    }
  });

  it('keeps the struct numbers of the UPI request as numbers (e.g. ReferenceRateTermValue)', () => {
    let seen = 0;
    for (const rel of files) {
      const report = decodeOrFail(read(rel));
      const attrs = (report.nonReportable?.preUpiData?.['request'] as { Attributes?: Record<string, unknown> } | undefined)?.Attributes;
      if (attrs && 'ReferenceRateTermValue' in attrs) {
        expect(typeof attrs['ReferenceRateTermValue'], rel).toBe('number');
        seen++;
      }
    }
    expect(seen).toBeGreaterThan(0);
  });

  it('keys lifecycles by UTI, else USI; 25 Part 45 records carry neither (corpus README)', () => {
    const keys = part45.map((f) => tradeKeyOf(decodeOrFail(readFileSync(f, 'utf8'))));
    expect(keys.filter((k) => k === undefined).length).toBe(25);
    const both = decodeOrFail(read('cftc-part45/credit/Credit-Index-CDX-ex04-USI.json'));
    expect(both.uniqueSwapIdentifier).toBeDefined();
    expect(both.uniqueTransactionIdentifier).toBeDefined();
    expect(tradeKeyOf(both)).toBe(both.uniqueTransactionIdentifier);
  });
});
