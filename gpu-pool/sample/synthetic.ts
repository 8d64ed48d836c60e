/**
 * A seeded generator of realistic-looking flows for training and evaluating the scoring models without a
 * database: corpus records as product templates, each product with its own notional distribution
 * (log-normal around the template's size), a market level for its rate / spread / price that drifts slowly,
 * trades that live through modifications, corrections and terminations, business-hours execution times,
 * reporting lags of seconds to minutes (with occasional late batches), and sources of different sizes.
 *
 * It is deliberately simple and self-contained; loadtest/generator.ts (another helper's) produces the
 * engine's load-test flows. To evaluate on those instead, map its events to `FlowEvent` (the record, its
 * source, receive time, trade key and version) and pass them to `trainAndEvaluate` in ../train.ts.
 */
import type { Leg, PriceFormat, SwapReport } from '../../proto/gen/swap_report.js';
import { decimal, inputFromReport, priceOf } from '../features/input.js';
import { productKey } from '../features/featurize.js';
import { Rng } from '../models/rng.js';

/** One event of a flow, in arrival order: what the scorer sees. */
export interface FlowEvent {
  report: SwapReport;
  sourceId: string;
  receivedAtMs: number;
  tradeKey: string;
  version: number;
}

export interface FlowOptions {
  seed: number;
  events: number;
  /** Flow start (default Monday 2026-03-02 00:00 UTC). */
  startMs?: number;
  /** Mean events per second during business hours. */
  eventsPerSecond?: number;
  reportingCounterparties?: number;
  otherCounterparties?: number;
  sources?: number;
}

/**
 * The market of a product: its typical size and current rate / spread / price levels. Templates that the
 * features cannot tell apart (same productKey) share one market, as trades of one product share one market.
 */
interface Market {
  notionalLog10: number;
  legRatio: number;
  rate: number;
  spread: number;
  price: number;
}

interface Product {
  template: SwapReport;
  market: Market;
  rateLeg: 1 | 2 | 0;
  spreadLeg: 1 | 2 | 0;
  spreadKey: keyof PriceFormat | '';
  priceField: 'price' | 'strikePrice' | 'exchangeRate' | '';
  priceKey: keyof PriceFormat | '';
  tenorMs: number;
}

interface LiveTrade {
  report: SwapReport;
  version: number;
  product: Product;
  sourceId: string;
}

const DAY = 86_400_000;

export function lei(prefix: string, i: number): string {
  return `${prefix}${String(i).padStart(18 - prefix.length, '0')}00`;
}

/** A decimal text with at most `digits` fractional digits and no trailing zeros. */
export function decimalText(v: number, digits: number): string {
  const t = v.toFixed(digits);
  return t.includes('.') ? t.replace(/\.?0+$/, '') : t;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function productOf(t: SwapReport): Product {
  const n1 = decimal(t.leg1?.notionalAmount);
  const n2 = decimal(t.leg2?.notionalAmount);
  const r1 = decimal(t.leg1?.fixedRate);
  const r2 = decimal(t.leg2?.fixedRate);
  let rate = Number.isFinite(r1) ? r1 : r2;
  // A few corpus examples write a percentage where a decimal belongs (3.195): the market level is 0.03195.
  if (Math.abs(rate) > 1) rate /= 100;
  const s1 = priceOf(t.leg1?.spread);
  const s2 = priceOf(t.leg2?.spread);
  const spread = Number.isFinite(s1.value) ? s1 : s2;
  const price = priceOf(t.price);
  const strike = priceOf(t.strikePrice);
  const fx = decimal(t.exchangeRate);
  const priceField = Number.isFinite(price.value) ? 'price' : Number.isFinite(strike.value) ? 'strikePrice' : Number.isFinite(fx) ? 'exchangeRate' : '';
  const start = Date.parse(t.effectiveDate ?? t.executionTimestamp ?? '');
  const end = Date.parse(t.expirationDate ?? '');
  const tenorMs = Number.isFinite(end - start) && end > start ? end - start : 5 * 365 * DAY;
  let priceLevel = priceField === 'price' ? price.value : priceField === 'strikePrice' ? strike.value : fx;
  const priceKey = priceField === 'price' ? price.key : priceField === 'strikePrice' ? strike.key : '';
  // Likewise a decimal or percentage price above 1 (a cap strike of 3 for 3%): the level is 0.03.
  if ((priceKey === 'decimal' || priceKey === 'percentage') && Math.abs(priceLevel) > 1) priceLevel /= 100;
  return {
    template: t,
    market: {
      notionalLog10: Math.log10(n1 >= 1000 ? n1 : 1e7),
      legRatio: Number.isFinite(n2) && n2 > 0 && n1 > 0 ? n2 / n1 : NaN,
      rate,
      spread: spread.value,
      price: priceLevel,
    },
    rateLeg: Number.isFinite(r1) ? 1 : Number.isFinite(r2) ? 2 : 0,
    spreadLeg: Number.isFinite(s1.value) ? 1 : Number.isFinite(s2.value) ? 2 : 0,
    spreadKey: spread.key,
    priceField,
    priceKey,
    tenorMs,
  };
}

/**
 * Products whose generated trades share a feature product key (and value notations) share one market. The
 * key is taken from a generated trade rather than the template: a template's own dates can put it in
 * another tenor bucket than the trades made from it.
 */
function shareMarkets(products: Product[]): void {
  const markets = new Map<string, Market>();
  const probe = new Rng(0);
  for (const p of products) {
    const sample = newTrade(p, 'A', 'B', 'X', Date.UTC(2026, 0, 5, 12), probe);
    const key = `${productKey(inputFromReport(sample))}|${p.spreadKey}|${p.priceField}|${p.priceKey}`;
    const m = markets.get(key);
    if (m) p.market = m;
    else markets.set(key, p.market);
  }
}

function withPrice(key: keyof PriceFormat | '', value: string): PriceFormat {
  return { [key === '' ? 'monetary' : key]: value } as PriceFormat;
}

/** Business hours: Monday to Friday, 06:00 to 22:00 UTC. Moves `ms` forward into them. */
function nextBusinessTime(ms: number): number {
  for (;;) {
    const day = (Math.floor(ms / DAY) + 4) % 7; // 0 = Sunday
    const hour = (ms % DAY) / 3_600_000;
    if (day === 0 || day === 6) ms = (Math.floor(ms / DAY) + 1) * DAY + 6 * 3_600_000;
    else if (hour < 6) ms = Math.floor(ms / DAY) * DAY + 6 * 3_600_000;
    else if (hour >= 22) ms = (Math.floor(ms / DAY) + 1) * DAY + 6 * 3_600_000;
    else return ms;
  }
}

/** A reporting lag in ms: log-normal around 20 s, with 3% late batches of 5 to 60 minutes. */
function reportingLag(rng: Rng): number {
  if (rng.next() < 0.03) return rng.uniform(5, 60) * 60_000;
  return Math.min(600_000, 20_000 * Math.exp(rng.normal()));
}

/** The flow, one event at a time (a generator, so a million events need not sit in memory at once). */
export function* syntheticFlow(templates: readonly SwapReport[], options: FlowOptions): Generator<FlowEvent> {
  if (templates.length === 0) throw new Error('synthetic flow: no product templates');
  const rng = new Rng(options.seed);
  const products = templates.map(productOf);
  shareMarkets(products);
  // Product popularity: a few products carry most of the flow, as in real books.
  const weights = products.map((_, i) => 1 / (1 + (i % 17)));
  const reporting = Array.from({ length: options.reportingCounterparties ?? 40 }, (_, i) => lei('5493R', i));
  const others = Array.from({ length: options.otherCounterparties ?? 400 }, (_, i) => lei('5493C', i));
  const sourceCount = options.sources ?? 8;
  // Source sizes differ: reporting counterparty i reports through source i mod sources, weighted by rank.
  const cpWeights = reporting.map((_, i) => 1 / (1 + i / 4));
  const perSecond = options.eventsPerSecond ?? 5;
  let clock = nextBusinessTime(options.startMs ?? Date.UTC(2026, 2, 2));
  const live: LiveTrade[] = [];
  let tradeNo = 0;

  for (let e = 0; e < options.events; e++) {
    clock = nextBusinessTime(clock + (-Math.log(1 - rng.next()) / perSecond) * 1000);
    // Market levels drift a little with every event (a random walk of about 1bp / 0.1% per 100 events).
    const drift = products[rng.int(products.length)]!.market;
    if (Number.isFinite(drift.rate)) drift.rate += rng.normal() * 0.00005;
    if (Number.isFinite(drift.price)) drift.price *= 1 + rng.normal() * 0.0003;

    let report: SwapReport;
    let trade: LiveTrade;
    if (live.length < 50 || rng.next() < 0.65) {
      const product = products[rng.weighted(weights)]!;
      const cpIndex = rng.weighted(cpWeights);
      const cp1 = reporting[cpIndex]!;
      const cp2 = rng.pick(others);
      report = newTrade(product, cp1, cp2, `${cp1}T${(tradeNo++).toString(36).toUpperCase()}`, clock, rng);
      trade = { report, version: 1, product, sourceId: `src-${cpIndex % sourceCount}` };
      live.push(trade);
    } else {
      const at = rng.int(live.length);
      trade = live[at]!;
      const u = rng.next();
      const action = u < 0.6 ? 'MODI' : u < 0.75 ? 'CORR' : 'TERM';
      report = lifecycle(trade, action, clock, rng);
      trade.report = report;
      trade.version++;
      if (action === 'TERM') {
        live[at] = live[live.length - 1]!;
        live.pop();
      }
    }
    const reportedAt = Date.parse(report.reportingTimestamp!);
    yield { report, sourceId: trade.sourceId, receivedAtMs: reportedAt + 5 + rng.int(200), tradeKey: report.uniqueTransactionIdentifier!, version: trade.version };
  }
}

function newTrade(p: Product, cp1: string, cp2: string, uti: string, clock: number, rng: Rng): SwapReport {
  const t = p.template;
  const m = p.market;
  const notional = Math.max(1000, Math.round(Math.pow(10, m.notionalLog10 + rng.normal() * 0.45) / 1000) * 1000);
  const executed = clock - rng.uniform(0, 2000);
  const effective = executed + 2 * DAY;
  const cp1Pays = rng.next() < 0.5;
  const leg = (l: Leg | undefined, which: 1 | 2): Leg | undefined => {
    if (!l) return undefined;
    const out: Leg = { ...l };
    if (l.payerIdentifier !== undefined) out.payerIdentifier = (which === 1) === cp1Pays ? cp1 : cp2;
    if (l.receiverIdentifier !== undefined) out.receiverIdentifier = (which === 1) === cp1Pays ? cp2 : cp1;
    if (l.notionalAmount !== undefined) {
      const ratio = which === 2 && Number.isFinite(m.legRatio) ? m.legRatio * (m.legRatio === 1 ? 1 : 1 + rng.normal() * 0.002) : 1;
      out.notionalAmount = decimalText(notional * ratio, 2);
    }
    if (p.rateLeg === which) out.fixedRate = decimalText(m.rate + rng.normal() * 0.0002, 6);
    if (p.spreadLeg === which) {
      const jitter = p.spreadKey === 'basis' ? rng.normal() * 0.5 : m.spread * rng.normal() * 0.005;
      out.spread = withPrice(p.spreadKey, decimalText(m.spread + jitter, p.spreadKey === 'basis' ? 2 : 6));
    }
    return out;
  };
  const r: SwapReport = {
    ...t,
    uniqueTransactionIdentifier: uti,
    uniqueSwapIdentifier: undefined,
    counterparty1: cp1,
    counterparty2: cp2,
    reportSubmittingEntityID: cp1,
    actionType: 'NEWT',
    eventType: 'TRAD',
    executionTimestamp: iso(executed),
    eventTimestamp: iso(executed),
    reportingTimestamp: iso(executed + reportingLag(rng)),
    effectiveDate: t.effectiveDate !== undefined ? isoDate(effective) : undefined,
    expirationDate: t.expirationDate !== undefined ? isoDate(effective + p.tenorMs) : undefined,
    leg1: leg(t.leg1, 1),
    leg2: leg(t.leg2, 2),
  };
  if (p.priceField !== '') {
    const v = decimalText(m.price * (1 + rng.normal() * 0.004), 6);
    if (p.priceField === 'exchangeRate') r.exchangeRate = v;
    else r[p.priceField] = withPrice(p.priceKey, v);
  }
  return r;
}

function lifecycle(trade: LiveTrade, action: 'MODI' | 'CORR' | 'TERM', clock: number, rng: Rng): SwapReport {
  const prev = trade.report;
  const r: SwapReport = { ...prev, actionType: action, eventType: action === 'TERM' ? 'ETRM' : action === 'MODI' ? 'TRAD' : undefined };
  r.eventTimestamp = iso(clock - rng.uniform(0, 2000));
  r.reportingTimestamp = iso(Date.parse(r.eventTimestamp) + reportingLag(rng));
  if (action === 'MODI' && rng.next() < 0.5 && prev.leg1?.notionalAmount !== undefined) {
    // A partial termination: both legs' notionals shrink by the same factor.
    const factor = rng.uniform(0.4, 0.9);
    const shrink = (l: Leg | undefined) => (l && l.notionalAmount !== undefined ? { ...l, notionalAmount: decimalText(decimal(l.notionalAmount) * factor, 2) } : l);
    r.leg1 = shrink(prev.leg1);
    r.leg2 = shrink(prev.leg2);
  }
  return r;
}
