/**
 * Login attempts per address, whatever the user: a sliding window of attempt times per key (per user and address
 * failures are login-throttle.ts's). Hand-written because it is a
 * few lines over a Map for one process; keys are pruned as their windows pass so the map stays bounded by the
 * keys active within a window.
 */
export class SlidingWindowLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(private readonly max: number, private readonly windowMs: number, private readonly clock: () => number = Date.now) {}

  /** Seconds until `key` may try again, or 0 when it may now. */
  retryAfterS(key: string): number {
    const now = this.clock();
    const times = this.prune(key, now);
    if (times.length < this.max) return 0;
    return Math.max(1, Math.ceil((times[0]! + this.windowMs - now) / 1000));
  }

  record(key: string): void {
    const now = this.clock();
    const times = this.prune(key, now);
    times.push(now);
    this.hits.set(key, times);
    if (this.hits.size > 10_000) for (const k of this.hits.keys()) this.prune(k, now);
  }

  reset(key: string): void {
    this.hits.delete(key);
  }

  private prune(key: string, now: number): number[] {
    const times = (this.hits.get(key) ?? []).filter((t) => t > now - this.windowMs);
    if (times.length === 0) this.hits.delete(key);
    else this.hits.set(key, times);
    return times;
  }
}
