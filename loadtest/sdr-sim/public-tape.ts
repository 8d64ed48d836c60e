/**
 * The simulated SDR's real-time public dissemination (17 CFR part 43): each accepted Part 43 record is published,
 * as soon as technologically practicable after its time delay (§ 43.5, counted from execution), as an anonymous
 * public record with rounded and capped amounts (§ 43.4(d), (f), (g): engine/reports/public-record.ts over the
 * tables of engine/reports/part43-tables.ts). Disseminated entries are appended to a daily file
 * `<stateDir>/public-tape/YYYY-MM-DD.jsonl` (UTC date of dissemination), which GET /v1/public-tape serves, like the
 * daily files SDRs publish of what they disseminated.
 *
 * Clock speed: a delay still to run when the record arrives is waited for `remaining x delayScale` in real time
 * (tests use e.g. 0.001: 15 minutes in 0.9 s); the entry's `delay.notBefore` stays on the rule's clock.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Part43Config } from '../../engine/reports/config.js';
import { createPublicRecordWriter, type PublicRecordWriter } from '../../engine/reports/public-record.js';
import type { SwapReport } from '../../engine/reports/types.js';
import { tradeKeyOf } from '../../engine/record/identity.js';

/** One disseminated record, as the tape and its daily file show it. */
export interface TapeEntry {
  /** The repository's public id of this dissemination (§ 43.4: a dissemination identifier, not the UTI). */
  disseminationId: string;
  /** The first dissemination of the same swap, for an action on a swap already on the tape (CORR, TERM, EROR...). */
  originalDisseminationId: string | null;
  actionType: string | null;
  executionTimestamp: string | null;
  delay: { minutes: number; reason: string; notBefore: string };
  disseminatedAt: string;
  /** The public record (the Part 43 JSON shape: no identities, amounts rounded and capped). */
  record: Record<string, unknown>;
}

export interface PublicTapeOptions {
  part43: Part43Config;
  /** Directory of the daily files (created). */
  dir: string;
  /** Real seconds per rule second for delays still to run (1: real time; 0: no waiting). */
  delayScale: number;
  now?: () => number;
}

/** A tape date that is not YYYY-MM-DD. */
export class PublicTapeError extends Error {
  readonly code = 'TAPE-001';
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** How often disseminated lines are written to the daily file (one write per interval, not per record). */
const FLUSH_MS = 50;

export class PublicTape {
  private readonly write: PublicRecordWriter;
  private readonly now: () => number;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Lines waiting to be appended, per daily file. */
  private readonly buffered = new Map<string, string[]>();
  private readonly flusher: NodeJS.Timeout;
  /** Swap (UTI or USI) -> its first dissemination id. */
  private readonly firstOf = new Map<string, string>();
  private seq = 0;
  readonly stats = { accepted: 0, pending: 0, disseminated: 0, notDisseminable: 0 };

  constructor(private readonly options: PublicTapeOptions) {
    this.write = createPublicRecordWriter(options.part43);
    this.now = options.now ?? (() => Date.now());
    mkdirSync(options.dir, { recursive: true });
    this.flusher = setInterval(() => this.flush(), FLUSH_MS);
    this.flusher.unref();
  }

  get dir(): string {
    return this.options.dir;
  }

  /** Schedules an accepted Part 43 record's dissemination. A record without its decoded report (CSV) is counted, not published. */
  accept(report: SwapReport | undefined): void {
    this.stats.accepted++;
    if (!report) {
      this.stats.notDisseminable++;
      return;
    }
    const receivedAt = this.now();
    const pub = this.write(report, receivedAt);
    const key = tradeKeyOf(report);
    const id = `SIMDISS${String(++this.seq).padStart(10, '0')}`;
    const original = key !== undefined ? this.firstOf.get(key) : undefined;
    if (key !== undefined && original === undefined) this.firstOf.set(key, id);
    const publish = () => {
      const entry: TapeEntry = {
        disseminationId: id,
        originalDisseminationId: original ?? null,
        actionType: report.actionType ?? null,
        executionTimestamp: report.executionTimestamp ?? null,
        delay: { minutes: pub.delay.minutes, reason: pub.delay.reason, notBefore: new Date(pub.disseminateAtMs).toISOString() },
        disseminatedAt: new Date(this.now()).toISOString(),
        // The record text is spliced in as is: its decimals stay exactly as written.
        record: {},
      };
      const line = JSON.stringify(entry).replace('"record":{}', `"record":${pub.record}`);
      const file = entry.disseminatedAt.slice(0, 10);
      let lines = this.buffered.get(file);
      if (!lines) this.buffered.set(file, (lines = []));
      lines.push(line);
      this.stats.disseminated++;
    };
    const remainingMs = pub.disseminateAtMs - receivedAt;
    if (remainingMs <= 0 || this.options.delayScale === 0) return publish();
    this.stats.pending++;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.stats.pending--;
      publish();
    }, remainingMs * this.options.delayScale);
    this.timers.add(timer);
  }

  /** The daily file's path for a date. */
  fileOf(date: string): string {
    if (!DATE.test(date)) throw new PublicTapeError(`date must be YYYY-MM-DD, not ${JSON.stringify(date)}`);
    return join(this.options.dir, `${date}.jsonl`);
  }

  /** What was disseminated on `date` (UTC), as JSON lines text ('' when nothing). */
  linesOf(date: string): string {
    const file = this.fileOf(date);
    this.flush();
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  }

  flush(): void {
    for (const [date, lines] of this.buffered) {
      if (lines.length > 0) appendFileSync(this.fileOf(date), lines.join('\n') + '\n');
    }
    this.buffered.clear();
  }

  /** Writes what was disseminated; records still in their delay are not published (the simulator keeps no queue). */
  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    clearInterval(this.flusher);
    this.flush();
  }
}
