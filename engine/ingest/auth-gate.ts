import { createHash, timingSafeEqual } from 'node:crypto';

export interface AuthGateLimits {
  /** Token checks querying the database at once (at least 1). */
  maxConcurrentAuth: number;
  /** How long an accepted token is remembered (0: not at all). */
  authCacheMs: number;
}

/**
 * In front of the token check, which queries the engine's main pool (where actors load their trades): at
 * most `maxConcurrentAuth` checks at a time, first come first served, so that a flood of Hellos with bad
 * tokens queues here instead of taking every connection of that pool; and a short memory of accepted
 * tokens, so that a source that was welcomed lately reconnects without the database and without waiting
 * behind such a flood. Refusals are not remembered: a flood of made-up source ids would only fill the memory.
 */
export class AuthGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly accepted = new Map<string, { digest: Buffer; untilMs: number }>();

  constructor(
    private readonly limits: AuthGateLimits,
    private readonly check: (sourceId: string, token: string) => Promise<boolean>,
    private readonly nowMs: () => number = () => performance.now(),
  ) {}

  /** Whether `token` is the source's; false without a query when `stillWanted` says the connection has gone meanwhile. */
  async verify(sourceId: string, token: string, stillWanted: () => boolean): Promise<boolean> {
    const digest = createHash('sha256').update(token, 'utf8').digest();
    const known = this.accepted.get(sourceId);
    if (known && known.untilMs > this.nowMs() && timingSafeEqual(known.digest, digest)) return true;
    await this.turn();
    try {
      if (!stillWanted()) return false;
      const ok = await this.check(sourceId, token);
      // A wrong token leaves the remembered one alone: whoever guesses at a source must not slow its reconnects.
      if (ok && this.limits.authCacheMs > 0) this.accepted.set(sourceId, { digest, untilMs: this.nowMs() + this.limits.authCacheMs });
      return ok;
    } finally {
      this.release();
    }
  }

  /** Hellos waiting for their turn. */
  get queued(): number {
    return this.waiting.length;
  }

  private turn(): Promise<void> {
    if (this.running < Math.max(1, this.limits.maxConcurrentAuth)) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    // The slot passes straight to the next in line (running stays the same).
    if (next) next();
    else this.running--;
  }
}
