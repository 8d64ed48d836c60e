import nact from 'nact';
import type { RoutedEvent } from './routed-event.js';
import { spawnCounterparty, type CounterpartyDeps, type CounterpartyMessage } from './counterparty.js';
import type { Metrics } from '../engine/metrics.js';

/** Events without a counterparty 1 still need an owner; they share this key. */
export const NO_COUNTERPARTY = '(none)';

interface Entry {
  ref: nact.Ref<CounterpartyMessage>;
  /** Events dispatched to the actor and not yet durable: the actor may only be passivated at zero. */
  pending: number;
  lastUsedMs: number;
}

/**
 * Routes each micro-batch to the counterparty actors, one nact message per counterparty per batch.
 *
 * The router is plain code rather than an actor: every FEP frame passes through it, and nact copies a
 * parent actor's child map on every message it receives, so the counterparty actors are children of
 * the actor system itself and the router only keeps their references. It also passivates actors that
 * have been idle for `passivateAfterMs` with nothing in flight, so memory follows activity.
 */
export class Router {
  private readonly actors = new Map<string, Entry>();
  private generation = 0;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly system: nact.ActorSystemRef,
    private readonly deps: CounterpartyDeps,
    private readonly metrics: Metrics,
    private readonly passivateAfterMs: number,
  ) {
    this.sweeper = setInterval(() => this.passivateIdle(), Math.max(1_000, passivateAfterMs / 4));
    this.sweeper.unref();
  }

  route(events: readonly RoutedEvent[]): void {
    const byCounterparty = new Map<string, RoutedEvent[]>();
    for (const e of events) {
      const key = e.counterparty1 ?? NO_COUNTERPARTY;
      let list = byCounterparty.get(key);
      if (!list) byCounterparty.set(key, (list = []));
      list.push(e);
    }
    const now = Date.now();
    for (const [cp, list] of byCounterparty) {
      const entry = this.actorFor(cp);
      entry.pending += list.length;
      entry.lastUsedMs = now;
      nact.dispatch(entry.ref, { events: list });
    }
  }

  /** Called once per durable event so the owning actor may later be passivated. */
  settled(counterparty1: string | undefined): void {
    const entry = this.actors.get(counterparty1 ?? NO_COUNTERPARTY);
    if (entry) entry.pending--;
  }

  get size(): number {
    return this.actors.size;
  }

  stop(): void {
    clearInterval(this.sweeper);
  }

  private actorFor(cp: string): Entry {
    let entry = this.actors.get(cp);
    if (!entry) {
      // Every actor is named (nact's anonymous names collide after ~60k spawns); the generation keeps a
      // respawned counterparty's name distinct from its passivated predecessor's.
      const name = `cp-${cp.replace(/[^A-Za-z0-9_-]/g, '_')}-${++this.generation}`;
      entry = { ref: spawnCounterparty(this.system, cp, name, this.deps), pending: 0, lastUsedMs: Date.now() };
      this.actors.set(cp, entry);
      this.metrics.counterpartyActors.set(this.actors.size);
    }
    return entry;
  }

  private passivateIdle(): void {
    const cutoff = Date.now() - this.passivateAfterMs;
    for (const [cp, entry] of this.actors) {
      if (entry.pending === 0 && entry.lastUsedMs < cutoff) {
        nact.stop(entry.ref);
        this.actors.delete(cp);
      }
    }
    this.metrics.counterpartyActors.set(this.actors.size);
  }
}
