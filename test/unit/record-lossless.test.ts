// parseJsonLossless (fast path: number quoting + native JSON.parse) must behave exactly like the reference,
// lossless-json's parse with numbers as text: same values, same number marks, same errors.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { numberKeysOf, parseJsonLossless, parseWithLosslessJson } from '../../engine/record/lossless.js';

/** The parsed value with every number-marked string made visible as {number: text}, for deep comparison. */
function canonical(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  const marks = numberKeysOf(v);
  const isNum = (k: string | number): boolean => marks !== undefined && marks.includes(k);
  if (Array.isArray(v)) return v.map((x, i) => (isNum(i) ? { number: x } : canonical(x)));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = isNum(k) ? { number: x } : canonical(x);
  return out;
}

type Outcome = { value: unknown } | { error: string };
function outcome(parser: (t: string) => unknown, text: string): Outcome {
  try {
    const v = parser(text);
    // A top-level number comes back as a bare string with nowhere to mark it; both parsers agree on that.
    return { value: canonical(v) };
  } catch (e) {
    return { error: `${(e as Error).constructor.name}: ${(e as Error).message}` };
  }
}

const same = (text: string): void => {
  expect(outcome(parseJsonLossless, text), text).toEqual(outcome(parseWithLosslessJson, text));
};

const VALID = [
  '{"a":"x: 1, \\"b\\": 2","c":[1,-0.5e-3,"3"],"d":{"e":true,"f":null}}',
  '{"a":"\\\\","b":1}',
  '{"a":"\\\\\\"","b":2,"c":"\\\\\\\\"}',
  '{"ключ":"значение 5","n":5,"emoji":"\\ud83d\\ude00 7"}',
  '{"b":1,"2":2,"1":"x"}',
  '[[1,2],[3,[4.0]],[],{}]',
  '5',
  '-1.50',
  '"abc"',
  'true',
  'null',
  ' \n\t{ "a" : 1 , "b" :[ 2 ,3 ] }\r\n',
  '{"a":1,"a":1}',
  '{"a":"\uE000x","b":1}',
  '{"a":"\\uE000x","b":1}',
  '{"a":"\\ue000","b":1}',
  '{"__proto__":{"x":1},"n":2}',
  '{"a":123456789012345678901234567890.123456789,"b":1E+400,"c":-0,"d":0e0}',
  '{"a":"1","b":1,"c":["1",1]}',
];

const INVALID = [
  '', ' ', '01', '1.', '.5', '-', '+1', '1e', 'NaN', '[1e5e5]', '{1:2}', '{"a":1 2}', '[1,]', '{"a":01}', '{"a":-}',
  '{"a":"\u0001"}', '"unterminated', '{"a":"b"', '{"a":1,"a":2}', '{"x":{"a":"p","a":"q"}}', '[1true]', '{"a":tru}',
  '{"a":1}x', '{"a":"\\x"}', '{"a" 1}', '[1 2]', '{"a":[1,2}', '\uFEFF{"a":1}',
];

describe('parseJsonLossless vs lossless-json', () => {
  it.each(VALID)('agrees on valid %j', (text) => {
    same(text);
    expect('value' in outcome(parseJsonLossless, text)).toBe(true);
  });

  it.each(INVALID)('agrees on invalid %j (same SyntaxError)', (text) => {
    same(text);
    expect(() => parseJsonLossless(text)).toThrow(SyntaxError);
  });

  it('agrees on every corpus record', () => {
    const dir = fileURLToPath(new URL('../fixtures/drr-6.10/', import.meta.url));
    const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith('.json') ? [join(d, e.name)] : []));
    const files = walk(dir);
    expect(files.length).toBe(418);
    for (const f of files) same(readFileSync(f, 'utf8'));
  });

  it('agrees on randomly mutated JSON (seeded)', () => {
    // mulberry32: small, seeded, good enough spread in the low bits (unlike a plain LCG).
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return (((t ^ (t >>> 14)) >>> 0) % n);
    };
    const atoms = ['0', '-1', '2.5', '1e3', '-0.001E-2', '"s"', '"x:1"', '"\\\\"', '"\\""', 'true', 'false', 'null', '"\\u0041"'];
    const gen = (depth: number): string => {
      const r = depth === 0 ? 1 + rnd(2) : rnd(depth > 3 ? 1 : 3);
      if (r === 0) return atoms[rnd(atoms.length)] as string;
      if (r === 1) return `[${Array.from({ length: rnd(4) }, () => gen(depth + 1)).join(',')}]`;
      return `{${Array.from({ length: rnd(4) }, () => `"${['a', 'b', '1', 'k:'][rnd(4)] as string}":${gen(depth + 1)}`).join(',')}}`;
    };
    const noise = ['', ' ', ',', ':', '"', '\\', '-', '.', 'e', '0', '1', '{', '}', '[', ']', 'x'];
    let valid = 0;
    for (let n = 0; n < 3000; n++) {
      let text = gen(0);
      const edits = rnd(3);
      for (let e = 0; e < edits; e++) {
        const at = rnd(text.length + 1);
        const del = rnd(2);
        text = text.slice(0, at) + (noise[rnd(noise.length)] as string) + text.slice(at + del);
      }
      same(text);
      if ('value' in outcome(parseWithLosslessJson, text)) valid++;
    }
    // Both kinds of input were exercised.
    expect(valid).toBeGreaterThan(300);
    expect(valid).toBeLessThan(2700);
  });
});
