/**
 * Product templates of the synthetic flow, one per product kind, in the DRR flat JSON shape of the corpus
 * (test/fixtures/drr-6.10/cftc-part45: IR-IRS-Fixed-Float-ex01, IR-IRS-Basis-ex01, Credit-Index-ABX-HE-ex01,
 * Credit-Single-Name-ex01, FX-Forward-ex01, FX-NDF-ex04, Equity-Swap-Price-Return-Index-ex01,
 * Equity-Option-Price-Return-Index-ex02, the commodity swap mockup), filled in so that a record passes the
 * CFTC Part 45 rulebook: terms are drawn once per trade (`drawTerms`) and a record of any action is built
 * from them (`tradeRecord`), so every version of a trade agrees with its NEWT.
 */
import { COMMODITIES, CDS_INDICES, EQUITY_INDICES, FX_PAIRS, IRS_RATE, NOTIONAL, USD_PER_UNIT } from './market.js';
import type { Random } from './random.js';

export const ASSET_CLASSES = ['InterestRate', 'Credit', 'ForeignExchange', 'Equity', 'Commodity'] as const;
export type AssetClass = (typeof ASSET_CLASSES)[number];

export type ProductKind = 'irs-fixed-float' | 'irs-basis' | 'cds-index' | 'cds-single-name' | 'fx-forward' | 'fx-ndf' | 'equity-swap' | 'equity-option' | 'commodity-swap';

export const PRODUCTS_BY_CLASS: Readonly<Record<AssetClass, readonly { kind: ProductKind; weight: number }[]>> = {
  InterestRate: [{ kind: 'irs-fixed-float', weight: 0.8 }, { kind: 'irs-basis', weight: 0.2 }],
  Credit: [{ kind: 'cds-index', weight: 0.7 }, { kind: 'cds-single-name', weight: 0.3 }],
  ForeignExchange: [{ kind: 'fx-forward', weight: 0.65 }, { kind: 'fx-ndf', weight: 0.35 }],
  Equity: [{ kind: 'equity-swap', weight: 0.6 }, { kind: 'equity-option', weight: 0.4 }],
  Commodity: [{ kind: 'commodity-swap', weight: 1 }],
};

/** Everything a trade's records are built from. Plain data, small: the book keeps one per live trade. */
export interface TradeTerms {
  kind: ProductKind;
  assetClass: AssetClass;
  uti: string;
  counterparty1: string;
  counterparty2: string;
  /** Counterparty 1 pays leg 1 (the fixed leg, the first currency, the protection premium…). */
  cp1PaysLeg1: boolean;
  executionMs: number;
  effectiveDate: string;
  expirationDate: string;
  notional: number;
  currency: string;
  /** Second currency (FX) or the amount in it. */
  currency2?: string;
  notional2?: number;
  /** The product's rate-like level: fixed rate, basis spread (bp), CDS coupon, FX rate, strike or price. */
  level: number;
  /** Secondary numbers: option premium, commodity quantity, index name… */
  quantity?: number;
  underlier?: string;
  unit?: string;
  /** Traded on a SEF (platform MIC) or off facility (XOFF). */
  platform: string;
}

const SEF_MICS = ['BBSF', 'TRUX', 'TWSF', 'DWSF'];

export function dateOnly(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function timestamp(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

const DAY = 86_400_000;

function addYears(ms: number, years: number): number {
  const d = new Date(ms);
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d.getTime();
}

/** Rounds to a number of decimals and writes it as exact decimal text (no exponent, no trailing zeros). */
export function decimal(x: number, decimals: number): string {
  const s = x.toFixed(decimals);
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

function notionalFor(r: Random, assetClass: AssetClass, currency: string): number {
  const n = NOTIONAL[assetClass]!;
  const usd = r.logNormal(Math.log(n.median), n.sigma);
  const units = usd / (USD_PER_UNIT[currency] ?? 1);
  const round = currency === 'JPY' || currency === 'KRW' ? n.round * 100 : n.round;
  return Math.max(round, Math.round(units / round) * round);
}

/** Draws the terms of a new trade of `kind` between two parties, executed at `executionMs`. */
export function drawTerms(r: Random, kind: ProductKind, uti: string, counterparty1: string, counterparty2: string, executionMs: number): TradeTerms {
  const spot = executionMs + 2 * DAY;
  const sef = r.chance(0.35);
  const base = { kind, uti, counterparty1, counterparty2, cp1PaysLeg1: r.chance(0.5), executionMs, platform: sef ? r.pick(SEF_MICS) : 'XOFF' };
  switch (kind) {
    case 'irs-fixed-float':
    case 'irs-basis': {
      const currency = r.pick(Object.keys(IRS_RATE));
      const tenor = r.pick([2, 3, 5, 5, 7, 10, 10, 15, 20, 30]);
      const level = kind === 'irs-basis' ? r.int(2, 25) : IRS_RATE[currency]! + r.normal() * 0.002;
      return { ...base, assetClass: 'InterestRate', effectiveDate: dateOnly(spot), expirationDate: dateOnly(addYears(spot, tenor)), notional: notionalFor(r, 'InterestRate', currency), currency, level };
    }
    case 'cds-index':
    case 'cds-single-name': {
      const idx = r.pick(CDS_INDICES);
      const tenor = r.pick([3, 5, 5, 5, 7, 10]);
      const name = kind === 'cds-index' ? idx.name : `REF${r.alnum(6)}`;
      return { ...base, assetClass: 'Credit', effectiveDate: dateOnly(executionMs + DAY), expirationDate: dateOnly(addYears(spot, tenor)), notional: notionalFor(r, 'Credit', idx.currency), currency: idx.currency, level: idx.coupon, underlier: name };
    }
    case 'fx-forward':
    case 'fx-ndf': {
      const pairs = FX_PAIRS.filter((p) => p.ndf === (kind === 'fx-ndf'));
      const p = r.pick(pairs);
      const [c1, c2] = p.pair.split('/') as [string, string];
      const days = r.pick([7, 14, 30, 30, 60, 90, 180, 365]);
      const level = p.rate * (1 + r.normal() * 0.004);
      const notional = notionalFor(r, 'ForeignExchange', c1);
      return { ...base, assetClass: 'ForeignExchange', effectiveDate: dateOnly(spot), expirationDate: dateOnly(spot + days * DAY), notional, currency: c1, currency2: c2, notional2: Math.round(notional * level * 100) / 100, level };
    }
    case 'equity-swap':
    case 'equity-option': {
      const idx = r.pick(EQUITY_INDICES);
      const months = r.pick([3, 6, 12, 12, 24]);
      const level = idx.level * (kind === 'equity-option' ? 1 + r.normal() * 0.05 : 1 + r.normal() * 0.003);
      const notional = notionalFor(r, 'Equity', idx.currency);
      return {
        ...base, assetClass: 'Equity', effectiveDate: dateOnly(spot), expirationDate: dateOnly(spot + months * 30 * DAY), notional, currency: idx.currency, level, underlier: idx.name,
        quantity: Math.max(1, Math.round(notional / idx.level)),
      };
    }
    case 'commodity-swap': {
      const c = r.pick(COMMODITIES);
      const months = r.pick([1, 3, 6, 12]);
      const quantity = Math.round(r.float() * (c.quantity[1] - c.quantity[0]) + c.quantity[0]);
      const level = c.price * (1 + r.normal() * 0.01);
      return {
        ...base, assetClass: 'Commodity', effectiveDate: dateOnly(spot), expirationDate: dateOnly(spot + months * 30 * DAY), notional: Math.round(quantity * level), currency: 'USD', level,
        quantity, underlier: c.name, unit: c.unit,
      };
    }
  }
}

type Json = Record<string, unknown>;

/**
 * The full record of a trade in the DRR flat shape (a SwapReport-shaped plain object: decimals as exact
 * text), for any action; the caller sets action-specific fields (event type, valuation, margin…).
 */
export function tradeRecord(t: TradeTerms): Json {
  const [payer1, receiver1] = t.cp1PaysLeg1 ? [t.counterparty1, t.counterparty2] : [t.counterparty2, t.counterparty1];
  const sef = t.platform !== 'XOFF';
  const common: Json = {
    allocationIndicator: 'UNAL',
    blockTradeElectionIndicator: false,
    cftcGuidebook: {
      assetClass: t.assetClass,
      ...(sef ? {} : { largeNotionalOffFacilitySwapElectionIndicator: false }),
      mandatoryClearingIndicator: false,
      messageType: 'Trade State',
      physicalCommodityIndicator: false,
      sdMspIndicatorParty1: true,
      sdMspIndicatorParty2: false,
      sefOrDcmAnonymousExecutionIndicator: false,
      sefOrDcmIndicator: sef,
      // Settlement type as the corpus samples give it: cash for NDFs, swaps and options; absent for deliverable forwards and CDS.
      ...(t.kind === 'fx-forward' || t.kind.startsWith('cds') ? {} : { settlementType: 'CASH' }),
    },
    cleared: 'N',
    counterparty1: t.counterparty1,
    counterparty1FederalEntityIndicator: false,
    counterparty1FinancialEntityIndicator: true,
    counterparty2: t.counterparty2,
    counterparty2FederalEntityIndicator: false,
    counterparty2FinancialEntityIndicator: false,
    counterparty2IdentifierSource: 'LEID',
    customBasketIndicator: false,
    effectiveDate: t.effectiveDate,
    executionTimestamp: timestamp(t.executionMs),
    expirationDate: t.expirationDate,
    finalContractualSettlementDate: t.expirationDate,
    jurisdiction: 'CFTC',
    nonStandardizedTermIndicator: false,
    packageIndicator: false,
    platformIdentifier: t.platform,
    postPricedSwapIndicator: false,
    primeBrokerageTransactionIndicator: false,
    reportSubmittingEntityID: t.counterparty1,
    uniqueTransactionIdentifier: t.uti,
  };
  const nr = (instrumentType: string, extra: Json = {}): Json => ({
    nonReportable: { buyerIdentifierFormat: 'Lei', counterparty1Format: 'Lei', counterparty2Format: 'Lei', instrumentType, sellerIdentifierFormat: 'Lei', ...extra },
  });
  const parties = (payer: string, receiver: string): Json => ({ payerIdentifier: payer, payerIdentifierFormat: 'Lei', receiverIdentifier: receiver, receiverIdentifierFormat: 'Lei' });
  const notional = String(t.notional);
  switch (t.kind) {
    case 'irs-fixed-float':
      return Object.assign(common, {
        ...nr('Swap', { notionalSchedule: 'Constant' }),
        leg1: {
          ...parties(payer1, receiver1), fixedRate: decimal(t.level, 6), notionalAmount: notional, notionalCurrency: t.currency, settlementCurrency: t.currency,
          periodicPayment: { fixedRateDayCountConvention: 'A011', fixedRatePaymentFrequencyPeriod: 'MNTH', fixedRatePaymentFrequencyPeriodMultiplier: 6 },
        },
        leg2: {
          ...parties(receiver1, payer1), notionalAmount: notional, notionalCurrency: t.currency, settlementCurrency: t.currency,
          periodicPayment: { floatingRateDayCountConvention: 'A004', floatingRatePaymentFrequencyPeriod: 'MNTH', floatingRatePaymentFrequencyPeriodMultiplier: 3, floatingRateResetFrequencyMultiplier: 3, floatingRateResetFrequencyPeriod: 'MNTH' },
          spread: { basis: '0' }, spreadNotation: 'Basis',
        },
      });
    case 'irs-basis': {
      const float = { floatingRateDayCountConvention: 'A004', floatingRatePaymentFrequencyPeriod: 'MNTH', floatingRatePaymentFrequencyPeriodMultiplier: 3, floatingRateResetFrequencyMultiplier: 1, floatingRateResetFrequencyPeriod: 'DAIL' };
      return Object.assign(common, {
        ...nr('Swap', { notionalSchedule: 'Constant' }),
        leg1: { ...parties(payer1, receiver1), notionalAmount: notional, notionalCurrency: t.currency, settlementCurrency: t.currency, periodicPayment: float, spread: { basis: String(t.level) }, spreadNotation: 'Basis' },
        leg2: { ...parties(receiver1, payer1), notionalAmount: notional, notionalCurrency: t.currency, settlementCurrency: t.currency, periodicPayment: float, spread: { basis: '0' }, spreadNotation: 'Basis' },
      });
    }
    case 'cds-index':
    case 'cds-single-name':
      // Credit: the protection buyer pays the premium (leg 1); buyer and seller name the parties.
      return Object.assign(common, {
        buyerIdentifier: payer1,
        sellerIdentifier: receiver1,
        ...(t.kind === 'cds-index' ? { indexFactor: '1' } : {}),
        ...nr('Swap', { underlyingAssetType: t.kind === 'cds-index' ? 'Index' : 'Single_Name' }),
        leg1: {
          fixedRate: decimal(t.level, 6), notionalAmount: notional, notionalCurrency: t.currency, payerIdentifierFormat: 'Lei', receiverIdentifierFormat: 'Lei',
          periodicPayment: { fixedRateDayCountConvention: 'A004', fixedRatePaymentFrequencyPeriod: 'MNTH', fixedRatePaymentFrequencyPeriodMultiplier: 3 },
        },
        leg2: { payerIdentifierFormat: 'Lei', receiverIdentifierFormat: 'Lei' },
      });
    case 'fx-forward':
    case 'fx-ndf':
      return Object.assign(common, {
        exchangeRate: decimal(t.level, 6),
        exchangeRateBasis: `${t.currency}/${t.currency2}`,
        ...nr('Forward'),
        leg1: {
          ...parties(payer1, receiver1), notionalAmount: notional, notionalCurrency: t.currency,
          ...(t.kind === 'fx-ndf' ? { settlementCurrency: 'USD', fixingDate: `${dateOnly(Date.parse(t.expirationDate) - 2 * DAY)}T00:00:00Z` } : {}),
        },
        leg2: { ...parties(receiver1, payer1), notionalAmount: decimal(t.notional2!, 2), notionalCurrency: t.currency2 },
      });
    case 'equity-swap':
      return Object.assign(common, {
        price: { monetary: decimal(t.level, 2) },
        priceCurrency: t.currency,
        priceNotation: 'Monetary',
        priceUnitOfMeasure: 'IPNT',
        ...nr('Swap', { underlyingAssetType: 'Index' }),
        leg1: { ...parties(payer1, receiver1), notionalAmount: notional, notionalCurrency: t.currency, quantityUnitOfMeasure: 'IPNT', settlementCurrency: t.currency, totalNotionalQuantity: String(t.quantity) },
        leg2: { ...parties(receiver1, payer1), notionalAmount: notional, notionalCurrency: t.currency, settlementCurrency: t.currency },
      });
    case 'equity-option': {
      const premium = decimal(t.notional * 0.04, 2);
      return Object.assign(common, {
        buyerIdentifier: payer1,
        sellerIdentifier: receiver1,
        cftcGuidebook: { ...(common.cftcGuidebook as Json), optionStyle: 'EURO', optionType: 'CALL', settlementType: 'CASH' },
        firstExerciseDate: t.expirationDate,
        optionPremiumAmount: premium,
        optionPremiumCurrency: t.currency,
        optionPremiumPaymentDate: t.effectiveDate,
        strikePrice: { monetary: decimal(t.level, 2) },
        strikePriceCurrency: t.currency,
        strikePriceNotation: 'Monetary',
        ...nr('Option', { underlyingAssetType: 'Index' }),
        leg1: { notionalAmount: notional, notionalCurrency: t.currency, payerIdentifierFormat: 'Lei', quantityUnitOfMeasure: 'IPNT', receiverIdentifierFormat: 'Lei', settlementCurrency: t.currency, totalNotionalQuantity: String(t.quantity) },
        leg2: { payerIdentifierFormat: 'Lei', receiverIdentifierFormat: 'Lei' },
      });
    }
    case 'commodity-swap': {
      const qty = String(t.quantity);
      // Monthly quantity over the term; both legs quote a (zero) spread as the corpus commodity swap does.
      const months = Math.max(1, Math.round((Date.parse(t.expirationDate) - Date.parse(t.effectiveDate)) / (30 * DAY)));
      const leg = (payer: string, receiver: string): Json => ({
        ...parties(payer, receiver), notionalAmount: notional, notionalCurrency: 'USD', notionalQuantity: decimal(t.quantity! / months, 3), quantityFrequency: 'MNTH', quantityFrequencyMultiplier: 1,
        quantityUnitOfMeasure: t.unit, settlementCurrency: 'USD', totalNotionalQuantity: qty,
        spread: { monetary: '0' }, spreadCurrency: 'USD', spreadNotation: 'Monetary',
      });
      return Object.assign(common, {
        price: { monetary: decimal(t.level, 4) },
        priceCurrency: 'USD',
        priceNotation: 'Monetary',
        priceUnitOfMeasure: t.unit,
        ...nr('Swap', { underlyingAssetType: 'Index' }),
        leg1: leg(payer1, receiver1),
        leg2: leg(receiver1, payer1),
      });
    }
  }
}

/** The JSON paths of a product's rate-like level (where the 100x and off-market anomalies are planted). */
export function levelPath(kind: ProductKind): string {
  switch (kind) {
    case 'irs-fixed-float':
    case 'cds-index':
    case 'cds-single-name':
      return 'leg1.fixedRate';
    case 'irs-basis':
      return 'leg1.spread.basis';
    case 'fx-forward':
    case 'fx-ndf':
      return 'exchangeRate';
    case 'equity-option':
      return 'strikePrice.monetary';
    case 'commodity-swap':
    case 'equity-swap':
      return 'price.monetary';
  }
}
