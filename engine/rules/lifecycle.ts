/**
 * Lifecycle rules: what a trade's history allows the next event to do. Pure: the caller (a trade actor,
 * or `swaprep validate --stateful`) owns the state and passes it in; nothing here does I/O.
 *
 * - The first message for a trade is a NEWT; a second NEWT while the trade is live is a duplicate.
 * - MODI, CORR, TERM, VALU, MARU, PRTO need a known trade.
 * - After EROR or TERM only REVI (and CORR, to fix the record of a terminated trade) are accepted.
 * - Execution timestamp and counterparty 1 never change after the NEWT.
 * - An event older than the last applied one is accepted but flagged late (warning).
 * A rejected event returns the very same state object; an accepted one a new state with one more version.
 */
import { tradeKeyOf } from '../record/identity.js';
import { compareTimestamps } from './formats.js';
import { asRec, show, type Finding, type Rec, type SwapReport } from './types.js';

export type LifecycleStatus = 'live' | 'errored' | 'terminated';

/**
 * What the lifecycle rules read of a record: a SwapReport is one, and so is the handful of fields the engine reads
 * off the wire (engine/judge.ts), which spares it decoding the whole report where another thread checks the rest.
 */
export type LifecycleFacts = Pick<SwapReport, 'actionType' | 'eventType' | 'eventTimestamp' | 'executionTimestamp' | 'counterparty1' | 'uniqueTransactionIdentifier' | 'uniqueSwapIdentifier'>;

/** Where an event came from: the ingest source and its sequence number there. */
export interface LifecycleRef {
  readonly sourceId: string;
  readonly seq: number;
}

/** One accepted version of the trade: compact, the record itself is stored by the engine. */
export interface TradeVersion {
  readonly version: number;
  readonly actionType: string;
  readonly eventType?: string;
  readonly eventTimestamp?: string;
  readonly ref: LifecycleRef;
}

/** Plain data (JSON-serialisable) so the store can persist it as it is. */
export interface TradeState {
  /** The trade's key (engine/record/identity.ts: the UTI, else "USI:" + the USI). */
  readonly tradeKey: string;
  readonly counterparty1?: string;
  readonly executionTimestamp?: string;
  readonly status: LifecycleStatus;
  /** Number of accepted events (= history length). */
  readonly version: number;
  /** Latest event timestamp applied so far (late events do not move it back). */
  readonly lastEventTimestamp?: string;
  readonly lastActionType: string;
  readonly history: readonly TradeVersion[];
}

export interface LifecycleResult {
  readonly state: TradeState | undefined;
  readonly findings: Finding[];
  readonly accepted: boolean;
}


/** Actions that refer to an existing trade (rejected when the trade is unknown). */
const NEEDS_TRADE: ReadonlySet<string> = new Set(['MODI', 'CORR', 'TERM', 'VALU', 'MARU', 'PRTO', 'EROR', 'REVI', 'POSC']);
/** Actions accepted on an errored or terminated trade. */
const AFTER_END: ReadonlySet<string> = new Set(['REVI', 'CORR']);

function finding(rule: string, element: string, path: string, message: string, severity: Finding['severity'] = 'error'): Finding {
  return { rule, element, path, severity, message };
}

function str(r: Rec, key: string): string | undefined {
  const v = r[key];
  return typeof v === 'string' ? v : undefined;
}

/** An empty history, shared: what states carry when the caller keeps the history elsewhere. */
export const NO_HISTORY: TradeState['history'] = Object.freeze([]);

/**
 * `keepHistory: false` leaves every state's history empty: the engine keeps a trade's versions in the
 * event log, and building the list only to drop it cost three objects per event on the hot path.
 */
export function applyLifecycle(state: TradeState | undefined, report: LifecycleFacts, ref: LifecycleRef, options: { keepHistory?: boolean } = {}): LifecycleResult {
  const keepHistory = options.keepHistory ?? true;
  const r = asRec(report);
  const action = str(r, 'actionType') ?? '';
  const key = tradeKeyOf(report);
  const reject = (...findings: Finding[]): LifecycleResult => ({ state, findings, accepted: false });

  if (key === undefined) {
    return reject(finding('LC-NO-KEY', '103', 'uniqueTransactionIdentifier', `${action || 'event'} carries neither a UTI nor a USI, so it cannot be applied to a trade`));
  }
  if (state !== undefined && state.tradeKey !== key) {
    throw new Error(`applyLifecycle: state of trade ${state.tradeKey} passed for an event of trade ${key}`);
  }

  // ---- unknown trade
  if (state === undefined) {
    if (action === 'NEWT') return { state: created(key, r, action, ref, keepHistory), findings: [], accepted: true };
    if (NEEDS_TRADE.has(action) && action !== 'EROR' && action !== 'REVI' && action !== 'POSC') {
      return reject(finding('LC-UNKNOWN-TRADE', '26', 'actionType', `actionType ${action} refers to trade ${show(key)}, which has no accepted NEWT`));
    }
    return reject(finding('LC-FIRST-NEWT', '26', 'actionType', `the first message for trade ${show(key)} must be a NEWT, but is ${show(action)}`));
  }

  // ---- known trade
  const findings: Finding[] = [];
  if (state.status !== 'live' && !AFTER_END.has(action)) {
    const how = state.status === 'errored' ? 'cancelled by EROR' : 'terminated';
    findings.push(finding('LC-AFTER-EROR-TERM', '26', 'actionType', `trade ${show(key)} was ${how}; only REVI or CORR are accepted, not ${show(action)}`));
  } else if (action === 'NEWT') {
    findings.push(finding('LC-DUP-NEWT', '26', 'actionType', `trade ${show(key)} is already live (version ${state.version}); a second NEWT is a duplicate`));
  } else if (action === 'REVI' && state.status === 'live') {
    findings.push(finding('LC-REVI-LIVE', '26', 'actionType', `REVI revives an errored or terminated trade, but trade ${show(key)} is live`));
  }

  const exec = str(r, 'executionTimestamp');
  if (exec !== undefined && state.executionTimestamp !== undefined && exec !== state.executionTimestamp && compareTimestamps(exec, state.executionTimestamp) !== 0) {
    findings.push(finding('LC-IMMUTABLE-EXEC-TS', '96', 'executionTimestamp', `executionTimestamp ${show(exec)} differs from ${show(state.executionTimestamp)} reported at NEWT; it never changes`));
  }
  const cp1 = str(r, 'counterparty1');
  if (cp1 !== undefined && state.counterparty1 !== undefined && cp1 !== state.counterparty1) {
    findings.push(finding('LC-IMMUTABLE-CP1', '13', 'counterparty1', `counterparty1 ${show(cp1)} differs from ${show(state.counterparty1)} reported at NEWT; it never changes`));
  }
  if (findings.length > 0) return reject(...findings);

  const at = str(r, 'eventTimestamp');
  if (at !== undefined && state.lastEventTimestamp !== undefined && compareTimestamps(at, state.lastEventTimestamp) < 0) {
    findings.push(finding('LC-LATE', '30', 'eventTimestamp', `eventTimestamp ${show(at)} is older than ${show(state.lastEventTimestamp)} of the last applied event; applied late`, 'warning'));
  }
  return { state: advanced(state, r, action, ref, keepHistory), findings, accepted: true };
}

function versionOf(version: number, r: Rec, action: string, ref: LifecycleRef): TradeVersion {
  const eventType = str(r, 'eventType');
  const eventTimestamp = str(r, 'eventTimestamp');
  return {
    version,
    actionType: action,
    ...(eventType !== undefined ? { eventType } : {}),
    ...(eventTimestamp !== undefined ? { eventTimestamp } : {}),
    ref: { sourceId: ref.sourceId, seq: ref.seq },
  };
}

function created(key: string, r: Rec, action: string, ref: LifecycleRef, keepHistory: boolean): TradeState {
  const cp1 = str(r, 'counterparty1');
  const exec = str(r, 'executionTimestamp');
  const at = str(r, 'eventTimestamp');
  return {
    tradeKey: key,
    ...(cp1 !== undefined ? { counterparty1: cp1 } : {}),
    ...(exec !== undefined ? { executionTimestamp: exec } : {}),
    status: 'live',
    version: 1,
    ...(at !== undefined ? { lastEventTimestamp: at } : {}),
    lastActionType: action,
    history: keepHistory ? [versionOf(1, r, action, ref)] : NO_HISTORY,
  };
}

function advanced(state: TradeState, r: Rec, action: string, ref: LifecycleRef, keepHistory: boolean): TradeState {
  const status: LifecycleStatus =
    action === 'EROR' ? 'errored' : action === 'TERM' ? 'terminated' : action === 'REVI' ? 'live' : state.status;
  const at = str(r, 'eventTimestamp');
  const last =
    at !== undefined && (state.lastEventTimestamp === undefined || compareTimestamps(at, state.lastEventTimestamp) > 0) ? at : state.lastEventTimestamp;
  const version = state.version + 1;
  // Fill the immutable fields if the NEWT lacked them (they are then fixed from here on).
  const cp1 = state.counterparty1 ?? str(r, 'counterparty1');
  const exec = state.executionTimestamp ?? str(r, 'executionTimestamp');
  return {
    tradeKey: state.tradeKey,
    ...(cp1 !== undefined ? { counterparty1: cp1 } : {}),
    ...(exec !== undefined ? { executionTimestamp: exec } : {}),
    status,
    version,
    ...(last !== undefined ? { lastEventTimestamp: last } : {}),
    lastActionType: action,
    history: keepHistory ? [...state.history, versionOf(version, r, action, ref)] : NO_HISTORY,
  };
}
