/**
 * The delivery path on /metrics: what is owed and not yet delivered, how old it is, what the repositories
 * answered, deadlines, and how long a batch takes to send. Gauges are read from the database at each scrape
 * (open batches are few rows; the intake's lag is one row per source), so they tell the truth even when a loop
 * that would update them is stuck.
 */
import type pg from 'pg';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { DispatcherHooks } from './dispatcher.js';

export interface DeliveryMetrics {
  /** Hooks for the dispatcher: outcomes, NACK codes, send latency. */
  hooks: Pick<DispatcherHooks, 'onOutcomes' | 'onSend' | 'onUndeliverable'>;
}

/** How far ahead of a deadline a submission counts as at risk (as the console's dashboard and the alert rule). */
const AT_RISK_MS = 3_600_000;

export function registerDeliveryMetrics(registry: Registry, pool: pg.Pool, clock: () => number = Date.now): DeliveryMetrics {
  const outcomes = new Counter({ name: 'swaprep_submission_outcomes_total', help: 'Records answered by a repository, by outcome (duplicates: answers for records already answered)', labelNames: ['repository', 'regime', 'outcome'] as const, registers: [registry] });
  const nackCodes = new Counter({ name: 'swaprep_submission_nack_codes_total', help: 'NACK error codes received, by repository and code', labelNames: ['repository', 'code'] as const, registers: [registry] });
  const undeliverable = new Counter({ name: 'swaprep_submission_undeliverable_total', help: 'Records whose batch failed for good (retries exhausted or refused)', labelNames: ['repository'] as const, registers: [registry] });
  const sendSeconds = new Histogram({ name: 'swaprep_submission_batch_send_seconds', help: 'Time to send one batch (upload or request, and the answer when it comes with it)', labelNames: ['repository', 'result'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [registry] });

  new Gauge({
    name: 'swaprep_submission_backlog_records',
    help: 'Records owed and not yet answered, by repository, regime and state (unsent: waiting to be sent; unanswered: sent, no answer yet; unrouted: no repository configured)',
    labelNames: ['repository', 'regime', 'state'] as const, registers: [registry],
    async collect() {
      this.reset();
      const { rows } = await pool.query<{ repository: string; regime: string; status: string; n: string }>(
        `SELECT repository, regime, status, sum(records - acks - nacks) AS n FROM submission_batch WHERE status IN ('pending', 'sent') GROUP BY 1, 2, 3`);
      for (const r of rows) {
        const state = r.repository === '' ? 'unrouted' : r.status === 'pending' ? 'unsent' : 'unanswered';
        this.inc({ repository: r.repository, regime: r.regime, state }, Number(r.n));
      }
    },
  });
  new Gauge({
    name: 'swaprep_submission_oldest_seconds',
    help: 'Age of the oldest record not yet sent (state unsent, since it was made) and of the oldest sent and not yet answered (state unanswered, since it was sent), by repository',
    labelNames: ['repository', 'state'] as const, registers: [registry],
    async collect() {
      this.reset();
      const { rows } = await pool.query<{ repository: string; unsent: Date | null; unanswered: Date | null }>(
        `SELECT repository, min(created_at) FILTER (WHERE status = 'pending') AS unsent, min(sent_at) FILTER (WHERE status = 'sent') AS unanswered
           FROM submission_batch WHERE status IN ('pending', 'sent') GROUP BY 1`);
      const now = clock();
      for (const r of rows) {
        if (r.unsent) this.set({ repository: r.repository, state: 'unsent' }, Math.max(0, (now - r.unsent.getTime()) / 1000));
        if (r.unanswered) this.set({ repository: r.repository, state: 'unanswered' }, Math.max(0, (now - r.unanswered.getTime()) / 1000));
      }
    },
  });
  new Gauge({
    name: 'swaprep_submission_intake_lag_events',
    help: 'Durable events the submission intake has not yet taken (a stuck intake shows here)',
    registers: [registry],
    async collect() {
      const { rows } = await pool.query<{ n: string | null }>(
        `SELECT sum(GREATEST(f.durable_seq - COALESCE(c.seq, 0), 0)) AS n FROM fep_source f LEFT JOIN submission_cursor c ON c.source_id = f.source_id`);
      this.set(Number(rows[0]?.n ?? 0));
    },
  });
  new Gauge({
    name: 'swaprep_submission_deadlines',
    help: 'Records not yet answered whose reporting deadline has passed (missed) or comes within the hour (at_risk)',
    labelNames: ['state'] as const, registers: [registry],
    async collect() {
      const now = clock();
      const { rows } = await pool.query<{ missed: string; at_risk: string }>(
        `SELECT count(*) FILTER (WHERE due_at <= $1::timestamptz) AS missed, count(*) FILTER (WHERE due_at > $1::timestamptz) AS at_risk
           FROM submission_unanswered WHERE batch_due_at <= $2::timestamptz AND due_at <= $2::timestamptz`,
        [new Date(now).toISOString(), new Date(now + AT_RISK_MS).toISOString()]);
      this.set({ state: 'missed' }, Number(rows[0]?.missed ?? 0));
      this.set({ state: 'at_risk' }, Number(rows[0]?.at_risk ?? 0));
    },
  });

  return {
    hooks: {
      onOutcomes: (repository, regime, acks, nacks, duplicates, codes) => {
        const labels = { repository, regime: regime ?? 'unknown' };
        if (acks > 0) outcomes.inc({ ...labels, outcome: 'ACK' }, acks);
        if (nacks > 0) outcomes.inc({ ...labels, outcome: 'NACK' }, nacks);
        if (duplicates > 0) outcomes.inc({ ...labels, outcome: 'duplicate' }, duplicates);
        for (const code of codes) nackCodes.inc({ repository, code });
      },
      onSend: (repository, seconds, ok) => sendSeconds.observe({ repository, result: ok ? 'taken' : 'failed' }, seconds),
      onUndeliverable: (repository, ids) => undeliverable.inc({ repository }, ids.length),
    },
  };
}
