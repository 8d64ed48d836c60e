import { ErrorCode, type Hello } from '../../proto/gen/fep.js';
import { BadFrameError, scanClientFrame, type ScannedEvent } from './frame-scan.js';
import { engineFrames } from './fep-frames.js';
import type { Transport } from './transport.js';
import type { AckListener, EventResult } from './source-tracker.js';
import type { IngestHub } from './ingest-hub.js';
import { log } from '../log.js';
import { oneLine, peerText } from './peer-text.js';

type PauseReason = 'auth' | 'lookup' | 'pipeline' | 'peer';

/** A protocol violation: the session sends one Error frame naming it and closes. */
class ProtocolError extends Error {
  constructor(readonly code: ErrorCode, message: string) {
    super(message);
  }
}

/**
 * One FEP connection's protocol state machine, shared by the TCP and gRPC listeners:
 * Hello → (auth, wait until the source's earlier events are durable) → Welcome → Batches, with
 * cumulative Acks (and Results when asked for) as events become durable.
 *
 * Frames are handled strictly in order. A frame is checked whole before any of its events is admitted,
 * so a bad frame stores nothing.
 */
export class FepSession implements AckListener {
  /** `looking-up`: reading the stored verdicts of resent events; later frames wait in the backlog meanwhile. */
  private state: 'awaiting-hello' | 'authenticating' | 'looking-up' | 'open' | 'closed' = 'awaiting-hello';
  private readonly backlog: Buffer[] = [];
  private sourceId = '';
  private wantResults = false;
  /** Highest seq seen on this connection (seqs must increase within a connection). */
  private lastSeenSeq = 0;
  private lastAckSent = 0;
  private pausedFor = new Set<PauseReason>();

  constructor(private readonly transport: Transport, private readonly hub: IngestHub) {}

  get source(): string {
    return this.sourceId;
  }

  get isOpen(): boolean {
    return this.state !== 'closed';
  }

  /** Feeds the frames of one read, in order. */
  receive(frames: readonly Buffer[]): void {
    for (const f of frames) {
      if (this.state === 'closed') return;
      if (this.state === 'authenticating' || this.state === 'looking-up' || this.backlog.length > 0) this.backlog.push(f);
      else this.handle(f);
    }
  }

  /** A frame the transport refused before it could be read whole (e.g. over the size limit). */
  reject(code: ErrorCode, message: string): void {
    this.fail(new ProtocolError(code, message));
  }

  /** Events received on this connection that are not acknowledged yet: the engine owes the peer an Ack (it is not idle). */
  get owesAcks(): boolean {
    return this.lastSeenSeq > this.lastAckSent;
  }

  /** Backpressure from the pipeline: stop or restart reading from this connection. */
  setPipelinePaused(paused: boolean): void {
    this.setPaused('pipeline', paused);
  }

  /** Closes the connection from the engine's side with an Error frame. */
  terminate(code: ErrorCode, message: string): void {
    this.fail(new ProtocolError(code, message));
  }

  /** The peer went away. */
  closed(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.hub.sessionClosed(this);
  }

  acked(upToSeq: number, results: readonly EventResult[]): void {
    if (this.state !== 'open' && this.state !== 'looking-up') return;
    const frames: Uint8Array[] = [];
    const ack = this.ackFrame(upToSeq);
    if (ack) frames.push(ack);
    if (this.wantResults) for (const r of results) frames.push(engineFrames.result(r));
    if (frames.length > 0) this.send(frames);
  }

  private handle(frame: Buffer): void {
    try {
      const msg = scanClientFrame(frame);
      if (msg.kind === 'hello') {
        if (this.state !== 'awaiting-hello') throw new ProtocolError(ErrorCode.ERROR_CODE_UNEXPECTED_FRAME, 'Hello sent twice on one connection');
        this.startHello(msg.hello);
      } else if (msg.kind === 'batch') {
        if (this.state !== 'open') throw new ProtocolError(ErrorCode.ERROR_CODE_UNEXPECTED_FRAME, 'Batch before Hello: send Hello{source_id, token} first');
        this.handleBatch(msg.events);
      } else {
        throw new ProtocolError(ErrorCode.ERROR_CODE_UNEXPECTED_FRAME, `frame field ${msg.field} is not one a client may send (Hello or Batch)`);
      }
    } catch (err) {
      if (err instanceof ProtocolError) this.fail(err);
      else if (err instanceof BadFrameError) this.fail(new ProtocolError(ErrorCode.ERROR_CODE_BAD_FRAME, err.message));
      else {
        log('error', `session ${this.describe()}: ${(err as Error).stack ?? String(err)}`);
        this.fail(new ProtocolError(ErrorCode.ERROR_CODE_INTERNAL, 'internal error: ' + (err as Error).message));
      }
    }
  }

  private startHello(hello: Hello): void {
    this.state = 'authenticating';
    this.transport.progressed?.('hello');
    this.setPaused('auth', true);
    this.hub
      .authenticate(this, hello.sourceId, hello.token)
      .then((welcome) => {
        if (this.state === 'closed') return;
        if (!welcome.ok) throw new ProtocolError(ErrorCode.ERROR_CODE_AUTH_FAILED, welcome.reason);
        this.sourceId = hello.sourceId;
        this.wantResults = hello.wantResults;
        this.lastAckSent = welcome.lastDurable;
        this.state = 'open';
        // Before Welcome: what the client sends after it may use the full frame size.
        this.transport.progressed?.('open');
        this.send([engineFrames.welcome(welcome.lastDurable, this.hub.engineVersion)]);
        this.setPaused('auth', false);
        while (this.backlog.length > 0 && this.state === 'open') this.handle(this.backlog.shift()!);
      })
      .catch((err: unknown) => {
        if (err instanceof ProtocolError) this.fail(err);
        else this.fail(new ProtocolError(ErrorCode.ERROR_CODE_INTERNAL, 'authentication failed: ' + (err as Error).message));
      });
  }

  private handleBatch(events: ScannedEvent[]): void {
    const tracker = this.hub.tracker(this.sourceId);
    // Check the whole frame before admitting anything from it.
    let seen = this.lastSeenSeq;
    let expected = tracker.lastAdmitted + 1;
    let firstNew = -1;
    let maxDuplicate = 0;
    for (let i = 0; i < events.length; i++) {
      const seq = events[i]!.seq;
      if (seq <= seen) {
        throw new ProtocolError(ErrorCode.ERROR_CODE_SEQ_DECREASE, `seq ${seq} after seq ${seen} on this connection: seq must increase`);
      }
      seen = seq;
      if (seq < expected) {
        // A resend of something already admitted; since Welcome waited for earlier events to be
        // durable, everything below `expected` that this connection resends is durable.
        if (firstNew >= 0) throw new ProtocolError(ErrorCode.ERROR_CODE_SEQ_DECREASE, `seq ${seq} is below new events of the same batch`);
        maxDuplicate = seq;
      } else if (seq === expected) {
        if (firstNew < 0) firstNew = i;
        expected++;
      } else {
        throw new ProtocolError(ErrorCode.ERROR_CODE_SEQ_GAP, `seq ${seq} skips ahead: next expected seq for source ${this.sourceId} is ${expected}`);
      }
    }
    this.lastSeenSeq = seen;
    const duplicates = firstNew < 0 ? events : events.slice(0, firstNew);
    const fresh = firstNew < 0 ? [] : firstNew === 0 ? events : events.slice(firstNew);
    if (duplicates.length > 0) {
      this.hub.metrics.eventsReceived.inc(duplicates.length);
      this.hub.metrics.eventsDuplicate.inc(duplicates.length);
    }
    // Events stored before (resent, or stored ahead of a hole by a crash) are not judged again: their Results carry
    // the verdict the event log holds, read before anything later on this connection is answered.
    const stored = this.wantResults ? [...duplicates.map((e) => e.seq), ...fresh.filter((e) => tracker.isStoredAhead(e.seq)).map((e) => e.seq)] : [];
    if (stored.length === 0) {
      if (duplicates.length > 0) this.reack(Math.min(maxDuplicate, tracker.lastDurable));
      if (fresh.length > 0) this.hub.admit(this, tracker, fresh, this.wantResults);
      return;
    }
    this.state = 'looking-up';
    this.setPaused('lookup', true);
    this.hub
      .storedVerdicts(this.sourceId, stored)
      .then((verdicts) => {
        if (this.state === 'closed') return;
        if (duplicates.length > 0) {
          this.send(duplicates.map((e) => engineFrames.result(verdicts.get(e.seq) ?? { seq: e.seq, status: 'accepted', findings: [] })));
          this.reack(Math.min(maxDuplicate, tracker.lastDurable));
        }
        if (fresh.length > 0) this.hub.admit(this, tracker, fresh, this.wantResults, verdicts);
        this.state = 'open';
        this.setPaused('lookup', false);
        while (this.backlog.length > 0 && this.state === 'open') this.handle(this.backlog.shift()!);
      })
      .catch((err: unknown) => this.fail(new ProtocolError(ErrorCode.ERROR_CODE_INTERNAL, 'reading the stored verdicts of resent events failed: ' + (err as Error).message)));
  }

  /**
   * Acknowledges a resend of events already durable: an Ack covering them even when an earlier Ack (or Welcome) did,
   * since a client may wait for an Ack that covers what it sent.
   */
  private reack(upToSeq: number): void {
    const ack = this.ackFrame(upToSeq);
    this.send([ack ?? engineFrames.ack(this.lastAckSent)]);
  }

  /** The Ack frame for `upToSeq`, counted as sent; none when an earlier Ack already covered it. */
  private ackFrame(upToSeq: number): Uint8Array | undefined {
    if (upToSeq <= this.lastAckSent) return undefined;
    this.hub.metrics.eventsAcked.inc(upToSeq - this.lastAckSent);
    this.lastAckSent = upToSeq;
    return engineFrames.ack(upToSeq);
  }

  private send(frames: readonly Uint8Array[]): void {
    if (this.state === 'closed') return;
    if (!this.transport.send(frames) && !this.pausedFor.has('peer')) {
      // The peer does not read its acks: stop reading its batches until it does.
      this.setPaused('peer', true);
      this.transport.onceDrained(() => this.setPaused('peer', false));
    }
  }

  private fail(err: ProtocolError): void {
    if (this.state === 'closed') return;
    // Messages may quote what the peer sent: one line of printable ASCII, of bounded length, in the log and the frame.
    const message = oneLine(err.message);
    log('warn', `closing FEP connection ${this.describe()}: ${ErrorCode[err.code]}: ${message}`);
    this.hub.metrics.protocolErrors.inc({ code: ErrorCode[err.code] });
    this.transport.send([engineFrames.error(err.code, message)]);
    this.transport.close();
    this.closed();
  }

  private setPaused(reason: PauseReason, paused: boolean): void {
    const was = this.pausedFor.size > 0;
    if (paused) this.pausedFor.add(reason);
    else this.pausedFor.delete(reason);
    const is = this.pausedFor.size > 0;
    if (was && !is) this.transport.resume();
    else if (!was && is) this.transport.pause();
  }

  private describe(): string {
    return `${this.transport.kind}:${oneLine(this.transport.peer, 128)}${this.sourceId ? ` source=${peerText(this.sourceId)}` : ''}`;
  }
}
