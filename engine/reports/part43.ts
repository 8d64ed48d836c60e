/**
 * Part 43 public dissemination, as the SDR does it: the notional shown to the public (rounded per § 43.4(f), capped
 * with "+" per § 43.4(g)/(h)) and the dissemination delay for block trades (§ 43.5(d)) and large notional
 * off-facility swaps (§ 43.5(e)-(h), § 43.6). Pure functions of the record and Part43Config; the tables themselves
 * are in part43-tables.ts. The engine reports Part 43 data unmasked (§ 43.3(a)) and uses only the delay, to
 * record when each trade may be disseminated (monitoring); the simulated SDR (loadtest/sdr-sim/public-tape.ts)
 * uses all of it to publish its public tape.
 */
import type { SwapReport } from '../../proto/gen/swap_report.js';
import type { CapRule, Part43Config } from './config.js';
import { formatScaled, parseScaled, roundToUnit, scaledConst } from './decimal.js';

/** Integer amount text that is exact as a double (15 digits), for the fast paths. */
const SMALL_INTEGER = /^\d{1,15}$/;

/** The Technical Specification's "unknown amount" value (footnotes 42/44): disseminated as is, never rounded. */
export const UNKNOWN_AMOUNT = '99999999999999999999.99999';

/** A cap: exact (BigInt at scale 10^5) and, when it is a whole amount below 2^53, as a number for the fast path. */
export interface Cap {
  readonly scaled: bigint;
  readonly num: number | undefined;
}

export function capOf(text: string): Cap {
  const scaled = scaledConst(text);
  const whole = scaled % 100_000n === 0n && scaled / 100_000n < 2n ** 53n;
  return { scaled, num: whole ? Number(scaled / 100_000n) : undefined };
}

/** Part43Config with its decimal thresholds parsed once (BigInt at scale 10^5). */
export interface CompiledPart43 {
  readonly config: Part43Config;
  readonly steps: readonly { readonly below: bigint; readonly unit: bigint }[];
  /** The same table in whole units as numbers, for the fast path (integer amounts below 2^53). */
  readonly stepsNum: readonly { readonly below: number; readonly unit: number }[];
  readonly aboveNum: number;
  readonly above: bigint;
  readonly caps: readonly (CapRule & { readonly capValue: Cap })[];
  readonly defaultCap: Cap;
  readonly large: ReadonlyMap<string, bigint>;
  /** § 43.4(f)(1): the least amount shown for a positive notional (scaled, and as a number), or undefined. */
  readonly minimum: bigint | undefined;
  readonly minimumNum: number;
}

export function compilePart43(config: Part43Config): CompiledPart43 {
  const steps = config.rounding.map((s) => ({ below: scaledConst(s.below), unit: scaledConst(s.unit) }));
  for (let i = 1; i < steps.length; i++) {
    if (steps[i]!.below <= steps[i - 1]!.below) throw new Error('part43.rounding: `below` must increase');
  }
  return {
    config,
    steps,
    stepsNum: config.rounding.map((r) => ({ below: Number(r.below), unit: Number(r.unit) })),
    aboveNum: Number(config.roundingAbove),
    above: scaledConst(config.roundingAbove),
    caps: config.caps.map((c) => ({ ...c, capValue: capOf(c.cap) })),
    defaultCap: capOf(config.defaultCap),
    large: new Map(Object.entries(config.largeNotionalThresholds).map(([k, v]) => [k, scaledConst(v)])),
    minimum: config.roundingMinimum !== undefined ? scaledConst(config.roundingMinimum) : undefined,
    minimumNum: config.roundingMinimum !== undefined ? Number(config.roundingMinimum) : 0,
  };
}

/** Rounds a (non-negative) scaled amount per the rounding table (§ 43.4(f)), never below the minimum for a positive amount. */
export function roundScaled(p: CompiledPart43, scaled: bigint): bigint {
  const a = scaled < 0n ? -scaled : scaled;
  let unit = p.above;
  for (const s of p.steps) {
    if (a < s.below) {
      unit = s.unit;
      break;
    }
  }
  const r = roundToUnit(scaled, unit);
  return p.minimum !== undefined && scaled > 0n && r < p.minimum ? p.minimum : r;
}

/** Years between two YYYY-MM-DD dates (365.25-day years), or undefined when either is missing or malformed. */
export function tenorYears(effectiveDate: string | undefined, expirationDate: string | undefined): number | undefined {
  if (!effectiveDate || !expirationDate) return undefined;
  const a = Date.parse(`${effectiveDate}T00:00:00Z`);
  const b = Date.parse(`${expirationDate}T00:00:00Z`);
  if (Number.isNaN(a) || Number.isNaN(b)) return undefined;
  return (b - a) / (365.25 * 86_400_000);
}

/** The cap for a record: the first rule matching its asset class and tenor, else the default. */
export function capFor(p: CompiledPart43, report: SwapReport): Cap {
  const assetClass = report.cftcGuidebook?.assetClass;
  const tenor = tenorYears(report.effectiveDate, report.expirationDate);
  for (const c of p.caps) {
    if (c.assetClass !== undefined && c.assetClass !== assetClass) continue;
    // A tenor-bounded rule needs a known tenor; an unknown tenor falls to the unbounded (smallest) cap.
    if (c.maxTenorYears !== undefined && (tenor === undefined || tenor > c.maxTenorYears)) continue;
    return c.capValue;
  }
  return p.defaultCap;
}

/** Converts a scaled amount in `currency` to USD when rates are configured (else returns it unchanged). */
function inUsd(p: CompiledPart43, scaled: bigint, currency: string | undefined): bigint {
  const rates = p.config.usdRates;
  if (!rates || !currency) return scaled;
  const rate = rates[currency];
  if (rate === undefined) return scaled;
  // Rates have at most ~9 significant digits; a 10^9 fixed-point multiply keeps the comparison exact enough.
  return (scaled * BigInt(Math.round(rate * 1e9))) / 1_000_000_000n;
}

/**
 * The public notional text: the rounded amount (§ 43.4(f)), or `<cap>+` when the amount exceeds the cap (§ 43.4(g)).
 * Text that is not a number, and the "unknown" value, are passed through (the rulebook reports them, not dissemination).
 */
export function publicNotional(p: CompiledPart43, text: string, cap: Cap, currency?: string): string {
  if (text === UNKNOWN_AMOUNT) return text;
  // Fast path, exact: integer amounts of up to 15 digits are exact doubles, and so is every step of rounding
  // them to whole units (the BigInt path below costs ~10x more and is kept for decimals and huge amounts).
  if (cap.num !== undefined && p.config.usdRates === undefined && SMALL_INTEGER.test(text)) {
    const a = Number(text);
    if (a > cap.num) return String(cap.num) + '+';
    let unit = p.aboveNum;
    for (const st of p.stepsNum) {
      if (a < st.below) {
        unit = st.unit;
        break;
      }
    }
    const r = Math.floor((a + unit / 2) / unit) * unit;
    return String(a > 0 && r < p.minimumNum ? p.minimumNum : r);
  }
  const scaled = parseScaled(text);
  if (scaled === undefined) return text;
  if (inUsd(p, scaled, currency) > cap.scaled) return formatScaled(cap.scaled) + '+';
  return formatScaled(roundScaled(p, scaled));
}

/** Whether a swap dealer or major swap participant is a party (TR flags, or our own dealer LEIs). */
export function dealerIsParty(report: SwapReport, dealerLeis: ReadonlySet<string>, defaultDealer: boolean): boolean {
  const g = report.cftcGuidebook;
  if (g?.sdMspIndicatorParty1 === true || g?.sdMspIndicatorParty2 === true) return true;
  if (g?.sdMspIndicatorParty1 === false && g?.sdMspIndicatorParty2 === false) return false;
  if (report.counterparty1 !== undefined && dealerLeis.has(report.counterparty1)) return true;
  if (report.counterparty2 !== undefined && dealerLeis.has(report.counterparty2)) return true;
  return defaultDealer;
}

export type DelayReason = 'none' | 'block' | 'large-notional';

/**
 * Dissemination delay in minutes, counted from execution (§ 43.5(c)): block trades on a SEF/DCM wait
 * `blockDelayMinutes` (§ 43.5(d)); off-facility trades that elected large-notional treatment (or a block election,
 * or a leg-1 notional at or over the asset class's minimum block size, § 43.6) wait `largeNotionalDelayMinutes` by
 * who is a party (§ 43.5(e)-(h)); everything else is disseminated as soon as technologically practicable.
 */
export function disseminationDelay(p: CompiledPart43, report: SwapReport, dealer: boolean): { minutes: number; reason: DelayReason } {
  const g = report.cftcGuidebook;
  const onFacility = g?.sefOrDcmIndicator === true;
  if (onFacility) {
    return report.blockTradeElectionIndicator === true ? { minutes: p.config.blockDelayMinutes, reason: 'block' } : { minutes: 0, reason: 'none' };
  }
  let large = g?.largeNotionalOffFacilitySwapElectionIndicator === true || report.blockTradeElectionIndicator === true;
  if (!large) {
    const threshold = g?.assetClass !== undefined ? p.large.get(g.assetClass) : undefined;
    const text = report.leg1?.notionalAmount;
    if (threshold !== undefined && text !== undefined && text !== UNKNOWN_AMOUNT) {
      // Integer amounts compare as numbers (exact below 2^53); anything else exactly.
      if (p.config.usdRates === undefined && SMALL_INTEGER.test(text) && threshold % 100_000n === 0n) large = Number(text) * 100_000 >= Number(threshold);
      else {
        const scaled = parseScaled(text);
        large = scaled !== undefined && inUsd(p, scaled, report.leg1?.notionalCurrency) >= threshold;
      }
    }
  }
  if (!large) return { minutes: 0, reason: 'none' };
  const d = p.config.largeNotionalDelayMinutes;
  return { minutes: dealer ? d.dealer : d.other, reason: 'large-notional' };
}

/** Whether an event owes a Part 43 report at all (action and event type filters). */
export function owesPart43(p: CompiledPart43, report: SwapReport): boolean {
  const action = report.actionType;
  if (action === undefined || !p.config.actions.includes(action)) return false;
  const event = report.eventType;
  return event === undefined || p.config.eventTypes.includes(event);
}
