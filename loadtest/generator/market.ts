/**
 * Market levels the synthetic flow trades around, so that "off market" means something: each product's
 * rate, spread or price is drawn near its level, and the off-market anomaly moves it well away. Levels are
 * plausible for spring 2024; they need to be consistent, not exact.
 */
export const IRS_RATE: Readonly<Record<string, number>> = {
  USD: 0.0425, EUR: 0.0275, GBP: 0.045, JPY: 0.0075, CHF: 0.0125, CAD: 0.0375, AUD: 0.04,
};

/** FX pairs as CCY1/CCY2 with the CCY2 amount of one CCY1 (exchangeRateBasis order). */
export const FX_PAIRS: readonly { pair: string; rate: number; ndf: boolean }[] = [
  { pair: 'EUR/USD', rate: 1.08, ndf: false },
  { pair: 'GBP/USD', rate: 1.27, ndf: false },
  { pair: 'USD/JPY', rate: 151.2, ndf: false },
  { pair: 'AUD/USD', rate: 0.66, ndf: false },
  { pair: 'USD/CAD', rate: 1.36, ndf: false },
  { pair: 'USD/KRW', rate: 1340, ndf: true },
  { pair: 'USD/INR', rate: 83.3, ndf: true },
  { pair: 'USD/BRL', rate: 5.0, ndf: true },
  { pair: 'USD/TWD', rate: 32.0, ndf: true },
];

/** CDS: standard coupons (as decimals), with the quoted index or names they apply to. */
export const CDS_INDICES: readonly { name: string; coupon: number; currency: string }[] = [
  { name: 'CDX.NA.IG', coupon: 0.01, currency: 'USD' },
  { name: 'CDX.NA.HY', coupon: 0.05, currency: 'USD' },
  { name: 'ITRAXX.EUROPE', coupon: 0.01, currency: 'EUR' },
  { name: 'ITRAXX.CROSSOVER', coupon: 0.05, currency: 'EUR' },
];

export const EQUITY_INDICES: readonly { name: string; level: number; currency: string }[] = [
  { name: 'SPX', level: 5200, currency: 'USD' },
  { name: 'NDX', level: 18200, currency: 'USD' },
  { name: 'SX5E', level: 5000, currency: 'EUR' },
  { name: 'UKX', level: 7900, currency: 'GBP' },
  { name: 'NKY', level: 39500, currency: 'JPY' },
];

/** Commodities: price per unit of measure (CFTC unit codes). */
export const COMMODITIES: readonly { name: string; price: number; unit: string; quantity: [number, number] }[] = [
  { name: 'WTI', price: 82, unit: 'BARL', quantity: [10_000, 500_000] },
  { name: 'BRENT', price: 86, unit: 'BARL', quantity: [10_000, 500_000] },
  { name: 'HENRYHUB', price: 2.4, unit: 'MBTU', quantity: [100_000, 5_000_000] },
  { name: 'GOLD', price: 2300, unit: 'TOCD', quantity: [1_000, 50_000] },
];

/** Median notional (in the trade currency's units of USD-equivalent size) per asset class, and its spread. */
export const NOTIONAL: Readonly<Record<string, { median: number; sigma: number; round: number }>> = {
  InterestRate: { median: 50_000_000, sigma: 1.1, round: 100_000 },
  Credit: { median: 10_000_000, sigma: 0.9, round: 100_000 },
  ForeignExchange: { median: 5_000_000, sigma: 1.2, round: 10_000 },
  Equity: { median: 8_000_000, sigma: 1.0, round: 10_000 },
  Commodity: { median: 4_000_000, sigma: 1.0, round: 1_000 },
};

/** Rough USD value of one unit of each currency, to size notionals in other currencies. */
export const USD_PER_UNIT: Readonly<Record<string, number>> = {
  USD: 1, EUR: 1.08, GBP: 1.27, JPY: 1 / 151.2, CHF: 1.1, CAD: 1 / 1.36, AUD: 0.66, KRW: 1 / 1340, INR: 1 / 83.3, BRL: 1 / 5, TWD: 1 / 32,
};
