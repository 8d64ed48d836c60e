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
 */
import type { ScoringEvent } from './pipeline.js';

interface Held {
  events: ScoringEvent[];
  sorted: boolean;
  since: number;
}

export class ArrivalOrder {
  private readonly held = new Map<string, Held>();

  constructor(private readonly maxHoldMs = 2_000) {}

  /** Events in the order to featurise them: those of `events` and of earlier calls that the watermarks release. */
  take(events: readonly ScoringEvent[], watermarks: ReadonlyMap<string, number>, now = Date.now()): ScoringEvent[] {
    for (const e of events) {
      let h = this.held.get(e.sourceId);
      if (!h) this.held.set(e.sourceId, (h = { events: [], sorted: true, since: now }));
      const last = h.events[h.events.length - 1];
      if (last && last.seq > e.seq) h.sorted = false;
      h.events.push(e);
    }
    const out: ScoringEvent[] = [];
    for (const [sourceId, h] of this.held) {
      const watermark = watermarks.get(sourceId);
      const upTo = watermark === undefined || now - h.since >= this.maxHoldMs ? Infinity : watermark;
      this.release(sourceId, h, upTo, out, now);
    }
    return out;
  }

  /** Everything held, in seq order per source (before a flush or a stop). */
  drain(): ScoringEvent[] {
    const out: ScoringEvent[] = [];
    for (const [sourceId, h] of this.held) this.release(sourceId, h, Infinity, out, 0);
    return out;
  }

  get size(): number {
    let n = 0;
    for (const h of this.held.values()) n += h.events.length;
    return n;
  }

  private release(sourceId: string, h: Held, upTo: number, out: ScoringEvent[], now: number): void {
    if (!h.sorted) {
      h.events.sort((a, b) => a.seq - b.seq);
      h.sorted = true;
    }
    let n = 0;
    while (n < h.events.length && h.events[n]!.seq <= upTo) out.push(h.events[n++]!);
    if (n === h.events.length) this.held.delete(sourceId);
    else if (n > 0) {
      h.events.splice(0, n);
      h.since = now;
    }
  }
}
