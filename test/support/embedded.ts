import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export { freePort } from '../../loadtest/free-port.js';

/** Temporary directories (mode `mode`: 0755 lets the embedded server's user in when the tests run as root), removed by `removeAll`. */
export function tempDirs() {
  const made: string[] = [];
  return {
    make(mode = 0o755): string {
      const dir = mkdtempSync(join(tmpdir(), 'swaprep-pg-test-'));
      chmodSync(dir, mode);
      made.push(dir);
      return dir;
    },
    removeAll(): void {
      for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const isRoot = process.getuid?.() === 0;

/** As root: the OS user the embedded server runs as. */
export function serverUserIds(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** 'ok' when `password` logs in as postgres on 127.0.0.1:`port`, otherwise the error's SQLSTATE (or message). */
export async function login(port: number, password: string, database = 'postgres'): Promise<string> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database, connectionTimeoutMillis: 10_000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? (err as Error).message;
  } finally {
    await client.end().catch(() => {});
  }
}

/** The addresses something listens on at TCP `port` (Linux: /proc/net/tcp and tcp6), e.g. ['127.0.0.1']. */
export function listeningAddresses(port: number): string[] {
  const out: string[] = [];
  for (const [file, v6] of [['/proc/net/tcp', false], ['/proc/net/tcp6', true]] as const) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 4 || f[3] !== '0A') continue; // 0A: LISTEN
      const [addr, hexPort] = f[1]!.split(':') as [string, string];
      if (parseInt(hexPort, 16) !== port) continue;
      // IPv4 addresses are written as one little-endian 32-bit hex number.
      out.push(v6 ? `[${addr}]` : [3, 2, 1, 0].map((i) => parseInt(addr.slice(i * 2, i * 2 + 2), 16)).join('.'));
    }
  }
  return out;
}
