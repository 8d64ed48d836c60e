import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase, createPool, migrateDatabase } from './store/database.js';
import { advanceDurableSeqsSql, parseSourcesSpec, upsertSource } from './store/sources.js';
import { GroupCommitWriter } from './store/group-commit.js';
import { WriterLock } from './store/writer-lock.js';
import { IngestHub } from './ingest/ingest-hub.js';
import { listenTcp } from './ingest/tcp-listener.js';
import { listenGrpc } from './ingest/grpc-listener.js';
import { listenHttp } from './http/http-server.js';
import { staticRoutes } from '../ui/server/static.js';
import { createMetrics } from './metrics.js';
import { openDeadLetterCounts } from './store/dead-letters.js';
import { createJudge } from './judge.js';
import { ValidationPool } from './validation/pool.js';
import { projectRoot } from './project-root.js';
import { startActorSystem, stopActorSystem } from '../actors/system.js';
import { Router } from '../actors/router.js';
import { TradeLoader } from '../actors/trade-loader.js';
import { ScoringService } from '../gpu-pool/scoring-service.js';
import { startConsole } from '../ui/server/console.js';
import { startServeSubmission, type ServeSubmission } from './submission/serve.js';
import { FOLLOWER_STALLED_MS } from './submission/path.js';
import type { EngineConfig } from './config.js';
import { log } from './log.js';

export interface RunningEngine {
  tcpPort: number;
  grpcPort: number;
  httpPort: number;
  databaseUrl: string;
  /** Reports, submission, exceptions and corrections, alerts (undefined when SWAPREP_SUBMISSION=off). */
  submission: ServeSubmission | undefined;
  /** Stops accepting, makes everything admitted durable and acknowledged, closes connections and the database. */
  stop(): Promise<void>;
}

export function engineVersion(): string {
  return (JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/** The composition root: wires store, actors and ingest together and starts the listeners. */
export async function startEngine(config: EngineConfig): Promise<RunningEngine> {
  // detached: Ctrl-C reaches the engine only; its graceful stop commits what it received, then stops the server.
  const database = await openDatabase(config.databaseUrl, { dataDir: config.dataDir, port: config.embeddedPgPort, startTimeoutMs: config.postgres.embeddedStartTimeoutMs, detached: true });
  // One writer per database, taken before anything is touched: a second engine would acknowledge events that its
  // commits then lose to the first one's (a trade version stored twice), so it refuses to start and names the holder.
  const writerLock = await WriterLock.acquire(database.url, config.postgres).catch(async (err: unknown) => {
    await database.close();
    throw err;
  });
  // Each pool's statement timeout fits what it runs (engine/store/postgres-settings.ts): short on the ingest path,
  // a group's COPY and COMMIT on the commit pool; migrations get a connection of their own with the long one.
  const pool = createPool(database.url, 4, 'short', config.postgres);
  // Group commits get connections of their own: queued behind actors loading their trades (a burst of
  // new or reactivated counterparties) or other queries, a COMMIT, and every ack behind it, would wait.
  const commitPool = createPool(database.url, config.groupCommit.maxInFlight, 'commit', config.postgres);
  await migrateDatabase(database.url, config.postgres, async (client) => {
    for (const s of config.seedSources ? parseSourcesSpec(config.seedSources) : []) await upsertSource(client, s.sourceId, s.token);
  });

  const scoring = config.scoring.enabled ? await startScoring(config, database.url) : undefined;
  const scoringStats = scoring ? () => scoring.stats() : undefined;
  const metrics = createMetrics(scoringStats, () => openDeadLetterCounts(pool));
  const system = startActorSystem();
  // The hub and the writer refer to each other through these callbacks (durable → ack, route → actors).
  let hub: IngestHub | undefined;
  let submission: ServeSubmission | undefined;
  const writer = new GroupCommitWriter(commitPool, config.groupCommit, (group) => {
    for (const e of group) router.settled(e.counterparty1);
    hub!.durable(group);
    submission?.durable(group);
    // Rejected events are not scored: they never made a trade version.
    if (scoring && !scoring.submit(group.filter((e) => e.status !== 'rejected'), hub!.durableWatermarks(group))) hub!.hold('scoring', true);
  }, metrics, (client) => {
    const w = hub!.takeWatermarks();
    return writerLock.fenceSql() + advanceDurableSeqsSql(client, w.sourceIds, w.seqs);
  }, (failing) => hub?.hold('store', failing));
  const rulebook = { regime: config.regime, leiCheck: config.leiCheck };
  const router = new Router(system, { trades: new TradeLoader(pool), judge: createJudge(rulebook), emit: (events) => writer.write(events) }, metrics, config.passivateAfterMs);
  // Reports are decoded and checked on validation threads on their way to the actors (the main thread does it when there are none).
  const validation = config.validationThreads > 0 ? await ValidationPool.start(rulebook, config.validationThreads, (events) => router.route(events), metrics) : undefined;
  hub = new IngestHub(pool, validation ? (events) => validation.submit(events) : (events) => router.route(events), { maxInflightEvents: config.maxInflightEvents, connections: config.ingestLimits }, metrics, engineVersion());
  scoring?.onDrain(() => hub!.hold('scoring', false));
  // After durability, from event_log: reports -> repositories, exceptions, corrections (as source `console`), alerts.
  if (config.submission.enabled) submission = await startServeSubmission(database.url, hub, writer, config.submission.path, scoringStats, metrics.registry);

  // The analyst console (ui/server/): API and WebSocket on its own small pool, the trade projection on its own thread, off the ack path.
  const consolePool = createPool(database.url, 6, 'short', config.postgres);
  const ui = config.console.enabled
    ? await startConsole({ pool: consolePool, databaseUrl: database.url, config: config.console, dataDir: config.dataDir, metrics, enginePool: pool, sources: () => hub!.sourceStates(), regime: config.regime, leiCheck: config.leiCheck,
        // Corrections and alerts come from the submission path when it runs; an approved correction enters as source `console`.
        corrections: submission?.corrections, alerts: submission?.alerts,
        sendCorrection: submission ? async (a) => { await submission!.sendCorrection(a); } : undefined })
    : undefined;
  // The password itself never goes to the log: only where to read it.
  if (ui?.adminPasswordFile) log('warn', `console: created user "admin"; its one-time password is in ${ui.adminPasswordFile} (readable by this user only), to be changed at first login (SWAPREP_ADMIN_PASSWORD sets one instead)`);

  const tcp = await listenTcp(hub, { host: config.host, port: config.tcpPort, maxFrameBytes: config.maxFrameBytes, tls: config.tls, limits: config.ingestLimits });
  const grpc = await listenGrpc(hub, { host: config.host, port: config.grpcPort, maxFrameBytes: config.maxFrameBytes, tls: config.tls, limits: config.ingestLimits });
  const http = await listenHttp(config.host, config.httpPort, {
    metrics, tls: config.http.tls, hstsMaxAgeS: config.http.hstsMaxAgeS, metricsToken: config.http.metricsToken,
    // The console's API and WebSocket, then its bundle and index.html for deep links (static last).
    routes: ui ? [ui.routes, staticRoutes()] : [],
    health: async () => {
      try {
        await pool.query('SELECT 1');
        // A stuck follower of the event log is not healthy, though the database answers: events wait for it.
        const delivery = submission?.describe();
        const projection = ui?.projection();
        const projectionStalled = projection !== undefined && projection.stalledForMs > FOLLOWER_STALLED_MS;
        return {
          ok: delivery?.stalled === undefined && !projectionStalled && writer.blockedBy === undefined && writerLock.held,
          detail: {
            database: 'up',
            ...(writerLock.held ? {} : { writerLock: 'lost: waiting to take it back, nothing is acknowledged meanwhile' }),
            ...(writer.blockedBy ? { store: `group commits refused: ${writer.blockedBy}` } : {}),
            connections: hub!.connectionCount, submission: delivery ?? 'off', scoring: describeScoring(scoring),
            projection: projection ? { lagEvents: projection.lagEvents, ...(projectionStalled ? { stalled: `no event projected for ${Math.round(projection.stalledForMs / 1000)} s` } : {}) } : 'off',
          },
        };
      } catch (err) {
        return { ok: false, detail: { database: (err as Error).message } };
      }
    },
  });

  let stopping: Promise<void> | undefined;
  return {
    tcpPort: tcp.port,
    grpcPort: grpc.port,
    httpPort: http.port,
    databaseUrl: database.url,
    submission,
    stop: () =>
      (stopping ??= (async () => {
        log('info', 'stopping: no new connections, flushing what was received');
        await hub!.quiesce();
        await writer.stop();
        await validation?.stop();
        await submission?.stop();
        await scoring?.stop();
        hub!.closeAll();
        await Promise.all([tcp.close(), grpc.close()]);
        http.close();
        await ui?.stop();
        await consolePool.end();
        router.stop();
        stopActorSystem(system);
        await pool.end();
        await commitPool.end();
        await writerLock.release();
        await database.close();
        log('info', 'stopped');
      })()),
  };
}

/** Scoring runs after durability on its own thread; an engine without it still ingests and acknowledges. */
async function startScoring(config: EngineConfig, databaseUrl: string): Promise<ScoringService | undefined> {
  try {
    return await ScoringService.start({
      databaseUrl, workers: config.scoring.workers, providers: config.scoring.providers,
      maxBatch: config.scoring.maxBatch, maxWaitMs: config.scoring.maxWaitMs, retrainEveryMs: config.scoring.retrainEveryMs,
    });
  } catch (err) {
    log('error', `anomaly scoring did not start, running without it: ${(err as Error).message}`);
    return undefined;
  }
}

/** What /healthz says of scoring: off, waiting for its first model version, or the version scoring now. */
function describeScoring(scoring: ScoringService | undefined): string {
  if (!scoring) return 'off';
  const s = scoring.stats();
  const version = scoring.activeVersion;
  return version === undefined
    ? `no model version yet (a bootstrap version is trained when there is none); ${s.notScored} events stored as not scored, to be rescored`
    : `model version ${version}; ${s.queued} events queued`;
}
