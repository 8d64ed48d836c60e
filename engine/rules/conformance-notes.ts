/**
 * Why swaprep's finding count for a DRR 6.10 sample differs from the `modelValidationFailures` its test pack
 * asserts: one note per kind of difference, keyed by DRR check name and swaprep rule id. `swaprep conformance`
 * (engine/cli/conformance.ts) applies every note to every sample; a difference no note accounts for is
 * "unexplained" and test/unit/conformance.test.ts fails on it.
 *
 * The test packs give DRR's count per sample, not the names of the failing checks. Each `drr` reading below
 * restates what DRR's model checks (../shared/spec/cftc-conditions.md, cftc-data-elements.tsv) where swaprep
 * deliberately checks something else; where the model's expression is not in the corpus, the note says the
 * reading was inferred from the counts, and over which samples.
 *
 * Kinds:
 *  - drr-model-only: DRR's model checks it, the CFTC Technical Specification does not (helper data DRR adds to
 *    its own output, DRR's way of counting a missing element twice). swaprep does not report it.
 *  - cftc-only: a CFTC rule (Technical Specification format) that DRR's model does not check. swaprep reports it.
 *  - drr-departs: the rule exists on both sides, but DRR's expression departs from the Technical Specification's
 *    text (operator precedence, `any <>` on an empty list, else-branches on data the record does not give);
 *    swaprep follows the specification (the rule's `note` in conditions.ts says so).
 */
import { compareDecimal } from './decimal.js';
import { isPresent, type Rec } from './types.js';

export type NoteKind = 'drr-model-only' | 'cftc-only' | 'drr-departs';

export const NOTE_KINDS: Readonly<Record<NoteKind, string>> = {
  'drr-model-only': 'DRR model check that is not a CFTC rule',
  'cftc-only': 'CFTC rule DRR does not check',
  'drr-departs': "DRR's expression departs from the Technical Specification; swaprep follows the specification",
};

interface NoteBase {
  /** Stable key used in docs/conformance.md. */
  readonly id: string;
  readonly kind: NoteKind;
  /** DRR's name for the check (condition name, or the attribute whose cardinality/type fails). */
  readonly drrCheck: string;
  /** Why the two sides count differently (and, for inferred readings, the evidence). */
  readonly why: string;
}

/** swaprep reports a counting unit DRR does not: matched on the unit key (rule[:path]). */
export interface SwaprepOnlyNote extends NoteBase {
  readonly kind: 'cftc-only';
  /** Whether this unit (rule[:path]) of this record is one DRR does not check. */
  readonly swaprepUnit: (unit: string, r: Rec) => boolean;
  readonly swaprepRule: string;
}

/** DRR counts failures swaprep has no rule for: how many, for one record. */
export interface DrrOnlyNote extends NoteBase {
  readonly kind: 'drr-model-only';
  readonly drrFailures: (r: Rec) => number;
}

/**
 * Both sides have the rule (Part 45 condition `condition`, Part 43 its `sameAs` row); DRR's reading of it
 * fails or passes the record as `drrFails` says, swaprep's as its findings say.
 */
export interface ReadingNote extends NoteBase {
  readonly kind: 'drr-departs' | 'drr-model-only';
  readonly condition: number;
  /** Records the note is about (the asset class whose branch departs); elsewhere both sides agree. */
  readonly applies?: (r: Rec) => boolean;
  readonly drrFails: (r: Rec) => boolean;
}

export type ConformanceNote = SwaprepOnlyNote | DrrOnlyNote | ReadingNote;

// ------------------------------------------------------------------------------------ record access

function obj(v: unknown): Rec | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : undefined;
}

function at(r: Rec, path: string): unknown {
  let v: unknown = r;
  for (const k of path.split('.')) v = obj(v)?.[k];
  return v;
}

function legs(r: Rec): Rec[] {
  return ['leg1', 'leg2'].map((l) => obj(r[l])).filter((l): l is Rec => l !== undefined);
}

const assetIs = (r: Rec, guidebook: string, upi: string): boolean =>
  at(r, 'cftcGuidebook.assetClass') === guidebook || at(r, 'nonReportable.postUpiData.Header.AssetClass') === upi;
const credit = (r: Rec): boolean => assetIs(r, 'Credit', 'Credit');
const commodity = (r: Rec): boolean => assetIs(r, 'Commodity', 'Commodities');

/** DRR's option test: the guidebook's option style is given. */
const option = (r: Rec): boolean => isPresent(at(r, 'cftcGuidebook.optionStyle'));
const notPostPriced = (r: Rec): boolean => r['postPricedSwapIndicator'] === false;
const otherPaymentTypes = (r: Rec): unknown[] => (Array.isArray(r['otherPayment']) ? (r['otherPayment'] as Rec[]).map((p) => obj(p)?.['paymentType']) : []);
const underlierType = (r: Rec): unknown => at(r, 'nonReportable.postUpiData.Derived.UnderlyingAssetType') ?? at(r, 'nonReportable.underlyingAssetType');

/** Rosetta compares date-times with their offsets; a missing side makes the comparison false. */
function notLater(r: Rec, later: string, earlier: string): boolean {
  const a = Date.parse(String(r[later]));
  const b = Date.parse(String(r[earlier]));
  return !(a >= b);
}

// ------------------------------------------------------------------------------------ the notes

/** A date-time with a UTC offset other than Z: valid for DRR, not UTC as the specification requires. */
const ZONED = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?[+-]\d{2}:\d{2}$/;

const UPI_HEADER_FIELDS = ['AssetClass', 'InstrumentType', 'UseCase', 'Level'] as const;

/** Identifier -> its format helper, as DRR's conditions #1-#8 pair them. */
const FORMAT_HELPERS: readonly (readonly [string, string])[] = [
  ['counterparty1', 'nonReportable.counterparty1Format'],
  ['counterparty2', 'nonReportable.counterparty2Format'],
  ['buyerIdentifier', 'nonReportable.buyerIdentifierFormat'],
  ['sellerIdentifier', 'nonReportable.sellerIdentifierFormat'],
  ['leg1.payerIdentifier', 'leg1.payerIdentifierFormat'],
  ['leg2.payerIdentifier', 'leg2.payerIdentifierFormat'],
  ['leg1.receiverIdentifier', 'leg1.receiverIdentifierFormat'],
  ['leg2.receiverIdentifier', 'leg2.receiverIdentifierFormat'],
];

/** Fields whose DRR type is LEIIdentifier (shape checked); the other party fields are Min20Max72AlphaNumericText. */
const DRR_LEI_TYPED = new Set(['reportSubmittingEntityID', 'centralCounterparty', 'clearingMember']);

export const CONFORMANCE_NOTES: readonly ConformanceNote[] = [
  {
    id: 'UPI-REQUEST-HEADER', kind: 'drr-model-only', drrCheck: 'UPI request Header: AssetClass, InstrumentType, UseCase, Level (1..1)',
    why: 'DRR validates the UPI request it attaches under nonReportable.preUpiData (a helper removed before submission) ' +
      'and counts one failure per missing header attribute. Not a CFTC data element, so swaprep does not check it. ' +
      'Inferred from the counts: every sample whose request header lacks one of these fields has exactly that many more DRR failures.',
    drrFailures: (r) => {
      const header = obj(at(r, 'nonReportable.preUpiData.request.Header'));
      return header === undefined ? 0 : UPI_HEADER_FIELDS.filter((k) => !isPresent(header[k])).length;
    },
  },
  {
    id: 'FORMAT-HELPER-MISSING', kind: 'drr-model-only', drrCheck: 'Counterparty1..ReceiverIdentifierLeg2, OtherPartyPayment{Payer,Receiver}IdentifierFormat (#1-#10)',
    why: 'DRR fails a populated party identifier whose non-reportable format helper is missing; swaprep checks the ' +
      'identifier against the helper only when the helper is given (the helper is removed before submission; P45-C1..C10 note).',
    drrFailures: (r) => {
      let n = 0;
      for (const [id, helper] of FORMAT_HELPERS) if (typeof at(r, id) === 'string' && !isPresent(at(r, helper))) n++;
      const payments = Array.isArray(r['otherPayment']) ? (r['otherPayment'] as Rec[]) : [];
      for (const field of ['payer', 'receiver']) {
        if (payments.some((p) => typeof obj(p)?.[field] === 'string' && !isPresent(obj(p)?.[`${field}Format`]))) n++;
      }
      return n;
    },
  },
  {
    id: 'COMPARE-MISSING', kind: 'drr-model-only', condition: 30, drrCheck: 'EventTimestampCondition (#30)',
    why: 'DRR compares event timestamp >= execution timestamp even when one is missing, and an empty comparison is false; ' +
      'swaprep reports the missing element once (REQ) and compares only what is there. DRR also accepts a timestamp with ' +
      'a UTC offset and compares it, where swaprep first rejects its format (see TIMESTAMP-UTC).',
    drrFails: (r) => notLater(r, 'eventTimestamp', 'executionTimestamp'),
  },
  {
    id: 'COMPARE-MISSING-79', kind: 'drr-model-only', condition: 79, drrCheck: 'ReportingTimestampCondition (#79)',
    why: 'As COMPARE-MISSING, for reporting timestamp >= execution timestamp.',
    drrFails: (r) => notLater(r, 'reportingTimestamp', 'executionTimestamp'),
  },
  {
    id: 'NOTIONAL-SCHEDULE-UNKNOWN', kind: 'drr-departs', condition: 33, applies: (r) => assetIs(r, 'InterestRate', 'Rates'), drrCheck: 'NotionalAmountScheduleCondition (#33)',
    why: 'For rates, DRR requires a notional schedule when "UPI notional schedule <> Constant", and an absent schedule ' +
      'type compares as not Constant: every IR record that does not say its schedule type fails unless it reports a schedule. ' +
      'swaprep imposes nothing when the record does not say (P45-C33 note).',
    drrFails: (r) => {
      const schedule = at(r, 'nonReportable.postUpiData.Attributes.NotionalSchedule') ?? at(r, 'nonReportable.notionalSchedule');
      const reported = legs(r).some((l) => isPresent(l['notionalAmountSchedule']));
      return schedule === 'Constant' ? reported : !reported;
    },
  },
  {
    id: 'QUANTITY-MULTIPLIER-ONDE-ADHO', kind: 'drr-departs', condition: 40, applies: commodity, drrCheck: 'QuantityFrequencyMultiplierCondition (#40)',
    why: 'DRR tests `[ONDE, ADHO] any <> frequency`, true for every value, so it demands a multiplier even for ONDE/ADHO; ' +
      'the specification (and swaprep, P45-C40) does not.',
    drrFails: (r) => legs(r).some((l) => isPresent(l['quantityFrequency']) !== isPresent(l['quantityFrequencyMultiplier'])),
  },
  {
    id: 'CREDIT-OTHER-PAYMENT', kind: 'drr-departs', condition: 52, applies: credit, drrCheck: 'OtherPaymentTypeCondition (#52)',
    why: 'The specification asks for at least one of fixed rate, spread or an upfront payment (UFRO) on a credit swap; ' +
      'DRR fails every credit report without a UFRO payment, even one whose leg carries a fixed rate. Inferred from the ' +
      'counts: each of the 7 credit samples (Part 45 and Part 43 alike) without UFRO but with a fixed rate has one more DRR ' +
      'failure; the credit samples with UFRO have none.',
    drrFails: (r) => !otherPaymentTypes(r).includes('UFRO'),
  },
  {
    id: 'CREDIT-FIXED-RATE', kind: 'drr-departs', condition: 57, applies: credit, drrCheck: 'FixedRateCondition (#57)',
    why: 'DRR writes the credit test `otherPayment -> paymentType any <> UFRO`, false when there are no other payments or ' +
      'only UFRO, so its else-branch forbids the fixed rate of every plain CDS; swaprep reads the specification\'s ' +
      '"[Other payment type] <> UFRO" as "no upfront payment" (P45-C57 note).',
    drrFails: (r) => {
      const anyNotUfro = otherPaymentTypes(r).some((t) => t !== 'UFRO');
      return legs(r).some((l) => {
        const required = !isPresent(l['spread']) && anyNotUfro && notPostPriced(r) && !option(r);
        return required ? !isPresent(l['fixedRate']) : isPresent(l['fixedRate']);
      });
    },
  },
  {
    id: 'CREDIT-UNDERLIER-UNKNOWN', kind: 'drr-departs', condition: 72, applies: credit, drrCheck: 'CDSIndexAttachmentPointCondition (#72)',
    why: 'DRR takes the else-branch ("{blank}") when the record does not give the UPI underlier type and so forbids an ' +
      'attachment point the record does report; swaprep imposes nothing on data it cannot classify (P45-C72 note).',
    drrFails: (r) => trancheFails(r, 'cdSIndexAttachmentPoint'),
  },
  {
    id: 'CREDIT-UNDERLIER-UNKNOWN-73', kind: 'drr-departs', condition: 73, applies: credit, drrCheck: 'CDSIndexDetachmentPointCondition (#73)',
    why: 'As CREDIT-UNDERLIER-UNKNOWN, for the detachment point.',
    drrFails: (r) => trancheFails(r, 'cdSIndexDetachmentPoint'),
  },
  {
    id: 'CREDIT-UNDERLIER-UNKNOWN-74', kind: 'drr-departs', condition: 74, applies: credit, drrCheck: 'IndexFactorCondition (#74)',
    why: 'As CREDIT-UNDERLIER-UNKNOWN, for the index factor: without an underlier type DRR forbids it (P45-C74 note).',
    drrFails: (r) => {
      const t = underlierType(r);
      return t === 'Index' || t === 'Index_Tranche' ? !isPresent(r['indexFactor']) : isPresent(r['indexFactor']);
    },
  },
  {
    id: 'LEI-SHAPE', kind: 'cftc-only', swaprepRule: 'FMT-LEI', drrCheck: 'Min20Max72AlphaNumericText (party identifiers)',
    why: 'The specification makes counterparty, buyer/seller and payer/receiver identifiers ISO 17442 LEIs (18 characters + 2 check digits); ' +
      'DRR types them as 20..72 alphanumerics and checks only the length against the format helper, so an identifier ending in letters passes. ' +
      'DRR checks the LEI shape only where the type is LEIIdentifier (report submitting entity, central counterparty, clearing member).',
    swaprepUnit: (u) => u.startsWith('FMT-LEI:') && !DRR_LEI_TYPED.has(u.slice('FMT-LEI:'.length)),
  },
  {
    id: 'LEI-CHECK-DIGITS', kind: 'cftc-only', swaprepRule: 'FMT-LEI-CHECKSUM', drrCheck: '(none: LEIIdentifier is a regex, no MOD 97-10)',
    why: 'ISO 17442 check digits (ISO 7064 MOD 97-10); DRR\'s model does not check them. The table is generated with --lei-check off, so this note only applies to other settings.',
    swaprepUnit: (u) => u.startsWith('FMT-LEI-CHECKSUM'),
  },
  {
    id: 'UTI-LEI-PREFIX', kind: 'cftc-only', swaprepRule: 'FMT-UTI', drrCheck: 'Max52AlphaNumericText (UTI)',
    why: 'The specification (and CPMI-IOSCO UTI guidance) builds a UTI from the generating entity\'s LEI followed by up to 32 characters; ' +
      'DRR checks only 1..52 alphanumerics. The corpus UTIs are placeholders (e.g. EXAMPLESUBMISSIONX01).',
    swaprepUnit: (u) => u.startsWith('FMT-UTI'),
  },
  {
    id: 'TIMESTAMP-UTC', kind: 'cftc-only', swaprepRule: 'FMT-TIMESTAMP', drrCheck: 'zonedDateTime (any offset)',
    why: 'The specification requires UTC timestamps (YYYY-MM-DDThh:mm:ssZ); DRR\'s zonedDateTime accepts an offset such as -08:00.',
    swaprepUnit: (u, r) => u.startsWith('FMT-TIMESTAMP:') && ZONED.test(String(at(r, u.slice('FMT-TIMESTAMP:'.length)))),
  },
];

function trancheFails(r: Rec, field: 'cdSIndexAttachmentPoint' | 'cdSIndexDetachmentPoint'): boolean {
  if (underlierType(r) !== 'Index_Tranche') return isPresent(r[field]);
  return !(compareDecimal(r['cdSIndexAttachmentPoint'], r['cdSIndexDetachmentPoint']) < 0);
}
