/**
 * One run of the end-to-end comparison, each part on a fresh database of the same PostgreSQL server:
 *   engine    the built engine as a child process, rules and scoring on (the bootstrap model installed up
 *             front), driven open loop over TCP with the seeded flow (valid new trades and a share of invalid
 *             records); the step search finds the highest rate held for the confirmation time with p99 ack
 *             latency within the bound (support/step-search.ts)
 *   baseline  the same records posted as JSON over HTTP, one transaction each (support/http-baseline.ts)
 *   ceiling   PostgreSQL's COPY of the same records, pre-serialized (support/copy-ceiling.ts)
 */
import pg from 'pg';
import { flowFrames, type FlowFrames } from '../../loadtest/flow-frames.js';
import { flowJsonText } from '../../loadtest/flow-files.js';
import { runOpenLoop, type OpenLoopResult } from '../../loadtest/open-loop.js';
import { startChildEngine } from '../../loadtest/engine-process.js';
import type { ModelVersion } from '../../gpu-pool/registry.js';
import { ceilingRows, copyCeiling } from '../support/copy-ceiling.js';
import { startHttpBaseline } from '../support/http-baseline.js';
import { runHttpLoad, type HttpLoadResult } from '../support/http-load.js';
import { processStats, waitForIdle, waitForQuietMachine } from '../support/process-stats.js';
import type { BenchPostgres } from '../support/postgres.js';
import { round } from '../support/results.js';
import { installModel, scoreCounts } from '../support/scoring-model.js';
import { findSustainedRate, type Attempt } from '../support/step-search.js';
import type { E2ESettings } from './settings.js';

const SEED = 7;
const TOKEN = 'bench-token';

export interface ProbeResult extends OpenLoopResult {
  batch: number;
  /** Engine CPU over the run, in cores (all its threads: main, decode, scoring). */
  engineCpuCores: number;
  engineRssMiB: number;
}

export interface EngineRun {
  sustainedRate: number;
  /** The passing confirmation: latency, CPU and memory at the sustained rate. */
  atSustained: { achievedRate: number; latencyMs: OpenLoopResult['latencyMs']; engineCpuCores: number; engineRssMiB: number } | null;
  attempts: { phase: string; rate: number; seconds: number; ok: boolean; reason: string; batch: number; sent: number; acked: number; achievedRate: number; latencyMs: OpenLoopResult['latencyMs']; engineCpuCores: number }[];
  enginePeakRssMiB: number;
  /** What the database holds afterwards: proof that the events were judged and scored. */
  stored: { accepted: number; rejected: number; scored: number; flagged: number };
  records: { distinct: number; invalid: number; counterparties: number };
}

export interface RunResult {
  engine: EngineRun;
  baseline: HttpLoadResult & { serverCpuCores: number };
  ceiling: Awaited<ReturnType<typeof copyCeiling>>;
}

type Database = Pick<BenchPostgres, 'withFreshDatabase'>;

/** Events per Batch frame: about 100 frames a second, within 10..500 events. */
export function batchFor(rate: number): number {
  return Math.max(10, Math.min(500, Math.round(rate / 100)));
}

export async function oneRun(run: number, s: E2ESettings, pgServer: Database, model: ModelVersion, say: (m: string) => void): Promise<RunResult> {
  const engine = await pgServer.withFreshDatabase((url) => engineRun(run, s, url, model, say));
  const baseline = await pgServer.withFreshDatabase((url) => baselineRun(s, url, say));
  const ceilingFrames = flowFrames({ seed: SEED, batch: 1000, counterOffset: 1, invalidRate: s.invalidRate });
  const rows = ceilingRows(ceilingFrames.frame, 1000, s.ceilingEvents);
  const ceiling = await pgServer.withFreshDatabase((url) => copyCeiling(url, rows.reports, rows.keys));
  say(`run ${run} ceiling: ${Math.round(ceiling.eventsPerSecond)} events/s (COPY of ${ceiling.events} pre-serialized rows)`);
  return { engine, baseline, ceiling };
}

async function engineRun(run: number, s: E2ESettings, url: string, model: ModelVersion, say: (m: string) => void): Promise<EngineRun> {
  await installModel(url, model);
  const sources = Array.from({ length: s.connections }, (_, i) => `bench-${i}=${TOKEN}`).join(',');
  const engine = await startChildEngine({ DATABASE_URL: url, SWAPREP_SOURCES: sources, SWAPREP_SCORING: 'on' });
  const pid = engine.process.pid!;
  try {
    const frames = new Map<number, FlowFrames>();
    let offset = run * 1e12; // UTI counters: never reused within a database, nor across runs
    const drive = async (rate: number, seconds: number): Promise<ProbeResult> => {
      const batch = batchFor(rate);
      let f = frames.get(batch);
      if (!f) frames.set(batch, (f = flowFrames({ seed: SEED, batch, counterOffset: 0, invalidRate: s.invalidRate })));
      const first = offset;
      const idleMs = await waitForIdle(pid);
      if (idleMs > 5_000) say(`  (engine busy for ${(idleMs / 1000).toFixed(1)} s after the previous run)`);
      const quietMs = await waitForQuietMachine();
      if (quietMs > 5_000) say(`  (machine busy for ${(quietMs / 1000).toFixed(1)} s more: PostgreSQL working off the previous run)`);
      const before = processStats(pid);
      const r = await runOpenLoop({
        port: engine.tcpPort, sourceId: 'bench', token: TOKEN, rate, durationMs: seconds * 1000, batch, connections: s.connections,
        maxBacklog: Math.max(5_000, Math.round(rate * 1.5)), drainMs: 5_000,
        frame: (firstSeq, firstEvent) => f.frame(firstSeq, first + firstEvent),
      });
      offset += r.sent;
      const after = processStats(pid);
      return { ...r, batch, engineCpuCores: (after.cpuSeconds - before.cpuSeconds) / r.durationS, engineRssMiB: after.rssMiB };
    };
    if (s.warmupSeconds > 0) {
      const w = await drive(Math.round(s.search.startRate / 2), s.warmupSeconds);
      say(`run ${run} warm-up: ${Math.round(w.achievedRate)} events/s`);
    }
    const search = await findSustainedRate(s.search, (rate, seconds) => drive(rate, seconds), (a) => say(describe(run, a)));
    const stats = processStats(pid);
    engine.process.kill('SIGTERM');
    await engine.exited;
    const stored = await storedCounts(url);
    const records = [...frames.values()][0]!;
    const c = search.confirmed?.result;
    say(`run ${run} engine: ${search.sustainedRate ?? 0} events/s sustained; stored ${stored.accepted} accepted, ${stored.rejected} rejected, ${stored.scored} scored, ${stored.flagged} flagged`);
    return {
      sustainedRate: search.sustainedRate ?? 0,
      atSustained: c ? { achievedRate: c.achievedRate, latencyMs: c.latencyMs, engineCpuCores: c.engineCpuCores, engineRssMiB: c.engineRssMiB } : null,
      attempts: search.attempts.map((a) => ({
        phase: a.phase, rate: a.rate, seconds: a.seconds, ok: a.ok, reason: a.reason, batch: a.result.batch, sent: a.result.sent, acked: a.result.acked,
        achievedRate: Math.round(a.result.achievedRate), latencyMs: a.result.latencyMs, engineCpuCores: round(a.result.engineCpuCores, 2),
      })),
      enginePeakRssMiB: stats.peakRssMiB,
      stored,
      records: { distinct: records.records, invalid: records.invalid, counterparties: records.counterparties },
    };
  } finally {
    if (engine.process.exitCode === null) {
      engine.process.kill('SIGTERM');
      await engine.exited;
    }
  }
}

function describe(run: number, a: Attempt<ProbeResult>): string {
  const r = a.result;
  return `run ${run} ${a.phase} ${a.rate}/s for ${a.seconds} s: achieved ${Math.round(r.achievedRate)}/s, acked ${r.acked}/${r.sent}, ` +
    `p50 ${r.latencyMs.p50.toFixed(1)} ms, p99 ${r.latencyMs.p99.toFixed(1)} ms, max ${r.latencyMs.max.toFixed(1)} ms, engine ${r.engineCpuCores.toFixed(2)} cores` +
    (a.ok ? ' SUSTAINED' : ` NOT SUSTAINED (${a.reason})`);
}

async function storedCounts(url: string): Promise<EngineRun['stored']> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const statuses = await c.query<{ status: string; n: string }>('SELECT status, count(*) AS n FROM event_log GROUP BY status');
    const count = (st: string) => Number(statuses.rows.find((r) => r.status === st)?.n ?? 0);
    return { accepted: count('accepted') + count('accepted_with_warnings'), rejected: count('rejected'), ...(await scoreCounts(c)) };
  } finally {
    await c.end();
  }
}

async function baselineRun(s: E2ESettings, url: string, say: (m: string) => void): Promise<RunResult['baseline']> {
  const server = await startHttpBaseline(url);
  try {
    // The same records the engine gets (the frames' records, as DRR JSON), one per POST.
    const bodies = flowFrames({ seed: SEED, batch: 100, invalidRate: s.invalidRate }).events.map(flowJsonText);
    const load = { port: server.port, path: '/events', bodies, concurrency: s.baseline.concurrency };
    await runHttpLoad({ ...load, durationMs: Math.min(2_000, s.baseline.seconds * 1000) }); // warm-up
    const before = processStats(server.process.pid!);
    const r = await runHttpLoad({ ...load, durationMs: s.baseline.seconds * 1000 });
    const cpu = processStats(server.process.pid!).cpuSeconds - before.cpuSeconds;
    if (r.errors > 0) say(`baseline: ${r.errors} failed requests (first: ${r.firstError})`);
    say(`baseline: ${Math.round(r.rate)} events/s (JSON over HTTP, one transaction per event, ${s.baseline.concurrency} clients), p50 ${r.latencyMs.p50.toFixed(1)} ms`);
    return { ...r, serverCpuCores: round(cpu / r.durationS, 2) };
  } finally {
    await server.stop();
  }
}
