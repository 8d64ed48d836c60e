/**
 * node dist/bench/reports.bench.js — report generation speed on one core (engine/reports).
 *
 * Workloads over the 209 DRR 6.10 Part 45 records, decoded once into the canonical record as the engine holds
 * them: one regime's submission per record (JSON or CSV), and "event" = everything one accepted event owes
 * under the default configuration (Part 45 JSON, and Part 43 JSON with rounding, capping and dissemination
 * delay when owed), deadlines included. records/s = records per iteration / iteration p50 latency.
 * Medians over BENCH_RUNS runs (default 5) go to bench/results.json under "reports". Goal: >= 100,000/s for
 * "event".
 */
import { join } from 'node:path';
import { Bench } from 'tinybench';
import { projectRoot } from '../engine/project-root.js';
import { loadCorpus } from '../loadtest/corpus-reports.js';
import { createReportBuilder, type ReportFormat, type ReportRegime } from '../engine/reports/index.js';
import type { SwapReport } from '../proto/gen/swap_report.js';
import { machine, median, writeResult } from './support/results.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const TIME_MS = Number(process.env.BENCH_TIME_MS ?? 1500);
const GOAL = 100_000;

function main(): void {
  const records: readonly SwapReport[] = loadCorpus(join(projectRoot(), 'test', 'fixtures', 'drr-6.10', 'cftc-part45'));
  const builder = createReportBuilder();
  const now = Date.now();
  const one = (regime: ReportRegime, format: ReportFormat) => (): number => {
    let bytes = 0;
    for (let i = 0; i < records.length; i++) bytes += builder.build(regime, records[i]!, now, format).payload.length;
    return bytes;
  };
  const tasks: Record<string, () => number> = {
    event: () => {
      let bytes = 0;
      for (let i = 0; i < records.length; i++) {
        const r = records[i]!;
        for (const regime of builder.owed(r)) bytes += builder.build(regime, r, now, 'json').payload.length;
      }
      return bytes;
    },
    'cftc-part45 json': one('cftc-part45', 'json'),
    'cftc-part43 json': one('cftc-part43', 'json'),
    'ktfc json': one('ktfc', 'json'),
    'cftc-part45 csv': one('cftc-part45', 'csv'),
    'cftc-part43 csv': one('cftc-part43', 'csv'),
  };
  const owedPerEvent = records.reduce((n, r) => n + builder.owed(r).length, 0) / records.length;
  const perRun: Record<string, number[]> = Object.fromEntries(Object.keys(tasks).map((k) => [k, []]));
  for (let run = 1; run <= RUNS; run++) {
    const bench = new Bench({ name: `reports run ${run}`, time: TIME_MS, warmupTime: 300 });
    for (const [name, fn] of Object.entries(tasks)) bench.add(name, fn);
    for (const task of bench.runSync()) {
      const result = task.result;
      if (result.state !== 'completed') throw new Error(`${task.name}: ${result.state}`);
      const rate = records.length / (result.latency.p50 / 1000);
      perRun[task.name]!.push(rate);
      console.log(`run ${run} ${task.name.padEnd(18)} ${Math.round(rate).toLocaleString('en-US').padStart(10)} records/s`);
    }
  }
  const medians = Object.fromEntries(Object.entries(perRun).map(([k, v]) => [k, Math.round(median(v))]));
  const headline = medians['event']!;
  writeResult('reports', {
    machine: machine(),
    settings: { runs: RUNS, timeMsPerTask: TIME_MS, records: records.length, owedSubmissionsPerEvent: Math.round(owedPerEvent * 100) / 100 },
    medians: { recordsPerSecond: medians },
    goal: { recordsPerSecond: GOAL, workload: 'event', met: headline >= GOAL },
    runs: perRun,
  });
  console.log(`median event: ${headline.toLocaleString('en-US')} records/s (goal ${GOAL.toLocaleString('en-US')}: ${headline >= GOAL ? 'met' : 'NOT met'})`);
}

main();
