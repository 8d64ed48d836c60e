/**
 * npm run bench:score — anomaly scoring: quality on planted anomalies, and speed.
 *
 *   quality   train on BENCH_SCORE_EVENTS synthetic events (default 100,000; full-size models as
 *             `swaprep train`), ROC-AUC / PR-AUC / recall at 1% FPR per model, per anomaly kind and for
 *             the ensemble on the test split (goal: ensemble ROC-AUC >= 0.95, recall >= 0.9)
 *   pool      rows/s of the whole ensemble (three ONNX sessions + normalisation + explanations) through the
 *             piscina pool on this machine's CPU, at batches of 64, 1,024 and 4,096 (and 65,536 where a
 *             CUDA provider is installed), the batches kept in flight as the service does
 *   features  events/s of the main-thread part: protobuf bytes -> feature row (rolling state included)
 *   service   the ScoringService end to end against PostgreSQL (features, pool, COPY of scores and review
 *             items, on the scoring thread): events/s, and what submit() costs the engine's main thread
 *             (CPU time of this process's main thread per event, from /proc)
 *   endToEnd  the engine (child process) driven open loop with SWAPREP_SCORING=off and =on in the same run,
 *             achieved events/s each (goal: scoring costs at most 15% at 50,000 events/s), at each rate of
 *             BENCH_SUSTAINED_RATE (comma-separated; default 10000,15000: rates this machine holds; at the goal's
 *             50,000 the driver gives up within a second, its backlog past 50,000 events); BENCH_SCORE_E2E=0 leaves it out
 * Results go to bench/results.json under "score".
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { SwapReport } from '../proto/gen/swap_report.js';
import { syntheticEvents } from '../gpu-pool/sources.js';
import { defaultTrainOptions, formatEvaluation, trainAndEvaluate } from '../gpu-pool/train.js';
import { DirectoryRegistry, type ModelVersion } from '../gpu-pool/registry.js';
import { ScoringPool } from '../gpu-pool/pool.js';
import { ScoringService, type ScoringEvent } from '../gpu-pool/scoring-service.js';
import { FEATURE_COUNT } from '../gpu-pool/features/table.js';
import { featurize, FeatureState } from '../gpu-pool/features/featurize.js';
import { inputFromBytes } from '../gpu-pool/features/wire.js';
import { cudaProviderMissing } from '../gpu-pool/providers.js';

import type { Evaluation, ModelManifest } from '../gpu-pool/manifest.js';
import { flowFrames } from '../loadtest/flow-frames.js';
import { runOpenLoop } from '../loadtest/open-loop.js';
import { startChildEngine } from '../loadtest/engine-process.js';
import { benchPostgres, serverVersion } from './support/postgres.js';
import { processStats } from './support/process-stats.js';
import { bootstrapModel, installModel, scoreCounts } from './support/scoring-model.js';
import { machine, writeResult } from './support/results.js';

const EVENTS = Number(process.env.BENCH_SCORE_EVENTS ?? 100_000);
const POOL_SECONDS = Number(process.env.BENCH_SCORE_SECONDS ?? 5);
const E2E_SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
/** Target rates of the scoring off/on comparison, comma-separated (e.g. "15000,30000": below and at saturation). */
const E2E_RATES = (process.env.BENCH_SUSTAINED_RATE ?? '10000,15000').split(',').map(Number);
const WORKERS = Number(process.env.BENCH_SCORE_WORKERS ?? Math.max(1, cpus().length));
const SERVICE_EVENTS = Number(process.env.BENCH_SCORE_SERVICE_EVENTS ?? 50_000);
/** Quality and pool only (no PostgreSQL, no engine): what a CUDA host without a database can run. */
const POOL_ONLY = process.env.BENCH_SCORE_POOL_ONLY === '1';
/** The top-level key in bench/results.json ("scoreCuda" for a run on a CUDA host, beside this machine's "score"). */
const RESULT_KEY = process.env.BENCH_RESULT_KEY ?? 'score';

const say = (m: string) => process.stderr.write(m + '\n');
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

function qualityTable(e: Evaluation) {
  const out: Record<string, unknown> = {};
  for (const [name, q] of Object.entries(e.models)) {
    out[name] = {
      rocAuc: round(q.overall.rocAuc),
      prAuc: round(q.overall.prAuc),
      recallAt1PctFpr: round(q.overall.recallAt1PctFpr),
      byKind: Object.fromEntries(Object.entries(q.byKind).map(([k, v]) => [k, { rocAuc: round(v.rocAuc), prAuc: round(v.prAuc), recallAt1PctFpr: round(v.recallAt1PctFpr) }])),
    };
  }
  return out;
}

/** Keeps `inflight` batches of `batch` rows going through the pool for `seconds`; rows/s. */
async function poolRate(pool: ScoringPool, template: Float32Array, batch: number, inflight: number, seconds: number): Promise<number> {
  let rows = 0;
  const until = performance.now() + seconds * 1000;
  const lane = async (buffer: Float32Array) => {
    let buf = buffer;
    while (performance.now() < until) {
      const out = await pool.run(buf, batch);
      if (!out.ok) throw new Error(out.error);
      rows += batch;
      buf = out.batch.rows; // the worker gave the (unchanged) rows back: reuse them, no copy
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: inflight }, () => lane(template.slice(0, batch * FEATURE_COUNT))));
  return rows / ((performance.now() - start) / 1000);
}

async function main() {
  const started = Date.now();
  // Quality (and the models every speed figure below uses).
  say(`training on ${EVENTS} synthetic events (full-size models)`);
  const events = syntheticEvents(EVENTS, 11);
  const version = trainAndEvaluate(events, { ...defaultTrainOptions, seed: 11 }, (m) => say(`  ${m}`));
  const m = version.manifest;
  say(formatEvaluation(m.evaluation));
  const models = {
    iforest: m.models.iforest,
    autoencoder: m.models.autoencoder,
    zscore: m.models.zscore,
  };

  // Features on the main thread.
  const bytes = events.slice(0, 50_000).map((e) => SwapReport.encode(e.report).finish());
  const state = new FeatureState();
  const row = new Float32Array(FEATURE_COUNT);
  let t = performance.now();
  bytes.forEach((b, i) => {
    const e = events[i]!;
    featurize(state, inputFromBytes(b), { sourceId: e.sourceId, receivedAtMs: e.receivedAtMs, tradeKey: e.tradeKey, version: e.version }, row);
  });
  const featureRate = bytes.length / ((performance.now() - t) / 1000);
  say(`features: ${Math.round(featureRate)} events/s on the main thread`);

  // The pool.
  const registry = new DirectoryRegistry(mkdtempSync(join(tmpdir(), 'swaprep-bench-models-')));
  await registry.save({ manifest: m, files: version.files });
  const dir = registry.versionDir(m.versionId);
  const template = new Float32Array(65_536 * FEATURE_COUNT);
  const rowsState = new FeatureState();
  for (let i = 0; i < 65_536; i++) {
    const e = events[i % events.length]!;
    featurize(rowsState, inputFromBytes(bytes[i % bytes.length]!), { sourceId: e.sourceId, receivedAtMs: e.receivedAtMs, tradeKey: e.tradeKey, version: e.version }, template, i * FEATURE_COUNT);
  }
  const cuda = cudaProviderMissing() === '';
  const sizes = cuda ? [64, 1024, 4096, 65_536] : [64, 1024, 4096];
  const poolResults: Record<string, unknown>[] = [];
  for (const providers of cuda ? (['cpu', 'cuda'] as const) : (['cpu'] as const)) {
    const pool = await ScoringPool.start({ versionDir: dir, workers: WORKERS, providers: providers === 'cuda' ? ['cuda', 'cpu'] : ['cpu'] });
    for (const batch of sizes) {
      await poolRate(pool, template, batch, 2 * WORKERS, 1); // warm-up
      const rate = await poolRate(pool, template, batch, 2 * WORKERS, POOL_SECONDS);
      say(`pool (${providers}, ${WORKERS} workers): batch ${batch}: ${Math.round(rate)} rows/s`);
      poolResults.push({ providers, workers: WORKERS, batch, rowsPerSecond: Math.round(rate), provider: pool.providers() });
    }
    await pool.destroy();
  }

  const database = POOL_ONLY
    ? { postgres: { status: 'not run (BENCH_SCORE_POOL_ONLY=1)' }, service: { status: 'not run (BENCH_SCORE_POOL_ONLY=1)' }, endToEnd: { status: 'not run (BENCH_SCORE_POOL_ONLY=1)' } }
    : await serviceAndEngine(m, version.files, events, bytes);
  const { postgres, service: serviceResult, endToEnd } = database;

  const result = {
    machine: machine(),
    postgres,
    settings: { syntheticEvents: EVENTS, poolSecondsPerBatchSize: POOL_SECONDS, workers: WORKERS, intraOpThreads: 1, serviceEvents: SERVICE_EVENTS },
    modelVersion: m.versionId,
    models,
    ensemble: { combine: m.ensemble.combine, weights: m.ensemble.weights, alertRate: m.ensemble.alertRate, heldOutAlertRate: round(m.evaluation.heldOutAlertRate, 4) },
    quality: {
      testEvents: m.evaluation.heldOutEvents,
      plantedAnomalies: m.evaluation.plantedAnomalies,
      plantedByKind: m.evaluation.plantedByKind,
      goal: 'ensemble ROC-AUC >= 0.95 and recall >= 0.9 at 1% FPR',
      models: qualityTable(m.evaluation),
    },
    features: { eventsPerSecondMainThread: Math.round(featureRate) },
    pool: poolResults,
    service: serviceResult,
    endToEnd,
    cuda: cuda
      ? { status: 'CUDA provider installed: see the pool rows with providers "cuda"' }
      : { status: `not measured here: ${cudaProviderMissing()}; no GPU on this machine. On a CUDA host: swaprep gpu install-cuda, then npm run bench:score (the pool rows then include providers "cuda" at 4,096 and 65,536).` },
    trainingSeconds: round(m.training.seconds, 1),
    benchSeconds: Math.round((Date.now() - started) / 1000),
  };
  writeResult(RESULT_KEY, result);
  process.stdout.write(JSON.stringify({ quality: result.quality.models, pool: poolResults, service: serviceResult, endToEnd }, null, 2) + '\n');
}

/** The ScoringService against PostgreSQL, and the engine with scoring off and on. */
async function serviceAndEngine(m: ModelManifest, files: Record<string, Uint8Array>, events: ReturnType<typeof syntheticEvents>, bytes: Uint8Array[]) {
  // The service against PostgreSQL.
  const pgServer = await benchPostgres();
  const serviceUrl = await pgServer.freshDatabase();
  await installModel(serviceUrl, { manifest: m, files });
  const service = await ScoringService.start({ databaseUrl: serviceUrl, workers: WORKERS, providers: ['cpu'], bootstrap: 'off', warmupEvents: 0 });
  const scoringEvents: ScoringEvent[] = bytes.slice(0, SERVICE_EVENTS).map((b, i) => ({
    sourceId: events[i]!.sourceId, seq: i + 1, report: b, receivedAtMs: events[i]!.receivedAtMs, tradeKey: events[i]!.tradeKey, version: events[i]!.version,
  }));
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = mainThreadCpuSeconds();
  const t = performance.now();
  // Submit in engine-sized groups, respecting backpressure as the engine would.
  for (let i = 0; i < scoringEvents.length; i += 500) {
    if (!service.submit(scoringEvents.slice(i, i + 500))) await new Promise<void>((r) => service.onDrain(r));
  }
  await service.flush();
  const serviceSeconds = (performance.now() - t) / 1000;
  const elu = performance.eventLoopUtilization(elu0);
  const mainCpu = mainThreadCpuSeconds() - cpu0;
  const stats = service.stats();
  await service.stop();
  // The engine's cost: CPU time of this process's main thread (where submit() packs and posts the events),
  // from /proc (event-loop utilisation would also count time the thread sat preempted on a busy machine).
  const mainMsPerEvent = (mainCpu * 1000) / scoringEvents.length;
  const serviceResult = {
    events: scoringEvents.length,
    eventsPerSecond: Math.round(scoringEvents.length / serviceSeconds),
    engineThreadCpuMsPer1000Events: round(mainMsPerEvent * 1000, 2),
    engineThreadShareAt50kEventsPerSecond: round((mainMsPerEvent * 50_000) / 1000, 3),
    engineThreadEventLoopUtilisation: round(elu.utilization, 2),
    flagged: stats.flagged,
    scored: stats.scored,
  };
  say(`service: ${serviceResult.eventsPerSecond} events/s end to end (features, pool, COPY); engine thread ${serviceResult.engineThreadCpuMsPer1000Events} ms CPU per 1,000 events`);

  // The engine with scoring off and on (same run, same machine).
  const endToEnd =
    process.env.BENCH_SCORE_E2E !== '0'
      ? await engineOnOffAtRates(pgServer, await bootstrapModel())
      : { status: 'not run (BENCH_SCORE_E2E=0)' };
  const postgres = { server: pgServer.kind, version: await serverVersion(pgServer.adminUrl).catch(() => 'unknown') };
  await pgServer.close();
  return { postgres, service: serviceResult, endToEnd };

}

/**
 * The engine (built, as a child process) at each target rate with scoring off, then on, on fresh
 * databases that hold the same active model version: the bootstrap version a fresh engine trains, on the load
 * generator's flow that drives it here (the quality section's version learns the scoring sample; see
 * scoring-core.ts). Scoring is switched with SWAPREP_SCORING; an engine that
 * does not wire the scoring service yet writes no event_score rows, and the comparison is then not recorded.
 */
async function engineOnOffAtRates(pgServer: Awaited<ReturnType<typeof benchPostgres>>, model: ModelVersion) {
  const byRate = [];
  for (const rate of E2E_RATES) byRate.push(await engineOnOff(pgServer, model, rate));
  return byRate.length === 1 ? byRate[0]! : { byRate };
}

async function engineOnOff(pgServer: Awaited<ReturnType<typeof benchPostgres>>, model: ModelVersion, rate: number) {
  const runs: Record<string, { achievedEventsPerSecond: number; acked: number; sent: number; engineCpuCores: number; scores: number; flagged: number }> = {};
  for (const scoring of ['off', 'on'] as const) {
    const url = await pgServer.freshDatabase();
    await installModel(url, model);
    const db = new pg.Pool({ connectionString: url, max: 1 });
    const engine = await startChildEngine({ DATABASE_URL: url, SWAPREP_SOURCES: 'bench-0=bench-token,bench-1=bench-token', SWAPREP_SCORING: scoring });
    // Valid synthetic trades: accepted by the rulebook, so every event is one the scoring service sees.
    const frames = flowFrames({ seed: 7, batch: 500, counterOffset: 1 });
    const cpu0 = processStats(engine.process.pid!).cpuSeconds;
    const r = await runOpenLoop({
      port: engine.tcpPort, sourceId: 'bench', token: 'bench-token', rate, durationMs: E2E_SECONDS * 1000, batch: 500, connections: 2, maxBacklog: 50_000, drainMs: 5_000,
      frame: frames.frame,
    });
    const cpu = processStats(engine.process.pid!).cpuSeconds - cpu0;
    engine.process.kill('SIGTERM');
    await engine.exited;
    const { scored: scores, flagged } = await scoreCounts(db);
    await db.end();
    await pgServer.dropDatabase(url); // left in place, the off run's pages are written back during the on run
    runs[scoring] = { achievedEventsPerSecond: Math.round(r.achievedRate), acked: r.acked, sent: r.sent, engineCpuCores: round(cpu / r.durationS, 2), scores, flagged };
    say(`engine, scoring ${scoring}: ${Math.round(r.achievedRate)} events/s achieved (target ${rate}), ${scores} scores stored, ${flagged} flagged`);
  }
  if (runs.on!.scores === 0) {
    return { status: 'not measured: the engine does not run the scoring service yet (no event_score rows with SWAPREP_SCORING=on)', targetRate: rate, runs };
  }
  const cost = 1 - runs.on!.achievedEventsPerSecond / runs.off!.achievedEventsPerSecond;
  return { targetRate: rate, secondsPerRun: E2E_SECONDS, runs, scoringCostFraction: round(cost, 3), goal: 'scoring costs at most 15% of the end-to-end rate at 50,000 events/s' };
}

/** CPU seconds of this process's main thread (Linux: its task has the process id). */
function mainThreadCpuSeconds(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:score failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});

