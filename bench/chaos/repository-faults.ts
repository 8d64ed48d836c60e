/**
 * The repository failing under the submission path: the engine (a child process, SWAPREP_SUBMISSION=on) submits
 * to sdr-sim (its own process) over the HTTPS channel on loopback, and before each wave of events sdr-sim is told
 * to meet the next batch with one fault: a timeout (processed, never answered), a 5xx (not processed), a dropped
 * connection (processed, no answer) or a double answer. Each wave must settle with one answer per submission (ACK
 * or NACK, none failed), the retried batches sent again under their batch id, and the repository holding each
 * submission once (sdr-sim answers a resent submission id from memory and lists it once on its trade).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startChildEngine } from '../../loadtest/engine-process.js';
import { stopChild, track } from './children.js';
import { startChildSdrSim } from '../../loadtest/sdr-sim/child.js';
import { FAULT_MODES, type FaultMode } from '../../loadtest/sdr-sim/faults.js';
import { ChaosSource } from './chaos-source.js';
import { settleAll, sleep } from './streaming.js';

export interface RepositoryFaultsOptions {
  databaseUrl: string;
  seed: number;
  /** Events per fault (one wave each). */
  eventsPerFault: number;
  /** The channel's response timeout (the timeout fault costs this much per try). */
  timeoutMs: number;
  settleTimeoutMs: number;
  env?: Record<string, string>;
  log?: (m: string) => void;
}

export interface FaultFigures {
  mode: FaultMode;
  injected: number;
  events: number;
  submissions: number;
  acked: number;
  nacked: number;
  failed: number;
  unsettled: number;
  /** Submissions whose batch went more than once. */
  retried: number;
  settledInMs: number;
}

export interface RepositoryFaultsResult {
  faults: FaultFigures[];
  submissions: number;
  /** Submission ids the repository lists more than once, and submissions it answered more than once to the engine's state. */
  storedTwiceAtRepository: number;
  duplicateAnswersKept: number;
  failed: number;
  unsettled: number;
  seconds: number;
}

interface Counts {
  submissions: number;
  acked: number;
  nacked: number;
  failed: number;
  retried: number;
}

export async function runRepositoryFaults(o: RepositoryFaultsOptions): Promise<RepositoryFaultsResult> {
  const started = performance.now();
  const log = o.log ?? (() => {});
  const sim = track(await startChildSdrSim({ extraArgs: ['--no-sftp'] }));
  const dir = mkdtempSync(join(tmpdir(), 'swaprep-chaos-repo-'));
  const db = new pg.Pool({ connectionString: o.databaseUrl, max: 2 });
  try {
    // Short timeouts and retries, so that a fault costs seconds, not the production minutes.
    const config = join(dir, 'submission.json');
    writeFileSync(config, JSON.stringify({
      repositories: [{ name: 'sim', format: 'json', concurrency: 1, channel: { kind: 'https', url: sim.baseUrl, timeoutMs: o.timeoutMs } }],
      intake: { idleMs: 20, lingerMs: 20 },
      dispatcher: { pollIntervalMs: 100, idleMs: 20, responseTimeoutMs: o.timeoutMs * 5, leaseMs: o.timeoutMs * 10, retry: { baseMs: 50, maxMs: 300, maxAttempts: 10 } },
    }));
    const source = new ChaosSource('repo1', 'repo-token-1', 'tcp', o.seed * 13, 0);
    const engine = track(await startChildEngine({
      DATABASE_URL: o.databaseUrl, SWAPREP_SOURCES: `${source.sourceId}=${source.token}`, SWAPREP_SUBMISSION: 'on', SWAPREP_CONFIG: config,
      SWAPREP_SCORING: 'off', SWAPREP_CONSOLE: 'off', SWAPREP_DATA_DIR: dir, ...o.env,
    }));
    const ports = () => ({ tcp: engine.tcpPort, grpc: engine.grpcPort });
    const faults: FaultFigures[] = [];
    try {
      for (const mode of FAULT_MODES) {
        const from = source.generated + 1;
        const before = (await sim.stats()).faults[mode] ?? 0;
        await sim.fault(mode, 1, 'http');
        const t0 = performance.now();
        // The wave: its events, all acknowledged (so each is in the event log for the intake).
        source.generateTo(source.generated + o.eventsPerFault);
        if (!(await settleAll(source, ports, 100, performance.now() + o.settleTimeoutMs))) throw new Error(`wave ${mode}: its events were not acknowledged`);
        const to = source.generated;
        const counts = await settleWave(db, source.sourceId, from, to, performance.now() + o.settleTimeoutMs);
        const injected = ((await sim.stats()).faults[mode] ?? 0) - before;
        const f: FaultFigures = {
          mode, injected, events: to - from + 1, ...counts, unsettled: counts.submissions - counts.acked - counts.nacked - counts.failed,
          settledInMs: Math.round(performance.now() - t0),
        };
        faults.push(f);
        log(`repository ${mode}: injected ${injected}, ${f.submissions} submissions: ${f.acked} ACK, ${f.nacked} NACK, ${f.failed} failed, ${f.unsettled} unsettled, ${f.retried} retried, in ${f.settledInMs} ms`);
        await sim.fault('none');
      }
      const state = await sim.state();
      let storedTwiceAtRepository = 0;
      for (const t of state.trades) storedTwiceAtRepository += t.submissionIds.length - new Set(t.submissionIds).size;
      const dup = await db.query<{ n: string | null }>('SELECT sum(duplicates) AS n FROM submission_response');
      return {
        faults, submissions: faults.reduce((n, f) => n + f.submissions, 0), storedTwiceAtRepository,
        duplicateAnswersKept: Number(dup.rows[0]?.n ?? 0), failed: faults.reduce((n, f) => n + f.failed, 0),
        unsettled: faults.reduce((n, f) => n + f.unsettled, 0), seconds: Math.round((performance.now() - started) / 100) / 10,
      };
    } finally {
      await stopChild(engine, 30_000);
    }
  } finally {
    await db.end();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Waits until the wave's submissions exist and every one is answered or failed, and stays so for a moment. */
async function settleWave(db: pg.Pool, sourceId: string, from: number, to: number, deadline: number): Promise<Counts> {
  let last: Counts | undefined;
  let stableSince = performance.now();
  for (;;) {
    const { rows } = await db.query<{ n: string; acked: string; nacked: string; failed: string; retried: string }>(
      `SELECT count(*) AS n, count(*) FILTER (WHERE status = 'acked') AS acked, count(*) FILTER (WHERE status = 'nacked') AS nacked,
              count(*) FILTER (WHERE status = 'failed') AS failed, count(*) FILTER (WHERE attempts > 1) AS retried
         FROM submission_state WHERE source_id = $1 AND seq BETWEEN $2 AND $3`, [sourceId, from, to]);
    const r = rows[0]!;
    const c: Counts = { submissions: Number(r.n), acked: Number(r.acked), nacked: Number(r.nacked), failed: Number(r.failed), retried: Number(r.retried) };
    const settled = c.submissions > 0 && c.acked + c.nacked + c.failed === c.submissions;
    if (!last || last.submissions !== c.submissions || last.acked !== c.acked || last.nacked !== c.nacked) stableSince = performance.now();
    last = c;
    if (settled && performance.now() - stableSince > 500) return c;
    if (performance.now() > deadline) return c;
    await sleep(100);
  }
}
