import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { EmbeddedPostgres } from '../../engine/store/embedded-postgres.js';
import { freePort } from './embedded.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A PostgreSQL server URL (database postgres) that test files may create their own databases on. */
    pgAdminUrl: string;
    /** The prefix of this run's databases (createTestDatabase), dropped at the end of a run on a given server. */
    testDatabasePrefix: string;
  }
}

/**
 * One PostgreSQL server for the whole run: DATABASE_URL when set, otherwise an embedded PostgreSQL in a
 * temporary directory (so a fresh clone's `npm test` needs nothing installed).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const prefix = `swaprep_${randomBytes(3).toString('hex')}_`;
  project.provide('testDatabasePrefix', prefix);
  if (process.env.DATABASE_URL) {
    // A server that outlives the run (a developer's, the machine's): the run's databases must not pile up on it.
    const adminUrl = process.env.DATABASE_URL;
    project.provide('pgAdminUrl', adminUrl);
    return () => dropDatabases(adminUrl, prefix);
  }
  // The engine's own embedded server (a random password in a 0600 file, loopback only; as root it runs as an
  // unprivileged user, from a copy of the binaries when the clone is where that user cannot reach them).
  const dir = mkdtempSync(join(tmpdir(), 'swaprep-test-pg-'));
  chmodSync(dir, 0o755); // that user enters it; its data/ is the server's (0700) and the password file root's (0600)
  const server = await EmbeddedPostgres.open({ dataDir: join(dir, 'data'), port: await freePort() });
  project.provide('pgAdminUrl', server.url('postgres'));
  return async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}

async function dropDatabases(adminUrl: string, prefix: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE starts_with(datname, $1)`, [prefix]);
    // FORCE: an engine a failed test left running must not keep its database (and its disk).
    for (const r of rows) await admin.query(`DROP DATABASE IF EXISTS "${r.datname}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
