import { widened } from '../engine/typed-arrays.js';

/** Keys longer than this, or with a character beyond ASCII, are kept in a Map (no identifier of the spec is). */
const MAX_KEY_BYTES = 254;
/** The length recorded for a key kept in the Map: it has no hash or bytes here. */
const IN_MAP = 255;

/**
 * Trade keys (UTIs, or `USI:` + USI) numbered 0, 1, 2... in the order they were added, kept off the V8 heap: each
 * key's ASCII bytes in one growing byte arena, and an open-addressing table (linear probing) of key numbers by a
 * hash of the key. A Map<string, number> held a key string and an entry per trade on the heap, one more object for
 * every full GC to mark (with 1,000,000 live trades the engine's heap after GC went from 102 to 23 MiB without them);
 * this holds the key's bytes and 17 bytes beside them, up to twice that while a column waits to fill after doubling.
 * Keys are never removed (a counterparty's trades stay until its actor goes). Hand-written: no npm package keeps
 * string keys off the heap.
 */
export class TradeKeys {
  /** Key number + 1 by hash; 0 = empty. Kept at most half full. */
  private table = new Int32Array(32);
  private hashes = new Uint32Array(16);
  private starts = new Uint32Array(16);
  private lengths = new Uint8Array(16);
  private arena = new Uint8Array(512);
  private arenaUsed = 0;
  private count = 0;
  private readonly other = new Map<string, number>();

  get size(): number {
    return this.count;
  }

  /** The key's number, or -1 when it was never added. */
  find(key: string): number {
    const h = hashKey(key);
    return h < 0 ? (this.other.get(key) ?? -1) : this.probe(key, h, false);
  }

  /** The key's number, adding it (as the next number) when it is new. */
  findOrAdd(key: string): number {
    const h = hashKey(key);
    if (h >= 0) return this.probe(key, h, true);
    let n = this.other.get(key);
    if (n === undefined) {
      n = this.next();
      this.lengths[n] = IN_MAP;
      this.other.set(key, n);
    }
    return n;
  }

  private probe(key: string, h: number, add: boolean): number {
    const table = this.table;
    const mask = table.length - 1;
    let i = h & mask;
    for (let e = table[i]!; e !== 0; i = (i + 1) & mask, e = table[i]!) {
      if (this.hashes[e - 1] === h && this.holds(e - 1, key)) return e - 1;
    }
    if (!add) return -1;
    const n = this.next();
    this.hashes[n] = h;
    this.starts[n] = this.arenaUsed;
    this.lengths[n] = key.length;
    this.store(key);
    if (this.count * 2 > table.length) this.rehash(table.length * 2);
    else table[i] = n + 1;
    return n;
  }

  /** The next key number, growing the per-key columns by doubling. */
  private next(): number {
    const n = this.count++;
    if (n === this.hashes.length) {
      const capacity = n * 2;
      this.hashes = widened(this.hashes, capacity);
      this.starts = widened(this.starts, capacity);
      this.lengths = widened(this.lengths, capacity);
    }
    return n;
  }

  private holds(n: number, key: string): boolean {
    if (this.lengths[n] !== key.length) return false;
    const arena = this.arena;
    const at = this.starts[n]!;
    for (let i = 0; i < key.length; i++) if (arena[at + i] !== key.charCodeAt(i)) return false;
    return true;
  }

  private store(key: string): void {
    if (this.arenaUsed + key.length > this.arena.length) this.arena = widened(this.arena, Math.max(this.arena.length * 2, this.arenaUsed + key.length));
    const arena = this.arena;
    let at = this.arenaUsed;
    for (let i = 0; i < key.length; i++) arena[at++] = key.charCodeAt(i);
    this.arenaUsed = at;
  }

  /** A table of `size` entries from the kept hashes (the keys' texts are not needed). */
  private rehash(size: number): void {
    const table = new Int32Array(size);
    const mask = size - 1;
    for (let n = 0; n < this.count; n++) {
      if (this.lengths[n] === IN_MAP) continue;
      let i = this.hashes[n]! & mask;
      while (table[i] !== 0) i = (i + 1) & mask;
      table[i] = n + 1;
    }
    this.table = table;
  }
}

/** FNV-1a over the key's characters as a non-negative 31-bit number, or -1 when the key is not short ASCII. */
function hashKey(key: string): number {
  if (key.length > MAX_KEY_BYTES) return -1;
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c > 0x7f) return -1;
    h = Math.imul(h ^ c, 16777619);
  }
  return h & 0x7fffffff;
}
