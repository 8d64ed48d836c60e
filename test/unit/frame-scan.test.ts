import { describe, expect, it } from 'vitest';
import { FepFrame } from '../../proto/gen/fep.js';
import { SwapReport } from '../../proto/gen/swap_report.js';
import { BadFrameError, scanClientFrame } from '../../engine/ingest/frame-scan.js';
import { encodeBatch } from '../../loadtest/fep-client.js';
import { BatchTemplate } from '../../loadtest/batch-template.js';

const report = SwapReport.fromPartial({
  counterparty1: '5493001RKR55V4X61F71',
  actionType: 'MODI',
  eventTimestamp: '2024-04-01T12:00:00Z',
  executionTimestamp: '2024-04-01T11:59:00.125Z',
  uniqueTransactionIdentifier: '5493001RKR55V4X61F71UTI0001',
  uniqueSwapIdentifier: 'USI0001',
  leg1: { notionalAmount: '1000000.5' },
});

describe('scanClientFrame', () => {
  it('refuses a batch whose report has a NUL in a routing field (no event log row or trade lookup could hold it), naming seq and field', () => {
    for (const field of ['counterparty1', 'uniqueTransactionIdentifier', 'actionType'] as const) {
      const bad = SwapReport.fromPartial({ ...report, [field]: 'LEI\u0000NUL' });
      const frame = FepFrame.encode({ kind: { $case: 'batch', value: { events: [{ seq: 7, report: bad, sentAt: 0 }] } } }).finish();
      expect(() => scanClientFrame(Buffer.from(frame))).toThrow(BadFrameError);
      expect(() => scanClientFrame(Buffer.from(frame))).toThrow(new RegExp(`event seq 7 .*${field} holds a NUL byte`));
    }
  });

  it('reads the routing and lifecycle fields at the field numbers the generated SwapReport uses', () => {
    const bytes = SwapReport.encode(report).finish();
    const frame = FepFrame.encode({ kind: { $case: 'batch', value: { events: [{ seq: 42, report, sentAt: 1_700_000_000_000_000 }] } } }).finish();
    const scanned = scanClientFrame(Buffer.from(frame));
    if (scanned.kind !== 'batch') throw new Error('expected a batch');
    const [e] = scanned.events;
    expect(e).toMatchObject({
      seq: 42, sentAtUs: 1_700_000_000_000_000, counterparty1: report.counterparty1, actionType: 'MODI',
      eventTimestamp: report.eventTimestamp, executionTimestamp: report.executionTimestamp, tradeKey: report.uniqueTransactionIdentifier,
      stateless: undefined,
    });
    // The report is kept byte for byte.
    expect(Buffer.from(e!.report).equals(Buffer.from(bytes))).toBe(true);
    expect(SwapReport.decode(e!.report).leg1?.notionalAmount).toBe('1000000.5');
  });

  it('keys a trade by USI when it has no UTI', () => {
    const noUti = SwapReport.encode({ ...report, uniqueTransactionIdentifier: undefined }).finish();
    const scanned = scanClientFrame(Buffer.from(encodeBatch(1, [noUti])));
    expect(scanned.kind === 'batch' && scanned.events[0]!.tradeKey).toBe('USI:USI0001');
  });

  it('decodes Hello through the generated code', () => {
    const frame = FepFrame.encode({ kind: { $case: 'hello', value: { sourceId: 'fep1', token: 't', wantResults: true } } }).finish();
    expect(scanClientFrame(Buffer.from(frame))).toEqual({ kind: 'hello', hello: { sourceId: 'fep1', token: 't', wantResults: true } });
  });

  it('reads stamped template frames (padded varint seqs) exactly like encoded ones', () => {
    const base = SwapReport.encode({ ...report, counterparty1: undefined, uniqueTransactionIdentifier: undefined }).finish();
    const template = new BatchTemplate([base], 3, ['5493001RKR55V4X61F71']);
    const framed = template.stamp(1_000_000, 0xabc);
    const scanned = scanClientFrame(framed.subarray(4));
    if (scanned.kind !== 'batch') throw new Error('expected a batch');
    expect(scanned.events.map((e) => e.seq)).toEqual([1_000_000, 1_000_001, 1_000_002]);
    expect(scanned.events.map((e) => e.tradeKey)).toEqual(['5493001RKR55V4X61F71000000000ABC', '5493001RKR55V4X61F71000000000ABD', '5493001RKR55V4X61F71000000000ABE']);
    expect(SwapReport.decode(scanned.events[2]!.report).uniqueTransactionIdentifier).toBe('5493001RKR55V4X61F71000000000ABE');
  });

  it('names what is wrong with a bad frame', () => {
    const cases: [Buffer, RegExp][] = [
      [Buffer.from([0x1a, 0x05, 0x0a]), /FepFrame.*runs past the end/],
      [Buffer.from([0x1a, 0x02, 0x0a, 0x00]), /event #0 has no seq/],
      [Buffer.from(encodeBatch(7, [Buffer.from([0x6a, 0x10, 0x41])])), /seq 7 is not a valid SwapReport/],
      [Buffer.from([0x22, 0x00]), /neither hello nor batch/.source === '' ? /x/ : /./],
      [Buffer.alloc(0), /neither hello nor batch/],
    ];
    for (const [bytes, pattern] of cases) {
      let error: unknown;
      try {
        const r = scanClientFrame(bytes);
        if (r.kind === 'other') error = new BadFrameError('other');
      } catch (e) {
        error = e;
      }
      expect(error, bytes.toString('hex')).toBeInstanceOf(BadFrameError);
      expect((error as Error).message).toMatch(pattern);
    }
  });
});
