import type { StoredEvent, DurableReceipt, StoredFinding, StoredStatus } from '../store/stored-event.js';

/** What a source's connection is told as its events become durable. */
export interface AckListener {
  acked(upToSeq: number, results: readonly EventResult[]): void;
}

export interface EventResult {
  seq: number;
  status: StoredStatus;
  findings: readonly StoredFinding[];
}

/**
 * One admitted batch of a source: a contiguous seq range whose events may become durable in any order
 * (they travel through different counterparty actors and group commits), so the cumulative ack can only
 * pass it once all of its events are durable.
 */
class BatchReceipt implements DurableReceipt {
  remaining: number;
  readonly results: EventResult[] = [];
  constructor(readonly source: SourceTracker, readonly lastSeq: number, count: number, readonly keepResults: boolean) {
    this.remaining = count;
  }
  settle(event: Pick<StoredEvent, 'seq' | 'status' | 'findings'>): void {
    if (this.keepResults) this.results.push({ seq: event.seq, status: event.status, findings: event.findings });
    this.remaining--;
    if (this.remaining === 0) this.source.batchSettled();
  }
}

/**
 * The engine's view of one FEP source across its connections: the last seq admitted into the pipeline,
 * the last seq durable, and the admitted batches between them (FIFO).
 */
export class SourceTracker {
  lastAdmitted: number;
  lastDurable: number;
  private batches: BatchReceipt[] = [];
  private idleWaiters: (() => void)[] = [];
  listener: AckListener | undefined;

  /** Seqs above the watermark already in the event log (left by a crash); see recoverSourceState. */
  private readonly storedAhead: Set<number>;
  /** Whether lastDurable moved since the store last recorded it. */
  watermarkDirty = false;

  constructor(readonly sourceId: string, lastDurable: number, storedAhead: Set<number> = new Set()) {
    this.lastAdmitted = lastDurable;
    this.lastDurable = lastDurable;
    this.storedAhead = storedAhead;
  }

  /** Whether `seq` is already stored although the watermark has not reached it (takeStoredAhead not called yet). */
  isStoredAhead(seq: number): boolean {
    return this.storedAhead.size > 0 && this.storedAhead.has(seq);
  }

  /** True (once) when `seq` is already stored although the watermark has not reached it. */
  takeStoredAhead(seq: number): boolean {
    return this.storedAhead.size > 0 && this.storedAhead.delete(seq);
  }

  /** Registers a contiguous run of new events and returns the receipt each of them carries. */
  admit(lastSeq: number, count: number, keepResults: boolean): DurableReceipt {
    const receipt = new BatchReceipt(this, lastSeq, count, keepResults);
    this.batches.push(receipt);
    this.lastAdmitted = lastSeq;
    return receipt;
  }

  /** True when nothing admitted is still waiting to become durable. */
  get idle(): boolean {
    return this.batches.length === 0;
  }

  /** Resolves once every admitted event is durable (used before welcoming a new connection). */
  whenIdle(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  batchSettled(): void {
    const results: EventResult[] = [];
    let advanced = false;
    while (this.batches.length > 0 && this.batches[0]!.remaining === 0) {
      const batch = this.batches.shift()!;
      this.lastDurable = batch.lastSeq;
      this.watermarkDirty = true;
      if (batch.keepResults) results.push(...batch.results.sort((a, b) => a.seq - b.seq));
      advanced = true;
    }
    if (!advanced) return;
    this.listener?.acked(this.lastDurable, results);
    if (this.idle) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}
