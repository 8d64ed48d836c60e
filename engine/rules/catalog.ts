/**
 * Every rule id the rulebook and the lifecycle can report, with what it checks: the list that metrics,
 * documentation and the "every rule has a failing and a passing record" test iterate over.
 */
import { CONDITIONS } from './conditions.js';
import { KTFC_PROFILE } from './regimes/ktfc.js';
import { REGIMES, type Regime, type Severity } from './types.js';

export interface RuleInfo {
  readonly id: string;
  readonly kind: 'format' | 'required' | 'condition' | 'regime' | 'lifecycle';
  readonly regimes: readonly Regime[];
  /** Default severity (FMT-LEI-CHECKSUM follows the `leiCheck` option). */
  readonly severity: Severity;
  readonly description: string;
}

const ALL = REGIMES;
const CFTC: readonly Regime[] = ['cftc-part45', 'cftc-part43'];

function rule(id: string, kind: RuleInfo['kind'], regimes: readonly Regime[], severity: Severity, description: string): RuleInfo {
  return { id, kind, regimes, severity, description };
}

const FORMAT_RULES: readonly RuleInfo[] = [
  rule('FMT-TYPE', 'format', ALL, 'error', 'value of the wrong JSON type (text, number, boolean, object)'),
  rule('FMT-CODE', 'format', ALL, 'error', 'value not in the element\'s code list (messageType per regime)'),
  rule('FMT-LEI', 'format', ALL, 'error', 'ISO 17442 LEI shape: 18 upper-case letters/digits + 2 digits'),
  rule('FMT-LEI-CHECKSUM', 'format', ALL, 'error', 'LEI check digits, ISO 7064 MOD 97-10 (severity per --lei-check)'),
  rule('FMT-PARTY-ID', 'format', ALL, 'error', 'party identifier: 20..72 letters/digits (LEI, or LEI + natural person id)'),
  rule('FMT-UTI', 'format', ALL, 'error', 'UTI: 21..52 upper-case letters/digits starting with an LEI'),
  rule('FMT-USI', 'format', ALL, 'error', 'USI: 11..42 letters/digits (10-character namespace + identifier)'),
  rule('FMT-TEXT', 'format', ALL, 'error', 'text length / alphanumeric constraint of the element'),
  rule('FMT-DECIMAL', 'format', ALL, 'error', 'decimal digits and decimals (e.g. 25 digits, 5 decimals), read from the exact string'),
  rule('FMT-NONNEG', 'format', ALL, 'error', 'notional amounts and quantities are never negative'),
  rule('FMT-INT', 'format', ALL, 'error', 'whole number with at most N digits (multipliers)'),
  rule('FMT-TIMESTAMP', 'format', ALL, 'error', 'UTC timestamp YYYY-MM-DDThh:mm:ss[.fff]Z on a real calendar day'),
  rule('FMT-DATE', 'format', ALL, 'error', 'date YYYY-MM-DD on a real calendar day'),
  rule('FMT-CURRENCY', 'format', ALL, 'error', 'ISO 4217 currency code'),
  rule('FMT-COUNTRY', 'format', ALL, 'error', 'ISO 3166-1 alpha-2 country code'),
  rule('FMT-CCY-PAIR', 'format', ALL, 'error', 'currency pair CCY/CCY of ISO 4217 codes'),
  rule('FMT-MIC', 'format', ALL, 'error', 'platform identifier: ISO 10383 MIC shape or BILT'),
  rule('PRICE-NOTATION', 'format', ALL, 'error', 'price value sits under the key its notation names'),
];

const REQUIRED_RULES: readonly RuleInfo[] = [
  rule('REQ-P45', 'required', ['cftc-part45'], 'error', 'element mandatory (1..1) in the Part 45 report is missing'),
  rule('REQ-P43', 'required', ['cftc-part43'], 'error', 'element mandatory in the Part 43 report is missing'),
  rule('REQ-KTFC', 'required', ['ktfc'], 'error', 'element required by the KTFC profile is missing'),
  rule('REQ-TR', 'required', CFTC, 'warning', 'trade-repository guidebook field (cftcGuidebook) required by the SDRs is missing'),
  rule('REQ-ITEM', 'required', ALL, 'error', 'field required in every entry of its repeating group is missing'),
  rule('REQ-VALU', 'required', ['cftc-part45', 'ktfc'], 'error', 'valuation message (VALU) without its valuation data (amount, currency, method, timestamp)'),
  rule('REQ-MARU', 'required', ['cftc-part45', 'ktfc'], 'error', 'collateral message (MARU) without its margin data (category, portfolio codes...)'),
  rule('NA-P43', 'required', ['cftc-part43'], 'warning', 'element not part of the Part 43 report is populated'),
];

const KTFC_RULES: readonly RuleInfo[] = [
  rule('KTFC-EVENT', 'regime', ['ktfc'], 'error', 'action/event type pair (Appendix F, plus POSC without event type)'),
  rule('KTFC-DEADLINE', 'regime', ['ktfc'], 'warning', 'reported after the next Korean business day (KST) after execution'),
];

const LIFECYCLE_RULES: readonly RuleInfo[] = [
  rule('LC-NO-KEY', 'lifecycle', ALL, 'error', 'event has neither UTI nor USI'),
  rule('LC-FIRST-NEWT', 'lifecycle', ALL, 'error', 'first message for a trade is not a NEWT'),
  rule('LC-UNKNOWN-TRADE', 'lifecycle', ALL, 'error', 'MODI/CORR/TERM/VALU/MARU/PRTO on a trade with no accepted NEWT'),
  rule('LC-DUP-NEWT', 'lifecycle', ALL, 'error', 'second NEWT for a live trade'),
  rule('LC-AFTER-EROR-TERM', 'lifecycle', ALL, 'error', 'event other than REVI/CORR on an errored or terminated trade'),
  rule('LC-REVI-LIVE', 'lifecycle', ALL, 'error', 'REVI on a live trade'),
  rule('LC-IMMUTABLE-EXEC-TS', 'lifecycle', ALL, 'error', 'execution timestamp differs from the NEWT'),
  rule('LC-IMMUTABLE-CP1', 'lifecycle', ALL, 'error', 'counterparty 1 differs from the NEWT'),
  rule('LC-LATE', 'lifecycle', ALL, 'warning', 'event older than the last applied event of the trade'),
];

const excluded = new Set(KTFC_PROFILE.excludedConditions);

const CONDITION_RULES: readonly RuleInfo[] = CONDITIONS.flatMap((c) => {
  const own = rule(c.id, 'condition', c.id.startsWith('GB-') ? CFTC : c.regimes, c.severity, `#${c.n} ${c.name}: ${c.spec}`);
  const ktfc = c.id.startsWith('P45-') && !excluded.has(c.n) ? [rule(`KTFC-C${c.n}`, 'condition', ['ktfc'], c.severity, `#${c.n} ${c.name} (KTFC): ${c.spec}`)] : [];
  return [own, ...ktfc];
});

export const RULES: readonly RuleInfo[] = [...FORMAT_RULES, ...REQUIRED_RULES, ...CONDITION_RULES, ...KTFC_RULES, ...LIFECYCLE_RULES];
