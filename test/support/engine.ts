import { mkdtempSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import pg from 'pg';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type EngineConfig } from '../../engine/config.js';
import { startEngine, type RunningEngine } from '../../engine/main.js';
import type { SubmissionPathConfig } from '../../engine/submission/path.js';
import { createTestDatabase } from './database.js';

export const TEST_SOURCES = { fep1: 'token-one', fep2: 'token-two' } as const;

/** Starts an in-process engine on a fresh database with OS-chosen ports and two seeded sources. */
export async function startTestEngine(overrides: Partial<EngineConfig> = {}): Promise<RunningEngine> {
  const databaseUrl = await createTestDatabase();
  const config: EngineConfig = {
    ...loadConfig({}),
    host: '127.0.0.1',
    tcpPort: 0,
    grpcPort: 0,
    httpPort: 0,
    databaseUrl,
    dataDir: mkdtempSync(join(tmpdir(), 'swaprep-test-')),
    seedSources: Object.entries(TEST_SOURCES).map(([id, token]) => `${id}=${token}`).join(','),
    // Protocol and store tests do not need the scoring thread (its own tests start it).
    scoring: { ...loadConfig({}).scoring, enabled: false },
    // Nor the submission path (tests that want it pass `submission`, e.g. from submissionSettings below).
    submission: { ...loadConfig({}).submission, enabled: false },
    ...overrides,
  };
  return startEngine(config);
}

/**
 * Submission settings for a test engine, as `serve` reads them: SWAPREP_SDR / SWAPREP_CONFIG-style entries
 * over the defaults, with short intervals so tests do not wait for production poll periods.
 */
export function submissionSettings(env: Record<string, string>, path: Partial<SubmissionPathConfig> = {}): EngineConfig['submission'] {
  const base = loadConfig(env).submission;
  return {
    enabled: true,
    path: {
      ...base.path,
      intake: { batchSize: 1_000, idleMs: 20, lingerMs: 10 },
      dispatcher: { ...base.path.dispatcher, leaseMs: 10_000, responseTimeoutMs: 5_000, pollIntervalMs: 100, idleMs: 20, retry: { baseMs: 50, maxMs: 200, maxAttempts: 6 } },
      reportsDir: mkdtempSync(join(tmpdir(), 'swaprep-reports-')),
      schedule: [],
      ...path,
    },
  };
}

/**
 * Starts a test engine for the enclosing test file (beforeAll/afterAll) with a pool on its database,
 * and counts a source's stored events.
 */
export function useTestEngine(overrides: Partial<EngineConfig> = {}) {
  const ctx = {} as { engine: RunningEngine; db: pg.Pool };
  beforeAll(async () => {
    ctx.engine = await startTestEngine(overrides);
    ctx.db = new pg.Pool({ connectionString: ctx.engine.databaseUrl, max: 2 });
  });
  afterAll(async () => {
    await ctx.db?.end();
    await ctx.engine?.stop();
  });
  return {
    get engine() {
      return ctx.engine;
    },
    get db() {
      return ctx.db;
    },
    async storedCount(sourceId: string): Promise<number> {
      const { rows } = await ctx.db.query<{ n: string }>('SELECT count(*) AS n FROM event_log WHERE source_id = $1', [sourceId]);
      return Number(rows[0]!.n);
    },
  };
}

/** The value of one Prometheus sample on the engine's /metrics (the first series of `name`), NaN when absent. */
export async function metricValue(engine: RunningEngine, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${engine.httpPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name + ' ') || l.startsWith(name + '{'));
  return line ? Number(line.split(' ').pop()) : NaN;
}
