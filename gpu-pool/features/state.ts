/**
 * The streaming state the features compare an event against: per-product rolling windows, per-source lag
 * window and event rates, and the previous version of each trade. Everything is updated after the event's
 * row is computed, so an event is always compared with what came before it, and the same sequence of events
 * always gives the same rows (training and scoring replay events in order through the same code).
 */
import { StringCodes } from '../../engine/string-codes.js';
import { widened } from '../../engine/typed-arrays.js';

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
 *
 * Stored by columns in typed arrays, one slot per trade, with repeating strings interned, and found through an
 * open-addressing index of 64-bit hashes of the trade keys: nothing per trade is on the GC's books. As a Map of key
 * strings with an eviction queue it cost about 190 bytes per trade, 176 MB of the scoring thread's memory at a
 * million trades, most of it strings and Map entries for every full GC to mark; here it is about 75 bytes. Keys are
 * not kept: two keys with the same 64-bit hash would share a memo. Among a million trades the chance that any two do
 * is about 3 in 100 million, and the cost would be one event's "changes versus the previous version" features read off
 * another trade, which scoring can afford (the actors' TradeTable, which decides lifecycle rules, keeps exact keys).
 * Hand-written because no npm package offers a string-keyed columnar record store.
 *
 * Eviction is CLOCK, the usual approximation of least recently used: each slot has a referenced bit, set when its
 * memo is rewritten; when the memory is full, a hand sweeps the slots in order, clearing set bits, and takes the first
 * slot whose bit was clear. A trade written once and never again goes first; one rewritten since the hand last
 * passed gets another round.
 */
export class TradeMemory {
  private numbers = new Float64Array(0);
  private strings = new Uint32Array(0);
  /** The two 32-bit halves of each slot's key hash. */
  private hashLow = new Int32Array(0);
  private hashHigh = new Int32Array(0);
  private referenced = new Uint8Array(0);
  /** Open addressing with linear probing on the low half: slot + 1, or 0 for an empty entry; at most half full. */
  private index = new Int32Array(0);
  private capacity = 0;
  private used = 0;
  private hand = 0;
  private readonly interned = new StringCodes();

  constructor(private readonly maxTrades = 1_000_000) {}

  get(key: string): TradeMemo | undefined {
    hashKey(key);
    const slot = this.find();
    if (slot < 0) return undefined;
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
    hashKey(key);
    let slot = this.find();
    if (slot >= 0) {
      this.referenced[slot] = 1;
    } else {
      slot = this.used < this.maxTrades ? this.allocate() : this.evict();
      this.hashLow[slot] = keyHashLow;
      this.hashHigh[slot] = keyHashHigh;
      this.referenced[slot] = 0;
      this.insert(slot);
    }
    this.write(slot, memo);
  }

  get size(): number {
    return this.used;
  }

  /** The slot whose key hashes to (keyHashLow, keyHashHigh), or -1. */
  private find(): number {
    if (this.used === 0) return -1;
    const mask = this.index.length - 1;
    for (let i = keyHashLow & mask; ; i = (i + 1) & mask) {
      const entry = this.index[i]!;
      if (entry === 0) return -1;
      const slot = entry - 1;
      if (this.hashLow[slot] === keyHashLow && this.hashHigh[slot] === keyHashHigh) return slot;
    }
  }

  private insert(slot: number): void {
    const mask = this.index.length - 1;
    let i = this.hashLow[slot]! & mask;
    while (this.index[i] !== 0) i = (i + 1) & mask;
    this.index[i] = slot + 1;
  }

  /** Takes the index entry of `slot` out, moving later entries of its probe run back so that no lookup stops short. */
  private remove(slot: number): void {
    const mask = this.index.length - 1;
    let hole = this.hashLow[slot]! & mask;
    while (this.index[hole] !== slot + 1) hole = (hole + 1) & mask;
    for (let j = (hole + 1) & mask; this.index[j] !== 0; j = (j + 1) & mask) {
      const home = this.hashLow[this.index[j]! - 1]! & mask;
      // The entry at j may fill the hole unless its home lies cyclically in (hole, j].
      const staysPut = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (staysPut) continue;
      this.index[hole] = this.index[j]!;
      hole = j;
    }
    this.index[hole] = 0;
  }

  /** The CLOCK hand's next unreferenced slot, with its index entry removed. */
  private evict(): number {
    for (;;) {
      const slot = this.hand;
      this.hand = (this.hand + 1) % this.used;
      if (this.referenced[slot] === 1) {
        this.referenced[slot] = 0;
        continue;
      }
      this.remove(slot);
      return slot;
    }
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

  /** A fresh slot, growing the columns by doubling (never beyond maxTrades slots) and the index with them. */
  private allocate(): number {
    if (this.used === this.capacity) {
      const capacity = Math.min(this.maxTrades, Math.max(1024, this.capacity * 2));
      this.numbers = widened(this.numbers, capacity * NUMBER_COLUMNS);
      this.strings = widened(this.strings, capacity * STRING_COLUMNS);
      this.hashLow = widened(this.hashLow, capacity);
      this.hashHigh = widened(this.hashHigh, capacity);
      this.referenced = widened(this.referenced, capacity);
      this.capacity = capacity;
      let size = 1;
      while (size < 2 * capacity) size *= 2;
      if (size !== this.index.length) {
        this.index = new Int32Array(size);
        for (let slot = 0; slot < this.used; slot++) this.insert(slot);
      }
    }
    return this.used++;
  }
}

// The key hash, in two module-level halves so that hashing allocates nothing: FNV-1a and a murmur-style mix over
// the key's UTF-16 code units, each finished with murmur3's fmix32, for two independent 32-bit halves.
let keyHashLow = 0;
let keyHashHigh = 0;

function hashKey(key: string): void {
  let a = 0x811c9dc5;
  let b = 0x9747b28c ^ key.length;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  keyHashLow = fmix32(a);
  keyHashHigh = fmix32(b);
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
