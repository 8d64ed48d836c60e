/**
 * Puts durable events back in the order their sources sent them before they are featurised.
 *
 * Group commits hold events counterparty by counterparty, and counterparty actors run at their own pace (one
 * loading its trades from the database lags the others by thousands of events), so the events of one source
 * reach the scorer out of order. The rolling features (a source's rates, a product's recent values, a trade's
 * previous version) depend on the order events are folded in, and training folds them in file order: scored in
 * actor order, a 200,000-line replay's groups spanned up to 15,000 seqs, its source's 10 s rate was read three
 * times too low, and 85% of its events were flagged.
 *
 * Each source's events wait here until the source's durable watermark (every seq up to it is stored) passes
 * them, and leave in seq order. Rejected events are never scored, yet they count towards the watermark, so a
 * rejected event leaves no hole to wait for. Events of a source no watermark was ever given for leave at once;
 * those that waited `maxHoldMs` (a watermark that stopped moving: a reconnect, events stored before a crash and
 * acknowledged without a group commit) leave in seq order anyway, at the caller's next call.
 *
 * That wait is counted on the engine's clock, not the wall's: time passes while deliveries keep coming, and a
 * silence adds at most MAX_SILENCE_MS. A stalled engine thread (a long GC or a heap snapshot) sends nothing while
 * the group commit that fills a hole is done but unheard of; on the wall's clock, everything above the hole left
 * before it. Measured with a 5 s stall in a 1,000,000-line replay: the 15,000 events released early read their
 * source's 10 s rate far too low, and 8,600 of them were flagged (source_burst), against 5,712 flags in the whole
 * replay without the stall. When the engine goes quiet altogether, held events leave after QUIET_HOLD_MS of wall time.
 */
import type { ScoringEvent } from './pipeline.js';

/** The most a silence between deliveries adds to the engine's clock. */
const MAX_SILENCE_MS = 1_000;
/** Wall time after which held events leave whatever the engine's clock says. */
const QUIET_HOLD_MS = 30_000;

interface Held {
  events: ScoringEvent[];
  sorted: boolean;
  /** On the engine's clock. */
  since: number;
  /** On the wall's clock. */
  sinceWall: number;
}

export class ArrivalOrder {
  private readonly held = new Map<string, Held>();
  /** The engine's clock: wall time while deliveries come, at most MAX_SILENCE_MS of each silence. */
  private engineMs = 0;
  private lastDeliveryMs = NaN;

  constructor(private readonly maxHoldMs = 2_000) {}

  /**
   * A delivery from the engine (`now`: wall time): the events in the order to featurise them, those of `events`
   * and of earlier calls that the watermarks release.
   */
  take(events: readonly ScoringEvent[], watermarks: ReadonlyMap<string, number>, now = Date.now()): ScoringEvent[] {
    const engineNow = this.engineClock(now);
    this.engineMs = engineNow;
    this.lastDeliveryMs = now;
    for (const e of events) {
      let h = this.held.get(e.sourceId);
      if (!h) this.held.set(e.sourceId, (h = { events: [], sorted: true, since: engineNow, sinceWall: now }));
      const last = h.events[h.events.length - 1];
      if (last && last.seq > e.seq) h.sorted = false;
      h.events.push(e);
    }
    return this.releasable(watermarks, engineNow, now);
  }

  /** Between deliveries (a timer): what waited too long, in seq order per source. */
  expire(watermarks: ReadonlyMap<string, number>, now = Date.now()): ScoringEvent[] {
    return this.releasable(watermarks, this.engineClock(now), now);
  }

  /** Everything held, in seq order per source (before a flush or a stop). */
  drain(): ScoringEvent[] {
    const out: ScoringEvent[] = [];
    for (const [sourceId, h] of this.held) this.release(sourceId, h, Infinity, out, 0, 0);
    return out;
  }

  private engineClock(now: number): number {
    return Number.isFinite(this.lastDeliveryMs) ? this.engineMs + Math.min(Math.max(0, now - this.lastDeliveryMs), MAX_SILENCE_MS) : 0;
  }

  private releasable(watermarks: ReadonlyMap<string, number>, engineNow: number, now: number): ScoringEvent[] {
    const out: ScoringEvent[] = [];
    for (const [sourceId, h] of this.held) {
      const watermark = watermarks.get(sourceId);
      const waited = engineNow - h.since >= this.maxHoldMs || now - h.sinceWall >= QUIET_HOLD_MS;
      this.release(sourceId, h, watermark === undefined || waited ? Infinity : watermark, out, engineNow, now);
    }
    return out;
  }

  get size(): number {
    let n = 0;
    for (const h of this.held.values()) n += h.events.length;
    return n;
  }

  private release(sourceId: string, h: Held, upTo: number, out: ScoringEvent[], engineNow: number, now: number): void {
    if (!h.sorted) {
      h.events.sort((a, b) => a.seq - b.seq);
      h.sorted = true;
    }
    let n = 0;
    while (n < h.events.length && h.events[n]!.seq <= upTo) out.push(h.events[n++]!);
    if (n === h.events.length) this.held.delete(sourceId);
    else if (n > 0) {
      h.events.splice(0, n);
      h.since = engineNow;
      h.sinceWall = now;
    }
  }
}
