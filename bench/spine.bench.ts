/**
 * npm run bench:spine — the engine spine's speed: FEP over TCP with pre-encoded batches of valid
 * synthetic records (loadtest/flow-frames.ts: new trades that pass the rulebook, as most live traffic
 * does), rules on, durable acks, PostgreSQL on the same machine.
 *
 * Per run (fresh database, engine as a child process with the spine alone: scoring, the submission path and the
 * console's projection off, as each follows the event log off the acknowledgement path and has its own benchmark):
 *   warm-up   open loop at the latency rate for BENCH_WARMUP_SECONDS (default 5), not recorded: a fresh engine's
 *             first seconds (JIT compilation, connections, the first actors) took 300-700 ms per ack, which is
 *             start-up, not the steady state the goals are about
 *   latency   open loop at 20,000 events/s: ack latency percentiles (goal p99 <= 50 ms)
 *   sustained open loop at 50,000 events/s: every event acked, backlog bounded (goal: sustained)
 *   console   a second engine with the console's projection on (as `swaprep serve` runs by default), warm-up and
 *             the latency phase again: what the projection costs the acks
 *   ceiling   PostgreSQL's own COPY rate for the same rows, pre-serialized
 * Medians over BENCH_RUNS runs (default 3) of BENCH_SECONDS seconds (default 60) go to bench/results.json.
 */
import { flowFrames } from '../loadtest/flow-frames.js';
import { runOpenLoop, type OpenLoopResult } from '../loadtest/open-loop.js';
import { startChildEngine } from '../loadtest/engine-process.js';
import { benchPostgres, serverVersion } from './support/postgres.js';
import { ceilingRows, copyCeiling } from './support/copy-ceiling.js';
import { processStats } from './support/process-stats.js';
import { machine, median, writeResult } from './support/results.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const LATENCY_RATE = Number(process.env.BENCH_LATENCY_RATE ?? 20_000);
const SUSTAINED_RATE = Number(process.env.BENCH_SUSTAINED_RATE ?? 50_000);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 5);
const CONNECTIONS = 2;

async function main() {
  const pgServer = await benchPostgres();
  const sources = Array.from({ length: CONNECTIONS }, (_, i) => `bench-${i}=bench-token`).join(',');
  const runs: { latency: OpenLoopResult; latencyWithConsole: OpenLoopResult; sustained: OpenLoopResult; ceiling: { eventsPerSecond: number; postgresUsPerEvent: number | undefined }; engine: ReturnType<typeof processStats> & { cpuPerSecond: number } }[] = [];
  for (let run = 1; run <= RUNS; run++) {
    let offset = run * 1e9; // UTI counters: never reused within a run
    /** An engine on a fresh database, its console's projection on or off, and a driver for it. */
    const startEngine = async (projection: 'on' | 'off') => {
      const url = await pgServer.freshDatabase();
      const engine = await startChildEngine({ DATABASE_URL: url, SWAPREP_SOURCES: sources, SWAPREP_CONSOLE: projection });
      const drive = async (rate: number, batch: number, seconds = SECONDS) => {
        const frames = flowFrames({ seed: 7, batch, counterOffset: offset });
        const r = await runOpenLoop({
          port: engine.tcpPort, sourceId: 'bench', token: 'bench-token', rate, durationMs: seconds * 1000, batch, connections: CONNECTIONS,
          frame: frames.frame,
        });
        offset += r.sent;
        return r;
      };
      if (WARMUP_SECONDS > 0) log(run, `warm-up (console ${projection})`, await drive(LATENCY_RATE, 100, WARMUP_SECONDS));
      const stop = async () => {
        engine.process.kill('SIGTERM');
        await engine.exited;
        await pgServer.dropDatabase(url);
      };
      return { engine, drive, stop };
    };

    // The spine: ingest, actors, rules, durable acks. Scoring, the submission path and the console's projection
    // follow the event log off the acknowledgement path and have benchmarks of their own (bench:score,
    // bench:submission, bench; the end-to-end one runs them all), so they are off here.
    const spine = await startEngine('off');
    const latency = await spine.drive(LATENCY_RATE, 100);
    log(run, 'latency', latency);
    const cpu1 = processStats(spine.engine.process.pid!).cpuSeconds;
    const sustained = await spine.drive(SUSTAINED_RATE, 500);
    log(run, 'sustained', sustained);
    const stats = processStats(spine.engine.process.pid!);
    await spine.stop();

    // The same latency phase with the console's projection on, as `swaprep serve` runs by default: what it costs the acks.
    const withConsole = await startEngine('on');
    const latencyWithConsole = await withConsole.drive(LATENCY_RATE, 100);
    log(run, 'latency (console on)', latencyWithConsole);
    await withConsole.stop();

    // The ceiling: the same records (the frames the driver sends, scanned), PostgreSQL's COPY alone.
    const n = Math.min(200_000, SUSTAINED_RATE * 4);
    const rows = ceilingRows(flowFrames({ seed: 7, batch: 1000, counterOffset: offset }).frame, 1000, n);
    const ceiling = await pgServer.withFreshDatabase((url) => copyCeiling(url, rows.reports, rows.keys));
    process.stderr.write(`run ${run} ceiling: ${Math.round(ceiling.eventsPerSecond)} events/s (COPY alone), its PostgreSQL backend ${ceiling.postgresUsPerEvent ?? '?'} µs of CPU per event\n`);
    runs.push({ latency, latencyWithConsole, sustained, ceiling, engine: { ...stats, cpuPerSecond: (stats.cpuSeconds - cpu1) / sustained.durationS } });
  }
  const m = (f: (r: (typeof runs)[number]) => number) => median(runs.map(f));
  const summary = {
    machine: machine(),
    postgres: { server: pgServer.kind, version: await serverVersion(pgServer.adminUrl) },
    settings: { runs: RUNS, secondsPerPhase: SECONDS, warmupSeconds: WARMUP_SECONDS, connections: CONNECTIONS, engine: 'scoring, submission and console off; the console phase with the console on', records: 'loadtest/flow-frames.ts seed 7: valid new trades', rules: 'cftc-part45, lei-check error' },
    medians: {
      sustainedTargetRate: SUSTAINED_RATE,
      sustainedAchievedEventsPerSecond: Math.round(m((r) => r.sustained.achievedRate)),
      sustainedAllRuns: runs.every((r) => r.sustained.sustained),
      sustainedP99Ms: m((r) => r.sustained.latencyMs.p99),
      latencyTargetRate: LATENCY_RATE,
      latencyP50Ms: m((r) => r.latency.latencyMs.p50),
      latencyP90Ms: m((r) => r.latency.latencyMs.p90),
      latencyP99Ms: m((r) => r.latency.latencyMs.p99),
      latencyP999Ms: m((r) => r.latency.latencyMs.p999),
      latencyWithConsoleAllAcked: runs.every((r) => r.latencyWithConsole.sustained),
      latencyWithConsoleP50Ms: m((r) => r.latencyWithConsole.latencyMs.p50),
      latencyWithConsoleP99Ms: m((r) => r.latencyWithConsole.latencyMs.p99),
      copyCeilingEventsPerSecond: Math.round(m((r) => r.ceiling.eventsPerSecond)),
      engineFractionOfCeiling: Number(m((r) => r.sustained.achievedRate / r.ceiling.eventsPerSecond).toFixed(3)),
      copyCeilingPostgresUsPerEvent: m((r) => r.ceiling.postgresUsPerEvent ?? Number.NaN),
      engineCpuCoresAtSustained: Number(m((r) => r.engine.cpuPerSecond).toFixed(2)),
      enginePeakRssMiB: m((r) => r.engine.peakRssMiB),
    },
    runs,
  };
  writeResult('spine', summary);
  process.stdout.write(JSON.stringify(summary.medians, null, 2) + '\n');
  await pgServer.close();
}

function log(run: number, phase: string, r: OpenLoopResult) {
  process.stderr.write(`run ${run} ${phase}: target ${r.targetRate}/s, achieved ${Math.round(r.achievedRate)}/s, acked ${r.acked}/${r.sent}, ` +
    `p50 ${r.latencyMs.p50.toFixed(1)} ms, p99 ${r.latencyMs.p99.toFixed(1)} ms, max ${r.latencyMs.max.toFixed(1)} ms${r.sustained ? '' : ' NOT SUSTAINED'}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:spine failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
