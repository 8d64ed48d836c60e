/**
 * npm run bench — the end-to-end benchmark (issue 5): the engine as users run it (child process, rules and
 * scoring on, FEP over TCP, PostgreSQL on the same machine), each part on a fresh database.
 *
 *   engine   (BENCH_ONLY=e2e) per run: the highest rate sustained for 60 s with p99 ack latency ≤ 100 ms,
 *            found by stepped open-loop probes and confirmed; in the same run on the same records the
 *            baseline (JSON over HTTP, one transaction per event) and the ceiling (PostgreSQL COPY).
 *            Medians of BENCH_RUNS (3) runs. See end-to-end/engine-rate.ts.
 *   memory   (BENCH_ONLY=memory) RSS and heap with BENCH_MEMORY_TRADES (1,000,000) live trades.
 *   replay   (BENCH_ONLY=replay) `swaprep replay` of a BENCH_REPLAY_LINES (1,000,000)-line JSONL file.
 *
 * BENCH_ONLY takes a comma-separated list (default: all three). BENCH_QUICK=1 is a smoke run with short
 * durations and small counts; every setting is in end-to-end/settings.ts. Progress goes to stderr, the
 * Markdown table docs/benchmarks.md quotes to stdout, and every figure to bench/results.json under "endToEnd"
 * (sections not run keep their earlier figures).
 */
import './support/quiet-log.js'; // first: before the engine's logger reads its level
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { engineVersion } from '../engine/main.js';
import { projectRoot } from '../engine/project-root.js';
import { benchPostgres, serverVersion } from './support/postgres.js';
import { machine, mergeResult } from './support/results.js';
import { bootstrapModel } from './support/scoring-model.js';
import { e2eSettings } from './end-to-end/settings.js';
import { oneRun, type RunResult } from './end-to-end/engine-rate.js';
import { memoryRun, type MemoryResult } from './end-to-end/memory.js';
import { replayFile, replayRun, type ReplayResult } from './end-to-end/replay.js';
import { e2eMedians, markdownTable, type E2EMedians } from './end-to-end/summary.js';

const started = Date.now();
const say = (m: string) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${m}\n`);

interface EngineSection {
  date: string;
  settings: Record<string, unknown>;
  medians: E2EMedians;
  runs: RunResult[];
}

async function main() {
  const s = e2eSettings();
  say(`end-to-end benchmark: ${s.sections.join(', ')}${s.quick ? ' (BENCH_QUICK: smoke run, figures not comparable)' : ''}; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const pgServer = await benchPostgres();
  try {
    say('training the bootstrap scoring model (installed in each fresh database)');
    const model = await bootstrapModel();
    const sections: Record<string, unknown> = {
      machine: { ...machine(), loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 10) / 10) },
      versions: { node: process.version, postgres: await serverVersion(pgServer.adminUrl), postgresServer: pgServer.kind, engine: engineVersion(), commit: gitCommit(), scoringModel: model.manifest.versionId },
      quick: s.quick,
    };

    if (s.sections.includes('e2e')) {
      const runs: RunResult[] = [];
      for (let run = 1; run <= s.runs; run++) {
        say(`run ${run} of ${s.runs}`);
        runs.push(await oneRun(run, s, pgServer, model, say));
      }
      const engine: EngineSection = {
        date: new Date().toISOString(),
        settings: {
          runs: s.runs, connections: s.connections, invalidRate: s.invalidRate, warmupSeconds: s.warmupSeconds, search: s.search,
          baseline: s.baseline, ceilingEvents: s.ceilingEvents,
          records: 'loadtest/flow-frames.ts seed 7: new trades of the seeded flow (Zipf counterparties, five asset classes) with the invalid share, UTIs stamped per send',
          rules: 'cftc-part45, LEI check digits as errors', scoring: 'on (bootstrap model version: 20,000 events of the load generator, seed 1)',
        },
        medians: e2eMedians(runs),
        runs,
      };
      sections.engine = engine;
      say(`engine: median ${engine.medians.sustainedEventsPerSecond} events/s sustained (${engine.medians.runsSustained}/${s.runs} runs confirmed a rate), ${engine.medians.ratioToBaseline}x the baseline, ${(engine.medians.ratioToCeiling * 100).toFixed(0)}% of the COPY ceiling`);
    }
    if (s.sections.includes('memory')) {
      sections.memory = { date: new Date().toISOString(), ...(await pgServer.withFreshDatabase((url) => memoryRun(s.memoryTrades, url, model, say))) };
    }
    if (s.sections.includes('replay')) {
      const path = await replayFile(s.replayLines, s.replayFile, say);
      sections.replay = { date: new Date().toISOString(), ...(await pgServer.withFreshDatabase((url) => replayRun(path, url, model, say))) };
    }

    const all = mergeResult('endToEnd', sections);
    const engine = all.engine as EngineSection | undefined;
    const table = markdownTable({
      e2e: engine && { medians: engine.medians, runs: engine.runs.length, confirmSeconds: Number((engine.settings.search as { confirmSeconds: number }).confirmSeconds), maxP99Ms: Number((engine.settings.search as { maxP99Ms: number }).maxP99Ms) },
      memory: all.memory as MemoryResult | undefined,
      replay: all.replay as ReplayResult | undefined,
    });
    process.stdout.write(table);
    say(`done in ${((Date.now() - started) / 60_000).toFixed(1)} min; figures in bench/results.json under "endToEnd"`);
  } finally {
    await pgServer.close();
  }
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: projectRoot(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench (end to end) failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
