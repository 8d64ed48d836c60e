import { describe, expect, it } from 'vitest';
import { pacedVerdict } from '../../bench/support/paced-verdict.js';

describe('submission benchmark: paced verdict', () => {
  it('keeps up only when ingest reached the target and settling matched it with a flat backlog', () => {
    expect(pacedVerdict(50_000, 49_800, 49_500, 100, 15)).toBe('keeps up');
  });
  it('nothing settled is never keeping up (the bug this replaces: 0 settled with a flat backlog passed)', () => {
    expect(pacedVerdict(50_000, 50_000, 0, 0, 15)).toBe('growing');
  });
  it('a growing backlog is growing even when settling is fast', () => {
    expect(pacedVerdict(50_000, 50_000, 48_000, 5_000, 15)).toBe('growing');
  });
  it('an ingest driver short of the target says nothing about the target, unless the path fell behind it too', () => {
    expect(pacedVerdict(50_000, 20_000, 20_000, 0, 15)).toBe('ingest short');
    expect(pacedVerdict(50_000, 37_938, 1_810, 41_373, 15)).toBe('growing');
  });
  it('too few samples in the steady half give no verdict', () => {
    expect(pacedVerdict(50_000, 50_000, 50_000, 0, 2)).toBe('too short');
  });
});
