/**
 * PostgreSQL restarted under load: the engine (a child process) ingests from a few streaming sources into a server
 * the suite owns; the server is stopped (a fast shutdown: every connection cut), kept down a while, and started
 * again, while the sources keep sending. The engine must hold its acknowledgements while the database is down,
 * retry its commits, and go on; its sources reconnect where it refused them. If the engine exits instead, it is
 * started again (as its supervisor would) and that is counted. At the end every event sent must be acknowledged and
 * stored once, with no version hole (event-log-checks.ts).
 */
import pg from 'pg';
import { startChildEngine, type ChildEngine } from '../../loadtest/engine-process.js';
import { stopChild, track } from './children.js';
import { ChaosSource } from './chaos-source.js';
import { checkEventLog, type LogCheck } from './event-log-checks.js';
import { startRestartablePostgres } from './restartable-postgres.js';
import { settleAll, sleep, streamThroughFailures, type StreamStats } from './streaming.js';

export interface PostgresRestartOptions {
  seed: number;
  restarts: number;
  sources: number;
  rate: number;
  batch: number;
  window: number;
  /** Streaming before the first stop, and between a start and the next stop. */
  upMs: number;
  /** How long the server stays down each time. */
  downMs: number;
  settleTimeoutMs: number;
  env?: Record<string, string>;
  log?: (m: string) => void;
}

export interface PostgresRestartResult {
  restarts: number;
  downMs: number;
  events: number;
  acked: number;
  allAcknowledged: boolean;
  lost: number;
  duplicated: number;
  holes: number;
  /** Exits of the engine that nobody asked for (each followed by a start, as a supervisor would), and its last log lines each time. */
  engineExits: number;
  engineExitReasons: string[];
  /** From each start of the server to the next Ack of any source, ms. */
  ackResumedAfterMs: number[];
  connections: number;
  refusedConnections: number;
  finalEngineExit: number | null;
  check: LogCheck;
  seconds: number;
}

export async function runPostgresRestart(o: PostgresRestartOptions): Promise<PostgresRestartResult> {
  const started = performance.now();
  const log = o.log ?? (() => {});
  const server = await startRestartablePostgres();
  try {
    const url = await server.createDatabase('chaos_restart');
    const sources = Array.from({ length: o.sources }, (_, i) => new ChaosSource(`pgr${i + 1}`, `pgr-token-${i + 1}`, i === 0 && o.sources > 1 ? 'grpc' : 'tcp', o.seed * 17 + i, 0.01));
    const env = {
      DATABASE_URL: url, SWAPREP_SOURCES: sources.map((s) => `${s.sourceId}=${s.token}`).join(','),
      SWAPREP_SCORING: 'off', SWAPREP_SUBMISSION: 'off', SWAPREP_CONSOLE: 'off', ...o.env,
    };
    const exitReasons: string[] = [];
    // The last lines the engine wrote before it exited: why, when it exits on its own.
    const withTail = (e: ChildEngine): ChildEngine => {
      let tail = '';
      e.process.stderr?.on('data', (c: Buffer) => (tail = (tail + c.toString()).slice(-4000)));
      void e.exited.then(() => {
        if (!stopping) exitReasons.push(tail.trim().split('\n').slice(-30).join('\n'));
      });
      return e;
    };
    let stopping = false;
    let engine: ChildEngine = withTail(track(await startChildEngine(env)));
    let engineExits = 0;
    // A supervisor: an engine that exits on its own is counted and started again once the database answers.
    const supervise = async (): Promise<void> => {
      while (!stopping) {
        const current = engine;
        await current.exited;
        if (stopping) return;
        engineExits++;
        log(`the engine exited (${current.process.exitCode ?? current.process.signalCode}) with PostgreSQL restarting: starting it again`);
        for (;;) {
          try {
            engine = withTail(track(await startChildEngine(env)));
            break;
          } catch {
            await sleep(500);
          }
        }
      }
    };
    const supervisor = supervise();
    const ports = () => ({ tcp: engine.tcpPort, grpc: engine.grpcPort });
    let done = false;
    const streams: Promise<StreamStats>[] = sources.map((s) => streamThroughFailures(s, ports, { rate: o.rate / o.sources, batch: o.batch, window: o.window }, () => done));
    const ackResumedAfterMs: number[] = [];
    const totalAcked = () => sources.reduce((n, s) => {
      s.noteAck();
      return n + s.acked;
    }, 0);
    for (let i = 0; i < o.restarts; i++) {
      await sleep(o.upMs);
      await server.stop();
      log(`PostgreSQL stopped (${i + 1}/${o.restarts}) with ${totalAcked()} events acknowledged`);
      await sleep(o.downMs);
      const before = totalAcked();
      await server.start();
      const upAt = performance.now();
      log('PostgreSQL started again');
      while (totalAcked() === before && performance.now() - upAt < 30_000) await sleep(10);
      ackResumedAfterMs.push(Math.round(performance.now() - upAt));
    }
    await sleep(o.upMs);
    done = true;
    const stats = await Promise.all(streams);
    const deadline = performance.now() + o.settleTimeoutMs;
    const settled = await Promise.all(sources.map((s) => settleAll(s, ports, o.batch, deadline)));
    stopping = true;
    const finalEngineExit = (await stopChild(engine, 60_000)).exitCode;
    await supervisor;
    const db = new pg.Pool({ connectionString: url, max: 2 });
    try {
      const check = await checkEventLog(db, sources.map((s) => ({ sourceId: s.sourceId, acked: s.acked, since: 0, unackedTrades: new Map() })));
      for (const s of sources) {
        const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM event_log WHERE source_id = $1', [s.sourceId]);
        const n = Number(rows[0]!.n);
        if (n > s.generated) check.duplicated += n - s.generated;
      }
      return {
        restarts: o.restarts, downMs: o.downMs, events: sources.reduce((n, s) => n + s.generated, 0), acked: totalAcked(),
        allAcknowledged: settled.every(Boolean), lost: check.lost, duplicated: check.duplicated, holes: check.holes, engineExits,
        engineExitReasons: exitReasons, ackResumedAfterMs, connections: stats.reduce((n, s) => n + s.connections, 0), refusedConnections: stats.reduce((n, s) => n + s.refused, 0),
        finalEngineExit, check, seconds: Math.round((performance.now() - started) / 100) / 10,
      };
    } finally {
      await db.end();
    }
  } finally {
    await server.destroy();
  }
}
