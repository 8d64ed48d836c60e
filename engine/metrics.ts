import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { deadLettersTotal, type Follower } from './store/dead-letters.js';

/** What the scoring service last reported (its thread reports about once a second). */
export interface ScoringCounts {
  queued: number;
  inflightBatches: number;
  scored: number;
  flagged: number;
  notScored: number;
}

/**
 * The engine's Prometheus metrics. One registry per engine instance so tests can run several engines
 * in one process without their counters mixing. `scoring` is read at each scrape when scoring runs;
 * `openDeadLetters` (openDeadLetterCounts on the engine's pool) likewise, when given.
 */
export function createMetrics(scoring?: () => ScoringCounts | undefined, openDeadLetters?: () => Promise<ReadonlyMap<Follower, number>>) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'swaprep_process_' });
  const m = {
    registry,
    eventsReceived: new Counter({ name: 'swaprep_events_received_total', help: 'Events received from FEP sources (new and resent)', registers: [registry] }),
    eventsDuplicate: new Counter({ name: 'swaprep_events_duplicate_total', help: 'Resent events already durable, acknowledged again and not stored', registers: [registry] }),
    eventsStored: new Counter({ name: 'swaprep_events_stored_total', help: 'Events committed to the event log', labelNames: ['status'] as const, registers: [registry] }),
    eventsAcked: new Counter({ name: 'swaprep_events_acked_total', help: 'Events covered by acknowledgements sent to FEP sources', registers: [registry] }),
    eventsRejected: new Counter({ name: 'swaprep_events_rejected_total', help: 'Events stored with status rejected', registers: [registry] }),
    findings: new Counter({ name: 'swaprep_findings_total', help: 'Validation findings by rule and severity', labelNames: ['rule', 'severity'] as const, registers: [registry] }),
    protocolErrors: new Counter({ name: 'swaprep_protocol_errors_total', help: 'Connections closed for a protocol violation', labelNames: ['code'] as const, registers: [registry] }),
    groupCommitRows: new Histogram({ name: 'swaprep_group_commit_rows', help: 'Events per group commit', buckets: [1, 10, 100, 500, 1000, 2500, 5000, 10000, 20000], registers: [registry] }),
    groupCommitSeconds: new Histogram({ name: 'swaprep_group_commit_seconds', help: 'Time from starting a group commit to COMMIT returning', buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers: [registry] }),
    groupCommitRetries: new Counter({ name: 'swaprep_group_commit_retries_total', help: 'Group commits retried after a database error', registers: [registry] }),
    inflightEvents: new Gauge({ name: 'swaprep_inflight_events', help: 'Events received and not yet durable (bounded; sockets pause at the limit)', registers: [registry] }),
    validationQueueEvents: new Gauge({ name: 'swaprep_validation_queue_events', help: 'Events on or waiting for the validation threads, before their actors', registers: [registry] }),
    validationFallbackEvents: new Counter({ name: 'swaprep_validation_fallback_events_total', help: 'Events whose validation thread failed, checked on the main thread instead', registers: [registry] }),
    storeQueueRows: new Gauge({ name: 'swaprep_store_queue_rows', help: 'Events waiting for the next group commit', registers: [registry] }),
    connections: new Gauge({ name: 'swaprep_fep_connections', help: 'Open FEP connections', labelNames: ['transport'] as const, registers: [registry] }),
    pausedConnections: new Gauge({ name: 'swaprep_fep_paused_connections', help: 'FEP connections paused by backpressure', registers: [registry] }),
    projectedEvents: new Counter({ name: 'swaprep_projected_events_total', help: "Events the console's trade projector has applied to trade_current", registers: [registry] }),
    projectionLag: new Gauge({ name: 'swaprep_projection_lag_events', help: "Durable events not yet in the console's trade projection, all sources (its lists show older trades meanwhile)", registers: [registry] }),
    counterpartyActors: new Gauge({ name: 'swaprep_counterparty_actors', help: 'Live counterparty actors (idle ones are passivated)', registers: [registry] }),
  };
  // Counted where events are set aside, process-wide (all threads: see engine/store/dead-letters.ts).
  registry.registerMetric(deadLettersTotal);
  if (openDeadLetters) {
    new Gauge({
      name: 'swaprep_dead_letters_open', help: 'Events set aside in dead_letter and not yet resolved (open or waiting for their retry), by follower', labelNames: ['follower'] as const, registers: [registry],
      async collect() {
        try {
          const counts = await openDeadLetters();
          this.reset();
          for (const [follower, n] of counts) this.set({ follower }, n);
        } catch {
          // The database is unreachable: keep the last values rather than fail the whole scrape.
        }
      },
    });
  }
  if (scoring) {
    new Gauge({
      name: 'swaprep_scoring_queued_events', help: 'Durable events waiting to be scored (features, a batch slot, or their source order)', registers: [registry],
      collect() { this.set(scoring()?.queued ?? 0); },
    });
    new Gauge({
      name: 'swaprep_scoring_inflight_batches', help: 'Scoring batches on the worker pool', registers: [registry],
      collect() { this.set(scoring()?.inflightBatches ?? 0); },
    });
    // Counted by the scoring thread; each scrape adds what it counted since the last one.
    const seen = { scored: 0, flagged: 0, notScored: 0 };
    new Counter({
      name: 'swaprep_scored_events_total', help: 'Events the scoring thread has finished with, by outcome (flagged ones are also counted as scored; a score whose write failed is left to the catch-up sweep)', labelNames: ['outcome'] as const, registers: [registry],
      collect() {
        const s = scoring();
        if (!s) return;
        for (const [key, outcome] of [['scored', 'scored'], ['flagged', 'flagged'], ['notScored', 'not_scored']] as const) {
          if (s[key] > seen[key]) this.inc({ outcome }, s[key] - seen[key]);
          seen[key] = s[key];
        }
      },
    });
  }
  return m;
}

export type Metrics = ReturnType<typeof createMetrics>;
