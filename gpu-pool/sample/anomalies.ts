/**
 * The anomalies the evaluation plants, each a realistic way a report goes wrong (shared/spec/DOMAIN.md,
 * "What anomaly detection looks for"). Each function returns a modified copy of the record, or undefined
 * when the record has nothing the anomaly could affect (no fixed rate for a 100x rate error, no previous
 * version for a changed counterparty). Nested objects are replaced, never mutated: records share them.
 */
import type { Leg, PriceFormat, SwapReport } from '../../proto/gen/swap_report.js';
import { decimal, priceOf } from '../features/input.js';
import type { Rng } from '../models/rng.js';
import { decimalText } from './synthetic.js';

export const ANOMALY_KINDS = ['rate_100x', 'notional_1000x', 'stale_reporting', 'changed_counterparty', 'off_market_price'] as const;
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

export interface PlantContext {
  /** The trade has an earlier version (the event modifies, corrects or terminates it). */
  hasPrevious: boolean;
  /** Another counterparty identifier, for a changed counterparty. */
  otherCounterparty: string;
}

function scaleText(text: string | undefined, factor: number, digits: number): string | undefined {
  const v = decimal(text);
  return Number.isFinite(v) ? decimalText(v * factor, digits) : undefined;
}

function withLeg(r: SwapReport, which: 'leg1' | 'leg2', leg: Leg): SwapReport {
  return { ...r, [which]: leg };
}

/** 4.25 written for 0.0425: a fixed rate 100 times too large. */
function rate100x(r: SwapReport): SwapReport | undefined {
  for (const which of ['leg1', 'leg2'] as const) {
    const leg = r[which];
    const scaled = scaleText(leg?.fixedRate, 100, 8);
    if (leg && scaled !== undefined) return withLeg(r, which, { ...leg, fixedRate: scaled });
  }
  return undefined;
}

/** A notional in the wrong unit (thousands read as units): both legs x1000. */
function notional1000x(r: SwapReport): SwapReport | undefined {
  const n1 = scaleText(r.leg1?.notionalAmount, 1000, 2);
  if (!r.leg1 || n1 === undefined) return undefined;
  const out = withLeg(r, 'leg1', { ...r.leg1, notionalAmount: n1 });
  const n2 = scaleText(r.leg2?.notionalAmount, 1000, 2);
  return r.leg2 && n2 !== undefined ? withLeg(out, 'leg2', { ...r.leg2, notionalAmount: n2 }) : out;
}

/** Reported 2 to 20 days after the event (a stuck queue, a forgotten backlog). */
function staleReporting(r: SwapReport, rng: Rng): SwapReport | undefined {
  const from = Math.max(Date.parse(r.executionTimestamp ?? ''), Date.parse(r.eventTimestamp ?? '') || -Infinity);
  if (!Number.isFinite(from)) return undefined;
  const at = from + rng.uniform(2, 20) * 86_400_000;
  return { ...r, reportingTimestamp: new Date(at).toISOString().replace('.000Z', 'Z') };
}

/** A later version that names another counterparty 2 (consistently, legs included). */
function changedCounterparty(r: SwapReport, ctx: PlantContext): SwapReport | undefined {
  if (!ctx.hasPrevious || r.counterparty2 === undefined || ctx.otherCounterparty === r.counterparty2) return undefined;
  const old = r.counterparty2;
  const swap = (leg: Leg | undefined): Leg | undefined =>
    leg && { ...leg, payerIdentifier: leg.payerIdentifier === old ? ctx.otherCounterparty : leg.payerIdentifier, receiverIdentifier: leg.receiverIdentifier === old ? ctx.otherCounterparty : leg.receiverIdentifier };
  return { ...r, counterparty2: ctx.otherCounterparty, leg1: swap(r.leg1), leg2: swap(r.leg2) };
}

function shiftPrice(p: PriceFormat | undefined, factor: number): PriceFormat | undefined {
  const { value, key } = priceOf(p);
  if (!Number.isFinite(value) || key === '') return undefined;
  return { [key]: decimalText(value * factor, 8) } as PriceFormat;
}

/**
 * A price away from the market: a price, strike or exchange rate 8-25% off; else a fixed rate 50-150bp off;
 * else a spread 15-40bp off.
 */
function offMarket(r: SwapReport, rng: Rng): SwapReport | undefined {
  const sign = rng.next() < 0.5 ? -1 : 1;
  const factor = 1 + sign * rng.uniform(0.08, 0.25);
  const price = shiftPrice(r.price, factor);
  if (price) return { ...r, price };
  const strike = shiftPrice(r.strikePrice, factor);
  if (strike) return { ...r, strikePrice: strike };
  const fx = scaleText(r.exchangeRate, factor, 8);
  if (fx !== undefined) return { ...r, exchangeRate: fx };
  for (const which of ['leg1', 'leg2'] as const) {
    const leg = r[which];
    const rate = decimal(leg?.fixedRate);
    if (leg && Number.isFinite(rate)) return withLeg(r, which, { ...leg, fixedRate: decimalText(rate + sign * rng.uniform(0.005, 0.015), 8) });
  }
  for (const which of ['leg1', 'leg2'] as const) {
    const leg = r[which];
    const { value, key } = priceOf(leg?.spread);
    if (leg && Number.isFinite(value) && key !== '') {
      const bp = sign * rng.uniform(15, 40);
      const shifted = key === 'basis' ? value + bp : key === 'monetary' ? value * factor : value + bp / 10_000;
      return withLeg(r, which, { ...leg, spread: { [key]: decimalText(shifted, 8) } as PriceFormat });
    }
  }
  return undefined;
}

export function plantAnomaly(kind: AnomalyKind, r: SwapReport, rng: Rng, ctx: PlantContext): SwapReport | undefined {
  switch (kind) {
    case 'rate_100x': return rate100x(r);
    case 'notional_1000x': return notional1000x(r);
    case 'stale_reporting': return staleReporting(r, rng);
    case 'changed_counterparty': return changedCounterparty(r, ctx);
    case 'off_market_price': return offMarket(r, rng);
  }
}
