import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../../engine/project-root.js';
import type { TapeEntry } from './public-tape.js';
import type { StateReport } from './state.js';

export interface ChildSdrSim {
  process: ChildProcess;
  httpPort: number;
  /** 0 when started with --no-sftp. */
  sftpPort: number;
  /** The SFTP host key's fingerprint (SHA256:...) to pin; '' when started with --no-sftp. */
  sftpHostKey: string;
  baseUrl: string;
  /** Arms a fault for the next `count` batches. */
  fault(mode: 'timeout' | '5xx' | 'drop' | 'duplicate' | 'none', count?: number, channel?: 'http' | 'sftp' | 'any'): Promise<void>;
  configure(settings: { delayMs?: number; responseMode?: 'sync' | 'poll'; permissions?: Record<string, string[]> }): Promise<void>;
  stats(): Promise<{ batches: number; records: number; resent: number; acked: number; nacked: number; faults: Record<string, number> }>;
  state(): Promise<StateReport>;
  /** The Part 43 records disseminated on a UTC date (default today): GET /v1/public-tape. */
  publicTape(date?: string): Promise<TapeEntry[]>;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;

/** Runs the built simulator (`node dist/engine/cli/main.js sdr-sim`) as its own process on OS-chosen ports (tests, benchmarks). */
export async function startChildSdrSim(options: { permissions?: Record<string, string[]>; extraArgs?: string[]; nodeArgs?: string[] } = {}): Promise<ChildSdrSim> {
  const cli = join(projectRoot(), 'dist', 'engine', 'cli', 'main.js');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first (npm test does)`);
  const args = [...(options.nodeArgs ?? []), cli, 'sdr-sim', '--host', '127.0.0.1', '--http-port', '0', '--sftp-port', '0', ...(options.extraArgs ?? [])];
  if (options.permissions) {
    const file = join(mkdtempSync(join(tmpdir(), 'swaprep-sim-perm-')), 'permissions.json');
    writeFileSync(file, JSON.stringify(options.permissions));
    args.push('--permissions', file);
  }
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SWAPREP_LOG_LEVEL: 'warn' } });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ports = await new Promise<{ http: number; sftp: number; hostKey: string }>((resolve, reject) => {
    let out = '';
    // A simulator that neither listens nor exits must fail its caller with what it said, not hang it.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sdr-sim did not say it was listening within ${START_TIMEOUT_MS / 1000} s; its stdout:\n${out}\nits stderr:\n${stderr}`));
    }, START_TIMEOUT_MS);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /sdr-sim listening: http=(\d+) sftp=(\d+|off)(?: sftp-host-key=(SHA256:\S+))?\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ http: Number(m[1]), sftp: m[2] === 'off' ? 0 : Number(m[2]), hostKey: m[3] ?? '' });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`sdr-sim exited with ${code} before listening:\n${stderr}`));
    });
  });
  const baseUrl = `http://127.0.0.1:${ports.http}/`;
  const post = async (path: string, body: unknown) => {
    const res = await fetch(new URL(path, baseUrl), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
  };
  const get = async <T>(path: string): Promise<T> => (await (await fetch(new URL(path, baseUrl))).json()) as T;
  return {
    process: child,
    httpPort: ports.http,
    sftpPort: ports.sftp,
    sftpHostKey: ports.hostKey,
    baseUrl,
    fault: (mode, count = 1, channel = 'any') => post('admin/faults', { mode, count, channel }),
    configure: (settings) => post('admin/config', settings),
    stats: () => get('admin/stats'),
    state: () => get('v1/state'),
    publicTape: (date) => get(`v1/public-tape${date === undefined ? '' : `?date=${encodeURIComponent(date)}`}`),
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
