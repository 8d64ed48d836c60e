/**
 * The timers of one FEP connection: the Hello deadline (from connecting until the Hello frame arrives) and,
 * once welcomed, the idle timeout (nothing received or sent for that long). A peer is not idle while the engine
 * is not reading it (backpressure) or owes it Acks (a slow commit): it is waiting for the engine.
 *
 * Activity only stamps a time; the one timer checks the stamp when it fires and sleeps again for what is
 * left, so a connection receiving thousands of reads a second does not re-arm a timer for each.
 */
export class ConnectionWatch {
  private timer: NodeJS.Timeout | undefined;
  private stage: 'hello' | 'authenticating' | 'open' | 'stopped' = 'hello';
  private lastActivityMs = 0;
  private paused = false;

  constructor(
    private readonly limits: { helloTimeoutMs: number; idleTimeoutMs: number },
    /** Called once when a limit runs out, with what to tell the peer. */
    private readonly expire: (message: string) => void,
    /** Whether the engine owes the peer something (Acks): the idle clock does not run out meanwhile. */
    private readonly waitingForEngine: () => boolean = () => false,
  ) {
    if (limits.helloTimeoutMs > 0) {
      this.arm(limits.helloTimeoutMs, () => this.fire(`no Hello within ${limits.helloTimeoutMs} ms of connecting (SWAPREP_HELLO_TIMEOUT_MS)`));
    }
  }

  /** The Hello frame arrived: the deadline is met (authentication has its own pace). */
  helloReceived(): void {
    if (this.stage !== 'hello') return;
    this.stage = 'authenticating';
    this.clear();
  }

  /** Welcome was sent: from now on the idle timeout applies. */
  opened(): void {
    if (this.stage === 'stopped') return;
    this.stage = 'open';
    this.clear();
    this.lastActivityMs = performance.now();
    if (this.limits.idleTimeoutMs > 0) this.arm(this.limits.idleTimeoutMs, () => this.checkIdle());
  }

  /** Something arrived from the peer, or was sent to it. */
  activity(): void {
    this.lastActivityMs = performance.now();
  }

  /** The engine stopped (true) or restarted (false) reading the connection. */
  setPaused(paused: boolean): void {
    this.paused = paused;
    if (!paused) this.lastActivityMs = performance.now();
  }

  stop(): void {
    this.stage = 'stopped';
    this.clear();
  }

  private checkIdle(): void {
    const idle = this.limits.idleTimeoutMs;
    const quietMs = performance.now() - this.lastActivityMs;
    if (this.paused || this.waitingForEngine()) {
      this.lastActivityMs = performance.now();
      this.arm(idle, () => this.checkIdle());
      return;
    }
    if (quietMs < idle) {
      this.arm(idle - quietMs, () => this.checkIdle());
      return;
    }
    this.fire(`nothing received or sent for ${idle} ms (SWAPREP_IDLE_TIMEOUT_MS); a quiet client may send an empty Batch now and then to keep its connection`);
  }

  private fire(message: string): void {
    if (this.stage === 'stopped') return;
    this.stop();
    this.expire(message);
  }

  private arm(ms: number, run: () => void): void {
    this.clear();
    this.timer = setTimeout(run, Math.max(1, Math.ceil(ms)));
    // Timers of connections must not keep a stopping process alive.
    this.timer.unref();
  }

  private clear(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
