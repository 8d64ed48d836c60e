/**
 * npm run chaos — the failure suite: the engine (built, as a child process) under the failures it must survive.
 *
 *   kill        CHAOS_ROUNDS rounds (100) of `kill -9` at a random moment under load: several sources (TCP and gRPC)
 *               streaming trades with lifecycles, resending from Welcome after each restart; after each kill the
 *               database is checked: acknowledged events lost, events stored twice, trade version holes
 *               (bench/chaos/event-log-checks.ts); a last round without a kill gets every event acknowledged
 *   postgres    PostgreSQL (a server this run owns) stopped and started again under load, CHAOS_PG_RESTARTS times
 *   repository  the submission path on, sdr-sim as the repository over HTTP: a timeout, a 5xx, a dropped connection
 *               and a double answer, each met by one batch; every submission must settle once
 *   fuzz        CHAOS_FRAMES fuzzed frames (1,000,000: half over TCP, half over gRPC; loadtest/fuzz-frames.ts): no
 *               crash, bounded memory (the engine's RSS through the run), an Error frame with a code for each bad frame
 *
 * Env: CHAOS_PARTS (kill,postgres,repository,fuzz), CHAOS_ROUNDS (100), CHAOS_FRAMES (1000000), CHAOS_SEED (1),
 * CHAOS_RATE (events/s offered in the kill rounds, 4000), CHAOS_KILL_WITHIN_MS (2500), CHAOS_PG_RESTARTS (3),
 * CHAOS_CONCURRENCY (fuzz connections at once per transport, 32), CHAOS_AFTER_HELLO_SHARE (fuzzed frames sent after a
 * Hello, 0.05: those cost the engine a Hello and often stored events each), DATABASE_URL (else the local server, else an embedded one);
 * SWAPREP_* settings reach the engines. Result: "chaos" in bench/results.json (a run of some parts keeps the others').
 */
import './support/quiet-log.js';
import os from 'node:os';
import { benchPostgres } from './support/postgres.js';
import { machine, mergeResult } from './support/results.js';
import { killChildrenOnSignal } from './chaos/children.js';
import { runFuzzPart } from './chaos/fuzz-part.js';
import { runKillRounds } from './chaos/kill-rounds.js';
import { runPostgresRestart } from './chaos/postgres-restart.js';
import { runRepositoryFaults } from './chaos/repository-faults.js';
import { envNumber } from './support/env-number.js';

const PARTS = new Set((process.env.CHAOS_PARTS ?? 'kill,postgres,repository,fuzz').split(',').map((p) => p.trim()).filter(Boolean));
for (const p of PARTS) if (!['kill', 'postgres', 'repository', 'fuzz'].includes(p)) throw new Error(`CHAOS_PARTS: "${p}" is not one of kill, postgres, repository, fuzz`);
const ROUNDS = Math.round(envNumber('CHAOS_ROUNDS', 100));
const FRAMES = Math.round(envNumber('CHAOS_FRAMES', 1_000_000));
const SEED = Math.round(envNumber('CHAOS_SEED', 1));
const RATE = envNumber('CHAOS_RATE', 4_000);
const KILL_WITHIN_MS = envNumber('CHAOS_KILL_WITHIN_MS', 2_500);
const PG_RESTARTS = Math.round(envNumber('CHAOS_PG_RESTARTS', 3));
const CONCURRENCY = Math.max(1, Math.round(envNumber('CHAOS_CONCURRENCY', 32)));
const AFTER_HELLO = Math.min(1, envNumber('CHAOS_AFTER_HELLO_SHARE', 0.05));

const started = Date.now();
const say = (m: string) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${m}\n`);

async function main(): Promise<void> {
  killChildrenOnSignal();
  say(`failure suite: parts ${[...PARTS].join(', ')}; seed ${SEED}; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const pgServer = await benchPostgres();
  const sections: Record<string, unknown> = { machine: machine(), seed: SEED, postgres: pgServer.kind };
  let failed = false;
  const part = async (name: string, run: () => Promise<unknown>) => {
    if (!PARTS.has(name)) return;
    try {
      sections[name] = await run();
    } catch (err) {
      failed = true;
      sections[name] = { error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
      say(`${name} failed: ${(sections[name] as { error: string }).error}`);
    }
    mergeResult('chaos', { ...sections });
  };
  try {
    await part('kill', () => pgServer.withFreshDatabase((url) => runKillRounds({
      databaseUrl: url, rounds: ROUNDS, seed: SEED, sources: 4, grpcSources: 1, rate: RATE, batch: 100, window: 5_000,
      killWithinMs: KILL_WITHIN_MS, invalidRate: 0.02, finalTimeoutMs: 300_000, log: say,
    }).then(({ perRound, ...rest }) => ({
      ...rest,
      // The per-round figures, thinned: the rounds where something was found, and the kill moments and acks of all.
      killAfterMs: perRound.map((r) => r.killAfterMs),
      ackedPerRound: perRound.map((r) => r.ackedInRound),
      roundsWithFindings: perRound.filter((r) => r.check.lost + r.check.duplicated + r.check.holes > 0).map((r) => ({ round: r.round, ...r.check })),
    }))));
    await part('postgres', () => runPostgresRestart({
      seed: SEED, restarts: PG_RESTARTS, sources: 3, rate: 3_000, batch: 100, window: 5_000, upMs: 3_000, downMs: 3_000, settleTimeoutMs: 120_000, log: say,
    }));
    await part('repository', () => pgServer.withFreshDatabase((url) => runRepositoryFaults({
      databaseUrl: url, seed: SEED, eventsPerFault: 500, timeoutMs: 1_000, settleTimeoutMs: 120_000, log: say,
    })));
    await part('fuzz', () => pgServer.withFreshDatabase((url) => runFuzzPart({
      databaseUrl: url, seed: SEED, framesPerTransport: Math.ceil(FRAMES / 2), afterHelloShare: AFTER_HELLO, concurrency: CONCURRENCY, answerTimeoutMs: 15_000, log: say,
    })));
  } finally {
    await pgServer.close();
  }
  const summary = summarize(sections);
  say(`done in ${Math.round((Date.now() - started) / 1000)} s: ${JSON.stringify(summary)}`);
  mergeResult('chaos', { ...sections, summary: { ...((summary as object) ?? {}), seconds: Math.round((Date.now() - started) / 1000) } });
  if (failed) process.exitCode = 1;
}

/** The headline figures (README's table). */
function summarize(s: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const k = s.kill as { rounds?: number; events?: number; lost?: number; duplicated?: number; holes?: number } | undefined;
  if (k && k.rounds !== undefined) Object.assign(out, { killRounds: k.rounds, killEvents: k.events, killLost: k.lost, killDuplicated: k.duplicated, killHoles: k.holes });
  const p = s.postgres as { restarts?: number; events?: number; lost?: number; duplicated?: number; holes?: number; engineExits?: number } | undefined;
  if (p && p.restarts !== undefined) Object.assign(out, { pgRestarts: p.restarts, pgEvents: p.events, pgLost: p.lost, pgDuplicated: p.duplicated, pgHoles: p.holes, pgEngineExits: p.engineExits });
  const r = s.repository as { submissions?: number; failed?: number; unsettled?: number; storedTwiceAtRepository?: number } | undefined;
  if (r && r.submissions !== undefined) Object.assign(out, { repoSubmissions: r.submissions, repoFailed: r.failed, repoUnsettled: r.unsettled, repoStoredTwice: r.storedTwiceAtRepository });
  const f = s.fuzz as { frames?: number; crashes?: number; tcp?: { violations: number }; grpc?: { violations: number }; rss?: { startMiB: number; peakMiB: number; endMiB: number } } | undefined;
  if (f && f.frames !== undefined) {
    Object.assign(out, { fuzzFrames: f.frames, fuzzCrashes: f.crashes, fuzzViolations: (f.tcp?.violations ?? 0) + (f.grpc?.violations ?? 0), fuzzRssMiB: f.rss });
  }
  return out;
}

main().then(
  // Exits even if a client library left a handle open (a hung benchmark would hide its results' file being written).
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);
