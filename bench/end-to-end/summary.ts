/**
 * The end-to-end benchmark's figures: medians over runs, and the Markdown table the README quotes. Pure, so
 * the accounting is unit-tested.
 */
import { median } from '../support/results.js';

/** What the medians need of one run (engine-rate.ts's RunResult has more). */
export interface RunFigures {
  engine: {
    sustainedRate: number;
    atSustained: { latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number }; engineCpuCores: number; engineRssMiB: number } | null;
    enginePeakRssMiB: number;
  };
  baseline: { rate: number };
  ceiling: { eventsPerSecond: number };
}

export interface E2EMedians {
  sustainedEventsPerSecond: number;
  /** Runs in which a rate was confirmed (the others count as 0 in the median above). */
  runsSustained: number;
  baselineEventsPerSecond: number;
  copyCeilingEventsPerSecond: number;
  /** Medians of each run's own ratio (engine and references measured back to back). */
  ratioToBaseline: number;
  ratioToCeiling: number;
  /** At the sustained rate: medians over the runs that confirmed one (null when none did). */
  latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number } | null;
  engineCpuCores: number | null;
  engineRssMiB: number | null;
  enginePeakRssMiB: number;
}

const r2 = (x: number) => Math.round(x * 100) / 100;
const r3 = (x: number) => Math.round(x * 1000) / 1000;

export function e2eMedians(runs: readonly RunFigures[]): E2EMedians {
  if (runs.length === 0) throw new Error('no runs to summarise');
  const m = (f: (r: RunFigures) => number) => median(runs.map(f));
  const confirmed = runs.flatMap((r) => (r.engine.atSustained ? [r.engine.atSustained] : []));
  const mc = (f: (a: NonNullable<RunFigures['engine']['atSustained']>) => number) => (confirmed.length > 0 ? median(confirmed.map(f)) : null);
  const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);
  return {
    sustainedEventsPerSecond: Math.round(m((r) => r.engine.sustainedRate)),
    runsSustained: confirmed.length,
    baselineEventsPerSecond: Math.round(m((r) => r.baseline.rate)),
    copyCeilingEventsPerSecond: Math.round(m((r) => r.ceiling.eventsPerSecond)),
    ratioToBaseline: r2(m((r) => ratio(r.engine.sustainedRate, r.baseline.rate))),
    ratioToCeiling: r3(m((r) => ratio(r.engine.sustainedRate, r.ceiling.eventsPerSecond))),
    latencyMs:
      confirmed.length > 0
        ? {
            p50: r2(mc((a) => a.latencyMs.p50)!),
            p90: r2(mc((a) => a.latencyMs.p90)!),
            p99: r2(mc((a) => a.latencyMs.p99)!),
            p999: r2(mc((a) => a.latencyMs.p999)!),
            max: r2(mc((a) => a.latencyMs.max)!),
          }
        : null,
    engineCpuCores: confirmed.length > 0 ? r2(mc((a) => a.engineCpuCores)!) : null,
    engineRssMiB: mc((a) => a.engineRssMiB),
    enginePeakRssMiB: m((r) => r.engine.enginePeakRssMiB),
  };
}

export interface TableInput {
  e2e?: { medians: E2EMedians; runs: number; confirmSeconds: number; maxP99Ms: number } | undefined;
  memory?: { trades: number; rssMiB: number; peakRssMiB: number; heapUsedAfterGcMiB: number | null } | undefined;
  replay?: { lines: number; linesPerSecond: number; peakRssMiB: number | null } | undefined;
}

const NOT_MEASURED = 'not measured in this run';
const int = (x: number) => Math.round(x).toLocaleString('en-US');

/** The table the README's "Speed" section quotes. */
export function markdownTable(t: TableInput): string {
  const rows: [string, string, string][] = [];
  const e = t.e2e?.medians;
  const per = t.e2e ? ` (median of ${t.e2e.runs} runs)` : '';
  rows.push([`Engine, rules and scoring on: highest rate held ${t.e2e?.confirmSeconds ?? 60} s with p99 ack ≤ ${t.e2e?.maxP99Ms ?? 100} ms${per}`, e ? `${int(e.sustainedEventsPerSecond)} events/s` : NOT_MEASURED, '≥ 50,000 events/s']);
  rows.push(['Baseline: JSON over HTTP, one transaction per event', e ? `${int(e.baselineEventsPerSecond)} events/s` : NOT_MEASURED, '']);
  rows.push(['Engine ÷ baseline', e ? `${e.ratioToBaseline.toFixed(1)}x` : NOT_MEASURED, '≥ 10x']);
  rows.push(['Ceiling: PostgreSQL COPY of the same rows, pre-serialized', e ? `${int(e.copyCeilingEventsPerSecond)} events/s` : NOT_MEASURED, '']);
  rows.push(['Engine ÷ ceiling', e ? `${(e.ratioToCeiling * 100).toFixed(0)}%` : NOT_MEASURED, '']);
  const l = e?.latencyMs;
  rows.push(['Ack latency at that rate, p50 / p90 / p99 / p99.9 / max', l ? `${[l.p50, l.p90, l.p99, l.p999, l.max].map((v) => v.toFixed(1)).join(' / ')} ms` : e ? 'no rate confirmed' : NOT_MEASURED, 'p99 ≤ 100 ms']);
  rows.push(['Engine CPU at that rate (all threads)', e?.engineCpuCores != null ? `${e.engineCpuCores.toFixed(2)} cores` : e ? 'no rate confirmed' : NOT_MEASURED, '']);
  rows.push(['Engine RSS at that rate / peak over the run', e ? `${e.engineRssMiB != null ? int(e.engineRssMiB) : '?'} / ${int(e.enginePeakRssMiB)} MiB` : NOT_MEASURED, '']);
  const m = t.memory;
  rows.push([`Engine memory with ${m ? int(m.trades) : '1,000,000'} live trades: RSS / heap after GC`, m ? `${int(m.rssMiB)} MiB / ${m.heapUsedAfterGcMiB != null ? int(m.heapUsedAfterGcMiB) : '?'} MiB` : NOT_MEASURED, '< 2 GB']);
  const r = t.replay;
  rows.push([`\`swaprep replay\` of a ${r ? int(r.lines) : '1,000,000'}-line JSONL file: rate / peak RSS`, r ? `${int(r.linesPerSecond)} lines/s / ${r.peakRssMiB != null ? int(r.peakRssMiB) : '?'} MiB` : NOT_MEASURED, '≥ 50,000 lines/s, < 500 MB']);
  return ['| Figure | Measured | Goal |', '|---|---|---|', ...rows.map((c) => `| ${c.join(' | ')} |`)].join('\n') + '\n';
}
