import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { DEFAULT_SIM, startSdrSim } from '../../loadtest/sdr-sim/index.js';
import { DEFAULT_PART43, type Part43Config } from '../reports/config.js';

const HELP = `usage: swaprep sdr-sim [--host H] [--http-port N] [--sftp-port N | --no-sftp] [--delay-ms N]
                      [--response-mode sync|poll] [--permissions FILE] [--sftp-user U] [--sftp-password P] [--data-dir DIR]
                      [--sftp-host-key FILE] [--sftp-authorized-key FILE]
                      [--dissemination-delay-scale X | --no-public-tape] [--part43-config FILE]

A simulated swap data repository (tests, load runs): HTTP API and SFTP, ACK/NACK with error codes after
--delay-ms, submitter permissions from a JSON file {"SUBMITTER_LEI": ["COUNTERPARTY_LEI", ...]}, faults and
settings on command over POST /admin/faults and /admin/config, state report at GET /v1/state.
Port 0 (the default) lets the OS choose; the ports, and the SFTP host key's fingerprint for the engine's
channel.hostKey pin, are printed on stdout once listening:
  sdr-sim listening: http=PORT sftp=PORT sftp-host-key=SHA256:...
The host key is made afresh at each start unless --sftp-host-key names a private key file (ssh-keygen -t ed25519);
--sftp-authorized-key names a public key (.pub) that may log in as the SFTP user besides the password.
Part 43 records it accepts are publicly disseminated as the rule has it (17 CFR 43.4, 43.5): after their time
delay, anonymous, amounts rounded and capped; GET /v1/public-tape?date=YYYY-MM-DD lists them, and a daily file
DATA_DIR/public-tape/YYYY-MM-DD.jsonl holds them. --dissemination-delay-scale X runs delays X times real time
(0.001: 15 minutes in 0.9 s; 0: none); --part43-config names a JSON file of reports.part43 settings (the engine's).
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
      'sftp-host-key': { type: 'string' },
      'sftp-authorized-key': { type: 'string' },
      'dissemination-delay-scale': { type: 'string' },
      'no-public-tape': { type: 'boolean' },
      'part43-config': { type: 'string' },
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
  const scale = Number(values['dissemination-delay-scale'] ?? '1');
  if (!Number.isFinite(scale) || scale < 0) throw new Error('--dissemination-delay-scale must be a non-negative number');
  const part43 = values['part43-config']
    ? { ...DEFAULT_PART43, ...(JSON.parse(readFileSync(values['part43-config'], 'utf8')) as Partial<Part43Config>) }
    : DEFAULT_PART43;
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
    ...(values['sftp-host-key'] ? { sftpHostKey: readFileSync(values['sftp-host-key'], 'utf8') } : {}),
    ...(values['sftp-authorized-key'] ? { sftpAuthorizedKey: readFileSync(values['sftp-authorized-key'], 'utf8') } : {}),
    publicTape: values['no-public-tape'] ? false : { delayScale: scale, part43 },
  });
  const hostKey = sim.sftpHostKey ? ` sftp-host-key=${sim.sftpHostKey}` : '';
  process.stdout.write(`sdr-sim listening: http=${sim.httpPort} sftp=${sim.sftpPort ?? 'off'}${hostKey}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await sim.close();
  return 0;
}
