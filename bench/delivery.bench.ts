/**
 * npm run bench:delivery — what delivering to the repository costs against the spine alone: the same records and
 * the same client in each run, a fresh database per phase (dropped after it), the engine as a child process.
 *
 *   spine    `swaprep serve` with SWAPREP_SCORING=off SWAPREP_SUBMISSION=off SWAPREP_CONSOLE=off: acknowledgement
 *            rate (events / seconds from the first event sent to the last ack) and CPU per event (engine threads +
 *            the PostgreSQL backends of its database, counted until they are quiet again)
 *   serve    `swaprep serve` with its defaults (scoring, submission, console on; the bootstrap scoring model
 *            installed first, as a deployed engine has one) and sdr-sim as the repository, its own process
 *            (SWAPREP_SDR): the settled rate (events / seconds from the first event sent until sdr-sim has answered
 *            every owed submission: Part 45 and Part 43 per new trade, counted by the report builder over the
 *            frames sent, and seen in sdr-sim's /admin/stats acked + nacked) and CPU per event the same way; sdr-sim's
 *            CPU is noted apart, as is this process's (the client and the NACK tap), neither in the engine's figure
 *   soak     (BENCH_SOAK_SECONDS > 0) the serve setup paced at half the median settled rate: the backlog (events
 *            acknowledged less submissions answered / owed per event) each second, its slope over the second half
 *
 * Each run's warm-up (BENCH_WARMUP_EVENTS, settled and quiet before counting starts) is left out of its figures.
 * The headline is two ratios per run, their medians over the runs: settled rate / the spine's ack rate (goal
 * >= 0.6) and the serve CPU per event / the spine's (goal <= 2.5); absolute rates on this shared machine say more
 * about the neighbours. NACKs come from sdr-sim's stats, by error code from a tap that reads its answers
 * (bench/support/delivery-tap.ts; BENCH_NACK_CODES=0 leaves it out).
 *
 * Env: BENCH_EVENTS (100000), BENCH_RUNS (3), BENCH_SOAK_SECONDS (0: no soak), BENCH_WARMUP_EVENTS (10000),
 * BENCH_RESULT_KEY (delivery), BENCH_SERVE_OFF (followers off in the serve setup, to price each: scoring, console), BENCH_BATCH (500 events per frame), BENCH_WINDOW (10000 unacknowledged events), BENCH_PHASE_TIMEOUT_S (240 per
 * phase: then it gives up and says so, and the runs after it are skipped), BENCH_STALL_S (60: sdr-sim answering
 * nothing for this long after the last ack gives up too), BENCH_QUIET_TIMEOUT_S (60: then the CPU is counted
 * anyway and the run says so), BENCH_NACK_CODES (1), DATABASE_URL, BENCH_KEEP_DATABASES; any other SWAPREP_*
 * setting in the environment reaches both engines. Result: "delivery" in bench/results.json.
 */
import './support/quiet-log.js'; // first: before the engine's logger reads its level
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { projectRoot } from '../engine/project-root.js';
import { startChildEngine, type ChildEngine } from '../loadtest/engine-process.js';
import { startChildSdrSim, type ChildSdrSim } from '../loadtest/sdr-sim/child.js';
import type { ModelVersion } from '../gpu-pool/registry.js';
import { benchPostgres, serverVersion, type BenchPostgres } from './support/postgres.js';
import { machine, writeResult } from './support/results.js';
import { bootstrapModel, installModel } from './support/scoring-model.js';
import { pacedVerdict } from './support/paced-verdict.js';
import { CpuMeter, waitQuiet, type CpuReading } from './support/delivery-cpu.js';
import { Feeder, PhaseTimeout, beforeDeadline, sleep } from './support/delivery-driver.js';
import { startAnswerTap, type AnswerCounts, type AnswerTap } from './support/delivery-tap.js';
import {
  GOALS, addCodes, atLeast, atMost, backlogEvents, cell, formatCodes, formatTable, medianDefined, ratio, round, secondHalf, slopeOf, thin, usPerEvent,
} from './support/delivery-stats.js';
import { envNumber } from './support/env-number.js';

const BATCH = Math.max(1, Math.round(envNumber('BENCH_BATCH', 500)));
/** Where the run goes in bench/results.json (a long soak can be kept beside the three-run figures). */
const RESULT_KEY = process.env.BENCH_RESULT_KEY ?? 'delivery';
/** Followers turned off in the serve setup (BENCH_SERVE_OFF=scoring,console), to price each one. */
const SERVE_OFF = (process.env.BENCH_SERVE_OFF ?? '').split(',').map((x) => x.trim()).filter((x) => x.length > 0);
for (const off of SERVE_OFF) if (off !== 'scoring' && off !== 'console') throw new Error(`BENCH_SERVE_OFF takes scoring and console, not ${off}`);
const roundUp = (n: number) => Math.ceil(n / BATCH) * BATCH;
const EVENTS = roundUp(Math.max(BATCH, envNumber('BENCH_EVENTS', 100_000)));
const RUNS = Math.max(1, Math.round(envNumber('BENCH_RUNS', 3)));
const WARMUP = roundUp(envNumber('BENCH_WARMUP_EVENTS', 10_000));
const WINDOW = Math.max(BATCH, envNumber('BENCH_WINDOW', 10_000));
const SOAK_SECONDS = envNumber('BENCH_SOAK_SECONDS', 0);
const PHASE_TIMEOUT_MS = envNumber('BENCH_PHASE_TIMEOUT_S', 240) * 1000;
const STALL_MS = envNumber('BENCH_STALL_S', 60) * 1000;
const QUIET_TIMEOUT_MS = envNumber('BENCH_QUIET_TIMEOUT_S', 60) * 1000;
const NACK_CODES = process.env.BENCH_NACK_CODES !== '0';
const SOURCE = 'delivery';
const TOKEN = 'delivery-token';

const started = Date.now();
const say = (m: string) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${m}\n`);

// ------------------------------------------------------------------------------------------------ set-up per phase

interface Phase {
  url: string;
  database: string;
  engine: ChildEngine;
  admin: pg.Client;
  feeder: Feeder;
  sim?: ChildSdrSim;
  tap?: AnswerTap;
  dataDir: string;
}

/** An engine on a fresh database (with sdr-sim and the tap for the serve setup), its admin connection and the client. */
async function openPhase(pgServer: BenchPostgres, kind: 'spine' | 'serve', counterOffset: number, model: ModelVersion | undefined, batch = BATCH): Promise<Phase> {
  const url = await pgServer.freshDatabase();
  const dataDir = mkdtempSync(join(os.tmpdir(), 'swaprep-delivery-'));
  let sim: ChildSdrSim | undefined;
  let tap: AnswerTap | undefined;
  let engine: ChildEngine | undefined;
  try {
    const env: Record<string, string> = { DATABASE_URL: url, SWAPREP_SOURCES: `${SOURCE}=${TOKEN}`, SWAPREP_DATA_DIR: dataDir };
    if (kind === 'spine') {
      Object.assign(env, { SWAPREP_SCORING: 'off', SWAPREP_SUBMISSION: 'off', SWAPREP_CONSOLE: 'off' });
    } else {
      if (model) await installModel(url, model); // scores from the first event: no bootstrap training inside the measurement
      sim = await startChildSdrSim({ extraArgs: ['--no-sftp'] });
      tap = NACK_CODES ? await startAnswerTap(sim.httpPort) : undefined;
      Object.assign(env, { SWAPREP_SCORING: 'on', SWAPREP_SUBMISSION: 'on', SWAPREP_CONSOLE: 'on', SWAPREP_SDR: `sim=http://127.0.0.1:${tap?.port ?? sim.httpPort}/` });
      // One follower's cost is the difference with it off (the submission path stays: it is what settles).
      for (const off of SERVE_OFF) env[`SWAPREP_${off.toUpperCase()}`] = 'off';
    }
    engine = await startChildEngine(env);
    const admin = new pg.Client({ connectionString: pgServer.adminUrl });
    await admin.connect();
    const feeder = await Feeder.connect({ port: engine.tcpPort, sourceId: SOURCE, token: TOKEN, batch, counterOffset });
    const p: Phase = { url, database: new URL(url).pathname.slice(1), engine, admin, feeder, dataDir };
    if (sim) p.sim = sim;
    if (tap) p.tap = tap;
    return p;
  } catch (err) {
    if (engine) await stopEngine(engine);
    await tap?.close();
    await sim?.stop();
    await pgServer.dropDatabase(url);
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}

async function stopEngine(engine: ChildEngine): Promise<void> {
  if (engine.process.exitCode !== null) return;
  engine.process.kill('SIGTERM');
  const t = setTimeout(() => engine.process.kill('SIGKILL'), 30_000);
  await engine.exited;
  clearTimeout(t);
}

async function closePhase(pgServer: BenchPostgres, p: Phase): Promise<void> {
  await p.feeder.close().catch(() => {});
  await stopEngine(p.engine);
  await p.tap?.close();
  await p.sim?.stop();
  await p.admin.end().catch(() => {});
  await pgServer.dropDatabase(p.url);
  rmSync(p.dataDir, { recursive: true, force: true });
}

/** Samples the meter every second while `work` runs (backends that come and go are counted). */
async function sampling<T>(meter: CpuMeter, work: Promise<T>): Promise<T> {
  const timer = setInterval(() => void meter.sample().catch(() => {}), 1000);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

function cpuFigures(r: CpuReading, events: number, quiet: { timedOut: boolean; waitedMs: number }, threads: Record<string, number>) {
  return {
    engineUsPerEvent: usPerEvent(r.engineS, events),
    postgresBackendsUsPerEvent: usPerEvent(r.backendsS, events),
    usPerEvent: usPerEvent(r.engineS + r.backendsS, events),
    engineThreadsUsPerEvent: Object.fromEntries(Object.entries(threads).map(([k, v]) => [k, usPerEvent(v, events)]).filter(([, v]) => (v as number) >= 0.05)),
    backendsSeen: r.backends,
    quietAfterMs: quiet.waitedMs,
    quietTimedOut: quiet.timedOut,
  };
}

// ------------------------------------------------------------------------------------------------ (a) the spine

async function spinePhase(pgServer: BenchPostgres, run: number) {
  const deadline = performance.now() + PHASE_TIMEOUT_MS;
  const p = await openPhase(pgServer, 'spine', run * 1e9, undefined);
  try {
    const meter = new CpuMeter({ enginePid: p.engine.process.pid!, admin: p.admin, database: p.database });
    if (WARMUP > 0) await p.feeder.closedLoop(WARMUP, WINDOW, deadline);
    await meter.start();
    await waitQuiet(meter, { timeoutMs: QUIET_TIMEOUT_MS });
    await meter.start();
    const t = await sampling(meter, p.feeder.closedLoop(EVENTS, WINDOW, deadline));
    const seconds = (t.lastAckMs - t.firstSentMs) / 1000;
    const quiet = await waitQuiet(meter, { timeoutMs: QUIET_TIMEOUT_MS });
    if (quiet.timedOut) say(`run ${run} spine: the engine and its database were still busy ${QUIET_TIMEOUT_MS / 1000} s after the last ack: counting its CPU anyway`);
    return { events: EVENTS, ackSeconds: round(seconds, 2), ackEventsPerSecond: Math.round(EVENTS / seconds), ...cpuFigures(quiet.reading, EVENTS, quiet, meter.threads()) };
  } finally {
    await closePhase(pgServer, p);
  }
}

// ------------------------------------------------------------------------------------------------ (b) serve with sdr-sim

type SimStats = Awaited<ReturnType<ChildSdrSim['stats']>>;

const simAnswered = (s: SimStats) => s.acked + s.nacked;

/** sdr-sim's /admin/stats, bounded: a simulator that stops answering ends the phase instead of hanging it. */
function simStats(sim: ChildSdrSim): Promise<SimStats> {
  return beforeDeadline(sim.stats(), performance.now() + 15_000, () => 'sdr-sim did not answer GET /admin/stats within 15 s');
}

/**
 * Polls sdr-sim every 100 ms until it has answered `expected` submissions more than `base` (acked + nacked), the
 * deadline passes, or it answers nothing for BENCH_STALL_S once `acksDone()` (PhaseTimeout for either). Resolves
 * with when the poll saw the last answer.
 */
async function untilAnswered(sim: ChildSdrSim, base: number, expected: number, deadline: number, acksDone: () => boolean, label: string): Promise<{ atMs: number; stats: SimStats }> {
  let last = -1;
  let lastChangeMs = performance.now();
  for (;;) {
    const stats = await simStats(sim);
    const answered = stats.acked + stats.nacked - base;
    const now = performance.now();
    if (answered >= expected) return { atMs: now, stats };
    if (answered !== last) {
      last = answered;
      lastChangeMs = now;
    }
    const where = `${label}: sdr-sim answered ${answered} of ${expected} owed submissions (${stats.acked} ACK, ${stats.nacked} NACK in all)`;
    if (now > deadline) throw new PhaseTimeout(`${where} when the phase's ${PHASE_TIMEOUT_MS / 1000} s ran out`);
    if (acksDone() && now - lastChangeMs > STALL_MS) throw new PhaseTimeout(`${where}, and nothing more for ${STALL_MS / 1000} s after the last ack`);
    await sleep(100);
  }
}



function diffCounts(a: AnswerCounts, b: AnswerCounts): AnswerCounts {
  const codes: Record<string, number> = {};
  for (const [c, n] of Object.entries(a.codes)) if (n - (b.codes[c] ?? 0) > 0) codes[c] = n - (b.codes[c] ?? 0);
  return { acks: a.acks - b.acks, nacks: a.nacks - b.nacks, codes };
}

async function servePhase(pgServer: BenchPostgres, run: number, model: ModelVersion) {
  const deadline = performance.now() + PHASE_TIMEOUT_MS;
  const p = await openPhase(pgServer, 'serve', run * 1e9, model);
  const sim = p.sim!;
  try {
    const meter = new CpuMeter({ enginePid: p.engine.process.pid!, admin: p.admin, database: p.database, simPid: sim.process.pid! });
    if (WARMUP > 0) {
      const owedWarm = p.feeder.owedFor(WARMUP);
      await p.feeder.closedLoop(WARMUP, WINDOW, deadline);
      await untilAnswered(sim, 0, owedWarm, deadline, () => true, `run ${run} serve warm-up`);
    }
    await meter.start();
    await waitQuiet(meter, { timeoutMs: QUIET_TIMEOUT_MS });
    const owed = p.feeder.owedFor(EVENTS);
    const before = await simStats(sim);
    const tapBefore = p.tap?.counts();
    await meter.start();
    let acksDone = false;
    const acks = p.feeder.closedLoop(EVENTS, WINDOW, deadline).finally(() => (acksDone = true));
    acks.catch(() => {}); // awaited below; the answer poll may fail first
    const settled = await sampling(meter, untilAnswered(sim, simAnswered(before), owed, deadline, () => acksDone, `run ${run} serve`));
    const t = await acks;
    const quiet = await waitQuiet(meter, { timeoutMs: QUIET_TIMEOUT_MS });
    if (quiet.timedOut) say(`run ${run} serve: the engine, its database and sdr-sim were still busy ${QUIET_TIMEOUT_MS / 1000} s after the last answer: counting their CPU anyway`);
    const after = await simStats(sim);
    const r = quiet.reading;
    const settleSeconds = (settled.atMs - t.firstSentMs) / 1000;
    const ackSeconds = (t.lastAckMs - t.firstSentMs) / 1000;
    const tap = p.tap && tapBefore ? diffCounts(p.tap.counts(), tapBefore) : undefined;
    return {
      events: EVENTS, owedSubmissions: owed,
      settleSeconds: round(settleSeconds, 2), settledEventsPerSecond: Math.round(EVENTS / settleSeconds),
      ackSeconds: round(ackSeconds, 2), ackEventsPerSecond: Math.round(EVENTS / ackSeconds),
      ...cpuFigures(r, EVENTS, quiet, meter.threads()),
      sdrSimUsPerEvent: usPerEvent(r.simS, EVENTS), benchProcessUsPerEvent: usPerEvent(r.benchS, EVENTS),
      sdrSim: {
        acked: after.acked - before.acked, nacked: after.nacked - before.nacked, batches: after.batches - before.batches,
        records: after.records - before.records, resent: after.resent - before.resent,
      },
      nackCodes: tap?.codes, tapNacks: tap?.nacks,
    };
  } finally {
    await closePhase(pgServer, p);
  }
}

// ------------------------------------------------------------------------------------------------ the soak

async function soakPhase(pgServer: BenchPostgres, model: ModelVersion, rate: number) {
  // Frames of at least 20 a second, so the pace is smooth at low rates.
  const batch = Math.max(10, Math.min(500, Math.floor(rate / 20 / 10) * 10 || 10));
  const p = await openPhase(pgServer, 'serve', 9e9, model, batch);
  const sim = p.sim!;
  try {
    const perEvent = p.feeder.owedFor(Math.max(batch, Math.floor(20_000 / batch) * batch)) / Math.max(batch, Math.floor(20_000 / batch) * batch);
    const meter = new CpuMeter({ enginePid: p.engine.process.pid!, admin: p.admin, database: p.database, simPid: sim.process.pid! });
    await meter.start();
    const samples: { t: number; acked: number; answered: number; backlog: number; cpuS: number }[] = [];
    say(`soak: ${SOAK_SECONDS} s at ${rate} events/s (half the median settled rate), frames of ${batch}`);
    const out = await p.feeder.paced(rate, SOAK_SECONDS, Math.max(100_000, rate * 60), async (t) => {
      const [s, r] = await Promise.all([simStats(sim), meter.sample()]);
      const answered = simAnswered(s);
      samples.push({ t: round(t, 1), acked: p.feeder.acked, answered, backlog: Math.round(backlogEvents(p.feeder.acked, answered, perEvent)), cpuS: round(r.engineS + r.backendsS, 2) });
      if (samples.length % 60 === 0) say(`soak ${Math.round(t)} s: backlog ${samples.at(-1)!.backlog} events`);
    });
    if (out.gaveUp) say(`soak: gave up after ${round(out.seconds, 1)} s: more than ${Math.max(100_000, rate * 60)} events unacknowledged`);
    const half = secondHalf(samples, SOAK_SECONDS);
    const first = half[0];
    const last = half[half.length - 1];
    const span = first && last ? last.t - first.t : 0;
    const slope = slopeOf(half.map((s) => [s.t, s.backlog] as const));
    const ingested = span > 0 ? (last!.acked - first!.acked) / span : 0;
    const settledRate = span > 0 ? (last!.answered - first!.answered) / perEvent / span : 0;
    const cpuUs = span > 0 && last!.acked > first!.acked ? usPerEvent(last!.cpuS - first!.cpuS, last!.acked - first!.acked) : undefined;
    // Then the backlog left is worked off, bounded (nothing lost on the way).
    const drainStart = performance.now();
    let drained = false;
    while (performance.now() - drainStart < 120_000) {
      const s = await simStats(sim);
      if (simAnswered(s) >= Math.floor(p.feeder.acked * perEvent)) {
        drained = true;
        break;
      }
      await sleep(500);
    }
    return {
      rate, seconds: round(out.seconds, 1), batch, gaveUp: out.gaveUp, owedPerEvent: round(perEvent, 4),
      ingestedEventsPerSecond: Math.round(ingested), settledEventsPerSecond: Math.round(settledRate),
      backlogSlopeEventsPerSecond: round(slope, 2), finalBacklogEvents: samples.at(-1)?.backlog ?? 0,
      verdict: out.gaveUp ? 'gave up' : pacedVerdict(rate, ingested, settledRate, slope, half.length),
      steadyUsPerEvent: cpuUs, drainedWithin120s: drained, drainSeconds: round((performance.now() - drainStart) / 1000, 1),
      samples: thin(samples, 120),
    };
  } finally {
    await closePhase(pgServer, p);
  }
}

// ------------------------------------------------------------------------------------------------ main

type SpineResult = Awaited<ReturnType<typeof spinePhase>>;
type ServeResult = Awaited<ReturnType<typeof servePhase>>;
interface RunResult {
  run: number;
  spine?: SpineResult;
  serve?: ServeResult;
  settledToSpineAcks?: number;
  cpuServeToSpine?: number;
  error?: string;
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: projectRoot(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

async function main() {
  say(`delivery benchmark: ${EVENTS} events (+${WARMUP} warm-up) x ${RUNS} runs, one FEP client over TCP (frames of ${BATCH}, window ${WINDOW}), soak ${SOAK_SECONDS > 0 ? `${SOAK_SECONDS} s` : 'off'}; ` +
    `load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const pgServer = await benchPostgres();
  const runs: RunResult[] = [];
  let soak: Awaited<ReturnType<typeof soakPhase>> | { error: string } | undefined;
  try {
    say('training the bootstrap scoring model (installed in each serve database)');
    const model = await bootstrapModel();
    for (let run = 1; run <= RUNS; run++) {
      const r: RunResult = { run };
      runs.push(r);
      try {
        say(`run ${run}/${RUNS}: spine`);
        r.spine = await spinePhase(pgServer, run);
        say(`run ${run} spine: ${r.spine.ackEventsPerSecond} acks/s, ${r.spine.usPerEvent} µs CPU/event (engine ${r.spine.engineUsPerEvent} + PostgreSQL ${r.spine.postgresBackendsUsPerEvent})`);
        say(`run ${run}/${RUNS}: serve + sdr-sim`);
        r.serve = await servePhase(pgServer, run, model);
        r.settledToSpineAcks = ratio(r.serve.settledEventsPerSecond, r.spine.ackEventsPerSecond);
        r.cpuServeToSpine = ratio(r.serve.usPerEvent, r.spine.usPerEvent);
        say(`run ${run} serve: settled ${r.serve.settledEventsPerSecond} events/s (${r.serve.owedSubmissions} submissions in ${r.serve.settleSeconds} s; acks ${r.serve.ackEventsPerSecond}/s), ` +
          `${r.serve.usPerEvent} µs CPU/event (engine ${r.serve.engineUsPerEvent} + PostgreSQL ${r.serve.postgresBackendsUsPerEvent}; sdr-sim ${r.serve.sdrSimUsPerEvent} apart), ` +
          `NACKs ${r.serve.sdrSim.nacked}${r.serve.nackCodes ? ` (${formatCodes(r.serve.nackCodes)})` : ''} -> ratios ${r.settledToSpineAcks} / ${r.cpuServeToSpine}`);
      } catch (err) {
        r.error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        say(`run ${run} failed: ${r.error}`);
        if (err instanceof PhaseTimeout) {
          say(`a phase gave up after its bound: the remaining runs are skipped`);
          break;
        }
      }
    }
    const settledMedian = medianDefined(runs.map((r) => r.serve?.settledEventsPerSecond));
    if (SOAK_SECONDS > 0) {
      if (settledMedian === undefined) {
        soak = { error: 'no settled rate was measured: no soak' };
        say(soak.error);
      } else {
        try {
          // Bounded within: the pace ends after SOAK_SECONDS, every sdr-sim call within 15 s, the drain within 120 s.
          soak = await soakPhase(pgServer, model, Math.max(10, Math.round(settledMedian / 2)));
        } catch (err) {
          soak = { error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
          say(`soak failed: ${soak.error}`);
        }
      }
    }
    const m = (f: (r: RunResult) => number | undefined) => medianDefined(runs.map(f));
    const medians = {
      settledToSpineAcks: m((r) => r.settledToSpineAcks),
      cpuServeToSpine: m((r) => r.cpuServeToSpine),
      spineAckEventsPerSecond: m((r) => r.spine?.ackEventsPerSecond),
      serveSettledEventsPerSecond: settledMedian,
      serveAckEventsPerSecond: m((r) => r.serve?.ackEventsPerSecond),
      spineUsPerEvent: m((r) => r.spine?.usPerEvent),
      spineEngineUsPerEvent: m((r) => r.spine?.engineUsPerEvent),
      spinePostgresUsPerEvent: m((r) => r.spine?.postgresBackendsUsPerEvent),
      serveUsPerEvent: m((r) => r.serve?.usPerEvent),
      serveEngineUsPerEvent: m((r) => r.serve?.engineUsPerEvent),
      servePostgresUsPerEvent: m((r) => r.serve?.postgresBackendsUsPerEvent),
      sdrSimUsPerEvent: m((r) => r.serve?.sdrSimUsPerEvent),
      benchProcessUsPerEvent: m((r) => r.serve?.benchProcessUsPerEvent),
    };
    const nacked = runs.reduce((a, r) => a + (r.serve?.sdrSim.nacked ?? 0), 0);
    const codes = addCodes(runs.map((r) => r.serve?.nackCodes ?? {}));
    const soakOk = soak && !('error' in soak) ? soak : undefined;
    const goals = {
      settledToSpineAcks: { goal: `>= ${GOALS.settledToSpineAcks}`, value: medians.settledToSpineAcks, verdict: atLeast(medians.settledToSpineAcks, GOALS.settledToSpineAcks) },
      cpuServeToSpine: { goal: `<= ${GOALS.cpuServeToSpine}`, value: medians.cpuServeToSpine, verdict: atMost(medians.cpuServeToSpine, GOALS.cpuServeToSpine) },
      soak: { goal: '30 min at half the settled rate, backlog flat', verdict: soakOk ? (soakOk.verdict === 'keeps up' && soakOk.seconds >= 1800 ? 'met' : soakOk.verdict === 'keeps up' ? `flat over ${soakOk.seconds} s (goal: 1800)` : 'not met') : 'not measured' },
    };
    writeResult(RESULT_KEY, {
      machine: { ...machine(), loadAverageAtStart: os.loadavg().map((l) => round(l, 1)) },
      versions: { postgres: await serverVersion(pgServer.adminUrl), postgresServer: pgServer.kind, commit: gitCommit(), scoringModel: model.manifest.versionId },
      settings: {
        events: EVENTS, warmupEvents: WARMUP, runs: RUNS, batch: BATCH, window: WINDOW, client: 'one FEP source over one TCP connection (loadtest/fep-client.ts), closed loop',
        records: 'loadtest/flow-frames.ts seed 7: valid new trades, the same UTIs in both phases of a run', rules: 'cftc-part45, lei-check error',
        spine: 'SWAPREP_SCORING=off SWAPREP_SUBMISSION=off SWAPREP_CONSOLE=off', serve: 'defaults (scoring, submission, console on; bootstrap model installed), SWAPREP_SDR=sdr-sim (own process, --no-sftp)',
        nackCodes: NACK_CODES ? 'tap between the engine and sdr-sim' : 'off', soakSeconds: SOAK_SECONDS, phaseTimeoutS: PHASE_TIMEOUT_MS / 1000,
        otherEngineSettings: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('SWAPREP_'))),
      },
      headline: { settledToSpineAcks: medians.settledToSpineAcks, cpuServeToSpine: medians.cpuServeToSpine, soakBacklogSlopeEventsPerSecond: soakOk?.backlogSlopeEventsPerSecond, nacked, nackCodes: codes },
      goals, medians, runs, soak,
    });
    process.stdout.write(report(runs, medians, goals, nacked, codes, soak) + '\n');
  } finally {
    await pgServer.close();
  }
}

function report(runs: RunResult[], med: Record<string, number | undefined>, goals: { settledToSpineAcks: { verdict: string }; cpuServeToSpine: { verdict: string }; soak: { verdict: string } },
  nacked: number, codes: Record<string, number>, soak: Awaited<ReturnType<typeof soakPhase>> | { error: string } | undefined): string {
  const perRun = (f: (r: RunResult) => number | undefined, d = 2) => runs.map((r) => cell(f(r), d)).join(' / ');
  const rows: string[][] = [
    ['settled rate / spine ack rate (goal >= 0.6)', cell(med.settledToSpineAcks, 3), goals.settledToSpineAcks.verdict, perRun((r) => r.settledToSpineAcks, 3)],
    ['serve CPU/event / spine CPU/event (goal <= 2.5)', cell(med.cpuServeToSpine, 3), goals.cpuServeToSpine.verdict, perRun((r) => r.cpuServeToSpine, 3)],
    ['spine: acks/s', cell(med.spineAckEventsPerSecond, 0), '', perRun((r) => r.spine?.ackEventsPerSecond, 0)],
    ['serve: settled events/s', cell(med.serveSettledEventsPerSecond, 0), '', perRun((r) => r.serve?.settledEventsPerSecond, 0)],
    ['serve: acks/s', cell(med.serveAckEventsPerSecond, 0), '', perRun((r) => r.serve?.ackEventsPerSecond, 0)],
    ['spine: µs CPU/event (engine + PostgreSQL)', cell(med.spineUsPerEvent, 1), '', perRun((r) => r.spine?.usPerEvent, 1)],
    ['serve: µs CPU/event (engine + PostgreSQL)', cell(med.serveUsPerEvent, 1), '', perRun((r) => r.serve?.usPerEvent, 1)],
    ['  engine / PostgreSQL backends', `${cell(med.serveEngineUsPerEvent, 1)} / ${cell(med.servePostgresUsPerEvent, 1)}`, '', ''],
    ['sdr-sim: µs CPU/event (apart)', cell(med.sdrSimUsPerEvent, 1), '', perRun((r) => r.serve?.sdrSimUsPerEvent, 1)],
    ['NACKs (all runs)', cell(nacked, 0), formatCodes(codes), perRun((r) => r.serve?.sdrSim.nacked, 0)],
  ];
  if (soak && 'error' in soak) rows.push(['soak', 'error', soak.error, '']);
  else if (soak) rows.push([`soak ${soak.seconds} s at ${soak.rate}/s: backlog slope (events/s)`, cell(soak.backlogSlopeEventsPerSecond, 1), `${soak.verdict}; ${goals.soak.verdict}`, `final backlog ${soak.finalBacklogEvents}`]);
  const failed = runs.filter((r) => r.error).map((r) => `run ${r.run}: ${r.error}`);
  return [formatTable(['delivery', 'median', 'verdict', 'runs'], rows), ...failed].join('\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:delivery failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
