/**
 * A PostgreSQL server the failure suite owns, so that it can stop and start it under load: the engine's own embedded
 * server (engine/store/embedded-postgres.ts: random password, loopback only, runs from a 0700 clone as root) in a
 * temporary directory, on a free loopback port, its data kept across restarts.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { EmbeddedPostgres } from '../../engine/store/embedded-postgres.js';
import { freePort } from '../../loadtest/free-port.js';

/** The server did not start or stop as asked. */
export class RestartablePostgresError extends Error {
  readonly code = 'CHAOS_POSTGRES';
  override name = 'RestartablePostgresError';
}

export interface RestartablePostgres {
  port: number;
  /** The URL of a database on it. */
  url(database: string): string;
  createDatabase(name: string): Promise<string>;
  /** A fast shutdown (SIGINT): every connection is cut, as in a restart by an operator or a failover. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server for good and removes its files. */
  destroy(): Promise<void>;
}

export async function startRestartablePostgres(): Promise<RestartablePostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'swaprep-chaos-pg-'));
  // As root the server runs as an unprivileged user, who must be able to enter the directory.
  chmodSync(dir, 0o755);
  let server: EmbeddedPostgres;
  try {
    server = await EmbeddedPostgres.open({ dataDir: join(dir, 'data'), port: await freePort() });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new RestartablePostgresError(`the embedded PostgreSQL did not start: ${(err as Error).message}`);
  }
  const url = (database: string) => server.url(database);
  return {
    port: server.port,
    url,
    createDatabase: async (name) => {
      const admin = new pg.Client({ connectionString: url('postgres') });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      } finally {
        await admin.end();
      }
      return url(name);
    },
    stop: () => server.stop(),
    start: async () => {
      try {
        await server.start();
      } catch (err) {
        throw new RestartablePostgresError(`the embedded PostgreSQL did not start again: ${(err as Error).message}`);
      }
    },
    destroy: async () => {
      await server.stop().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
