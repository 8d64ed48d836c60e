/**
 * Record + trade state + rolling statistics → one fixed-length Float32 row (gpu-pool/features/table.ts).
 * The single function used by training, evaluation, file scoring and the live pool, so a model always sees
 * the features it was trained on. Pure computation over the state held in `FeatureState`; no I/O.
 */
import type { FeatureInput } from './input.js';
import { FEATURE_COUNT } from './table.js';
import { ProductStats, SourceStats, TradeMemory, type TradeMemo } from './state.js';

/** Where and when the event arrived, and which trade it belongs to (the engine's trade key, else the UTI). */
export interface EventContext {
  sourceId: string;
  receivedAtMs: number;
  tradeKey: string | undefined;
  /** The trade version the event made, when known: an event never counts as its own previous version. */
  version?: number | undefined;
}

/** A "vs product" deviation needs this many earlier values before it is trusted (else 0). */
const MIN_HISTORY = 8;
const BP = 1e-4;
const DAY_MS = 86_400_000;
const Z_CLIP = 50;
const FRESH_MS = 15 * 60_000;
const PRODUCT_HISTORY_CAP = 1000;
const SOURCE_RATE_CAP = 100; // events per second
const MAX_CLOCK_SKEW_MS = 60_000;

export const slog = (x: number): number => (x < 0 ? -Math.log10(1 - x) : Math.log10(1 + x));

function finiteOr0(x: number): number {
  return Number.isFinite(x) ? x : 0;
}

function tenorBucket(days: number): string {
  if (!Number.isFinite(days)) return '?';
  if (days <= 400) return '1y';
  if (days <= 1900) return '5y';
  if (days <= 5500) return '15y';
  return 'long';
}

/** The primary fixed rate, spread and price of a record (NaN when absent). */
export function primaryValues(x: FeatureInput): { rate: number; spread: number; price: number } {
  const rate = Number.isFinite(x.leg1.fixedRate) ? x.leg1.fixedRate : x.leg2.fixedRate;
  const spread = Number.isFinite(x.leg1.spread) ? x.leg1.spread : x.leg2.spread;
  const price = Number.isFinite(x.price) ? x.price : Number.isFinite(x.strike) ? x.strike : x.exchangeRate;
  return { rate, spread, price };
}

function tenorDays(x: FeatureInput): number {
  const start = Number.isFinite(x.effectiveMs) ? x.effectiveMs : x.executionMs;
  return (x.expirationMs - start) / DAY_MS;
}

/** The rolling-statistics key of a record: products whose rates and sizes are comparable. */
export function productKey(x: FeatureInput): string {
  const v = primaryValues(x);
  const shape = (Number.isFinite(v.rate) ? 'R' : '') + (Number.isFinite(v.spread) ? 'S' : '') + (Number.isFinite(v.price) ? 'P' : '');
  return `${x.assetClass}|${x.instrumentType}|${x.underlyingAssetType}|${x.leg1.currency}|${x.leg2.currency}|${tenorBucket(tenorDays(x))}|${shape}`;
}

function notationMismatches(x: FeatureInput): number {
  let n = 0;
  const declared = (notation: string, key: string) => notation !== '' && key !== '' && notation.toLowerCase() !== key;
  const aboveOne = (key: string, v: number) => (key === 'decimal' || key === 'percentage') && Math.abs(v) > 1;
  if (declared(x.priceNotation, x.priceKey)) n++;
  if (declared(x.strikeNotation, x.strikeKey)) n++;
  if (aboveOne(x.priceKey, x.price)) n++;
  if (aboveOne(x.strikeKey, x.strike)) n++;
  for (const leg of [x.leg1, x.leg2]) {
    if (declared(leg.spreadNotation, leg.spreadKey)) n++;
    if (aboveOne(leg.spreadKey, leg.spread)) n++;
    if (Math.abs(leg.fixedRate) > 1) n++;
  }
  return n;
}

function pairMismatches(x: FeatureInput): number {
  if (x.counterparty1 === '' || x.counterparty2 === '') return 0;
  let n = 0;
  for (const leg of [x.leg1, x.leg2]) {
    if (leg.payer === '' || leg.receiver === '') continue;
    const ok = (leg.payer === x.counterparty1 && leg.receiver === x.counterparty2) || (leg.payer === x.counterparty2 && leg.receiver === x.counterparty1);
    if (!ok) n++;
  }
  return n;
}

export interface FeatureStateOptions {
  /** Trades whose previous version is remembered (least recently used evicted). */
  maxTrades?: number;
}

/** All the streaming state; one per scorer (the live service, one training run, one `swaprep score`). */
export class FeatureState {
  readonly products = new Map<string, ProductStats>();
  readonly sources = new Map<string, SourceStats>();
  readonly trades: TradeMemory;

  constructor(options: FeatureStateOptions = {}) {
    this.trades = new TradeMemory(options.maxTrades);
  }

  product(key: string): ProductStats {
    let p = this.products.get(key);
    if (!p) this.products.set(key, (p = new ProductStats()));
    return p;
  }

  source(id: string): SourceStats {
    let s = this.sources.get(id);
    if (!s) this.sources.set(id, (s = new SourceStats()));
    return s;
  }
}

/** Value minus the window's median once it has enough history (else 0); the value joins the window later. */
function vsMedian(p: ProductStats, name: string, v: number): number {
  if (!Number.isFinite(v)) return 0;
  const w = p.windows.get(name);
  if (!w || w.size < MIN_HISTORY) return 0;
  return v - w.median();
}

function robustZ(p: ProductStats, name: string, v: number, floor: (median: number) => number): number {
  if (!Number.isFinite(v)) return 0;
  const w = p.windows.get(name);
  if (!w || w.size < MIN_HISTORY) return 0;
  const m = w.median();
  const z = (v - m) / Math.max(w.spread(), floor(m));
  return Math.max(-Z_CLIP, Math.min(Z_CLIP, z));
}

function push(p: ProductStats, name: string, v: number): void {
  if (Number.isFinite(v)) p.window(name).push(v);
}

/**
 * Writes the event's feature row into `out` at `offset` (FEATURE_COUNT floats) and then, unless `commit` is
 * false, folds the event into the state. Every value written is finite. `commit = false` computes the row
 * an event would get without letting it change what later events are compared with (the evaluation uses it
 * for planted anomalies, so that an anomaly does not also make the trade's next, normal, event look odd).
 */
export function featurize(state: FeatureState, x: FeatureInput, ctx: EventContext, out: Float32Array, offset = 0, commit = true): void {
  const key = productKey(x);
  const product = state.product(key);
  const source = state.source(ctx.sourceId);
  const tradeKey = ctx.tradeKey ?? (x.uti === '' ? undefined : x.uti);
  let prev = tradeKey === undefined ? undefined : state.trades.get(tradeKey);
  // The memory already holds this version or a later one (a resubmitted event, or the sweep rescoring an old
  // one): what came before it is no longer known, and it must not look like a duplicate of itself.
  if (prev && ctx.version !== undefined && prev.version >= ctx.version) prev = undefined;
  const v = primaryValues(x);

  const n1 = Number.isFinite(x.leg1.notional) ? Math.log10(1 + Math.abs(x.leg1.notional)) : NaN;
  const n2 = Number.isFinite(x.leg2.notional) ? Math.log10(1 + Math.abs(x.leg2.notional)) : NaN;
  const legRatio = n2 - n1;
  // +10bp: rates near zero (EUR, JPY) would otherwise swing by decades on a few basis points.
  const rateLog = Math.log10(Math.abs(v.rate) + 10 * BP);
  const spreadLog = Math.log10(Math.abs(v.spread) + BP);
  const priceLog = Math.log10(Math.abs(v.price) + 1e-9);
  // Lag from the later of execution and event: a lifecycle event is due when it happens, not when the trade was done.
  const lagFrom = Number.isFinite(x.eventMs) && !(x.eventMs < x.executionMs) ? x.eventMs : x.executionMs;
  const lagS = (x.reportingMs - lagFrom) / 1000;
  const lagLog = Number.isFinite(lagS) ? slog(lagS) : NaN;
  const timeMs = Number.isFinite(x.executionMs) ? x.executionMs : x.reportingMs;
  const dayFraction = Number.isFinite(timeMs) ? (((timeMs % DAY_MS) + DAY_MS) % DAY_MS) / DAY_MS : NaN;
  const weekday = Number.isFinite(timeMs) ? (((Math.floor(timeMs / DAY_MS) + 4) % 7) + 7) % 7 : NaN; // 1970-01-01 was a Thursday (4)
  // The source's rates run on the records' reporting clock, not on arrival: a record scores the same live or
  // replayed from a file at any speed. On arrival time, every replay and load test was one long burst: replaying
  // 200,000 flow lines at 20,000 lines/s flagged 40% of them, source_burst the top feature of 94% of those.
  // A reporting time later than arrival (plus clock skew) is wrong, and would stop the source's clock there: every
  // later event would count as long past. It runs on arrival time instead.
  const rateAtMs = Number.isFinite(x.reportingMs) && !(x.reportingMs > ctx.receivedAtMs + MAX_CLOCK_SKEW_MS) ? x.reportingMs : ctx.receivedAtMs;
  const fast = commit ? source.fast.hit(rateAtMs) : source.fast.peek(rateAtMs);
  const slow = commit ? source.slow.hit(rateAtMs) : source.slow.peek(rateAtMs);
  const action = x.actionType;

  let termsChanged = 0;
  if (prev) {
    if (prev.currency !== '' && x.leg1.currency !== '' && prev.currency !== x.leg1.currency) termsChanged++;
    if (prev.productKey !== key) termsChanged++;
    if (Number.isFinite(prev.effectiveMs) && Number.isFinite(x.effectiveMs) && prev.effectiveMs !== x.effectiveMs) termsChanged++;
    if (Number.isFinite(prev.expirationMs) && Number.isFinite(x.expirationMs) && prev.expirationMs !== x.expirationMs) termsChanged++;
  }

  const o = offset;
  out[o + 0] = finiteOr0(n1);
  out[o + 1] = finiteOr0(n2);
  out[o + 2] = vsMedian(product, 'n1', n1);
  out[o + 3] = vsMedian(product, 'ratio', legRatio);
  out[o + 4] = vsMedian(product, 'rateLog', Number.isFinite(v.rate) ? rateLog : NaN);
  // Rates and prices are compared with the current market only when they were just set (execution within
  // 15 minutes of the event): a modification of an older trade rightly carries the rate of its day.
  const fresh = !(Math.abs((Number.isFinite(x.eventMs) ? x.eventMs : x.reportingMs) - x.executionMs) > FRESH_MS);
  out[o + 5] = fresh ? robustZ(product, 'rate', v.rate, () => BP) : 0;
  out[o + 6] = vsMedian(product, 'spreadLog', Number.isFinite(v.spread) ? spreadLog : NaN);
  out[o + 7] = vsMedian(product, 'priceLog', Number.isFinite(v.price) ? priceLog : NaN);
  out[o + 8] = fresh ? robustZ(product, 'price', v.price, (m) => Math.max(1e-3 * Math.abs(m), 1e-9)) : 0;
  out[o + 9] = Number.isFinite(v.rate) ? 1 : 0;
  out[o + 10] = Number.isFinite(v.spread) ? 1 : 0;
  out[o + 11] = Number.isFinite(v.price) ? 1 : 0;
  const notation = notationMismatches(x);
  out[o + 12] = vsMedian(product, 'notation', notation);
  out[o + 13] = finiteOr0(lagLog);
  out[o + 14] = Number.isFinite(lagLog) && source.lag.size >= MIN_HISTORY ? lagLog - source.lag.median() : 0;
  out[o + 15] = finiteOr0(slog((x.eventMs - x.executionMs) / 1000));
  out[o + 16] = finiteOr0(slog(tenorDays(x)));
  out[o + 17] = Number.isFinite(dayFraction) ? Math.sin(2 * Math.PI * dayFraction) : 0;
  out[o + 18] = Number.isFinite(dayFraction) ? Math.cos(2 * Math.PI * dayFraction) : 0;
  out[o + 19] = weekday === 0 || weekday === 6 ? 1 : 0;
  out[o + 20] = action === 'NEWT' ? 1 : 0;
  out[o + 21] = action === 'MODI' || action === 'CORR' ? 1 : 0;
  out[o + 22] = action === 'TERM' || action === 'EROR' || action === 'PRTO' ? 1 : 0;
  out[o + 23] = prev ? 1 : 0;
  out[o + 24] = prev && Number.isFinite(n1) && Number.isFinite(prev.notional1Log) ? n1 - prev.notional1Log : 0;
  out[o + 25] = prev && Number.isFinite(v.rate) && Number.isFinite(prev.rate) ? slog((v.rate - prev.rate) / BP) : 0;
  out[o + 26] = prev && Number.isFinite(v.price) && Number.isFinite(prev.price) && prev.price !== 0 ? slog((100 * (v.price - prev.price)) / Math.abs(prev.price)) : 0;
  out[o + 27] = prev && prev.counterparty2 !== '' && x.counterparty2 !== '' && prev.counterparty2 !== x.counterparty2 ? 1 : 0;
  out[o + 28] = termsChanged;
  out[o + 29] = prev && action === 'NEWT' ? 1 : 0;
  out[o + 30] = pairMismatches(x);
  // Capped like product_history: a model trained where sources sent 500 events/s flagged three in four events of
  // a load test sending 5,000/s per source; above the cap a source is simply busy, and bursts are feature 32's.
  out[o + 31] = Math.log10(1 + Math.min(fast, SOURCE_RATE_CAP));
  out[o + 32] = Math.log10((1 + fast) / (1 + slow));
  // Capped: past a thousand events the product's windows are full and trusted; uncapped, a product busier than in
  // the training data looked new to the models (the top feature of a quarter of a replay's flags).
  out[o + 33] = Math.log10(1 + Math.min(product.count, PRODUCT_HISTORY_CAP));
  out[o + 34] = x.assetClass === 'InterestRate' ? 1 : 0;
  out[o + 35] = x.assetClass === 'Credit' ? 1 : 0;
  out[o + 36] = x.assetClass === 'ForeignExchange' ? 1 : 0;
  out[o + 37] = x.assetClass === 'Equity' ? 1 : 0;
  out[o + 38] = x.assetClass === 'Commodity' ? 1 : 0;
  out[o + 39] = x.cleared === 'Y' ? 1 : 0;

  // Fold the event into the state only now: it is compared with what came before it, never with itself.
  if (!commit) return;
  product.count++;
  push(product, 'n1', n1);
  push(product, 'ratio', legRatio);
  push(product, 'notation', notation);
  if (Number.isFinite(v.rate)) {
    push(product, 'rateLog', rateLog);
    if (fresh) push(product, 'rate', v.rate);
  }
  if (Number.isFinite(v.spread)) push(product, 'spreadLog', spreadLog);
  if (Number.isFinite(v.price)) {
    push(product, 'priceLog', priceLog);
    if (fresh) push(product, 'price', v.price);
  }
  if (Number.isFinite(lagLog)) source.lag.push(lagLog);
  if (tradeKey !== undefined) {
    const memo: TradeMemo = {
      version: ctx.version ?? NaN,
      notional1Log: n1,
      rate: v.rate,
      price: v.price,
      counterparty2: x.counterparty2,
      currency: x.leg1.currency,
      productKey: key,
      effectiveMs: x.effectiveMs,
      expirationMs: x.expirationMs,
    };
    state.trades.set(tradeKey, memo);
  }
}

export { FEATURE_COUNT };
