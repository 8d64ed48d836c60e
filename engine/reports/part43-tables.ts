/**
 * The tables of 17 CFR part 43 that an SDR applies when it publicly disseminates swap transaction and pricing
 * data, as default values of Part43Config (config.ts). Pure data: shared by the engine (which computes, for
 * monitoring, when each of its trades may be disseminated) and by the simulated SDR (loadtest/sdr-sim/public-tape.ts,
 * which does the dissemination). The reporting counterparty reports the data unmasked (§ 43.3(a)); rounding,
 * capping and delays are the SDR's (§ 43.4(a), (f), (g); § 43.5).
 *
 * Section numbers are those of part 43 as amended by 85 FR 75476 (Nov. 25, 2020); before it, rounding was
 * § 43.4(g) and cap sizes § 43.4(h). Values marked "unverified" follow shared/spec/DOMAIN.md and have not been
 * checked against the current text: they are defaults an operator overrides (reports.part43 in the config file).
 */
import type { Part43Config } from './config.js';

/**
 * § 43.4(f), rounding of the disseminated notional or principal amount: an amount strictly below `below` is
 * rounded to the nearest `unit`; at or above the last step, to `ROUNDING_ABOVE`. "In no case" is a disseminated
 * amount less than five (§ 43.4(f)(1)): ROUNDING_MINIMUM. The top step (100 billion and over) follows DOMAIN.md
 * ("to 50 billion"); one SDR's public guide rounds it to the nearest 10 billion instead: unverified.
 */
export const ROUNDING_TABLE: Part43Config['rounding'] = [
  { below: '1000', unit: '5' }, // (f)(1)
  { below: '10000', unit: '100' }, // (f)(2)
  { below: '100000', unit: '1000' }, // (f)(3)
  { below: '1000000', unit: '10000' }, // (f)(4)
  { below: '100000000', unit: '1000000' }, // (f)(5)
  { below: '500000000', unit: '10000000' }, // (f)(6)
  { below: '1000000000', unit: '50000000' }, // (f)(7)
  { below: '100000000000', unit: '100000000' }, // (f)(8)
];
export const ROUNDING_ABOVE = '50000000000'; // (f)(9), unverified (see above)
export const ROUNDING_MINIMUM = '5';

/**
 * § 43.4(g), cap sizes: an amount over the cap of its asset class (and, for interest rates, tenor) is disseminated
 * as the cap followed by "+" (DOMAIN.md: "250,000,000+"). These are the initial cap sizes by asset class; the
 * post-initial cap sizes of § 43.4(h) are set per swap category from the appropriate minimum block sizes of § 43.6
 * and published by the Commission: configure them when known. First matching row wins.
 */
export const CAP_TABLE: Part43Config['caps'] = [
  { assetClass: 'InterestRate', maxTenorYears: 2, cap: '250000000' }, // zero to two years
  { assetClass: 'InterestRate', maxTenorYears: 10, cap: '100000000' }, // over two to ten years
  { assetClass: 'InterestRate', cap: '75000000' }, // over ten years
  { assetClass: 'Credit', cap: '100000000' },
  { assetClass: 'Equity', cap: '250000000' },
  { assetClass: 'ForeignExchange', cap: '250000000' },
  { assetClass: 'Commodity', cap: '100000000' }, // "other commodity"
];
/** A swap whose asset class no row names (unverified: the largest initial cap). */
export const DEFAULT_CAP = '250000000';

/**
 * § 43.5(d), time delay for a block trade executed on or pursuant to the rules of a SEF or DCM: 15 minutes after
 * execution (appendix C, table C1).
 */
export const BLOCK_DELAY_MINUTES = 15;

/**
 * § 43.5(e)-(h), time delays for large notional off-facility swaps (appendix C, tables C2-C6): 15 minutes when a
 * swap dealer or major swap participant is a party (C2, rates, credit, FX and equity), longer otherwise (30
 * minutes, 1 hour, 2 hours by asset class and clearing status). Approximated by two values (unverified): the
 * dealer case and, for the rest, the longest, 2 hours.
 */
export const LARGE_NOTIONAL_DELAY_MINUTES: Part43Config['largeNotionalDelayMinutes'] = { dealer: 15, other: 120 };

/**
 * § 43.6, appropriate minimum block sizes (appendix F, per swap category): an off-facility swap at or over its
 * category's size is a large notional off-facility swap (§ 43.2) and may take the § 43.5 delay. Approximated per
 * asset class (unverified; appendix F has one size per category: currency group and tenor for rates, etc.).
 */
export const LARGE_NOTIONAL_THRESHOLDS: Part43Config['largeNotionalThresholds'] = {
  InterestRate: '100000000',
  Credit: '100000000',
  Equity: '50000000',
  ForeignExchange: '50000000',
  Commodity: '25000000',
};

/** The rule's tables as the Part43Config fields they fill. */
export const PART43_RULE_TABLES = {
  rounding: ROUNDING_TABLE,
  roundingAbove: ROUNDING_ABOVE,
  roundingMinimum: ROUNDING_MINIMUM,
  caps: CAP_TABLE,
  defaultCap: DEFAULT_CAP,
  blockDelayMinutes: BLOCK_DELAY_MINUTES,
  largeNotionalDelayMinutes: LARGE_NOTIONAL_DELAY_MINUTES,
  largeNotionalThresholds: LARGE_NOTIONAL_THRESHOLDS,
} as const satisfies Partial<Part43Config>;
