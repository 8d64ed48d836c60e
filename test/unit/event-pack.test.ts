import { describe, expect, it } from 'vitest';
import { packEvents, unpackEvents } from '../../gpu-pool/event-pack.js';
import type { ScoringEvent } from '../../gpu-pool/pipeline.js';

describe('packEvents / unpackEvents', () => {
  it('gives back every event as it was, across sources, absent fields and texts beyond ASCII', () => {
    const events: ScoringEvent[] = [];
    const sources = ['fep-a', 'fep-a', 'fep-b', 'fep-a', 'fep-é', 'fep-é', 'f'.repeat(40), 'fep-b'];
    sources.forEach((sourceId, i) => {
      events.push({
        sourceId,
        seq: 2 ** 40 + i,
        report: Uint8Array.from({ length: 10 + i * 3 }, (_, k) => (k * 7 + i) & 255),
        receivedAtMs: 1_764_000_000_000 + i,
        tradeKey: i === 2 ? undefined : i === 3 ? 'USI:取引-3' : i === 5 ? 'K'.repeat(60) : `5493001RKR55V4X61F71UTI${i}`,
        version: i === 4 ? undefined : i,
      });
    });
    const back = unpackEvents(packEvents(events));
    expect(back.map((e) => ({ ...e, report: [...e.report] }))).toEqual(events.map((e) => ({ ...e, report: [...e.report] })));
  });

  it('packs nothing into an empty list', () => {
    expect(unpackEvents(packEvents([]))).toEqual([]);
  });
});
