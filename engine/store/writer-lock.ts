import { hostname } from 'node:os';
import pg from 'pg';
import { log } from '../log.js';
import { connectionConfig, defaultPostgresSettings, type PostgresSettings } from './postgres-settings.js';

/** The advisory lock that makes a process the database's one writer: ('SWPR', 1), as 012_writer_fence.sql checks it. */
const LOCK_CLASS = 1398231122;
const LOCK_OBJECT = 1;

/** The process that holds the writer lock, as far as this role may see it in pg_stat_activity. */
export interface WriterHolder {
  pid: number;
  applicationName: string | null;
  clientAddr: string | null;
  backendStart: Date | null;
}

/** A second ingesting process on one database: it would acknowledge events that the first one's commits then refuse. */
export class WriterLockHeldError extends Error {
  readonly code = 'WRITER_LOCK_HELD';
  constructor(readonly database: string, readonly holder: WriterHolder | undefined) {
    super(`another process already writes to database "${database}"${holder ? ` (${describeHolder(holder)})` : ''}: ` +
      'only one swaprep engine may ingest into a database; stop it, or send files to it with `swaprep replay --to tcp://HOST:PORT`');
    this.name = 'WriterLockHeldError';
  }
}

function describeHolder(h: WriterHolder): string {
  const parts = [`backend pid ${h.pid}`];
  if (h.applicationName) parts.push(`"${h.applicationName}"`);
  if (h.clientAddr) parts.push(`from ${h.clientAddr}`);
  if (h.backendStart) parts.push(`since ${h.backendStart.toISOString()}`);
  return parts.join(', ');
}

const RETAKE_EVERY_MS = 1_000;

/**
 * The database-wide writer lock: a session advisory lock on a connection of its own, named after this process so that
 * a second one can say who holds it. Each group commit calls `swaprep_assert_writer(pid)` with its COMMIT (fenceSql),
 * so that if this connection drops (and the lock with it) no commit lands until this process holds the lock again:
 * it keeps trying to take it back, and commits resume (their retries) once it has.
 */
export class WriterLock {
  private client: pg.Client | undefined;
  private pid = 0;
  private released = false;
  private retaking: NodeJS.Timeout | undefined;

  private constructor(private readonly url: string, private readonly name: string, private readonly settings: PostgresSettings) {}

  /** Takes the lock or throws WriterLockHeldError naming the holder. */
  static async acquire(url: string, settings: PostgresSettings = defaultPostgresSettings): Promise<WriterLock> {
    const lock = new WriterLock(url, `swaprep engine on ${hostname()} pid ${process.pid}`.slice(0, 63), settings);
    const outcome = await lock.tryTake();
    if (outcome !== true) {
      throw new WriterLockHeldError(databaseName(url), outcome);
    }
    return lock;
  }

  /** SQL to send with each group commit's COMMIT: it fails the transaction unless this process holds the lock. */
  fenceSql(): string {
    return `SELECT swaprep_assert_writer(${this.pid});\n`;
  }

  get held(): boolean {
    return this.client !== undefined;
  }

  async release(): Promise<void> {
    this.released = true;
    if (this.retaking) clearTimeout(this.retaking);
    const client = this.client;
    this.client = undefined;
    // Closing the session releases its advisory lock.
    await client?.end().catch(() => undefined);
  }

  /** true when taken; otherwise who holds it (undefined when the holder cannot be seen). */
  private async tryTake(): Promise<true | WriterHolder | undefined> {
    // Keepalive (settings) makes a connection that died without a reset noticed, and so the lock loss.
    const client = new pg.Client(connectionConfig(this.url, 'short', this.settings, this.name));
    client.on('error', (err) => this.lost(client, err.message));
    await client.connect();
    try {
      const { rows } = await client.query<{ taken: boolean; pid: number }>('SELECT pg_try_advisory_lock($1, $2) AS taken, pg_backend_pid() AS pid', [LOCK_CLASS, LOCK_OBJECT]);
      if (rows[0]!.taken) {
        this.client = client;
        this.pid = rows[0]!.pid;
        client.once('end', () => this.lost(client, 'connection closed'));
        return true;
      }
      const holder = await client.query<{ pid: number; application_name: string | null; client_addr: string | null; backend_start: Date | null }>(
        `SELECT l.pid, a.application_name, a.client_addr::text AS client_addr, a.backend_start
           FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE l.locktype = 'advisory' AND l.classid = $1 AND l.objid = $2 AND l.objsubid = 2 AND l.granted
            AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`, [LOCK_CLASS, LOCK_OBJECT]);
      await client.end();
      const h = holder.rows[0];
      return h ? { pid: h.pid, applicationName: h.application_name, clientAddr: h.client_addr, backendStart: h.backend_start } : undefined;
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
  }

  private lost(client: pg.Client, why: string): void {
    if (this.released || this.client !== client) return;
    this.client = undefined;
    log('error', `lost the database writer lock (${why}): commits wait until this process holds it again`);
    this.scheduleRetake();
  }

  private scheduleRetake(): void {
    if (this.released) return;
    this.retaking = setTimeout(() => {
      this.retaking = undefined;
      this.tryTake().then((outcome) => {
        if (outcome === true) log('info', 'took the database writer lock back; commits resume');
        else {
          log('error', `the database writer lock is held by another process${outcome ? ` (${describeHolder(outcome)})` : ''}; this engine acknowledges nothing until it is released`);
          this.scheduleRetake();
        }
      }, () => this.scheduleRetake());
    }, RETAKE_EVERY_MS);
    this.retaking.unref();
  }
}

function databaseName(url: string): string {
  try {
    return decodeURIComponent(new URL(url).pathname.slice(1)) || '(default)';
  } catch {
    return '(unparsable DATABASE_URL)';
  }
}
