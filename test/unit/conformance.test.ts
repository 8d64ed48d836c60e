/**
 * docs/conformance.md is regenerated from the fixtures (test/fixtures/drr-6.10: the expected outputs;
 * test/fixtures/drr-conformance/test-packs: DRR's counts, both unmodified copies of the DRR 6.10 corpus) and
 * must equal the committed file, with every difference explained. After a rule change, regenerate it with
 * `swaprep conformance --out docs/conformance.md` (after the build: `node dist/engine/cli/main.js conformance --out docs/conformance.md`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildConformance, comparePart, defaultDirs } from '../../engine/cli/conformance.js';
import { compareSample } from '../../engine/rules/conformance.js';
import { projectRoot } from '../../engine/project-root.js';

const root = projectRoot();
/** Timestamps in order, so DRR's timestamp comparisons (#30, #79) pass. */
const TS = { eventTimestamp: '2024-01-02T00:00:00Z', executionTimestamp: '2024-01-02T00:00:00Z', reportingTimestamp: '2024-01-02T00:00:00Z' };
const { corpus, packs } = defaultDirs(join(root, 'test', 'fixtures', 'drr-6.10'), join(root, 'test', 'fixtures', 'drr-conformance', 'test-packs'));

describe('conformance with DRR 6.10', () => {
  it('docs/conformance.md is up to date and has no unexplained difference', () => {
    const { markdown, unexplained } = buildConformance(corpus, packs);
    expect(unexplained).toBe(0);
    expect(markdown).not.toMatch(/\*\*unexplained [+-]\d/);
    expect(readFileSync(join(root, 'docs', 'conformance.md'), 'utf8')).toBe(markdown);
  });

  it('covers every test-pack sample of both parts', () => {
    for (const part of ['cftc-part45', 'cftc-part43'] as const) {
      const { rows } = comparePart(part, corpus, packs);
      expect(rows).toHaveLength(209);
      for (const r of rows) expect(r.comparison.drr).toBeGreaterThan(0);
    }
  });

  it('reports a difference no note explains', () => {
    // A record that breaks nothing, against a DRR count of 2: nothing accounts for the gap.
    const c = compareSample('cftc-part45', TS, [], 2);
    expect(c.unexplained).toBe(-2);
    const withUnit = compareSample('cftc-part45', TS, [{ rule: 'P45-C80', element: '98', path: 'platformIdentifier', severity: 'error', message: '' }], 1);
    expect(withUnit.unexplained).toBe(0);
  });

  it('attributes a DRR-only failure and a swaprep-only finding', () => {
    const record = { ...TS, nonReportable: { preUpiData: { request: { Header: { Level: 'UPI', AssetClass: 'Rates', InstrumentType: 'Swap' } } } } };
    const findings = [{ rule: 'FMT-UTI', element: '103', path: 'uniqueTransactionIdentifier', severity: 'error' as const, message: '' }];
    const c = compareSample('cftc-part45', record, findings, 1);
    expect(c.reasons.map((r) => [r.note.id, r.delta])).toEqual([['UPI-REQUEST-HEADER', -1], ['UTI-LEI-PREFIX', 1]]);
    expect(c.unexplained).toBe(0);
  });
});
