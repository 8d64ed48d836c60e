import { describe, expect, it } from 'vitest';
import { FlowGenerator, STEPS, ANOMALY_KINDS, DEFECT_KINDS, isValidLei, type GeneratedEvent } from '../../loadtest/generator.js';
import { corruptLeiCheck, leiCheckDigits } from '../../loadtest/generator/lei.js';
import { applyLifecycle, compileRulebook, type TradeState } from '../../engine/rules/index.js';

const COUNT = 6000;
const flow: GeneratedEvent[] = [...new FlowGenerator({ seed: 5, invalidRate: 0.03, anomalyRate: 0.03 }).take(COUNT)];
const book = compileRulebook({ regime: 'cftc-part45', leiCheck: 'error' });

describe('LEIs', () => {
  it('have ISO 7064 MOD 97-10 check digits, and corrupted ones fail', () => {
    expect(leiCheckDigits('5493001RKR55V4X61F')).toBe('71'); // 5493001RKR55V4X61F71, a corpus LEI that passes
    for (const e of flow.slice(0, 500)) {
      expect(isValidLei(e.report.counterparty1!)).toBe(true);
      if (!e.invalid) expect(isValidLei(e.report.counterparty2!)).toBe(true);
      expect(isValidLei(corruptLeiCheck(e.report.counterparty1!))).toBe(false);
    }
  });
});

describe('synthetic flow', () => {
  it('valid records pass the CFTC Part 45 rulebook with LEI check digits as errors, without warnings', () => {
    const failures: string[] = [];
    for (const e of flow) {
      if (e.invalid) continue;
      for (const f of book.validate(e.report)) failures.push(`#${e.n} ${e.assetClass} ${e.actionType}${e.anomaly ? ` (${e.anomaly.kind})` : ''}: ${f.severity} ${f.rule} ${f.path}: ${f.message}`);
    }
    expect(failures.slice(0, 10)).toEqual([]);
  });

  it('valid events form lifecycles the engine accepts: NEWT first, then MODI/VALU/MARU/CORR/TERM/EROR/novation in order', () => {
    const states = new Map<string, TradeState>();
    const rejected: string[] = [];
    let seq = 0;
    for (const e of flow) {
      if (e.invalid) continue;
      const r = applyLifecycle(states.get(e.tradeKey), e.report, { sourceId: 'gen', seq: ++seq });
      if (r.accepted && r.state) states.set(e.tradeKey, r.state);
      for (const f of r.findings) rejected.push(`#${e.n} ${e.actionType} ${f.rule}: ${f.message}`);
    }
    expect(rejected.slice(0, 10)).toEqual([]);
  });

  it('has every lifecycle step, novations as TERM/NOVA then NEWT/NOVA with priorUTI', () => {
    const seen = new Set(flow.map((e) => (e.eventType === 'NOVA' ? 'NOVA' : e.actionType)));
    for (const s of STEPS) expect(seen).toContain(s);
    const i = flow.findIndex((e) => e.actionType === 'TERM' && e.eventType === 'NOVA' && !e.invalid);
    const next = flow[i + 1]!;
    expect(next.actionType).toBe('NEWT');
    expect(next.eventType).toBe('NOVA');
    expect(next.report.priorUTI).toBe(flow[i]!.tradeKey);
    expect(next.report.counterparty1).toBe(flow[i]!.report.counterparty1);
    expect(next.report.counterparty2).not.toBe(flow[i]!.report.counterparty2);
  });

  it('mixes the five asset classes and skews counterparty activity', () => {
    const classes = new Map<string, number>();
    const cp1 = new Map<string, number>();
    for (const e of flow) {
      classes.set(e.assetClass, (classes.get(e.assetClass) ?? 0) + 1);
      cp1.set(e.report.counterparty1!, (cp1.get(e.report.counterparty1!) ?? 0) + 1);
    }
    expect([...classes.keys()].sort()).toEqual(['Commodity', 'Credit', 'Equity', 'ForeignExchange', 'InterestRate']);
    const counts = [...cp1.values()].sort((a, b) => b - a);
    // Zipf: the most active reporting counterparty has many times the median one's events.
    expect(counts[0]! / counts[Math.floor(counts.length / 2)]!).toBeGreaterThan(10);
  });

  it('labels every planted defect, and the rulebook rejects each one at the labelled field', () => {
    const invalid = flow.filter((e) => e.invalid);
    expect(invalid.length).toBeGreaterThan(COUNT * 0.015);
    expect(new Set(invalid.map((e) => e.invalid!.kind))).toEqual(new Set(DEFECT_KINDS));
    const missed: string[] = [];
    for (const e of invalid) {
      const errors = book.validate(e.report).filter((f) => f.severity === 'error');
      if (!errors.some((f) => f.path === e.invalid!.path)) missed.push(`#${e.n} ${e.invalid!.kind} ${e.invalid!.path}: ${errors.map((f) => `${f.rule} ${f.path}`).join(', ') || 'no error'}`);
    }
    expect(missed).toEqual([]);
  });

  it('labels planted anomalies of every kind, with the value a normal record would hold', () => {
    const anomalies = flow.filter((e) => e.anomaly);
    expect(new Set(anomalies.map((e) => e.anomaly!.kind))).toEqual(new Set(ANOMALY_KINDS));
    for (const e of anomalies) {
      const a = e.anomaly!;
      const actual = a.path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], e.report);
      if (a.kind === 'rate-100x') expect(Number(actual) / Number(a.expected)).toBeCloseTo(100, 3);
      if (a.kind === 'notional-1000x') expect(Number(actual) / Number(a.expected)).toBeCloseTo(1000, 6);
      if (a.kind === 'off-market-price') expect(Math.abs(Number(actual) / Number(a.expected) - 1)).toBeGreaterThan(0.2);
      if (a.kind === 'changed-counterparty') {
        expect(e.actionType).toBe('MODI');
        expect(actual).not.toBe(a.expected);
      }
      if (a.kind === 'stale-reporting') {
        const lagDays = (Date.parse(e.report.reportingTimestamp!) - Date.parse(e.report.executionTimestamp!)) / 86_400_000;
        expect(lagDays).toBeGreaterThan(19);
      }
    }
  });
});
