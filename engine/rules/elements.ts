/**
 * The data elements table: one row per CFTC data element (Technical Specification appendix 1, numbers
 * 1-128), plus the trade-repository guidebook fields (TR), the DRR attributes emitted beside them (X) and
 * the non-reportable helpers (NR). It mirrors `shared/spec/cftc-data-elements.tsv`: label, JSON path(s) in
 * the canonical record, format, code list, Part 45 cardinality and Part 43 applicability.
 *
 * compile.ts turns every row into format, code-list and cardinality checks once per rulebook.
 * Valuation and collateral elements (107-128) are not populated by DRR 6.10 (the TSV marks them n/a); the
 * canonical record carries them (some under names chosen by engine/record), so their formats are checked.
 * Property names are the record's (ts-proto): `barrier.single` is DRR's JSON `barrier._single`.
 */
import type { Regime } from './types.js';

export type FormatSpec =
  | { readonly kind: 'code'; readonly codes: readonly string[]; readonly byRegime?: Partial<Record<Regime, readonly string[]>> }
  | { readonly kind: 'lei'; readonly special?: readonly string[] }
  /** Min20Max72AlphaNumericText: an LEI (20) or an LEI followed by a natural person's id (21..72). */
  | { readonly kind: 'party' }
  | { readonly kind: 'uti'; readonly special?: readonly string[] }
  | { readonly kind: 'usi'; readonly special?: readonly string[] }
  | { readonly kind: 'text'; readonly min: number; readonly max: number; readonly alnum: boolean; readonly special?: readonly string[] }
  | { readonly kind: 'decimal'; readonly digits: number; readonly fraction: number; readonly nonNegative?: boolean }
  | { readonly kind: 'int'; readonly digits: number }
  | { readonly kind: 'timestamp' }
  | { readonly kind: 'date' }
  /** Valuation timestamp: a UTC timestamp, or a date alone (Technical Specification footnote 80). */
  | { readonly kind: 'dateOrTimestamp' }
  | { readonly kind: 'currency' }
  | { readonly kind: 'country' }
  | { readonly kind: 'ccyPair' }
  | { readonly kind: 'ccyOrPair' }
  | { readonly kind: 'platform' }
  | { readonly kind: 'bool' }
  /** PriceFormat object: monetary (18/13), decimal and percentage (11/10), basis (5-digit integer). */
  | { readonly kind: 'price' }
  | { readonly kind: 'string' }
  | { readonly kind: 'object' };

/** M = mandatory (1..1), O = optional or conditional, - = not carried by the record. */
export type P45Cardinality = 'M' | 'O' | '-';
/** Part 43 (real-time report): M / O as for Part 45, or no = not part of the Part 43 report. */
export type P43Applicability = 'M' | 'O' | 'no';

export interface DataElement {
  /** CFTC data element number; TR = trade-repository guidebook field, X = extra DRR attribute, NR = helper. */
  readonly de: number | 'TR' | 'X' | 'NR';
  readonly label: string;
  /** JSON paths in the canonical record (per leg: one path each); empty when the record does not carry it. */
  readonly paths: readonly string[];
  readonly format: FormatSpec;
  readonly p45: P45Cardinality;
  readonly p43: P43Applicability;
  /** For fields inside repeated groups: required in every item of the group when the group is present. */
  readonly requiredInItem?: boolean;
}

// Code lists (Technical Specification allowable values, as DRR's enums carry them)
const FREQ = ['HOUL', 'DAIL', 'WEEK', 'MNTH', 'YEAR', 'QURT', 'EXPI', 'ADHO', 'ONDE', 'ODMD', 'MIAN'];
const NOTATION = ['Monetary', 'Percentage', 'Decimal', 'Basis'];
const DAY_COUNT = [
  'A001', 'A002', 'A003', 'A004', 'A005', 'A006', 'A007', 'A008', 'A009', 'A010', 'A011', 'A012', 'A013', 'A014',
  'A015', 'A016', 'A017', 'A018', 'A019', 'A020', 'NARR',
];
const CLEARING_EXEMPTIONS = ['ENDU', 'AFFL', 'SMBK', 'COOP', 'NOAL', 'OTHR'];
const PARTY_FORMATS = ['Lei', 'LeiAndPerson', 'NaturalPerson', 'SWIFTBIC', 'Other'];
const NOTAVAILABLE = ['NOTAVAILABLE'];
const PORTFOLIO_SPECIAL = ['TRANSACTION-LEVEL', 'NOTAPPLICABLE'];

const F = {
  code: (codes: readonly string[]): FormatSpec => ({ kind: 'code', codes }),
  lei: { kind: 'lei' } as FormatSpec,
  party: { kind: 'party' } as FormatSpec,
  uti: { kind: 'uti' } as FormatSpec,
  usi: { kind: 'usi' } as FormatSpec,
  text: (min: number, max: number, alnum: boolean, special?: readonly string[]): FormatSpec => ({
    kind: 'text', min, max, alnum, ...(special !== undefined ? { special } : {}),
  }),
  /** ShortFraction5DecimalNumber: 25 digits, 5 decimals. */
  amount: { kind: 'decimal', digits: 25, fraction: 5 } as FormatSpec,
  notional: { kind: 'decimal', digits: 25, fraction: 5, nonNegative: true } as FormatSpec,
  /** Max11Number / BaseOneRate / ShortFraction10DecimalNumber: 11 digits, 10 decimals. */
  rate: { kind: 'decimal', digits: 11, fraction: 10 } as FormatSpec,
  int3: { kind: 'int', digits: 3 } as FormatSpec,
  ts: { kind: 'timestamp' } as FormatSpec,
  date: { kind: 'date' } as FormatSpec,
  ccy: { kind: 'currency' } as FormatSpec,
  country: { kind: 'country' } as FormatSpec,
  bool: { kind: 'bool' } as FormatSpec,
  price: { kind: 'price' } as FormatSpec,
  string: { kind: 'string' } as FormatSpec,
  object: { kind: 'object' } as FormatSpec,
};

const legs = (field: string): string[] => [`leg1.${field}`, `leg2.${field}`];

function el(de: DataElement['de'], label: string, paths: readonly string[], format: FormatSpec, p45: P45Cardinality, p43: P43Applicability, extra: Partial<DataElement> = {}): DataElement {
  return { de, label, paths, format, p45, p43, ...extra };
}

export const ELEMENTS: readonly DataElement[] = [
  el(1, 'Cleared', ['cleared'], F.code(['Y', 'N', 'I']), 'M', 'M'),
  el(2, 'Central counterparty', ['centralCounterparty'], F.lei, 'O', 'no'),
  el(3, 'Clearing account origin', ['clearingAccountOrigin'], F.code(['HOUS', 'CLIE']), 'O', 'no'),
  el(4, 'Clearing member', ['clearingMember'], F.party, 'O', 'no'),
  el(5, 'Clearing swap USIs', ['clearingSwapUSIs[]'], F.usi, 'O', 'no'),
  el(6, 'Clearing swap UTIs', ['clearingSwapUTIs[]'], F.uti, 'O', 'no'),
  el(7, 'Original swap USI', ['originalSwapUSI'], { kind: 'usi', special: NOTAVAILABLE }, 'O', 'no'),
  el(8, 'Original swap UTI', ['originalSwapUTI'], { kind: 'uti', special: NOTAVAILABLE }, 'O', 'no'),
  el(9, 'Original swap SDR identifier', ['originalSwapSDRIdentifier'], { kind: 'lei', special: NOTAVAILABLE }, 'O', 'no'),
  el(10, 'Clearing receipt timestamp', ['clearingReceiptTimestamp'], F.ts, 'O', 'no'),
  el(11, 'Clearing exceptions and exemptions - Counterparty 1', ['clearingExceptionsAndExemptionsCounterparty1[]'], F.code(CLEARING_EXEMPTIONS), 'O', 'no'),
  el(12, 'Clearing exceptions and exemptions - Counterparty 2', ['clearingExceptionsAndExemptionsCounterparty2[]'], F.code(CLEARING_EXEMPTIONS), 'O', 'no'),
  el(13, 'Counterparty 1 (reporting counterparty)', ['counterparty1'], F.party, 'M', 'M'),
  el(14, 'Counterparty 2', ['counterparty2'], F.party, 'M', 'M'),
  el(15, 'Counterparty 2 identifier source', ['counterparty2IdentifierSource'], F.code(['NPID', 'LEID', 'PLID']), 'M', 'M'),
  el(16, 'Counterparty 1 financial entity indicator', ['counterparty1FinancialEntityIndicator'], F.bool, 'O', 'no'),
  el(17, 'Counterparty 2 financial entity indicator', ['counterparty2FinancialEntityIndicator'], F.bool, 'M', 'no'),
  el(18, 'Buyer identifier', ['buyerIdentifier'], F.party, 'O', 'no'),
  el(19, 'Seller identifier', ['sellerIdentifier'], F.party, 'O', 'no'),
  el(20, 'Payer identifier', legs('payerIdentifier'), F.party, 'O', 'no'),
  el(21, 'Receiver identifier', legs('receiverIdentifier'), F.party, 'O', 'no'),
  el(22, 'Submitter identifier', ['reportSubmittingEntityID'], F.lei, 'M', 'M'),
  el(23, 'Counterparty 1 federal entity indicator', ['counterparty1FederalEntityIndicator'], F.bool, 'M', 'no'),
  el(24, 'Counterparty 2 federal entity indicator', ['counterparty2FederalEntityIndicator'], F.bool, 'M', 'no'),
  el(25, 'Custom basket indicator', ['customBasketIndicator'], F.bool, 'M', 'M'),
  el(26, 'Action type', ['actionType'], F.code(['NEWT', 'MODI', 'VALU', 'CORR', 'TERM', 'EROR', 'REVI', 'POSC', 'PRTO', 'MARU']), 'M', 'M'),
  el(27, 'Event type', ['eventType'], F.code(['TRAD', 'NOVA', 'COMP', 'ETRM', 'CLRG', 'EXER', 'ALOC', 'CLAL', 'CREV', 'CORP', 'INCP', 'UPDT', 'PTNG']), 'O', 'O'),
  el(28, 'Amendment indicator', ['amendmentIndicator'], F.bool, 'O', 'O'),
  el(29, 'Event identifier', ['eventIdentifier'], F.text(1, 52, true), 'O', 'no'),
  el(30, 'Event timestamp', ['eventTimestamp'], F.ts, 'M', 'M'),
  el(31, 'Notional amount', legs('notionalAmount'), F.notional, 'O', 'O'),
  el(32, 'Notional currency', legs('notionalCurrency'), F.ccy, 'O', 'O'),
  el(33, 'Notional amount schedule - notional amount in effect on associated effective date', legs('notionalAmountSchedule[].value'), F.notional, 'O', 'O', { requiredInItem: true }),
  el(34, 'Notional amount schedule - unadjusted effective date of the notional amount', legs('notionalAmountSchedule[].effectiveDate'), F.date, 'O', 'O', { requiredInItem: true }),
  el(35, 'Notional amount schedule - unadjusted end date of the notional amount', legs('notionalAmountSchedule[].endDate'), F.date, 'O', 'O'),
  el(36, 'Call amount', ['callAmount'], F.notional, 'O', 'O'),
  el(37, 'Call currency', ['callCurrency'], F.ccy, 'O', 'O'),
  el(38, 'Put amount', ['putAmount'], F.notional, 'O', 'O'),
  el(39, 'Put currency', ['putCurrency'], F.ccy, 'O', 'O'),
  el(40, 'Notional quantity', legs('notionalQuantity'), F.notional, 'O', 'O'),
  el(41, 'Quantity frequency', legs('quantityFrequency'), F.code(FREQ), 'O', 'O'),
  el(42, 'Quantity frequency multiplier', legs('quantityFrequencyMultiplier'), F.int3, 'O', 'O'),
  el(43, 'Quantity unit of measure', legs('quantityUnitOfMeasure'), F.text(1, 4, false), 'O', 'O'),
  el(44, 'Total notional quantity', legs('totalNotionalQuantity'), F.notional, 'O', 'O'),
  el(45, 'Package indicator', ['packageIndicator'], F.bool, 'M', 'M'),
  el(46, 'Package identifier', ['packageIdentifier'], F.text(1, 100, true), 'O', 'no'),
  el(47, 'Package transaction price', ['packageTransactionPrice'], F.price, 'O', 'O'),
  el(48, 'Package transaction price currency', ['packageTransactionPriceCurrency'], F.ccy, 'O', 'O'),
  el(49, 'Package transaction price notation', ['packageTransactionPriceNotation'], F.code(NOTATION), 'O', 'O'),
  el(50, 'Package transaction spread', ['packageTransactionSpread'], F.price, 'O', 'O'),
  el(51, 'Package transaction spread currency', ['packageTransactionSpreadCurrency'], F.ccy, 'O', 'O'),
  el(52, 'Package transaction spread notation', ['packageTransactionSpreadNotation'], F.code(NOTATION), 'O', 'O'),
  el(53, 'Day count convention', [...legs('periodicPayment.fixedRateDayCountConvention'), ...legs('periodicPayment.floatingRateDayCountConvention')], F.code(DAY_COUNT), 'O', 'O'),
  el(54, 'Fixing date', legs('fixingDate'), F.ts, 'O', 'no'),
  el(55, 'Floating rate reset frequency period', legs('periodicPayment.floatingRateResetFrequencyPeriod'), F.code(FREQ), 'O', 'O'),
  el(56, 'Floating rate reset frequency period multiplier', legs('periodicPayment.floatingRateResetFrequencyMultiplier'), F.int3, 'O', 'O'),
  el(57, 'Other payment type', ['otherPayment[].paymentType'], F.code(['UFRO', 'UWIN', 'PEXH']), 'O', 'O'),
  el(58, 'Other payment amount', ['otherPayment[].amount'], F.notional, 'O', 'O'),
  el(59, 'Other payment currency', ['otherPayment[].currency'], F.ccy, 'O', 'O'),
  el(60, 'Other payment date', ['otherPayment[].date'], F.date, 'O', 'O'),
  el(61, 'Other payment payer', ['otherPayment[].payer'], F.party, 'O', 'O'),
  el(62, 'Other payment receiver', ['otherPayment[].receiver'], F.party, 'O', 'O'),
  el(63, 'Payment frequency period', [...legs('periodicPayment.fixedRatePaymentFrequencyPeriod'), ...legs('periodicPayment.floatingRatePaymentFrequencyPeriod')], F.code(FREQ), 'O', 'O'),
  el(64, 'Payment frequency period multiplier', [...legs('periodicPayment.fixedRatePaymentFrequencyPeriodMultiplier'), ...legs('periodicPayment.floatingRatePaymentFrequencyPeriodMultiplier')], F.int3, 'O', 'O'),
  el(65, 'Exchange rate', ['exchangeRate'], { kind: 'decimal', digits: 18, fraction: 13 }, 'O', 'O'),
  el(66, 'Exchange rate basis', ['exchangeRateBasis'], { kind: 'ccyPair' }, 'O', 'O'),
  el(67, 'Fixed rate', legs('fixedRate'), F.rate, 'O', 'O'),
  el(68, 'Post-priced swap indicator', ['postPricedSwapIndicator'], F.bool, 'M', 'M'),
  el(69, 'Price', ['price'], F.price, 'O', 'O'),
  el(70, 'Price currency', ['priceCurrency'], F.ccy, 'O', 'O'),
  el(71, 'Price notation', ['priceNotation'], F.code(NOTATION), 'O', 'O'),
  el(72, 'Price unit of measure', ['priceUnitOfMeasure'], F.text(1, 4, false), 'O', 'O'),
  el(73, 'Spread', legs('spread'), F.price, 'O', 'O'),
  el(74, 'Spread currency', legs('spreadCurrency'), F.ccy, 'O', 'O'),
  el(75, 'Spread notation', legs('spreadNotation'), F.code(NOTATION), 'O', 'O'),
  el(76, 'Strike price', ['strikePrice'], F.price, 'O', 'O'),
  el(77, 'Strike price currency/currency pair', ['strikePriceCurrency'], { kind: 'ccyOrPair' }, 'O', 'O'),
  el(78, 'Strike price notation', ['strikePriceNotation'], F.code(NOTATION), 'O', 'O'),
  el(79, 'Option premium amount', ['optionPremiumAmount'], F.notional, 'O', 'O'),
  el(80, 'Option premium currency', ['optionPremiumCurrency'], F.ccy, 'O', 'O'),
  el(81, 'Option premium payment date', ['optionPremiumPaymentDate'], F.date, 'O', 'no'),
  el(82, 'First exercise date', ['firstExerciseDate'], F.date, 'O', 'O'),
  el(83, 'CDS index attachment point', ['cdSIndexAttachmentPoint'], F.rate, 'O', 'no'),
  el(84, 'CDS index detachment point', ['cdSIndexDetachmentPoint'], F.rate, 'O', 'no'),
  el(85, 'Index factor', ['indexFactor'], F.rate, 'O', 'O'),
  el(86, 'Embedded option type', ['embeddedOptionType'], F.code(['CANC', 'EXTD', 'OPET', 'OTHR', 'MDET']), 'O', 'O'),
  el(87, 'Unique product identifier', ['uniqueProductIdentifier'], F.string, 'O', 'O'),
  el(88, 'Final contractual settlement date', ['finalContractualSettlementDate'], F.date, 'O', 'no'),
  el(89, 'Settlement currency', legs('settlementCurrency'), F.ccy, 'O', 'O'),
  el(90, 'Settlement location', ['settlementLocation'], F.country, 'O', 'O'),
  el(91, 'Allocation indicator', ['allocationIndicator'], F.code(['POST', 'PREA', 'UNAL']), 'M', 'no'),
  el(92, 'Non-standardized term indicator', ['nonStandardizedTermIndicator'], F.bool, 'O', 'O'),
  el(93, 'Block trade election indicator', ['blockTradeElectionIndicator'], F.bool, 'M', 'M'),
  el(94, 'Effective date', ['effectiveDate'], F.date, 'M', 'M'),
  el(95, 'Expiration date', ['expirationDate'], F.date, 'O', 'O'),
  el(96, 'Execution timestamp', ['executionTimestamp'], F.ts, 'M', 'M'),
  el(97, 'Reporting timestamp', ['reportingTimestamp'], F.ts, 'M', 'M'),
  el(98, 'Platform identifier', ['platformIdentifier'], { kind: 'platform' }, 'O', 'O'),
  el(99, 'Prime brokerage transaction indicator', ['primeBrokerageTransactionIndicator'], F.bool, 'O', 'O'),
  el(100, 'Prior USI', ['priorUSI'], F.usi, 'O', 'no'),
  el(101, 'Prior UTI', ['priorUTI'], F.uti, 'O', 'no'),
  el(102, 'Unique swap identifier (USI)', ['uniqueSwapIdentifier'], F.usi, 'O', 'O'),
  el(103, 'Unique transaction identifier (UTI)', ['uniqueTransactionIdentifier'], F.uti, 'O', 'O'),
  el(104, 'Jurisdiction', ['jurisdiction'], F.code(['MIXX', 'CFTC', 'SECH']), 'M', 'no'),
  el(105, 'New SDR identifier', ['newSDRIdentifier'], F.lei, 'O', 'no'),
  el(106, 'Next floating reference reset date', legs('nextFloatingReferenceResetDate'), F.date, 'O', 'no'),
  el(107, 'Last floating reference value', legs('lastFloatingReferenceValue'), F.rate, 'O', 'no'),
  el(108, 'Last floating reference reset date', legs('lastFloatingReferenceResetDate'), F.date, 'O', 'no'),
  el(109, 'Delta', ['delta'], F.amount, 'O', 'no'),
  el(110, 'Valuation amount', ['valuationAmount'], F.amount, 'O', 'no'),
  el(111, 'Valuation currency', ['valuationCurrency'], F.ccy, 'O', 'no'),
  el(112, 'Valuation method', ['valuationMethod'], F.code(['CCPV', 'MTMA', 'MTMO']), 'O', 'no'),
  el(113, 'Valuation timestamp', ['valuationTimestamp'], { kind: 'dateOrTimestamp' }, 'O', 'no'),
  el(114, 'Affiliated counterparty for margin and capital indicator', ['affiliatedCounterpartyForMarginAndCapitalIndicator'], F.bool, 'O', 'no'),
  el(115, 'Collateralisation category', ['collateralisationCategory'], F.code(['UNCL', 'PRC1', 'PRC2', 'PRCL', 'OWC1', 'OWC2', 'OWP1', 'OWP2', 'FLCL']), 'O', 'no'),
  el(116, 'Initial margin collateral portfolio code', ['initialMarginCollateralPortfolioCode'], F.text(1, 52, true, PORTFOLIO_SPECIAL), 'O', 'no'),
  el(117, 'Portfolio containing non-reportable component indicator', ['portfolioContainingNonReportableComponentIndicator'], F.bool, 'O', 'no'),
  el(118, 'Initial margin posted by the reporting counterparty (post-haircut)', ['initialMarginPostedPostHaircut'], F.notional, 'O', 'no'),
  el(119, 'Initial margin posted by the reporting counterparty (pre-haircut)', ['initialMarginPostedPreHaircut'], F.notional, 'O', 'no'),
  el(120, 'Currency of initial margin posted', ['currencyOfInitialMarginPosted'], F.ccy, 'O', 'no'),
  el(121, 'Initial margin collected by the reporting counterparty (post-haircut)', ['initialMarginCollectedPostHaircut'], F.notional, 'O', 'no'),
  el(122, 'Initial margin collected by the reporting counterparty (pre-haircut)', ['initialMarginCollectedPreHaircut'], F.notional, 'O', 'no'),
  el(123, 'Currency of initial margin collected', ['currencyOfInitialMarginCollected'], F.ccy, 'O', 'no'),
  el(124, 'Variation margin collateral portfolio code', ['variationMarginCollateralPortfolioCode'], F.text(1, 52, true, PORTFOLIO_SPECIAL), 'O', 'no'),
  el(125, 'Variation margin posted by the reporting counterparty (pre-haircut)', ['variationMarginPostedPreHaircut'], F.notional, 'O', 'no'),
  el(126, 'Currency of variation margin posted', ['currencyOfVariationMarginPosted'], F.ccy, 'O', 'no'),
  el(127, 'Variation margin collected by the reporting counterparty (pre-haircut)', ['variationMarginCollectedPreHaircut'], F.notional, 'O', 'no'),
  el(128, 'Currency of variation margin collected', ['currencyOfVariationMarginCollected'], F.ccy, 'O', 'no'),

  // Trade-repository guidebook extension fields (DTCC/CME/ICE), carried under cftcGuidebook
  el('TR', 'TR Option type', ['cftcGuidebook.optionType'], F.code(['CALL', 'PUTO', 'OTHR']), 'O', 'O'),
  el('TR', 'TR Option Style', ['cftcGuidebook.optionStyle'], F.code(['AMER', 'EURO', 'BERM']), 'O', 'O'),
  el('TR', 'TR Asset Class', ['cftcGuidebook.assetClass'], F.code(['InterestRate', 'Credit', 'Equity', 'Commodity', 'ForeignExchange']), 'M', 'M'),
  el('TR', 'TR Mandatory Clearing Indicator', ['cftcGuidebook.mandatoryClearingIndicator'], F.bool, 'M', 'M'),
  el('TR', 'TR Maturity Date of the Underlier', ['cftcGuidebook.maturityDateOfTheUnderlier'], F.date, 'O', 'O'),
  el('TR', 'TR Large notional off-facility swap election indicator', ['cftcGuidebook.largeNotionalOffFacilitySwapElectionIndicator'], F.bool, 'O', 'O'),
  el('TR', 'TR SEF or DCM indicator', ['cftcGuidebook.sefOrDcmIndicator'], F.bool, 'M', 'M'),
  el('TR', 'TR SEF or DCM Anonymous Execution Indicator', ['cftcGuidebook.sefOrDcmAnonymousExecutionIndicator'], F.bool, 'O', 'O'),
  el('TR', 'TR Message Type', ['cftcGuidebook.messageType'],
    { kind: 'code', codes: ['Trade State', 'RT'], byRegime: { 'cftc-part45': ['Trade State'], 'cftc-part43': ['RT'] } }, 'M', 'M'),
  el('TR', 'TR Settlement Type', ['cftcGuidebook.settlementType'], F.code(['CASH', 'PHYS', 'OPTL']), 'O', 'O'),
  el('TR', 'TR SD MSP Indicator - Counterparty 1', ['cftcGuidebook.sdMspIndicatorParty1'], F.bool, 'M', 'M'),
  el('TR', 'TR SD MSP Indicator - Counterparty 2', ['cftcGuidebook.sdMspIndicatorParty2'], F.bool, 'M', 'M'),
  el('TR', 'TR Physical commodity contract indicator', ['cftcGuidebook.physicalCommodityIndicator'], F.bool, 'O', 'O'),

  // DRR attributes emitted although not CFTC appendix 1 elements
  el('X', 'Clearing timestamp (DRR)', ['clearingTimestamp'], F.ts, 'O', 'O'),
  el('X', 'Country of counterparty 2 (DRR)', ['countryOfTheCounterparty2'], F.country, 'O', 'O'),
  el('X', 'Execution agent counterparty 1 (DRR)', ['executionAgentCounterparty1'], F.string, 'O', 'O'),
  el('X', 'Execution agent counterparty 2 (DRR)', ['executionAgentCounterparty2'], F.lei, 'O', 'O'),
  el('X', 'Counterparty 2 name (DRR)', ['counterparty2Name'], F.text(1, 150, false), 'O', 'O'),
  el('X', 'Early termination date (DRR)', ['earlyTerminationDate'], F.date, 'O', 'O'),
  el('X', 'Trader location (DRR)', ['traderLocation'], F.country, 'O', 'O'),
  el('X', 'Barrier price (DRR)', ['barrier.single.price', 'barrier.upper.price', 'barrier.lower.price'], F.price, 'O', 'O'),
  el('X', 'Barrier notation (DRR)', ['barrier.single.notation', 'barrier.upper.notation', 'barrier.lower.notation'], F.code(NOTATION), 'O', 'O'),
  el('X', 'Barrier currency (DRR)', ['barrier.single.currency', 'barrier.upper.currency', 'barrier.lower.currency'], F.ccy, 'O', 'O'),
  el('X', 'Price schedule price (DRR)', ['priceSchedule[].price'], F.price, 'O', 'O', { requiredInItem: true }),
  el('X', 'Price schedule effective date (DRR)', ['priceSchedule[].effectiveDate'], F.date, 'O', 'O', { requiredInItem: true }),
  el('X', 'Price schedule end date (DRR)', ['priceSchedule[].endDate'], F.date, 'O', 'O'),
  el('X', 'Strike price schedule price (DRR)', ['strikePriceSchedule[].price'], F.price, 'O', 'O', { requiredInItem: true }),
  el('X', 'Strike price schedule effective date (DRR)', ['strikePriceSchedule[].effectiveDate'], F.date, 'O', 'O', { requiredInItem: true }),
  el('X', 'Strike price schedule end date (DRR)', ['strikePriceSchedule[].endDate'], F.date, 'O', 'O'),

  // Non-reportable helpers (removed before submission; read by the format conditions)
  el('NR', 'Counterparty 1 identifier format', ['nonReportable.counterparty1Format'], F.code(PARTY_FORMATS), 'O', 'O'),
  el('NR', 'Counterparty 2 identifier format', ['nonReportable.counterparty2Format'], F.code(PARTY_FORMATS), 'O', 'O'),
  el('NR', 'Buyer identifier format', ['nonReportable.buyerIdentifierFormat'], F.code(PARTY_FORMATS), 'O', 'no'),
  el('NR', 'Seller identifier format', ['nonReportable.sellerIdentifierFormat'], F.code(PARTY_FORMATS), 'O', 'no'),
  el('NR', 'Payer identifier format', legs('payerIdentifierFormat'), F.code(PARTY_FORMATS), 'O', 'no'),
  el('NR', 'Receiver identifier format', legs('receiverIdentifierFormat'), F.code(PARTY_FORMATS), 'O', 'no'),
  el('NR', 'Other payment payer/receiver format', ['otherPayment[].payerFormat', 'otherPayment[].receiverFormat'], F.code(PARTY_FORMATS), 'O', 'O'),
  el('NR', 'UPI instrument type', ['nonReportable.instrumentType'], F.code(['Forward', 'Option', 'Other', 'Swap']), 'O', 'O'),
  el('NR', 'UPI underlying asset type', ['nonReportable.underlyingAssetType'], F.string, 'O', 'O'),
  el('NR', 'UPI notional schedule', ['nonReportable.notionalSchedule'], F.code(['Accreting', 'Amortizing', 'Constant', 'Custom']), 'O', 'O'),
  el('NR', 'UPI and enrichment data', ['nonReportable.preUpiData', 'nonReportable.postUpiData', 'nonReportable.enrichment'], F.object, 'O', 'O'),
];

/** Finding `element` for a row: the data element number, or the label for TR/X/NR rows. */
export function elementId(e: DataElement): string {
  return typeof e.de === 'number' ? String(e.de) : e.label;
}

const byPath = new Map<string, DataElement>();
for (const e of ELEMENTS) for (const p of e.paths) byPath.set(p, e);

/** The element that a JSON path (as written in the tables, `leg1.fixedRate`, `otherPayment[].amount`) belongs to. */
export function elementOfPath(path: string): DataElement | undefined {
  return byPath.get(path);
}
