import { log } from './log.js';

/**
 * A background loop for followers of the event log (the submission intake, the console's trade projector): it runs
 * one pass after another, sleeps when a pass found nothing to do, and is woken early by nudge() (e.g. right after a
 * group commit). A failed pass is logged and the loop goes on.
 */
export class WakeableLoop {
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private active = false;

  /**
   * @param name   how a failed pass is logged
   * @param pass   one pass; false when it found nothing to do (the loop then sleeps before the next one)
   * @param idleMs how long to sleep after an idle pass
   */
  constructor(private readonly name: string, private readonly pass: () => Promise<boolean>, private readonly idleMs: () => number) {}

  get running(): boolean {
    return this.active;
  }

  start(): void {
    if (this.active) return;
    this.active = true;
    this.loop = (async () => {
      while (this.active) {
        let busy = false;
        try {
          busy = await this.pass();
        } catch (err) {
          log('warn', `${this.name}: ${(err as Error).message}`);
        }
        if (!busy && this.active) await this.sleep(this.idleMs());
      }
    })();
  }

  /** Sleeps at most `ms`; nudge() or stop() ends the sleep early. */
  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = undefined;
        resolve();
      };
    });
  }

  /** Asks a sleeping loop to look now. */
  nudge(): void {
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.active = false;
    this.wake?.();
    await this.loop;
  }
}
