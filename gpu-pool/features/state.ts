/**
 * The streaming state the features compare an event against: per-product rolling windows, per-source lag
 * window and event rates, and the previous version of each trade. Everything is updated after the event's
 * row is computed, so an event is always compared with what came before it, and the same sequence of events
 * always gives the same rows (training and scoring replay events in order through the same code).
 */

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

/** An event rate decayed exponentially with time constant `tauS` seconds (events per second). */
export class DecayedRate {
  private rate = 0;
  private lastMs = NaN;

  constructor(private readonly tauS: number) {}

  /** The rate an event at `ms` would see, counting itself, without recording it. */
  peek(ms: number): number {
    const dt = Number.isFinite(this.lastMs) && Number.isFinite(ms) ? Math.max(0, ms - this.lastMs) / 1000 : 0;
    return this.rate * Math.exp(-dt / this.tauS) + 1 / this.tauS;
  }

  /** Counts one event at `ms` and returns the rate including it. Out-of-order times count as "now". */
  hit(ms: number): number {
    if (Number.isFinite(this.lastMs) && Number.isFinite(ms)) {
      const dt = Math.max(0, ms - this.lastMs) / 1000;
      this.rate *= Math.exp(-dt / this.tauS);
    }
    if (Number.isFinite(ms) && (!Number.isFinite(this.lastMs) || ms > this.lastMs)) this.lastMs = ms;
    this.rate += 1 / this.tauS;
    return this.rate;
  }

  get value(): number {
    return this.rate;
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

/**
 * Previous versions of trades, bounded so that memory follows activity rather than history, like the
 * engine's passivated actors; an evicted trade's next event is scored as "previous version unknown".
 * Eviction is least recently used, approximately: a Map iterates in insertion order, and a written memo is
 * updated in place and moved to the end only when it has drifted into the older half (a delete and a set per
 * event would double the map work on the hot path for no practical difference).
 */
export class TradeMemory {
  private readonly map = new Map<string, TradeMemo & { touched: number }>();
  private clock = 0;

  constructor(private readonly maxTrades = 1_000_000) {}

  get(key: string): TradeMemo | undefined {
    return this.map.get(key);
  }

  set(key: string, memo: TradeMemo): void {
    const now = ++this.clock;
    const existing = this.map.get(key);
    if (existing) {
      existing.version = memo.version;
      existing.notional1Log = memo.notional1Log;
      existing.rate = memo.rate;
      existing.price = memo.price;
      existing.counterparty2 = memo.counterparty2;
      existing.currency = memo.currency;
      existing.productKey = memo.productKey;
      existing.effectiveMs = memo.effectiveMs;
      existing.expirationMs = memo.expirationMs;
      if (now - existing.touched <= this.maxTrades / 2) return;
      existing.touched = now;
      this.map.delete(key);
      this.map.set(key, existing);
      return;
    }
    this.map.set(key, { ...memo, touched: now });
    if (this.map.size > this.maxTrades) {
      const oldest = this.map.keys().next().value as string;
      this.map.delete(oldest);
    }
  }

  get size(): number {
    return this.map.size;
  }
}
