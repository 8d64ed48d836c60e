/**
 * What the simulated repository checks, in the order an SDR does (DOMAIN.md): schema, permission, core rules,
 * then the per-UTI sequence. Each failure is an error code; a NACK carries at most 20.
 *
 * Codes: SCH-001 required element missing, SCH-002..004 malformed record/file (records.ts);
 *        PRM-001 submitter not permitted for counterparty 1;
 *        COR-001 unknown action type, COR-002 timestamp format, COR-003 notional not a non-negative amount,
 *        COR-004 counterparty 1 not an LEI;
 *        SEQ-001 first message of a UTI is not a NEWT, SEQ-002 NEWT for a live UTI, SEQ-003 action on an
 *        errored/terminated trade, SEQ-004 REVI of a live trade, SEQ-005 event timestamp before the trade's last.
 */
import type { ReportRegime } from '../../engine/reports/types.js';
import type { ResponseCode } from '../../engine/submission/types.js';
import type { FlatRecord } from './records.js';
import { COL } from './columns.js';

export { COL };
import { RepositoryState, type SimLifecycle, type SimTrade } from './state.js';


const ACTIONS = new Set(['NEWT', 'MODI', 'CORR', 'TERM', 'EROR', 'REVI', 'PRTO', 'VALU', 'MARU', 'POSC']);
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const LEI = /^[A-Z0-9]{18}[0-9]{2}$/;
// Part 43 included: the reporting counterparty reports the amount itself (17 CFR 43.3(a)); a rounded or capped
// "250000000+" is what the SDR disseminates (public-tape.ts), never what it accepts.
const AMOUNT = /^\d{1,20}(\.\d{1,5})?$/;

export interface CheckContext {
  regime: ReportRegime;
  /** The batch's submitter (envelope), used when the record carries none (Part 43). */
  batchSubmitter: string | undefined;
  /** submitter LEI -> counterparties it may report for (besides itself). */
  permissions: ReadonlyMap<string, ReadonlySet<string>>;
}

export function checkRecord(row: FlatRecord, ctx: CheckContext, state: RepositoryState): ResponseCode[] {
  const errors: ResponseCode[] = [];
  const has = (c: string) => row.has(c);
  // Part 43 records carry the identities too (engine/reports/profiles.ts), but this simulator requires them, and
  // checks the submitter's permission, under Part 45 only: a Part 43 record stands or falls on its own data.
  const identities = ctx.regime !== 'cftc-part43';
  // Schema
  const required: string[] = [COL.action, COL.eventTs];
  if (identities) required.push(COL.cp1, COL.submitter);
  if (ctx.regime === 'cftc-part43') required.push(COL.execTs);
  for (const c of required) if (!has(c)) errors.push({ code: 'SCH-001', message: `${c} is required` });
  if (!has(COL.uti) && !has(COL.usi)) errors.push({ code: 'SCH-001', message: `${COL.uti} or ${COL.usi} is required` });
  if (errors.length > 0) return errors;

  // Permission: the submitter reports for itself or for a counterparty that delegated to it.
  const submitter = row.get(COL.submitter) ?? ctx.batchSubmitter;
  const cp1 = row.get(COL.cp1);
  if (identities && submitter !== undefined && cp1 !== undefined && submitter !== cp1 && !ctx.permissions.get(submitter)?.has(cp1)) {
    errors.push({ code: 'PRM-001', message: `submitter ${submitter} may not report for counterparty 1 ${cp1}` });
    return errors;
  }

  // Core rules
  const action = row.get(COL.action)!;
  if (!ACTIONS.has(action)) errors.push({ code: 'COR-001', message: `unknown action type ${action}` });
  for (const c of [COL.eventTs, COL.execTs]) {
    const v = row.get(c);
    if (v !== undefined && !TIMESTAMP.test(v)) errors.push({ code: 'COR-002', message: `${c} ${v} is not YYYY-MM-DDThh:mm:ssZ` });
  }
  for (const c of [COL.notional1, COL.notional2]) {
    const v = row.get(c);
    if (v !== undefined && !AMOUNT.test(v)) errors.push({ code: 'COR-003', message: `${c} ${v} is not a non-negative amount` });
  }
  if (cp1 !== undefined && !LEI.test(cp1)) errors.push({ code: 'COR-004', message: `counterparty 1 ${cp1} is not an LEI` });
  if (errors.length > 0) return errors.slice(0, 20);

  // Sequence per UTI
  const uti = row.get(COL.uti) ?? `USI:${row.get(COL.usi)!}`;
  const trade = state.trades.get(RepositoryState.key(ctx.regime, uti));
  const ts = row.get(COL.eventTs);
  if (!trade) {
    const repair = action === 'CORR' && state.rejectedFirst.has(RepositoryState.key(ctx.regime, uti));
    if (action !== 'NEWT' && !repair) errors.push({ code: 'SEQ-001', message: `${uti} is unknown: its first message must be a NEWT, not ${action}` });
  } else {
    if (action === 'NEWT' && trade.lifecycle === 'live') errors.push({ code: 'SEQ-002', message: `${uti} is already reported (duplicate NEWT)` });
    else if (trade.lifecycle !== 'live' && action !== 'REVI' && action !== 'CORR') errors.push({ code: 'SEQ-003', message: `${uti} is ${trade.lifecycle}: only REVI or CORR` });
    else if (action === 'REVI' && trade.lifecycle === 'live') errors.push({ code: 'SEQ-004', message: `${uti} is live: nothing to revive` });
    else if (ts !== undefined && trade.lastEventTimestamp !== undefined && ts < trade.lastEventTimestamp && action !== 'CORR' && action !== 'EROR') {
      errors.push({ code: 'SEQ-005', message: `${uti}: event timestamp ${ts} is before the trade's last ${trade.lastEventTimestamp}` });
    }
  }
  return errors;
}

/** Applies an accepted record to the trade state. */
export function applyRecord(row: FlatRecord, regime: ReportRegime, submissionId: string, state: RepositoryState): void {
  const uti = row.get(COL.uti) ?? `USI:${row.get(COL.usi)!}`;
  const key = RepositoryState.key(regime, uti);
  const action = row.get(COL.action)!;
  const ts = row.get(COL.eventTs);
  const lifecycle: SimLifecycle | undefined = action === 'EROR' ? 'errored' : action === 'TERM' ? 'terminated' : action === 'REVI' ? 'live' : undefined;
  const trade = state.trades.get(key);
  if (!trade) {
    const t: SimTrade = { regime, uti, lifecycle: lifecycle ?? 'live', version: 1, lastActionType: action, lastEventTimestamp: ts, counterparty1: row.get(COL.cp1), submissionIds: [submissionId], notionalLeg1: row.get(COL.notional1) };
    state.trades.set(key, t);
    state.rejectedFirst.delete(key);
    return;
  }
  trade.version++;
  trade.lastActionType = action;
  if (ts !== undefined && (trade.lastEventTimestamp === undefined || ts > trade.lastEventTimestamp)) trade.lastEventTimestamp = ts;
  if (lifecycle) trade.lifecycle = lifecycle;
  trade.submissionIds.push(submissionId);
  // Valuation and margin messages update those parts only; everything else replaces the trade's record.
  if (action !== 'VALU' && action !== 'MARU') trade.notionalLeg1 = row.get(COL.notional1);
}

/** Remembers that a UTI's first message was refused (so its CORR counts as the repair of a rejected report). */
export function noteRejected(row: FlatRecord | undefined, regime: ReportRegime, state: RepositoryState): void {
  const uti = row?.get(COL.uti);
  if (uti === undefined) return;
  const key = RepositoryState.key(regime, uti);
  if (!state.trades.has(key)) state.rejectedFirst.add(key);
}
