import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../engine/project-root.js';

export interface ChildEngine {
  process: ChildProcess;
  tcpPort: number;
  grpcPort: number;
  httpPort: number;
  exited: Promise<number | null>;
}

/** Runs the built engine (`node dist/engine/cli/main.js serve`) as a child process on OS-chosen ports. */
export async function startChildEngine(env: Record<string, string>, extraArgs: string[] = [], nodeArgs: string[] = []): Promise<ChildEngine> {
  const cli = join(projectRoot(), 'dist', 'engine', 'cli', 'main.js');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first (npm test does)`);
  const child = spawn(process.execPath, [...nodeArgs, cli, 'serve', '--host', '127.0.0.1', '--tcp-port', '0', '--grpc-port', '0', '--http-port', '0', ...extraArgs], {
    env: { ...process.env, SWAPREP_LOG_LEVEL: 'warn', SWAPREP_SCORING: 'off', SWAPREP_SUBMISSION: 'off', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ports = await new Promise<{ tcp: number; grpc: number; http: number }>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /swaprep listening: tcp=(\d+) grpc=(\d+) http=(\d+)/.exec(out);
      if (m) resolve({ tcp: Number(m[1]), grpc: Number(m[2]), http: Number(m[3]) });
    });
    void exited.then((code) => reject(new Error(`engine exited with ${code} before listening:\n${stderr}`)));
  });
  return { process: child, tcpPort: ports.tcp, grpcPort: ports.grpc, httpPort: ports.http, exited };
}
