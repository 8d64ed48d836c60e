/**
 * The few values of a record that the features read, pulled out once per event. Scoring reads them straight
 * from the protobuf bytes (wire.ts: a full decode costs ~20 µs per record, mostly in the Struct fields, which
 * would be a core at 50,000 events/s); training and file scoring read them from a decoded `SwapReport`
 * (`inputFromReport` below). A unit test checks that both give the same values on the whole corpus.
 *
 * Absent numbers are NaN and absent texts are '' so that the feature code has one representation of
 * "missing" and no undefined checks on the hot path.
 */
import type { PriceFormat, SwapReport, Leg } from '../../proto/gen/swap_report.js';

/** Which key of a DRR PriceFormat held the value ('' when none). */
export type PriceKey = '' | 'monetary' | 'percentage' | 'decimal' | 'basis';

export interface LegInput {
  notional: number;
  currency: string;
  payer: string;
  receiver: string;
  fixedRate: number;
  /** The spread in decimal units (a basis-point spread is divided by 10,000). */
  spread: number;
  spreadKey: PriceKey;
  spreadNotation: string;
}

export interface FeatureInput {
  uti: string;
  assetClass: string;
  instrumentType: string;
  underlyingAssetType: string;
  actionType: string;
  eventType: string;
  cleared: string;
  counterparty1: string;
  counterparty2: string;
  leg1: LegInput;
  leg2: LegInput;
  price: number;
  priceKey: PriceKey;
  priceNotation: string;
  strike: number;
  strikeKey: PriceKey;
  strikeNotation: string;
  exchangeRate: number;
  /** Milliseconds since the epoch, NaN when absent or unparseable. */
  executionMs: number;
  reportingMs: number;
  eventMs: number;
  effectiveMs: number;
  expirationMs: number;
}

export function emptyLeg(): LegInput {
  return { notional: NaN, currency: '', payer: '', receiver: '', fixedRate: NaN, spread: NaN, spreadKey: '', spreadNotation: '' };
}

export function emptyInput(): FeatureInput {
  return {
    uti: '', assetClass: '', instrumentType: '', underlyingAssetType: '', actionType: '', eventType: '', cleared: '',
    counterparty1: '', counterparty2: '', leg1: emptyLeg(), leg2: emptyLeg(),
    price: NaN, priceKey: '', priceNotation: '', strike: NaN, strikeKey: '', strikeNotation: '', exchangeRate: NaN,
    executionMs: NaN, reportingMs: NaN, eventMs: NaN, effectiveMs: NaN, expirationMs: NaN,
  };
}

/** A decimal text as a double (NaN when absent or not a number). */
export function decimal(text: string | undefined): number {
  if (text === undefined || text === '') return NaN;
  return Number(text);
}

/** An ISO 8601 date or timestamp as epoch milliseconds (a bare date is midnight UTC), NaN when absent. */
export function instant(text: string | undefined): number {
  if (text === undefined || text === '') return NaN;
  return Date.parse(text);
}

/** The first PriceFormat key that holds a value, in the Technical Specification's notation order. */
export function priceOf(p: PriceFormat | undefined): { value: number; key: PriceKey } {
  if (!p) return { value: NaN, key: '' };
  if (p.monetary !== undefined) return { value: decimal(p.monetary), key: 'monetary' };
  if (p.percentage !== undefined) return { value: decimal(p.percentage), key: 'percentage' };
  if (p.decimal !== undefined) return { value: decimal(p.decimal), key: 'decimal' };
  if (p.basis !== undefined) return { value: decimal(p.basis), key: 'basis' };
  return { value: NaN, key: '' };
}

/** A spread value in decimal units: basis points are divided by 10,000, other notations are already rates. */
export function spreadUnits(value: number, key: PriceKey): number {
  return key === 'basis' ? value / 10_000 : value;
}

function legFromReport(leg: Leg | undefined): LegInput {
  const out = emptyLeg();
  if (!leg) return out;
  out.notional = decimal(leg.notionalAmount);
  out.currency = leg.notionalCurrency ?? '';
  out.payer = leg.payerIdentifier ?? '';
  out.receiver = leg.receiverIdentifier ?? '';
  out.fixedRate = decimal(leg.fixedRate);
  const s = priceOf(leg.spread);
  out.spread = spreadUnits(s.value, s.key);
  out.spreadKey = s.key;
  out.spreadNotation = leg.spreadNotation ?? '';
  return out;
}

/** The feature input of a decoded record (files, training, tests). */
export function inputFromReport(r: SwapReport): FeatureInput {
  const price = priceOf(r.price);
  const strike = priceOf(r.strikePrice);
  return {
    uti: r.uniqueTransactionIdentifier ?? (r.uniqueSwapIdentifier !== undefined ? 'USI:' + r.uniqueSwapIdentifier : ''),
    assetClass: r.cftcGuidebook?.assetClass ?? '',
    instrumentType: r.nonReportable?.instrumentType ?? '',
    underlyingAssetType: r.nonReportable?.underlyingAssetType ?? '',
    actionType: r.actionType ?? '',
    eventType: r.eventType ?? '',
    cleared: r.cleared ?? '',
    counterparty1: r.counterparty1 ?? '',
    counterparty2: r.counterparty2 ?? '',
    leg1: legFromReport(r.leg1),
    leg2: legFromReport(r.leg2),
    price: price.value,
    priceKey: price.key,
    priceNotation: r.priceNotation ?? '',
    strike: strike.value,
    strikeKey: strike.key,
    strikeNotation: r.strikePriceNotation ?? '',
    exchangeRate: decimal(r.exchangeRate),
    executionMs: instant(r.executionTimestamp),
    reportingMs: instant(r.reportingTimestamp),
    eventMs: instant(r.eventTimestamp),
    effectiveMs: instant(r.effectiveDate),
    expirationMs: instant(r.expirationDate),
  };
}
