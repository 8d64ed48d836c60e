import { describe, expect, it } from 'vitest';
import {
  AnswerTally, addCodes, allAnswered, atLeast, atMost, backlogEvents, cell, formatCodes, formatTable, medianDefined, quietSince, ratio, secondHalf, slopeOf, thin, usPerEvent,
  type CpuSample,
} from '../../bench/support/delivery-stats.js';

describe('delivery benchmark: ratios and medians', () => {
  it('ratios are rounded, and missing or zero denominators give none', () => {
    expect(ratio(3_000, 10_000)).toBe(0.3);
    expect(ratio(2, 3)).toBe(0.667);
    expect(ratio(2, 3, 1)).toBe(0.7);
    expect(ratio(1, 0)).toBeUndefined();
    expect(ratio(undefined, 5)).toBeUndefined();
    expect(ratio(5, undefined)).toBeUndefined();
    expect(ratio(Number.NaN, 5)).toBeUndefined();
  });
  it('the median leaves out runs that measured nothing', () => {
    expect(medianDefined([3, undefined, 1, 2])).toBe(2);
    expect(medianDefined([4, 1])).toBe(2.5);
    expect(medianDefined([undefined, Number.NaN])).toBeUndefined();
    expect(medianDefined([])).toBeUndefined();
  });
  it('µs per event from CPU seconds', () => {
    expect(usPerEvent(2.5, 100_000)).toBe(25);
    expect(usPerEvent(1, 3)).toBe(333_333.33);
    expect(usPerEvent(1, 0)).toBeNaN();
  });
  it('goal verdicts', () => {
    expect(atLeast(0.6, 0.6)).toBe('met');
    expect(atLeast(0.59, 0.6)).toBe('not met');
    expect(atLeast(undefined, 0.6)).toBe('not measured');
    expect(atMost(2.5, 2.5)).toBe('met');
    expect(atMost(2.51, 2.5)).toBe('not met');
    expect(atMost(undefined, 2.5)).toBe('not measured');
  });
});

describe('delivery benchmark: quiet detection', () => {
  const series = (cores: number[], stepMs = 250): CpuSample[] => {
    let cpu = 0;
    return cores.map((c, i) => {
      if (i > 0) cpu += (c * stepMs) / 1000;
      return { tMs: i * stepMs, cpuS: cpu };
    });
  };
  it('busy processes are not quiet', () => {
    expect(quietSince(series([0, 1.5, 1.5, 1.5, 1.5, 1.5]), 0.1, 1000)).toBeUndefined();
  });
  it('samples that do not yet span the window say nothing', () => {
    expect(quietSince(series([0, 0, 0]), 0.1, 1000)).toBeUndefined();
    expect(quietSince([{ tMs: 0, cpuS: 0 }], 0.1, 1000)).toBeUndefined();
  });
  it('quiet once a whole window is under the bound: the count stops where the quiet stretch began', () => {
    // Busy for a second, then idle: the window [1000, 2000] ms is quiet, starting at sample 4.
    const s = series([0, 2, 2, 2, 2, 0, 0, 0, 0]);
    expect(quietSince(s, 0.1, 1000)).toBe(4);
    expect(s[4]!.cpuS).toBe(2);
  });
  it('a burst inside the window keeps it busy', () => {
    expect(quietSince(series([0, 0, 0, 1, 0, 0]), 0.1, 1000)).toBeUndefined();
  });
  it('idle background work under the bound still counts as quiet', () => {
    expect(quietSince(series([0, 0.05, 0.05, 0.05, 0.05, 0.05]), 0.1, 1000)).toBe(1);
  });
  it('uneven sample spacing: the window is measured back from the newest sample', () => {
    const s: CpuSample[] = [{ tMs: 0, cpuS: 0 }, { tMs: 300, cpuS: 1 }, { tMs: 1_500, cpuS: 1.05 }];
    expect(quietSince(s, 0.1, 1000)).toBe(1);
    expect(quietSince(s, 0.01, 1000)).toBeUndefined();
  });
});

describe('delivery benchmark: settling, backlog and slope', () => {
  it('every owed submission answered, ACK or NACK', () => {
    expect(allAnswered({ acked: 199_990, nacked: 10 }, 200_000)).toBe(true);
    expect(allAnswered({ acked: 199_989, nacked: 10 }, 200_000)).toBe(false);
  });
  it('the backlog is events acknowledged less submissions answered per owed submissions', () => {
    expect(backlogEvents(10_000, 16_000, 2)).toBe(2_000);
    expect(backlogEvents(10_000, 20_000, 2)).toBe(0);
    expect(backlogEvents(10_000, 16_000, 0)).toBe(2_000); // no ratio known: 2 per event
  });
  it('slope of a growing, a flat and a degenerate series', () => {
    expect(slopeOf([[0, 0], [1, 10], [2, 20], [3, 30]])).toBeCloseTo(10);
    expect(slopeOf([[0, 5], [1, 5], [2, 5]])).toBe(0);
    expect(slopeOf([[1, 5]])).toBe(0);
    expect(slopeOf([[1, 5], [1, 7]])).toBe(0);
  });
  it('second half and thinning', () => {
    const s = Array.from({ length: 10 }, (_, i) => ({ t: i + 1 }));
    expect(secondHalf(s, 10).map((x) => x.t)).toEqual([5, 6, 7, 8, 9, 10]);
    const many = Array.from({ length: 1800 }, (_, i) => i);
    const few = thin(many, 120);
    expect(few.length).toBeLessThanOrEqual(121);
    expect(few[0]).toBe(0);
    expect(few[few.length - 1]).toBe(1799);
    expect(thin([1, 2, 3], 120)).toEqual([1, 2, 3]);
  });
});

describe('delivery benchmark: NACK codes from sdr-sim answers', () => {
  const answer = JSON.stringify({
    batchId: 'b1', status: 'complete', results: [
      { submissionId: 'a', status: 'ACK', errors: [] },
      { submissionId: 'b', status: 'NACK', errors: [{ code: 'SEQ-001', message: 'X is unknown: its first message must be a NEWT, not MODI' }] },
      { submissionId: 'c', status: 'NACK', errors: [{ code: 'COR-002', message: 'bad' }, { code: 'COR-004', message: 'bad' }] },
    ],
  });
  it('counts ACKs, NACKs and each code in one chunk', () => {
    const t = new AnswerTally();
    t.push(Buffer.from(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n${answer}`));
    expect(t.acks).toBe(1);
    expect(t.nacks).toBe(2);
    expect(t.codes).toEqual({ 'SEQ-001': 1, 'COR-002': 1, 'COR-004': 1 });
  });
  it('finds each match once whichever byte the chunks are split at', () => {
    for (let cut = 1; cut < answer.length; cut += 1) {
      const t = new AnswerTally();
      t.push(answer.slice(0, cut));
      t.push(answer.slice(cut));
      expect([t.acks, t.nacks, t.codes]).toEqual([1, 2, { 'SEQ-001': 1, 'COR-002': 1, 'COR-004': 1 }]);
    }
  });
  it('many small chunks and several answers', () => {
    const t = new AnswerTally();
    const text = answer + answer;
    for (let i = 0; i < text.length; i += 7) t.push(text.slice(i, i + 7));
    expect([t.acks, t.nacks, t.codes['SEQ-001']]).toEqual([2, 4, 2]);
  });
  it('formats and adds codes', () => {
    expect(formatCodes({})).toBe('none');
    expect(formatCodes({ 'COR-002': 3, 'SEQ-001': 12, 'PRM-001': 0 })).toBe('SEQ-001 12, COR-002 3');
    expect(addCodes([{ 'SEQ-001': 2 }, {}, { 'SEQ-001': 1, 'COR-002': 4 }])).toEqual({ 'SEQ-001': 3, 'COR-002': 4 });
  });
});

describe('delivery benchmark: the table', () => {
  it('cells and alignment', () => {
    expect(cell(12345.678, 1)).toBe('12,345.7');
    expect(cell(undefined)).toBe('-');
    expect(cell(Number.NaN)).toBe('-');
    expect(cell('met')).toBe('met');
    const t = formatTable(['what', 'median'], [['a', '1'], ['longer name', '1,000']]).split('\n');
    expect(t).toEqual(['what         median', '-----------  ------', 'a                 1', 'longer name   1,000']);
  });
});
