/**
 * Search results kept until the data changes: each entry remembers the data version it was computed at and is
 * only served while the version is the same. Bounded (oldest entry evicted first; a Map iterates in insertion
 * order, and a hit re-inserts the entry).
 */
export class SearchCache<T> {
  private readonly entries = new Map<string, { version: number; value: T }>();

  constructor(private readonly max: number) {}

  get(key: string, version: number): T | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.entries.delete(key);
    if (e.version !== version) return undefined;
    this.entries.set(key, e);
    return e.value;
  }

  set(key: string, version: number, value: T): void {
    this.entries.delete(key);
    this.entries.set(key, { version, value });
    while (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
  }

  get size(): number {
    return this.entries.size;
  }
}
