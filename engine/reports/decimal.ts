/**
 * Exact decimal arithmetic on the record's decimal text, just enough for Part 43 rounding and capping.
 *
 * Why not Number: notionals have up to 25 digits (20 integer + 5 fraction); a double keeps 15-17, so
 * "99999999999999999999.99999" or a 21-digit notional would round wrongly. Amounts are held as BigInt
 * at a fixed scale of 10^5 (the Technical Specification's maximum of 5 decimals); extra fraction digits
 * are truncated, which cannot change a rounding to whole units of 5 or more except on an exact tie.
 */
export const SCALE_DIGITS = 5;
const SCALE = 10n ** BigInt(SCALE_DIGITS);

const PLAIN = /^([+-]?)(\d+)(?:\.(\d*))?$/;
const EXPONENT = /^([+-]?)(\d+)(?:\.(\d*))?[eE]([+-]?\d+)$/;

/** The value of decimal text scaled by 10^5, or undefined when the text is not a decimal number. */
export function parseScaled(text: string): bigint | undefined {
  let m = PLAIN.exec(text);
  let sign: string;
  let digits: string;
  let point: number; // position of the decimal point in `digits`
  if (m) {
    sign = m[1]!;
    const frac = m[3] ?? '';
    digits = m[2]! + frac;
    point = m[2]!.length;
  } else {
    m = EXPONENT.exec(text);
    if (!m) return undefined;
    sign = m[1]!;
    const frac = m[3] ?? '';
    digits = m[2]! + frac;
    const exp = Number(m[4]);
    // A JSON number like 1e400 is legal text; refuse absurd exponents rather than build huge BigInts.
    if (!Number.isFinite(exp) || Math.abs(exp) > 64) return undefined;
    point = m[2]!.length + exp;
  }
  // Move the point SCALE_DIGITS to the right, then keep the integer part.
  const shifted = point + SCALE_DIGITS;
  let intText: string;
  if (shifted <= 0) intText = '0';
  else if (shifted >= digits.length) intText = digits + '0'.repeat(shifted - digits.length);
  else intText = digits.slice(0, shifted);
  const v = BigInt(intText);
  return sign === '-' ? -v : v;
}

/** Scales a whole-unit decimal text (a threshold from configuration) by 10^5; throws on bad configuration. */
export function scaledConst(text: string): bigint {
  const v = parseScaled(text);
  if (v === undefined) throw new Error(`not a decimal number: "${text}"`);
  return v;
}

/** Rounds a scaled value to the nearest multiple of a scaled unit, ties away from zero. */
export function roundToUnit(scaled: bigint, unitScaled: bigint): bigint {
  const neg = scaled < 0n;
  const a = neg ? -scaled : scaled;
  const r = ((a + unitScaled / 2n) / unitScaled) * unitScaled;
  return neg ? -r : r;
}

/** Decimal text of a scaled value, without trailing fraction zeros ("250000000", "12.5"). */
export function formatScaled(scaled: bigint): string {
  const neg = scaled < 0n;
  const a = neg ? -scaled : scaled;
  const int = a / SCALE;
  const frac = (a % SCALE).toString().padStart(SCALE_DIGITS, '0').replace(/0+$/, '');
  return (neg ? '-' : '') + int.toString() + (frac ? '.' + frac : '');
}
