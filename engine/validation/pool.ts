/**
 * Validation threads: the stateless half of judging (decoding a report and running the rulebook over it) moved off the
 * main thread, which keeps the sockets, the actors with their trade state, the group commits and the acks. Profiles at
 * 50,000 events/s had that half at about 45% of the main thread's CPU, and the main thread at 94% busy was what
 * held the rate down.
 *
 * Each micro-batch (one FEP frame's new events) goes to a piscina thread and on to the actors when its findings are
 * back, in the order the batches were submitted, whatever order the threads finish in: the actors must see a trade's
 * events in arrival order. A batch whose thread fails goes on unchecked, and the judge then checks it on the main
 * thread (nothing is lost, only slower). The events stay counted as in flight by the ingest hub meanwhile, so its
 * backpressure bounds this queue too.
 */
import type { Piscina } from 'piscina';
import { log } from '../log.js';
import { fixedThreadPool } from '../worker-script.js';
import type { RulebookOptions } from '../rules/index.js';
import type { RoutedEvent } from '../../actors/routed-event.js';
import type { ValidationResult, ValidationTask, ValidationWorkerConfig } from './protocol.js';
import type { Metrics } from '../metrics.js';
import { NO_FINDINGS } from './check-report.js';

interface PendingBatch {
  events: RoutedEvent[];
  done: boolean;
}

export class ValidationPool {
  private readonly pending: PendingBatch[] = [];
  private queuedEvents = 0;
  private lastFailureLogMs = 0;

  private constructor(
    private readonly piscina: Piscina,
    private readonly next: (events: RoutedEvent[]) => void,
    private readonly metrics: Metrics | undefined,
  ) {}

  /**
   * Starts `threads` threads and has them check empty batches first: piscina loads a thread's module, which compiles
   * the rulebook, at its first task, and that should not be the first FEP frame's.
   */
  static async start(options: RulebookOptions, threads: number, next: (events: RoutedEvent[]) => void, metrics?: Metrics): Promise<ValidationPool> {
    const workerData: ValidationWorkerConfig = { regime: options.regime, leiCheck: options.leiCheck };
    // Several batches queued at each thread: with one, a thread that finished a batch sat idle until the main thread
    // (busy with sockets, actors and commits) got round to sending the next, and at 50,000 events/s the batches
    // waiting for it grew to 90,000 events while it used 0.4 of a core.
    const piscina = await fixedThreadPool('engine/validation/worker', threads, workerData, 8);
    piscina.on('error', (err: unknown) => log('warn', `validation thread error: ${err instanceof Error ? err.message : String(err)}`));
    const pool = new ValidationPool(piscina, next, metrics);
    try {
      await Promise.all(Array.from({ length: threads }, () => pool.run([])));
    } catch (err) {
      await piscina.destroy();
      throw new Error(`validation threads could not start: ${(err as Error).message}`);
    }
    return pool;
  }

  /** Events submitted and not yet handed on. */
  get queued(): number {
    return this.queuedEvents;
  }

  /** Checks the batch's reports on a thread, then hands the batch on (after every batch submitted before it). */
  submit(events: RoutedEvent[]): void {
    const batch: PendingBatch = { events, done: false };
    this.pending.push(batch);
    this.queuedEvents += events.length;
    this.metrics?.validationQueueEvents.set(this.queuedEvents);
    this.run(events).then(
      (result) => {
        for (const e of events) e.stateless = NO_FINDINGS;
        for (let k = 0; k < result.flagged.length; k++) events[result.flagged[k]!]!.stateless = result.findings[k];
      },
      (err: unknown) => {
        // Left unchecked (stateless undefined), the judge checks these events itself.
        this.metrics?.validationFallbackEvents.inc(events.length);
        const now = Date.now();
        if (now - this.lastFailureLogMs > 60_000) {
          this.lastFailureLogMs = now;
          log('warn', `a validation thread failed (${err instanceof Error ? err.message : String(err)}); its events are checked on the main thread`);
        }
      },
    ).finally(() => {
      batch.done = true;
      this.release();
    });
  }

  async stop(): Promise<void> {
    await this.piscina.destroy();
  }

  private run(events: readonly RoutedEvent[]): Promise<ValidationResult> {
    let total = 0;
    for (const e of events) total += e.report.length;
    // One copy of the reports, back to back, transferred to the thread: the frames they came in stay here for the COPY.
    const reports = new Uint8Array(total);
    const ends = new Int32Array(events.length);
    let at = 0;
    for (let i = 0; i < events.length; i++) {
      reports.set(events[i]!.report, at);
      at += events[i]!.report.length;
      ends[i] = at;
    }
    const task: ValidationTask = { reports: reports.buffer, ends: ends.buffer };
    return this.piscina.run(task, { transferList: [task.reports, task.ends] }) as Promise<ValidationResult>;
  }

  private release(): void {
    while (this.pending.length > 0 && this.pending[0]!.done) {
      const batch = this.pending.shift()!;
      this.queuedEvents -= batch.events.length;
      this.next(batch.events);
    }
    this.metrics?.validationQueueEvents.set(this.queuedEvents);
  }
}
