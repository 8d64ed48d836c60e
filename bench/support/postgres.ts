import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type DatabaseHandle } from '../../engine/store/database.js';

/**
 * The PostgreSQL server benchmarks run against: DATABASE_URL when set, else the local server at
 * 127.0.0.1:5432 when one answers, else an embedded one. Each run gets a fresh database on it.
 */
export interface BenchPostgres {
  adminUrl: string;
  kind: string;
  /** Creates an empty database on the server and returns its URL. */
  freshDatabase(): Promise<string>;
  close(): Promise<void>;
}

export async function benchPostgres(): Promise<BenchPostgres> {
  let handle: DatabaseHandle | undefined;
  let adminUrl = process.env.DATABASE_URL;
  let kind = 'DATABASE_URL';
  if (!adminUrl) {
    const local = 'postgres://postgres@127.0.0.1:5432/postgres';
    if (await answers(local)) {
      adminUrl = local;
      kind = 'local server 127.0.0.1:5432';
    } else {
      handle = await openDatabase(undefined, { dataDir: mkdtempSync(join(tmpdir(), 'swaprep-bench-')), port: 54398 });
      adminUrl = handle.url;
      kind = 'embedded';
    }
  }
  const admin = adminUrl;
  return {
    adminUrl: admin,
    kind,
    async freshDatabase() {
      const name = `swaprep_bench_${randomBytes(4).toString('hex')}`;
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`CREATE DATABASE ${name}`);
      await c.end();
      const url = new URL(admin);
      url.pathname = '/' + name;
      return url.toString();
    },
    close: async () => handle?.close(),
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
