import type pg from 'pg';
import { ErrorCode } from '../../proto/gen/fep.js';
import { SourceTracker } from './source-tracker.js';
import type { FepSession } from './session.js';
import type { ScannedEvent } from './frame-scan.js';
import { recoverSourceState, verifySource } from '../store/sources.js';
import { readStoredVerdicts, type StoredVerdict } from '../store/stored-verdicts.js';
import type { StoredEvent } from '../store/stored-event.js';
import type { Metrics } from '../metrics.js';
import type { RoutedEvent } from '../../actors/routed-event.js';
import { AuthGate } from './auth-gate.js';
import { ConnectionCaps, LIMIT_ERROR_CODE, defaultConnectionLimits, type IngestConnectionLimits } from './connection-limits.js';
import { peerText } from './peer-text.js';

export interface IngestLimits {
  /** Events admitted and not yet durable above which every connection stops reading. */
  maxInflightEvents: number;
  /** Connection caps and the pace of token checks (defaults: defaultConnectionLimits). */
  connections?: IngestConnectionLimits;
}

/** Longer ids are refused before any lookup (`swaprep source add` makes ids of at most 64 characters). */
const MAX_SOURCE_ID_LENGTH = 256;

/** Why every connection stops reading: scoring's queue is full, or the store's group commits are failing. */
export type HoldReason = 'scoring' | 'store';

export type WelcomeDecision = { ok: true; lastDurable: number } | { ok: false; reason: string };

/**
 * Where FEP sessions meet the pipeline: source authentication and sequence state, admission of new
 * events into the router, acknowledgement when the store reports them durable, and the one
 * backpressure valve (every session stops reading while too many events are in flight).
 */
export class IngestHub {
  private readonly trackers = new Map<string, SourceTracker>();
  private readonly sessionsBySource = new Map<string, FepSession>();
  private readonly sessions = new Set<FepSession>();
  private readonly paused = new Set<FepSession>();
  private inflight = 0;
  /** Stages that asked for every connection to stop reading (scoring full, the store failing): none resumes until all release. */
  private readonly holds = new Set<HoldReason>();
  private idleWaiters: (() => void)[] = [];
  private accepting = true;
  /** Connections from peers (not internal sources), counted against the caps: session → peer address. */
  private readonly addresses = new Map<FepSession, string>();
  private readonly caps: ConnectionCaps;
  private readonly auth: AuthGate;

  constructor(
    private readonly db: pg.Pool,
    private readonly route: (events: RoutedEvent[]) => void,
    private readonly limits: IngestLimits,
    readonly metrics: Metrics,
    readonly engineVersion: string,
  ) {
    const connections = limits.connections ?? defaultConnectionLimits;
    this.caps = new ConnectionCaps(connections);
    this.auth = new AuthGate(connections, (sourceId, token) => verifySource(this.db, sourceId, token));
  }

  /**
   * Takes a new connection, or refuses it with an Error frame (the engine is stopping, or a cap is reached).
   * `address`: the peer's address, for the caps (none for internal sources); the listener calls `disconnected` when it goes.
   */
  register(session: FepSession, address?: string): boolean {
    if (!this.accepting) {
      session.terminate(ErrorCode.ERROR_CODE_SHUTTING_DOWN, 'the engine is stopping; reconnect later');
      return false;
    }
    if (address !== undefined) {
      const refused = this.caps.take(address);
      if (refused !== undefined) {
        session.terminate(LIMIT_ERROR_CODE, refused);
        return false;
      }
      this.addresses.set(session, address);
    }
    this.sessions.add(session);
    return true;
  }

  /** The connection of a registered session is gone (closed by either side): its slot under the caps is free again. */
  disconnected(session: FepSession): void {
    const address = this.addresses.get(session);
    if (address === undefined) return;
    this.addresses.delete(session);
    this.caps.release(address);
  }

  tracker(sourceId: string): SourceTracker {
    const t = this.trackers.get(sourceId);
    if (!t) throw new Error(`no tracker for source ${sourceId}`);
    return t;
  }

  /**
   * Checks the token, takes the source over from any earlier connection, and waits until that
   * connection's events are durable, so that Welcome.last_acked_seq covers everything admitted so far.
   */
  async authenticate(session: FepSession, sourceId: string, token: string): Promise<WelcomeDecision> {
    if (!sourceId) return { ok: false, reason: 'Hello has no source_id' };
    // No stored source can have such an id (PostgreSQL text holds no NUL), and the lookup itself would fail on it.
    if (sourceId.length > MAX_SOURCE_ID_LENGTH || sourceId.includes('\u0000')) return { ok: false, reason: `unknown source ${peerText(sourceId)} or wrong token` };
    // Through the gate: a flood of bad Hellos waits there instead of taking the pool the actors load trades from.
    if (!(await this.auth.verify(sourceId, token, () => session.isOpen))) return { ok: false, reason: `unknown source ${peerText(sourceId)} or wrong token` };
    const previous = this.sessionsBySource.get(sourceId);
    if (previous && previous !== session) previous.terminate(ErrorCode.ERROR_CODE_SUPERSEDED, `another connection took over source ${sourceId}`);
    this.sessionsBySource.set(sourceId, session);
    let tracker = this.trackers.get(sourceId);
    if (!tracker) {
      const recovered = await recoverSourceState(this.db, sourceId);
      tracker = this.trackers.get(sourceId) ?? new SourceTracker(sourceId, recovered.lastDurable, recovered.storedAhead);
      this.trackers.set(sourceId, tracker);
    }
    await tracker.whenIdle();
    if (this.sessionsBySource.get(sourceId) !== session || !session.isOpen) return { ok: false, reason: 'superseded while connecting' };
    tracker.listener = session;
    return { ok: true, lastDurable: tracker.lastDurable };
  }

  /** What the event log holds for these seqs of a source (the verdicts of resent events). */
  storedVerdicts(sourceId: string, seqs: readonly number[]): Promise<Map<number, StoredVerdict>> {
    return readStoredVerdicts(this.db, sourceId, seqs);
  }

  /**
   * Admits a contiguous run of new events of one source into the pipeline. `verdicts` holds what the event log says of
   * any of them already stored (see SourceTracker.takeStoredAhead), for their Results.
   */
  admit(session: FepSession, tracker: SourceTracker, events: readonly ScannedEvent[], keepResults: boolean, verdicts?: ReadonlyMap<number, StoredVerdict>): void {
    const receivedAtMs = Date.now();
    const receipt = tracker.admit(events[events.length - 1]!.seq, events.length, keepResults);
    const routed: RoutedEvent[] = [];
    const alreadyStored: ScannedEvent[] = [];  // settled below with their stored verdicts
    for (const e of events) {
      if (tracker.takeStoredAhead(e.seq)) {
        alreadyStored.push(e);
        continue;
      }
      e.sourceId = tracker.sourceId;
      e.receivedAtMs = receivedAtMs;
      e.receipt = receipt;
      routed.push(e);
    }
    this.metrics.eventsReceived.inc(events.length);
    this.inflight += routed.length;
    this.metrics.inflightEvents.set(this.inflight);
    if (routed.length > 0) this.route(routed);
    // Stored before a crash, beyond a hole that this resend is filling: durable already, not stored twice.
    for (const e of alreadyStored) receipt.settle(verdicts?.get(e.seq) ?? { seq: e.seq, status: 'accepted', findings: [] });
    this.metrics.eventsDuplicate.inc(alreadyStored.length);
    if (this.inflight >= this.limits.maxInflightEvents || this.holds.size > 0) this.pause(session);
  }

  /**
   * A stage is full or failing (scoring's queue, the store's commits) or has room again: every connection stops or
   * resumes reading. FEPs wait on TCP/HTTP-2 flow control instead of sending what could not be acknowledged anyway.
   */
  hold(reason: HoldReason, held: boolean): void {
    if (held) {
      this.holds.add(reason);
      for (const s of this.sessions) this.pause(s);
    } else if (this.holds.delete(reason)) {
      this.resumeIfRoom();
    }
  }

  /** Sources whose durable watermark advanced since the last call, for the store to record. */
  takeWatermarks(): { sourceIds: string[]; seqs: number[] } {
    const sourceIds: string[] = [];
    const seqs: number[] = [];
    for (const t of this.trackers.values()) {
      if (!t.watermarkDirty) continue;
      t.watermarkDirty = false;
      sourceIds.push(t.sourceId);
      seqs.push(t.lastDurable);
    }
    return { sourceIds, seqs };
  }

  /** The durable watermark (every seq up to it stored) of each source with events in `group`. */
  durableWatermarks(group: readonly StoredEvent[]): Map<string, number> {
    const out = new Map<string, number>();
    let last: string | undefined;
    for (const e of group) {
      if (e.sourceId === last || out.has(e.sourceId)) continue;
      last = e.sourceId;
      const t = this.trackers.get(e.sourceId);
      if (t) out.set(e.sourceId, t.lastDurable);
    }
    return out;
  }

  /** The store's COMMIT returned for these events. */
  durable(group: readonly StoredEvent[]): void {
    // Counted per group, not per event: a labelled prom-client inc() hashes its labels on every call.
    let accepted = 0;
    let withWarnings = 0;
    let rejected = 0;
    let findings: Map<string, { rule: string; severity: string; n: number }> | undefined;
    for (const e of group) {
      e.receipt?.settle(e);
      if (e.status === 'accepted') accepted++;
      else if (e.status === 'rejected') rejected++;
      else withWarnings++;
      for (const f of e.findings) {
        findings ??= new Map();
        const key = f.rule + '\u0000' + f.severity;
        const c = findings.get(key);
        if (c) c.n++;
        else findings.set(key, { rule: f.rule, severity: f.severity, n: 1 });
      }
    }
    if (accepted > 0) this.metrics.eventsStored.inc({ status: 'accepted' }, accepted);
    if (withWarnings > 0) this.metrics.eventsStored.inc({ status: 'accepted_with_warnings' }, withWarnings);
    if (rejected > 0) {
      this.metrics.eventsStored.inc({ status: 'rejected' }, rejected);
      this.metrics.eventsRejected.inc(rejected);
    }
    if (findings) for (const c of findings.values()) this.metrics.findings.inc({ rule: c.rule, severity: c.severity }, c.n);
    this.inflight -= group.length;
    this.metrics.inflightEvents.set(this.inflight);
    this.resumeIfRoom();
    if (this.inflight === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  sessionClosed(session: FepSession): void {
    this.sessions.delete(session);
    this.paused.delete(session);
    if (this.sessionsBySource.get(session.source) === session) {
      this.sessionsBySource.delete(session.source);
      const tracker = this.trackers.get(session.source);
      if (tracker?.listener === session) tracker.listener = undefined;
    }
  }

  /** A read-only view of the sources this process has seen, for the console (off the hot path: called about once a second). */
  sourceStates(): { sourceId: string; connected: boolean; lastAdmitted: number; lastDurable: number }[] {
    return [...this.trackers.values()].map((t) => ({ sourceId: t.sourceId, connected: this.sessionsBySource.has(t.sourceId), lastAdmitted: t.lastAdmitted, lastDurable: t.lastDurable }));
  }

  get connectionCount(): number {
    return this.sessions.size;
  }

  /** Stops reading from every connection and refuses new ones; resolves when all admitted events are durable (and acked). */
  async quiesce(): Promise<void> {
    this.accepting = false;
    for (const s of this.sessions) s.setPipelinePaused(true);
    if (this.inflight > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  closeAll(): void {
    for (const s of [...this.sessions]) s.terminate(ErrorCode.ERROR_CODE_SHUTTING_DOWN, 'the engine is stopping; everything acknowledged is durable, resend the rest after reconnecting');
  }

  private resumeIfRoom(): void {
    // Resume at half the limit, not just under it, so connections do not flap on every commit.
    if (this.paused.size === 0 || this.holds.size > 0 || this.inflight > this.limits.maxInflightEvents / 2) return;
    for (const s of this.paused) s.setPipelinePaused(false);
    this.paused.clear();
    this.metrics.pausedConnections.set(0);
  }

  private pause(session: FepSession): void {
    if (this.paused.has(session)) return;
    this.paused.add(session);
    session.setPipelinePaused(true);
    this.metrics.pausedConnections.set(this.paused.size);
  }
}
