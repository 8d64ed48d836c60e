import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import type { TestProject } from 'vitest/node';
import { importEmbeddedPostgres } from '../../engine/store/database.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A PostgreSQL server URL (database postgres) that test files may create their own databases on. */
    pgAdminUrl: string;
  }
}

/**
 * One PostgreSQL server for the whole run: DATABASE_URL when set, otherwise an embedded PostgreSQL in a
 * temporary directory (so a fresh clone's `npm test` needs nothing installed).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.DATABASE_URL) {
    project.provide('pgAdminUrl', process.env.DATABASE_URL);
    return async () => {};
  }
  // Loaded through the engine's helper: the package's own exit hooks would turn a failed run's exit code into 0.
  const EmbeddedPostgres = await importEmbeddedPostgres();
  const dir = mkdtempSync(join(tmpdir(), 'swaprep-test-pg-'));
  // With createPostgresUser the server runs as an unprivileged user, who must be able to enter the directory.
  chmodSync(dir, 0o755);
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    user: 'postgres',
    password: 'test',
    port,
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
  });
  await server.initialise();
  await server.start();
  project.provide('pgAdminUrl', `postgres://postgres:test@127.0.0.1:${port}/postgres`);
  return async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
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
