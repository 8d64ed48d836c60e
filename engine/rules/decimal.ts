/**
 * Exact decimal handling on the string form of a number.
 *
 * Amounts, rates and prices reach the rules as the exact digits of the source (never a float), so every
 * digit count and every comparison here works on those digits: a float would round 25-digit notionals
 * and make `0.1 + 0.2` style errors look like rule breaks.
 */

/** A decimal split into its digits: value = (neg ? -1 : 1) * 0.int.frac, without leading/trailing zeros. */
export interface DecimalParts {
  readonly neg: boolean;
  /** Integer digits without leading zeros ('' for zero). */
  readonly int: string;
  /** Fraction digits without trailing zeros ('' when none). */
  readonly frac: string;
}

const DECIMAL_RE = /^(-|\+)?(\d+)(?:\.(\d+))?(?:[eE]([-+]?\d+))?$/;

/**
 * Parses a JSON-style decimal (`-12.50`, `1E+7`, `0.0253`); null when it is not a plain decimal number.
 * Exponents are applied by moving the point, so `1.5E3` counts as the four digits of `1500`.
 */
export function parseDecimal(text: string): DecimalParts | null {
  const plain = parsePlain(text);
  if (plain !== undefined) return plain;
  const m = DECIMAL_RE.exec(text);
  if (m === null) return null;
  let digits = (m[2] ?? '') + (m[3] ?? '');
  let point = (m[2] ?? '').length; // digits before the point
  if (m[4] !== undefined) {
    const exp = Number(m[4]);
    if (!Number.isSafeInteger(exp) || Math.abs(exp) > 400) return null; // absurd exponents are not amounts
    point += exp;
    if (point < 0) {
      digits = '0'.repeat(-point) + digits;
      point = 0;
    } else if (point > digits.length) {
      digits = digits + '0'.repeat(point - digits.length);
    }
  }
  const int = digits.slice(0, point).replace(/^0+/, '');
  const frac = digits.slice(point).replace(/0+$/, '');
  const neg = m[1] === '-' && (int !== '' || frac !== '');
  return { neg, int, frac };
}

/**
 * The usual form (`-123.4500`, no exponent) in one scan without a regular expression; undefined when the
 * text needs the general parser (exponent, sign '+', or not a number at all, which it then rejects).
 */
function parsePlain(text: string): DecimalParts | undefined {
  const n = text.length;
  let i = text.charCodeAt(0) === 45 /* - */ ? 1 : 0;
  const intStart = i;
  while (i < n && isDigitCode(text.charCodeAt(i))) i++;
  const intEnd = i;
  if (intEnd === intStart) return undefined;
  let fracEnd = i;
  if (i < n) {
    if (text.charCodeAt(i) !== 46 /* . */) return undefined;
    i++;
    while (i < n && isDigitCode(text.charCodeAt(i))) i++;
    if (i !== n || i === intEnd + 1) return undefined;
    fracEnd = n;
  }
  let a = intStart;
  while (a < intEnd && text.charCodeAt(a) === 48) a++;
  let z = fracEnd;
  while (z > intEnd + 1 && text.charCodeAt(z - 1) === 48) z--;
  const int = text.slice(a, intEnd);
  const frac = fracEnd > intEnd ? text.slice(intEnd + 1, z) : '';
  return { neg: intStart === 1 && (int !== '' || frac !== ''), int, frac };
}

function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Whether a decimal fits `totalDigits` significant digits with at most `fractionDigits` after the point. */
export function fitsDigits(d: DecimalParts, totalDigits: number, fractionDigits: number): boolean {
  return d.frac.length <= fractionDigits && d.int.length + d.frac.length <= totalDigits;
}

export function isZero(d: DecimalParts): boolean {
  return d.int === '' && d.frac === '';
}

function compareMagnitude(a: DecimalParts, b: DecimalParts): number {
  if (a.int.length !== b.int.length) return a.int.length < b.int.length ? -1 : 1;
  if (a.int !== b.int) return a.int < b.int ? -1 : 1;
  const n = Math.max(a.frac.length, b.frac.length);
  const fa = a.frac.padEnd(n, '0');
  const fb = b.frac.padEnd(n, '0');
  return fa === fb ? 0 : fa < fb ? -1 : 1;
}

/** Exact comparison of two parsed decimals: -1, 0 or 1. */
export function compareParts(a: DecimalParts, b: DecimalParts): number {
  if (a.neg !== b.neg) return a.neg ? -1 : 1;
  const c = compareMagnitude(a, b);
  return a.neg ? -c : c;
}

/**
 * Exact comparison of two decimal strings (or JS numbers, which are printed first); NaN when either is
 * not a decimal, so callers can skip a comparison that a format rule reports anyway.
 */
export function compareDecimal(a: unknown, b: unknown): number {
  const pa = toParts(a);
  if (pa === null) return NaN;
  const pb = toParts(b);
  if (pb === null) return NaN;
  return compareParts(pa, pb);
}

/**
 * `compareDecimal(a, b)` with `b` parsed once: for rules that compare a field with a constant
 * (premium > 0, multiplier = 1) on every record.
 */
export function comparerTo(b: string): (a: unknown) => number {
  const pb = parseDecimal(b);
  if (pb === null) throw new Error(`not a decimal constant: ${b}`);
  if (isZero(pb)) return signOf;
  return (a) => {
    const pa = toParts(a);
    return pa === null ? NaN : compareParts(pa, pb);
  };
}

/** -1, 0 or 1 for a decimal's sign (compared with zero), NaN when it is not a decimal. */
export function signOf(a: unknown): number {
  const pa = toParts(a);
  if (pa === null) return NaN;
  return isZero(pa) ? 0 : pa.neg ? -1 : 1;
}

export function toParts(v: unknown): DecimalParts | null {
  if (typeof v === 'string') return parseDecimal(v);
  if (typeof v === 'number' && Number.isFinite(v)) return parseDecimal(String(v));
  if (typeof v === 'bigint') return parseDecimal(v.toString());
  return null;
}
