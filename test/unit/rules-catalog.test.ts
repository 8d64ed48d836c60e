/**
 * Every rule of the catalog against a record that breaks it and one that keeps it (test/fixtures/rules/
 * cases.ts). The test fails when a rule has no pair, so a rule added to the tables must come with one.
 */
import { describe, expect, it } from 'vitest';
import { compileRulebook, RULES, type Finding, type Regime, type Rulebook } from '../../engine/rules/index.js';
import { CONDITIONS } from '../../engine/rules/conditions.js';
import { BASES, decode, mutate, type BaseName, type Json } from '../fixtures/rules/records.js';
import { CASES, type RuleCase, type Side } from '../fixtures/rules/cases.js';

const books = new Map<string, Rulebook>();
function book(regime: Regime): Rulebook {
  let b = books.get(regime);
  if (!b) books.set(regime, (b = compileRulebook({ regime, leiCheck: 'error' })));
  return b;
}

/** The pair for a rule: its own, or the Part 45 pair for Part 43 rows of the same logic and for KTFC-C<n>. */
function caseFor(id: string): { c: RuleCase; regime: Regime } | undefined {
  const own = CASES[id];
  if (own) return { c: own, regime: own.regime ?? (id.startsWith('P43-') ? 'cftc-part43' : 'cftc-part45') };
  const p43 = /^P43-C(\d+)$/.exec(id);
  if (p43) {
    const row = CONDITIONS.find((r) => r.id === id);
    const shared = row?.sameAs !== undefined ? CASES[`P45-C${row.sameAs}`] : undefined;
    return shared ? { c: shared, regime: 'cftc-part43' } : undefined;
  }
  const ktfc = /^KTFC-C(\d+)$/.exec(id);
  if (ktfc) {
    const shared = CASES[`P45-C${ktfc[1]}`];
    return shared ? { c: shared, regime: 'ktfc' } : undefined;
  }
  return undefined;
}

function run(c: RuleCase, side: Side | undefined, regime: Regime): Finding[] {
  const base: BaseName = side?.base ?? c.base ?? 'irSwap45';
  const report = decode(mutate(BASES[base](), side?.changes ?? {}));
  if (side?.after) Object.assign(report, mutate(report as unknown as Json, side.after));
  return book(regime).validate(report);
}

describe('rules catalog', () => {
  const stateless = RULES.filter((r) => r.kind !== 'lifecycle');

  it('lists every rule once, with its regimes and a description', () => {
    const ids = RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of RULES) {
      expect(r.regimes.length, r.id).toBeGreaterThan(0);
      expect(r.description.length, r.id).toBeGreaterThan(10);
    }
    // All 148 conditions of cftc-conditions.md: 86 Part 45, 54 Part 43, 3 guidebook, 5 nested.
    expect(CONDITIONS.map((c) => c.n)).toEqual(Array.from({ length: 148 }, (_, i) => i + 1));
    expect(CONDITIONS.filter((c) => c.id.startsWith('P45-'))).toHaveLength(86);
    expect(CONDITIONS.filter((c) => c.id.startsWith('P43-'))).toHaveLength(54);
  });

  it('has a failing and a passing record for every stateless rule', () => {
    const missing = stateless.filter((r) => caseFor(r.id) === undefined).map((r) => r.id);
    expect(missing).toEqual([]);
    const unknown = Object.keys(CASES).filter((id) => !RULES.some((r) => r.id === id));
    expect(unknown).toEqual([]);
  });

  describe.each(stateless.map((r) => [r.id]))('%s', (id) => {
    const found = caseFor(id);
    it('is broken by its failing record, with a finding naming the field and element', () => {
      expect(found, `no case for ${id}`).toBeDefined();
      const { c, regime } = found!;
      const hits = run(c, c.fail, regime).filter((x) => x.rule === id);
      expect(hits.length, `${id} did not fire`).toBeGreaterThan(0);
      for (const h of hits) {
        expect(h.element).not.toBe('');
        expect(h.path).not.toBe('');
        expect(h.message).toContain(h.path);
      }
    });
    it('is kept by its passing record', () => {
      const { c, regime } = found!;
      const hits = run(c, c.pass, regime).filter((x) => x.rule === id);
      expect(hits.map((h) => h.message)).toEqual([]);
    });
  });
});

describe('base records', () => {
  it.each(Object.keys(BASES) as BaseName[])('%s passes its regime with no finding at all', (name) => {
    const regime: Regime = name.endsWith('43') ? 'cftc-part43' : 'cftc-part45';
    const findings = book(regime).validate(decode(BASES[name]()));
    expect(findings.map((x) => `${x.rule} ${x.path}: ${x.message}`)).toEqual([]);
  });
});
