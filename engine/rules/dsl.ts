/**
 * The little language the conditions table is written in. Each builder runs once, when the tables are
 * loaded, and returns a closure; validating a record only calls closures (no table interpretation).
 *
 * - A `Cond` is a predicate with the words that explain it (`cleared = Y`), so every message can say
 *   why a field was required or had to be blank.
 * - A `Check` reports failures through `fail(path, message)`; the compiler binds `fail` to the rule.
 */
import { accessor, type Accessor } from './paths.js';
import { isAsset, type AssetClass, type Facts } from './facts.js';
import { compareDecimal } from './decimal.js';
import { compareDates, compareTimestamps } from './formats.js';
import { isPresent, show, type Fail, type Rec } from './types.js';

export interface Cond {
  readonly test: (r: Rec, f: Facts) => boolean;
  readonly text: string;
}
export type Check = (r: Rec, f: Facts, fail: Fail) => void;

export type Leg = 'leg1' | 'leg2';
export const LEGS: readonly Leg[] = ['leg1', 'leg2'];

// ---------------------------------------------------------------------------------------------- predicates

export const always: Cond = { test: () => true, text: 'always' };

export function cond(text: string, test: (r: Rec, f: Facts) => boolean): Cond {
  return { test, text };
}

export function eq(path: string, value: unknown): Cond {
  const a = accessor(path);
  return { test: (r) => a.get(r) === value, text: `${path} = ${String(value)}` };
}

export function oneOf(path: string, values: readonly unknown[]): Cond {
  const a = accessor(path);
  const set = new Set(values);
  return { test: (r) => set.has(a.get(r)), text: `${path} is one of ${values.join(', ')}` };
}

export function has(path: string): Cond {
  const a = accessor(path);
  return { test: (r) => a.present(r), text: `${path} is populated` };
}

export function lacks(path: string): Cond {
  const a = accessor(path);
  return { test: (r) => !a.present(r), text: `${path} is not populated` };
}

export function and(...cs: Cond[]): Cond {
  return {
    test: (r, f) => {
      for (let i = 0; i < cs.length; i++) if (!cs[i]!.test(r, f)) return false;
      return true;
    },
    text: cs.map((c) => c.text).join(' and '),
  };
}

export function or(...cs: Cond[]): Cond {
  return {
    test: (r, f) => {
      for (let i = 0; i < cs.length; i++) if (cs[i]!.test(r, f)) return true;
      return false;
    },
    text: `(${cs.map((c) => c.text).join(' or ')})`,
  };
}

export function not(c: Cond): Cond {
  return { test: (r, f) => !c.test(r, f), text: `not (${c.text})` };
}

/** Asset class on the guidebook or the UPI record. */
export function asset(...classes: AssetClass[]): Cond {
  return {
    test: (_r, f) => {
      for (let i = 0; i < classes.length; i++) if (isAsset(f, classes[i]!)) return true;
      return false;
    },
    text: `asset class is ${classes.join(' or ')}`,
  };
}

export const option: Cond = cond('UPI instrument type is Option', (_r, f) => f.option);
export const notOption: Cond = cond('UPI instrument type is not Option', (_r, f) => !f.option);
export const notPostPriced: Cond = cond('postPricedSwapIndicator = false', (_r, f) => f.notPostPriced);
export const cashDelivery: Cond = cond('UPI delivery type is CASH', (_r, f) => f.cashDelivery);

export function underlierIs(...types: string[]): Cond {
  const set = new Set(types);
  return {
    test: (_r, f) => f.underlyingAssetType !== undefined && set.has(f.underlyingAssetType),
    text: `UPI underlier type is ${types.join(' or ')}`,
  };
}

/** Decimal field compared with a constant, exactly (no float). */
export function greaterThan(path: string, value: string): Cond {
  const a = accessor(path);
  return { test: (r) => compareDecimal(a.get(r), value) > 0, text: `${path} > ${value}` };
}

// ---------------------------------------------------------------------------------------------- checks

/** `path` is mandatory (the spec's M). */
export function required(path: string): Check {
  const a = accessor(path);
  return (r, _f, fail) => {
    if (!a.present(r)) fail(path, `${path} is mandatory, but is not populated`);
  };
}

/** `path` must be populated when `c` holds. */
export function requiredWhen(path: string, c: Cond): Check {
  const a = accessor(path);
  return (r, f, fail) => {
    if (c.test(r, f) && !a.present(r)) fail(path, `${path} is required when ${c.text}, but is not populated`);
  };
}

/** `path` must be blank when `c` holds. */
export function blankWhen(path: string, c: Cond): Check {
  const a = accessor(path);
  return (r, f, fail) => {
    if (c.test(r, f) && a.present(r)) fail(path, `${path} must be blank when ${c.text}, but holds ${show(a.get(r))}`);
  };
}

/** The spec's "C if X, else {blank}": required when `c` holds, blank otherwise. */
export function requiredElseBlank(path: string, c: Cond): Check {
  const a = accessor(path);
  return (r, f, fail) => {
    const p = a.present(r);
    if (c.test(r, f)) {
      if (!p) fail(path, `${path} is required when ${c.text}, but is not populated`);
    } else if (p) {
      fail(path, `${path} must be blank unless ${c.text}, but holds ${show(a.get(r))}`);
    }
  };
}

function anyPresent(as: readonly Accessor[], r: Rec): boolean {
  for (let i = 0; i < as.length; i++) if (as[i]!.present(r)) return true;
  return false;
}

/** At least one of `paths` must be populated when `c` holds. */
export function anyRequiredWhen(paths: readonly string[], c: Cond): Check {
  const as = paths.map(accessor);
  return (r, f, fail) => {
    if (c.test(r, f) && !anyPresent(as, r)) {
      fail(paths[0]!, `one of ${paths.join(', ')} is required when ${c.text}, but none is populated`);
    }
  };
}

/** Every one of `paths` must be blank when `c` holds (one finding per populated path). */
export function allBlankWhen(paths: readonly string[], c: Cond): Check {
  const checks = paths.map((p) => blankWhen(p, c));
  return all(...checks);
}

/** At least one of `paths` when `c` holds, all of them blank otherwise. */
export function anyRequiredElseAllBlank(paths: readonly string[], c: Cond): Check {
  const need = anyRequiredWhen(paths, c);
  const blank = allBlankWhen(paths, not(c));
  return (r, f, fail) => {
    need(r, f, fail);
    blank(r, f, fail);
  };
}

/** Runs `then` when `c` holds, `otherwise` (if given) when it does not. */
export function when(c: Cond, then: Check, otherwise?: Check): Check {
  return (r, f, fail) => {
    if (c.test(r, f)) then(r, f, fail);
    else if (otherwise !== undefined) otherwise(r, f, fail);
  };
}

export function all(...checks: Check[]): Check {
  if (checks.length === 1) return checks[0]!;
  return (r, f, fail) => {
    for (let i = 0; i < checks.length; i++) checks[i]!(r, f, fail);
  };
}

/** The same check on leg1 and leg2. */
export function perLeg(make: (leg: Leg) => Check): Check {
  return all(...LEGS.map(make));
}

/** When both are populated, `path` must equal one of the `others` (identifiers matching counterparties). */
export function equalsOneOf(path: string, others: readonly string[]): Check {
  const a = accessor(path);
  const os = others.map(accessor);
  return (r, _f, fail) => {
    const v = a.get(r);
    if (!isPresent(v)) return;
    for (let i = 0; i < os.length; i++) if (os[i]!.get(r) === v) return;
    fail(path, `${path} ${show(v)} must match ${others.join(' or ')}`);
  };
}

type Order = 'timestamp' | 'date' | 'decimal';
const COMPARE: Readonly<Record<Order, (a: unknown, b: unknown) => number>> = {
  timestamp: compareTimestamps,
  date: compareDates,
  decimal: compareDecimal,
};
const OPS = {
  '>=': (c: number) => c >= 0,
  '>': (c: number) => c > 0,
  '<': (c: number) => c < 0,
} as const;

/**
 * `path op other` when both are populated and well-formed (a malformed value is the format rules'
 * finding, not this one's).
 */
export function compare(path: string, op: keyof typeof OPS, other: string, kind: Order): Check {
  const a = accessor(path);
  const b = accessor(other);
  const cmp = COMPARE[kind];
  const ok = OPS[op];
  const words = op === '>=' ? 'equal to or later than' : op === '>' ? 'greater than' : 'less than';
  const verb = kind === 'decimal' ? (op === '>=' ? 'at least' : words) : words;
  return (r, _f, fail) => {
    const va = a.get(r);
    const vb = b.get(r);
    if (!isPresent(va) || !isPresent(vb)) return;
    const c = cmp(va, vb);
    if (Number.isNaN(c)) return;
    if (!ok(c)) fail(path, `${path} ${show(va)} must be ${verb} ${other} ${show(vb)}`);
  };
}

/** `path` must hold `value` when `c` holds and the field is populated (e.g. EXPI multipliers must be 1). */
export function mustEqualWhen(path: string, value: string, c: Cond): Check {
  const a = accessor(path);
  return (r, f, fail) => {
    if (!c.test(r, f)) return;
    const v = a.get(r);
    if (compareDecimal(v, value) !== 0) fail(path, `${path} must be ${value} when ${c.text}, but holds ${show(v)}`);
  };
}

/** Free-form check for the few rules that are a table rather than an if/else (action/event pairs). */
export function custom(check: Check): Check {
  return check;
}
