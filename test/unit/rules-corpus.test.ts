/**
 * The whole DRR 6.10 corpus (418 records, test/fixtures/drr-6.10, unmodified) through `swaprep validate`,
 * Part 45 files under cftc-part45 and Part 43 files under cftc-part43, with --lei-check warn (the corpus's
 * LEIs are largely dummies). The finding counts per rule are checked against the reviewed snapshot
 * test/fixtures/rules/corpus-rule-counts.json; after a deliberate rule change, regenerate it with
 * UPDATE_RULE_COUNTS=1 and review the diff (see the snapshot's "review" notes).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { corpusFiles } from '../support/corpus.js';
import { runValidate } from '../fixtures/rules/validate-cli.js';

const SNAPSHOT = fileURLToPath(new URL('../fixtures/rules/corpus-rule-counts.json', import.meta.url));

interface PartCounts {
  records: number;
  accepted: number;
  rejected: number;
  byRule: Record<string, number>;
}

async function countPart(part: 'cftc-part45' | 'cftc-part43'): Promise<PartCounts> {
  const files = corpusFiles(part);
  const { code, lines } = await runValidate(['--regime', part, '--lei-check', 'warn', ...files]);
  expect(code).toBe(1); // the corpus is not validation-clean: every sample is rejected
  const byRule: Record<string, number> = {};
  for (const l of lines) for (const f of l.findings) byRule[f.rule] = (byRule[f.rule] ?? 0) + 1;
  const sorted = Object.fromEntries(Object.entries(byRule).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
  return {
    records: lines.length,
    accepted: lines.filter((l) => l.status === 'accepted').length,
    rejected: lines.filter((l) => l.status === 'rejected').length,
    byRule: sorted,
  };
}

describe('DRR 6.10 corpus through swaprep validate', () => {
  it('matches the reviewed per-rule counts', async () => {
    const actual = { 'cftc-part45': await countPart('cftc-part45'), 'cftc-part43': await countPart('cftc-part43') };
    expect(actual['cftc-part45'].records).toBe(209);
    expect(actual['cftc-part43'].records).toBe(209);
    if (process.env.UPDATE_RULE_COUNTS === '1' || !existsSync(SNAPSHOT)) {
      const previous = existsSync(SNAPSHOT) ? (JSON.parse(readFileSync(SNAPSHOT, 'utf8')) as { review?: unknown }) : {};
      writeFileSync(SNAPSHOT, `${JSON.stringify({ review: previous.review ?? [], ...actual }, null, 2)}\n`);
    }
    const expected = JSON.parse(readFileSync(SNAPSHOT, 'utf8')) as Record<string, PartCounts>;
    expect(actual['cftc-part45']).toEqual(expected['cftc-part45']);
    expect(actual['cftc-part43']).toEqual(expected['cftc-part43']);
  });
});
