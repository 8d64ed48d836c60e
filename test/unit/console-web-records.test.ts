import { describe, expect, it } from 'vitest';
import { getAt, itemCount, setAt, splitPath } from '../../ui/web/rules/json-path.js';
import { diffRecords } from '../../ui/web/rules/json-diff.js';

// The correction editor's record helpers (ui/web/rules): pure functions, tested without a browser.

describe('record paths in the correction editor', () => {
  const record = { actionType: 'NEWT', leg1: { notionalAmount: 100, periodicPayment: { fixedRatePaymentFrequencyPeriod: 'MNTH' } }, otherPayment: [{ amount: 5, currency: 'USD' }] };

  it('splits paths with indexes and reads values', () => {
    expect(splitPath('otherPayment[0].amount')).toEqual(['otherPayment', 0, 'amount']);
    expect(getAt(record, 'leg1.periodicPayment.fixedRatePaymentFrequencyPeriod')).toBe('MNTH');
    expect(getAt(record, 'otherPayment[0].currency')).toBe('USD');
    expect(getAt(record, 'leg2.notionalAmount')).toBeUndefined();
    expect(itemCount(record, 'otherPayment')).toBe(1);
    expect(itemCount(record, 'notionalAmountSchedule')).toBe(0);
  });

  it('writes a copy, creating objects and arrays on the way and removing emptied objects', () => {
    const a = setAt(record, 'leg2.notionalAmount', '250.5');
    expect(a.leg2).toEqual({ notionalAmount: '250.5' });
    expect(record).not.toHaveProperty('leg2');
    const b = setAt(a, 'otherPayment[1].amount', '7');
    expect(b.otherPayment).toEqual([{ amount: 5, currency: 'USD' }, { amount: '7' }]);
    const c = setAt(b, 'leg2.notionalAmount', undefined);
    expect(c).not.toHaveProperty('leg2');
    expect(setAt(record, 'leg1.periodicPayment.fixedRatePaymentFrequencyPeriod', undefined).leg1).toEqual({ notionalAmount: 100 });
  });
});

describe('differences between the original and the corrected record', () => {
  it('lists changed, added and removed paths, and treats a decimal as its text', () => {
    const before = { actionType: 'NEWT', eventType: 'TRAD', leg1: { notionalAmount: 100, notionalCurrency: 'USD' }, reportSubmittingEntityID: 'A' };
    const after = { actionType: 'CORR', leg1: { notionalAmount: '100', notionalCurrency: 'EUR' }, reportSubmittingEntityID: 'A', priorUTI: 'X' };
    expect(diffRecords(before, after)).toEqual([
      { path: 'actionType', before: 'NEWT', after: 'CORR' },
      { path: 'eventType', before: 'TRAD', after: null },
      { path: 'leg1.notionalCurrency', before: 'USD', after: 'EUR' },
      { path: 'priorUTI', before: null, after: 'X' },
    ]);
    expect(diffRecords(before, before)).toEqual([]);
  });
});
