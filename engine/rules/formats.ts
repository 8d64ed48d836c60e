/**
 * Field formats of the CFTC Technical Specification (and ISO standards behind them) as pure checks.
 * Each check returns null when the value is fine, or a short reason that the finding's message quotes.
 * Nothing here allocates on the success path: the rulebook runs them on every field of every event.
 */
import { fitsDigits, toParts } from './decimal.js';
import { ISO4217 } from './codes/iso4217.js';
import { ISO3166_ALPHA2 } from './codes/iso3166.js';

export type Reason = string | null;

const LEI_SHAPE = /^[A-Z0-9]{18}[0-9]{2}$/;

/** ISO 17442 shape: 18 upper-case alphanumerics then 2 check digits. */
export function leiShape(v: string): Reason {
  return LEI_SHAPE.test(v) ? null : 'is not an LEI (18 upper-case letters/digits + 2 check digits)';
}

/**
 * ISO 7064 MOD 97-10 over the 20 characters (A=10 ... Z=35): the whole number mod 97 must be 1.
 * Computed digit by digit so no big integers are needed.
 */
export function leiChecksumOk(v: string): boolean {
  let rem = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c >= 48 && c <= 57) rem = (rem * 10 + (c - 48)) % 97;
    else if (c >= 65 && c <= 90) rem = (rem * 100 + (c - 55)) % 97;
    else return false;
  }
  return rem === 1;
}

const ALNUM = /^[A-Za-z0-9]+$/;

/** Text with a length window; `alnum` demands letters and digits only (the spec's AlphaNumericText types). */
export function text(v: string, min: number, max: number, alnum: boolean): Reason {
  if (v.length < min || v.length > max) return `has ${v.length} characters (allowed ${min}..${max})`;
  if (alnum && !ALNUM.test(v)) return 'may hold only letters and digits';
  return null;
}

/**
 * UTI (CFTC 45.5 / ISO 23897): 1..52 alphanumerics, upper case, starting with the 20-character LEI of the
 * generating entity. The prefix's check digits are checked separately under the LEI strictness setting.
 */
export function utiShape(v: string): Reason {
  if (v.length > 52) return `has ${v.length} characters (a UTI has at most 52)`;
  if (!ALNUM.test(v)) return 'may hold only letters and digits';
  if (v !== v.toUpperCase()) return 'must be upper case';
  if (v.length < 21) return `has ${v.length} characters (the generating entity's 20-character LEI plus at least one)`;
  if (!LEI_SHAPE.test(v.slice(0, 20))) return 'does not start with an LEI (18 letters/digits + 2 check digits)';
  return null;
}

/** USI (CFTC USI Data Standard): 10-character namespace + transaction id, at most 42 alphanumerics. */
export function usiShape(v: string): Reason {
  if (v.length > 42) return `has ${v.length} characters (a USI has at most 42)`;
  if (v.length < 11) return `has ${v.length} characters (a USI is a 10-character namespace plus an identifier)`;
  if (!ALNUM.test(v)) return 'may hold only letters and digits';
  return null;
}

/** Decimal with at most `total` significant digits and `fraction` decimals, read from the exact string. */
export function decimal(v: unknown, total: number, fraction: number): Reason {
  const d = toParts(v);
  if (d === null) return 'is not a decimal number';
  if (!fitsDigits(d, total, fraction)) {
    return `has ${d.int.length + d.frac.length} digits with ${d.frac.length} decimals (allowed ${total} digits, ${fraction} decimals)`;
  }
  return null;
}

export function nonNegative(v: unknown): Reason {
  const d = toParts(v);
  return d !== null && d.neg ? 'is negative' : null;
}

/** Whole number with at most `digits` digits (the spec's Max3Number multipliers), never negative. */
export function integer(v: unknown, digits: number): Reason {
  const d = toParts(v);
  if (d === null || d.frac !== '' || d.neg) return 'is not a non-negative whole number';
  if (d.int.length > digits) return `has more than ${digits} digits`;
  return null;
}

const TS_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?Z$/;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

function realDate(y: number, m: number, d: number): boolean {
  return y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m);
}

/** UTC timestamp `YYYY-MM-DDThh:mm:ssZ` with optional fractional seconds, on a real calendar day. */
export function timestamp(v: string): Reason {
  const m = TS_RE.exec(v);
  if (m === null) return 'is not a UTC timestamp YYYY-MM-DDThh:mm:ss[.fff]Z';
  if (!realDate(+m[1]!, +m[2]!, +m[3]!)) return 'is not a calendar date';
  if (+m[4]! > 23 || +m[5]! > 59 || +m[6]! > 59) return 'is not a time of day';
  return null;
}

/** Date `YYYY-MM-DD` that exists on the calendar (no 30 February). */
export function date(v: string): Reason {
  const m = DATE_RE.exec(v);
  if (m === null) return 'is not a date YYYY-MM-DD';
  if (!realDate(+m[1]!, +m[2]!, +m[3]!)) return 'is not a calendar date';
  return null;
}

export function currency(v: string): Reason {
  return ISO4217.has(v) ? null : 'is not an ISO 4217 currency code';
}

export function country(v: string): Reason {
  return ISO3166_ALPHA2.has(v) ? null : 'is not an ISO 3166-1 alpha-2 country code';
}

/** `CCY/CCY` with both sides ISO 4217 (exchange rate basis, FX strike currency pair). */
export function currencyPair(v: string): Reason {
  if (v.length !== 7 || v.charCodeAt(3) !== 47 /* '/' */) return 'is not a currency pair CCY/CCY';
  if (!ISO4217.has(v.slice(0, 3)) || !ISO4217.has(v.slice(4))) return 'names a currency that is not ISO 4217';
  return null;
}

export function currencyOrPair(v: string): Reason {
  return v.length === 3 ? currency(v) : currencyPair(v);
}

const MIC_SHAPE = /^[A-Z0-9]{4}$/;

/**
 * Platform identifier: an ISO 10383 MIC (segment MIC, else operating MIC) or `BILT` for a bilateral,
 * off-facility swap. Only the ISO 10383 shape is checked: the registry (about 2,700 codes, changing
 * monthly) is not vendored here, so a well-formed but unregistered MIC passes. `BILT` satisfies the shape.
 */
export function platform(v: string): Reason {
  return MIC_SHAPE.test(v) ? null : 'is neither an ISO 10383 MIC (4 upper-case letters/digits) nor BILT';
}

export function codeList(v: string, codes: ReadonlySet<string>): Reason {
  return codes.has(v) ? null : 'is not an allowed code';
}

/** Compares two UTC timestamps in the spec's format; NaN when either is malformed. */
export function compareTimestamps(a: unknown, b: unknown): number {
  if (typeof a !== 'string' || typeof b !== 'string') return NaN;
  if (timestamp(a) !== null || timestamp(b) !== null) return NaN;
  // Same fixed-width layout up to the seconds, so text order is time order; then the fraction.
  const ha = a.slice(0, 19);
  const hb = b.slice(0, 19);
  if (ha !== hb) return ha < hb ? -1 : 1;
  const fa = a.slice(19, -1).replace('.', '');
  const fb = b.slice(19, -1).replace('.', '');
  const n = Math.max(fa.length, fb.length);
  const pa = fa.padEnd(n, '0');
  const pb = fb.padEnd(n, '0');
  return pa === pb ? 0 : pa < pb ? -1 : 1;
}

/** Compares two dates `YYYY-MM-DD`; NaN when either is malformed. */
export function compareDates(a: unknown, b: unknown): number {
  if (typeof a !== 'string' || typeof b !== 'string') return NaN;
  if (date(a) !== null || date(b) !== null) return NaN;
  return a === b ? 0 : a < b ? -1 : 1;
}
