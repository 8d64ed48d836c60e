/**
 * The seeded synthetic flow: realistic swap activity for load tests, benchmarks and the anomaly models.
 *
 *   const flow = new FlowGenerator({ seed: 42 });
 *   for (const e of flow.take(1000)) send(e.report);      // e.invalid / e.anomaly label planted records
 *
 * - Products across rates, credit, FX, equity and commodity in a configurable mix, built on the corpus
 *   shapes (generator/products.ts), with valid LEIs (ISO 7064 check digits) and UTIs.
 * - Reporting counterparties (counterparty 1) and their clients (counterparty 2) drawn with Zipf activity:
 *   a few trade all the time, most rarely.
 * - Full lifecycles on a book of live trades: NEWT, then MODI (amendments), VALU (valuations), MARU
 *   (margin), CORR, EROR, TERM (early termination) and novations (TERM/NOVA of the old UTI followed by
 *   NEWT/NOVA of the new one with priorUTI), in event-time order per trade; a lifecycle event is only
 *   generated for a trade whose NEWT was valid, so valid events also pass the engine's lifecycle rules.
 * - A configurable share of invalid records (generator/defects.ts) and of planted anomalies (100x rate,
 *   notional x1000, stale reporting, changed counterparty, off-market price), each labelled.
 * Same seed and configuration, same flow: all randomness comes from one seeded generator, time is simulated
 * from `startMs`, and nothing reads the clock.
 */
import type { SwapReport } from '../proto/gen/swap_report.js';
import { reportFromJson } from '../engine/record/json.js';
import { plantDefect } from './generator/defects.js';
import { ANOMALY_KINDS, DEFECT_KINDS, type AnomalyKind, type AnomalyLabel, type DefectKind, type DefectLabel } from './generator/labels.js';
import { randomLei } from './generator/lei.js';
import { ASSET_CLASSES, PRODUCTS_BY_CLASS, dateOnly, decimal, drawTerms, levelPath, timestamp, tradeRecord, type AssetClass, type TradeTerms } from './generator/products.js';
import { Random, Zipf } from './generator/random.js';

export { ANOMALY_KINDS, DEFECT_KINDS, type AnomalyKind, type AnomalyLabel, type DefectKind, type DefectLabel } from './generator/labels.js';
export { isValidLei } from './generator/lei.js';
export type { AssetClass, ProductKind } from './generator/products.js';

/** The lifecycle steps the flow draws from (a novation is two events). */
export const STEPS = ['NEWT', 'MODI', 'VALU', 'MARU', 'CORR', 'EROR', 'TERM', 'NOVA'] as const;
export type Step = (typeof STEPS)[number];

export interface FlowConfig {
  seed: number;
  /** Distinct reporting counterparties (counterparty 1: the dealers reporting). */
  reportingCounterparties: number;
  /** Distinct other counterparties (counterparty 2). */
  counterparties: number;
  /** Zipf exponent of counterparty activity (1 = classic Zipf; larger = more skewed). */
  zipfExponent: number;
  /** Relative weights of new trades per asset class. */
  mix: Record<AssetClass, number>;
  /** Relative weights of the next step; NEWT is also taken whenever the book is empty. */
  steps: Record<Step, number>;
  /** Share of events made invalid (0..1), and the defects drawn from. */
  invalidRate: number;
  defects: readonly DefectKind[];
  /** Share of events carrying a planted anomaly (0..1), and the kinds drawn from. */
  anomalyRate: number;
  anomalies: readonly AnomalyKind[];
  /** Simulated time of the first event (epoch ms) and mean events per simulated second. */
  startMs: number;
  eventsPerSecond: number;
  /** Live trades kept for lifecycle events; beyond it the oldest mature silently (bounded memory). */
  maxLiveTrades: number;
  /** Part of every UTI, so flows of different runs do not collide (default: from the seed). */
  utiTag: string;
}

export const DEFAULT_FLOW: Omit<FlowConfig, 'seed' | 'utiTag'> = {
  reportingCounterparties: 200,
  counterparties: 5000,
  zipfExponent: 1.1,
  mix: { InterestRate: 0.45, Credit: 0.15, ForeignExchange: 0.25, Equity: 0.1, Commodity: 0.05 },
  steps: { NEWT: 0.34, MODI: 0.08, VALU: 0.28, MARU: 0.16, CORR: 0.03, EROR: 0.02, TERM: 0.05, NOVA: 0.04 },
  invalidRate: 0.01,
  defects: DEFECT_KINDS,
  anomalyRate: 0.005,
  anomalies: ANOMALY_KINDS,
  startMs: Date.UTC(2024, 3, 1, 13, 0, 0),
  eventsPerSecond: 500,
  maxLiveTrades: 50_000,
};

export interface GeneratedEvent {
  /** 0-based position in the flow. */
  n: number;
  report: SwapReport;
  /** The same record in the DRR JSON shape (decimals as exact text), as built: for writing files. */
  record: Readonly<Record<string, unknown>>;
  tradeKey: string;
  actionType: string;
  eventType: string | undefined;
  assetClass: AssetClass;
  /** Set when the record was made invalid on purpose (the rulebook must reject it). */
  invalid?: DefectLabel;
  /** Set when the record carries a planted anomaly (valid, but unusual). */
  anomaly?: AnomalyLabel;
}

interface LiveTrade {
  terms: TradeTerms;
  /** Event time of the trade's latest event (the next one comes later). */
  lastEventMs: number;
}

type Json = Record<string, unknown>;
const DAY = 86_400_000;

export class FlowGenerator {
  readonly config: FlowConfig;
  private readonly r: Random;
  private readonly reporters: string[];
  private readonly clients: string[];
  private readonly reporterRank: Zipf;
  private readonly clientRank: Zipf;
  private readonly classWeights: number[];
  private readonly stepWeights: number[];
  private readonly book: LiveTrade[] = [];
  private nowMs: number;
  private n = 0;
  private trades = 0;
  /** A second event already decided (the NEWT/NOVA after a TERM/NOVA). */
  private queued: Omit<GeneratedEvent, 'n'> | undefined;

  constructor(config: Partial<FlowConfig> & { seed: number }) {
    this.config = { ...DEFAULT_FLOW, utiTag: `G${(config.seed >>> 0).toString(36).toUpperCase()}`, ...config };
    const c = this.config;
    if (!/^[0-9A-Z]{1,12}$/.test(c.utiTag)) throw new Error(`utiTag "${c.utiTag}" must be 1-12 of [0-9A-Z]`);
    // Separate streams: changing the counterparty counts does not change which products are drawn, and so on.
    const parties = new Random(c.seed, 1);
    this.reporters = Array.from({ length: c.reportingCounterparties }, () => randomLei(parties));
    this.clients = Array.from({ length: c.counterparties }, () => randomLei(parties));
    this.reporterRank = new Zipf(c.reportingCounterparties, c.zipfExponent);
    this.clientRank = new Zipf(c.counterparties, c.zipfExponent);
    this.classWeights = ASSET_CLASSES.map((a) => c.mix[a] ?? 0);
    this.stepWeights = STEPS.map((s) => c.steps[s] ?? 0);
    this.r = new Random(c.seed, 2);
    this.nowMs = c.startMs;
  }

  /** The reporting counterparties (counterparty 1 LEIs), most active first. */
  get reportingParties(): readonly string[] {
    return this.reporters;
  }

  /** Number of live trades in the book. */
  get liveTrades(): number {
    return this.book.length;
  }

  *take(count: number): Generator<GeneratedEvent> {
    for (let i = 0; i < count; i++) yield this.next();
  }

  next(): GeneratedEvent {
    const queued = this.queued;
    this.queued = undefined;
    const e = queued ?? this.step();
    return { n: this.n++, ...e };
  }

  private step(): Omit<GeneratedEvent, 'n'> {
    const r = this.r;
    this.nowMs += Math.max(1, Math.round(r.exponential(1000 / this.config.eventsPerSecond)));
    const step: Step = this.book.length === 0 ? 'NEWT' : STEPS[r.weighted(this.stepWeights)]!;
    const invalid = r.chance(this.config.invalidRate) && this.config.defects.length > 0;
    let anomaly = !invalid && r.chance(this.config.anomalyRate) && this.config.anomalies.length > 0 ? r.pick(this.config.anomalies) : undefined;
    // Anomalies need a particular step: a changed counterparty is an amendment, the others new trades.
    if (anomaly === 'changed-counterparty') {
      if (this.book.length > 0) return this.modify(this.pickTrade(), false, anomaly);
      anomaly = undefined;
    }
    if (anomaly) return this.newTrade(false, anomaly);
    switch (step) {
      case 'NEWT':
        return this.newTrade(invalid, undefined);
      case 'MODI':
        return this.modify(this.pickTrade(), invalid, undefined);
      case 'NOVA':
        return this.novate(this.pickTrade(), invalid);
      default:
        return this.lifecycle(step, this.pickTrade(), invalid);
    }
  }

  private pickTrade(): number {
    return Math.floor(this.r.float() * this.book.length);
  }

  private removeTrade(i: number): void {
    const last = this.book.pop()!;
    if (i < this.book.length) this.book[i] = last;
  }

  private newUti(counterparty1: string): string {
    const serial = (this.trades++).toString(36).toUpperCase().padStart(8, '0');
    return `${counterparty1}${this.config.utiTag}${serial}`;
  }

  private newTrade(invalid: boolean, anomaly: AnomalyKind | undefined): Omit<GeneratedEvent, 'n'> {
    const r = this.r;
    const assetClass = ASSET_CLASSES[r.weighted(this.classWeights)]!;
    const products = PRODUCTS_BY_CLASS[assetClass];
    const kind = products[r.weighted(products.map((p) => p.weight))]!.kind;
    const cp1 = this.reporters[this.reporterRank.sample(r)]!;
    let cp2 = this.clients[this.clientRank.sample(r)]!;
    if (cp2 === cp1) cp2 = this.clients[(this.clients.indexOf(cp2) + 1) % this.clients.length]!;
    // Executed a moment before it is reported (seconds), or weeks before for the stale-reporting anomaly.
    const lagMs = anomaly === 'stale-reporting' ? r.int(20, 90) * DAY : r.int(1, 120) * 1000;
    const executionMs = this.nowMs - lagMs;
    const terms = drawTerms(r, kind, this.newUti(cp1), cp1, cp2, executionMs);
    const rec = tradeRecord(terms);
    Object.assign(rec, { actionType: 'NEWT', eventType: 'TRAD', eventTimestamp: timestamp(executionMs), reportingTimestamp: timestamp(this.nowMs) });
    let anomalyLabel: AnomalyLabel | undefined;
    if (anomaly) anomalyLabel = this.plantAnomaly(anomaly, terms, rec);
    const defect = invalid ? plantDefect(r, r.pick(this.config.defects), rec) : undefined;
    // An invalid NEWT is rejected, so the trade does not exist for the engine: no lifecycle follows it.
    // An anomalous one is kept out of the book too, so that its unusual value is not repeated by every
    // later version (each of which would then be an unlabelled anomaly).
    if (!defect && !anomalyLabel) this.admit({ terms, lastEventMs: executionMs });
    return this.event(rec, terms, defect, anomalyLabel);
  }

  private admit(trade: LiveTrade): void {
    if (this.book.length >= this.config.maxLiveTrades) this.removeTrade(this.pickTrade()); // matured
    this.book.push(trade);
  }

  /** MODI: an amendment (notional up or down); with the anomaly, counterparty 2 changes instead. */
  private modify(i: number, invalid: boolean, anomaly: 'changed-counterparty' | undefined): Omit<GeneratedEvent, 'n'> {
    const r = this.r;
    const trade = this.book[i]!;
    const t = trade.terms;
    let anomalyLabel: AnomalyLabel | undefined;
    let next: TradeTerms;
    if (anomaly) {
      let cp2 = this.clients[this.clientRank.sample(r)]!;
      if (cp2 === t.counterparty2 || cp2 === t.counterparty1) cp2 = this.clients[(this.clients.indexOf(cp2) + 7) % this.clients.length]!;
      anomalyLabel = { kind: anomaly, path: 'counterparty2', expected: t.counterparty2 };
      next = { ...t, counterparty2: cp2 };
    } else {
      const factor = r.pick([0.5, 0.75, 1.25, 1.5]);
      next = { ...t, notional: Math.round(t.notional * factor), ...(t.notional2 !== undefined ? { notional2: Math.round(t.notional2 * factor * 100) / 100 } : {}) };
    }
    const rec = this.lifecycleRecord(next, 'MODI', 'TRAD', trade);
    rec.amendmentIndicator = true;
    const defect = invalid ? plantDefect(r, r.pick(this.config.defects), rec) : undefined;
    if (!defect) trade.terms = next;
    return this.event(rec, next, defect, anomalyLabel);
  }

  private lifecycle(step: Exclude<Step, 'NEWT' | 'MODI' | 'NOVA'>, i: number, invalid: boolean): Omit<GeneratedEvent, 'n'> {
    const r = this.r;
    const trade = this.book[i]!;
    const t = trade.terms;
    let rec: Json;
    if (step === 'VALU' || step === 'MARU') {
      // Valuation and collateral are messages of their own (Technical Specification): the parties, the
      // trade's UTI and their data elements (DE 109-113, DE 114-128), not the creation data.
      rec = this.messageRecord(t, step, trade);
      if (step === 'VALU') {
        const mtm = t.notional * r.normal() * 0.02;
        Object.assign(rec, { valuationAmount: decimal(mtm, 2), valuationCurrency: t.currency, valuationMethod: r.chance(0.8) ? 'MTMA' : 'MTMO', valuationTimestamp: timestamp(this.nowMs - 3_600_000) });
      } else {
        const im = Math.abs(t.notional * 0.03 * (1 + r.normal() * 0.1));
        const vm = Math.abs(t.notional * r.normal() * 0.01);
        const pair = `${t.counterparty1.slice(0, 8)}${t.counterparty2.slice(0, 8)}`;
        Object.assign(rec, {
          affiliatedCounterpartyForMarginAndCapitalIndicator: false,
          collateralisationCategory: 'FLCL',
          initialMarginCollateralPortfolioCode: `IM${pair}`,
          initialMarginPostedPreHaircut: decimal(im, 2),
          initialMarginPostedPostHaircut: decimal(im * 0.98, 2),
          currencyOfInitialMarginPosted: 'USD',
          variationMarginCollateralPortfolioCode: `VM${pair}`,
          variationMarginPostedPreHaircut: decimal(vm, 2),
          currencyOfVariationMarginPosted: 'USD',
        });
      }
    } else {
      rec = this.lifecycleRecord(t, step, step === 'TERM' ? 'ETRM' : undefined, trade);
      if (step === 'TERM') rec.earlyTerminationDate = dateOnly(this.nowMs);
    }
    const defect = invalid ? plantDefect(r, r.pick(this.config.defects), rec) : undefined;
    if (!defect && (step === 'TERM' || step === 'EROR')) this.removeTrade(i);
    return this.event(rec, t, defect, undefined);
  }

  /** A valuation or collateral message of a trade: parties, UTI, action and times; the caller adds the data. */
  private messageRecord(t: TradeTerms, actionType: 'VALU' | 'MARU', trade: LiveTrade): Json {
    const at = Math.max(this.nowMs, trade.lastEventMs + 1000);
    trade.lastEventMs = at;
    return {
      actionType,
      counterparty1: t.counterparty1,
      counterparty2: t.counterparty2,
      counterparty2IdentifierSource: 'LEID',
      eventTimestamp: timestamp(at),
      nonReportable: { counterparty1Format: 'Lei', counterparty2Format: 'Lei' },
      reportSubmittingEntityID: t.counterparty1,
      reportingTimestamp: timestamp(at + 1000),
      uniqueTransactionIdentifier: t.uti,
    };
  }

  /** Novation: counterparty 2 steps out (TERM/NOVA of the trade), a new party steps in (NEWT/NOVA, new UTI, priorUTI). */
  private novate(i: number, invalid: boolean): Omit<GeneratedEvent, 'n'> {
    const r = this.r;
    const trade = this.book[i]!;
    const t = trade.terms;
    const term = this.lifecycleRecord(t, 'TERM', 'NOVA', trade);
    const defect = invalid ? plantDefect(r, r.pick(this.config.defects), term) : undefined;
    if (defect) return this.event(term, t, defect, undefined);
    this.removeTrade(i);
    let cp2 = this.clients[this.clientRank.sample(r)]!;
    if (cp2 === t.counterparty2 || cp2 === t.counterparty1) cp2 = this.clients[(this.clients.indexOf(cp2) + 3) % this.clients.length]!;
    const newTerms: TradeTerms = { ...t, uti: this.newUti(t.counterparty1), counterparty2: cp2, executionMs: this.nowMs };
    const rec = tradeRecord(newTerms);
    Object.assign(rec, { actionType: 'NEWT', eventType: 'NOVA', priorUTI: t.uti, eventTimestamp: timestamp(this.nowMs), reportingTimestamp: timestamp(this.nowMs + 1000) });
    this.admit({ terms: newTerms, lastEventMs: this.nowMs });
    this.queued = this.event(rec, newTerms, undefined, undefined);
    return this.event(term, t, undefined, undefined);
  }

  /** A later version of a trade: the terms' record with this action, at the current simulated time. */
  private lifecycleRecord(t: TradeTerms, actionType: string, eventType: string | undefined, trade: LiveTrade): Json {
    const rec = tradeRecord(t);
    // Event time moves forward per trade (the engine flags events older than the trade's last one).
    const at = Math.max(this.nowMs, trade.lastEventMs + 1000);
    trade.lastEventMs = at;
    Object.assign(rec, { actionType, eventTimestamp: timestamp(at), reportingTimestamp: timestamp(at + 1000) });
    if (eventType) rec.eventType = eventType;
    return rec;
  }

  private plantAnomaly(kind: AnomalyKind, t: TradeTerms, rec: Json): AnomalyLabel {
    const r = this.r;
    switch (kind) {
      case 'rate-100x':
      case 'off-market-price': {
        const path = levelPath(t.kind);
        const before = String(getPath(rec, path));
        // 100x: the unit error (4.25 for 0.0425). Off market: 25-60% away from the level, either way.
        const factor = kind === 'rate-100x' ? 100 : 1 + (r.chance(0.5) ? 1 : -1) * (0.25 + r.float() * 0.35);
        // Basis-point spreads are whole numbers (the rulebook checks it); everything else keeps 6 decimals.
        setPath(rec, path, decimal(Number(before) * factor, path.endsWith('.basis') ? 0 : 6));
        return { kind, path, expected: before };
      }
      case 'notional-1000x': {
        const leg1 = rec.leg1 as Json;
        const before = String(leg1.notionalAmount);
        for (const leg of [rec.leg1, rec.leg2] as (Json | undefined)[]) {
          if (leg?.notionalAmount !== undefined) leg.notionalAmount = decimal(Number(leg.notionalAmount) * 1000, 2);
        }
        return { kind, path: 'leg1.notionalAmount', expected: before };
      }
      case 'stale-reporting':
        return { kind, path: 'reportingTimestamp', expected: String(rec.executionTimestamp) };
      case 'changed-counterparty':
        // Only planted through modify(); a new trade has no earlier counterparty to change from.
        return { kind, path: 'counterparty2', expected: String(rec.counterparty2) };
    }
  }

  private event(rec: Json, t: TradeTerms, invalid: DefectLabel | undefined, anomaly: AnomalyLabel | undefined): Omit<GeneratedEvent, 'n'> {
    return {
      report: toReport(rec),
      record: rec,
      tradeKey: String(rec.uniqueTransactionIdentifier ?? t.uti),
      actionType: String(rec.actionType),
      eventType: rec.eventType === undefined ? undefined : String(rec.eventType),
      assetClass: t.assetClass,
      ...(invalid ? { invalid } : {}),
      ...(anomaly ? { anomaly } : {}),
    };
  }
}

function getPath(rec: Json, path: string): unknown {
  let v: unknown = rec;
  for (const k of path.split('.')) v = (v as Json | undefined)?.[k];
  return v;
}

function setPath(rec: Json, path: string, value: unknown): void {
  const keys = path.split('.');
  let o = rec;
  for (const k of keys.slice(0, -1)) o = o[k] as Json;
  o[keys[keys.length - 1]!] = value;
}

/**
 * The record in the generated (ts-proto) shape, through the same strict decoder as file input: faster
 * than SwapReport.fromPartial (it builds one monomorphic object per message) and a check that every
 * generated field is one the schema knows, with the right JSON type.
 */
function toReport(rec: Json): SwapReport {
  const decoded = reportFromJson(rec);
  if (!decoded.ok) throw new Error(`generator bug: ${decoded.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  return decoded.report;
}
