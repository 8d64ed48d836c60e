/**
 * One FEP source of the kill rounds: its own seeded flow of trades with lifecycles (NEWT, then MODI, VALU, MARU,
 * CORR, EROR, TERM, novations: loadtest/generator.ts), sent over TCP or gRPC, and resent from Welcome after every
 * restart as a front-end processor does. The events sent and not yet acknowledged are kept (report and trade), so a
 * resend sends exactly the same bytes under the same seqs.
 *
 * Every report of a source is unique (a repeat of an earlier one, possible when two valuations of a trade fall in the
 * same second, is skipped), so the checks can count one report stored under two seqs as a duplicate.
 */
import { createHash } from 'node:crypto';
import { SwapReport } from '../../proto/gen/swap_report.js';
import { FepTcpClient } from '../../loadtest/fep-client.js';
import { FepGrpcClient } from '../../loadtest/fep-grpc-client.js';
import { FlowGenerator } from '../../loadtest/generator.js';

export interface PendingEvent {
  report: Uint8Array;
  tradeKey: string;
}

/** What the kill rounds need of a connection, whichever transport. */
interface Link {
  readonly lastAck: number;
  sendBatch(firstSeq: number, reports: readonly Uint8Array[]): boolean;
  drained(): Promise<void>;
  ended(): Promise<void>;
  close(): Promise<void>;
}

export class ChaosSource {
  /** The highest seq acknowledged on any connection (Ack or Welcome). */
  acked = 0;
  /** The seq of the last event generated (and so possibly sent). */
  generated = 0;
  /** Seqs sent on the current connection up to this one. */
  sentUpTo = 0;
  /** Welcome said less than an earlier Ack: acknowledged events the engine no longer has. */
  welcomeBelowAck = 0;
  /** Events generated marked invalid (the rulebook must reject them), by seq. */
  readonly invalidSeqs = new Set<number>();
  private readonly pending = new Map<number, PendingEvent>();
  private readonly flow: FlowGenerator;
  private readonly seen = new Set<string>();
  private link: Link | undefined;

  constructor(readonly sourceId: string, readonly token: string, readonly transport: 'tcp' | 'grpc', seed: number, invalidRate: number) {
    this.flow = new FlowGenerator({
      seed, anomalyRate: 0, invalidRate, reportingCounterparties: 20, counterparties: 200,
      utiTag: `C${sourceId.replace(/[^0-9A-Za-z]/g, '').toUpperCase().slice(-6)}${(seed >>> 0).toString(36).toUpperCase().slice(0, 5)}`,
    });
  }

  /** Trade keys of the events sent and not acknowledged (for the checks). */
  unackedTrades(): Map<number, string> {
    const out = new Map<number, string>();
    for (const [seq, e] of this.pending) if (seq > this.acked && seq <= this.generated) out.set(seq, e.tradeKey);
    return out;
  }

  /** Connects and says Hello; resolves with Welcome.last_acked_seq, from which sending resumes. */
  async connect(port: { tcp: number; grpc: number }): Promise<number> {
    if (this.transport === 'tcp') {
      const c = await FepTcpClient.connect(port.tcp, '127.0.0.1', { retainResults: false });
      this.link = {
        get lastAck() { return c.lastAck; },
        sendBatch: (first, reports) => c.sendBatch(first, reports),
        drained: () => new Promise((r) => {
          c.socket.once('drain', r);
          c.socket.once('close', r);
        }),
        ended: () => c.closed(),
        close: async () => {
          c.socket.destroy();
          await c.closed();
        },
      };
      return this.welcome(await c.hello(this.sourceId, this.token));
    }
    const g = FepGrpcClient.connect(port.grpc, '127.0.0.1', { retainResults: false });
    const ended = g.endedPromise();
    this.link = {
      get lastAck() { return g.lastAck; },
      sendBatch: (first, reports) => g.sendBatch(first, reports),
      drained: () => new Promise((r) => {
        g.call.once('drain', r);
        void ended.then(r);
      }),
      ended: () => ended,
      close: async () => {
        g.call.cancel();
        await ended;
        await g.close().catch(() => {});
      },
    };
    return this.welcome(await g.hello(this.sourceId, this.token));
  }

  private welcome(lastAcked: number): number {
    if (lastAcked < this.acked) this.welcomeBelowAck += this.acked - lastAcked;
    if (lastAcked > this.generated) throw new Error(`${this.sourceId}: Welcome says ${lastAcked} is durable, but only ${this.generated} events were ever sent`);
    this.acked = Math.max(this.acked, lastAcked);
    this.trim();
    this.sentUpTo = lastAcked;
    return lastAcked;
  }

  /** Seqs sent and not yet acknowledged on this connection. */
  get inFlight(): number {
    return this.sentUpTo - Math.max(this.acked, this.link?.lastAck ?? 0);
  }

  /** Sends the next `count` events (resends first, then new ones); false when the transport wants a drain first. */
  sendNext(count: number): boolean {
    const link = this.link;
    if (!link) return false;
    this.noteAck();
    const first = this.sentUpTo + 1;
    const reports: Uint8Array[] = [];
    for (let seq = first; seq < first + count; seq++) reports.push(this.event(seq).report);
    this.sentUpTo += count;
    return link.sendBatch(first, reports);
  }

  /** Makes the events up to `seq` (to be sent by the next sends). */
  generateTo(seq: number): void {
    if (seq > this.generated) this.event(seq);
  }

  drained(): Promise<void> {
    return this.link?.drained() ?? Promise.resolve();
  }

  ended(): Promise<void> {
    return this.link?.ended() ?? Promise.resolve();
  }

  /** Takes the connection's last Ack; after a kill, this is what the engine promised. */
  noteAck(): void {
    const a = this.link?.lastAck ?? 0;
    if (a > this.acked) {
      this.acked = a;
      this.trim();
    }
  }

  async disconnect(): Promise<void> {
    this.noteAck();
    const link = this.link;
    this.link = undefined;
    await link?.close();
  }

  private event(seq: number): PendingEvent {
    while (this.generated < seq) {
      const e = this.flow.next();
      const report = SwapReport.encode(e.report).finish();
      const digest = createHash('md5').update(report).digest('base64');
      if (this.seen.has(digest)) continue;
      this.seen.add(digest);
      this.generated++;
      if (e.invalid) this.invalidSeqs.add(this.generated);
      this.pending.set(this.generated, { report, tradeKey: e.tradeKey });
    }
    return this.pending.get(seq)!;
  }

  private trim(): void {
    for (const seq of this.pending.keys()) {
      if (seq > this.acked) break;
      this.pending.delete(seq);
    }
  }
}
