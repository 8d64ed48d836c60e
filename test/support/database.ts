import { inject } from 'vitest';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { migrate } from '../../engine/store/migrate.js';

/** Creates a fresh, empty database for one test file on the run's PostgreSQL server and returns its URL (dropped when the run ends). */
export async function createTestDatabase(prefix = 't'): Promise<string> {
  const adminUrl = inject('pgAdminUrl');
  const name = `${inject('testDatabasePrefix')}${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = '/' + name;
  return url.toString();
}

/** A fresh database (as createTestDatabase) with the engine's migrations applied; returns its URL. */
export async function migratedTestDatabase(prefix = 't'): Promise<string> {
  const url = await createTestDatabase(prefix);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await migrate(client);
  } finally {
    await client.end();
  }
  return url;
}
