/**
 * Alerts: raised by rules, deduplicated (one active alert per dedup key; a repeat bumps its count instead of
 * notifying again), rate-limited per notifier (a sliding window: an alert storm must not flood a mailbox or a
 * webhook), acknowledged by users (audited), resolved when their rule stops firing. Deliveries are recorded.
 */
import type pg from 'pg';
import { audit } from '../exceptions/audit.js';
import { log } from '../log.js';
import type { Notifier } from './notifiers.js';
import type { AlertCandidate, AlertSeverity, AlertStatus, AlertView } from './types.js';

export interface AlertServiceOptions {
  /** At most this many deliveries per notifier per window; the rest are recorded as rate_limited. */
  maxPerWindow: number;
  windowMs: number;
}

export const DEFAULT_ALERT_SERVICE: AlertServiceOptions = { maxPerWindow: 20, windowMs: 60_000 };

const RANK: Record<AlertSeverity, number> = { info: 0, warning: 1, critical: 2 };

interface RawAlert {
  id: string; rule: string; dedup_key: string; severity: AlertSeverity; title: string; detail: Record<string, unknown>; status: AlertStatus;
  first_at: Date; last_at: Date; occurrences: number; acknowledged_by: string | null; acknowledged_at: Date | null;
}

const COLUMNS = 'id, rule, dedup_key, severity, title, detail, status, first_at, last_at, occurrences, acknowledged_by, acknowledged_at';

function view(r: RawAlert): AlertView {
  return {
    id: Number(r.id), rule: r.rule, dedupKey: r.dedup_key, severity: r.severity, title: r.title, detail: r.detail, status: r.status,
    firstAt: r.first_at.toISOString(), lastAt: r.last_at.toISOString(), occurrences: r.occurrences, acknowledgedBy: r.acknowledged_by,
    acknowledgedAt: r.acknowledged_at ? r.acknowledged_at.toISOString() : null,
  };
}

export class AlertService {
  private readonly sent = new Map<Notifier, number[]>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly notifiers: readonly Notifier[],
    private readonly clock: () => number = Date.now,
    private readonly options: AlertServiceOptions = DEFAULT_ALERT_SERVICE,
  ) {}

  /**
   * Raises (or repeats) an alert. A new alert, or one whose severity rose, is delivered to every notifier;
   * a repeat only updates it. Returns the alert and whether it was delivered.
   */
  async raise(c: AlertCandidate): Promise<{ alert: AlertView; notified: boolean }> {
    const now = new Date(this.clock()).toISOString();
    const { rows: before } = await this.pool.query<{ severity: AlertSeverity }>(`SELECT severity FROM alert WHERE dedup_key = $1 AND status <> 'resolved'`, [c.dedupKey]);
    const { rows } = await this.pool.query<RawAlert>(
      `INSERT INTO alert (rule, dedup_key, severity, title, detail, first_at, last_at) VALUES ($1, $2, $3, $4, $5::jsonb, $6::timestamptz, $6::timestamptz)
       ON CONFLICT (dedup_key) WHERE status <> 'resolved' DO UPDATE
         SET last_at = EXCLUDED.last_at, occurrences = alert.occurrences + 1, detail = EXCLUDED.detail, title = EXCLUDED.title,
             severity = CASE WHEN EXCLUDED.severity = 'critical' OR alert.severity = 'critical' THEN 'critical'
                             WHEN EXCLUDED.severity = 'warning' OR alert.severity = 'warning' THEN 'warning' ELSE 'info' END
       RETURNING ${COLUMNS}`,
      [c.rule, c.dedupKey, c.severity, c.title, JSON.stringify(c.detail), now],
    );
    const alert = view(rows[0]!);
    const prior = before[0]?.severity;
    const notify = prior === undefined || RANK[alert.severity] > RANK[prior];
    if (notify) await this.deliver(alert);
    return { alert, notified: notify };
  }

  /** Resolves the active alerts of a rule whose keys are not in `stillFiring` (the condition cleared). */
  async resolveExcept(rule: string, stillFiring: ReadonlySet<string>): Promise<number> {
    const res = await this.pool.query(
      `UPDATE alert SET status = 'resolved', resolved_at = $3::timestamptz WHERE rule = $1 AND status <> 'resolved' AND NOT (dedup_key = ANY($2::text[]))`,
      [rule, [...stillFiring], new Date(this.clock()).toISOString()],
    );
    return res.rowCount ?? 0;
  }

  async acknowledge(id: number, user: string): Promise<AlertView | undefined> {
    const now = this.clock();
    const { rows } = await this.pool.query<RawAlert>(
      `UPDATE alert SET status = 'acknowledged', acknowledged_by = $2, acknowledged_at = $3::timestamptz WHERE id = $1 AND status = 'open' RETURNING ${COLUMNS}`,
      [id, user, new Date(now).toISOString()],
    );
    if (!rows[0]) return undefined;
    await audit(this.pool, user, 'alert', id, 'acknowledge', { status: 'open' }, { status: 'acknowledged' }, now);
    return view(rows[0]);
  }

  async list(filter: { status?: AlertStatus | 'active' } = {}): Promise<AlertView[]> {
    const where = filter.status === 'active' ? `WHERE status <> 'resolved'` : filter.status ? 'WHERE status = $1' : '';
    const args = filter.status && filter.status !== 'active' ? [filter.status] : [];
    const { rows } = await this.pool.query<RawAlert>(`SELECT ${COLUMNS} FROM alert ${where} ORDER BY id`, args);
    return rows.map(view);
  }

  private async deliver(alert: AlertView): Promise<void> {
    const now = this.clock();
    for (const n of this.notifiers) {
      const times = (this.sent.get(n) ?? []).filter((t) => t > now - this.options.windowMs);
      this.sent.set(n, times);
      let status: 'sent' | 'failed' | 'rate_limited';
      let error: string | null = null;
      if (times.length >= this.options.maxPerWindow) {
        status = 'rate_limited';
      } else {
        times.push(now);
        try {
          await n.deliver(alert);
          status = 'sent';
        } catch (err) {
          status = 'failed';
          error = (err as Error).message;
          log('warn', `alert ${alert.id} via ${n.channel} ${n.target}: ${error}`);
        }
      }
      await this.pool.query('INSERT INTO alert_delivery (alert_id, channel, target, status, error, at) VALUES ($1, $2, $3, $4, $5, $6::timestamptz)',
        [alert.id, n.channel, n.target, status, error, new Date(now).toISOString()]);
    }
  }
}
