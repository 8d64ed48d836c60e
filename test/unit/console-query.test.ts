import { describe, expect, it } from 'vitest';
import { parseQuery, QueryError, prefixOf } from '../../ui/server/query/parse.js';
import { filterOfQuery } from '../../ui/server/queries/trades.js';
import { SearchCache } from '../../ui/server/query/cache.js';
import { decodeCursor, encodeCursor } from '../../ui/server/cursor.js';

function fails(q: string): QueryError {
  try {
    parseQuery(q);
  } catch (err) {
    if (err instanceof QueryError) return err;
    throw err;
  }
  throw new Error(`"${q}" parsed`);
}

describe('search query language', () => {
  it('parses the documented example into terms with positions', () => {
    const q = 'status:nacked cp:5299… since:2024-04-01 notional>1e9';
    const p = parseQuery(q);
    expect(p.terms.map((t) => [t.field, t.op, t.value, t.at])).toEqual([
      ['status', ':', 'nacked', 0],
      ['cp', ':', '5299…', 14],
      ['since', ':', '2024-04-01', 23],
      ['notional', '>', '1e9', 40],
    ]);
    expect(p.canonical).toBe('status:nacked cp:5299… since:2024-04-01 notional>1e9');
    const f = filterOfQuery(p);
    expect(f.status).toBe('nacked');
    expect(prefixOf(f.cp!)).toBe('5299');
    expect(f.since!.toISOString()).toBe('2024-04-01T00:00:00.000Z');
    expect(f.notional).toEqual([{ op: '>', value: '1e9' }]);
  });

  it('accepts aliases, quotes, ranges on notional, and bare words', () => {
    const p = parseQuery('counterparty="ABC DEF" notional>=5 notional<10.5 product:InterestRate uti:XYZ* source:fep1 until:2024-05-01T10:00:00Z');
    expect(p.terms.map((t) => `${t.field}${t.op}${t.value}`)).toEqual([
      'cp=ABC DEF', 'notional>=5', 'notional<10.5', 'product:InterestRate', 'uti:XYZ*', 'source:fep1', 'until:2024-05-01T10:00:00Z',
    ]);
    expect(p.canonical).toContain('cp:"ABC DEF"');
    expect(parseQuery('5493001KJTIIGC8Y1R*').terms[0]!.field).toBe('cp');
    expect(parseQuery('UTI000000000042').terms[0]!.field).toBe('uti');
    expect(parseQuery('   ').terms).toEqual([]);
    expect(parseQuery('STATUS:LIVE').terms[0]!.value).toBe('live');
  });

  it('names the bad token and where it is', () => {
    const unknown = fails('status:live colour:red');
    expect(unknown.token).toBe('colour:red');
    expect(unknown.at).toBe(12);
    expect(unknown.message).toMatch(/unknown field "colour"/);
    expect(fails('status:bogus').message).toMatch(/status "bogus" is not one of live/);
    expect(fails('since:yesterday').message).toMatch(/since needs a date/);
    expect(fails('since:2024-13-45').token).toBe('since:2024-13-45');
    expect(fails('notional>lots').message).toMatch(/notional needs a number/);
    expect(fails('cp>5').message).toMatch(/cp takes ":"/);
    expect(fails('uti:').message).toMatch(/has no value/);
    expect(fails('cp:"open').message).toMatch(/unterminated quote/);
    expect(fails('status:live status:errored').message).toMatch(/given twice/);
  });
});

describe('search cache and cursors', () => {
  it('serves an entry only while the data version is unchanged, and stays bounded', () => {
    const c = new SearchCache<string>(2);
    c.set('a', 1, 'A');
    expect(c.get('a', 1)).toBe('A');
    expect(c.get('a', 2)).toBeUndefined();
    c.set('a', 2, 'A2');
    c.set('b', 2, 'B');
    c.set('c', 2, 'C');
    expect(c.size).toBe(2);
    expect(c.get('a', 2)).toBeUndefined();
    expect(c.get('c', 2)).toBe('C');
  });

  it('round-trips cursors and refuses foreign or damaged ones', () => {
    const k = encodeCursor('trades', [42]);
    expect(decodeCursor('trades', k, ['number'])).toEqual([42]);
    expect(() => decodeCursor('events', k, ['string', 'number'])).toThrow(/not one this server issued/);
    expect(() => decodeCursor('trades', 'garbage!', ['number'])).toThrow(/cursor/);
    expect(() => decodeCursor('trades', encodeCursor('trades', ['x']), ['number'])).toThrow(/damaged/);
  });
});
