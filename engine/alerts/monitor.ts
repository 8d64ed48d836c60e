/**
 * The alert rules, evaluated together every `intervalMs` (and on demand by runOnce):
 *   deadline-missed   submissions still pending/sent after their due time (critical), per repository and regime
 *   deadline-risk     submissions due within `deadlineWarnMs` and not yet acknowledged by the repository (warning)
 *   nack-rate         NACKs / outcomes over `nackWindowMs` above `nackRateThreshold` (with at least `nackMinOutcomes`)
 *   stalled-source    a source that sent within `stallLookbackMs` but nothing for `stallMs`
 *   storage-lag       events durable for longer than `storageLagMs` but not yet turned into submissions, or a
 *                     commit lag reported by the engine's probe above the same limit
 *   anomaly-flags     events flagged for review (open review items) in the last `anomalyWindowMs`
 *   anomaly-flag-rate the scoring flagged more than `flagRateThreshold` of the events it scored since the last
 *                     evaluation (at least `flagRateMinScored` of them): far above a model's alert rate (0.5% by
 *                     default), the model does not fit the data and buries the review queue (a fresh engine's first
 *                     model once flagged 40% of a load generator's events)
 *   dead-letters      events a follower of the event log (intake, projection, scoring) set aside and that are not yet
 *                     resolved, per follower (warning: the follower went on, but those events are missing downstream)
 * A rule's alerts resolve themselves when its condition clears. Times come from the injected clock.
 */
import type pg from 'pg';
import { log } from '../log.js';
import { ts } from '../submission/store.js';
import { openDeadLetterCounts } from '../store/dead-letters.js';
import type { AlertService } from './service.js';
import type { AlertCandidate } from './types.js';

export interface AlertRulesConfig {
  intervalMs: number;
  deadlineWarnMs: number;
  nackWindowMs: number;
  nackRateThreshold: number;
  nackMinOutcomes: number;
  stallMs: number;
  stallLookbackMs: number;
  storageLagMs: number;
  anomalyWindowMs: number;
  flagRateThreshold: number;
  flagRateMinScored: number;
}

export const DEFAULT_ALERT_RULES: AlertRulesConfig = {
  intervalMs: 30_000,
  deadlineWarnMs: 2 * 3_600_000,
  nackWindowMs: 15 * 60_000,
  nackRateThreshold: 0.05,
  nackMinOutcomes: 20,
  stallMs: 10 * 60_000,
  stallLookbackMs: 24 * 3_600_000,
  storageLagMs: 60_000,
  anomalyWindowMs: 15 * 60_000,
  flagRateThreshold: 0.05,
  flagRateMinScored: 1000,
};

export interface MonitorProbes {
  /** The engine's current commit lag in ms (how long events have been waiting for a group commit), if it has one. */
  commitLagMs?: () => number | undefined;
  /**
   * When the engine last made each source's events durable (epoch ms), from memory: fresher than the
   * database's newest event of a source only in the instants after a commit, so the rule takes the later one.
   */
  sourceLastSeenMs?: () => ReadonlyMap<string, number>;
  /** Events the scoring has scored and flagged since the engine started (undefined: scoring is off). */
  scoringCounts?: () => { scored: number; flagged: number } | undefined;
}

export class AlertMonitor {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** The scoring counts at the previous evaluation (the flag rate is taken between evaluations). */
  private lastScoring: { scored: number; flagged: number } | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly alerts: AlertService,
    private readonly clock: () => number = Date.now,
    private readonly config: AlertRulesConfig = DEFAULT_ALERT_RULES,
    private readonly probes: MonitorProbes = {},
  ) {}

  start(): void {
    this.timer ??= setInterval(() => {
      this.running ??= this.runOnce().then(() => undefined, (err: unknown) => log('warn', `alert monitor: ${(err as Error).message}`)).finally(() => (this.running = undefined));
    }, this.config.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Evaluates every rule once; returns the candidates that fired. */
  async runOnce(): Promise<AlertCandidate[]> {
    const now = this.clock();
    const fired: AlertCandidate[] = [];
    const rules: [string, AlertCandidate[]][] = [
      ...(await this.deadlines(now)),
      ['nack-rate', await this.nackRate(now)],
      ['stalled-source', await this.stalledSources(now)],
      ['storage-lag', await this.storageLag(now)],
      ['anomaly-flags', await this.anomalyFlags(now)],
      ['anomaly-flag-rate', this.flagRate()],
      ['dead-letters', await this.deadLetters()],
    ];
    for (const [rule, candidates] of rules) {
      for (const c of candidates) await this.alerts.raise(c);
      await this.alerts.resolveExcept(rule, new Set(candidates.map((c) => c.dedupKey)));
      fired.push(...candidates);
    }
    return fired;
  }

  private async deadlines(now: number): Promise<[string, AlertCandidate[]][]> {
    // Unanswered records of open batches whose earliest deadline is near: nothing per record is written.
    const { rows } = await this.pool.query<{ repository: string; regime: string; missed: boolean; n: string; earliest: Date; ids: string[] }>(
      `SELECT repository, regime, due_at <= $1::timestamptz AS missed, count(*) AS n, min(due_at) AS earliest, (array_agg(id ORDER BY due_at))[1:20] AS ids
         FROM submission_unanswered WHERE batch_due_at <= $2::timestamptz AND due_at <= $2::timestamptz
        GROUP BY repository, regime, due_at <= $1::timestamptz`,
      [ts(now), ts(now + this.config.deadlineWarnMs)],
    );
    const missed: AlertCandidate[] = [];
    const risk: AlertCandidate[] = [];
    for (const r of rows) {
      const detail = { repository: r.repository, regime: r.regime, submissions: Number(r.n), earliestDue: r.earliest.toISOString(), sample: r.ids };
      if (r.missed) {
        missed.push({ rule: 'deadline-missed', dedupKey: `deadline-missed:${r.repository}:${r.regime}`, severity: 'critical',
          title: `${r.n} ${r.regime} submission(s) to ${r.repository} missed their deadline`, detail });
      } else {
        risk.push({ rule: 'deadline-risk', dedupKey: `deadline-risk:${r.repository}:${r.regime}`, severity: 'warning',
          title: `${r.n} ${r.regime} submission(s) to ${r.repository} due by ${new Date(now + this.config.deadlineWarnMs).toISOString()} not yet acknowledged`, detail });
      }
    }
    return [['deadline-missed', missed], ['deadline-risk', risk]];
  }

  private async nackRate(now: number): Promise<AlertCandidate[]> {
    const { rows } = await this.pool.query<{ repository: string; nacks: string; total: string }>(
      `SELECT repository, sum(nacks) AS nacks, sum(acks + nacks) AS total
         FROM submission_response WHERE received_at > $1::timestamptz GROUP BY repository HAVING sum(acks + nacks) > 0`,
      [ts(now - this.config.nackWindowMs)],
    );
    const out: AlertCandidate[] = [];
    for (const r of rows) {
      const total = Number(r.total);
      const rate = Number(r.nacks) / total;
      if (total >= this.config.nackMinOutcomes && rate > this.config.nackRateThreshold) {
        out.push({ rule: 'nack-rate', dedupKey: `nack-rate:${r.repository}`, severity: rate > 4 * this.config.nackRateThreshold ? 'critical' : 'warning',
          title: `NACK rate ${(rate * 100).toFixed(1)}% at ${r.repository} over ${Math.round(this.config.nackWindowMs / 60_000)} min`,
          detail: { repository: r.repository, nacks: Number(r.nacks), outcomes: total, rate } });
      }
    }
    return out;
  }

  private async stalledSources(now: number): Promise<AlertCandidate[]> {
    const { rows } = await this.pool.query<{ source_id: string; last: Date | null }>(
      `SELECT f.source_id, (SELECT received_at FROM event_log e WHERE e.source_id = f.source_id ORDER BY seq DESC LIMIT 1) AS last FROM fep_source f`,
    );
    const out: AlertCandidate[] = [];
    const seen = this.probes.sourceLastSeenMs?.();
    for (const r of rows) {
      const last = Math.max(r.last?.getTime() ?? 0, seen?.get(r.source_id) ?? 0);
      if (last === 0) continue;
      const age = now - last;
      if (age > this.config.stallMs && age <= this.config.stallLookbackMs) {
        out.push({ rule: 'stalled-source', dedupKey: `stalled-source:${r.source_id}`, severity: 'warning',
          title: `source ${r.source_id} has sent nothing for ${Math.round(age / 60_000)} min`, detail: { sourceId: r.source_id, lastEventAt: new Date(last).toISOString() } });
      }
    }
    return out;
  }

  private async storageLag(now: number): Promise<AlertCandidate[]> {
    const out: AlertCandidate[] = [];
    const { rows } = await this.pool.query<{ source_id: string; oldest: Date | null; backlog: string }>(
      `SELECT f.source_id, f.durable_seq - COALESCE(c.seq, 0) AS backlog,
              (SELECT received_at FROM event_log e WHERE e.source_id = f.source_id AND e.seq > COALESCE(c.seq, 0) ORDER BY seq LIMIT 1) AS oldest
         FROM fep_source f LEFT JOIN submission_cursor c ON c.source_id = f.source_id`,
    );
    for (const r of rows) {
      if (!r.oldest) continue;
      const age = now - r.oldest.getTime();
      if (age > this.config.storageLagMs) {
        out.push({ rule: 'storage-lag', dedupKey: `storage-lag:intake:${r.source_id}`, severity: 'warning',
          title: `events of ${r.source_id} durable for ${Math.round(age / 1000)} s but not yet submitted`, detail: { sourceId: r.source_id, ageMs: age, backlog: Number(r.backlog) } });
      }
    }
    const commit = this.probes.commitLagMs?.();
    if (commit !== undefined && commit > this.config.storageLagMs) {
      out.push({ rule: 'storage-lag', dedupKey: 'storage-lag:commit', severity: 'critical', title: `store commit lag ${Math.round(commit)} ms`, detail: { commitLagMs: commit } });
    }
    return out;
  }

  private async anomalyFlags(now: number): Promise<AlertCandidate[]> {
    const { rows } = await this.pool.query<{ recent: string; open: string }>(
      `SELECT count(*) FILTER (WHERE created_at > $1::timestamptz) AS recent, count(*) AS open FROM review_item WHERE state = 'open'`,
      [ts(now - this.config.anomalyWindowMs)],
    );
    const recent = Number(rows[0]!.recent);
    if (recent === 0) return [];
    const open = Number(rows[0]!.open);
    return [{ rule: 'anomaly-flags', dedupKey: 'anomaly-flags', severity: 'warning',
      title: `${recent} event(s) flagged as anomalous in the last ${Math.round(this.config.anomalyWindowMs / 60_000)} min; ${open} await review`,
      detail: { flaggedInWindow: recent, openReviewItems: open } }];
  }

  private async deadLetters(): Promise<AlertCandidate[]> {
    const out: AlertCandidate[] = [];
    for (const [follower, n] of await openDeadLetterCounts(this.pool)) {
      out.push({ rule: 'dead-letters', dedupKey: `dead-letters:${follower}`, severity: 'warning',
        title: `${n} event(s) set aside by the ${follower} follower (dead letters): see \`swaprep dead-letters list --follower ${follower}\`, ` +
          'retry with `swaprep dead-letters retry ID|--all` once the cause is fixed',
        detail: { follower, events: n } });
    }
    return out;
  }

  private flagRate(): AlertCandidate[] {
    const counts = this.probes.scoringCounts?.();
    const last = this.lastScoring;
    this.lastScoring = counts;
    // A restarted scoring thread counts from where it left off (the service carries its totals), never backwards.
    if (!counts || !last || counts.scored < last.scored) return [];
    const scored = counts.scored - last.scored;
    const flagged = counts.flagged - last.flagged;
    const rate = scored > 0 ? flagged / scored : 0;
    if (scored < this.config.flagRateMinScored || rate <= this.config.flagRateThreshold) return [];
    return [{ rule: 'anomaly-flag-rate', dedupKey: 'anomaly-flag-rate', severity: 'critical',
      title: `the scoring model flags ${(rate * 100).toFixed(1)}% of events (${flagged} of ${scored} since the last check): it does not fit this data; ` +
        'retrain it on the engine\'s own events (`swaprep train --from db --activate`)',
      detail: { scored, flagged, rate } }];
  }
}
