/**
 * Rounds of `kill -9` under load: each round starts the built engine as a child process on one database, lets every
 * source connect, take Welcome and resend from it, streams at a steady pace, and kills the engine with SIGKILL at a
 * random moment of the round (while it recovers, while it judges, mid-commit...); then the database is checked
 * (event-log-checks.ts). A last round runs without a kill: every event ever sent is resent as needed and acknowledged,
 * the engine stops gracefully, and the whole event log is checked once more, with the count of every source's events.
 */
import pg from 'pg';
import { startChildEngine, type ChildEngine } from '../../loadtest/engine-process.js';
import { stopChild, track } from './children.js';
import { Random } from '../../loadtest/generator/random.js';
import { ChaosSource } from './chaos-source.js';
import { checkEventLog, type LogCheck } from './event-log-checks.js';

export interface KillRoundsOptions {
  databaseUrl: string;
  rounds: number;
  seed: number;
  /** Sources (the last `grpcSources` of them over gRPC, the others over TCP). */
  sources: number;
  grpcSources: number;
  /** Events per second offered by all sources together, and events per Batch frame. */
  rate: number;
  batch: number;
  /** Unacknowledged events per source above which it waits. */
  window: number;
  /** The kill comes at a uniform random moment in [0, killWithinMs] after the engine listens. */
  killWithinMs: number;
  /** Share of generated events made invalid (rejected by the rulebook; they make no version). */
  invalidRate: number;
  /** More environment for the engine (SWAPREP_*). */
  env?: Record<string, string>;
  /** How long the last round may take to get every event acknowledged. */
  finalTimeoutMs: number;
  log?: (m: string) => void;
}

export interface RoundFigures {
  round: number;
  killAfterMs: number;
  /** Events newly acknowledged in the round (Welcome included). */
  ackedInRound: number;
  check: LogCheck;
}

export interface KillRoundsResult {
  rounds: number;
  sources: number;
  events: number;
  ackedBeforeKills: number;
  lost: number;
  duplicated: number;
  holes: number;
  versionGaps: number;
  versionOrderInversions: number;
  laterStoredEarlierMissing: number;
  welcomeBelowAck: number;
  storedAheadOfHole: number;
  /** Events the flow made valid that the engine rejected, and the other way round (judged unlike a run without kills). */
  validRejected: number;
  invalidAccepted: number;
  finalEngineExit: number | null;
  finalCheck: LogCheck;
  perRound: RoundFigures[];
  seconds: number;
  examples: string[];
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function runKillRounds(o: KillRoundsOptions): Promise<KillRoundsResult> {
  const started = performance.now();
  const log = o.log ?? (() => {});
  const r = new Random(o.seed, 90);
  const sources = Array.from({ length: o.sources }, (_, i) =>
    new ChaosSource(`chaos${i + 1}`, `chaos-token-${i + 1}`, i >= o.sources - o.grpcSources ? 'grpc' : 'tcp', o.seed * 31 + i, o.invalidRate));
  const env = {
    DATABASE_URL: o.databaseUrl, SWAPREP_SOURCES: sources.map((s) => `${s.sourceId}=${s.token}`).join(','),
    SWAPREP_SCORING: 'off', SWAPREP_SUBMISSION: 'off', SWAPREP_CONSOLE: 'off', ...o.env,
  };
  const db = new pg.Pool({ connectionString: o.databaseUrl, max: 2 });
  const perRound: RoundFigures[] = [];
  const examples: string[] = [];
  let ackedBeforeKills = 0;
  try {
    for (let round = 1; round <= o.rounds; round++) {
      const since = sources.map((s) => s.acked);
      const ackedBefore = sources.reduce((n, s) => n + s.acked, 0);
      const killAfterMs = Math.round(r.float() * o.killWithinMs);
      const engine = track(await startChildEngine(env));
      const listening = performance.now();
      const killed = (async () => {
        await sleep(killAfterMs);
        engine.process.kill('SIGKILL');
        await engine.exited;
      })();
      let dead = false;
      void killed.then(() => (dead = true));
      // Streams until the kill; connection failures after it are the point.
      await Promise.all(sources.map((s) => stream(s, engine, o, () => dead, o.rate / o.sources).catch(() => {})));
      await killed;
      await Promise.all(sources.map(async (s) => {
        await s.ended();
        await s.disconnect();
      }));
      const check = await checkEventLog(db, sources.map((s, i) => ({ sourceId: s.sourceId, acked: s.acked, since: since[i]!, unackedTrades: s.unackedTrades() })));
      const ackedInRound = sources.reduce((n, s) => n + s.acked, 0) - ackedBefore;
      perRound.push({ round, killAfterMs, ackedInRound, check });
      for (const e of check.examples) if (examples.length < 10) examples.push(`round ${round}: ${e}`);
      log(`round ${round}/${o.rounds}: killed after ${killAfterMs} ms (${Math.round(performance.now() - listening)} ms up), ${ackedInRound} events acknowledged; ` +
        `lost ${check.lost}, duplicated ${check.duplicated}, holes ${check.holes}, stored ahead of a hole ${check.storedAheadOfHole}`);
    }
    ackedBeforeKills = sources.reduce((n, s) => n + s.acked, 0);

    // The last round: no kill; every event sent is acknowledged, then a graceful stop.
    const engine = track(await startChildEngine(env));
    const target = sources.map((s) => s.generated);
    const deadline = performance.now() + o.finalTimeoutMs;
    await Promise.all(sources.map(async (s, i) => {
      await s.connect({ tcp: engine.tcpPort, grpc: engine.grpcPort });
      while (s.sentUpTo < target[i]!) {
        const n = Math.min(o.batch, target[i]! - s.sentUpTo);
        if (!s.sendNext(n)) await s.drained();
      }
      while (s.acked < target[i]! && performance.now() < deadline) {
        s.noteAck();
        await sleep(20);
      }
    }));
    const unfinished = sources.filter((s, i) => s.acked < target[i]!);
    if (unfinished.length > 0) log(`final round: ${unfinished.map((s) => `${s.sourceId} acked ${s.acked}`).join(', ')} within ${o.finalTimeoutMs} ms`);
    await Promise.all(sources.map((s) => s.disconnect()));
    const finalEngineExit = (await stopChild(engine, 60_000)).exitCode;
    const finalCheck = await checkEventLog(db, sources.map((s) => ({ sourceId: s.sourceId, acked: s.acked, since: 0, unackedTrades: new Map() })));
    // Every event sent, once: the count per source is the number generated.
    for (const [i, s] of sources.entries()) {
      const { rows } = await db.query<{ n: string; max: string | null }>('SELECT count(*) AS n, max(seq) AS max FROM event_log WHERE source_id = $1', [s.sourceId]);
      const n = Number(rows[0]!.n);
      if (n !== target[i]) {
        finalCheck.lost += Math.max(0, target[i]! - n);
        finalCheck.duplicated += Math.max(0, n - target[i]!);
        finalCheck.examples.push(`${s.sourceId}: ${n} events stored of ${target[i]} sent (max seq ${rows[0]!.max})`);
      }
    }
    const judged = await judgedUnlikeLabels(db, sources);
    for (const e of finalCheck.examples) if (examples.length < 20) examples.push(`final: ${e}`);
    const sum = (f: (c: LogCheck) => number) => perRound.reduce((n, x) => n + f(x.check), 0) + f(finalCheck);
    return {
      rounds: o.rounds, sources: o.sources, events: target.reduce((a, b) => a + b, 0), ackedBeforeKills,
      lost: sum((c) => c.lost), duplicated: sum((c) => c.duplicated), holes: sum((c) => c.holes),
      versionGaps: sum((c) => c.versionGaps), versionOrderInversions: sum((c) => c.versionOrderInversions),
      laterStoredEarlierMissing: sum((c) => c.laterStoredEarlierMissing), storedAheadOfHole: sum((c) => c.storedAheadOfHole),
      welcomeBelowAck: sources.reduce((n, s) => n + s.welcomeBelowAck, 0),
      ...judged, finalEngineExit, finalCheck, perRound, seconds: Math.round((performance.now() - started) / 100) / 10, examples,
    };
  } finally {
    await db.end();
  }
}

/** One source's part of a round: connect, resend from Welcome, then keep `ratePerSource` events/s flowing until the kill. */
async function stream(s: ChaosSource, engine: ChildEngine, o: KillRoundsOptions, dead: () => boolean, ratePerSource: number): Promise<void> {
  await s.connect({ tcp: engine.tcpPort, grpc: engine.grpcPort });
  const t0 = performance.now();
  let offered = 0;
  let open = true;
  void s.ended().then(() => (open = false));
  while (!dead() && open) {
    const due = ((performance.now() - t0) / 1000) * ratePerSource;
    while (offered + o.batch <= due && s.inFlight + o.batch <= o.window && open) {
      offered += o.batch;
      if (!s.sendNext(o.batch)) await s.drained();
    }
    await sleep(5);
  }
}

async function judgedUnlikeLabels(db: pg.Pool, sources: readonly ChaosSource[]): Promise<{ validRejected: number; invalidAccepted: number }> {
  let validRejected = 0;
  let invalidAccepted = 0;
  for (const s of sources) {
    const { rows } = await db.query<{ seq: string }>("SELECT seq FROM event_log WHERE source_id = $1 AND status = 'rejected'", [s.sourceId]);
    const rejected = new Set(rows.map((r) => Number(r.seq)));
    for (const seq of rejected) if (!s.invalidSeqs.has(seq)) validRejected++;
    for (const seq of s.invalidSeqs) if (!rejected.has(seq)) invalidAccepted++;
  }
  return { validRejected, invalidAccepted };
}
