/**
 * Reconciliation: (1) every accepted event has, for each submission it owes, an ACK, an open exception, or a
 * submission still in flight before its deadline; (2) the repository's view (the simulator's or a real SDR's
 * state report) matches ours: the same trades, the same acknowledged submissions, the same lifecycle.
 * Each finding is a mismatch with its type; a run is recorded in reconciliation_run.
 */
import type pg from 'pg';
import { SwapReport } from '../../proto/gen/swap_report.js';
import type { ReportBuilder } from '../reports/index.js';
import type { ReportRegime } from '../reports/types.js';
import { submissionId } from '../submission/ids.js';
import { ts } from '../submission/store.js';

export type MismatchType =
  | 'not-submitted' // an accepted event the intake consumed owes a submission that does not exist
  | 'overdue' // a submission still pending/sent after its deadline
  | 'unresolved-rejection' // nacked/failed with no exception
  | 'missing-at-repository' // we hold an ACK the repository does not show
  | 'unknown-at-repository' // the repository shows a submission we never had acknowledged
  | 'lifecycle-mismatch'; // the repository's lifecycle of a trade differs from ours

export interface Mismatch {
  type: MismatchType;
  regime?: string;
  tradeKey?: string | null;
  submissionId?: string;
  detail?: string;
}

/** The repository state report shape (loadtest/sdr-sim/state.ts StateReport). */
export interface RepositoryView {
  trades: { regime: string; uti: string; lifecycle: string; submissionIds: string[] }[];
}

export interface ReconcileResult {
  ok: boolean;
  summary: Record<string, number>;
  mismatches: Mismatch[];
}

export interface ReconcileOptions {
  /** Regimes routed to a repository (a regime without one owes nothing). */
  regimes: readonly ReportRegime[];
  /** Compare with this repository's view (its regimes only). */
  repository?: { name: string; view: RepositoryView };
  nowMs?: number;
}

export async function reconcile(pool: pg.Pool, builder: ReportBuilder, options: ReconcileOptions): Promise<ReconcileResult> {
  const now = options.nowMs ?? Date.now();
  const mismatches: Mismatch[] = [];
  const routed = new Set(options.regimes);

  // (1a) Consumed accepted events -> owed submission ids, each must exist.
  const { rows: events } = await pool.query<{ source_id: string; seq: string; trade_key: string | null; report: Buffer }>(
    `SELECT e.source_id, e.seq, e.trade_key, e.report FROM event_log e JOIN submission_cursor c ON c.source_id = e.source_id
      WHERE e.seq <= c.seq AND e.status <> 'rejected'`,
  );
  const { rows: subs } = await pool.query<{ id: string; regime: string; status: string; trade_key: string | null; due_at: Date; has_exception: boolean }>(
    `SELECT s.id, s.regime, s.status, s.trade_key, s.due_at, EXISTS (SELECT 1 FROM exception x WHERE x.submission_id = s.id) AS has_exception FROM submission_state s`,
  );
  const byId = new Map(subs.map((s) => [s.id, s]));
  let owed = 0;
  for (const e of events) {
    const report = SwapReport.decode(e.report);
    for (const regime of builder.owed(report)) {
      if (!routed.has(regime)) continue;
      owed++;
      const id = submissionId(regime, e.source_id, Number(e.seq));
      if (!byId.has(id)) mismatches.push({ type: 'not-submitted', regime, tradeKey: e.trade_key, submissionId: id, detail: `${e.source_id}#${e.seq}` });
    }
  }
  // (1b) Every submission is acked, in flight before its deadline, or carried by an exception.
  const counts: Record<string, number> = { events: events.length, owed, submissions: subs.length, acked: 0, pending: 0, sent: 0, nacked: 0, failed: 0 };
  for (const s of subs) {
    counts[s.status] = (counts[s.status] ?? 0) + 1;
    if ((s.status === 'pending' || s.status === 'sent') && s.due_at.getTime() <= now) {
      mismatches.push({ type: 'overdue', regime: s.regime, tradeKey: s.trade_key, submissionId: s.id, detail: `due ${ts(s.due_at.getTime())}, ${s.status}` });
    }
    if ((s.status === 'nacked' || s.status === 'failed') && !s.has_exception) {
      mismatches.push({ type: 'unresolved-rejection', regime: s.regime, tradeKey: s.trade_key, submissionId: s.id, detail: s.status });
    }
  }

  // (2) Our ACKs against the repository's view.
  if (options.repository) {
    const repo = options.repository;
    const { rows: acked } = await pool.query<{ id: string; regime: string; trade_key: string | null }>(
      `SELECT id, regime, trade_key FROM submission_state WHERE repository = $1 AND status = 'acked'`, [repo.name]);
    const theirs = new Map<string, { regime: string; uti: string; lifecycle: string }>();
    for (const t of repo.view.trades) for (const id of t.submissionIds) theirs.set(id, t);
    const ours = new Set(acked.map((a) => a.id));
    for (const a of acked) if (!theirs.has(a.id)) mismatches.push({ type: 'missing-at-repository', regime: a.regime, tradeKey: a.trade_key, submissionId: a.id });
    for (const [id, t] of theirs) if (!ours.has(id)) mismatches.push({ type: 'unknown-at-repository', regime: t.regime, tradeKey: t.uti, submissionId: id });
    // Lifecycle per trade: ours from the latest trade version.
    const { rows: state } = await pool.query<{ trade_key: string; lifecycle: string }>(
      `SELECT DISTINCT ON (counterparty1, trade_key) trade_key, lifecycle FROM event_log WHERE version IS NOT NULL ORDER BY counterparty1, trade_key, version DESC`);
    const ourLifecycle = new Map(state.map((s) => [s.trade_key, s.lifecycle]));
    for (const t of repo.view.trades) {
      const mine = ourLifecycle.get(t.uti);
      if (mine !== undefined && mine !== t.lifecycle) mismatches.push({ type: 'lifecycle-mismatch', regime: t.regime, tradeKey: t.uti, detail: `ours ${mine}, repository ${t.lifecycle}` });
    }
    counts.repositoryTrades = repo.view.trades.length;
  }
  counts.mismatches = mismatches.length;
  const result: ReconcileResult = { ok: mismatches.length === 0, summary: counts, mismatches };
  await pool.query('INSERT INTO reconciliation_run (ok, summary, mismatches, at) VALUES ($1, $2::jsonb, $3::jsonb, $4::timestamptz)',
    [result.ok, JSON.stringify(counts), JSON.stringify(mismatches), ts(now)]);
  return result;
}

/** Fetches a repository's state report (GET {url}/v1/state). */
export async function fetchRepositoryView(baseUrl: string, timeoutMs = 30_000): Promise<RepositoryView> {
  const res = await fetch(new URL('v1/state', baseUrl.endsWith('/') ? baseUrl : baseUrl + '/'), { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`state report: HTTP ${res.status}`);
  return (await res.json()) as RepositoryView;
}
