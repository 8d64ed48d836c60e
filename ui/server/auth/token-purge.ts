/**
 * Runs the refresh-token purge (AuthService.purgeRefreshTokens) once at start and then every period, so the table
 * holds only tokens that can still be presented: each login rotates its token every few minutes, and without this
 * every spent one would stay forever. The timer is unref'd (it never keeps the process alive) and stop() waits for
 * a purge in flight, so shutdown does not end the pool under it.
 */
import { log } from '../../../engine/log.js';

export class RefreshTokenPurge {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(private readonly purge: () => Promise<number>, private readonly periodMs: number) {}

  start(): void {
    if (this.timer) return;
    void this.runOnce();
    this.timer = setInterval(() => void this.runOnce(), this.periodMs);
    this.timer.unref();
  }

  /** One purge now (joined, not doubled, when one is already running). A failure is logged: the next period retries. */
  runOnce(): Promise<void> {
    this.inFlight ??= this.purge()
      .then((n) => {
        if (n > 0) log('info', `console: purged ${n} expired refresh token(s)`);
      }, (err: unknown) => {
        log('warn', `console: refresh token purge failed: ${(err as Error).message}`);
      })
      .finally(() => {
        this.inFlight = undefined;
      });
    return this.inFlight;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }
}
