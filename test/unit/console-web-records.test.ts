import { describe, expect, it } from 'vitest';
import { getAt, itemCount, setAt, splitPath } from '../../ui/web/rules/json-path.js';
import { diffRecords } from '../../ui/web/rules/json-diff.js';
import { addItem, groupMember, itemPath, itemsOf, removeItem } from '../../ui/web/rules/repeating-groups.js';

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

describe('repeating groups in the correction editor', () => {
  const record = { actionType: 'CORR', leg1: { notionalAmount: 100 }, otherPayment: [{ paymentType: 'UFRO', amount: 5 }] };

  it('finds the group of a path with an item marker, and only there', () => {
    expect(groupMember('otherPayment[].amount')).toEqual({ group: 'otherPayment', field: 'amount' });
    expect(groupMember('leg1.notionalAmountSchedule[].value')).toEqual({ group: 'leg1.notionalAmountSchedule', field: 'value' });
    expect(groupMember('priceSchedule[].price.monetary')).toEqual({ group: 'priceSchedule', field: 'price.monetary' });
    // A list of scalars is one comma-separated input, not a group of items.
    expect(groupMember('clearingSwapUTIs[]')).toBeUndefined();
    expect(groupMember('leg1.notionalAmount')).toBeUndefined();
    expect(itemPath('leg2.notionalAmountSchedule', 3, 'endDate')).toBe('leg2.notionalAmountSchedule[3].endDate');
  });

  it('adds a second and a third item, and a first one where the group is missing', () => {
    const two = addItem(record, 'otherPayment');
    expect(two.otherPayment).toEqual([{ paymentType: 'UFRO', amount: 5 }, {}]);
    expect(record.otherPayment).toHaveLength(1); // a copy: the editor's state is not changed in place
    const three = addItem(setAt(two, 'otherPayment[1].amount', '7'), 'otherPayment');
    expect(itemsOf(three, 'otherPayment')).toEqual([{ paymentType: 'UFRO', amount: 5 }, { amount: '7' }, {}]);
    const sched = addItem(record, 'leg1.notionalAmountSchedule');
    expect(sched.leg1).toEqual({ notionalAmount: 100, notionalAmountSchedule: [{}] });
  });

  it('removes any item (later ones move up) and the array with its last item', () => {
    const three = { ...record, otherPayment: [{ amount: 1 }, { amount: 2 }, { amount: 3 }] };
    expect(removeItem(three, 'otherPayment', 1).otherPayment).toEqual([{ amount: 1 }, { amount: 3 }]);
    expect(removeItem(three, 'otherPayment', 0).otherPayment).toEqual([{ amount: 2 }, { amount: 3 }]);
    expect(removeItem(three, 'otherPayment', 2).otherPayment).toEqual([{ amount: 1 }, { amount: 2 }]);
    expect(three.otherPayment).toHaveLength(3);
    expect(removeItem(three, 'otherPayment', 5)).toEqual(three);
    expect(removeItem(record, 'otherPayment', 0)).not.toHaveProperty('otherPayment');
    const onlySchedule = { leg1: { notionalAmountSchedule: [{ value: 1 }] } };
    expect(removeItem(onlySchedule, 'leg1.notionalAmountSchedule', 0)).toEqual({});
  });

  it('keeps an item whose last field was cleared (no hole in the array)', () => {
    const two = { otherPayment: [{ amount: 1 }, { amount: 2 }] };
    const cleared = setAt(two, 'otherPayment[0].amount', undefined);
    expect(cleared.otherPayment).toEqual([{}, { amount: 2 }]);
    expect(JSON.stringify(cleared)).toBe('{"otherPayment":[{},{"amount":2}]}');
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
