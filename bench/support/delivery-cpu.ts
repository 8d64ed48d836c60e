/**
 * CPU accounting of bench:delivery, from /proc (Linux): the engine process (all its threads, and per thread kind),
 * the PostgreSQL backends serving the phase's database (every backend seen while the meter runs, so one that
 * exits mid-run keeps what it had used by its last sample), sdr-sim's process, and this process (the FEP client
 * and the NACK tap), each as CPU seconds since `start()`.
 */
import { readFileSync, readdirSync } from 'node:fs';
import type pg from 'pg';
import { quietSince, type CpuSample } from './delivery-stats.js';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU seconds of a process so far (all its threads, live and ended), or undefined when it is gone. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** CPU seconds per live thread kind (its name less trailing digits; the main thread is "main", unnamed ones "other threads"). */
export function threadCpuSeconds(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // Node names none of its other threads (workers, libuv's pool, V8's platform threads): all are "node".
      const name = comm.replace(/[\d-]+$/, '').trim() || comm;
      const kind = tid === String(pid) ? 'main' : name === 'node' ? 'other threads' : name;
      out[kind] = (out[kind] ?? 0) + (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND;
    } catch {
      // the thread ended
    }
  }
  return out;
}

export interface CpuReading {
  engineS: number;
  backendsS: number;
  simS: number;
  benchS: number;
  /** The largest number of backends of the database seen at once. */
  backends: number;
}

export interface CpuMeterOptions {
  enginePid: number;
  /** An admin connection (to another database) that reads pg_stat_activity. */
  admin: pg.Client;
  database: string;
  simPid?: number;
}

/**
 * Readings relative to `start()`. Call `sample()` now and then (the quiet wait does; a phase's own timer every
 * second) so backends that come and go are counted.
 */
export class CpuMeter {
  private engine0 = 0;
  private engineLast = 0;
  private threads0: Record<string, number> = {};
  private readonly backend0 = new Map<number, number>();
  private readonly backendLast = new Map<number, number>();
  private sim0 = 0;
  private simLast = 0;
  private bench0 = 0;
  private maxBackends = 0;

  constructor(private readonly o: CpuMeterOptions) {}

  async start(): Promise<void> {
    this.backend0.clear();
    this.backendLast.clear();
    this.maxBackends = 0;
    for (const [pid, s] of await this.readBackends()) this.backend0.set(pid, s);
    this.engine0 = this.engineLast = processCpuSeconds(this.o.enginePid) ?? 0;
    this.threads0 = threadCpuSeconds(this.o.enginePid);
    this.sim0 = this.simLast = this.o.simPid === undefined ? 0 : processCpuSeconds(this.o.simPid) ?? 0;
    const u = process.cpuUsage();
    this.bench0 = (u.user + u.system) / 1e6;
  }

  /** Reads every process now; returns the totals since start(). */
  async sample(): Promise<CpuReading> {
    const backends = await this.readBackends();
    for (const [pid, s] of backends) this.backendLast.set(pid, s);
    this.maxBackends = Math.max(this.maxBackends, backends.size);
    this.engineLast = processCpuSeconds(this.o.enginePid) ?? this.engineLast;
    if (this.o.simPid !== undefined) this.simLast = processCpuSeconds(this.o.simPid) ?? this.simLast;
    return this.reading();
  }

  /** The totals as of the last sample. */
  reading(): CpuReading {
    let backendsS = 0;
    for (const [pid, s] of this.backendLast) backendsS += s - (this.backend0.get(pid) ?? 0);
    const u = process.cpuUsage();
    return {
      engineS: this.engineLast - this.engine0, backendsS, simS: this.simLast - this.sim0, benchS: (u.user + u.system) / 1e6 - this.bench0,
      backends: this.maxBackends,
    };
  }

  /** CPU seconds per engine thread kind since start() (live threads; a thread that ended is left out). */
  threads(): Record<string, number> {
    const now = threadCpuSeconds(this.o.enginePid);
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(now)) {
      const d = v - (this.threads0[k] ?? 0);
      if (d > 0) out[k] = d;
    }
    return out;
  }

  private async readBackends(): Promise<Map<number, number>> {
    const { rows } = await this.o.admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [this.o.database]);
    const out = new Map<number, number>();
    for (const r of rows) {
      const s = processCpuSeconds(r.pid);
      if (s !== undefined) out.set(r.pid, s);
    }
    return out;
  }
}

export interface QuietOptions {
  /** Less than this many cores over the window counts as quiet (default 0.1). */
  maxCores?: number;
  windowMs?: number;
  intervalMs?: number;
  timeoutMs?: number;
  /** Which of the reading's parts count (default engine + backends + sdr-sim). */
  busy?: (r: CpuReading) => number;
}

/**
 * Samples the meter until the processes watched are quiet (quietSince), or the timeout passes. Resolves with the
 * reading at the moment the quiet stretch began (the idle time that proves it is not counted), whether it timed
 * out (then the last reading), and how long it waited.
 */
export async function waitQuiet(meter: CpuMeter, o: QuietOptions = {}): Promise<{ reading: CpuReading; timedOut: boolean; waitedMs: number }> {
  const maxCores = o.maxCores ?? 0.1;
  const windowMs = o.windowMs ?? 1_000;
  const intervalMs = o.intervalMs ?? 250;
  const timeoutMs = o.timeoutMs ?? 60_000;
  const busy = o.busy ?? ((r: CpuReading) => r.engineS + r.backendsS + r.simS);
  const started = performance.now();
  const samples: CpuSample[] = [];
  const readings: CpuReading[] = [];
  for (;;) {
    const r = await meter.sample();
    readings.push(r);
    samples.push({ tMs: performance.now(), cpuS: busy(r) });
    const i = quietSince(samples, maxCores, windowMs);
    if (i !== undefined) return { reading: readings[i]!, timedOut: false, waitedMs: Math.round(performance.now() - started) };
    if (performance.now() - started > timeoutMs) return { reading: r, timedOut: true, waitedMs: Math.round(performance.now() - started) };
    await new Promise((res) => setTimeout(res, intervalMs));
  }
}
