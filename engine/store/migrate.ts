import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { projectRoot } from '../project-root.js';
import { log } from '../log.js';

const migrationsDir = () => join(projectRoot(), 'engine', 'store', 'migrations');

/**
 * Applies every `NNN_name.sql` in engine/store/migrations that is not yet recorded in
 * `schema_migrations`, each in its own transaction, in file-name order. An advisory lock makes two
 * engines starting at once on one database take turns instead of racing.
 */
export async function migrate(client: pg.ClientBase): Promise<string[]> {
  const applied: string[] = [];
  await client.query('SELECT pg_advisory_lock(7400)');
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    const files = readdirSync(migrationsDir()).filter((f) => /^\d+_.+\.sql$/.test(f)).sort();
    for (const file of files) {
      const version = Number.parseInt(file, 10);
      if (done.has(version)) continue;
      const sql = readFileSync(join(migrationsDir(), file), 'utf8');
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [version, file]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${file} failed: ${(err as Error).message}`);
      }
      applied.push(file);
      log('info', `applied migration ${file}`);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock(7400)');
  }
  return applied;
}
