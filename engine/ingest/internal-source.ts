/**
 * An FEP source inside the engine (e.g. `console`, for approved corrections): its events go through the very
 * path of a socket's events (FepSession -> IngestHub -> router -> counterparty actor -> rulebook and lifecycle
 * -> group commit), so they get a seq of their own source, are stored once, judged, acknowledged after COMMIT,
 * and owe submissions like any event.
 *
 * It is a FepSession over an in-memory transport rather than a shortcut into the router: the session's seq
 * checks, resend rules and Result frames then hold for it unchanged. Its token is random per start and never
 * leaves the process (only its hash is stored, as for every source), so nobody outside can speak as it.
 *
 * Exactly once: an event is sent at a seq its caller has recorded durably beforehand (`submitAt`), so that after a
 * crash the caller knows which seq carries its event, and a resend at that seq is stored once ((source_id, seq)
 * is the event log's key). A seq at or below what the engine already holds is not sent again: its stored
 * verdict is read back instead.
 */
import { FepFrame, EventStatus, Severity, type Result } from '../../proto/gen/fep.js';
import { encodeBatch, encodeHello } from '../../loadtest/fep-client.js';
import { newToken, upsertSource } from '../store/sources.js';
import type { IngestHub } from './ingest-hub.js';
import { FepSession } from './session.js';
import type { Transport } from './transport.js';
import type pg from 'pg';

/** The seq a caller reserved is held by an event other than its own (its own was then never stored). */
export class SeqTakenError extends Error {
  override readonly name = 'SeqTakenError';
  constructor(readonly sourceId: string, readonly seq: number) {
    super(`internal source ${sourceId}: seq ${seq} holds another event`);
  }
}

export interface InternalVerdict {
  sourceId: string;
  seq: number;
  status: 'accepted' | 'accepted_with_warnings' | 'rejected';
  findings: { rule: string; element: string; path: string; severity: 'error' | 'warning'; message: string }[];
}

interface Waiter {
  seq: number;
  resolve: (v: InternalVerdict) => void;
  reject: (e: Error) => void;
}

const STATUS: Record<number, InternalVerdict['status']> = {
  [EventStatus.EVENT_STATUS_ACCEPTED]: 'accepted',
  [EventStatus.EVENT_STATUS_ACCEPTED_WITH_WARNINGS]: 'accepted_with_warnings',
  [EventStatus.EVENT_STATUS_REJECTED]: 'rejected',
};

export class InternalSource {
  private session: FepSession | undefined;
  private opening: Promise<void> | undefined;
  /** Every seq up to this one is durable (from Welcome, then from this process's own events). */
  private lastSeq = 0;
  private closedForGood = false;
  private welcome: { resolve: (seq: number) => void; reject: (e: Error) => void } | undefined;
  private readonly waiting: Waiter[] = [];
  /** Serializes submits: one event per batch, in seq order. */
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(private readonly db: pg.Pool, private readonly hub: IngestHub, readonly sourceId: string, private readonly token: string) {}

  /** Registers (or re-keys) the source with a fresh random token. */
  static async create(db: pg.Pool, hub: IngestHub, sourceId = 'console'): Promise<InternalSource> {
    const token = newToken();
    await upsertSource(db, sourceId, token);
    return new InternalSource(db, hub, sourceId, token);
  }

  /**
   * Sends one report (SwapReport protobuf bytes) as this source's event at a seq the caller recorded first, and
   * resolves once it is durable, with the rulebook's verdict on it.
   *
   * `seqFor(next)` runs when this source is open and nothing else of it is in flight; `next` is the seq a new
   * event gets. It returns the seq to send at: `next` once it has recorded (committed) it, or a seq it recorded
   * at an earlier try, or undefined when there is nothing to send (then submitAt resolves undefined). A seq
   * already durable is not sent again: the stored event's verdict is returned, provided it holds these very
   * bytes (else SeqTakenError). A seq above `next` would leave a hole and is refused.
   */
  submitAt(seqFor: (next: number) => Promise<number | undefined>, report: Uint8Array): Promise<InternalVerdict | undefined> {
    const next = this.chain.then(async (): Promise<InternalVerdict | undefined> => {
      await this.open();
      const seq = await seqFor(this.lastSeq + 1);
      if (seq === undefined) return undefined;
      if (seq <= this.lastSeq) return this.storedVerdict(seq, report);
      if (seq !== this.lastSeq + 1) throw new Error(`internal source ${this.sourceId}: seq ${seq} would skip ahead of ${this.lastSeq + 1}`);
      if (!this.session?.isOpen) throw new Error(`internal source ${this.sourceId}: the session closed`);
      this.lastSeq = seq;
      const verdict = new Promise<InternalVerdict>((resolve, reject) => this.waiting.push({ seq, resolve, reject }));
      this.session.receive([Buffer.from(encodeBatch(seq, [report], Date.now() * 1000))]);
      return verdict;
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Closes the session for good (the engine is stopping): what waits for a verdict fails, later submits too. */
  close(): void {
    this.closedForGood = true;
    const session = this.session;
    this.failAll(new Error(`internal source ${this.sourceId}: closed`));
    session?.closed();
  }

  /** The verdict of an event this source stored earlier (a resend after a crash or a lost session). */
  private async storedVerdict(seq: number, report: Uint8Array): Promise<InternalVerdict> {
    const { rows } = await this.db.query<{ status: InternalVerdict['status']; report: Buffer }>(
      'SELECT status, report FROM event_log WHERE source_id = $1 AND seq = $2', [this.sourceId, seq]);
    const stored = rows[0];
    // Every seq up to lastSeq is durable: no row would mean another writer of this source; either way not ours.
    if (!stored || !Buffer.from(report).equals(stored.report)) throw new SeqTakenError(this.sourceId, seq);
    const { rows: findings } = await this.db.query<InternalVerdict['findings'][number]>(
      'SELECT rule, element, path, severity, message FROM finding WHERE source_id = $1 AND seq = $2', [this.sourceId, seq]);
    return { sourceId: this.sourceId, seq, status: stored.status, findings };
  }

  private open(): Promise<void> {
    if (this.closedForGood) return Promise.reject(new Error(`internal source ${this.sourceId}: closed`));
    if (this.session?.isOpen) return Promise.resolve();
    this.opening ??= new Promise<number>((resolve, reject) => {
      this.welcome = { resolve, reject };
      this.session = new FepSession(this.transport(), this.hub);
      if (!this.hub.register(this.session)) reject(new Error(`internal source ${this.sourceId}: the engine is stopping`));
      else this.session.receive([Buffer.from(encodeHello(this.sourceId, this.token, true))]);
    }).then((lastAcked) => {
      this.lastSeq = lastAcked;
    }).finally(() => {
      this.opening = undefined;
      this.welcome = undefined;
    });
    return this.opening;
  }

  private transport(): Transport {
    return {
      kind: 'tcp',
      peer: `internal:${this.sourceId}`,
      send: (frames) => {
        for (const f of frames) this.onFrame(FepFrame.decode(f));
        return true;
      },
      onceDrained: (cb) => cb(),
      // Nothing to pause: a caller awaits each submit, so at most one event is in flight.
      pause: () => undefined,
      resume: () => undefined,
      close: () => this.failAll(new Error(`internal source ${this.sourceId}: the session closed`)),
    };
  }

  private onFrame(frame: FepFrame): void {
    const k = frame.kind;
    if (!k) return;
    if (k.$case === 'welcome') this.welcome?.resolve(Number(k.value.lastAckedSeq));
    else if (k.$case === 'result') this.settle(k.value);
    else if (k.$case === 'error') this.failAll(new Error(`internal source ${this.sourceId}: ${k.value.message}`));
  }

  /** A Result frame follows the Ack that made its event durable. */
  private settle(r: Result): void {
    const i = this.waiting.findIndex((w) => w.seq === Number(r.seq));
    if (i < 0) return;
    const [w] = this.waiting.splice(i, 1);
    w!.resolve({
      sourceId: this.sourceId, seq: w!.seq, status: STATUS[r.status] ?? 'rejected',
      findings: r.findings.map((f) => ({ rule: f.rule, element: f.element, path: f.path, severity: f.severity === Severity.SEVERITY_ERROR ? 'error' : 'warning', message: f.message })),
    });
  }

  private failAll(err: Error): void {
    this.welcome?.reject(err);
    for (const w of this.waiting.splice(0)) w.reject(err);
    this.session = undefined;
  }
}
