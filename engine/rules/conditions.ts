/**
 * The conditional rules of the CFTC Part 45 / Part 43 reports: every condition of
 * `cftc-conditions.md` (#1-#86 Part 45, #87-#140 Part 43, #141-#143 guidebook, #144-#148 nested types),
 * one row each, written with the builders of dsl.ts so a row reads like its Technical Specification text.
 *
 * `spec` quotes the Technical Specification validation rule that DRR cites for the condition (or says
 * that the check is DRR's own). Where the conditions file notes a quirk of DRR's model, the row follows
 * the Technical Specification's intent and its `note` says what differs and why.
 *
 * Conventions, as in the specification: "C if X, else {blank}" = required when X holds, must be absent
 * otherwise (`requiredElseBlank`); a rule with no else imposes nothing when X is false.
 *
 * These are the specification's "Transaction" rules: they judge transaction messages, not valuation (VALU)
 * or collateral (MARU) messages (messages.ts). The action/event pairs and the structural rules judge every
 * message, and the UTI/USI rules transaction and valuation messages alike (`messages` on the row).
 */
import {
  all,
  allBlankWhen,
  always,
  and,
  anyRequiredElseAllBlank,
  anyRequiredWhen,
  asset,
  blankWhen,
  cashDelivery,
  compare,
  eq,
  equalsOneOf,
  greaterThan,
  has,
  lacks,
  LEGS,
  mustEqualWhen,
  not,
  notOption,
  notPostPriced,
  oneOf,
  option,
  or,
  perLeg,
  required,
  requiredElseBlank,
  requiredWhen,
  underlierIs,
  use,
  when,
  type Check,
  type Cond,
  type Leg,
} from './dsl.js';
import { compareDecimal } from './decimal.js';
import { ASSET_BIT } from './facts.js';
import type { MessageKind } from './messages.js';
import { isPresent, show, type Fail, type Rec, type Regime, type Severity } from './types.js';

export interface ConditionRule {
  /** Stable id: P45-C<n>, P43-C<n>, GB-C<n> (guidebook), NEST-C<n> (nested structural types). */
  readonly id: string;
  /** Number in cftc-conditions.md. */
  readonly n: number;
  /** DRR condition name. */
  readonly name: string;
  /** CFTC data element numbers concerned; the first is the one a finding names. TR = guidebook field. */
  readonly de: readonly (number | 'TR' | 'X')[];
  /** Finding `element` when the first `de` is not a number (guidebook / DRR fields): the element table's label. */
  readonly element?: string;
  readonly regimes: readonly Regime[];
  readonly severity: Severity;
  /** Technical Specification validation rule (as DRR quotes it), or the source of a non-spec check. */
  readonly spec: string;
  /** Where this row departs from DRR's model, and why. */
  readonly note?: string;
  /** Part 43 rows: the Part 45 condition whose logic they share. */
  readonly sameAs?: number;
  /** Message kinds the rule applies to (messages.ts); the spec's "Transaction" rules by default. */
  readonly messages?: readonly MessageKind[];
  readonly check: Check;
}

/** Rules of every message (structural, action/event pairs) and of the per-trade ones (UTI/USI). */
const ALL_MESSAGES: readonly MessageKind[] = ['transaction', 'valuation', 'collateral'];
const TRADE_MESSAGES: readonly MessageKind[] = ['transaction', 'valuation'];

const P45: readonly Regime[] = ['cftc-part45'];
const P43: readonly Regime[] = ['cftc-part43'];
const CFTC: readonly Regime[] = ['cftc-part45', 'cftc-part43'];
const ALL: readonly Regime[] = ['cftc-part45', 'cftc-part43', 'ktfc'];

// ------------------------------------------------------------------------------------ shared predicates

const clearedY = eq('cleared', 'Y');
const clearedN = eq('cleared', 'N');
const clearedNorI = oneOf('cleared', ['N', 'I']);
const clearedYorI = oneOf('cleared', ['Y', 'I']);
/** "([Cleared] = Y or ([Cleared] = I and [Action type] = TERM)) and [Event type] = CLRG" */
const clearingCase = and(or(clearedY, and(eq('cleared', 'I'), eq('actionType', 'TERM'))), eq('eventType', 'CLRG'));
const newtClrgY = and(clearedY, eq('actionType', 'NEWT'), eq('eventType', 'CLRG'));
const fxOption = and(asset('ForeignExchange'), option);

function anyOtherPaymentIs(list: unknown, type: string): boolean {
  if (!Array.isArray(list)) return false;
  for (let i = 0; i < list.length; i++) if ((list[i] as Rec | undefined)?.['paymentType'] === type) return true;
  return false;
}
const hasUpfront = (list: unknown): boolean => anyOtherPaymentIs(list, 'UFRO');
const noUpfront: Cond = { js: (g) => `!${g.k(hasUpfront)}(${g.read('otherPayment')})`, text: 'no otherPayment has paymentType UFRO' };

/** Fields that make a leg a reported leg; a leg with none of them (a CDS protection leg arrives as `{}`) is not. */
const LEG_DATA = ['notionalAmount', 'notionalCurrency', 'notionalQuantity', 'totalNotionalQuantity', 'fixedRate', 'spread', 'periodicPayment', 'payerIdentifier', 'receiverIdentifier', 'settlementCurrency'];
function legReported(leg: Leg): Cond {
  const c = or(...LEG_DATA.map((k) => has(`${leg}.${k}`)));
  return { js: c.js, text: `${leg} is reported` };
}

const noPayerOrReceiver = and(
  lacks('leg1.payerIdentifier'),
  lacks('leg2.payerIdentifier'),
  lacks('leg1.receiverIdentifier'),
  lacks('leg2.receiverIdentifier'),
);
const noBuyerOrSeller = and(lacks('buyerIdentifier'), lacks('sellerIdentifier'));

// ------------------------------------------------------------------------------------ row builders

/** Lei = 20 characters, LeiAndPerson = 21..72; null when the identifier fits its format. */
function formatMismatch(v: string, format: unknown, extra: readonly string[]): string | null {
  // The helper is DRR's, "non-reportable, remove before submission": a record without it has nothing to
  // contradict (DRR fails a missing helper; the Technical Specification knows no such field).
  if (format === undefined || format === null) return null;
  if (format === 'Lei') return v.length === 20 ? null : `has ${v.length} characters, but its format is Lei (20)`;
  if (format === 'LeiAndPerson') return v.length >= 21 && v.length <= 72 ? null : `has ${v.length} characters, but its format is LeiAndPerson (21..72)`;
  if (typeof format === 'string' && extra.includes(format)) return null;
  return `has identifier format ${show(format)}; only Lei or LeiAndPerson is accepted`;
}

/**
 * DRR's ValidatePartyIdentifierFormat: a populated identifier must fit the format named by its helper
 * field (Lei = 20 characters, LeiAndPerson = 21..72); any other format fails. `naturalPersonOk` lets
 * counterparty 2 be a natural person / privacy-law identifier when its identifier source says so.
 */
function partyIdFormat(idPath: string, formatPath: string, naturalPersonOk = false): Check {
  const fn = (fail: Fail, v: unknown, format: unknown, source: unknown): void => {
    if (typeof v !== 'string') return;
    const extra = naturalPersonOk && (source === 'NPID' || source === 'PLID') ? ['NaturalPerson', 'Other'] : [];
    const why = formatMismatch(v, format, extra);
    if (why !== null) fail(idPath, `${idPath} ${show(v)} ${why} (${formatPath})`);
  };
  return use([idPath, formatPath, 'counterparty2IdentifierSource'], fn);
}

/** The same format check on every otherPayment entry (paths carry the entry index). */
function eachOtherPayment(field: 'payer' | 'receiver'): Check {
  return use(['otherPayment'], (fail, items) => {
    if (!Array.isArray(items)) return;
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as Rec | undefined;
      const v = item?.[field];
      if (typeof v !== 'string') continue;
      const why = formatMismatch(v, item?.[`${field}Format`], []);
      if (why !== null) fail(`otherPayment[${i}].${field}`, `otherPayment[${i}].${field} ${show(v)} ${why} (otherPayment[${i}].${field}Format)`);
    }
  });
}

/** Appendix F: allowed event types per action type. `none` lists the actions that take no event type. */
export function actionEventPairs(pairs: Readonly<Record<string, readonly string[]>>, none: readonly string[], regime: string): Check {
  const allowed = new Map(Object.entries(pairs).map(([a, es]) => [a, new Set(es)]));
  const noEvent = new Set(none);
  return use(['actionType', 'eventType'], (fail, a, e) => {
    const set = typeof a === 'string' ? allowed.get(a) : undefined;
    if (set !== undefined) {
      if (!set.has(e as string)) {
        fail('eventType', `eventType ${show(e)} is not allowed with actionType ${show(a)} for ${regime} (allowed: ${[...set].join(', ')})`);
      }
    } else if (typeof a === 'string' && noEvent.has(a)) {
      if (isPresent(e)) fail('eventType', `eventType must be blank with actionType ${show(a)}, but holds ${show(e)}`);
    } else {
      fail('eventType', `actionType ${show(a)} is not a valid ${regime} action type, so no event type can pair with it`);
    }
  });
}

/** FX option: a leg's value must match the call or put value when all three are populated. */
function matchesCallOrPut(field: 'notionalAmount' | 'notionalCurrency', call: string, put: string, decimal: boolean): Check {
  const same = decimal ? (x: unknown, y: unknown) => compareDecimal(x, y) === 0 : (x: unknown, y: unknown) => x === y;
  return when(
    fxOption,
    perLeg((leg) => {
      const path = `${leg}.${field}`;
      return use([path, call, put], (fail, v, cv, pv) => {
        if (!isPresent(v) || !isPresent(cv) || !isPresent(pv)) return;
        if (!same(v, cv) && !same(v, pv)) fail(path, `${path} ${show(v)} must match ${call} ${show(cv)} or ${put} ${show(pv)} for an FX option`);
      });
    }),
  );
}

/** "per leg: if <fixed period> ... else if <floating period> ... else both blank" (DE 53 / DE 64 shape). */
function fixedElseFloating(leg: Leg, target: (v: 'fixedRate' | 'floatingRate') => string, skipAdho: boolean): Check {
  const pp = `${leg}.periodicPayment`;
  const live = (p: string): Cond => (skipAdho ? and(has(p), not(eq(p, 'ADHO'))) : has(p));
  const fixedLive = live(`${pp}.fixedRatePaymentFrequencyPeriod`);
  const floatLive = live(`${pp}.floatingRatePaymentFrequencyPeriod`);
  const fixedT = `${pp}.${target('fixedRate')}`;
  const floatT = `${pp}.${target('floatingRate')}`;
  return when(fixedLive, requiredWhen(fixedT, fixedLive),
    when(floatLive, requiredWhen(floatT, floatLive),
      allBlankWhen([fixedT, floatT], always, `when neither ${fixedLive.text} nor ${floatLive.text}`)));
}

// ------------------------------------------------------------------------------------ Part 45

const HELPER_NOTE =
  'Checked only when the format helper is given: DRR also fails a missing helper, but the helper is non-reportable ' +
  '(removed before submission), so a submitted record without it is not at fault.';

const partyRows: readonly ConditionRule[] = [
  pf(1, 'Counterparty1', 13, 'counterparty1', 'nonReportable.counterparty1Format'),
  {
    ...pf(2, 'Counterparty2', 14, 'counterparty2', 'nonReportable.counterparty2Format'),
    check: partyIdFormat('counterparty2', 'nonReportable.counterparty2Format', true),
    note:
      'DRR accepts only Lei/LeiAndPerson. The Technical Specification lets counterparty 2 be a natural person ' +
      '(identifier source NPID) or carry a privacy-law identifier (PLID), so those sources also accept the ' +
      `NaturalPerson / Other formats. ${HELPER_NOTE}`,
  },
  pf(3, 'BuyerIdentifier', 18, 'buyerIdentifier', 'nonReportable.buyerIdentifierFormat'),
  pf(4, 'SellerIdentifier', 19, 'sellerIdentifier', 'nonReportable.sellerIdentifierFormat'),
  pf(5, 'PayerIdentifierLeg1', 20, 'leg1.payerIdentifier', 'leg1.payerIdentifierFormat'),
  pf(6, 'PayerIdentifierLeg2', 20, 'leg2.payerIdentifier', 'leg2.payerIdentifierFormat'),
  pf(7, 'ReceiverIdentifierLeg1', 21, 'leg1.receiverIdentifier', 'leg1.receiverIdentifierFormat'),
  pf(8, 'ReceiverIdentifierLeg2', 21, 'leg2.receiverIdentifier', 'leg2.receiverIdentifierFormat'),
  p45(9, 'OtherPartyPaymentPayerIdentifierFormat', [61], 'DRR format check (no Technical Specification reference)', eachOtherPayment('payer'), HELPER_NOTE),
  p45(10, 'OtherPartyPaymentReceiverIdentifierFormat', [62], 'DRR format check (no Technical Specification reference)', eachOtherPayment('receiver'), HELPER_NOTE),
];

function pf(n: number, name: string, de: number, idPath: string, formatPath: string): ConditionRule {
  return p45(n, name, [de], 'DRR format check (no Technical Specification reference): identifier length must fit its format helper', partyIdFormat(idPath, formatPath), HELPER_NOTE);
}

function p45(n: number, name: string, de: ConditionRule['de'], spec: string, check: Check, note?: string): ConditionRule {
  return { id: `P45-C${n}`, n, name, de, regimes: P45, severity: 'error', spec, check, ...(note !== undefined ? { note } : {}) };
}

export const EVENTS_P45 = {
  NEWT: ['TRAD', 'NOVA', 'COMP', 'CLRG', 'EXER', 'ALOC', 'CLAL', 'PTNG', 'CORP'],
  MODI: ['TRAD', 'NOVA', 'COMP', 'EXER', 'ALOC', 'CREV', 'CORP', 'UPDT'],
  TERM: ['NOVA', 'COMP', 'ETRM', 'CLRG', 'EXER', 'ALOC', 'CLAL', 'CREV', 'CORP'],
  PRTO: ['PTNG'],
} as const;
/** Part 45 actions that carry no event type (Appendix F). */
export const ACTIONS_WITHOUT_EVENT: readonly string[] = ['CORR', 'EROR', 'REVI', 'VALU', 'MARU'];

export const EVENTS_P43 = {
  NEWT: ['TRAD', 'NOVA', 'COMP', 'EXER', 'CORP'],
  MODI: ['TRAD', 'NOVA', 'COMP', 'CREV', 'CORP', 'UPDT'],
  TERM: ['NOVA', 'COMP', 'ETRM', 'CLRG', 'EXER', 'CLAL', 'CREV', 'CORP'],
} as const;

const notConstantSchedule: Cond = {
  js: () => '(f.notionalSchedule !== undefined && f.notionalSchedule !== "Constant")',
  text: 'UPI notional schedule is not Constant',
};
const scheduleKnown: Cond = { js: () => '(f.notionalSchedule !== undefined)', text: 'the UPI notional schedule is known' };

const CO = asset('Commodity');
const COorEQ = asset('Commodity', 'Equity');
const CRorIRorEQorCO = asset('Credit', 'InterestRate', 'Equity', 'Commodity');
const FX = asset('ForeignExchange');
const instrumentSwap: Cond = { js: () => '(f.instrumentType === "Swap")', text: 'UPI instrument type is Swap' };
const instrumentFwdOrOption: Cond = { js: () => '(f.instrumentType === "Forward" || f.option)', text: 'UPI instrument type is Forward or Option' };
const notFixedFixed: Cond = { js: () => '(f.underlyingAssetType !== "Fixed_Fixed")', text: 'UPI underlier type is not Fixed_Fixed' };
const creditIndexTranche = and(asset('Credit'), underlierIs('Index_Tranche'));
const instrumentKnown: Cond = { js: () => 'f.instrumentKnown', text: 'the UPI instrument type is known' };
const deliveryKnown: Cond = { js: () => 'f.deliveryKnown', text: 'the UPI delivery type is known' };
/** The underlier matters only for credit: other asset classes must leave the CDS fields blank. */
const underlierKnownOrNotCredit: Cond = { js: () => `(f.underlierKnown || (f.assets & ${ASSET_BIT.Credit}) === 0)`, text: 'the UPI underlier type is known' };
const UNKNOWN_NOTE = (what: string) =>
  `When the record does not give the UPI ${what} at all (UPI record, non-reportable helper or guidebook field), nothing is ` +
  'required or forbidden: DRR then takes the else branch and forbids the field, blaming the record for data it was not asked for.';
const priorEvents = and(eq('actionType', 'NEWT'), oneOf('eventType', ['NOVA', 'CLRG', 'EXER', 'ALOC', 'CLAL']));

const p45Rows: readonly ConditionRule[] = [
  ...partyRows,
  p45(11, 'CentralCounterpartyCondition', [2, 1, 13],
    'C if [Cleared] = Y, When populated, the value shall match the value in [Counterparty 1 (reporting counterparty)]; NR if [Cleared] = N; O if [Cleared] = I',
    all(requiredWhen('centralCounterparty', clearedY), when(clearedY, equalsOneOf('centralCounterparty', ['counterparty1'])), blankWhen('centralCounterparty', clearedN))),
  p45(12, 'ClearingAcountOriginCondition', [3, 1], 'C if [Cleared] = Y; NR if [Cleared] = N or I',
    all(requiredWhen('clearingAccountOrigin', clearedY), blankWhen('clearingAccountOrigin', clearedNorI))),
  p45(13, 'ClearerMemberCondition', [4, 1], 'C if [Cleared] = Y; NR if [Cleared] = N or I',
    all(requiredWhen('clearingMember', clearedY), blankWhen('clearingMember', clearedNorI))),
  p45(14, 'ClearingSwapUSICondition', [5, 6, 1, 26, 27],
    'C if ([Cleared] = Y or ([Cleared] = I and [Action type] = TERM)) and [Event type] = CLRG and [Clearing swap UTIs] is not populated, else {blank}',
    requiredElseBlank('clearingSwapUSIs', and(clearingCase, lacks('clearingSwapUTIs')))),
  p45(15, 'ClearingSwapUTICondition', [6, 5, 1, 26, 27],
    'C if ([Cleared] = Y or ([Cleared] = I and [Action type] = TERM)) and [Event type] = CLRG and [Clearing swap USIs] is not populated, else {blank}',
    requiredElseBlank('clearingSwapUTIs', and(clearingCase, lacks('clearingSwapUSIs')))),
  p45(16, 'OriginalSwapUSICondition', [7, 8, 1, 26, 27],
    'C if ([Cleared] = Y and [Action type] = NEWT and [Event type] = CLRG) and [Original Swap UTI] is not populated, else {blank}',
    requiredElseBlank('originalSwapUSI', and(newtClrgY, lacks('originalSwapUTI')))),
  p45(17, 'OriginalSwapUTICondition', [8, 7, 1, 26, 27],
    'C if ([Cleared] = Y and [Action type] = NEWT and [Event type] = CLRG) and [Original Swap USI] is not populated, else {blank}',
    requiredElseBlank('originalSwapUTI', and(newtClrgY, lacks('originalSwapUSI')))),
  p45(18, 'OriginalSwapSDRidentifierCondition', [9, 1, 26, 27],
    'C if ([Cleared] = Y or ([Cleared] = I and [Action type] = TERM)) and [Event type] = CLRG, else {blank}',
    requiredElseBlank('originalSwapSDRIdentifier', clearingCase),
    'DRR 6.10 never populates DE 9, so its own outputs fail this in every clearing case; the rule itself is the spec.'),
  p45(19, 'ClearingReceiptTimestampCondition', [10, 1, 26, 27],
    "C if ([Cleared] = Y or ([Cleared] = I and [Action type] = TERM)) and [Event type] = 'CLRG', else {blank}",
    requiredElseBlank('clearingReceiptTimestamp', clearingCase),
    'Follows the spec: required only in the clearing case. DRR writes `cleared = Y or (cleared = I and TERM) and CLRG`, ' +
      'where `and` binds tighter, so the model requires the timestamp on every cleared=Y report whatever the event type.'),
  p45(20, 'ClearingExceptionsAndExemptions1Condition', [11, 1], 'O if [Cleared] = N; NR if [Cleared] = Y or I',
    blankWhen('clearingExceptionsAndExemptionsCounterparty1', clearedYorI)),
  p45(21, 'ClearingExceptionsAndExemptions2Condition', [12, 1], 'O if [Cleared] = N; NR if [Cleared] = Y or I',
    blankWhen('clearingExceptionsAndExemptionsCounterparty2', clearedYorI)),
  p45(22, 'Counterparty1FinancialEntityIndicatorCondition', [16, 1], 'C if [Cleared] = N or I; NR if [Cleared] = Y',
    all(requiredWhen('counterparty1FinancialEntityIndicator', clearedNorI), blankWhen('counterparty1FinancialEntityIndicator', clearedY))),
  p45(23, 'BuyerIdentifierCondition', [18, 20, 21, 13, 14],
    'C if [Payer identifier] and [Receiver identifier] are not populated, else {blank}; When populated, the value shall match the value in [Counterparty 1 (reporting counterparty)] or [Counterparty 2]',
    all(requiredElseBlank('buyerIdentifier', noPayerOrReceiver), when(noPayerOrReceiver, equalsOneOf('buyerIdentifier', ['counterparty1', 'counterparty2'])))),
  p45(24, 'SellerIdentifierCondition', [19, 20, 21, 13, 14],
    'C if [Payer identifier] and [Receiver identifier] are not populated, else {blank}; When populated, the value shall match the value in [Counterparty 1 (reporting counterparty)] or [Counterparty 2]',
    all(requiredElseBlank('sellerIdentifier', noPayerOrReceiver), when(noPayerOrReceiver, equalsOneOf('sellerIdentifier', ['counterparty1', 'counterparty2'])))),
  p45(25, 'PayerIdentifierCondition', [20, 18, 19, 13, 14],
    'C if [Buyer identifier] and [Seller identifier] are not populated, else {blank}; When populated, the value shall match the value in [Counterparty 1 (reporting counterparty)] or [Counterparty 2]',
    when(noBuyerOrSeller, perLeg((leg) => equalsOneOf(`${leg}.payerIdentifier`, ['counterparty1', 'counterparty2'])),
      allBlankWhen(['leg1.payerIdentifier', 'leg2.payerIdentifier'], or(has('buyerIdentifier'), has('sellerIdentifier'))))),
  p45(26, 'ReceiverIdentifierCondition', [21, 18, 19, 13, 14],
    'C if [Buyer identifier] and [Seller identifier] are not populated, else {blank}; When populated, the value shall match the value in [Counterparty 1 (reporting counterparty)] or [Counterparty 2]',
    when(noBuyerOrSeller, perLeg((leg) => equalsOneOf(`${leg}.receiverIdentifier`, ['counterparty1', 'counterparty2'])),
      allBlankWhen(['leg1.receiverIdentifier', 'leg2.receiverIdentifier'], or(has('buyerIdentifier'), has('sellerIdentifier'))))),
  { ...p45(27, 'EventTypeCondition', [27, 26], 'C, for valid Action type and Event type Combination, see table in Appendix F.',
    actionEventPairs(EVENTS_P45, ACTIONS_WITHOUT_EVENT, 'Part 45')), messages: ALL_MESSAGES },
  p45(28, 'AmendmentIndicatorCondition', [28, 26], 'C if [Action type] = MODI, else {blank}',
    requiredElseBlank('amendmentIndicator', eq('actionType', 'MODI'))),
  p45(29, 'EventIdentifierCondition', [29, 27], 'C if [Event type] = COMP or CREV, else {blank}',
    requiredElseBlank('eventIdentifier', oneOf('eventType', ['COMP', 'CREV']))),
  p45(30, 'EventTimestampCondition', [30, 96], 'M, the value shall be equal to or later than the value in [Execution timestamp]',
    compare('eventTimestamp', '>=', 'executionTimestamp', 'timestamp')),
  p45(31, 'NotionalAmountCondition', [31, 36, 38], 'M, for FX, if UPI.[Instrument type] = Option, the value shall match the value in Call amount or Put amount',
    matchesCallOrPut('notionalAmount', 'callAmount', 'putAmount', true)),
  p45(32, 'NotionalCurrencyCondition', [32, 37, 39], 'M, for FX, if UPI.[Instrument type] = Option, the value shall match the value in Call Currency or Put Currency',
    matchesCallOrPut('notionalCurrency', 'callCurrency', 'putCurrency', false)),
  p45(33, 'NotionalAmountScheduleCondition', [33, 34, 35], 'Transaction-IR: C if UPI.[Notional schedule] <> Constant, else {blank}',
    when(and(asset('InterestRate'), scheduleKnown),
      anyRequiredElseAllBlank(['leg1.notionalAmountSchedule[].value', 'leg2.notionalAmountSchedule[].value'], notConstantSchedule)),
    'When neither the UPI record nor nonReportable.notionalSchedule tells the schedule, nothing is required or forbidden ' +
      '(DRR compares an absent value with `<>` as "not Constant" and so requires a schedule the record cannot be checked ' +
      'against: docs/conformance.md, NOTIONAL-SCHEDULE-UNKNOWN).'),
  p45(34, 'CallAmountCondition', [36, 38], 'Transaction-FX: C if UPI.[Instrument type] = Option, at least one is required: ([Call amount] or [Put amount])',
    anyRequiredWhen(['callAmount', 'putAmount'], fxOption)),
  p45(35, 'CallCurrencyCondition', [37, 36], 'Transaction-FX: C if [Call amount] is populated, else {blank}',
    requiredElseBlank('callCurrency', and(FX, has('callAmount')))),
  p45(36, 'PutAmountCondition', [38, 36], 'Transaction-FX: C if UPI.[Instrument type] = Option, at least one is required: ([Call amount] or [Put amount])',
    anyRequiredWhen(['putAmount', 'callAmount'], fxOption)),
  p45(37, 'PutCurrencyCondition', [39, 38], 'Transaction-FX: C if [Put amount] is populated, else {blank}',
    requiredElseBlank('putCurrency', and(FX, has('putAmount')))),
  p45(38, 'NotionalQuantityCondition', [40], 'Transaction-CO: Optional',
    allBlankWhen(['leg1.notionalQuantity', 'leg2.notionalQuantity'], not(CO))),
  p45(39, 'QuantityFrequencyCondition', [41, 40], 'Transaction-CO: C if [Notional quantity] is populated, else {blank}',
    perLeg((leg) => requiredElseBlank(`${leg}.quantityFrequency`, and(CO, has(`${leg}.notionalQuantity`))))),
  p45(40, 'QuantityFrequencyMultiplierCondition', [42, 41], 'Transaction-CO: C if [Quantity frequency] <> ONDE or ADHO, else {blank}',
    perLeg((leg) => requiredElseBlank(`${leg}.quantityFrequencyMultiplier`,
      and(CO, has(`${leg}.quantityFrequency`), not(oneOf(`${leg}.quantityFrequency`, ['ONDE', 'ADHO'])))),
    ),
    'Follows the spec: no multiplier for ONDE/ADHO. DRR tests `[ONDE, ADHO] any <> frequency`, true for every value, ' +
      'so the model demands a multiplier even for ONDE/ADHO.'),
  p45(41, 'QuantityUnitOfMeasureCondition', [43], 'Transaction-EQ/CO: Mandatory',
    anyRequiredElseAllBlank(['leg1.quantityUnitOfMeasure', 'leg2.quantityUnitOfMeasure'], COorEQ)),
  p45(42, 'TotalNotionalQuantityCondition', [44], 'Transaction-EQ/CO: Mandatory',
    anyRequiredElseAllBlank(['leg1.totalNotionalQuantity', 'leg2.totalNotionalQuantity'], COorEQ)),
  p45(43, 'PackageIdentifierCondition', [46, 45], 'C if [Package indicator] = True, else {blank}',
    requiredElseBlank('packageIdentifier', eq('packageIndicator', true))),
  p45(44, 'PackageTransactionPriceCurrencyCondition', [48, 49], 'C if [Package transaction price notation] = 1, else {blank}',
    requiredElseBlank('packageTransactionPriceCurrency', eq('packageTransactionPriceNotation', 'Monetary'))),
  p45(45, 'PackageTransactionPriceCondition', [47, 45, 50], 'C if [Package indicator] = True and [Package transaction spread] is not populated, else {blank}',
    requiredElseBlank('packageTransactionPrice', and(eq('packageIndicator', true), lacks('packageTransactionSpread')))),
  p45(46, 'PackageTransactionSpreadCurrencyCondition', [51, 52], "C if [Package transaction spread notation] = '1', else {blank}",
    requiredElseBlank('packageTransactionSpreadCurrency', eq('packageTransactionSpreadNotation', 'Monetary'))),
  p45(47, 'PackageTransactionSpreadCondition', [50, 45, 47], 'C if [Package indicator] = True and [Package transaction price] is not populated, else {blank}',
    requiredElseBlank('packageTransactionSpread', and(eq('packageIndicator', true), lacks('packageTransactionPrice')))),
  p45(48, 'DayCountConventionCondition', [53, 63], 'Transaction-CR/IR/FX: O; Transaction-CO/EQ: C if [Payment frequency period] is populated, else {blank}',
    when(COorEQ, perLeg((leg) => fixedElseFloating(leg, (v) => `${v}DayCountConvention`, false)))),
  p45(49, 'FixingDateCondition', [54], 'Transaction - FX: C if (UPI.[Instrument type] = Forward or Option) and UPI.[Delivery type] = Cash, else {blank}',
    when(and(FX, instrumentKnown, deliveryKnown), anyRequiredElseAllBlank(['leg1.fixingDate', 'leg2.fixingDate'], and(instrumentFwdOrOption, cashDelivery))),
    UNKNOWN_NOTE('instrument or delivery type')),
  p45(50, 'FloatingRateResetFrequencyPeriodCond', [55, 56],
    'Transaction - IR: C if UPI.[Instrument type] = Swap and UPI.[Underlier type] <> Fixed - Fixed, else {blank}. When populated with EXPI, [Floating rate reset frequency period multiplier] must be 1.',
    all(
      when(and(asset('InterestRate'), instrumentKnown), anyRequiredElseAllBlank(
        ['leg1.periodicPayment.floatingRateResetFrequencyPeriod', 'leg2.periodicPayment.floatingRateResetFrequencyPeriod'],
        and(instrumentSwap, notFixedFixed))),
      perLeg((leg) => mustEqualWhen(`${leg}.periodicPayment.floatingRateResetFrequencyMultiplier`, '1',
        eq(`${leg}.periodicPayment.floatingRateResetFrequencyPeriod`, 'EXPI'))),
    ),
    'An unknown underlier type counts as not Fixed_Fixed (a swap with no UPI data is treated as having a floating leg). ' +
      UNKNOWN_NOTE('instrument type')),
  p45(51, 'FloatingRateResetFrequencyPeriodMultiplierCondition', [56, 55], 'C if [Floating rate reset frequency period] <> ADHO, else {blank}',
    perLeg((leg) => {
      const period = `${leg}.periodicPayment.floatingRateResetFrequencyPeriod`;
      return requiredElseBlank(`${leg}.periodicPayment.floatingRateResetFrequencyMultiplier`, and(has(period), not(eq(period, 'ADHO'))));
    })),
  p45(52, 'OtherPaymentTypeCondition', [57, 67, 73],
    'Transaction - CR: C, at least one is required: ([Fixed rate] or [Spread] or [Other payment type] = UFRO. Allowable values UWIN and PEXH are optional and independent of the above condition.',
    when(and(asset('Credit'), lacks('leg1.fixedRate'), lacks('leg2.fixedRate'), lacks('leg1.spread'), lacks('leg2.spread'), noUpfront),
      use([], (fail) => fail('otherPayment[].paymentType', 'otherPayment[].paymentType UFRO (an upfront payment) is required for a credit swap with no leg fixedRate or spread, but none is reported')))),
  p45(53, 'PaymentFrequencyPeriodCondition', [63, 64], 'Transaction CR/IR/EQ/CO - O when populated with EXPI, [Payment frequency period multiplier] must be 1.',
    when(CRorIRorEQorCO, perLeg((leg) => {
      const pp = `${leg}.periodicPayment`;
      const fixedExpi = eq(`${pp}.fixedRatePaymentFrequencyPeriod`, 'EXPI');
      return when(fixedExpi, mustEqualWhen(`${pp}.fixedRatePaymentFrequencyPeriodMultiplier`, '1', fixedExpi),
        mustEqualWhen(`${pp}.floatingRatePaymentFrequencyPeriodMultiplier`, '1', eq(`${pp}.floatingRatePaymentFrequencyPeriod`, 'EXPI')));
    }))),
  p45(54, 'PaymentFrequencyPeriodMultiplierCondition', [64, 63], 'Transaction - CR/IR/EQ/CO: C if [Payment frequency period] <> ADHO, else {blank}',
    when(CRorIRorEQorCO,
      perLeg((leg) => fixedElseFloating(leg, (v) => `${v}PaymentFrequencyPeriodMultiplier`, true)),
      allBlankWhen(LEGS.flatMap((l) => [`${l}.periodicPayment.fixedRatePaymentFrequencyPeriodMultiplier`, `${l}.periodicPayment.floatingRatePaymentFrequencyPeriodMultiplier`]),
        not(CRorIRorEQorCO)))),
  p45(55, 'ExchangeRateCondition', [65], 'Transaction - FX: Mandatory', requiredElseBlank('exchangeRate', FX)),
  p45(56, 'ExchangeRateBasisCondition', [66], 'Transaction - FX: Mandatory', requiredElseBlank('exchangeRateBasis', FX)),
  p45(57, 'FixedRateCondition', [67, 73, 57, 68, 69],
    'Transaction - CR: C if [Spread] is not populated and [Other payment type] <> UFRO, and [Post-priced swap indicator] = False, and UPI.[Instrument type] <> Option, else {blank}. ' +
      'Transaction - IR: C if [Spread] is not populated and [Post-priced swap indicator] = False, and UPI.[Instrument type] <> Option, else {blank}. ' +
      'Transaction - CO: C if [Price] or [Spread] is not populated and [Post-priced swap indicator] = False, and UPI.[Instrument type] <> Option, else {blank}.',
    rateOrSpread('fixedRate', 'spread'),
    'Credit: "[Other payment type] <> UFRO" is read as "no upfront payment" (DRR writes `paymentType any <> UFRO`, false when there ' +
      'are no other payments, so the model forbids the fixed rate of every plain CDS); with an upfront payment the fixed rate is ' +
      'optional, since DE 57 allows fixed rate and UFRO together (index CDS: coupon plus upfront). Per-leg checks skip a leg ' +
      'that carries no data (a CDS protection leg arrives as an empty leg2).'),
  p45(58, 'PriceCondition', [69, 67, 73, 68],
    'Transaction - EQ: C if [Spread] is not populated and [Post-priced swap indicator] = False, and UPI.[Instrument type] <> Option, else {blank}. ' +
      'Transaction - CO: C if ([Fixed rate] or [Spread] is not populated) and [Post-priced swap indicator] = False, and UPI.[Instrument type] <> Option, else {blank}.',
    requiredElseBlank('price', or(
      and(asset('Equity'), lacks('leg1.spread'), lacks('leg2.spread'), notPostPriced, notOption),
      and(CO, or(and(lacks('leg1.fixedRate'), lacks('leg2.fixedRate')), and(lacks('leg1.spread'), lacks('leg2.spread'))), notPostPriced, notOption),
    ))),
  p45(59, 'PriceCurrencyCondition', [70, 71], 'Transaction - EQ/CO: C if [Price notation] = 1, else {blank}.',
    requiredElseBlank('priceCurrency', and(COorEQ, eq('priceNotation', 'Monetary')))),
  p45(60, 'PriceNotationCondition', [71, 69], 'Transaction - EQ/CO: C if [Price] is populated, else {blank}.',
    requiredElseBlank('priceNotation', and(COorEQ, has('price')))),
  p45(61, 'PriceUnitOfMesureCondition', [72, 69], 'Transaction - EQ/CO: C if [Price] is populated, else {blank}',
    requiredElseBlank('priceUnitOfMeasure', and(COorEQ, has('price')))),
  p45(62, 'SpreadCondition', [73, 67, 69, 57, 68],
    'Transaction - CR: C if [Fixed rate] is not populated and [Other payment type] <> UFRO, and [Post-priced swap indicator] = False, and UPI.[Instrument type] <> Option, else {blank}. ' +
      'Transaction - IR: C if [Fixed rate] is not populated and [Post-priced swap indicator] = False, and UPI.[Instrument type] <> Option, else {blank}. ' +
      'Transaction - EQ: C if [Price] is not populated, and [Post-priced swap indicator] = False, and UPI.[Instrument type] <> Option, else {blank}. ' +
      'Transaction - CO: C if [Price] or [Fixed rate] is not populated and [Post-priced swap indicator] = False, and UPI.[Instrument type] <> Option, else {blank}',
    rateOrSpread('spread', 'fixedRate'),
    'Same reading of "[Other payment type] <> UFRO" as P45-C57 (no upfront payment; with one, the spread is optional), and legs that carry no data are skipped.'),
  p45(63, 'SpreadCurrencyCondition', [74, 75], 'Transaction - CR/IR/EQ/CO: C if [Spread notation] = 1, else {blank}',
    perLeg((leg) => requiredElseBlank(`${leg}.spreadCurrency`, and(CRorIRorEQorCO, eq(`${leg}.spreadNotation`, 'Monetary'))))),
  p45(64, 'SpreadNotationCondition', [75, 73], 'Transaction - CR/IR/EQ/CO: C if [Spread] is populated, else {blank}',
    perLeg((leg) => requiredElseBlank(`${leg}.spreadNotation`, and(CRorIRorEQorCO, has(`${leg}.spread`))))),
  p45(65, 'StrikePriceCondition', [76, 68], 'C if [Post-priced swap indicator] = False and UPI.[Instrument type] = Option, else {blank}.',
    when(instrumentKnown, requiredElseBlank('strikePrice', and(notPostPriced, option))), UNKNOWN_NOTE('instrument type')),
  p45(66, 'StrikePriceCurrencyCondition', [77, 78], 'C if [Strike price notation] = 1, else {blank}',
    requiredElseBlank('strikePriceCurrency', eq('strikePriceNotation', 'Monetary'))),
  p45(67, 'StrikePriceNotationCondition', [78, 76], 'C if [Strike price] is populated, else {blank}',
    requiredElseBlank('strikePriceNotation', has('strikePrice'))),
  p45(68, 'OptionPremiumAmountCondition', [79], 'C if UPI.[Instrument type] = Option, else {blank}.',
    when(instrumentKnown, requiredElseBlank('optionPremiumAmount', option)), UNKNOWN_NOTE('instrument type')),
  p45(69, 'OptionPremiumCurrencyCondition', [80, 79], 'C if [Option premium amount] > 0, else {blank}',
    requiredElseBlank('optionPremiumCurrency', greaterThan('optionPremiumAmount', '0'))),
  p45(70, 'OptionPremiumPaymentDateCondition', [81, 79], 'C if [Option premium amount] > 0, else {blank}',
    requiredElseBlank('optionPremiumPaymentDate', greaterThan('optionPremiumAmount', '0'))),
  p45(71, 'FirstExerciseDateCondition', [82], 'C if UPI.[Instrument type] = Option, else {blank}.',
    when(instrumentKnown, requiredElseBlank('firstExerciseDate', option)), UNKNOWN_NOTE('instrument type')),
  p45(72, 'CDSIndexAttachmentPointCondition', [83, 84],
    'Transaction - CR: C if UPI.[Underlier type] = Index tranche, else {blank}; When populated, the value shall be less than the value in [CDS index detachment point]',
    all(when(underlierKnownOrNotCredit, requiredElseBlank('cdSIndexAttachmentPoint', creditIndexTranche)),
      when(creditIndexTranche, compare('cdSIndexAttachmentPoint', '<', 'cdSIndexDetachmentPoint', 'decimal'))),
    UNKNOWN_NOTE('underlier type (credit)')),
  p45(73, 'CDSIndexDetachmentPointCondition', [84, 83],
    'Transaction - CR: C if UPI.[Underlier type] = Index tranche, else {blank}; When populated, the value shall be greater than the value in [CDS index attachment point]',
    all(when(underlierKnownOrNotCredit, requiredElseBlank('cdSIndexDetachmentPoint', creditIndexTranche)),
      when(creditIndexTranche, compare('cdSIndexDetachmentPoint', '>', 'cdSIndexAttachmentPoint', 'decimal'))),
    UNKNOWN_NOTE('underlier type (credit)')),
  p45(74, 'IndexFactorCondition', [85], 'Transaction - CR: C if UPI.[Underlier type] = Index or Index tranche, else {blank}',
    when(underlierKnownOrNotCredit, requiredElseBlank('indexFactor', and(asset('Credit'), underlierIs('Index', 'Index_Tranche')))),
    UNKNOWN_NOTE('underlier type (credit)')),
  p45(75, 'FinalContractualSettlementDateCondition', [88, 95], 'M, When populated, the value shall be equal to or later than the value in [Expiration date].',
    all(required('finalContractualSettlementDate'),
      compare('finalContractualSettlementDate', '>=', 'expirationDate', 'date'))),
  p45(76, 'SettlementCurrencyCondition', [89], 'C if UPI.[Delivery type] = Cash, else {blank}',
    when(deliveryKnown, anyRequiredElseAllBlank(['leg1.settlementCurrency', 'leg2.settlementCurrency'], cashDelivery)),
    UNKNOWN_NOTE('delivery type')),
  p45(77, 'NonStandardizedTermIndicatorCondition', [92, 1], 'C if [Cleared] = N; NR if [Cleared] = Y or I',
    all(requiredWhen('nonStandardizedTermIndicator', clearedN), blankWhen('nonStandardizedTermIndicator', clearedYorI))),
  p45(78, 'ExpirationDateCondition', [95, 94], 'M, when populated, the value shall be equal to or later than the value in [Effective date]',
    all(required('expirationDate'), compare('expirationDate', '>=', 'effectiveDate', 'date'))),
  p45(79, 'ReportingTimestampCondition', [97, 96], 'M, the value shall be equal to or later than the value in [Execution timestamp]',
    compare('reportingTimestamp', '>=', 'executionTimestamp', 'timestamp')),
  p45(80, 'PlatformIdentifierCondition', [98, 1], 'C if [Cleared] = N or I; NR if [Cleared] = Y',
    all(requiredWhen('platformIdentifier', clearedNorI), blankWhen('platformIdentifier', clearedY))),
  p45(81, 'PrimeBrokerageTransactionIndicatorCondition', [99, 1], 'C if [Cleared] = N or I; NR if [Cleared] = Y',
    all(requiredWhen('primeBrokerageTransactionIndicator', clearedNorI), blankWhen('primeBrokerageTransactionIndicator', clearedY))),
  p45(82, 'PriorUSICondition', [100, 101, 26, 27],
    'C if [Action type] = NEWT and ([Event type] = NOVA or CLRG or EXER or ALOC or CLAL) and [Prior UTI] is not populated, else {blank}',
    requiredElseBlank('priorUSI', and(priorEvents, lacks('priorUTI')))),
  p45(83, 'PriorUTICondition', [101, 100, 26, 27],
    'C if [Action type] = NEWT and ([Event type] = NOVA or CLRG or EXER or ALOC or CLAL) and [Prior USI] is not populated, else {blank}',
    requiredElseBlank('priorUTI', and(priorEvents, lacks('priorUSI')))),
  { ...p45(84, 'UniqueSwapIdentifierCondition', [102, 103], 'C if [Unique transaction identifier (UTI)] is not populated, else {blank}',
    requiredElseBlank('uniqueSwapIdentifier', lacks('uniqueTransactionIdentifier'))), messages: TRADE_MESSAGES },
  { ...p45(85, 'UniqueTransactionIdentifierCondition', [103, 102], 'C if [Unique swap identifier (USI)] is not populated, else {blank}',
    requiredElseBlank('uniqueTransactionIdentifier', lacks('uniqueSwapIdentifier'))), messages: TRADE_MESSAGES },
  p45(86, 'NewSDRIdentifierCondition', [105, 27], 'C if [Event type] = PTNG, else {blank}',
    requiredElseBlank('newSDRIdentifier', eq('eventType', 'PTNG'))),
];

/**
 * DE 67 Fixed rate and DE 73 Spread are mirror images: per leg, the one is required when the other is
 * not populated (credit and rates), with commodity and equity variants on price.
 */
function rateOrSpread(target: 'fixedRate' | 'spread', other: 'fixedRate' | 'spread'): Check {
  const perLegCredit = perLeg((leg) => when(legReported(leg), all(
    requiredWhen(`${leg}.${target}`, and(lacks(`${leg}.${other}`), noUpfront, notPostPriced, notOption)),
    blankWhen(`${leg}.${target}`, or(has(`${leg}.${other}`), not(notPostPriced), option)),
  )));
  const perLegRates = perLeg((leg) => when(legReported(leg),
    requiredElseBlank(`${leg}.${target}`, and(lacks(`${leg}.${other}`), notPostPriced, notOption))));
  const bothLegs = [`leg1.${target}`, `leg2.${target}`];
  const commodity =
    target === 'fixedRate'
      ? anyRequiredElseAllBlank(bothLegs, and(or(lacks('price'), and(lacks('leg1.spread'), lacks('leg2.spread'))), notPostPriced, notOption))
      : perLeg((leg) => requiredElseBlank(`${leg}.spread`, and(or(lacks('price'), lacks(`${leg}.fixedRate`)), notPostPriced, notOption)));
  const equity =
    target === 'fixedRate'
      ? allBlankWhen(bothLegs, always, 'for an equity swap')
      : anyRequiredElseAllBlank(bothLegs, and(lacks('price'), notPostPriced, notOption));
  return when(asset('Credit'), perLegCredit,
    when(asset('InterestRate'), perLegRates,
      when(CO, commodity,
        when(asset('Equity'), equity,
          allBlankWhen(bothLegs, always, 'unless the asset class is Credit, InterestRate, Equity or Commodity')))));
}

// ------------------------------------------------------------------------------------ Part 43

function p43(n: number, name: string, sameAs: number): ConditionRule {
  const base = p45Rows.find((x) => x.n === sameAs);
  if (base === undefined) throw new Error(`P43 condition #${n} refers to unknown Part 45 condition #${sameAs}`);
  return { ...base, id: `P43-C${n}`, n, name, regimes: P43, spec: `${base.spec} (same logic as Part 45 #${sameAs})`, sameAs };
}

const p43Rows: readonly ConditionRule[] = [
  p43(87, 'Counterparty1Format', 1),
  p43(88, 'Counterparty2Format', 2),
  p43(89, 'OtherPartyPaymentPayerIdentifierFormat', 9),
  p43(90, 'OtherPartyPaymentReceiverIdentifierFormat', 10),
  {
    id: 'P43-C91', n: 91, name: 'EventTypeCondition', de: [27, 26], regimes: P43, severity: 'error',
    spec: 'C, for valid Action type and Event type Combination, see table in Appendix F (Part 43 column).',
    check: actionEventPairs(EVENTS_P43, ['CORR', 'EROR', 'REVI', 'VALU', 'MARU', 'PRTO'], 'Part 43'),
    messages: ALL_MESSAGES,
  },
  p43(92, 'AmendmentIndicatorCondition', 28),
  p43(93, 'EventTimestampCondition', 30),
  p43(94, 'NotionalAmountCondition', 31),
  p43(95, 'NotionalCurrencyCondition', 32),
  p43(96, 'NotionalAmountScheduleCondition', 33),
  p43(97, 'CallAmountCondition', 34),
  p43(98, 'CallCurrencyCondition', 35),
  p43(99, 'PutAmountCondition', 36),
  p43(100, 'PutCurrencyCondition', 37),
  p43(101, 'NotionalQuantityCondition', 38),
  p43(102, 'QuantityFrequencyCondition', 39),
  p43(103, 'QuantityFrequencyMultiplierCondition', 40),
  p43(104, 'QuantityUnitOfMeasureCondition', 41),
  p43(105, 'TotalNotionalQuantityCondition', 42),
  p43(106, 'PackageTransactionPriceCurrencyCondition', 44),
  p43(107, 'PackageTransactionPriceCondition', 45),
  p43(108, 'PackageTransactionSpreadCurrencyCondition', 46),
  p43(109, 'PackageTransactionSpreadCondition', 47),
  p43(110, 'DayCountConventionCondition', 48),
  p43(111, 'FloatingRateResetFrequencyPeriodCond', 50),
  p43(112, 'FloatingRateResetFrequencyPeriodMultiplierCondition', 51),
  p43(113, 'OtherPaymentTypeCondition', 52),
  p43(114, 'PaymentFrequencyPeriodCondition', 53),
  p43(115, 'PaymentFrequencyPeriodMultiplierCondition', 54),
  p43(116, 'ExchangeRateCondition', 55),
  p43(117, 'ExchangeRateBasisCondition', 56),
  p43(118, 'FixedRateCondition', 57),
  p43(119, 'PriceCondition', 58),
  p43(120, 'PriceCurrencyCondition', 59),
  p43(121, 'PriceNotationCondition', 60),
  p43(122, 'PriceUnitOfMesureCondition', 61),
  p43(123, 'SpreadCondition', 62),
  p43(124, 'SpreadCurrencyCondition', 63),
  p43(125, 'SpreadNotationCondition', 64),
  p43(126, 'StrikePriceCondition', 65),
  p43(127, 'StrikePriceCurrencyCondition', 66),
  p43(128, 'StrikePriceNotationCondition', 67),
  p43(129, 'OptionPremiumAmountCondition', 68),
  p43(130, 'OptionPremiumCurrencyCondition', 69),
  p43(131, 'FirstExerciseDateCondition', 71),
  p43(132, 'IndexFactorCondition', 74),
  p43(133, 'SettlementCurrencyCondition', 76),
  p43(134, 'NonStandardizedTermIndicatorCondition', 77),
  p43(135, 'ExpirationDateCondition', 78),
  p43(136, 'ReportingTimestampCondition', 79),
  p43(137, 'PlatformIdentifierCondition', 80),
  p43(138, 'PrimeBrokerageTransactionIndicatorCondition', 81),
  p43(139, 'UniqueSwapIdentifierCondition', 84),
  p43(140, 'UniqueTransactionIdentifierCondition', 85),
];

// ------------------------------------------------------------------------------------ guidebook (TR extension)

const sefOrDcm = eq('cftcGuidebook.sefOrDcmIndicator', true);
/**
 * The guidebook rules are the trade repositories' (DTCC, CME, ICE), not the CFTC Technical Specification's:
 * an SDR may NACK them, the CFTC rules do not, so they warn rather than reject.
 */
const GUIDEBOOK_NOTE = 'Warning, not error: an SDR guidebook rule (DTCC/CME/ICE), not a CFTC Technical Specification rule.';

const guidebookRows: readonly ConditionRule[] = [
  {
    id: 'GB-C141', n: 141, name: 'LargeNotionalOffFacilitySwapElectionIndicator', de: ['TR'], element: 'TR Large notional off-facility swap election indicator', regimes: CFTC, severity: 'warning', note: GUIDEBOOK_NOTE,
    spec: 'Guidebook extension (DTCC/CME/ICE): C if [SEF or DCM indicator] = FALSE, else {blank}',
    check: blankWhen('cftcGuidebook.largeNotionalOffFacilitySwapElectionIndicator', sefOrDcm),
  },
  {
    id: 'GB-C142', n: 142, name: 'SefOrDcmAnonymousIndicator', de: ['TR'], element: 'TR SEF or DCM Anonymous Execution Indicator', regimes: CFTC, severity: 'warning', note: GUIDEBOOK_NOTE,
    spec: 'Guidebook extension (DTCC/CME/ICE): C if [SEF or DCM indicator] = TRUE',
    check: requiredWhen('cftcGuidebook.sefOrDcmAnonymousExecutionIndicator', sefOrDcm),
  },
  {
    id: 'GB-C143', n: 143, name: 'PhysicalCommodityIndicator', de: ['TR'], element: 'TR Physical commodity contract indicator', regimes: CFTC, severity: 'warning', note: GUIDEBOOK_NOTE,
    spec: 'Guidebook extension (DTCC/CME/ICE): M for CO',
    check: requiredWhen('cftcGuidebook.physicalCommodityIndicator', eq('cftcGuidebook.assetClass', 'Commodity')),
  },
];

// ------------------------------------------------------------------------------------ nested structural types

export const PRICE_FORMAT_PATHS: readonly string[] = [
  'price', 'strikePrice', 'packageTransactionPrice', 'packageTransactionSpread', 'leg1.spread', 'leg2.spread',
  'priceSchedule[].price', 'strikePriceSchedule[].price',
  'barrier.single.price', 'barrier.upper.price', 'barrier.lower.price',
];
const PRICE_KEYS = ['monetary', 'decimal', 'percentage', 'basis'] as const;


/** PriceFormat: exactly one of the four notation keys; null when fine. */
function priceKeyCount(v: unknown): number {
  if (v === null || typeof v !== 'object') return 1; // not an object: FMT-TYPE's finding
  const o = v as Rec;
  let n = 0;
  for (let i = 0; i < PRICE_KEYS.length; i++) if (isPresent(o[PRICE_KEYS[i]!])) n++;
  return n;
}

function exactlyOnePriceKey(): Check {
  return all(...PRICE_FORMAT_PATHS.map((path) => {
    const split = path.indexOf('[]');
    if (split < 0) {
      return use([path], (fail, v) => {
        if (!isPresent(v)) return;
        const n = priceKeyCount(v);
        if (n !== 1) fail(path, `${path} must carry exactly one of monetary, decimal, percentage, basis, but carries ${n}`);
      });
    }
    const group = path.slice(0, split);
    const key = path.slice(split + 3);
    return use([group], (fail, items) => {
      if (!Array.isArray(items)) return;
      for (let i = 0; i < items.length; i++) {
        const v = (items[i] as Rec | undefined)?.[key];
        if (!isPresent(v)) continue;
        const n = priceKeyCount(v);
        if (n !== 1) fail(`${group}[${i}].${key}`, `${group}[${i}].${key} must carry exactly one of monetary, decimal, percentage, basis, but carries ${n}`);
      }
    });
  }));
}

const nestedRows: readonly ConditionRule[] = [
  {
    id: 'NEST-C144', n: 144, name: 'PeriodicPayment.DayCountConventionChoice', de: [53], regimes: ALL, severity: 'error', messages: ALL_MESSAGES,
    spec: 'Structural (CDE PeriodicPayment): at most one of fixedRateDayCountConvention / floatingRateDayCountConvention per leg',
    check: perLeg((leg) => blankWhen(`${leg}.periodicPayment.floatingRateDayCountConvention`, has(`${leg}.periodicPayment.fixedRateDayCountConvention`))),
  },
  {
    id: 'NEST-C145', n: 145, name: 'PeriodicPayment.PaymentFrequencyPeriodChoice', de: [63], regimes: ALL, severity: 'error', messages: ALL_MESSAGES,
    spec: 'Structural (CDE PeriodicPayment): at most one of fixedRatePaymentFrequencyPeriod / floatingRatePaymentFrequencyPeriod per leg',
    check: perLeg((leg) => blankWhen(`${leg}.periodicPayment.floatingRatePaymentFrequencyPeriod`, has(`${leg}.periodicPayment.fixedRatePaymentFrequencyPeriod`))),
  },
  {
    id: 'NEST-C146', n: 146, name: 'PeriodicPayment.PaymentFrequencyPeriodMultiplierChoice', de: [64], regimes: ALL, severity: 'error', messages: ALL_MESSAGES,
    spec: 'Structural (CDE PeriodicPayment): at most one of the fixed / floating payment frequency multipliers per leg',
    check: perLeg((leg) => blankWhen(`${leg}.periodicPayment.floatingRatePaymentFrequencyPeriodMultiplier`, has(`${leg}.periodicPayment.fixedRatePaymentFrequencyPeriodMultiplier`))),
  },
  {
    id: 'NEST-C147', n: 147, name: 'PriceFormat.(one-of)', de: [69, 47, 50, 73, 76], regimes: ALL, severity: 'error', messages: ALL_MESSAGES,
    spec: 'Structural (CDE PriceFormat): exactly one of monetary, decimal, percentage, basis',
    check: exactlyOnePriceKey(),
  },
  {
    id: 'NEST-C148', n: 148, name: 'SingleOrUpperAndLowerBarrier', de: ['X'], element: 'Barrier price (DRR)', regimes: ALL, severity: 'error', messages: ALL_MESSAGES,
    spec: 'Structural (DRR barrier, not a CFTC element): _single (record property `single`), or both upper and lower',
    check: when(has('barrier'), when(has('barrier.single'),
      allBlankWhen(['barrier.upper', 'barrier.lower'], has('barrier.single')),
      all(requiredWhen('barrier.upper', lacks('barrier.single')), requiredWhen('barrier.lower', lacks('barrier.single'))))),
  },
];

export const CONDITIONS: readonly ConditionRule[] = [...p45Rows, ...p43Rows, ...guidebookRows, ...nestedRows];
