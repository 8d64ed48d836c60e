/**
 * The simulated repository's memory: the result of every submission id it has seen (so a resend gets the
 * same answer and never a second report) and its view of every trade per regime and UTI.
 */
import type { ReportRegime } from '../../engine/reports/types.js';
import type { ResponseCode } from '../../engine/submission/types.js';

export type SimLifecycle = 'live' | 'errored' | 'terminated';

export interface SimTrade {
  regime: ReportRegime;
  uti: string;
  lifecycle: SimLifecycle;
  version: number;
  lastActionType: string;
  lastEventTimestamp: string | undefined;
  counterparty1: string | undefined;
  submissionIds: string[];
  /** What the state report shows of the record (the whole record is not kept: millions of trades in load runs). */
  notionalLeg1: string | undefined;
}

/** One trade as the state report shows it. */
export interface StateReportTrade {
  regime: ReportRegime;
  uti: string;
  lifecycle: SimLifecycle;
  version: number;
  lastActionType: string;
  lastEventTimestamp: string | null;
  counterparty1: string | null;
  submissionIds: string[];
  notionalLeg1: string | null;
}

export interface StateReport {
  asOf: string;
  trades: StateReportTrade[];
  submissions: { acked: number; nacked: number };
}

/** Every submission id's first answer: its error codes, none for an ACK (a NACK has at least one). */
export class RepositoryState {
  readonly results = new Map<string, readonly ResponseCode[]>();
  readonly trades = new Map<string, SimTrade>();
  /** UTIs (per regime) whose last submission was NACKed before any was accepted: a CORR may repair them. */
  readonly rejectedFirst = new Set<string>();
  acked = 0;
  nacked = 0;

  static key(regime: ReportRegime, uti: string): string {
    return `${regime}|${uti}`;
  }

  report(now = Date.now()): StateReport {
    const trades = [...this.trades.values()]
      .map((t): StateReportTrade => ({
        regime: t.regime, uti: t.uti, lifecycle: t.lifecycle, version: t.version, lastActionType: t.lastActionType,
        lastEventTimestamp: t.lastEventTimestamp ?? null, counterparty1: t.counterparty1 ?? null, submissionIds: [...t.submissionIds],
        notionalLeg1: t.notionalLeg1 ?? null,
      }))
      .sort((a, b) => (a.regime + a.uti < b.regime + b.uti ? -1 : 1));
    return { asOf: new Date(now).toISOString(), trades, submissions: { acked: this.acked, nacked: this.nacked } };
  }
}
