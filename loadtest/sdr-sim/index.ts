/**
 * A simulated swap data repository for tests and load runs: HTTP API and SFTP front ends over one repository
 * state, with configurable answer delay, submitter permissions and faults on command, and the real-time public
 * dissemination of the Part 43 records it accepts (public-tape.ts). Run it as its own process with
 * `swaprep sdr-sim` (engine/cli/sdr-sim.ts).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_PART43, type Part43Config } from '../../engine/reports/config.js';
import { Faults } from './faults.js';
import { PublicTape } from './public-tape.js';
import { startHttpApi, type HttpSettings } from './http-api.js';
import { BatchProcessor } from './processor.js';
import { startSftpServer } from './sftp-server.js';
import { RepositoryState } from './state.js';

export interface SdrSimOptions {
  host: string;
  httpPort: number;
  /** undefined: no SFTP front end. */
  sftpPort: number | undefined;
  delayMs: number;
  responseMode: 'sync' | 'poll';
  /** submitter LEI -> counterparties it may report for (besides itself). */
  permissions: Record<string, string[]>;
  sftpUser: string;
  sftpPassword: string;
  /** The SFTP host key (private key text); a fresh one when absent. */
  sftpHostKey?: string;
  /** A public key that may log in over SFTP as sftpUser (besides the password). */
  sftpAuthorizedKey?: string;
  /** Directory for the SFTP inbox/outbox and the public tape's daily files (a temporary one when absent). */
  dataDir?: string;
  /** Part 43 public dissemination: off, or the clock speed of its delays (1 = real time) and the rule's tables. */
  publicTape?: false | { delayScale: number; part43?: Part43Config };
}

export const DEFAULT_SIM: SdrSimOptions = {
  host: '127.0.0.1', httpPort: 0, sftpPort: 0, delayMs: 0, responseMode: 'sync', permissions: {}, sftpUser: 'swaprep', sftpPassword: 'swaprep',
};

export interface RunningSdrSim {
  httpPort: number;
  sftpPort: number | undefined;
  /** The SFTP host key's fingerprint (SHA256:...), for a client to pin. */
  sftpHostKey: string | undefined;
  sftpRoot: string | undefined;
  /** Directory of the public tape's daily files (undefined when the tape is off). */
  publicTapeDir: string | undefined;
  state: RepositoryState;
  close(): Promise<void>;
}

export async function startSdrSim(options: SdrSimOptions = DEFAULT_SIM): Promise<RunningSdrSim> {
  const state = new RepositoryState();
  const permissions = new Map(Object.entries(options.permissions).map(([k, v]) => [k, new Set(v)]));
  const processor = new BatchProcessor(state, permissions);
  const faults = new Faults();
  const settings: HttpSettings = { delayMs: options.delayMs, responseMode: options.responseMode };
  const sftpSettings = {
    username: options.sftpUser, password: options.sftpPassword, delayMs: options.delayMs,
    ...(options.sftpHostKey !== undefined ? { hostKey: options.sftpHostKey } : {}),
    ...(options.sftpAuthorizedKey !== undefined ? { authorizedKey: options.sftpAuthorizedKey } : {}),
  };
  const tapeOptions = options.publicTape ?? { delayScale: 1 };
  let dataDir = options.dataDir;
  const stateDir = () => (dataDir ??= mkdtempSync(join(tmpdir(), 'swaprep-sdr-sim-')));
  const tape = tapeOptions === false ? undefined : new PublicTape({ part43: tapeOptions.part43 ?? DEFAULT_PART43, dir: join(stateDir(), 'public-tape'), delayScale: tapeOptions.delayScale });
  if (tape) {
    processor.onAccept = (regime, _id, parsed) => {
      if (regime === 'cftc-part43') tape.accept(parsed.report);
    };
  }
  const http = await startHttpApi(options.host, options.httpPort, processor, faults, settings, () => ({ sftpDelayMs: sftpSettings.delayMs, publicTape: tape?.stats }), tape);
  // One delay for both channels: /admin/config changes `settings`; keep the SFTP copy in step.
  const sync = setInterval(() => (sftpSettings.delayMs = settings.delayMs), 50);
  sync.unref();
  let sftp: Awaited<ReturnType<typeof startSftpServer>> | undefined;
  let sftpRoot: string | undefined;
  if (options.sftpPort !== undefined) {
    sftpRoot = stateDir();
    sftp = await startSftpServer(options.host, options.sftpPort, sftpRoot, processor, faults, sftpSettings);
  }
  return {
    httpPort: http.port,
    sftpPort: sftp?.port,
    sftpHostKey: sftp?.hostKeyFingerprint,
    sftpRoot,
    publicTapeDir: tape?.dir,
    state,
    close: async () => {
      clearInterval(sync);
      await Promise.all([http.close(), sftp?.close()]);
      tape?.close();
    },
  };
}
