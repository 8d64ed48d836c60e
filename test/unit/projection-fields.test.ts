import { describe, expect, it } from 'vitest';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { SwapReport } from '../../proto/gen/swap_report.js';
import { scanProjectionFields, type ProjectionFields } from '../../ui/server/projection-fields.js';
import { corpusFiles, loadCorpusReport } from '../support/corpus.js';

/** What SwapReport.decode gives for the projection's fields. */
function decoded(bytes: Uint8Array): ProjectionFields {
  const r = SwapReport.decode(bytes);
  return {
    counterparty2: r.counterparty2, uniqueProductIdentifier: r.uniqueProductIdentifier, executionTimestamp: r.executionTimestamp,
    notionalAmount: r.leg1?.notionalAmount, notionalCurrency: r.leg1?.notionalCurrency, assetClass: r.cftcGuidebook?.assetClass,
  };
}

describe('scanProjectionFields', () => {
  it('reads the same six fields as SwapReport.decode from every corpus record', () => {
    const files = [...corpusFiles('cftc-part45'), ...corpusFiles('cftc-part43')];
    expect(files.length).toBeGreaterThan(400);
    let withNotional = 0;
    for (const f of files) {
      const bytes = Buffer.from(SwapReport.encode(loadCorpusReport(f)).finish());
      const fields = scanProjectionFields(bytes);
      expect(fields, f).toStrictEqual(decoded(bytes));
      if (fields.notionalAmount !== undefined) withNotional++;
    }
    // The comparison covered present fields, not only absent ones.
    expect(withNotional).toBeGreaterThan(100);
  });

  it('reads fields at the numbers the generated code writes, non-ASCII text included', () => {
    const report = SwapReport.fromPartial({
      counterparty2: 'Zürich-東京', uniqueProductIdentifier: 'QZ1234567890', executionTimestamp: '2024-04-01T12:00:00Z',
      leg1: { notionalAmount: '1000000.5', notionalCurrency: 'EUR', fixedRate: '0.05' },
      leg2: { notionalAmount: '7', notionalCurrency: 'USD' },
      cftcGuidebook: { assetClass: 'IR' },
    });
    const bytes = Buffer.from(SwapReport.encode(report).finish());
    expect(scanProjectionFields(bytes)).toStrictEqual({
      counterparty2: 'Zürich-東京', uniqueProductIdentifier: 'QZ1234567890', executionTimestamp: '2024-04-01T12:00:00Z',
      notionalAmount: '1000000.5', notionalCurrency: 'EUR', assetClass: 'IR',
    });
  });

  it('takes a sub-message sent twice as the generated decoder does (the second replaces the first)', () => {
    const first = SwapReport.encode(SwapReport.fromPartial({ leg1: { notionalAmount: '1', notionalCurrency: 'EUR' } })).finish();
    const second = SwapReport.encode(SwapReport.fromPartial({ leg1: { notionalAmount: '2' } })).finish();
    const bytes = Buffer.concat([first, second]);
    expect(scanProjectionFields(bytes)).toStrictEqual(decoded(bytes));
    expect(scanProjectionFields(bytes).notionalAmount).toBe('2');
  });

  it('throws on truncated bytes', () => {
    const w = new BinaryWriter();
    w.uint32((14 << 3) | 2).uint32(10).raw(Buffer.from('abc'));
    expect(() => scanProjectionFields(Buffer.from(w.finish()))).toThrow(/runs past the end/);
  });
});
