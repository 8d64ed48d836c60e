/**
 * Reads a FeatureInput straight from SwapReport protobuf bytes, visiting only the fields the features use and
 * skipping every other field by its wire type (the Struct-valued UPI and enrichment data are never decoded).
 * About 20x faster than `SwapReport.decode`, which matters because scoring runs on the engine's main thread.
 *
 * Field numbers are those of proto/swap_report.proto (a number below 200 is the CFTC data element number).
 * The result equals `inputFromReport(SwapReport.decode(bytes))`; test/unit/scoring-features.test.ts checks
 * that on every corpus record.
 */
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

const utf8 = new TextDecoder();

/** A cursor over one message's bytes [pos, end). */
class Reader {
  constructor(
    readonly buf: Uint8Array,
    public pos: number,
    readonly end: number,
  ) {}

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

  /** The bounds of a length-delimited value; moves past it. */
  span(): [number, number] {
    const len = this.varint();
    const start = this.pos;
    this.pos += len;
    if (this.pos > this.end) throw new Error('truncated field');
    return [start, this.pos];
  }

  text(): string {
    const [s, e] = this.span();
    // Codes, identifiers, dates and decimals are ASCII: build them without the TextDecoder call overhead.
    if (e - s <= 48) {
      let ascii = true;
      for (let i = s; i < e; i++) if (this.buf[i]! >= 0x80) { ascii = false; break; }
      if (ascii) return String.fromCharCode.apply(null, this.buf.subarray(s, e) as unknown as number[]);
    }
    return utf8.decode(this.buf.subarray(s, e));
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

/** Visits each field of the message in [start, end); `visit` returns false when it did not consume the value. */
function fields(buf: Uint8Array, start: number, end: number, visit: (r: Reader, field: number, wireType: number) => boolean): void {
  const r = new Reader(buf, start, end);
  while (r.pos < end) {
    const tag = r.varint();
    const field = tag >>> 3;
    const wireType = tag & 7;
    if (!visit(r, field, wireType)) r.skip(wireType);
  }
}

/** A PriceFormat: the value under the first key in notation order, like `priceOf` in input.ts. */
function price(r: Reader): { value: number; key: PriceKey } {
  const [s, e] = r.span();
  const byKey: (string | undefined)[] = [];
  fields(r.buf, s, e, (pr, field, wt) => {
    if (wt === 2 && field >= 1 && field <= 4) {
      byKey[field] = pr.text();
      return true;
    }
    return false;
  });
  for (let k = 1; k <= 4; k++) {
    const t = byKey[k];
    if (t !== undefined) return { value: t === '' ? NaN : Number(t), key: PRICE_KEYS[k]! };
  }
  return { value: NaN, key: '' };
}

function leg(r: Reader): LegInput {
  const out = emptyLeg();
  const [s, e] = r.span();
  fields(r.buf, s, e, (lr, field, wt) => {
    if (wt !== 2) return false;
    switch (field) {
      case PAYER: out.payer = lr.text(); return true;
      case RECEIVER: out.receiver = lr.text(); return true;
      case NOTIONAL_AMOUNT: out.notional = num(lr.text()); return true;
      case NOTIONAL_CURRENCY: out.currency = lr.text(); return true;
      case FIXED_RATE: out.fixedRate = num(lr.text()); return true;
      case SPREAD: {
        const p = price(lr);
        out.spread = spreadUnits(p.value, p.key);
        out.spreadKey = p.key;
        return true;
      }
      case SPREAD_NOTATION: out.spreadNotation = lr.text(); return true;
      default: return false;
    }
  });
  return out;
}

function num(t: string): number {
  return t === '' ? NaN : Number(t);
}

function time(t: string): number {
  return t === '' ? NaN : Date.parse(t);
}

/** The feature input of one SwapReport in protobuf encoding. Throws on malformed bytes. */
export function inputFromBytes(buf: Uint8Array): FeatureInput {
  const out = emptyInput();
  let uti: string | undefined;
  let usi: string | undefined;
  fields(buf, 0, buf.length, (r, field, wt) => {
    if (wt !== 2) return false;
    switch (field) {
      case CLEARED: out.cleared = r.text(); return true;
      case COUNTERPARTY1: out.counterparty1 = r.text(); return true;
      case COUNTERPARTY2: out.counterparty2 = r.text(); return true;
      case ACTION_TYPE: out.actionType = r.text(); return true;
      case EVENT_TYPE: out.eventType = r.text(); return true;
      case EVENT_TIMESTAMP: out.eventMs = time(r.text()); return true;
      case EXCHANGE_RATE: out.exchangeRate = num(r.text()); return true;
      case PRICE: { const p = price(r); out.price = p.value; out.priceKey = p.key; return true; }
      case PRICE_NOTATION: out.priceNotation = r.text(); return true;
      case STRIKE_PRICE: { const p = price(r); out.strike = p.value; out.strikeKey = p.key; return true; }
      case STRIKE_PRICE_NOTATION: out.strikeNotation = r.text(); return true;
      case EFFECTIVE_DATE: out.effectiveMs = time(r.text()); return true;
      case EXPIRATION_DATE: out.expirationMs = time(r.text()); return true;
      case EXECUTION_TIMESTAMP: out.executionMs = time(r.text()); return true;
      case REPORTING_TIMESTAMP: out.reportingMs = time(r.text()); return true;
      case USI: usi = r.text(); return true;
      case UTI: uti = r.text(); return true;
      case LEG1: out.leg1 = leg(r); return true;
      case LEG2: out.leg2 = leg(r); return true;
      case CFTC_GUIDEBOOK: {
        const [s, e] = r.span();
        fields(buf, s, e, (gr, f, w) => (f === ASSET_CLASS && w === 2 ? ((out.assetClass = gr.text()), true) : false));
        return true;
      }
      case NON_REPORTABLE: {
        const [s, e] = r.span();
        fields(buf, s, e, (nr, f, w) => {
          if (w !== 2) return false;
          if (f === INSTRUMENT_TYPE) out.instrumentType = nr.text();
          else if (f === UNDERLYING_ASSET_TYPE) out.underlyingAssetType = nr.text();
          else return false;
          return true;
        });
        return true;
      }
      default: return false;
    }
  });
  out.uti = uti ?? (usi !== undefined ? 'USI:' + usi : '');
  return out;
}
