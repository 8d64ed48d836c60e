/**
 * Engine memory with N live trades (goal: below 2 GB with 1,000,000): N distinct valid NEWTs go through the
 * live path (FEP over TCP, counterparty actors, rules, group commit, scoring), closed loop so it runs as fast
 * as the engine acknowledges. Actors are kept from passivating, so every trade's state stays in memory.
 * Then, once the engine is idle, a full GC (support/gc-on-signal.ts) and the main thread's heap from
 * /metrics, with the process's RSS.
 */
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import pg from 'pg';
import { projectRoot } from '../../engine/project-root.js';
import { flowFrames } from '../../loadtest/flow-frames.js';
import { runClosedLoop } from '../../loadtest/closed-loop.js';
import { startChildEngine } from '../../loadtest/engine-process.js';
import type { ModelVersion } from '../../gpu-pool/registry.js';
import { processStats, waitForIdle } from '../support/process-stats.js';
import { installModel } from '../support/scoring-model.js';
import { round } from '../support/results.js';

const BATCH = 500;
const CONNECTIONS = 2;

export interface MemoryResult {
  trades: number;
  /** Trade versions in the database afterwards (each NEWT makes one): the live trades the actors hold. */
  storedTrades: number;
  fillSeconds: number;
  fillEventsPerSecond: number;
  rssMiB: number;
  peakRssMiB: number;
  /** The main thread's V8 heap after a full GC (the scoring and decode threads have heaps of their own). */
  heapUsedAfterGcMiB: number | null;
  heapTotalMiB: number | null;
  counterpartyActors: number | null;
  goal: string;
}

/** On the fresh database at `url`. */
export async function memoryRun(trades: number, url: string, model: ModelVersion, say: (m: string) => void): Promise<MemoryResult> {
  const total = Math.ceil(trades / BATCH) * BATCH;
  await installModel(url, model);
  const gcPreload = pathToFileURL(join(projectRoot(), 'dist', 'bench', 'support', 'gc-on-signal.js')).href;
  const engine = await startChildEngine(
    { DATABASE_URL: url, SWAPREP_SOURCES: `mem-0=t,mem-1=t`, SWAPREP_SCORING: 'on', SWAPREP_PASSIVATE_AFTER_MS: String(24 * 3_600_000) },
    [],
    ['--expose-gc', '--import', gcPreload],
  );
  const pid = engine.process.pid!;
  try {
    // Valid records only: every event is a new live trade.
    const frames = flowFrames({ seed: 13, batch: BATCH, counterOffset: 0 });
    say(`memory: driving ${total} new trades through the engine (closed loop)`);
    const r = await runClosedLoop({
      port: engine.tcpPort, sourceId: 'mem', token: 't', total, batch: BATCH, connections: CONNECTIONS, window: 20_000, frame: frames.frame,
      onProgress: (acked) => say(`memory: ${acked} acknowledged`),
    });
    say(`memory: ${r.acked} trades in ${r.durationS.toFixed(1)} s (${Math.round(r.rate)} events/s); waiting for the engine to be idle`);
    await waitForIdle(pid, { timeoutMs: 120_000 });
    engine.process.kill('SIGUSR2');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const metrics = await readMetrics(engine.httpPort);
    const stats = processStats(pid);
    const storedTrades = await countTrades(url);
    const mib = (v: number | undefined) => (v === undefined ? null : round(v / 2 ** 20));
    const result: MemoryResult = {
      trades: r.acked,
      storedTrades,
      fillSeconds: round(r.durationS, 1),
      fillEventsPerSecond: Math.round(r.rate),
      rssMiB: stats.rssMiB,
      peakRssMiB: stats.peakRssMiB,
      heapUsedAfterGcMiB: mib(metrics.get('swaprep_process_nodejs_heap_size_used_bytes')),
      heapTotalMiB: mib(metrics.get('swaprep_process_nodejs_heap_size_total_bytes')),
      counterpartyActors: metrics.get('swaprep_counterparty_actors') ?? null,
      goal: 'RSS below 2 GB with 1,000,000 live trades',
    };
    say(`memory: RSS ${result.rssMiB} MiB (peak ${result.peakRssMiB}), heap after GC ${result.heapUsedAfterGcMiB ?? '?'} MiB, ${storedTrades} trades stored, ${result.counterpartyActors ?? '?'} actors`);
    return result;
  } finally {
    engine.process.kill('SIGTERM');
    await engine.exited;
  }
}

/** The engine's /metrics as name → value (unlabelled series only). */
async function readMetrics(httpPort: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^([a-z_]+) ([0-9.e+-]+)$/gm)) out.set(m[1]!, Number(m[2]));
  return out;
}

async function countTrades(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM event_log WHERE version IS NOT NULL')).rows[0]!.n);
  } finally {
    await c.end();
  }
}
