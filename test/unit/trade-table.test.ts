import { describe, expect, it } from 'vitest';
import { TradeTable } from '../../actors/trade-table.js';
import { createJudge } from '../../engine/judge.js';
import { scanClientFrame, type ScannedEvent } from '../../engine/ingest/frame-scan.js';
import type { TradeState } from '../../engine/rules/index.js';
import { encodeBatch } from '../../loadtest/fep-client.js';
import { FlowGenerator } from '../../loadtest/generator.js';
import { SwapReport } from '../../proto/gen/swap_report.js';

/** A state as a plain record with absent fields left out, so Map-kept and table-kept states compare equal. */
function plain(s: TradeState | undefined): Record<string, unknown> | undefined {
  if (!s) return undefined;
  return Object.fromEntries(Object.entries(s).filter(([k, v]) => v !== undefined && k !== 'history'));
}

const state = (tradeKey: string, over: Partial<TradeState> = {}): TradeState => ({
  tradeKey, counterparty1: '5493001RKR55V4X61F71', executionTimestamp: '2024-04-01T12:00:00Z', status: 'live', version: 1,
  lastEventTimestamp: '2024-04-01T12:00:01.123456Z', lastActionType: 'NEWT', history: [], ...over,
});

describe('TradeTable', () => {
  it('gives back every field it was given, absent ones included', () => {
    const t = new TradeTable();
    const cases: TradeState[] = [
      state('A'),
      state('B', { counterparty1: undefined, executionTimestamp: undefined, lastEventTimestamp: undefined, status: 'errored', version: 7, lastActionType: 'EROR' }),
      state('C', { status: 'terminated', lastActionType: 'TERM', executionTimestamp: '2024-04-01T12:00:00.123456789+09:00:00 (a long one)' }),
      state('D', { lastEventTimestamp: 'Zürich time', lastActionType: '' }),
    ];
    for (const s of cases) t.set(s.tradeKey, s);
    expect(t.size).toBe(4);
    for (const s of cases) expect(plain(t.get(s.tradeKey)), s.tradeKey).toEqual(plain(s));
    expect(t.get('E')).toBeUndefined();
    expect(t.get('A')!.history).toEqual([]);
  });

  it('gives back every timestamp exactly, in the layout kept as digits and out of it through the side map', () => {
    const t = new TradeTable();
    const values = [
      '2024-04-01T12:59:38Z', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59.999999999Z', '2024-04-01T12:00:00.000120Z',
      '2024-04-01T12:00:00.0Z', '2024-02-30T25:61:61Z' /* in the layout, not on the calendar: its own finding, kept as given */,
      '2024-04-01T12:00:00.1234567890Z' /* ten fraction digits */, '2024-04-01T12:00:00.Z', '2024-04-0xT12:00:00Z',
      '2024-04-01T12:00:00.12a4Z', '2024-04-01T12:00:00+09:00', '2024-04-01', '', 'é',
    ];
    values.forEach((v, i) => t.set(`K${i}`, state(`K${i}`, { executionTimestamp: v, lastEventTimestamp: [...v].reverse().join('') })));
    values.forEach((v, i) => {
      expect(t.get(`K${i}`)!.executionTimestamp, v).toBe(v);
      expect(t.get(`K${i}`)!.lastEventTimestamp, v).toBe([...v].reverse().join(''));
    });
    // A slot that held a value out of the layout forgets it when it gets one in the layout, and the other way round.
    t.set('K6', state('K6', { executionTimestamp: '2025-01-02T03:04:05.6Z' }));
    t.set('K0', state('K0', { executionTimestamp: 'not a timestamp' }));
    expect(t.get('K6')!.executionTimestamp).toBe('2025-01-02T03:04:05.6Z');
    expect(t.get('K0')!.executionTimestamp).toBe('not a timestamp');
  });

  it('updates a trade in place, long and short values replacing each other', () => {
    const t = new TradeTable();
    t.set('A', state('A', { lastEventTimestamp: 'x'.repeat(60) }));
    t.set('A', state('A', { version: 2, lastActionType: 'MODI', lastEventTimestamp: '2024-04-02T00:00:00Z' }));
    expect(t.size).toBe(1);
    expect(plain(t.get('A'))).toEqual(plain(state('A', { version: 2, lastActionType: 'MODI', lastEventTimestamp: '2024-04-02T00:00:00Z' })));
    t.set('A', state('A', { version: 3, lastEventTimestamp: undefined }));
    expect(t.get('A')!.lastEventTimestamp).toBeUndefined();
  });

  it('grows past its first capacity without mixing trades up', () => {
    const t = new TradeTable();
    for (let i = 0; i < 10_000; i++) t.set(`T${i}`, state(`T${i}`, { version: i + 1, lastEventTimestamp: `2024-01-01T00:00:${String(i % 60).padStart(2, '0')}Z` }));
    expect(t.size).toBe(10_000);
    for (let i = 0; i < 10_000; i += 997) {
      const s = t.get(`T${i}`)!;
      expect(s.version).toBe(i + 1);
      expect(s.lastEventTimestamp).toBe(`2024-01-01T00:00:${String(i % 60).padStart(2, '0')}Z`);
    }
  });

  it('judges a synthetic flow exactly as a Map of states does', () => {
    const flow = [...new FlowGenerator({ seed: 11, invalidRate: 0.03, anomalyRate: 0.03 }).take(4000)];
    const frame = Buffer.from(encodeBatch(1, flow.map((e) => SwapReport.encode(e.report).finish())));
    const events = (): ScannedEvent[] => {
      const scanned = scanClientFrame(frame);
      if (scanned.kind !== 'batch') throw new Error('expected a batch');
      for (const e of scanned.events) e.sourceId = 'gen';
      return scanned.events;
    };
    const judge = createJudge({ regime: 'cftc-part45', leiCheck: 'error' });
    const map = new Map<string, TradeState>();
    const table = new TradeTable();
    const viaMap = events();
    const viaTable = events();
    for (let i = 0; i < viaMap.length; i++) {
      judge(map, viaMap[i]!);
      judge(table, viaTable[i]!);
    }
    const outcome = (e: ScannedEvent) => ({ status: e.status, version: e.version, lifecycle: e.lifecycle, findings: e.findings });
    expect(viaTable.map(outcome)).toEqual(viaMap.map(outcome));
    // The flow had updates and rejections, not only new trades.
    expect(viaMap.some((e) => (e.version ?? 0) > 1)).toBe(true);
    expect(viaMap.some((e) => e.status === 'rejected')).toBe(true);
    expect(table.size).toBe(map.size);
    for (const [key, s] of map) expect(plain(table.get(key)), key).toEqual(plain(s));
  });
});
