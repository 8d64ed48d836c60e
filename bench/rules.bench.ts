/**
 * npm run bench:rules — stateless validation speed of the rulebook (engine/rules) on one core.
 *
 * The workload is the DRR 6.10 corpus mix: the 209 Part 45 records validated under `cftc-part45` and the 209
 * Part 43 records under `cftc-part43`, interleaved, decoded once into the canonical record (as the engine
 * holds them) and validated with `leiCheck: 'warn'` (the corpus's LEIs are largely dummies). Every record
 * breaks rules (the corpus is not validation-clean: ~11 findings per record), so the figure includes building
 * findings and their messages. One tinybench iteration validates the whole mix once; records/s =
 * records per iteration / iteration latency. Medians over BENCH_RUNS runs (default 5) go to
 * bench/results.json under "rules" (other benchmarks own other keys), with the machine's load average and a
 * reference measured in the same runs (JSON.parse of the same records' text), whose ratio to the validation
 * rate holds across machines. Goal: >= 200,000 records/s.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import { projectRoot } from '../engine/project-root.js';
import { loadCorpus } from '../loadtest/corpus-reports.js';
import { compileRulebook, type Regime, type SwapReport } from '../engine/rules/index.js';
import { machine, median, writeResult } from './support/results.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const TIME_MS = Number(process.env.BENCH_TIME_MS ?? 2000);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 3000);
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

  // The mix: every Part 45 record under Part 45, then every Part 43 record under Part 43 (as two streams
  // of one engine would be judged, each with its regime's rulebook).
  const mixed = [...p45, ...p43];
  const workloads: Workload[] = [
    { name: 'mix', records: mixed, validate: () => 0 },
    { name: 'cftc-part45', records: p45, validate: (r) => b45.validate(r).length },
    { name: 'cftc-part43', records: p43, validate: (r) => b43.validate(r).length },
    { name: 'ktfc', records: p45, validate: (r) => bk.validate(r).length },
  ];
  const runMix = (): number => {
    let n = 0;
    for (let i = 0; i < p45.length; i++) n += b45.validate(p45[i]!).length;
    for (let i = 0; i < p43.length; i++) n += b43.validate(p43[i]!).length;
    return n;
  };
  const iteration = (w: Workload) => (w.name === 'mix' ? runMix : () => {
    let n = 0;
    for (let i = 0; i < w.records.length; i++) n += w.validate(w.records[i]!);
    return n;
  });
  const findingsPerRecord = Object.fromEntries(workloads.map((w) => [w.name, round(iteration(w)() / w.records.length, 2)]));

  // A machine reference measured beside the rules: JSON.parse of the same records' text. The ratio of the two
  // is comparable across machines (and across loads: this machine is shared, see loadAverage).
  const texts = [...corpusTexts(join(corpus, 'cftc-part45')), ...corpusTexts(join(corpus, 'cftc-part43'))];
  const parseIteration = () => {
    let n = 0;
    for (let i = 0; i < texts.length; i++) n += (JSON.parse(texts[i]!) as object) === null ? 0 : 1;
    return n;
  };
  // Warm up every workload first: the generated rulebook code is large, and V8 optimises it in the
  // background for a while; measuring before that is done understates whichever task runs first.
  for (const w of workloads) {
    const run = iteration(w);
    const until = performance.now() + WARMUP_MS;
    while (performance.now() < until) run();
  }
  const perRun: Record<string, number[]> = Object.fromEntries([...workloads.map((w) => [w.name, []]), ['jsonParse', []]]);
  for (let run = 1; run <= RUNS; run++) {
    const bench = new Bench({ name: `rules run ${run}`, time: TIME_MS, warmupTime: 500 });
    for (const w of workloads) bench.add(w.name, iteration(w));
    bench.add('jsonParse', parseIteration);
    for (const task of bench.runSync()) {
      const result = task.result;
      if (result.state !== 'completed') throw new Error(`${task.name}: ${result.state}`);
      const records = workloads.find((x) => x.name === task.name)?.records.length ?? texts.length;
      const rate = records / (result.latency.p50 / 1000);
      perRun[task.name]!.push(rate);
      console.log(`run ${run} ${task.name.padEnd(12)} ${Math.round(rate).toLocaleString('en-US').padStart(10)} records/s (p50 ${result.latency.p50.toFixed(3)} ms per ${records} records)`);
    }
  }

  const compileMs = timeCompile();
  const medians = Object.fromEntries(Object.keys(perRun).map((k) => [k, Math.round(median(perRun[k]!))]));
  // Other load on a shared machine only ever slows a run down, so the best run is the least disturbed one.
  const best = Object.fromEntries(Object.keys(perRun).map((k) => [k, Math.round(Math.max(...perRun[k]!))]));
  const headline = medians['mix']!;
  writeResult('rules', {
    machine: { ...machine(), loadAverage: os.loadavg().map((x) => round(x, 2)) },
    settings: { runs: RUNS, timeMsPerTask: TIME_MS, warmupMsPerTask: WARMUP_MS, leiCheck: 'warn', records: { 'cftc-part45': p45.length, 'cftc-part43': p43.length, mix: mixed.length } },
    medians: {
      recordsPerSecond: medians,
      /** Validating the mix costs this many times a JSON.parse of the same records (machine-independent). */
      validateToJsonParseTime: round(medians['jsonParse']! / headline, 2),
      compileRulebookMs: compileMs,
    },
    bestRun: { recordsPerSecond: best },
    findingsPerRecord,
    goal: { recordsPerSecond: GOAL, workload: 'mix', met: headline >= GOAL },
    runs: perRun,
  });
  console.log(`median mix: ${headline.toLocaleString('en-US')} records/s, best run ${best['mix']!.toLocaleString('en-US')} (goal ${GOAL.toLocaleString('en-US')}: ${headline >= GOAL ? 'met' : 'NOT met'}; load average ${os.loadavg()[0]!.toFixed(2)}); compile ${compileMs} ms per rulebook`);
}

/** The corpus files' text, for the JSON.parse reference. */
function corpusTexts(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? corpusTexts(p) : name.endsWith('.json') ? [readFileSync(p, 'utf8')] : [];
  });
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
