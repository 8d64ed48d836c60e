/**
 * The feature row: one Float32 per feature, in this order, identical for training and scoring. Each line is
 * the feature's documentation; gpu-pool/FEATURES.md repeats the table and a unit test keeps the two equal.
 *
 * "Product" is the rolling-statistics key: asset class, instrument type, underlier type, leg currencies, a
 * tenor bucket and which of rate / spread / price the record carries (see productKey in featurize.ts).
 * "vs product" means minus the product's running median over its last 128 events (0 until it has 8).
 * slog(x) is sign(x)·log10(1+|x|): a log that keeps the sign and is 0 at 0.
 *
 * Bump FEATURES_VERSION whenever a feature's meaning or order changes: model versions record the features
 * version they were trained on, and the pool refuses to score with a model of another version.
 */
export const FEATURES_VERSION = 2; // 2: the source's rates (31, 32) in reporting time and bias-corrected for young sources; source_rate_log (31) and product_history (33) capped

/**
 * 'deviation': large values are suspicious by themselves (a rate far from its product's, a long lag, a
 * changed counterparty). 'context': where the event sits (asset class, size, tenor, action, time of day),
 * unusual only in combination. The z-score model and the isolation forest look at deviation features only
 * (context features would make every rare but legitimate product an outlier and dilute the splits); the
 * autoencoder sees all of them, since combinations are what it learns.
 */
export type FeatureRole = 'context' | 'deviation';

export interface FeatureSpec {
  readonly name: string;
  readonly role: FeatureRole;
  readonly description: string;
}

export const FEATURES: readonly FeatureSpec[] = [
  { name: 'notional1_log', role: 'context', description: 'log10(1 + |leg 1 notional amount|); 0 when absent' },
  { name: 'notional2_log', role: 'context', description: 'log10(1 + |leg 2 notional amount|); 0 when absent' },
  { name: 'notional1_vs_product', role: 'deviation', description: 'notional1_log vs product (a notional x1000 is +3)' },
  { name: 'leg_ratio_vs_product', role: 'deviation', description: '(notional2_log - notional1_log) vs product: for FX the implied rate, for swaps a leg mismatch' },
  { name: 'rate_log_vs_product', role: 'deviation', description: 'log10(|fixed rate| + 10bp) vs product: the 100x unit error (4.25 for 0.0425) is about +2' },
  { name: 'rate_z_vs_product', role: 'deviation', description: 'fixed rate minus product median, over the product IQR/1.349 (at least 1bp), clipped to ±50; for rates set within 15 minutes of the event (new trades), else 0' },
  { name: 'spread_log_vs_product', role: 'deviation', description: 'log10(|spread in decimal units| + 1bp) vs product' },
  { name: 'price_log_vs_product', role: 'deviation', description: 'log10(|price|) vs product, price = price, else strike price, else exchange rate' },
  { name: 'price_z_vs_product', role: 'deviation', description: 'price minus product median, over max(product IQR/1.349, 0.1% of the median), clipped to ±50; for prices set within 15 minutes of the event (new trades), else 0' },
  { name: 'has_rate', role: 'context', description: '1 when a leg carries a fixed rate' },
  { name: 'has_spread', role: 'context', description: '1 when a leg carries a spread' },
  { name: 'has_price', role: 'context', description: '1 when the record carries a price, strike price or exchange rate' },
  { name: 'notation_inconsistency', role: 'deviation', description: 'count of declared notations that differ from the PriceFormat key used, plus decimal/percentage values above 1 (a rate above 100%), vs product' },
  { name: 'report_lag_log', role: 'deviation', description: 'slog(reporting timestamp - the later of execution and event timestamp, seconds); 0 when absent' },
  { name: 'report_lag_vs_source', role: 'deviation', description: "report_lag_log minus the median of the source's last 128 lags" },
  { name: 'event_age_log', role: 'context', description: 'slog(event timestamp - execution timestamp, seconds): how late in the trade\'s life the event is' },
  { name: 'tenor_log', role: 'context', description: 'slog(expiration date - effective date (else execution), days)' },
  { name: 'time_of_day_sin', role: 'context', description: 'sin(2π · execution time of day UTC / 24h)' },
  { name: 'time_of_day_cos', role: 'context', description: 'cos(2π · execution time of day UTC / 24h)' },
  { name: 'weekend', role: 'deviation', description: '1 when executed on a Saturday or Sunday (UTC)' },
  { name: 'action_new', role: 'context', description: '1 for action type NEWT' },
  { name: 'action_modify', role: 'context', description: '1 for action types MODI and CORR' },
  { name: 'action_end', role: 'context', description: '1 for action types TERM, EROR and PRTO' },
  { name: 'previous_known', role: 'context', description: "1 when the trade's previous version is known to the scorer" },
  { name: 'notional_change', role: 'deviation', description: "notional1_log minus the previous version's; 0 without one" },
  { name: 'rate_change', role: 'deviation', description: "slog(fixed rate minus the previous version's, basis points); 0 without one" },
  { name: 'price_change', role: 'deviation', description: "slog(price minus the previous version's, percent of it); 0 without one" },
  { name: 'counterparty2_changed', role: 'deviation', description: '1 when counterparty 2 differs from the previous version' },
  { name: 'terms_changed', role: 'deviation', description: 'count of leg 1 currency, product, effective date and expiration date that differ from the previous version' },
  { name: 'duplicate_new', role: 'deviation', description: '1 for a NEWT whose trade (UTI) is already known: a duplicate UTI' },
  { name: 'pair_mismatch', role: 'deviation', description: 'count of legs whose payer and receiver are not the counterparty 1 / counterparty 2 pair' },
  { name: 'source_rate_log', role: 'context', description: "log10(1 + the source's event rate per second, decayed over 10 s, by reporting timestamp (arrival when that is later), corrected while the source is younger than the window, at most 100/s)" },
  { name: 'source_burst', role: 'deviation', description: "log10 of the source's 10 s rate over its 10 min rate (each + 1/s, by reporting timestamp): bursts" },
  { name: 'product_history', role: 'context', description: 'log10(1 + events seen of the product, at most 1,000): how much the "vs product" features can be trusted' },
  { name: 'asset_rates', role: 'context', description: '1 for asset class InterestRate' },
  { name: 'asset_credit', role: 'context', description: '1 for asset class Credit' },
  { name: 'asset_fx', role: 'context', description: '1 for asset class ForeignExchange' },
  { name: 'asset_equity', role: 'context', description: '1 for asset class Equity' },
  { name: 'asset_commodity', role: 'context', description: '1 for asset class Commodity' },
  { name: 'cleared', role: 'context', description: "1 when cleared is 'Y'" },
];

export const FEATURE_COUNT = FEATURES.length;

/** Indices of the deviation features. */
export const DEVIATION_FEATURES: readonly number[] = FEATURES.flatMap((f, i) => (f.role === 'deviation' ? [i] : []));

/** Index of a feature by name (throws on an unknown name: a typo must not silently read feature 0). */
export function featureIndex(name: string): number {
  const i = FEATURES.findIndex((f) => f.name === name);
  if (i < 0) throw new Error(`unknown feature ${name}`);
  return i;
}
