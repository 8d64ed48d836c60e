/**
 * The streaming state the features compare an event against: per-product rolling windows, per-source lag
 * window and event rates, and the previous version of each trade. Everything is updated after the event's
 * row is computed, so an event is always compared with what came before it, and the same sequence of events
 * always gives the same rows (training and scoring replay events in order through the same code).
 */
import { StringCodes } from '../../engine/string-codes.js';

/**
 * The last `capacity` values, kept both in arrival order (to evict the oldest) and sorted (for medians and
 * quartiles in O(1)). Insert and evict are a binary search and a memmove of at most `capacity` doubles,
 * cheaper than any heap for windows this small.
 */
export class RollingWindow {
  private readonly ring: Float64Array;
  private readonly sorted: Float64Array;
  private head = 0;
  private n = 0;

  constructor(readonly capacity = 128) {
    this.ring = new Float64Array(capacity);
    this.sorted = new Float64Array(capacity);
  }

  get size(): number {
    return this.n;
  }

  push(x: number): void {
    if (!Number.isFinite(x)) return;
    if (this.n === this.capacity) {
      const old = this.ring[this.head]!;
      const at = this.lowerBound(old);
      this.sorted.copyWithin(at, at + 1, this.n);
      this.n--;
      this.ring[this.head] = x;
      this.head = (this.head + 1) % this.capacity;
    } else {
      this.ring[(this.head + this.n) % this.capacity] = x;
    }
    const at = this.lowerBound(x);
    this.sorted.copyWithin(at + 1, at, this.n);
    this.sorted[at] = x;
    this.n++;
  }

  /** Linear-interpolated quantile of the window (NaN when empty). */
  quantile(q: number): number {
    if (this.n === 0) return NaN;
    const pos = q * (this.n - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(lo + 1, this.n - 1);
    return this.sorted[lo]! + (this.sorted[hi]! - this.sorted[lo]!) * (pos - lo);
  }

  median(): number {
    return this.quantile(0.5);
  }

  /** IQR/1.349: the standard deviation a normal distribution with this interquartile range would have. */
  spread(): number {
    return (this.quantile(0.75) - this.quantile(0.25)) / 1.349;
  }

  private lowerBound(x: number): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sorted[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * An event rate decayed exponentially with time constant `tauS` seconds (events per second), bias-corrected
 * while the source is younger than the window: the decayed count is divided by the part of the window the
 * source has lived, not by the whole window. Uncorrected, a new source's 10-minute rate started at zero and
 * climbed for half an hour, so every event of its first minutes looked like a burst against it.
 */
export class DecayedRate {
  /** Events counted, each decayed by exp(-age / tau). */
  private count = 0;
  private firstMs = NaN;
  private lastMs = NaN;

  constructor(private readonly tauS: number) {}

  /** The decayed count as seen at the later of `ms` and the latest event, with one more event at `ms`. */
  private withEventAt(ms: number): number {
    if (!Number.isFinite(ms) || !Number.isFinite(this.lastMs)) return this.count + 1;
    const dt = (ms - this.lastMs) / 1000;
    // A later event decays what came before it; an earlier one (events of different counterparties interleave
    // out of reporting order) adds only what is left of it by now, so the count does not depend on the order
    // events come in (the rate each event reads does: arrival-order.ts puts them back in order first).
    return dt >= 0 ? this.count * Math.exp(-dt / this.tauS) + 1 : this.count + Math.exp(dt / this.tauS);
  }

  /** The share of the window the source has lived by `endMs`, counting an event at `ms`, in seconds (at least one). */
  private span(endMs: number, ms = NaN): number {
    const firstMs = Number.isFinite(ms) && !(ms >= this.firstMs) ? ms : this.firstMs;
    const livedS = Number.isFinite(firstMs) && Number.isFinite(endMs) ? Math.max(0, endMs - firstMs) / 1000 : 0;
    return this.tauS * (1 - Math.exp(-Math.max(1, livedS) / this.tauS));
  }

  private endWith(ms: number): number {
    return Number.isFinite(this.lastMs) && !(ms > this.lastMs) ? this.lastMs : ms;
  }

  /** The rate an event at `ms` would see, counting itself, without recording it. */
  peek(ms: number): number {
    return this.withEventAt(ms) / this.span(this.endWith(ms), ms);
  }

  /** Counts one event at `ms` and returns the rate including it. */
  hit(ms: number): number {
    this.count = this.withEventAt(ms);
    if (Number.isFinite(ms)) {
      if (!Number.isFinite(this.firstMs) || ms < this.firstMs) this.firstMs = ms;
      if (!Number.isFinite(this.lastMs) || ms > this.lastMs) this.lastMs = ms;
    }
    return this.count / this.span(this.lastMs);
  }
}

/** Rolling statistics of one product (windows are created on first use: most products use a few). */
export class ProductStats {
  count = 0;
  readonly windows = new Map<string, RollingWindow>();

  window(name: string): RollingWindow {
    let w = this.windows.get(name);
    if (!w) this.windows.set(name, (w = new RollingWindow()));
    return w;
  }
}

export class SourceStats {
  readonly lag = new RollingWindow();
  readonly fast = new DecayedRate(10);
  readonly slow = new DecayedRate(600);
}

/** What the features remember of a trade's latest version. */
export interface TradeMemo {
  /** The version this memo describes (NaN when the event carried none). */
  version: number;
  notional1Log: number;
  rate: number;
  price: number;
  counterparty2: string;
  currency: string;
  productKey: string;
  effectiveMs: number;
  expirationMs: number;
}

const NUMBER_COLUMNS = 6; // version, notional1Log, rate, price, effectiveMs, expirationMs
const STRING_COLUMNS = 3; // counterparty2, currency, productKey

/**
 * Previous versions of trades, bounded so that memory follows activity rather than history, like the
 * engine's passivated actors; an evicted trade's next event is scored as "previous version unknown".
 * Eviction is least recently used, approximately: a written memo is updated in place and queued again only
 * when it has drifted into the older half, so most writes touch nothing but their slot.
 *
 * The order is a queue of (slot, stamp) with lazy deletion: a slot queued again leaves its older entry behind,
 * recognised as stale by its stamp when it reaches the head. A Map's insertion order is not used for this: taking
 * `keys().next()` after deleting from the front skips every deleted entry still in the table, which made each
 * eviction cost up to a million steps once the memory was full (measured: 34 growing past 136 µs per eviction).
 *
 * Stored by columns in typed arrays, one slot per trade, with repeating strings interned: a memo as an object
 * is about ten heap objects (the object, its boxed doubles, its strings), and a million of them made every
 * full GC of the scoring thread mark ten million objects. Here a trade costs its key and a Map entry; the
 * rest is off the GC's books. `get` builds a short-lived memo, which the young generation collects cheaply.
 */
export class TradeMemory {
  private readonly slots = new Map<string, number>();
  private readonly keyOf: (string | undefined)[] = [];
  private readonly free: number[] = [];
  private numbers = new Float64Array(0);
  private strings = new Uint32Array(0);
  private touched = new Float64Array(0);
  private capacity = 0;
  private used = 0;
  private clock = 0;
  private readonly interned = new StringCodes();
  /** Eviction order: slots and the stamp they were queued with, from `head` on. */
  private queueSlots: number[] = [];
  private queueStamps: number[] = [];
  private head = 0;

  constructor(private readonly maxTrades = 1_000_000) {}

  get(key: string): TradeMemo | undefined {
    const slot = this.slots.get(key);
    if (slot === undefined) return undefined;
    const n = slot * NUMBER_COLUMNS;
    const t = slot * STRING_COLUMNS;
    return {
      version: this.numbers[n]!, notional1Log: this.numbers[n + 1]!, rate: this.numbers[n + 2]!, price: this.numbers[n + 3]!,
      effectiveMs: this.numbers[n + 4]!, expirationMs: this.numbers[n + 5]!,
      counterparty2: this.interned.value(this.strings[t]!)!, currency: this.interned.value(this.strings[t + 1]!)!,
      productKey: this.interned.value(this.strings[t + 2]!)!,
    };
  }

  set(key: string, memo: TradeMemo): void {
    const now = ++this.clock;
    let slot = this.slots.get(key);
    if (slot !== undefined) {
      this.write(slot, memo);
      if (now - this.touched[slot]! <= this.maxTrades / 2) return;
      this.touched[slot] = now;
      this.enqueue(slot, now);
      return;
    }
    if (this.slots.size >= this.maxTrades) this.evictOldest();
    slot = this.free.pop() ?? this.allocate();
    this.write(slot, memo);
    this.touched[slot] = now;
    this.keyOf[slot] = key;
    this.slots.set(key, slot);
    this.enqueue(slot, now);
  }

  get size(): number {
    return this.slots.size;
  }

  private write(slot: number, memo: TradeMemo): void {
    const n = slot * NUMBER_COLUMNS;
    this.numbers[n] = memo.version;
    this.numbers[n + 1] = memo.notional1Log;
    this.numbers[n + 2] = memo.rate;
    this.numbers[n + 3] = memo.price;
    this.numbers[n + 4] = memo.effectiveMs;
    this.numbers[n + 5] = memo.expirationMs;
    const t = slot * STRING_COLUMNS;
    this.strings[t] = this.interned.code(memo.counterparty2);
    this.strings[t + 1] = this.interned.code(memo.currency);
    this.strings[t + 2] = this.interned.code(memo.productKey);
  }

  private enqueue(slot: number, stamp: number): void {
    this.queueSlots.push(slot);
    this.queueStamps.push(stamp);
    // Rewrites queue a trade again without evicting anything: while the memory is not full, stale entries would
    // pile up forever. Past twice the live entries, keep only the current ones (amortised O(1) per write).
    if (this.queueSlots.length - this.head > 2 * this.slots.size + 65_536) this.compactQueue();
  }

  private compactQueue(): void {
    const slots: number[] = [];
    const stamps: number[] = [];
    for (let i = this.head; i < this.queueSlots.length; i++) {
      const slot = this.queueSlots[i]!;
      if (this.keyOf[slot] !== undefined && this.touched[slot] === this.queueStamps[i]) {
        slots.push(slot);
        stamps.push(this.queueStamps[i]!);
      }
    }
    this.queueSlots = slots;
    this.queueStamps = stamps;
    this.head = 0;
  }

  /** Frees the slot at the head of the queue whose stamp is still current (older entries are stale). */
  private evictOldest(): void {
    while (this.head < this.queueSlots.length) {
      const slot = this.queueSlots[this.head]!;
      const stamp = this.queueStamps[this.head]!;
      this.head++;
      const key = this.keyOf[slot];
      if (key === undefined || this.touched[slot] !== stamp) continue;
      this.slots.delete(key);
      this.keyOf[slot] = undefined;
      this.free.push(slot);
      break;
    }
    // Drop the consumed front now and then (amortised: at most once per queue length of evictions).
    if (this.head > 65_536 && this.head * 2 > this.queueSlots.length) {
      this.queueSlots = this.queueSlots.slice(this.head);
      this.queueStamps = this.queueStamps.slice(this.head);
      this.head = 0;
    }
  }

  /** A fresh slot, growing the columns by doubling (never beyond maxTrades slots). */
  private allocate(): number {
    if (this.used === this.capacity) {
      const capacity = Math.min(this.maxTrades, Math.max(1024, this.capacity * 2));
      const grow = <T extends Float64Array | Uint32Array>(old: T, make: (n: number) => T, width: number): T => {
        const next = make(capacity * width);
        next.set(old);
        return next;
      };
      this.numbers = grow(this.numbers, (n) => new Float64Array(n), NUMBER_COLUMNS);
      this.strings = grow(this.strings, (n) => new Uint32Array(n), STRING_COLUMNS);
      this.touched = grow(this.touched, (n) => new Float64Array(n), 1);
      this.capacity = capacity;
    }
    return this.used++;
  }
}
