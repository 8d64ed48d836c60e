/**
 * Runs the configured reports at their times: each entry makes report `kind` at `at` (HH:MM, UTC) every day,
 * for the day `dayOffset` days before (default -1: yesterday's complete day). A report already made by the
 * scheduler for that kind and day is not made again (a restart does not duplicate files).
 */
import type pg from 'pg';
import { log } from '../log.js';
import { makeReportFile } from './files.js';
import type { ReportKind } from './kinds.js';

export interface ScheduledReport {
  kind: ReportKind;
  at: string;
  dayOffset?: number;
}

export const SCHEDULER = 'scheduler';

export class ReportScheduler {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly schedule: readonly ScheduledReport[],
    private readonly dir: string,
    private readonly clock: () => number = Date.now,
    private readonly checkEveryMs = 60_000,
  ) {
    for (const s of schedule) if (!/^\d{2}:\d{2}$/.test(s.at)) throw new Error(`scheduled report ${s.kind}: at must be HH:MM (UTC), not ${s.at}`);
  }

  start(): void {
    this.timer ??= setInterval(() => void this.runDue().catch((err: unknown) => log('warn', `report scheduler: ${(err as Error).message}`)), this.checkEveryMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Makes every report whose time today has passed and that is not made yet; returns the kinds made. */
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
        await makeReportFile(this.pool, s.kind, date, { dir: this.dir, createdBy: SCHEDULER, nowMs: now });
        made.push(`${s.kind}@${date}`);
      }
      return made;
    } finally {
      this.busy = false;
    }
  }
}
