/**
 * A simulated swap data repository for tests and load runs: HTTP API and SFTP front ends over one repository
 * state, with configurable answer delay, submitter permissions and faults on command. Run it as its own process
 * with `swaprep sdr-sim` (engine/cli/sdr-sim.ts).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Faults } from './faults.js';
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
  /** Directory for the SFTP inbox/outbox (a temporary one when absent). */
  dataDir?: string;
}

export const DEFAULT_SIM: SdrSimOptions = {
  host: '127.0.0.1', httpPort: 0, sftpPort: 0, delayMs: 0, responseMode: 'sync', permissions: {}, sftpUser: 'swaprep', sftpPassword: 'swaprep',
};

export interface RunningSdrSim {
  httpPort: number;
  sftpPort: number | undefined;
  sftpRoot: string | undefined;
  state: RepositoryState;
  close(): Promise<void>;
}

export async function startSdrSim(options: SdrSimOptions = DEFAULT_SIM): Promise<RunningSdrSim> {
  const state = new RepositoryState();
  const permissions = new Map(Object.entries(options.permissions).map(([k, v]) => [k, new Set(v)]));
  const processor = new BatchProcessor(state, permissions);
  const faults = new Faults();
  const settings: HttpSettings = { delayMs: options.delayMs, responseMode: options.responseMode };
  const sftpSettings = { username: options.sftpUser, password: options.sftpPassword, delayMs: options.delayMs };
  const http = await startHttpApi(options.host, options.httpPort, processor, faults, settings, () => ({ sftpDelayMs: sftpSettings.delayMs }));
  // One delay for both channels: /admin/config changes `settings`; keep the SFTP copy in step.
  const sync = setInterval(() => (sftpSettings.delayMs = settings.delayMs), 50);
  sync.unref();
  let sftp: Awaited<ReturnType<typeof startSftpServer>> | undefined;
  let sftpRoot: string | undefined;
  if (options.sftpPort !== undefined) {
    sftpRoot = options.dataDir ?? mkdtempSync(join(tmpdir(), 'swaprep-sdr-sim-'));
    sftp = await startSftpServer(options.host, options.sftpPort, sftpRoot, processor, faults, sftpSettings);
  }
  return {
    httpPort: http.port,
    sftpPort: sftp?.port,
    sftpRoot,
    state,
    close: async () => {
      clearInterval(sync);
      await Promise.all([http.close(), sftp?.close()]);
    },
  };
}
