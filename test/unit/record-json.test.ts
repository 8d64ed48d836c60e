// Strictness and exactness of the JSON codec (engine/record/json.ts) on hand-written inputs.
import { readFileSync } from 'node:fs';
import { LosslessNumber, parse } from 'lossless-json';
import { describe, expect, it } from 'vitest';
import { SwapReport } from '../../proto/gen/swap_report.js';
import { parseJsonLossless, reportFromJson, reportToJson, reportToJsonText, type DecodeResult, type JsonIssue } from '../../engine/record/json.js';
import { tradeKeyOf } from '../../engine/record/identity.js';

const decodeText = (text: string): DecodeResult => reportFromJson(parseJsonLossless(text));
const issuesOf = (res: DecodeResult): JsonIssue[] => (res.ok ? [] : res.issues);
const byPath = (a: JsonIssue, b: JsonIssue): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

function reportOf(res: DecodeResult): SwapReport {
  if (!res.ok) throw new Error(`unexpected issues: ${JSON.stringify(res.issues)}`);
  return res.report;
}

/** Through protobuf binary and back, as the engine stores and ships records. */
const viaBinary = (r: SwapReport): SwapReport => SwapReport.decode(SwapReport.encode(r).finish());

// A real record to plant errors in (read as text so number marks are as parseJsonLossless makes them).
const SAMPLE = readFileSync(new URL('../fixtures/drr-6.10/cftc-part45/rates/IR-CCS-Fixed-Fixed-ex01.json', import.meta.url), 'utf8');
const sample = (): Record<string, unknown> => parseJsonLossless(SAMPLE) as Record<string, unknown>;

describe('parseJsonLossless', () => {
  it('keeps every number as its exact text', () => {
    expect(parseJsonLossless('{"a":1.50,"b":[1,"x",-2e3,true,null],"c":{"d":0,"e":99999999999999999999.99999}}')).toEqual({
      a: '1.50',
      b: ['1', 'x', '-2e3', true, null],
      c: { d: '0', e: '99999999999999999999.99999' },
    });
  });

  it('throws SyntaxError with a position on bad JSON', () => {
    expect(() => parseJsonLossless('{"a": }')).toThrow(SyntaxError);
    expect(() => parseJsonLossless('{"a": }')).toThrow(/pos/);
    expect(() => parseJsonLossless('')).toThrow(SyntaxError);
    expect(() => parseJsonLossless('{"a":1} x')).toThrow(SyntaxError);
  });

  it('rejects a duplicate key with different values', () => {
    expect(() => parseJsonLossless('{"actionType":"NEWT","actionType":"MODI"}')).toThrow(SyntaxError);
  });
});

describe('reportFromJson: unknown keys', () => {
  const cases: Array<[string, (r: Record<string, unknown>) => void, string]> = [
    ['top level', (r) => (r['actionTypo'] = 'NEWT'), 'actionTypo'],
    ['inside leg1', (r) => ((r['leg1'] as Record<string, unknown>)['notional'] = '5'), 'leg1.notional'],
    ['inside cftcGuidebook', (r) => ((r['cftcGuidebook'] as Record<string, unknown>)['assetclass'] = 'Credit'), 'cftcGuidebook.assetclass'],
    [
      'inside leg2.periodicPayment',
      (r) => (((r['leg2'] as Record<string, unknown>)['periodicPayment'] as Record<string, unknown>)['dayCount'] = 'A001'),
      'leg2.periodicPayment.dayCount',
    ],
    ['inside nonReportable (not a Struct itself)', (r) => ((r['nonReportable'] as Record<string, unknown>)['extra'] = {}), 'nonReportable.extra'],
    [
      'inside an array element',
      (r) => (r['otherPayment'] = [{ paymentType: 'UFRO', amount: '10' }, { paymentType: 'UWIN', amout: '10' }]),
      'otherPayment[1].amout',
    ],
    [
      'inside a nested array element',
      (r) => ((r['leg1'] as Record<string, unknown>)['notionalAmountSchedule'] = [{ value: '1', effectiveDate: '2024-01-01', start: 'x' }]),
      'leg1.notionalAmountSchedule[0].start',
    ],
    ['inside a PriceFormat', (r) => (r['price'] = { monetary: '1', money: '2' }), 'price.money'],
    ['inside a barrier price', (r) => (r['barrier'] = { _single: { price: { basis: '5' }, curr: 'USD' } }), 'barrier._single.curr'],
  ];

  it.each(cases)('is rejected %s with its full path', (_name, plant, path) => {
    const rec = sample();
    plant(rec);
    expect(issuesOf(reportFromJson(rec))).toEqual([{ path, message: expect.stringContaining('unknown field') as unknown as string }]);
  });

  it('is accepted anywhere inside the Struct fields, which keep any JSON as is', () => {
    const text = SAMPLE.replace(
      '"nonReportable" : {',
      '"nonReportable" : { "postUpiData" : {"Header":{"AssetClass":"Rates"},"anything":{"deep":[1,"a",null,true,{"x":1.5}],"n":-2e3}}, "enrichment": {}, ',
    );
    const report = reportOf(decodeText(text));
    const back = viaBinary(report);
    expect(back.nonReportable?.postUpiData).toEqual({ Header: { AssetClass: 'Rates' }, anything: { deep: [1, 'a', null, true, { x: 1.5 }], n: -2000 } });
    expect(back.nonReportable?.enrichment).toEqual({});
    expect(reportToJsonText(back)).toContain('"postUpiData":{"Header":{"AssetClass":"Rates"},"anything":{"deep":[1,"a",null,true,{"x":1.5}],"n":-2000}}');
  });
});

describe('number marks from parseJsonLossless', () => {
  it('make Struct numbers numbers and strings strings', () => {
    const r = reportOf(decodeText('{"nonReportable":{"preUpiData":{"n":6,"s":"6"}}}'));
    expect(r.nonReportable?.preUpiData).toEqual({ n: 6, s: '6' });
    expect(issuesOf(decodeText('{"nonReportable":{"preUpiData":{"big":1e400}}}'))).toEqual([
      { path: 'nonReportable.preUpiData.big', message: 'expected a number within double range, got number 1e400' },
    ]);
  });

  it('do not survive a structured clone: int32 fields then fail loudly instead of being guessed', () => {
    // Decode where the text was parsed; send text or SwapReport binary across threads, not parsed trees.
    const cloned = structuredClone(parseJsonLossless('{"leg1":{"quantityFrequencyMultiplier":3}}'));
    expect(issuesOf(reportFromJson(cloned))).toEqual([
      { path: 'leg1.quantityFrequencyMultiplier', message: 'expected an integer number (int32), got string' },
    ]);
  });
});

describe('reportFromJson: JSON types', () => {
  it('reports every wrong type with path and expected type, all at once', () => {
    const text = JSON.stringify({
      actionType: 'NEWT',
      counterparty1: { lei: 'X' },
      packageIndicator: 'true',
      cleared: true,
      eventType: 5,
      clearingSwapUTIs: ['A1', 7, null],
      otherPayment: { amount: 1 },
      price: 5,
      leg1: {
        notionalAmount: true,
        quantityFrequencyMultiplier: 1.5,
        periodicPayment: { fixedRatePaymentFrequencyPeriodMultiplier: '6', floatingRateResetFrequencyMultiplier: 3000000000 },
      },
      leg2: [],
      nonReportable: { preUpiData: 'x' },
      cftcGuidebook: { sefOrDcmIndicator: null },
    });
    const issues = issuesOf(decodeText(text)).sort(byPath);
    expect(issues).toEqual([
      { path: 'cleared', message: 'expected a string, got boolean' },
      { path: 'clearingSwapUTIs[1]', message: 'expected a string, got number 7' },
      { path: 'clearingSwapUTIs[2]', message: 'expected a string, got null' },
      { path: 'counterparty1', message: 'expected a string, got object' },
      { path: 'eventType', message: 'expected a string, got number 5' },
      { path: 'leg1.notionalAmount', message: 'expected a decimal number (JSON number or string), got boolean' },
      { path: 'leg1.periodicPayment.fixedRatePaymentFrequencyPeriodMultiplier', message: 'expected an integer number (int32), got string' },
      { path: 'leg1.periodicPayment.floatingRateResetFrequencyMultiplier', message: 'expected an integer number (int32), got number 3000000000' },
      { path: 'leg1.quantityFrequencyMultiplier', message: 'expected an integer number (int32), got number 1.5' },
      { path: 'leg2', message: 'expected an object, got array' },
      { path: 'nonReportable.preUpiData', message: 'expected an object, got string' },
      { path: 'otherPayment', message: 'expected an array, got object' },
      { path: 'packageIndicator', message: 'expected true or false, got string' },
      { path: 'price', message: 'expected an object, got number 5' },
    ]);
  });

  it('gives the same answers for plain JSON.parse input (real JS numbers)', () => {
    const res = reportFromJson({ eventType: 5, leg1: { quantityFrequencyMultiplier: '3', notionalAmount: 0.1, fixedRate: '0.0425' } });
    expect(issuesOf(res).sort(byPath)).toEqual([
      { path: 'eventType', message: 'expected a string, got number 5' },
      { path: 'leg1.quantityFrequencyMultiplier', message: 'expected an integer number (int32), got string' },
    ]);
    const ok = reportOf(reportFromJson({ leg1: { quantityFrequencyMultiplier: 3, notionalAmount: 0.1, fixedRate: '0.0425' } }));
    expect(ok.leg1).toMatchObject({ quantityFrequencyMultiplier: 3, notionalAmount: '0.1', fixedRate: '0.0425' });
  });

  it('rejects a record that is not a JSON object', () => {
    for (const v of [null, [], 'x', 5]) expect(issuesOf(reportFromJson(v))).toEqual([{ path: '', message: expect.stringMatching(/^expected a JSON object, got /) as unknown as string }]);
  });

  it('treats null as absent (proto3 JSON)', () => {
    const report = reportOf(decodeText('{"actionType":null,"leg1":null,"cftcGuidebook":{"sefOrDcmIndicator":null}}'));
    expect(report.actionType).toBeUndefined();
    expect(report.leg1).toBeUndefined();
    expect(report.cftcGuidebook).toEqual({});
  });

  it('accepts int32 at the range ends and booleans as booleans', () => {
    const r = reportOf(decodeText('{"packageIndicator":false,"leg1":{"quantityFrequencyMultiplier":-2147483648,"periodicPayment":{"floatingRateResetFrequencyMultiplier":2147483647}}}'));
    expect(r.packageIndicator).toBe(false);
    expect(viaBinary(r).leg1?.quantityFrequencyMultiplier).toBe(-2147483648);
    expect(viaBinary(r).leg1?.periodicPayment?.floatingRateResetFrequencyMultiplier).toBe(2147483647);
  });
});

describe('decimals', () => {
  it('keeps a 25-digit notional given as a JSON number, through binary and back to JSON text', () => {
    const r = reportOf(decodeText('{"leg1":{"notionalAmount":12345678901234567890.12345}}'));
    expect(r.leg1?.notionalAmount).toBe('12345678901234567890.12345');
    const back = viaBinary(r);
    expect(back.leg1?.notionalAmount).toBe('12345678901234567890.12345');
    expect(reportToJsonText(back)).toBe('{"leg1":{"notionalAmount":12345678901234567890.12345}}');
  });

  it.each([['99999999999999999999.99999'], ['115000000'], ['1e-7'], ['1.0'], ['-0.5'], ['0.000001'], ['1E+21']])('keeps %s exactly as written', (num) => {
    const r = reportOf(decodeText(`{"exchangeRate":${num},"price":{"decimal":${num}},"otherPayment":[{"amount":${num}}]}`));
    expect([r.exchangeRate, r.price?.decimal, r.otherPayment[0]?.amount]).toEqual([num, num, num]);
    expect(reportToJsonText(viaBinary(r))).toBe(`{"exchangeRate":${num},"otherPayment":[{"amount":${num}}],"price":{"decimal":${num}}}`);
  });

  it('accepts a decimal sent as a JSON string and writes it back as a JSON number', () => {
    const r = reportOf(decodeText('{"leg1":{"fixedRate":"0.0425"}}'));
    expect(r.leg1?.fixedRate).toBe('0.0425');
    expect(reportToJsonText(r)).toBe('{"leg1":{"fixedRate":0.0425}}');
  });

  it('passes non-numeric decimal text through as data (the rulebook flags it) and never loses it on output', () => {
    const r = reportOf(decodeText('{"leg1":{"notionalAmount":"12,5"}}'));
    expect(r.leg1?.notionalAmount).toBe('12,5');
    expect(reportToJsonText(viaBinary(r))).toBe('{"leg1":{"notionalAmount":"12,5"}}');
  });

  it('accepts lossless-json LosslessNumber input as well', () => {
    const r = reportOf(reportFromJson(parse('{"leg1":{"notionalAmount":1.10,"quantityFrequencyMultiplier":3}}')));
    expect(r.leg1?.notionalAmount).toBe('1.10');
    expect(r.leg1?.quantityFrequencyMultiplier).toBe(3);
  });
});

describe('reportToJson', () => {
  it('omits absent fields and empty lists, sorts keys, and gives decimals as LosslessNumber', () => {
    const report = SwapReport.fromPartial({
      uniqueTransactionIdentifier: 'UTI1',
      actionType: 'NEWT',
      clearingSwapUTIs: [],
      leg1: { notionalAmount: '10.50', quantityFrequencyMultiplier: 2 },
      packageIndicator: false,
    });
    const json = reportToJson(report);
    expect(json).toEqual({
      actionType: 'NEWT',
      leg1: { notionalAmount: new LosslessNumber('10.50'), quantityFrequencyMultiplier: 2 },
      packageIndicator: false,
      uniqueTransactionIdentifier: 'UTI1',
    });
    expect(Object.keys(json)).toEqual(['actionType', 'leg1', 'packageIndicator', 'uniqueTransactionIdentifier']);
    expect(reportToJsonText(report)).toBe('{"actionType":"NEWT","leg1":{"notionalAmount":10.50,"quantityFrequencyMultiplier":2},"packageIndicator":false,"uniqueTransactionIdentifier":"UTI1"}');
  });

  it('maps the barrier key "_single" to the TS property "single" and back', () => {
    const text = '{"barrier":{"_single":{"currency":"USD","notation":"Monetary","price":{"monetary":1.25}}}}';
    const r = reportOf(decodeText(text));
    expect(r.barrier?.single?.price?.monetary).toBe('1.25');
    expect(reportToJsonText(viaBinary(r))).toBe(text);
  });
});

describe('tradeKeyOf', () => {
  it('prefers the UTI, falls back to a prefixed USI, else undefined', () => {
    expect(tradeKeyOf(SwapReport.fromPartial({ uniqueTransactionIdentifier: 'UTI9', uniqueSwapIdentifier: 'USI9' }))).toBe('UTI9');
    expect(tradeKeyOf(SwapReport.fromPartial({ uniqueSwapIdentifier: 'USI9' }))).toBe('USI:USI9');
    expect(tradeKeyOf(SwapReport.fromPartial({ uniqueTransactionIdentifier: '', uniqueSwapIdentifier: 'USI9' }))).toBe('USI:USI9');
    expect(tradeKeyOf(SwapReport.fromPartial({}))).toBeUndefined();
  });
});
