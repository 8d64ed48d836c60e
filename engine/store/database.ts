import pg from 'pg';
import { log } from '../log.js';
import { migrate } from './migrate.js';
import { EmbeddedPostgres } from './embedded-postgres.js';
import { connectionConfig, loadPostgresSettings, type PostgresSettings, type StatementKind } from './postgres-settings.js';

export type { StatementKind } from './postgres-settings.js';

export interface DatabaseHandle {
  /** Connection string of the database the engine uses. */
  url: string;
  /** Stops the embedded server, if this handle started one. */
  close(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  /** SWAPREP_EMBEDDED_PG_START_TIMEOUT_MS */
  startTimeoutMs?: number;
  /** See EmbeddedPostgresOptions.detached: true for the engine (which catches Ctrl-C), false (default) for a command. */
  detached?: boolean;
}

/**
 * Uses DATABASE_URL when given; otherwise starts (and on first use initialises) an embedded real PostgreSQL under
 * `dataDir` (engine/store/embedded-postgres.ts), so that `npm start` works on a machine with nothing installed.
 */
export async function openDatabase(url: string | undefined, embedded: EmbeddedOptions): Promise<DatabaseHandle> {
  if (url) return { url, close: async () => {} };
  const server = await EmbeddedPostgres.open(embedded);
  return { url: server.url(), close: () => server.stop() };
}

/**
 * A pool whose connections carry the timeouts and keepalive of `kind` (engine/store/postgres-settings.ts). `long`
 * by default: a pool made without saying what it runs must not cut a legitimate long statement short. Settings
 * not passed are read from the environment (SWAPREP_PG_*), as a thread or a one-shot command has no other.
 */
export function createPool(url: string, max = 8, kind: StatementKind = 'long', settings: PostgresSettings = loadPostgresSettings()): pg.Pool {
  // The event log's COPYs write its heap pages from the backend (a bulk-write ring), and by default they wait in the
  // kernel's page cache until its flusher writes everything over 30 s old at once: at 20,000 events/s a burst of
  // about 550 MB in 0.3 s, behind which every COMMIT's WAL flush waited 150 to 210 ms. Asking for writeback every
  // 256 kB written (PostgreSQL's own default for the checkpointer) spreads those writes out. Any role may set it; it
  // travels in the connection's startup options (an `options` parameter in DATABASE_URL takes its place).
  const pool = new pg.Pool({
    ...connectionConfig(url, kind, settings),
    max,
    idleTimeoutMillis: settings.idleTimeoutMs,
    options: '-c backend_flush_after=256kB',
  });
  // An idle client that loses its connection (a PostgreSQL restart) must not crash the process; the next query reconnects.
  pool.on('error', (err) => log('warn', 'postgres pool: ' + err.message));
  // Nor one that is checked out but between queries (a group commit waiting for the group before it to commit, a
  // transaction between statements): the pool listens only to idle clients, and an 'error' nobody listens to ends the
  // process. Its next query fails instead, and whoever holds it releases it with that error (the pool discards it).
  pool.on('connect', (client) => client.on('error', (err) => log('warn', 'postgres connection in use: ' + err.message)));
  return pool;
}

/**
 * Applies the migrations over a connection of its own with the long statements' timeouts (a migration may rewrite a
 * big table, or wait for another engine's migrations), then runs `also` on it (seeding), and closes it.
 */
export async function migrateDatabase(url: string, settings: PostgresSettings, also?: (client: pg.ClientBase) => Promise<void>): Promise<void> {
  const client = new pg.Client(connectionConfig(url, 'long', settings, 'swaprep migrate'));
  client.on('error', (err) => log('warn', 'postgres (migrations): ' + err.message));
  await client.connect();
  try {
    await migrate(client);
    await also?.(client);
  } finally {
    await client.end();
  }
}

/**
 * For one-shot commands (`source add`, `report`, `reconcile`, `train`): opens the configured database
 * (or the embedded one, using it as it is if the engine is running on it), applies the migrations, runs `work`
 * with a small pool, and closes everything.
 */
export async function withMigratedDatabase<T>(
  config: { databaseUrl: string | undefined; dataDir: string; embeddedPgPort: number; postgres?: PostgresSettings },
  work: (pool: pg.Pool, url: string) => Promise<T>,
): Promise<T> {
  const settings = config.postgres ?? loadPostgresSettings();
  const database = await openDatabase(config.databaseUrl, { dataDir: config.dataDir, port: config.embeddedPgPort, startTimeoutMs: settings.embeddedStartTimeoutMs });
  try {
    await migrateDatabase(database.url, settings);
    const pool = createPool(database.url, 2, 'long', settings);
    try {
      return await work(pool, database.url);
    } finally {
      await pool.end();
    }
  } finally {
    await database.close();
  }
}
