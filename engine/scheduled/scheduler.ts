/**
 * Runs the configured reports at their times: each entry makes report `kind` at `at` (HH:MM, UTC) every day,
 * for the day `dayOffset` days before (default -1: yesterday's complete day). A report already made by the
 * scheduler for that kind and day is not made again (a restart does not duplicate files).
 *
 * An entry with `deliverTo` (a configured repository's name) also sends the kept file through that repository's
 * channel (delivery.ts); a delivery that failed is tried again at every pass until it succeeds.
 */
import type pg from 'pg';
import { log } from '../log.js';
import type { ReportsConfig } from '../reports/index.js';
import type { RepositoryConfig } from '../submission/types.js';
import { deliverPending, DeliveryTargetError, fileSenderFor, type DeliveryOutcome, type FileSender } from './delivery.js';
import { makeReportFile } from './files.js';
import type { ReportKind } from './kinds.js';

export interface ScheduledReport {
  kind: ReportKind;
  at: string;
  dayOffset?: number;
  /** The configured repository whose channel delivers the file (it is kept under reportsDir as well). */
  deliverTo?: string;
  /** SFTP: the remote directory the file is put in (default `reports`; never the repository's inbox). */
  deliverDir?: string;
}

export interface SchedulerOptions {
  /** The regimes and Part 43 settings a cumulative report's trades owe under (default: the defaults). */
  reports?: ReportsConfig;
  /** The repositories `deliverTo` may name. */
  repositories?: readonly RepositoryConfig[];
  checkEveryMs?: number;
  /** Tests: a sender for a target instead of the repository's channel. */
  senderFor?: (repo: RepositoryConfig, dir: string | undefined) => FileSender;
}

export const SCHEDULER = 'scheduler';

export class ReportScheduler {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private readonly senders = new Map<string, FileSender>();
  private readonly checkEveryMs: number;
  /** Deliveries of the last pass, for tests and logs. */
  lastDeliveries: DeliveryOutcome[] = [];

  constructor(
    private readonly pool: pg.Pool,
    private readonly schedule: readonly ScheduledReport[],
    private readonly dir: string,
    private readonly clock: () => number = Date.now,
    private readonly opts: SchedulerOptions = {},
  ) {
    this.checkEveryMs = opts.checkEveryMs ?? 60_000;
    for (const s of schedule) {
      if (!/^\d{2}:\d{2}$/.test(s.at)) throw new Error(`scheduled report ${s.kind}: at must be HH:MM (UTC), not ${s.at}`);
      if (s.deliverTo !== undefined && !opts.repositories?.some((r) => r.name === s.deliverTo)) {
        throw new DeliveryTargetError(`scheduled report ${s.kind}: deliverTo "${s.deliverTo}" is not a configured repository (${(opts.repositories ?? []).map((r) => r.name).join(', ') || 'none configured'})`);
      }
    }
  }

  start(): void {
    this.timer ??= setInterval(() => void this.runDue().catch((err: unknown) => log('warn', `report scheduler: ${(err as Error).message}`)), this.checkEveryMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const s of this.senders.values()) void s.close().catch(() => undefined);
    this.senders.clear();
  }

  /** Makes every report whose time today has passed and that is not made yet, then delivers what is pending; returns the kinds made. */
  async runDue(): Promise<string[]> {
    if (this.busy) return [];
    this.busy = true;
    try {
      const now = this.clock();
      const today = new Date(now).toISOString().slice(0, 10);
      const made: string[] = [];
      for (const s of this.schedule) {
        if (new Date(now).toISOString().slice(11, 16) < s.at) continue;
        const date = new Date(Date.parse(`${today}T00:00:00Z`) + (s.dayOffset ?? -1) * 86_400_000).toISOString().slice(0, 10);
        const { rows } = await this.pool.query('SELECT 1 FROM report_file WHERE kind = $1 AND report_date = $2 AND created_by = $3', [s.kind, date, SCHEDULER]);
        if (rows.length > 0) continue;
        await makeReportFile(this.pool, s.kind, date, {
          dir: this.dir, createdBy: SCHEDULER, nowMs: now,
          ...(this.opts.reports ? { build: { reports: this.opts.reports } } : {}),
          ...(s.deliverTo !== undefined ? { deliverTo: s.deliverTo } : {}),
        });
        made.push(`${s.kind}@${date}`);
      }
      // Files made by this pass and any an earlier pass failed to deliver.
      this.lastDeliveries = await deliverPending(this.pool, (target) => this.senderOf(target), now);
      return made;
    } finally {
      this.busy = false;
    }
  }

  /** One sender per target, made on first use; the SFTP directory is the first entry's naming that target. */
  private senderOf(target: string): FileSender | undefined {
    let s = this.senders.get(target);
    if (s) return s;
    const repo = this.opts.repositories?.find((r) => r.name === target);
    if (!repo) return undefined;
    const dir = this.schedule.find((e) => e.deliverTo === target && e.deliverDir !== undefined)?.deliverDir;
    s = this.opts.senderFor ? this.opts.senderFor(repo, dir) : fileSenderFor(repo, dir);
    this.senders.set(target, s);
    return s;
  }
}
