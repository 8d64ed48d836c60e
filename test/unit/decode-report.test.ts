import { describe, expect, it } from 'vitest';
import { SwapReport } from '../../proto/gen/swap_report.js';
import { asciiString, decodeReport, recentAscii } from '../../engine/record/decode-report.js';
import { corpusFiles, loadCorpusReport } from '../support/corpus.js';

describe('decodeReport', () => {
  it('decodes every corpus record exactly as SwapReport.decode does', () => {
    const files = [...corpusFiles('cftc-part45'), ...corpusFiles('cftc-part43')];
    expect(files.length).toBeGreaterThan(400);
    for (const f of files) {
      const bytes = SwapReport.encode(loadCorpusReport(f)).finish();
      expect(decodeReport(bytes), f).toStrictEqual(SwapReport.decode(bytes));
    }
  });

  it('keeps non-ASCII, long and empty strings as the runtime decodes them', () => {
    const report = SwapReport.fromPartial({
      counterparty1: '',
      actionType: 'NEWT',
      eventIdentifier: 'Zürich – 東京 ✓',
      uniqueTransactionIdentifier: 'A'.repeat(31) + 'B'.repeat(21),
      priorUTI: 'X'.repeat(32),
      leg1: { notionalAmount: '1000000.5', notionalCurrency: 'EUR' },
    });
    const bytes = SwapReport.encode(report).finish();
    const decoded = decodeReport(bytes);
    expect(decoded).toStrictEqual(SwapReport.decode(bytes));
    expect(decoded.eventIdentifier).toBe('Zürich – 東京 ✓');
    expect(decoded.priorUTI).toBe('X'.repeat(32));
  });

  it('replaces invalid UTF-8 like the runtime and fails on truncated input like it', () => {
    // Field 29 (eventIdentifier: tag 234, a two-byte varint), length 3: 'a', a lone continuation byte, 'b'.
    const invalid = Uint8Array.from([0xea, 0x01, 3, 0x61, 0x80, 0x62]);
    expect(decodeReport(invalid).eventIdentifier).toBe(SwapReport.decode(invalid).eventIdentifier);
    expect(decodeReport(invalid).eventIdentifier).toBe('a\uFFFDb');
    const truncated = Uint8Array.from([0xea, 0x01, 10, 0x61, 0x62]);
    expect(() => SwapReport.decode(truncated)).toThrow();
    expect(() => decodeReport(truncated)).toThrow();
  });

  it('asciiString declines what it cannot read as ASCII', () => {
    const buf = Buffer.from('hello wörld');
    expect(asciiString(buf, 0, 5)).toBe('hello');
    expect(asciiString(buf, 0, 0)).toBe('');
    expect(asciiString(buf, 6, buf.length)).toBeUndefined();
    expect(asciiString(Buffer.alloc(40, 65), 0, 40)).toBeUndefined();
  });
});

describe('recentAscii', () => {
  it('hands back the string for short ASCII bytes, the same one while it stays cached, and nothing for other texts', () => {
    const bytes = Buffer.from('USD|EUR|5493001RKR55V4X61F71|USD|é|' + 'x'.repeat(25), 'utf8');
    const usd = recentAscii(bytes, 0, 3);
    expect(usd).toBe('USD');
    expect(recentAscii(bytes, 4, 7)).toBe('EUR');
    expect(recentAscii(bytes, 8, 28)).toBe('5493001RKR55V4X61F71');
    expect(recentAscii(bytes, 29, 32)).toBe('USD');
    expect(recentAscii(bytes, 0, 0)).toBe('');
    expect(recentAscii(bytes, 33, 35)).toBeUndefined(); // é
    expect(recentAscii(bytes, 36, 61)).toBeUndefined(); // 25 bytes: not cached
    // Thousands of distinct texts through the 4,096 slots: each still reads back as itself.
    for (let i = 0; i < 20_000; i++) {
      const text = `C${i.toString(36)}`;
      expect(recentAscii(Buffer.from(text), 0, text.length)).toBe(text);
    }
  });
});
