import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { DEFAULT_SIM, startSdrSim } from '../../loadtest/sdr-sim/index.js';

const HELP = `usage: swaprep sdr-sim [--host H] [--http-port N] [--sftp-port N | --no-sftp] [--delay-ms N]
                      [--response-mode sync|poll] [--permissions FILE] [--sftp-user U] [--sftp-password P] [--data-dir DIR]

A simulated swap data repository (tests, load runs): HTTP API and SFTP, ACK/NACK with error codes after
--delay-ms, submitter permissions from a JSON file {"SUBMITTER_LEI": ["COUNTERPARTY_LEI", ...]}, faults and
settings on command over POST /admin/faults and /admin/config, state report at GET /v1/state.
Port 0 (the default) lets the OS choose; the ports are printed on stdout once listening:
  sdr-sim listening: http=PORT sftp=PORT
`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      help: { type: 'boolean', short: 'h' },
      host: { type: 'string' },
      'http-port': { type: 'string' },
      'sftp-port': { type: 'string' },
      'no-sftp': { type: 'boolean' },
      'delay-ms': { type: 'string' },
      'response-mode': { type: 'string' },
      permissions: { type: 'string' },
      'sftp-user': { type: 'string' },
      'sftp-password': { type: 'string' },
      'data-dir': { type: 'string' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const int = (v: string | undefined, d: number, name: string): number => {
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer`);
    return n;
  };
  const mode = values['response-mode'] ?? 'sync';
  if (mode !== 'sync' && mode !== 'poll') throw new Error('--response-mode must be sync or poll');
  const permissions = values.permissions ? (JSON.parse(readFileSync(values.permissions, 'utf8')) as Record<string, string[]>) : {};
  const sim = await startSdrSim({
    host: values.host ?? DEFAULT_SIM.host,
    httpPort: int(values['http-port'], 0, 'http-port'),
    sftpPort: values['no-sftp'] ? undefined : int(values['sftp-port'], 0, 'sftp-port'),
    delayMs: int(values['delay-ms'], 0, 'delay-ms'),
    responseMode: mode,
    permissions,
    sftpUser: values['sftp-user'] ?? DEFAULT_SIM.sftpUser,
    sftpPassword: values['sftp-password'] ?? DEFAULT_SIM.sftpPassword,
    ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
  });
  process.stdout.write(`sdr-sim listening: http=${sim.httpPort} sftp=${sim.sftpPort ?? 'off'}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await sim.close();
  return 0;
}
