import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type DatabaseHandle } from '../../engine/store/database.js';

/**
 * The PostgreSQL server benchmarks run against: DATABASE_URL when set, else the local server at
 * 127.0.0.1:5432 when one answers, else an embedded one (the engine's own: `npm start`'s server, PostgreSQL 18
 * with stock settings). BENCH_POSTGRES=embedded chooses the embedded one in any case. Each run gets a fresh
 * database on it.
 */
export interface BenchPostgres {
  adminUrl: string;
  kind: string;
  /** Creates an empty database on the server and returns its URL; close() drops it (BENCH_KEEP_DATABASES=1 keeps it). */
  freshDatabase(): Promise<string>;
  /**
   * Runs `fn` on a fresh database and drops it afterwards (a run that stores millions of events would
   * otherwise leave gigabytes behind); BENCH_KEEP_DATABASES=1 keeps it for inspection.
   */
  withFreshDatabase<T>(fn: (url: string) => Promise<T>): Promise<T>;
  /**
   * Drops a database freshDatabase made, once its phase is over (BENCH_KEEP_DATABASES=1 keeps it). Left in place, a
   * phase's gigabytes of table pages still wait in the kernel's page cache, and their writeback lands in the next
   * phase (dropping the files discards them): in bench:spine the runs after the first took a tenth more CPU at the
   * same rate, with ack p99 three times the first run's.
   */
  dropDatabase(url: string): Promise<void>;
  /** Drops the databases freshDatabase made, and stops an embedded server. */
  close(): Promise<void>;
}

export async function benchPostgres(): Promise<BenchPostgres> {
  let handle: DatabaseHandle | undefined;
  const embeddedOnly = process.env.BENCH_POSTGRES === 'embedded';
  let adminUrl = embeddedOnly ? undefined : process.env.DATABASE_URL;
  let kind = 'DATABASE_URL';
  if (!adminUrl) {
    const local = 'postgres://postgres@127.0.0.1:5432/postgres';
    if (!embeddedOnly && (await answers(local))) {
      adminUrl = local;
      kind = 'local server 127.0.0.1:5432';
    } else {
      const dataDir = mkdtempSync(join(tmpdir(), 'swaprep-bench-'));
      chmodSync(dataDir, 0o755); // as root the server runs as an unprivileged user, who must be able to enter it
      handle = await openDatabase(undefined, { dataDir, port: 54398 });
      adminUrl = handle.url;
      kind = 'embedded';
    }
  }
  const admin = adminUrl;
  const adminQuery = async (sql: string) => {
    const c = new pg.Client({ connectionString: admin });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  const created: string[] = [];
  const freshDatabase = async () => {
    const name = `swaprep_bench_${randomBytes(4).toString('hex')}`;
    await adminQuery(`CREATE DATABASE ${name}`);
    created.push(name);
    const url = new URL(admin);
    url.pathname = '/' + name;
    return url.toString();
  };
  const drop = async (name: string) => {
    if (process.env.BENCH_KEEP_DATABASES === '1') return;
    // FORCE: a pool that is still closing must not keep the database (and its disk) alive.
    await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    const i = created.indexOf(name);
    if (i >= 0) created.splice(i, 1);
  };
  const dropDatabase = (url: string) => drop(new URL(url).pathname.slice(1));
  return {
    adminUrl: admin,
    kind,
    freshDatabase,
    async withFreshDatabase<T>(fn: (url: string) => Promise<T>): Promise<T> {
      const url = await freshDatabase();
      try {
        return await fn(url);
      } finally {
        await dropDatabase(url);
      }
    },
    dropDatabase,
    close: async () => {
      // A benchmark's databases hold millions of rows: left behind, a few runs fill the disk (61 GB seen here).
      for (const name of [...created]) await drop(name);
      await handle?.close();
    },
  };
}

async function answers(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

export async function serverVersion(url: string): Promise<string> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const v = (await c.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version;
  await c.end();
  return v;
}
