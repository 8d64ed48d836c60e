/**
 * npm run bench:cpu — what one event costs in CPU, which (unlike events/s) stays comparable on a noisy,
 * shared machine: CPU time is what the engine itself burns, whoever else holds the cores.
 *
 *   stages   in process: the spine's per-event stages (frame scan, report decode, rulebook, judge, binary
 *            COPY encoding) over the same pre-encoded frames the load drivers send; µs of CPU per event
 *   engine   the built engine as a child process, fed a fixed workload (CPU_EVENTS events after a warm-up)
 *            over TCP as fast as its acks allow (closed loop, bounded window), then until the engine and its database
 *            are quiet again (what follows the acks, such as the console's projection): µs of engine CPU per event
 *            from /proc (all threads, and per thread kind), and the CPU of its PostgreSQL backends
 *
 * Medians over CPU_RUNS runs (default 3) go to bench/results.json ("cpuPerEvent"; "cpuPerEventScoring" with SWAPREP_SCORING=on). Env: CPU_EVENTS
 * (default 200,000), CPU_STAGE_EVENTS (default 20,000), CPU_STAGE=name + CPU_STAGE_REPS (one stage alone, for
 * valgrind --tool=callgrind; CPU_STAGE_RECORDS: distinct records, default 2,000), CPU_BATCH (events per frame, default 500), CPU_WINDOW (unacknowledged events per
 * connection, default 10,000), CPU_STAGES_ONLY=1 / CPU_ENGINE_ONLY=1, CPU_PROFILE_DIR (a V8 profile per engine run),
 * CPU_NODE_ARGS (more flags for the engine's node) with CPU_ENGINE_LOG (where its output goes), DATABASE_URL (else 127.0.0.1:5432
 * or an embedded server), and any SWAPREP_* setting, passed on to the engine (SWAPREP_SCORING=on: scoring too, with the
 * bootstrap model version installed before the engine starts).
 */
import { createWriteStream, readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { flowFrames } from '../loadtest/flow-frames.js';
import { scanClientFrame, type ScannedEvent } from '../engine/ingest/frame-scan.js';
import { FepTcpClient } from '../loadtest/fep-client.js';
import { LengthPrefixedReader } from '../engine/ingest/length-prefixed.js';
import { startChildEngine } from '../loadtest/engine-process.js';
import { decodeReport } from '../engine/record/decode-report.js';
import { compileRulebook } from '../engine/rules/index.js';
import { createJudge } from '../engine/judge.js';
import { encodeGroup } from '../engine/store/group-commit.js';
import type { TradeState } from '../engine/rules/index.js';
import { benchPostgres } from './support/postgres.js';
import { bootstrapModel, installModel } from './support/scoring-model.js';
import type { ModelVersion } from '../gpu-pool/registry.js';
import { machine, median, writeResult } from './support/results.js';

const RUNS = Number(process.env.CPU_RUNS ?? 3);
const EVENTS = Number(process.env.CPU_EVENTS ?? 200_000);
const BATCH = Number(process.env.CPU_BATCH ?? 500);
const WINDOW = Number(process.env.CPU_WINDOW ?? 10_000);
const CONNECTIONS = 2;
const WARMUP = 20_000;
const TICKS_PER_SECOND = 100; // USER_HZ on Linux

// ------------------------------------------------------------------------------------ stages in process

/**
 * µs of this process's CPU per item: the median over passes of `fn` over all items (at least 15 passes and
 * 0.5 s of CPU), so a pass that another process's burst slowed down does not move the figure.
 */
function cpuPerItem(items: number, fn: () => void): number {
  fn(); // warm up (JIT)
  fn();
  const passes: number[] = [];
  let used = 0;
  while (passes.length < 15 || used < 500_000) {
    const start = process.cpuUsage();
    fn();
    const d = process.cpuUsage(start);
    used += d.user + d.system;
    passes.push((d.user + d.system) / items);
  }
  return median(passes);
}

function scanFrames(frames: readonly Buffer[]): ScannedEvent[] {
  const events: ScannedEvent[] = [];
  for (const f of frames) {
    const s = scanClientFrame(f.subarray(4));
    if (s.kind !== 'batch') throw new Error('expected a batch frame');
    for (const e of s.events) events.push(e);
  }
  return events;
}

const STAGES = ['reader', 'scan', 'decode', 'rulebook', 'judge', 'copyEncode'] as const;

/** One stage's work over n events, set up with only what it needs. */
function stageWork(name: string, n: number): () => number {
  // CPU_STAGE_RECORDS: fewer distinct records make a shorter set-up under valgrind.
  const gen = flowFrames({ seed: 7, batch: BATCH, counterOffset: 1e9, records: Number(process.env.CPU_STAGE_RECORDS ?? 2000) });
  const frames: Buffer[] = [];
  for (let i = 0; i < n; i += BATCH) frames.push(gen.frame(i + 1, i));
  const events = scanFrames(frames);
  for (const e of events) {
    e.sourceId = 'bench-0';
    e.receivedAtMs = Date.now();
  }
  switch (name) {
    case 'reader': {
      // The bytes as TCP delivers them: 64 KiB reads cutting through frames.
      const wire = Buffer.concat(frames);
      const reads: Buffer[] = [];
      for (let i = 0; i < wire.length; i += 65_536) reads.push(wire.subarray(i, i + 65_536));
      return () => {
        const reader = new LengthPrefixedReader(4 << 20);
        let k = 0;
        for (const r of reads) k += reader.push(r).length;
        return k;
      };
    }
    case 'scan':
      return () => scanFrames(frames).length;
    case 'decode':
      return () => {
        let k = 0;
        for (const e of events) k += decodeReport(e.report).counterparty1 === undefined ? 0 : 1;
        return k;
      };
    case 'rulebook': {
      const rulebook = compileRulebook({ regime: 'cftc-part45', leiCheck: 'error' });
      const decoded = events.map((e) => decodeReport(e.report));
      return () => {
        let k = 0;
        for (const r of decoded) k += rulebook.validate(r).length + 1;
        return k;
      };
    }
    case 'judge': {
      // The whole judge (decode, rulebook, lifecycle) with fresh trades each pass: every event is a new trade.
      const judge = createJudge({ regime: 'cftc-part45', leiCheck: 'error' });
      return () => {
        const trades = new Map<string, TradeState>();
        for (const e of events) judge(trades, e);
        return trades.size;
      };
    }
    case 'copyEncode':
      return () => {
        let k = 0;
        for (let i = 0; i < events.length; i += 2000) k += encodeGroup(events.slice(i, i + 2000)).events.length;
        return k;
      };
    default:
      throw new Error(`CPU_STAGE ${name} is not one of ${STAGES.join(', ')}`);
  }
}

/**
 * Runs in a child process (CPU_STAGE=name), one stage per process: V8 decides per allocation site whether
 * to allocate straight into the old generation from how many of its objects survived, so one stage's
 * retained objects (the rulebook's decoded reports) would make another stage (decode) look 7x slower.
 * With CPU_STAGE_REPS (for valgrind --tool=callgrind: instruction counts do not care who else holds the
 * cores) it runs the stage that many times and nothing else; the difference from a run with 0 reps is the stage's.
 */
function stageChild(name: string): void {
  const n = Number(process.env.CPU_STAGE_EVENTS ?? 20_000);
  const fn = stageWork(name, n);
  let sink = 0;
  if (process.env.CPU_STAGE_REPS !== undefined) {
    const reps = Number(process.env.CPU_STAGE_REPS);
    for (let i = 0; i < reps; i++) sink += fn();
    process.stdout.write(`stage ${name}: ${reps} x ${n} events done (${sink})\n`);
    return;
  }
  const us = cpuPerItem(n, () => (sink += fn()));
  if (sink === 0) throw new Error('nothing measured');
  process.stdout.write(JSON.stringify({ stage: name, us }) + '\n');
}

function measureStages(): Record<string, number> {
  const result: Record<string, number> = {};
  for (const name of STAGES) {
    const out = execFileSync(process.execPath, [process.argv[1]!], { env: { ...process.env, CPU_STAGE: name }, encoding: 'utf8' });
    result[name] = (JSON.parse(out.trim().split('\n').pop()!) as { us: number }).us;
  }
  return result;
}

// ------------------------------------------------------------------------------------ the engine as a child

interface ThreadCpu {
  [kind: string]: number;
}

/** CPU seconds per thread kind (the thread's name; the main thread is "main"), from /proc/<pid>/task. */
function threadCpu(pid: number): ThreadCpu {
  const out: ThreadCpu = {};
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    let comm: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
    } catch {
      continue; // the thread ended
    }
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const kind = tid === String(pid) ? 'main' : comm.replace(/\d+$/, '').trim();
    out[kind] = (out[kind] ?? 0) + (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND;
  }
  return out;
}

function processCpu(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** CPU seconds of the PostgreSQL backends serving database `db` (their pids from pg_stat_activity). */
async function backendCpu(admin: pg.Client, db: string): Promise<number> {
  const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [db]);
  let s = 0;
  for (const r of rows) s += processCpu(r.pid);
  return s;
}

/**
 * Waits until the engine and its database backends have worked off what they were given: less than a tenth of a
 * core between them over half a second (at most a minute). Without it, work still queued behind the acks (the
 * console's projection, scoring) fell outside the measurement, and a change that let it keep up looked costlier.
 */
async function quiet(pid: number, admin: pg.Client, db: string): Promise<void> {
  const busy = async () => Object.values(threadCpu(pid)).reduce((a, b) => a + b, 0) + (await backendCpu(admin, db));
  const deadline = Date.now() + 60_000;
  for (let before = await busy(); Date.now() < deadline; ) {
    await new Promise((r) => setTimeout(r, 500));
    const now = await busy();
    if (now - before < 0.05) return;
    before = now;
  }
  process.stderr.write('engine still busy a minute after the last ack: measuring anyway\n');
}

/** Streams `count` events from event number `first` over the connections, at most WINDOW unacknowledged each. */
async function stream(clients: { c: FepTcpClient; next: number }[], frame: (seq: number, n: number) => Buffer, first: number, count: number): Promise<void> {
  let sent = 0;
  if (count % (BATCH * clients.length) !== 0) throw new Error(`CPU_EVENTS must be a multiple of ${BATCH * clients.length}`);
  const share = count / clients.length;
  await Promise.all(clients.map(async (conn) => {
    for (let mine = 0; mine < share; mine += BATCH) {
      const unacked = conn.next - 1 - conn.c.lastAck;
      if (unacked + BATCH > WINDOW) await conn.c.waitForAck(conn.next - 1 - (WINDOW - BATCH));
      conn.c.socket.write(frame(conn.next, first + sent));
      sent += BATCH;
      conn.next += BATCH;
    }
    await conn.c.waitForAck(conn.next - 1);
  }));
}

/** This process's SWAPREP_* settings: they go to the engine, over startChildEngine's defaults (scoring and submission off). */
function engineSettings(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[0].startsWith('SWAPREP_') && e[1] !== undefined));
}

async function measureEngine(pgServer: Awaited<ReturnType<typeof benchPostgres>>, run: number, model: ModelVersion | undefined) {
  const url = await pgServer.freshDatabase();
  if (model) await installModel(url, model); // scores from the first event, no bootstrap training inside the measurement
  const dbName = new URL(url).pathname.slice(1);
  const sources = Array.from({ length: CONNECTIONS }, (_, i) => `cpu-${i}=cpu-token`).join(',');
  // CPU_PROFILE_DIR: a V8 CPU profile of each engine run (node --cpu-prof), to see where the µs go.
  // CPU_NODE_ARGS: more node/V8 flags for the engine (e.g. --trace-gc), its output going to CPU_ENGINE_LOG.
  const profile = process.env.CPU_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.CPU_PROFILE_DIR}`] : [];
  const nodeArgs = [...profile, ...(process.env.CPU_NODE_ARGS ?? '').split(' ').filter(Boolean)];
  const engine = await startChildEngine({ ...engineSettings(), DATABASE_URL: url, SWAPREP_SOURCES: sources }, [], nodeArgs);
  if (process.env.CPU_ENGINE_LOG) {
    const logFile = createWriteStream(process.env.CPU_ENGINE_LOG);
    engine.process.stdout!.pipe(logFile);
    engine.process.stderr!.on('data', (c: Buffer) => logFile.write(c));
  }
  const pid = engine.process.pid!;
  const admin = new pg.Client({ connectionString: pgServer.adminUrl });
  await admin.connect();
  try {
    const clients = await Promise.all(Array.from({ length: CONNECTIONS }, async (_, i) => {
      const c = await FepTcpClient.connect(engine.tcpPort);
      return { c, next: (await c.hello(`cpu-${i}`, 'cpu-token')) + 1 };
    }));
    const gen = flowFrames({ seed: 7, batch: BATCH, counterOffset: run * 1e9 });
    await stream(clients, gen.frame, 0, WARMUP);
    await quiet(pid, admin, dbName);
    const t0 = threadCpu(pid);
    const b0 = await backendCpu(admin, dbName);
    const w0 = performance.now();
    await stream(clients, gen.frame, WARMUP, EVENTS);
    const wallS = (performance.now() - w0) / 1000;
    // The work that follows the acks (the console's projection, scoring) belongs to these events too.
    await quiet(pid, admin, dbName);
    const t1 = threadCpu(pid);
    const b1 = await backendCpu(admin, dbName);
    await Promise.all(clients.map((x) => x.c.close()));
    const perEvent = (s: number) => Number(((s * 1e6) / EVENTS).toFixed(2));
    const threads: Record<string, number> = {};
    let total = 0;
    for (const k of Object.keys(t1)) {
      const d = t1[k]! - (t0[k] ?? 0);
      total += d;
      if (d > 0) threads[k] = perEvent(d);
    }
    return { engineUsPerEvent: perEvent(total), threadsUsPerEvent: threads, postgresBackendsUsPerEvent: perEvent(b1 - b0), wallEventsPerSecond: Math.round(EVENTS / wallS) };
  } finally {
    await admin.end();
    engine.process.kill('SIGTERM');
    await engine.exited;
    await pgServer.dropDatabase(url);
  }
}

async function main() {
  const onlyStages = process.env.CPU_STAGES_ONLY === '1';
  const onlyEngine = process.env.CPU_ENGINE_ONLY === '1';
  const stageRuns: Record<string, number>[] = [];
  if (!onlyEngine) {
    for (let run = 1; run <= RUNS; run++) {
      const s = measureStages();
      stageRuns.push(s);
      process.stderr.write(`run ${run} stages (µs CPU/event): ${Object.entries(s).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}\n`);
    }
  }
  const engineRuns: Awaited<ReturnType<typeof measureEngine>>[] = [];
  if (!onlyStages) {
    const pgServer = await benchPostgres();
    // With SWAPREP_SCORING=on, the model version a fresh engine would train for itself, installed in each database.
    const model = process.env.SWAPREP_SCORING === 'on' ? await bootstrapModel() : undefined;
    try {
      for (let run = 1; run <= RUNS; run++) {
        const r = await measureEngine(pgServer, run, model);
        engineRuns.push(r);
        process.stderr.write(`run ${run} engine: ${r.engineUsPerEvent} µs CPU/event (${Object.entries(r.threadsUsPerEvent).map(([k, v]) => `${k} ${v}`).join(', ')}), ` +
          `postgres backends ${r.postgresBackendsUsPerEvent} µs/event, ${r.wallEventsPerSecond} events/s wall (noisy)\n`);
      }
    } finally {
      await pgServer.close();
    }
  }
  const medians = {
    stagesUsPerEvent: stageRuns.length === 0 ? undefined : Object.fromEntries(Object.keys(stageRuns[0]!).map((k) => [k, Number(median(stageRuns.map((s) => s[k]!)).toFixed(2))])),
    engineUsPerEvent: engineRuns.length === 0 ? undefined : median(engineRuns.map((r) => r.engineUsPerEvent)),
    engineMainThreadUsPerEvent: engineRuns.length === 0 ? undefined : median(engineRuns.map((r) => r.threadsUsPerEvent['main'] ?? 0)),
    postgresBackendsUsPerEvent: engineRuns.length === 0 ? undefined : median(engineRuns.map((r) => r.postgresBackendsUsPerEvent)),
  };
  // The engine with scoring on is another workload: its figures go beside the spine's, not over them.
  writeResult(process.env.SWAPREP_SCORING === 'on' ? 'cpuPerEventScoring' : 'cpuPerEvent', {
    machine: machine(),
    settings: { runs: RUNS, events: EVENTS, batch: BATCH, window: WINDOW, connections: CONNECTIONS, engineSettings: engineSettings(), records: 'loadtest/flow-frames.ts seed 7: valid new trades', rules: 'cftc-part45, lei-check error' },
    medians,
    runs: { stages: stageRuns, engine: engineRuns },
  });
  process.stdout.write(JSON.stringify(medians, null, 2) + '\n');
}

const stage = process.env.CPU_STAGE;
(stage !== undefined ? Promise.resolve().then(() => stageChild(stage)) : main()).catch((err: unknown) => {
  process.stderr.write(`bench:cpu failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
