import { describe, expect, it } from 'vitest';
import { TradeKeys } from '../../actors/trade-keys.js';

describe('TradeKeys', () => {
  it('numbers keys in the order they were added and finds each again after the table grew', () => {
    const keys = new TradeKeys();
    const n = 50_000;
    for (let i = 0; i < n; i++) expect(keys.findOrAdd(`5493001RKR55V4X61F71UTI${i}`)).toBe(i);
    expect(keys.size).toBe(n);
    for (let i = 0; i < n; i += 7) expect(keys.find(`5493001RKR55V4X61F71UTI${i}`)).toBe(i);
    // Adding again gives the same number, and nothing new.
    expect(keys.findOrAdd('5493001RKR55V4X61F71UTI123')).toBe(123);
    expect(keys.size).toBe(n);
    expect(keys.find('5493001RKR55V4X61F71UTI')).toBe(-1);
    expect(keys.find(`5493001RKR55V4X61F71UTI${n}`)).toBe(-1);
  });

  it('tells apart keys that differ in one character, by length, or only by case', () => {
    const keys = new TradeKeys();
    const list = ['A', 'B', 'AB', 'BA', 'ab', '', 'A ', ' A', 'USI:A', 'x'.repeat(254)];
    list.forEach((k, i) => expect(keys.findOrAdd(k)).toBe(i));
    list.forEach((k, i) => expect(keys.find(k), JSON.stringify(k)).toBe(i));
    expect(keys.find('x'.repeat(253))).toBe(-1);
  });

  it('keeps keys that are not short ASCII beside the others, numbered in the same sequence, across growth', () => {
    const keys = new TradeKeys();
    const odd = ['Zürich-1', '取引-2', 'y'.repeat(255), 'y'.repeat(1000)];
    expect(keys.findOrAdd('plain-0')).toBe(0);
    odd.forEach((k, i) => expect(keys.findOrAdd(k)).toBe(i + 1));
    for (let i = 1; i <= 1000; i++) keys.findOrAdd(`plain-${i}`);
    odd.forEach((k, i) => expect(keys.find(k)).toBe(i + 1));
    expect(keys.find('plain-0')).toBe(0);
    expect(keys.find('plain-1000')).toBe(1000 + odd.length);
    expect(keys.size).toBe(1001 + odd.length);
    expect(keys.find('Zurich-1')).toBe(-1);
  });
});
