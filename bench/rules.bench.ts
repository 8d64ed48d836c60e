/**
 * npm run bench:rules — stateless validation speed of the rulebook (engine/rules) on one core.
 *
 * The workload is the DRR 6.10 corpus mix: the 209 Part 45 records validated under `cftc-part45` and the 209
 * Part 43 records under `cftc-part43`, interleaved, decoded once into the canonical record (as the engine
 * holds them) and validated with `leiCheck: 'warn'` (the corpus's LEIs are largely dummies). Every record
 * breaks rules (the corpus is not validation-clean: ~11 findings per record), so the figure includes building
 * findings and their messages. One tinybench iteration validates the whole mix once; records/s =
 * records per iteration / iteration latency. Medians over BENCH_RUNS runs (default 5) go to
 * bench/results.json under "rules" (other benchmarks own other keys). Goal: >= 200,000 records/s.
 */
import { join } from 'node:path';
import { Bench } from 'tinybench';
import { projectRoot } from '../engine/project-root.js';
import { loadCorpus } from '../loadtest/corpus-reports.js';
import { compileRulebook, type Regime, type SwapReport } from '../engine/rules/index.js';
import { machine, median, writeResult } from './support/results.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const TIME_MS = Number(process.env.BENCH_TIME_MS ?? 2000);
const GOAL = 200_000;

interface Workload {
  readonly name: string;
  readonly records: readonly SwapReport[];
  readonly validate: (r: SwapReport) => number;
}

function main(): void {
  const corpus = join(projectRoot(), 'test', 'fixtures', 'drr-6.10');
  const p45 = loadCorpus(join(corpus, 'cftc-part45'));
  const p43 = loadCorpus(join(corpus, 'cftc-part43'));
  const book = (regime: Regime) => compileRulebook({ regime, leiCheck: 'warn' });
  const b45 = book('cftc-part45');
  const b43 = book('cftc-part43');
  const bk = book('ktfc');

  // The mix: Part 45 and Part 43 records alternating, each with its regime's rulebook.
  const mixed: { r: SwapReport; v: (r: SwapReport) => number }[] = [];
  for (let i = 0; i < Math.max(p45.length, p43.length); i++) {
    if (p45[i]) mixed.push({ r: p45[i]!, v: (r) => b45.validate(r).length });
    if (p43[i]) mixed.push({ r: p43[i]!, v: (r) => b43.validate(r).length });
  }
  const workloads: Workload[] = [
    { name: 'mix', records: mixed.map((m) => m.r), validate: () => 0 },
    { name: 'cftc-part45', records: p45, validate: (r) => b45.validate(r).length },
    { name: 'cftc-part43', records: p43, validate: (r) => b43.validate(r).length },
    { name: 'ktfc', records: p45, validate: (r) => bk.validate(r).length },
  ];
  const runMix = (): number => {
    let n = 0;
    for (let i = 0; i < mixed.length; i++) n += mixed[i]!.v(mixed[i]!.r);
    return n;
  };
  const iteration = (w: Workload) => (w.name === 'mix' ? runMix : () => {
    let n = 0;
    for (let i = 0; i < w.records.length; i++) n += w.validate(w.records[i]!);
    return n;
  });
  const findingsPerRecord = Object.fromEntries(workloads.map((w) => [w.name, round(iteration(w)() / w.records.length, 2)]));

  const perRun: Record<string, number[]> = Object.fromEntries(workloads.map((w) => [w.name, []]));
  for (let run = 1; run <= RUNS; run++) {
    const bench = new Bench({ name: `rules run ${run}`, time: TIME_MS, warmupTime: 500 });
    for (const w of workloads) bench.add(w.name, iteration(w));
    for (const task of bench.runSync()) {
      const result = task.result;
      if (result.state !== 'completed') throw new Error(`${task.name}: ${result.state}`);
      const w = workloads.find((x) => x.name === task.name)!;
      const rate = w.records.length / (result.latency.p50 / 1000);
      perRun[task.name]!.push(rate);
      console.log(`run ${run} ${task.name.padEnd(12)} ${Math.round(rate).toLocaleString('en-US').padStart(10)} records/s (p50 ${result.latency.p50.toFixed(3)} ms per ${w.records.length} records)`);
    }
  }

  const compileMs = timeCompile();
  const medians = Object.fromEntries(workloads.map((w) => [w.name, Math.round(median(perRun[w.name]!))]));
  const headline = medians['mix']!;
  writeResult('rules', {
    machine: machine(),
    settings: { runs: RUNS, timeMsPerTask: TIME_MS, leiCheck: 'warn', records: { 'cftc-part45': p45.length, 'cftc-part43': p43.length, mix: mixed.length } },
    medians: { recordsPerSecond: medians, compileRulebookMs: compileMs },
    findingsPerRecord,
    goal: { recordsPerSecond: GOAL, workload: 'mix', met: headline >= GOAL },
    runs: perRun,
  });
  console.log(`median mix: ${headline.toLocaleString('en-US')} records/s (goal ${GOAL.toLocaleString('en-US')}: ${headline >= GOAL ? 'met' : 'NOT met'}); compile ${compileMs} ms per rulebook`);
}

/** Median time to compile one rulebook (done once per engine start and per regime). */
function timeCompile(): number {
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    compileRulebook({ regime: 'cftc-part45', leiCheck: 'error' });
    samples.push(performance.now() - t0);
  }
  return round(median(samples), 2);
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

main();
