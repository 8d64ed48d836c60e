/**
 * Watches an engine child process during a failure run: its resident memory (VmRSS from /proc, sampled on a timer)
 * and whether it died on its own (a crash: any exit the run did not ask for).
 */
import { readFileSync } from 'node:fs';
import type { ChildEngine } from '../../loadtest/engine-process.js';

export interface RssFigures {
  samples: number;
  /** After the warm-up, before the first fuzzed frame. */
  startMiB: number;
  peakMiB: number;
  /** At the end of each quarter of the run: a steady or falling line is bounded memory, a rising one is not. */
  quartersMiB: number[];
  /** After the run and a pause (garbage collected, connections gone). */
  endMiB: number;
}

/** VmRSS of a process in MiB, or undefined once it is gone. */
export function rssMiB(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

export class EngineWatch {
  crashed = false;
  exitCode: number | null | undefined;
  private readonly series: number[] = [];
  private readonly timer: NodeJS.Timeout;
  private expectingExit = false;

  constructor(readonly engine: ChildEngine, everyMs = 250) {
    void engine.exited.then((code) => {
      this.exitCode = code;
      if (!this.expectingExit) this.crashed = true;
    });
    this.timer = setInterval(() => {
      const r = rssMiB(engine.process.pid!);
      if (r !== undefined) this.series.push(r);
    }, everyMs);
    this.timer.unref();
  }

  /** The run is about to stop the engine: its exit is not a crash. */
  expectExit(): void {
    this.expectingExit = true;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Figures over the samples taken so far, `endMiB` read now. */
  figures(startMiB: number): RssFigures {
    const s = this.series;
    const quarter = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((s.length * q) / 4) - 1))] ?? 0;
    return {
      samples: s.length,
      startMiB,
      peakMiB: s.length > 0 ? Math.max(...s) : 0,
      quartersMiB: [1, 2, 3, 4].map(quarter),
      endMiB: rssMiB(this.engine.process.pid!) ?? 0,
    };
  }
}
