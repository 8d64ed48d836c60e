/**
 * Login throttling keyed by user and address together: failures for `admin` from one address slow, then stop,
 * that address's attempts for `admin`, and nothing else. So a stranger guessing admin's password cannot lock admin
 * out (admin logs in from their own address as usual), yet each address gets only a few free guesses per user.
 *
 * Per key: the `maxFailures`-th failure locks the key for `backoffMs` (the ones before it are free), and each one
 * after that (made once the lock has passed) for twice the last lock, up to `maxBackoffMs`. A success clears the key; so does `windowMs` passing after
 * the last failure (and after its lock). One process's memory: keys are pruned as they expire, and the map is
 * capped (the oldest keys go first) so a spray of made-up names from many addresses cannot grow it without bound.
 */
export interface LoginThrottleOptions {
  maxFailures: number;
  backoffMs: number;
  maxBackoffMs: number;
  windowMs: number;
  /** The most keys kept (default 100,000). */
  maxKeys?: number;
}

interface Entry {
  failures: number;
  lastAt: number;
  lockedUntil: number;
}

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();
  private readonly maxKeys: number;

  constructor(private readonly options: LoginThrottleOptions, private readonly clock: () => number = Date.now) {
    this.maxKeys = options.maxKeys ?? 100_000;
  }

  /** Seconds until `user` may try again from `address`, or 0 when it may now. */
  retryAfterS(user: string, address: string): number {
    const now = this.clock();
    const e = this.live(keyOf(user, address), now);
    if (!e || e.lockedUntil <= now) return 0;
    return Math.max(1, Math.ceil((e.lockedUntil - now) / 1000));
  }

  /** Records a failed attempt; returns the lock it earned in seconds (0: still within the free failures). */
  failed(user: string, address: string): number {
    const now = this.clock();
    const key = keyOf(user, address);
    const e = this.live(key, now) ?? { failures: 0, lastAt: now, lockedUntil: 0 };
    e.failures++;
    e.lastAt = now;
    const over = e.failures - this.options.maxFailures;
    // 2 ** over grows past any cap quickly; min() keeps it finite.
    const lockMs = over >= 0 ? Math.min(this.options.maxBackoffMs, this.options.backoffMs * 2 ** Math.min(over, 40)) : 0;
    e.lockedUntil = now + lockMs;
    // Re-inserted: the map's order is then oldest activity first, which is what the cap drops.
    this.entries.delete(key);
    this.entries.set(key, e);
    if (this.entries.size > this.maxKeys) this.shrink(now);
    return Math.ceil(lockMs / 1000);
  }

  succeeded(user: string, address: string): void {
    this.entries.delete(keyOf(user, address));
  }

  get size(): number {
    return this.entries.size;
  }

  private live(key: string, now: number): Entry | undefined {
    const e = this.entries.get(key);
    if (e && this.expired(e, now)) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  private expired(e: Entry, now: number): boolean {
    return now >= Math.max(e.lockedUntil, e.lastAt + this.options.windowMs);
  }

  /** Drops expired keys, then the oldest, down to 90% of the cap (so the next insert does not scan again). */
  private shrink(now: number): void {
    const target = Math.floor(this.maxKeys * 0.9);
    for (const [k, e] of this.entries) if (this.expired(e, now)) this.entries.delete(k);
    for (const k of this.entries.keys()) {
      if (this.entries.size <= target) break;
      this.entries.delete(k);
    }
  }
}

function keyOf(user: string, address: string): string {
  return `${user.toLowerCase()}\u0000${address}`;
}
