/**
 * Field formats of the CFTC Technical Specification (and ISO standards behind them) as pure checks.
 * Each check returns null when the value is fine, or a short reason that the finding's message quotes.
 * Nothing here allocates on the success path: the rulebook runs them on every field of every event.
 */
import { fitsDigits, toParts } from './decimal.js';
import { ISO4217 } from './codes/iso4217.js';
import { ISO3166_ALPHA2 } from './codes/iso3166.js';

export type Reason = string | null;

// Character classes by code point, from a table: these tests run on every identifier of every event, and a
// table load is several times faster than a regular expression (or a chain of comparisons) on short strings.
const DIGIT = 1;
const UPPER = 2;
const LOWER = 4;
const CLASS = new Uint8Array(128);
for (let c = 48; c <= 57; c++) CLASS[c] = DIGIT;
for (let c = 65; c <= 90; c++) CLASS[c] = UPPER;
for (let c = 97; c <= 122; c++) CLASS[c] = LOWER;
const cls = (c: number): number => (c < 128 ? CLASS[c]! : 0);
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isUpperAlnum = (c: number): boolean => (cls(c) & (DIGIT | UPPER)) !== 0;
const isAlnum = (c: number): boolean => cls(c) !== 0;

function isLeiShaped(v: string, from: number): boolean {
  if (v.length < from + 20) return false;
  for (let i = from; i < from + 18; i++) if (!isUpperAlnum(v.charCodeAt(i))) return false;
  return isDigit(v.charCodeAt(from + 18)) && isDigit(v.charCodeAt(from + 19));
}

/**
 * Shape and check digits of the 20 characters at `from` in one pass: 0 = valid LEI, 1 = not LEI-shaped,
 * 2 = LEI-shaped but the ISO 7064 MOD 97-10 check fails. The remainder is kept below 97 at every step, so the
 * arithmetic stays in small integers (a modulo by a constant the JIT turns into a multiplication).
 */
export function leiStatus(v: string, from: number): 0 | 1 | 2 {
  if (v.length < from + 20) return 1;
  let rem = 0;
  for (let i = from; i < from + 20; i++) {
    const c = v.charCodeAt(i);
    const k = cls(c);
    if (k === DIGIT) rem = (rem * 10 + (c - 48)) % 97;
    else if (k === UPPER && i < from + 18) rem = (rem * 100 + (c - 55)) % 97;
    else return 1;
  }
  return rem === 1 ? 0 : 2;
}

export const LEI_SHAPE_REASON = 'is not an LEI (18 upper-case letters/digits + 2 check digits)';

/** ISO 17442 shape: 18 upper-case alphanumerics then 2 check digits. */
export function leiShape(v: string): Reason {
  return v.length === 20 && isLeiShaped(v, 0) ? null : LEI_SHAPE_REASON;
}

/**
 * ISO 7064 MOD 97-10 over the 20 characters (A=10 ... Z=35): the whole number mod 97 must be 1.
 * Computed digit by digit so no big integers are needed.
 */
export function leiChecksumOk(v: string): boolean {
  return v.length === 20 && leiStatus(v, 0) === 0;
}

function allAlnum(v: string): boolean {
  for (let i = 0; i < v.length; i++) if (!isAlnum(v.charCodeAt(i))) return false;
  return true;
}

/** Text with a length window; `alnum` demands letters and digits only (the spec's AlphaNumericText types). */
export function text(v: string, min: number, max: number, alnum: boolean): Reason {
  if (v.length < min || v.length > max) return `has ${v.length} characters (allowed ${min}..${max})`;
  if (alnum && !allAlnum(v)) return 'may hold only letters and digits';
  return null;
}

/**
 * UTI (CFTC 45.5 / ISO 23897): 1..52 alphanumerics, upper case, starting with the 20-character LEI of the
 * generating entity. The prefix's check digits are checked separately under the LEI strictness setting.
 */
export function utiShape(v: string): Reason {
  if (v.length > 52) return `has ${v.length} characters (a UTI has at most 52)`;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (!isUpperAlnum(c)) return isAlnum(c) ? 'must be upper case' : 'may hold only letters and digits';
  }
  if (v.length < 21) return `has ${v.length} characters (the generating entity's 20-character LEI plus at least one)`;
  if (!isLeiShaped(v, 0)) return 'does not start with an LEI (18 letters/digits + 2 check digits)';
  return null;
}

/**
 * The UTI check in one pass: 0 = well-formed UTI whose LEI prefix has valid check digits, 2 = well-formed
 * but the prefix's check digits fail, 1 = not a well-formed UTI (utiShape says why).
 */
export function utiStatus(v: string): 0 | 1 | 2 {
  const n = v.length;
  if (n < 21 || n > 52) return 1;
  let rem = 0;
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i);
    const k = cls(c);
    if (i < 18) {
      if (k === DIGIT) rem = (rem * 10 + (c - 48)) % 97;
      else if (k === UPPER) rem = (rem * 100 + (c - 55)) % 97;
      else return 1;
    } else if (i < 20) {
      if (k !== DIGIT) return 1;
      rem = (rem * 10 + (c - 48)) % 97;
    } else if ((k & (DIGIT | UPPER)) === 0) return 1;
  }
  return rem === 1 ? 0 : 2;
}

/** USI (CFTC USI Data Standard): 10-character namespace + transaction id, at most 42 alphanumerics. */
export function usiShape(v: string): Reason {
  if (v.length > 42) return `has ${v.length} characters (a USI has at most 42)`;
  if (v.length < 11) return `has ${v.length} characters (a USI is a 10-character namespace plus an identifier)`;
  if (!allAlnum(v)) return 'may hold only letters and digits';
  return null;
}

/**
 * Decimal with at most `total` significant digits and `fraction` decimals, read from the exact string.
 * Plain `-123.4500` forms are counted in one pass without allocating; exponent forms go through
 * parseDecimal.
 */
export function decimal(v: unknown, total: number, fraction: number): Reason {
  if (typeof v === 'string') {
    let i = 0;
    const n = v.length;
    const c0 = v.charCodeAt(0);
    if (c0 === 45 /* - */ || c0 === 43 /* + */) i = 1;
    let intDigits = 0;
    let leading = true;
    const intStart = i;
    for (; i < n; i++) {
      const c = v.charCodeAt(i);
      if (!isDigit(c)) break;
      if (leading && c === 48) continue;
      leading = false;
      intDigits++;
    }
    if (i > intStart) {
      let fracDigits = 0;
      let plain = i === n;
      if (!plain && v.charCodeAt(i) === 46 /* . */) {
        const fracStart = ++i;
        let lastNonZero = fracStart - 1;
        for (; i < n; i++) {
          const c = v.charCodeAt(i);
          if (!isDigit(c)) break;
          if (c !== 48) lastNonZero = i;
        }
        fracDigits = lastNonZero - fracStart + 1;
        plain = i === n && i > fracStart;
      }
      if (plain) {
        if (fracDigits <= fraction && intDigits + fracDigits <= total) return null;
        return `has ${intDigits + fracDigits} digits with ${fracDigits} decimals (allowed ${total} digits, ${fraction} decimals)`;
      }
    }
  }
  const d = toParts(v);
  if (d === null) return 'is not a decimal number';
  if (!fitsDigits(d, total, fraction)) {
    return `has ${d.int.length + d.frac.length} digits with ${d.frac.length} decimals (allowed ${total} digits, ${fraction} decimals)`;
  }
  return null;
}

export function nonNegative(v: unknown): Reason {
  if (typeof v === 'string' && v.charCodeAt(0) !== 45 /* - */) return null;
  const d = toParts(v);
  return d !== null && d.neg ? 'is negative' : null;
}

/** Whole number with at most `digits` digits (the spec's Max3Number multipliers), never negative. */
export function integer(v: unknown, digits: number): Reason {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v < 10 ** digits ? null : `has more than ${digits} digits`;
  if (typeof v === 'string' && v.length > 0 && v.length <= digits) {
    let ok = true;
    for (let i = 0; i < v.length; i++) if (!isDigit(v.charCodeAt(i))) ok = false;
    if (ok) return null;
  }
  const d = toParts(v);
  if (d === null || d.frac !== '' || d.neg) return 'is not a non-negative whole number';
  if (d.int.length > digits) return `has more than ${digits} digits`;
  return null;
}

/** Value of the two decimal digits at `i`, or -1. */
function two(v: string, i: number): number {
  const a = v.charCodeAt(i) - 48;
  const b = v.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** `YYYY-MM-DD` at the start of v: 1 = real date, 0 = well-formed but not on the calendar, -1 = not a date. */
function datePart(v: string): number {
  if (v.charCodeAt(4) !== 45 || v.charCodeAt(7) !== 45) return -1;
  const c = two(v, 0);
  const yy = two(v, 2);
  const m = two(v, 5);
  const d = two(v, 8);
  if (c < 0 || yy < 0 || m < 0 || d < 0) return -1;
  if (m < 1 || m > 12 || d < 1) return 0;
  if (d <= 28) return c + yy > 0 ? 1 : 0; // every month has 28 days; year 0000 does not exist
  return d <= daysInMonth(c * 100 + yy, m) ? 1 : 0;
}

/** UTC timestamp `YYYY-MM-DDThh:mm:ssZ` with optional fractional seconds (1-9 digits), on a real calendar day. */
export function timestamp(v: string): Reason {
  const n = v.length;
  // Fixed positions first (the usual whole-second form is 20 characters), then the digits by value.
  let shaped = n >= 20 && v.charCodeAt(10) === 84 /* T */ && v.charCodeAt(13) === 58 && v.charCodeAt(16) === 58 && v.charCodeAt(n - 1) === 90 /* Z */;
  if (shaped && n !== 20) {
    shaped = v.charCodeAt(19) === 46 /* . */ && n >= 22 && n <= 30;
    for (let i = 20; shaped && i < n - 1; i++) shaped = isDigit(v.charCodeAt(i));
  }
  if (!shaped) return TS_LAYOUT;
  const hh = two(v, 11);
  const mi = two(v, 14);
  const ss = two(v, 17);
  const day = datePart(v);
  if (day < 0 || hh < 0 || mi < 0 || ss < 0) return TS_LAYOUT;
  if (day === 0) return 'is not a calendar date';
  if (hh > 23 || mi > 59 || ss > 59) return 'is not a time of day';
  return null;
}

const TS_LAYOUT = 'is not a UTC timestamp YYYY-MM-DDThh:mm:ss[.fff]Z';

/** Date `YYYY-MM-DD` that exists on the calendar (no 30 February). */
export function date(v: string): Reason {
  const day = v.length === 10 ? datePart(v) : -1;
  if (day < 0) return 'is not a date YYYY-MM-DD';
  return day === 0 ? 'is not a calendar date' : null;
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

/**
 * Platform identifier: an ISO 10383 MIC (segment MIC, else operating MIC) or `BILT` for a bilateral,
 * off-facility swap. Only the ISO 10383 shape is checked: the registry (about 2,700 codes, changing
 * monthly) is not vendored here, so a well-formed but unregistered MIC passes. `BILT` satisfies the shape.
 */
export function platform(v: string): Reason {
  const ok = v.length === 4 && isUpperAlnum(v.charCodeAt(0)) && isUpperAlnum(v.charCodeAt(1)) && isUpperAlnum(v.charCodeAt(2)) && isUpperAlnum(v.charCodeAt(3));
  return ok ? null : 'is neither an ISO 10383 MIC (4 upper-case letters/digits) nor BILT';
}

export function codeList(v: string, codes: ReadonlySet<string>): Reason {
  return codes.has(v) ? null : 'is not an allowed code';
}

/**
 * The separators of `YYYY-MM-DDThh:mm:ss[.f+]Z`: enough to order two timestamps by their text. Digits and
 * calendar validity are the format rule's business (a value that fails them has its own finding).
 */
function timestampLayout(v: string): boolean {
  const n = v.length;
  return (n === 20 || (n >= 22 && v.charCodeAt(19) === 46)) && v.charCodeAt(4) === 45 && v.charCodeAt(7) === 45 &&
    v.charCodeAt(10) === 84 && v.charCodeAt(13) === 58 && v.charCodeAt(16) === 58 && v.charCodeAt(n - 1) === 90;
}

/**
 * Compares two UTC timestamps in the spec's format; NaN when either does not have its layout (calendar
 * validity is the format rule's business, and the layout alone fixes the order). Character by character:
 * the fixed-width layout makes text order time order, and a missing fraction digit counts as 0.
 */
export function compareTimestamps(a: unknown, b: unknown): number {
  if (typeof a !== 'string' || typeof b !== 'string' || !timestampLayout(a) || !timestampLayout(b)) return NaN;
  if (a === b) return 0;
  for (let i = 0; i < 19; i++) {
    const d = a.charCodeAt(i) - b.charCodeAt(i);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  // Fractions: digits from index 20 up to the 'Z'.
  const na = a.length - 21;
  const nb = b.length - 21;
  for (let i = 0; i < Math.max(na, nb); i++) {
    const da = i < na ? a.charCodeAt(20 + i) : 48;
    const db = i < nb ? b.charCodeAt(20 + i) : 48;
    if (da !== db) return da < db ? -1 : 1;
  }
  return 0;
}

/** Compares two dates `YYYY-MM-DD`; NaN when either lacks the layout. */
export function compareDates(a: unknown, b: unknown): number {
  if (typeof a !== 'string' || typeof b !== 'string' || !dateLayout(a) || !dateLayout(b)) return NaN;
  return a === b ? 0 : a < b ? -1 : 1;
}

/** `YYYY-MM-DD` separators (as for timestamps, the order needs only the layout). */
function dateLayout(v: string): boolean {
  return v.length === 10 && v.charCodeAt(4) === 45 && v.charCodeAt(7) === 45;
}
