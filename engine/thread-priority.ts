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
  let nice: number;
  try {
    nice = backgroundNice(process.env);
  } catch (err) {
    log('warn', `${name}: thread priority unchanged (${(err as Error).message})`);
    return;
  }
  if (nice === 0) return;
  let tid: number;
  try {
    tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return; // not Linux
  }
  try {
    setPriority(tid, nice);
  } catch (err) {
    log('debug', `${name}: thread priority unchanged (${(err as Error).message})`);
  }
}

/**
 * The nice value of SWAPREP_BACKGROUND_NICE (default BACKGROUND_NICE; 0 turns lowering off). loadConfig calls it
 * too, so that a bad value stops the engine at start with its name rather than being ignored in every thread.
 */
export function backgroundNice(env: Record<string, string | undefined>): number {
  const value = env.SWAPREP_BACKGROUND_NICE;
  if (value === undefined || value === '') return BACKGROUND_NICE;
  const nice = Number(value);
  if (!Number.isInteger(nice) || nice < 0 || nice > 19) throw new Error(`SWAPREP_BACKGROUND_NICE: "${value}" is not a nice value from 0 (off) to 19`);
  return nice;
}
