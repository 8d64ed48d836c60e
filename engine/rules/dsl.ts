/**
 * The little language the conditions table is written in. Builders run once, when the tables load, and
 * describe code: a `Cond` renders a JS boolean expression, a `Check` renders JS statements that report
 * findings through the generator (`g.fail`). compile.ts joins them into one generated function per rulebook (see gen.ts),
 * so validating a record interprets nothing.
 *
 * Every `Cond` carries the words that explain it (`cleared = Y`), so each message can say why a field was
 * required or had to be blank, and names the field and the value it found.
 */
import type { Gen, RuleRef } from './gen.js';
import { ASSET_BIT, type AssetClass, type Facts } from './facts.js';
import { compareDecimal, comparerTo } from './decimal.js';
import { compareDates, compareTimestamps } from './formats.js';
import type { Fail } from './types.js';

export interface Cond {
  /** JS boolean expression over `r` (record) and `f` (facts). */
  readonly js: (g: Gen) => string;
  readonly text: string;
}
/** Renders statements that report the rule's findings through `g.fail(ref, ...)`. */
export type Check = (g: Gen, ref: RuleRef) => string;

export type Leg = 'leg1' | 'leg2';
export const LEGS: readonly Leg[] = ['leg1', 'leg2'];

const q = (s: string): string => JSON.stringify(s);

// ---------------------------------------------------------------------------------------------- predicates

export const always: Cond = { js: () => 'true', text: 'always' };

/** A predicate on the per-record facts (facts.ts), e.g. fact('UPI instrument type is Option', 'option'). */
export function fact(text: string, key: keyof Facts, negate = false): Cond {
  return { js: () => `${negate ? '!' : ''}f.${key}`, text };
}

export function eq(path: string, value: string | boolean): Cond {
  return { js: (g) => `(${g.read(path)} === ${g.lit(value)})`, text: `${path} = ${String(value)}` };
}

export function oneOf(path: string, values: readonly string[]): Cond {
  const set = new Set(values);
  const text = `${path} is one of ${values.join(', ')}`;
  // A few codes: comparisons (no hashing of the record's string); more: a set.
  if (values.length <= 3) return { js: (g) => `(${values.map((v) => `${g.read(path)} === ${q(v)}`).join(' || ')})`, text };
  return { js: (g) => `${g.k(set)}.has(${g.read(path)})`, text };
}

export function has(path: string): Cond {
  return { js: (g) => g.present(path), text: `${path} is populated` };
}

export function lacks(path: string): Cond {
  return { js: (g) => `!${g.present(path)}`, text: `${path} is not populated` };
}

export function and(...cs: Cond[]): Cond {
  return { js: (g) => `(${cs.map((c) => c.js(g)).join(' && ')})`, text: cs.map((c) => c.text).join(' and ') };
}

export function or(...cs: Cond[]): Cond {
  return { js: (g) => `(${cs.map((c) => c.js(g)).join(' || ')})`, text: `(${cs.map((c) => c.text).join(' or ')})` };
}

export function not(c: Cond): Cond {
  return { js: (g) => `!${c.js(g)}`, text: `not (${c.text})` };
}

/** Asset class on the guidebook or the UPI record. */
export function asset(...classes: AssetClass[]): Cond {
  const mask = classes.reduce((m, a) => m | ASSET_BIT[a], 0);
  return {
    js: () => `((f.assets & ${mask}) !== 0)`,
    text: `asset class is ${classes.join(' or ')}`,
  };
}

export const option: Cond = fact('UPI instrument type is Option', 'option');
export const notOption: Cond = fact('UPI instrument type is not Option', 'option', true);
export const notPostPriced: Cond = fact('postPricedSwapIndicator = false', 'notPostPriced');
export const cashDelivery: Cond = fact('UPI delivery type is CASH', 'cashDelivery');

export function underlierIs(...types: string[]): Cond {
  const set = new Set(types);
  return { js: (g) => `${g.k(set)}.has(f.underlyingAssetType)`, text: `UPI underlier type is ${types.join(' or ')}` };
}

/** Decimal field compared with a constant, exactly (no float). */
export function greaterThan(path: string, value: string): Cond {
  const cmp = comparerTo(value);
  return { js: (g) => `(${g.present(path)} && ${g.k(cmp)}(${g.read(path)}) > 0)`, text: `${path} > ${value}` };
}

// ---------------------------------------------------------------------------------------------- checks

/** `path` is mandatory (the spec's M). */
export function required(path: string): Check {
  return (g, ref) => `if (!${g.present(path)}) ${g.fail(ref, path, [' is mandatory, but is not populated'])};\n`;
}

/** `path` must be populated when `c` holds. */
export function requiredWhen(path: string, c: Cond): Check {
  return (g, ref) => `if (${c.js(g)} && !${g.present(path)}) ${g.fail(ref, path, [` is required when ${c.text}, but is not populated`])};\n`;
}

/** `path` must be blank when `c` holds. */
export function blankWhen(path: string, c: Cond, reason = `when ${c.text}`): Check {
  return (g, ref) =>
    `if (${c.js(g)} && ${g.present(path)}) ${g.fail(ref, path, [` must be blank ${reason}, but holds `, ''], [g.read(path)])};\n`;
}

/** The spec's "C if X, else {blank}": required when `c` holds, blank otherwise. */
export function requiredElseBlank(path: string, c: Cond): Check {
  return (g, ref) => {
    const p = g.present(path);
    return (
      `if (${c.js(g)}) { if (!${p}) ${g.fail(ref, path, [` is required when ${c.text}, but is not populated`])}; }\n` +
      `else if (${p}) ${g.fail(ref, path, [` must be blank unless ${c.text}, but holds `, ''], [g.read(path)])};\n`
    );
  };
}

/** At least one of `paths` must be populated when `c` holds. */
export function anyRequiredWhen(paths: readonly string[], c: Cond): Check {
  return (g, ref) =>
    `if (${c.js(g)} && !(${paths.map((p) => g.present(p)).join(' || ')})) ` +
    `${g.fail(ref, paths[0]!, [`one of ${paths.join(', ')} is required when ${c.text}, but none is populated`], [], { pathFirst: false })};\n`;
}

/** Every one of `paths` must be blank when `c` holds (one finding per populated path). */
export function allBlankWhen(paths: readonly string[], c: Cond, reason?: string): Check {
  return all(...paths.map((p) => blankWhen(p, c, reason)));
}

/** At least one of `paths` when `c` holds, all of them blank otherwise. */
export function anyRequiredElseAllBlank(paths: readonly string[], c: Cond): Check {
  return when(c, anyRequiredWhen(paths, always), allBlankWhen(paths, always, `unless ${c.text}`));
}

/** Runs `then` when `c` holds, `otherwise` (if given) when it does not. */
export function when(c: Cond, then: Check, otherwise?: Check): Check {
  return (g, ref) => `if (${c.js(g)}) {\n${then(g, ref)}}${otherwise !== undefined ? ` else {\n${otherwise(g, ref)}}` : ''}\n`;
}

export function all(...checks: Check[]): Check {
  return (g, ref) => checks.map((k) => k(g, ref)).join('');
}

/** The same check on leg1 and leg2. */
export function perLeg(make: (leg: Leg) => Check): Check {
  return all(...LEGS.map(make));
}

/** When populated, `path` must equal one of the `others` (identifiers matching counterparties). */
export function equalsOneOf(path: string, others: readonly string[]): Check {
  return (g, ref) =>
    `{ const v = ${g.read(path)}; if (present(v) && ${others.map((o) => `v !== ${g.read(o)}`).join(' && ')}) ` +
    `${g.fail(ref, path, [' ', ` must match ${others.join(' or ')}`], ['v'])}; }\n`;
}

type Order = 'timestamp' | 'date' | 'decimal';
const COMPARE: Readonly<Record<Order, (a: unknown, b: unknown) => number>> = {
  timestamp: compareTimestamps,
  date: compareDates,
  decimal: compareDecimal,
};
const OPS = { '>=': 'c >= 0', '>': 'c > 0', '<': 'c < 0' } as const;
const OP_WORDS = { '>=': 'equal to or later than', '>': 'greater than', '<': 'less than' } as const;

/**
 * `path op other` when both are populated and well-formed (a malformed value is the format rules'
 * finding, not this one's).
 */
export function compare(path: string, op: keyof typeof OPS, other: string, kind: Order): Check {
  const words = kind === 'decimal' && op === '>=' ? 'at least' : OP_WORDS[op];
  return (g, ref) =>
    `{ const a = ${g.read(path)}, b = ${g.read(other)}; if (present(a) && present(b)) { const c = ${g.k(COMPARE[kind])}(a, b); ` +
    `if (c === c && !(${OPS[op]})) ${g.fail(ref, path, [' ', ` must be ${words} ${other} `, ''], ['a', 'b'])}; } }\n`;
}

/** `path` must hold `value` when `c` holds (e.g. EXPI multipliers must be 1). */
export function mustEqualWhen(path: string, value: string, c: Cond): Check {
  const cmp = comparerTo(value);
  return (g, ref) =>
    `if (${c.js(g)} && ${g.k(cmp)}(${g.read(path)}) !== 0) ` +
    `${g.fail(ref, path, [` must be ${value} when ${c.text}, but holds `, ''], [g.read(path)])};\n`;
}

/**
 * Escape hatch for the few rules that are a table or a loop rather than an if/else (action/event pairs,
 * identifier formats per other payment): the generated code reads up to four paths and hands the values
 * to `fn`, so the record's fields are still read at monomorphic sites.
 */
export function use(
  paths: readonly string[],
  fn: (fail: Fail, a: unknown, b: unknown, c: unknown, d: unknown) => void,
): Check {
  if (paths.length > 4) throw new Error('use() reads at most four paths');
  return (g, ref) => {
    const args = [0, 1, 2, 3].map((i) => (paths[i] !== undefined ? g.read(paths[i]!) : 'undefined'));
    return `${g.k(fn)}(${g.emitter(ref)}, ${args.join(', ')});\n`;
  };
}
