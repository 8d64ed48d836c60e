/**
 * The console's live state, computed once per tick for every client together: the dashboard (engine metrics and
 * a few indexed SQL aggregates), FEP sources, and the exception / review / alert summaries. Each result is handed
 * to `publish`, which sends it to subscribed WebSocket clients when it changed.
 */
import type pg from 'pg';
import type { AlertsSummary, DashboardSnapshot, ExceptionsSummary, ListResponse, ReviewSummary, SourceItem, WsTopic, WsTopicData } from '../api/contract.js';
import type { ConsoleDeps } from './deps.js';
import type { DataVersion } from './data-version.js';
import { ALERT_COLUMNS, toAlertItem, type RawAlert } from './queries/rows.js';
import { log } from '../../engine/log.js';

type Publish = <K extends WsTopic>(topic: K, data: WsTopicData[K]) => void;

interface MetricValue { value: number; labels: Partial<Record<string, string | number>>; metricName?: string }
async function values(metric: { get(): Promise<{ values: MetricValue[] }> | { values: MetricValue[] } } | undefined): Promise<MetricValue[]> {
  return metric ? (await metric.get()).values : [];
}
const total = (vs: MetricValue[]) => vs.reduce((s, v) => s + v.value, 0);

/** Quantile from cumulative histogram bucket deltas (upper bound of the bucket holding it), in ms. */
function quantile(buckets: { le: number; count: number }[], q: number): number | null {
  const n = buckets.length ? buckets[buckets.length - 1]!.count : 0;
  if (n <= 0) return null;
  const target = q * n;
  for (const b of buckets) if (b.count >= target) return Number.isFinite(b.le) ? b.le * 1000 : null;
  return null;
}

export class LiveState {
  private last: { at: number; received: number; stored: number; buckets: Map<number, number>; sum: number; count: number } | undefined;
  private readonly sourceSeen = new Map<string, { admitted: number; durable: number; at: number; lastAckAt: number | null; rate: number }>();
  private dashboard: DashboardSnapshot | undefined;
  private summariesVersion = -1;
  private summariesAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;

  constructor(
    private readonly deps: ConsoleDeps,
    private readonly version: DataVersion,
    private readonly publish: Publish,
    /** Whether any WebSocket client listens: without one a tick only polls the data version. */
    private readonly listened: () => boolean = () => true,
  ) {}

  start(tickMs: number): void {
    const tick = () => {
      this.ticking ??= this.tick().catch((err: unknown) => log('warn', `console live state: ${(err as Error).message}`)).finally(() => {
        this.ticking = undefined;
      });
    };
    tick();
    this.timer = setInterval(tick, tickMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
  }

  /** The latest dashboard (computed now when no tick made one in the last second). */
  async snapshot(): Promise<DashboardSnapshot> {
    if (this.dashboard && Date.now() - Date.parse(this.dashboard.at) < 1000) return this.dashboard;
    return (this.dashboard = await this.computeDashboard());
  }

  async tick(): Promise<void> {
    await this.version.poll(this.deps.pool);
    if (!this.listened()) {
      this.summariesAt = 0; // the next listener gets fresh summaries at once
      return;
    }
    this.dashboard = await this.computeDashboard();
    this.publish('dashboard', this.dashboard);
    this.publish('sources', await this.sources());
    this.publish('data', { dataVersion: this.version.value });
    const now = Date.now();
    if (this.summariesVersion !== this.version.value || now - this.summariesAt > 5000) {
      this.summariesVersion = this.version.value;
      this.summariesAt = now;
      const [e, r, a] = await Promise.all([this.exceptions(), this.review(), this.alerts()]);
      this.publish('exceptions', e);
      this.publish('review', r);
      this.publish('alerts', a);
    }
  }

  async computeDashboard(): Promise<DashboardSnapshot> {
    const m = this.deps.metrics;
    const now = (this.deps.clock ?? Date.now)();
    const [received, stored, rejected, findings, commit, inflight, queue, conns, paused, actors] = await Promise.all([
      values(m?.eventsReceived), values(m?.eventsStored), values(m?.eventsRejected), values(m?.findings), values(m?.groupCommitSeconds),
      values(m?.inflightEvents), values(m?.storeQueueRows), values(m?.connections), values(m?.pausedConnections), values(m?.counterpartyActors),
    ]);
    const buckets = new Map<number, number>();
    let sum = 0;
    let count = 0;
    for (const v of commit) {
      if (v.metricName?.endsWith('_bucket')) buckets.set(v.labels.le === '+Inf' ? Infinity : Number(v.labels.le), v.value);
      else if (v.metricName?.endsWith('_sum')) sum = v.value;
      else if (v.metricName?.endsWith('_count')) count = v.value;
    }
    const prev = this.last;
    const dt = prev ? Math.max(0.001, (now - prev.at) / 1000) : 0;
    const deltas = [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([le, c]) => ({ le, count: c - (prev?.buckets.get(le) ?? 0) }));
    const dCount = count - (prev?.count ?? 0);
    this.last = { at: now, received: total(received), stored: total(stored), buckets, sum, count };

    const { rows } = await this.deps.pool.query<{ pending: string; sent: string; review_open: string; exc_open: string; corr_pending: string; acked: string; nacked: string; at_risk: string; missed: string; next: { id: string; trade_key: string | null; due_at: string }[] }>(
      `WITH due AS (
         -- Unanswered records of open batches due within the hour (the batch's earliest deadline bounds the search).
         SELECT id, trade_key, due_at FROM submission_unanswered WHERE batch_due_at < $2::timestamptz AND due_at < $2::timestamptz)
       SELECT (SELECT COALESCE(sum(records - acks - nacks), 0) FROM submission_batch WHERE status = 'pending') AS pending,
              (SELECT COALESCE(sum(records - acks - nacks), 0) FROM submission_batch WHERE status = 'sent') AS sent,
              (SELECT count(*) FROM review_item WHERE state = 'open') AS review_open,
              (SELECT count(*) FROM exception WHERE status <> 'closed') AS exc_open,
              (SELECT count(*) FROM correction WHERE status = 'pending_approval') AS corr_pending,
              (SELECT COALESCE(sum(acks), 0) FROM submission_response WHERE received_at >= $1::timestamptz) AS acked,
              (SELECT COALESCE(sum(nacks), 0) FROM submission_response WHERE received_at >= $1::timestamptz) AS nacked,
              (SELECT count(*) FROM due WHERE due_at >= $3::timestamptz) AS at_risk,
              (SELECT count(*) FROM due WHERE due_at < $3::timestamptz) AS missed,
              (SELECT COALESCE(json_agg(x), '[]') FROM (SELECT id, trade_key, due_at FROM due ORDER BY due_at LIMIT 5) x) AS next`,
      [new Date(now - 3600_000).toISOString(), new Date(now + 3600_000).toISOString(), new Date(now).toISOString()]);
    const a = rows[0]!;
    const next = a.next.map((r) => ({ id: r.id, trade_key: r.trade_key, due_at: new Date(r.due_at) }));
    const acked = Number(a.acked);
    const nacked = Number(a.nacked);
    const ep = this.deps.enginePool;
    return {
      at: new Date(now).toISOString(),
      ingest: {
        receivedPerSecond: prev ? Math.max(0, (total(received) - prev.received) / dt) : 0,
        storedPerSecond: prev ? Math.max(0, (total(stored) - prev.stored) / dt) : 0,
        receivedTotal: total(received), storedTotal: total(stored), rejectedTotal: total(rejected),
      },
      ackLatencyMs: prev && dCount > 0
        ? { p50: quantile(deltas, 0.5), p99: quantile(deltas, 0.99), mean: ((sum - prev.sum) / dCount) * 1000 }
        : { p50: null, p99: null, mean: null },
      queues: {
        inflightEvents: total(inflight), storeQueueRows: total(queue), submissionsPending: Number(a.pending), submissionsSent: Number(a.sent),
        reviewOpen: Number(a.review_open), exceptionsOpen: Number(a.exc_open), correctionsPending: Number(a.corr_pending),
      },
      pool: {
        dbTotal: ep?.totalCount ?? 0, dbIdle: ep?.idleCount ?? 0, dbWaiting: ep?.waitingCount ?? 0,
        fepConnections: total(conns), pausedConnections: total(paused), counterpartyActors: total(actors),
      },
      findingsByRule: findings.map((f) => ({ rule: String(f.labels.rule), severity: f.labels.severity === 'warning' ? 'warning' as const : 'error' as const, count: f.value }))
        .sort((x, y) => y.count - x.count).slice(0, 50),
      nack: { windowMinutes: 60, acked, nacked, rate: acked + nacked > 0 ? nacked / (acked + nacked) : null },
      deadlines: { atRisk: Number(a.at_risk), missed: Number(a.missed), next: next.map((n) => ({ submissionId: n.id, tradeKey: n.trade_key, dueAt: n.due_at.toISOString() })) },
      dataVersion: this.version.value,
    };
  }

  async sources(): Promise<ListResponse<SourceItem>> {
    const now = Date.now();
    const live = new Map((this.deps.sources?.() ?? []).map((s) => [s.sourceId, s]));
    const { rows } = await this.deps.pool.query<{ source_id: string; created_at: Date; durable_seq: string }>('SELECT source_id, created_at, durable_seq FROM fep_source ORDER BY source_id');
    const items = rows.map((r): SourceItem => {
      const l = live.get(r.source_id);
      const durable = Math.max(Number(r.durable_seq), l?.lastDurable ?? 0);
      const seen = this.sourceSeen.get(r.source_id);
      const admitted = l?.lastAdmitted ?? durable;
      let rate = seen?.rate ?? 0;
      let lastAckAt = seen?.lastAckAt ?? null;
      if (seen) {
        const dt = (now - seen.at) / 1000;
        if (dt > 0.2) rate = Math.max(0, (admitted - seen.admitted) / dt);
        if (durable > seen.durable) lastAckAt = now;
      }
      this.sourceSeen.set(r.source_id, { admitted, durable, at: now, lastAckAt, rate });
      return {
        sourceId: r.source_id, createdAt: r.created_at.toISOString(), connected: l?.connected ?? false, eventsPerSecond: rate,
        lastAdmittedSeq: l ? l.lastAdmitted : null, lastAckedSeq: durable, lastAckAt: lastAckAt === null ? null : new Date(lastAckAt).toISOString(),
        pending: l ? Math.max(0, l.lastAdmitted - l.lastDurable) : 0,
      };
    });
    return { items };
  }

  async exceptions(): Promise<ExceptionsSummary> {
    const { rows } = await this.deps.pool.query<{ status: string; kind: string; n: string }>(
      `SELECT status, kind, count(*) AS n FROM exception WHERE status <> 'closed' GROUP BY status, kind`);
    const { rows: c } = await this.deps.pool.query<{ n: string }>(`SELECT count(*) AS n FROM correction WHERE status = 'pending_approval'`);
    const out: ExceptionsSummary = { open: 0, correcting: 0, byKind: { nack: 0, validation: 0, undeliverable: 0 }, correctionsPending: Number(c[0]!.n) };
    for (const r of rows) {
      if (r.status === 'open') out.open += Number(r.n);
      else out.correcting += Number(r.n);
      out.byKind[r.kind as keyof ExceptionsSummary['byKind']] += Number(r.n);
    }
    return out;
  }

  async review(): Promise<ReviewSummary> {
    const { rows } = await this.deps.pool.query<{ n: string }>(`SELECT count(*) AS n FROM review_item WHERE state = 'open'`);
    return { open: Number(rows[0]!.n) };
  }

  async alerts(): Promise<AlertsSummary> {
    const { rows } = await this.deps.pool.query<RawAlert>(`SELECT ${ALERT_COLUMNS} FROM alert WHERE status <> 'resolved' ORDER BY id DESC LIMIT 20`);
    const { rows: n } = await this.deps.pool.query<{ open: string; ack: string }>(
      `SELECT count(*) FILTER (WHERE status = 'open') AS open, count(*) FILTER (WHERE status = 'acknowledged') AS ack FROM alert WHERE status <> 'resolved'`);
    return { open: Number(n[0]!.open), acknowledged: Number(n[0]!.ack), latest: rows.map(toAlertItem) };
  }
}

export type { Publish };
