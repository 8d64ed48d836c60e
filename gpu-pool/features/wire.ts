/**
 * Reads a FeatureInput straight from SwapReport protobuf bytes, visiting only the fields the features use and
 * skipping every other field by its wire type (the Struct-valued UPI and enrichment data are never decoded).
 * About 20x faster than `SwapReport.decode`, which matters because scoring runs on the engine's main thread.
 *
 * Field numbers are those of proto/swap_report.proto (a number below 200 is the CFTC data element number).
 * The result equals `inputFromReport(SwapReport.decode(bytes))`; test/unit/scoring-features.test.ts checks
 * that on every corpus record.
 */
import { recentAscii } from '../../engine/record/decode-report.js';
import { emptyInput, emptyLeg, spreadUnits, type FeatureInput, type LegInput, type PriceKey } from './input.js';

// SwapReport
const CLEARED = 1, COUNTERPARTY1 = 13, COUNTERPARTY2 = 14, ACTION_TYPE = 26, EVENT_TYPE = 27, EVENT_TIMESTAMP = 30;
const EXCHANGE_RATE = 65, PRICE = 69, PRICE_NOTATION = 71, STRIKE_PRICE = 76, STRIKE_PRICE_NOTATION = 78;
const EFFECTIVE_DATE = 94, EXPIRATION_DATE = 95, EXECUTION_TIMESTAMP = 96, REPORTING_TIMESTAMP = 97;
const USI = 102, UTI = 103, LEG1 = 200, LEG2 = 201, CFTC_GUIDEBOOK = 202, NON_REPORTABLE = 203;
// Leg
const PAYER = 20, RECEIVER = 21, NOTIONAL_AMOUNT = 31, NOTIONAL_CURRENCY = 32, FIXED_RATE = 67, SPREAD = 73, SPREAD_NOTATION = 75;
// PriceFormat: the field number is the Technical Specification notation code.
const PRICE_KEYS: readonly PriceKey[] = ['', 'monetary', 'percentage', 'decimal', 'basis'];
// CftcGuidebook / NonReportable
const ASSET_CLASS = 202, INSTRUMENT_TYPE = 240, UNDERLYING_ASSET_TYPE = 241;


const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

function daysInMonth(year: number, month: number): number {
  if (month !== 2) return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
}

/**
 * A cursor over a record's bytes: [pos, end) of the message being read (a nested message narrows `end` while it
 * is read). One reader serves every record: reading allocates nothing but the values.
 */
class Reader {
  buf: Uint8Array = new Uint8Array(0);
  /** A Buffer view of the same bytes (no copy): its toString decodes short ASCII runs fastest. */
  latin: Buffer = Buffer.alloc(0);
  pos = 0;
  end = 0;

  reset(buf: Uint8Array): void {
    this.buf = buf;
    this.latin = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = 0;
    this.end = buf.length;
  }

  /** Enters the length-delimited message at pos: returns the outer end, to give back to leave(). */
  enter(): number {
    this.span();
    const outer = this.end;
    this.pos = this.s;
    this.end = this.e;
    return outer;
  }

  /** Leaves a message entered with enter(), past its last byte. */
  leave(outer: number): void {
    this.pos = this.end;
    this.end = outer;
  }

  /**
   * The number of the message's next length-delimited field (every field the features read is one: texts,
   * decimals, messages), skipping fields of other wire types; 0 at the message's end (no field has number 0).
   */
  nextField(): number {
    while (this.pos < this.end) {
      const tag = this.varint();
      if ((tag & 7) === 2) return tag >>> 3;
      this.skip(tag & 7);
    }
    return 0;
  }

  varint(): number {
    // Arithmetic rather than bit operations: tags and lengths are small, and the int64 varints of other
    // fields are only skipped, so precision beyond 2^53 never matters.
    let result = 0;
    let scale = 1;
    for (;;) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 128;
      if (scale > 2 ** 63) throw new Error('varint too long');
    }
  }

  /** Start and end of the last span() (fields, not a returned pair: no allocation per field). */
  s = 0;
  e = 0;

  /** Reads the bounds of a length-delimited value into s and e, and moves past it. */
  span(): void {
    const len = this.varint();
    this.s = this.pos;
    this.pos += len;
    this.e = this.pos;
    if (this.pos > this.end) throw new Error('truncated field');
  }

  text(): string {
    this.span();
    return recentAscii(this.buf, this.s, this.e) ?? this.latin.toString('utf8', this.s, this.e);
  }

  /**
   * A decimal text as a double, read from the bytes without making a string first. Fast path: at most 15
   * significant digits and no exponent, so the digits are an exact integer m < 2^53 and the value is
   * m / 10^k with k <= 22, both exact: one correctly rounded division, the same double Number(text) gives.
   * Anything else goes through Number(text).
   */
  decimal(): number {
    this.span();
    const { s, e } = this;
    const b = this.buf;
    if (s === e) return NaN;
    let i = s;
    let negative = false;
    if (b[i] === 0x2d || b[i] === 0x2b) negative = b[i++] === 0x2d;
    let m = 0;
    let all = 0; // digits, leading zeros included
    let significant = 0;
    let frac = -1;
    for (; i < e; i++) {
      const c = b[i]!;
      if (c >= 0x30 && c <= 0x39) {
        all++;
        if (m !== 0 || c !== 0x30) significant++;
        m = m * 10 + (c - 0x30);
        if (frac >= 0) frac++;
      } else if (c === 0x2e && frac < 0) frac = 0;
      else break;
    }
    if (i !== e || all === 0 || significant > 15 || frac > 22) return Number(this.textOf(s, e));
    const v = frac > 0 ? m / POW10[frac]! : m;
    return negative ? -v : v;
  }

  /**
   * An ISO 8601 date (YYYY-MM-DD, midnight UTC) or UTC timestamp (YYYY-MM-DDTHH:MM:SS[.fff]Z) as epoch ms,
   * read from the bytes; other forms (offsets, other precisions, local times) go through Date.parse, so
   * the result is always what Date.parse(text) gives.
   */
  instant(): number {
    this.span();
    const { s, e } = this;
    const b = this.buf;
    const n = e - s;
    const d = (k: number) => b[s + k]! - 0x30;
    const digitsOk = (from: number, to: number) => {
      for (let k = from; k < to; k++) if (b[s + k]! < 0x30 || b[s + k]! > 0x39) return false;
      return true;
    };
    if ((n === 10 || n === 20 || n === 24) && b[s + 4] === 0x2d && b[s + 7] === 0x2d && digitsOk(0, 4) && digitsOk(5, 7) && digitsOk(8, 10)) {
      const year = d(0) * 1000 + d(1) * 100 + d(2) * 10 + d(3);
      const month = d(5) * 10 + d(6);
      const day = d(8) * 10 + d(9);
      // Date.UTC maps years 0-99 to 1900-1999: leave those (and impossible dates) to Date.parse.
      if (year >= 100 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month)) {
        if (n === 10) return Date.UTC(year, month - 1, day);
        if (b[s + 10] === 0x54 && b[s + 13] === 0x3a && b[s + 16] === 0x3a && b[s + n - 1] === 0x5a && digitsOk(11, 13) && digitsOk(14, 16) && digitsOk(17, 19)) {
          const hour = d(11) * 10 + d(12);
          const minute = d(14) * 10 + d(15);
          const second = d(17) * 10 + d(18);
          const fractionOk = n === 20 || (b[s + 19] === 0x2e && digitsOk(20, 23));
          const ms = n === 24 ? d(20) * 100 + d(21) * 10 + d(22) : 0;
          if (fractionOk && hour <= 23 && minute <= 59 && second <= 59) return Date.UTC(year, month - 1, day, hour, minute, second, ms);
        }
      }
    }
    return Date.parse(this.textOf(s, e));
  }

  private textOf(s: number, e: number): string {
    return this.latin.toString('utf8', s, e);
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0: this.varint(); return;
      case 1: this.pos += 8; break;
      case 2: this.span(); return;
      case 5: this.pos += 4; break;
      default: throw new Error(`unsupported wire type ${wireType}`);
    }
    if (this.pos > this.end) throw new Error('truncated field');
  }
}

/** The value and key of the last price() read (fields, not a returned pair: no allocation per price). */
let priceValue = NaN;
let priceKey: PriceKey = '';

/** A PriceFormat: the value under the first key in notation order, like `priceOf` in input.ts. */
function price(r: Reader): void {
  const outer = r.enter();
  // The field number is the notation code (1 to 4); the first in that order wins, whatever the bytes' order.
  let best = 5;
  let value = NaN;
  for (let field = r.nextField(); field !== 0; field = r.nextField()) {
    if (field > 4) {
      r.skip(2);
      continue;
    }
    const v = r.decimal();
    if (field <= best) { // a key repeated: its last value, as protobuf reads a repeated scalar
      best = field;
      value = v;
    }
  }
  r.leave(outer);
  priceValue = best < 5 ? value : NaN;
  priceKey = best < 5 ? PRICE_KEYS[best]! : '';
}

function leg(r: Reader): LegInput {
  const out = emptyLeg();
  const outer = r.enter();
  for (let field = r.nextField(); field !== 0; field = r.nextField()) {
    switch (field) {
      case PAYER: out.payer = r.text(); break;
      case RECEIVER: out.receiver = r.text(); break;
      case NOTIONAL_AMOUNT: out.notional = r.decimal(); break;
      case NOTIONAL_CURRENCY: out.currency = r.text(); break;
      case FIXED_RATE: out.fixedRate = r.decimal(); break;
      case SPREAD:
        price(r);
        out.spread = spreadUnits(priceValue, priceKey);
        out.spreadKey = priceKey;
        break;
      case SPREAD_NOTATION: out.spreadNotation = r.text(); break;
      default: r.skip(2);
    }
  }
  r.leave(outer);
  return out;
}

const reader = new Reader();

/** The feature input of one SwapReport in protobuf encoding. Throws on malformed bytes. */
export function inputFromBytes(buf: Uint8Array): FeatureInput {
  const out = emptyInput();
  let uti: string | undefined;
  let usi: string | undefined;
  const r = reader;
  r.reset(buf);
  for (let field = r.nextField(); field !== 0; field = r.nextField()) {
    switch (field) {
      case CLEARED: out.cleared = r.text(); break;
      case COUNTERPARTY1: out.counterparty1 = r.text(); break;
      case COUNTERPARTY2: out.counterparty2 = r.text(); break;
      case ACTION_TYPE: out.actionType = r.text(); break;
      case EVENT_TYPE: out.eventType = r.text(); break;
      case EVENT_TIMESTAMP: out.eventMs = r.instant(); break;
      case EXCHANGE_RATE: out.exchangeRate = r.decimal(); break;
      case PRICE: price(r); out.price = priceValue; out.priceKey = priceKey; break;
      case PRICE_NOTATION: out.priceNotation = r.text(); break;
      case STRIKE_PRICE: price(r); out.strike = priceValue; out.strikeKey = priceKey; break;
      case STRIKE_PRICE_NOTATION: out.strikeNotation = r.text(); break;
      case EFFECTIVE_DATE: out.effectiveMs = r.instant(); break;
      case EXPIRATION_DATE: out.expirationMs = r.instant(); break;
      case EXECUTION_TIMESTAMP: out.executionMs = r.instant(); break;
      case REPORTING_TIMESTAMP: out.reportingMs = r.instant(); break;
      case USI: usi = r.text(); break;
      case UTI: uti = r.text(); break;
      case LEG1: out.leg1 = leg(r); break;
      case LEG2: out.leg2 = leg(r); break;
      case CFTC_GUIDEBOOK: {
        const outer = r.enter();
        for (let f = r.nextField(); f !== 0; f = r.nextField()) {
          if (f === ASSET_CLASS) out.assetClass = r.text();
          else r.skip(2);
        }
        r.leave(outer);
        break;
      }
      case NON_REPORTABLE: {
        const outer = r.enter();
        for (let f = r.nextField(); f !== 0; f = r.nextField()) {
          if (f === INSTRUMENT_TYPE) out.instrumentType = r.text();
          else if (f === UNDERLYING_ASSET_TYPE) out.underlyingAssetType = r.text();
          else r.skip(2);
        }
        r.leave(outer);
        break;
      }
      default: r.skip(2);
    }
  }
  out.uti = uti ?? (usi !== undefined ? 'USI:' + usi : '');
  return out;
}
