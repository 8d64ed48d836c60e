/**
 * An FEP source inside the engine (e.g. `console`, for approved corrections): its events go through the very
 * path of a socket's events (FepSession -> IngestHub -> router -> counterparty actor -> rulebook and lifecycle
 * -> group commit), so they get a seq of their own source, are stored once, judged, acknowledged after COMMIT,
 * and owe submissions like any event.
 *
 * It is a FepSession over an in-memory transport rather than a shortcut into the router: the session's seq
 * checks, resend rules and Result frames then hold for it unchanged. Its token is random per start and never
 * leaves the process (only its hash is stored, as for every source), so nobody outside can speak as it.
 */
import { FepFrame, EventStatus, Severity, type Result } from '../../proto/gen/fep.js';
import { encodeBatch, encodeHello } from '../../loadtest/fep-client.js';
import { newToken, upsertSource } from '../store/sources.js';
import type { IngestHub } from './ingest-hub.js';
import { FepSession } from './session.js';
import type { Transport } from './transport.js';
import type pg from 'pg';

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
  private lastSeq = 0;
  private welcome: { resolve: (seq: number) => void; reject: (e: Error) => void } | undefined;
  private readonly waiting: Waiter[] = [];
  /** Serializes submits: one event per batch, in seq order. */
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(private readonly hub: IngestHub, readonly sourceId: string, private readonly token: string) {}

  /** Registers (or re-keys) the source with a fresh random token. */
  static async create(db: pg.Pool, hub: IngestHub, sourceId = 'console'): Promise<InternalSource> {
    const token = newToken();
    await upsertSource(db, sourceId, token);
    return new InternalSource(hub, sourceId, token);
  }

  /**
   * Sends one report (SwapReport protobuf bytes) as this source's next event and resolves once it is durable,
   * with the rulebook's verdict on it.
   */
  submit(report: Uint8Array): Promise<InternalVerdict> {
    const next = this.chain.then(async () => {
      await this.open();
      const seq = ++this.lastSeq;
      const verdict = new Promise<InternalVerdict>((resolve, reject) => this.waiting.push({ seq, resolve, reject }));
      this.session!.receive([Buffer.from(encodeBatch(seq, [report], Date.now() * 1000))]);
      return verdict;
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  close(): void {
    this.session?.closed();
    this.session = undefined;
  }

  private open(): Promise<void> {
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
