/**
 * Lifecycle rules (engine/rules/lifecycle.ts) on sequences in the spirit of the CFTC Technical
 * Specification's Appendix F scenarios. Every event is first validated statelessly (Part 45) and must pass,
 * so the sequences are also valid submissions; the lifecycle then decides with the trade's state.
 */
import { describe, expect, it } from 'vitest';
import { applyLifecycle, compileRulebook, statusOf, type Finding, type TradeState } from '../../engine/rules/index.js';
import { tradeKeyOf } from '../../engine/record/identity.js';
import { clearedSwap45, decode, irSwap45, LEI, mutate, type Json } from '../fixtures/rules/records.js';

const p45 = compileRulebook({ regime: 'cftc-part45', leiCheck: 'error' });

/** A tiny engine: trade states by key, events applied in order. */
class Trades {
  readonly states = new Map<string, TradeState>();
  private seq = 0;

  submit(json: Json, opts: { stateless?: boolean } = {}): { accepted: boolean; findings: Finding[]; state: TradeState | undefined } {
    const report = decode(json);
    if (opts.stateless !== false) {
      const f = p45.validate(report);
      expect(f.filter((x) => x.severity === 'error').map((x) => `${x.rule} ${x.message}`), `stateless findings for ${String(json['actionType'])}`).toEqual([]);
    }
    const key = tradeKeyOf(report);
    const before = key === undefined ? undefined : this.states.get(key);
    const r = applyLifecycle(before, report, { sourceId: 'test', seq: ++this.seq });
    if (!r.accepted) expect(r.state).toBe(before); // a rejected event never changes the state
    if (r.accepted && r.state) this.states.set(r.state.tradeKey, r.state);
    return r;
  }

  get(uti: string): TradeState {
    const s = this.states.get(uti);
    if (!s) throw new Error(`no trade ${uti}`);
    return s;
  }
}

const UTI = `${LEI.dealer}IRS0001`;
const newt = (changes: Json = {}) => mutate(irSwap45(), changes);
const later = (min: number) => `2024-04-0${Math.floor(min / 1440) + 2}T${String(Math.floor((min % 1440) / 60)).padStart(2, '0')}:${String(min % 60).padStart(2, '0')}:00Z`;
/** Continuation events carry no event type for CORR/EROR/REVI, and an amendment indicator for MODI. */
const event = (actionType: string, eventType: string | undefined, min: number, changes: Json = {}) =>
  newt({
    actionType, eventType, eventTimestamp: later(min), reportingTimestamp: later(min + 1),
    amendmentIndicator: actionType === 'MODI' ? false : undefined,
    ...changes,
  });
const rules = (fs: readonly Finding[]) => fs.map((f) => f.rule);

describe('lifecycle sequences (Appendix F)', () => {
  it('NEWT -> MODI -> CORR: three versions, each with the event that made it', () => {
    const t = new Trades();
    expect(t.submit(newt()).accepted).toBe(true);
    expect(t.submit(event('MODI', 'TRAD', 10, { 'leg1.notionalAmount': '12000000', 'leg2.notionalAmount': '12000000' })).accepted).toBe(true);
    expect(t.submit(event('CORR', undefined, 20, { 'leg1.fixedRate': '0.0254' })).accepted).toBe(true);
    const s = t.get(UTI);
    expect(s.status).toBe('live');
    expect(s.version).toBe(3);
    expect(s.history.map((v) => [v.version, v.actionType, v.eventType, v.ref.seq])).toEqual([
      [1, 'NEWT', 'TRAD', 1],
      [2, 'MODI', 'TRAD', 2],
      [3, 'CORR', undefined, 3],
    ]);
    expect(s.lastEventTimestamp).toBe(later(20));
    expect(s.counterparty1).toBe(LEI.dealer);
  });

  it('NEWT -> EROR -> REVI: an errored trade takes only REVI/CORR, then lives again', () => {
    const t = new Trades();
    t.submit(newt());
    expect(t.submit(event('EROR', undefined, 10)).accepted).toBe(true);
    expect(t.get(UTI).status).toBe('errored');
    const modi = t.submit(event('MODI', 'TRAD', 20));
    expect(modi.accepted).toBe(false);
    expect(rules(modi.findings)).toEqual(['LC-AFTER-EROR-TERM']);
    expect(t.submit(event('REVI', undefined, 30)).accepted).toBe(true);
    expect(t.get(UTI).status).toBe('live');
    expect(t.get(UTI).version).toBe(3);
  });

  it('early termination: TERM ETRM ends the trade; valuation after it is rejected, a correction is not', () => {
    const t = new Trades();
    t.submit(newt());
    expect(t.submit(event('TERM', 'ETRM', 10)).accepted).toBe(true);
    expect(t.get(UTI).status).toBe('terminated');
    const valu = t.submit(event('VALU', undefined, 20), { stateless: false });
    expect(rules(valu.findings)).toEqual(['LC-AFTER-EROR-TERM']);
    expect(t.submit(event('CORR', undefined, 30)).accepted).toBe(true);
    expect(t.get(UTI).status).toBe('terminated');
  });

  it('full novation: TERM NOVA on the old UTI, NEWT NOVA with the prior UTI', () => {
    const t = new Trades();
    t.submit(newt());
    expect(t.submit(event('TERM', 'NOVA', 10)).accepted).toBe(true);
    const NEW = `${LEI.member}NOV0001`;
    const novated = newt({
      eventType: 'NOVA', priorUTI: UTI, uniqueTransactionIdentifier: NEW, counterparty2: LEI.member,
      'leg1.payerIdentifier': LEI.member, 'leg2.receiverIdentifier': LEI.member, eventTimestamp: later(10), executionTimestamp: later(10), reportingTimestamp: later(11),
    });
    expect(t.submit(novated).accepted).toBe(true);
    expect(t.get(UTI).status).toBe('terminated');
    expect(t.get(NEW).status).toBe('live');
  });

  it('clearing: TERM CLRG on the original (alpha), NEWT CLRG for each clearing swap', () => {
    const t = new Trades();
    t.submit(newt());
    const term = event('TERM', 'CLRG', 10, {
      cleared: 'I', counterparty1FinancialEntityIndicator: true, clearingSwapUTIs: [`${LEI.ccp}BETA1`, `${LEI.ccp}GAMMA1`],
      originalSwapSDRIdentifier: LEI.sdr, clearingReceiptTimestamp: later(9), nonStandardizedTermIndicator: undefined,
    });
    expect(t.submit(term).accepted).toBe(true);
    // Each clearing swap names the other clearing swaps of the same original (DE 6).
    for (const [uti, cp2, other] of [[`${LEI.ccp}BETA1`, LEI.dealer, `${LEI.ccp}GAMMA1`], [`${LEI.ccp}GAMMA1`, LEI.client, `${LEI.ccp}BETA1`]] as const) {
      const beta = mutate(clearedSwap45(), {
        eventType: 'CLRG', uniqueTransactionIdentifier: uti, counterparty2: cp2, originalSwapUTI: UTI, priorUTI: UTI, clearingSwapUTIs: [other],
        'leg1.payerIdentifier': cp2, 'leg2.receiverIdentifier': cp2, originalSwapSDRIdentifier: LEI.sdr, clearingReceiptTimestamp: later(9),
        eventTimestamp: later(10), executionTimestamp: later(10), reportingTimestamp: later(11),
      });
      expect(t.submit(beta).accepted, uti).toBe(true);
    }
    expect(t.get(UTI).status).toBe('terminated');
    expect([...t.states.keys()].sort()).toEqual([`${LEI.ccp}BETA1`, `${LEI.ccp}GAMMA1`, UTI].sort());
  });

  it('compression: three trades terminated by COMP, one new NEWT COMP', () => {
    const t = new Trades();
    const utis = [1, 2, 3].map((i) => `${LEI.dealer}CMP000${i}`);
    for (const uti of utis) t.submit(newt({ uniqueTransactionIdentifier: uti }));
    for (const uti of utis) expect(t.submit(event('TERM', 'COMP', 10, { uniqueTransactionIdentifier: uti, eventIdentifier: 'CMPRUN1' })).accepted).toBe(true);
    const survivor = `${LEI.dealer}CMP0009`;
    expect(t.submit(newt({ uniqueTransactionIdentifier: survivor, eventType: 'COMP', eventIdentifier: 'CMPRUN1', eventTimestamp: later(10), executionTimestamp: later(10), reportingTimestamp: later(11) })).accepted).toBe(true);
    expect(utis.map((u) => t.get(u).status)).toEqual(['terminated', 'terminated', 'terminated']);
    expect(t.get(survivor).status).toBe('live');
  });

  it('allocation: block NEWT (PREA), allocations NEWT ALOC with the block as prior UTI, TERM ALOC on the block', () => {
    const t = new Trades();
    t.submit(newt({ allocationIndicator: 'PREA' }));
    for (const i of [1, 2]) {
      const alloc = newt({
        eventType: 'ALOC', allocationIndicator: 'POST', priorUTI: UTI, uniqueTransactionIdentifier: `${LEI.dealer}ALC000${i}`,
        'leg1.notionalAmount': '5000000', 'leg2.notionalAmount': '5000000', eventTimestamp: later(i), executionTimestamp: later(i), reportingTimestamp: later(i + 1),
      });
      expect(t.submit(alloc).accepted).toBe(true);
    }
    expect(t.submit(event('TERM', 'ALOC', 10, { allocationIndicator: 'PREA' })).accepted).toBe(true);
    expect(t.get(UTI).status).toBe('terminated');
    expect(t.states.size).toBe(3);
  });
});

describe('lifecycle rules', () => {
  it('the first message for a trade is a NEWT', () => {
    const t = new Trades();
    expect(rules(t.submit(event('MODI', 'TRAD', 10)).findings)).toEqual(['LC-UNKNOWN-TRADE']);
    for (const a of ['CORR', 'TERM', 'VALU', 'MARU', 'PRTO']) {
      const r = t.submit(event(a, a === 'TERM' ? 'ETRM' : a === 'PRTO' ? 'PTNG' : undefined, 10), { stateless: false });
      expect(rules(r.findings), a).toEqual(['LC-UNKNOWN-TRADE']);
    }
    expect(rules(t.submit(event('EROR', undefined, 10)).findings)).toEqual(['LC-FIRST-NEWT']);
    expect(rules(t.submit(event('REVI', undefined, 10)).findings)).toEqual(['LC-FIRST-NEWT']);
    expect(t.states.size).toBe(0);
  });

  it('a second NEWT for a live trade is a duplicate; after TERM it is refused as well', () => {
    const t = new Trades();
    t.submit(newt());
    const dup = t.submit(newt());
    expect(dup.accepted).toBe(false);
    expect(rules(dup.findings)).toEqual(['LC-DUP-NEWT']);
    t.submit(event('TERM', 'ETRM', 10));
    expect(rules(t.submit(newt()).findings)).toEqual(['LC-AFTER-EROR-TERM']);
  });

  it('execution timestamp and counterparty 1 never change', () => {
    const t = new Trades();
    t.submit(newt());
    const exec = t.submit(event('MODI', 'TRAD', 10, { executionTimestamp: '2024-04-01T14:15:37Z' }));
    expect(rules(exec.findings)).toContain('LC-IMMUTABLE-EXEC-TS');
    // The same instant written with a fraction is not a change.
    expect(t.submit(event('MODI', 'TRAD', 10, { executionTimestamp: '2024-04-01T14:15:36.000Z' })).accepted).toBe(true);
    const cp1 = t.submit(event('MODI', 'TRAD', 20, { counterparty1: LEI.member, reportSubmittingEntityID: LEI.member, 'leg1.receiverIdentifier': LEI.member, 'leg2.payerIdentifier': LEI.member }));
    expect(rules(cp1.findings)).toEqual(['LC-IMMUTABLE-CP1']);
    expect(t.get(UTI).version).toBe(2);
  });

  it('an event older than the last applied one is applied but flagged late', () => {
    const t = new Trades();
    t.submit(newt());
    t.submit(event('MODI', 'TRAD', 30));
    const late = t.submit(event('MODI', 'TRAD', 20));
    expect(late.accepted).toBe(true);
    expect(late.findings.map((f) => [f.rule, f.severity])).toEqual([['LC-LATE', 'warning']]);
    expect(statusOf(late.findings)).toBe('accepted_with_warnings');
    expect(t.get(UTI).lastEventTimestamp).toBe(later(30));
    expect(t.get(UTI).version).toBe(3);
  });

  it('REVI only revives an errored or terminated trade', () => {
    const t = new Trades();
    t.submit(newt());
    expect(rules(t.submit(event('REVI', undefined, 10)).findings)).toEqual(['LC-REVI-LIVE']);
  });

  it('an event with neither UTI nor USI cannot join a trade', () => {
    const r = applyLifecycle(undefined, decode(newt({ uniqueTransactionIdentifier: undefined })), { sourceId: 's', seq: 1 });
    expect(r.accepted).toBe(false);
    expect(rules(r.findings)).toEqual(['LC-NO-KEY']);
    expect(r.state).toBeUndefined();
  });

  it('USI-keyed trades are tracked apart from UTIs', () => {
    const t = new Trades();
    const usi = '1030000001SWAP0000000001';
    t.submit(newt({ uniqueTransactionIdentifier: undefined, uniqueSwapIdentifier: usi }));
    expect(t.get(`USI:${usi}`).version).toBe(1);
  });

  it('keeps the state plain data (JSON round trip) and compact', () => {
    const t = new Trades();
    t.submit(newt());
    t.submit(event('MODI', 'TRAD', 10));
    const s = t.get(UTI);
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
    expect(Object.keys(s.history[0]!).sort()).toEqual(['actionType', 'eventTimestamp', 'eventType', 'ref', 'version']);
  });
});
