/**
 * The little language the conditions table is written in. Builders run once, when the tables load, and
 * describe code: a `Cond` renders a JS boolean expression, a `Check` renders JS statements that call
 * `fail(path, message)`. compile.ts joins them into one generated function per rulebook (see gen.ts),
 * so validating a record interprets nothing.
 *
 * Every `Cond` carries the words that explain it (`cleared = Y`), so each message can say why a field was
 * required or had to be blank, and names the field and the value it found.
 */
import type { Gen } from './gen.js';
import type { AssetClass, Facts } from './facts.js';
import { compareDecimal } from './decimal.js';
import { compareDates, compareTimestamps } from './formats.js';
import type { Fail, Rec } from './types.js';

export interface Cond {
  /** JS boolean expression over `r` (record) and `f` (facts). */
  readonly js: (g: Gen) => string;
  readonly text: string;
}
/** Renders statements; `fail` is the JS name of the rule's fail function. */
export type Check = (g: Gen, fail: string) => string;

export type Leg = 'leg1' | 'leg2';
export const LEGS: readonly Leg[] = ['leg1', 'leg2'];

const q = (s: string): string => JSON.stringify(s);

// ---------------------------------------------------------------------------------------------- predicates

export const always: Cond = { js: () => 'true', text: 'always' };

/** A predicate on the per-record facts (facts.ts), e.g. fact('UPI instrument type is Option', 'option'). */
export function fact(text: string, key: keyof Facts, negate = false): Cond {
  return { js: () => `${negate ? '!' : ''}f.${key}`, text };
}

/** Escape hatch: a predicate computed by a function of the record and facts. */
export function cond(text: string, test: (r: Rec, f: Facts) => boolean): Cond {
  return { js: (g) => `${g.k(test)}(r, f)`, text };
}

export function eq(path: string, value: string | boolean): Cond {
  return { js: (g) => `(${g.read(path)} === ${g.lit(value)})`, text: `${path} = ${String(value)}` };
}

export function oneOf(path: string, values: readonly string[]): Cond {
  const set = new Set(values);
  return { js: (g) => `${g.k(set)}.has(${g.read(path)})`, text: `${path} is one of ${values.join(', ')}` };
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
  return {
    js: () => `(${classes.map((a) => `f.guidebookAsset === ${q(a)} || f.upiAsset === ${q(a)}`).join(' || ')})`,
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
  return { js: (g) => `(${g.present(path)} && ${g.k(compareDecimal)}(${g.read(path)}, ${q(value)}) > 0)`, text: `${path} > ${value}` };
}

// ---------------------------------------------------------------------------------------------- checks

/** `path` is mandatory (the spec's M). */
export function required(path: string): Check {
  return (g, fail) => `if (!${g.present(path)}) ${fail}(${q(path)}, ${q(`${path} is mandatory, but is not populated`)});\n`;
}

/** `path` must be populated when `c` holds. */
export function requiredWhen(path: string, c: Cond): Check {
  return (g, fail) =>
    `if (${c.js(g)} && !${g.present(path)}) ${fail}(${q(path)}, ${q(`${path} is required when ${c.text}, but is not populated`)});\n`;
}

/** `path` must be blank when `c` holds. */
export function blankWhen(path: string, c: Cond, reason = `when ${c.text}`): Check {
  return (g, fail) =>
    `if (${c.js(g)} && ${g.present(path)}) ${fail}(${q(path)}, ${q(`${path} must be blank ${reason}, but holds `)} + show(${g.read(path)}));\n`;
}

/** The spec's "C if X, else {blank}": required when `c` holds, blank otherwise. */
export function requiredElseBlank(path: string, c: Cond): Check {
  return (g, fail) => {
    const p = g.present(path);
    return (
      `if (${c.js(g)}) { if (!${p}) ${fail}(${q(path)}, ${q(`${path} is required when ${c.text}, but is not populated`)}); }\n` +
      `else if (${p}) ${fail}(${q(path)}, ${q(`${path} must be blank unless ${c.text}, but holds `)} + show(${g.read(path)}));\n`
    );
  };
}

/** At least one of `paths` must be populated when `c` holds. */
export function anyRequiredWhen(paths: readonly string[], c: Cond): Check {
  return (g, fail) =>
    `if (${c.js(g)} && !(${paths.map((p) => g.present(p)).join(' || ')})) ` +
    `${fail}(${q(paths[0]!)}, ${q(`one of ${paths.join(', ')} is required when ${c.text}, but none is populated`)});\n`;
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
  return (g, fail) => `if (${c.js(g)}) {\n${then(g, fail)}}${otherwise !== undefined ? ` else {\n${otherwise(g, fail)}}` : ''}\n`;
}

export function all(...checks: Check[]): Check {
  return (g, fail) => checks.map((k) => k(g, fail)).join('');
}

/** The same check on leg1 and leg2. */
export function perLeg(make: (leg: Leg) => Check): Check {
  return all(...LEGS.map(make));
}

/** When populated, `path` must equal one of the `others` (identifiers matching counterparties). */
export function equalsOneOf(path: string, others: readonly string[]): Check {
  return (g, fail) =>
    `{ const v = ${g.read(path)}; if (present(v) && ${others.map((o) => `v !== ${g.read(o)}`).join(' && ')}) ` +
    `${fail}(${q(path)}, ${q(`${path} `)} + show(v) + ${q(` must match ${others.join(' or ')}`)}); }\n`;
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
  return (g, fail) =>
    `{ const a = ${g.read(path)}, b = ${g.read(other)}; if (present(a) && present(b)) { const c = ${g.k(COMPARE[kind])}(a, b); ` +
    `if (c === c && !(${OPS[op]})) ${fail}(${q(path)}, ${q(`${path} `)} + show(a) + ${q(` must be ${words} ${other} `)} + show(b)); } }\n`;
}

/** `path` must hold `value` when `c` holds (e.g. EXPI multipliers must be 1). */
export function mustEqualWhen(path: string, value: string, c: Cond): Check {
  return (g, fail) =>
    `if (${c.js(g)} && ${g.k(compareDecimal)}(${g.read(path)}, ${q(value)}) !== 0) ` +
    `${fail}(${q(path)}, ${q(`${path} must be ${value} when ${c.text}, but holds `)} + show(${g.read(path)}));\n`;
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
  return (g, fail) => {
    const args = [0, 1, 2, 3].map((i) => (paths[i] !== undefined ? g.read(paths[i]!) : 'undefined'));
    return `${g.k(fn)}(${fail}, ${args.join(', ')});\n`;
  };
}
