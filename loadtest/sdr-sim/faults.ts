/**
 * Faults on command: the next `count` batches (on the named channel, or any) meet the fault.
 *   timeout   processed, never answered (HTTP: the request hangs; SFTP: no response file)
 *   5xx       not processed, answered 503 (SFTP: the upload is refused)
 *   drop      processed, then the connection is dropped without an answer
 *   duplicate processed, and the answer is sent twice (HTTP: every result listed twice; SFTP: two response files)
 */
export type FaultMode = 'timeout' | '5xx' | 'drop' | 'duplicate';
export const FAULT_MODES: readonly FaultMode[] = ['timeout', '5xx', 'drop', 'duplicate'];
export type FaultChannel = 'http' | 'sftp' | 'any';

interface Pending {
  mode: FaultMode;
  channel: FaultChannel;
  remaining: number;
}

export class Faults {
  private queue: Pending[] = [];
  readonly injected: Record<FaultMode, number> = { timeout: 0, '5xx': 0, drop: 0, duplicate: 0 };

  arm(mode: FaultMode, count = 1, channel: FaultChannel = 'any'): void {
    this.queue.push({ mode, channel, remaining: count });
  }

  clear(): void {
    this.queue = [];
  }

  /** The fault for the next batch on `channel`, consuming one, or undefined; `only`: consume it only if it is that mode. */
  take(channel: 'http' | 'sftp', only?: FaultMode): FaultMode | undefined {
    const p = this.queue.find((q) => q.channel === 'any' || q.channel === channel);
    if (!p || (only !== undefined && p.mode !== only)) return undefined;
    if (--p.remaining <= 0) this.queue.splice(this.queue.indexOf(p), 1);
    this.injected[p.mode]++;
    return p.mode;
  }
}
