import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

export interface ProcessStats {
  cpuSeconds: number;
  peakRssMiB: number;
  rssMiB: number;
}

/** CPU seconds used so far and peak resident memory of a process, from /proc (Linux). */
export function processStats(pid: number): ProcessStats {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { cpuSeconds, peakRssMiB: Math.round(kib('VmHWM') / 1024), rssMiB: Math.round(kib('VmRSS') / 1024) };
}

/**
 * Reads a process's stats every `intervalMs` until stop(), which returns the last reading: for a process
 * that exits on its own (its /proc entry goes with it), the peak RSS and CPU time up to its last moments.
 */
export function sampleProcess(pid: number, intervalMs = 200): { stop(): ProcessStats | undefined } {
  let last: ProcessStats | undefined;
  const read = () => {
    try {
      const now = processStats(pid);
      // An exited process not yet reaped (a zombie) still has a /proc entry, without memory figures.
      if (now.peakRssMiB > 0) last = now;
    } catch {
      // Gone: keep the last reading.
    }
  };
  read();
  const timer = setInterval(read, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      read();
      return last;
    },
  };
}

interface WaitOptions {
  maxCores?: number;
  windowMs?: number;
  timeoutMs?: number;
}

/**
 * Waits until `busySeconds` (a running total of CPU seconds) grows by less than `maxCores` over `windowMs`, or
 * `timeoutMs` passed; resolves with the milliseconds waited.
 */
async function waitForCpuBelow(busySeconds: () => number, maxCores: number, windowMs: number, timeoutMs: number): Promise<number> {
  const started = performance.now();
  let before = busySeconds();
  while (performance.now() - started < timeoutMs) {
    await new Promise((r) => setTimeout(r, windowMs));
    const now = busySeconds();
    if ((now - before) / (windowMs / 1000) < maxCores) break;
    before = now;
  }
  return Math.round(performance.now() - started);
}

/**
 * Waits until a process has used less than `maxCores` of CPU over `windowMs` (a load run's backlog and
 * after-work, such as scoring, are done), or `timeoutMs` passed; resolves with the milliseconds waited.
 */
export function waitForIdle(pid: number, o: WaitOptions = {}): Promise<number> {
  return waitForCpuBelow(() => processStats(pid).cpuSeconds, o.maxCores ?? 0.2, o.windowMs ?? 500, o.timeoutMs ?? 30_000);
}

/** Busy CPU time of the whole machine so far, in seconds (all cores), from /proc/stat's first line (Linux). */
export function machineBusySeconds(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal ...: idle and iowait are not busy.
  const busy = cpu.reduce((a, v, i) => (i === 3 || i === 4 ? a : a + v), 0);
  return busy / TICKS_PER_SECOND;
}

/**
 * Waits until the whole machine has used less than `maxCores` over `windowMs`, or `timeoutMs` passed;
 * resolves with the milliseconds waited. The engine process alone can look idle while PostgreSQL, on the
 * same machine, still works off what an overloaded probe left (projection upserts, scores, checkpoints):
 * a probe started then measures that leftover, not the rate it asks for.
 */
export function waitForQuietMachine(o: WaitOptions = {}): Promise<number> {
  return waitForCpuBelow(machineBusySeconds, o.maxCores ?? 0.3, o.windowMs ?? 1_000, o.timeoutMs ?? 120_000);
}
