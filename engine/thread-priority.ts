import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { log } from './log.js';

/** The nice value background threads run at: on a busy machine they get about a tenth of a contended core. */
export const BACKGROUND_NICE = 10;

/**
 * Lowers the scheduling priority of the calling thread (not the process) to BACKGROUND_NICE, for work that is off
 * the acknowledgement path: scoring, the console's projection. When every core is busy, the threads that decode,
 * judge and commit events, whose latency the FEP sees, then get the CPU first; the background work catches up in
 * the gaps (its queues are bounded, so a backlog still slows the sockets down rather than growing without end).
 *
 * Linux keeps a nice value per thread. Node has no gettid(), but /proc/thread-self names the calling thread, and
 * os.setPriority() with a thread id sets that thread's. Raising one's own nice value needs no privilege. Anywhere
 * else (no /proc, another OS) the thread keeps its priority. SWAPREP_BACKGROUND_NICE=0 turns this off.
 */
export function runAsBackgroundThread(name: string): void {
  const nice = Number(process.env.SWAPREP_BACKGROUND_NICE ?? BACKGROUND_NICE);
  if (!Number.isInteger(nice) || nice <= 0) return;
  let tid: number;
  try {
    tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return; // not Linux
  }
  try {
    setPriority(tid, Math.min(19, nice));
  } catch (err) {
    log('debug', `${name}: thread priority unchanged (${(err as Error).message})`);
  }
}
