import { describe, expect, it } from 'vitest';
import { flowFrames } from '../../loadtest/flow-frames.js';
import { scanClientFrame } from '../../engine/ingest/frame-scan.js';
import { SwapReport } from '../../proto/gen/swap_report.js';
import { compileRulebook } from '../../engine/rules/index.js';

const book = compileRulebook({ regime: 'cftc-part45', leiCheck: 'error' });

/** Every event of the frames for events 0..count-1, as the engine scans them. */
function scanAll(frame: (firstSeq: number, firstEvent: number) => Buffer, batch: number, count: number) {
  const events = [];
  for (let i = 0; i < count; i += batch) {
    const scanned = scanClientFrame(frame(i + 1, i).subarray(4));
    if (scanned.kind !== 'batch') throw new Error('expected a batch frame');
    events.push(...scanned.events);
  }
  return events;
}

describe('flowFrames', () => {
  it('sends every record once per cycle, with new UTIs and consecutive seqs, small batches included', () => {
    const f = flowFrames({ seed: 7, batch: 20, records: 400, counterOffset: 5 });
    const events = scanAll(f.frame, 20, 400);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
    expect(new Set(events.map((e) => e.tradeKey)).size).toBe(400);
    // Each record's terms (its notional and product) appear: all 400 records, not just the first templates'.
    const terms = (r: SwapReport) => JSON.stringify({ ...r, counterparty1: undefined, uniqueTransactionIdentifier: undefined });
    const sent = new Set(events.map((e) => terms(SwapReport.decode(e.report))));
    const made = new Set(f.events.map((e) => terms(e.report)));
    expect(sent).toEqual(made);
    for (const e of events) expect(book.validate(SwapReport.decode(e.report)).filter((x) => x.severity === 'error')).toEqual([]);
  });

  it('moves every timestamp of a record on by the same span each cycle, so sources run forward and lags stay', () => {
    const f = flowFrames({ seed: 7, batch: 20, records: 400, counterOffset: 5 });
    const reports = scanAll(f.frame, 20, 1200).map((e) => SwapReport.decode(e.report));
    const ms = (t: string | undefined) => Date.parse(t!);
    const span = ms(reports[400]!.reportingTimestamp) - ms(reports[0]!.reportingTimestamp);
    expect(span).toBeGreaterThan(0);
    for (let i = 0; i < 400; i++) {
      for (const cycle of [1, 2]) {
        const [a, b] = [reports[i]!, reports[i + 400 * cycle]!];
        expect(ms(b.reportingTimestamp) - ms(a.reportingTimestamp)).toBe(span * cycle);
        expect(ms(b.executionTimestamp) - ms(a.executionTimestamp)).toBe(span * cycle);
        expect(ms(b.eventTimestamp) - ms(a.eventTimestamp)).toBe(span * cycle);
        expect(b.reportingTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      }
    }
    // Cycle 1 starts after every reporting time of cycle 0: each source's reporting times keep running forward.
    const reported = reports.map((r) => ms(r.reportingTimestamp));
    expect(Math.min(...reported.slice(400, 800))).toBeGreaterThan(Math.max(...reported.slice(0, 400)));
    for (const r of reports) expect(book.validate(r).filter((x) => x.severity === 'error')).toEqual([]);
  });

  it('carries the asked share of invalid records, each rejected by the rulebook at its labelled field', () => {
    const f = flowFrames({ seed: 7, batch: 50, records: 1000, invalidRate: 0.05, counterOffset: 5 });
    expect(f.invalid).toBe(f.events.filter((e) => e.invalid).length);
    expect(f.invalid / f.records).toBeGreaterThan(0.02);
    expect(f.invalid / f.records).toBeLessThan(0.1);
    const events = scanAll(f.frame, 50, 1000);
    const rejected = events.filter((e) => book.validate(SwapReport.decode(e.report)).some((x) => x.severity === 'error'));
    expect(rejected.length).toBe(f.invalid);
    for (const e of f.events.filter((x) => x.invalid)) {
      expect(book.validate(e.report).filter((x) => x.severity === 'error').map((x) => x.path)).toContain(e.invalid!.path);
    }
  });
});
