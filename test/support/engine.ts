import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type EngineConfig } from '../../engine/config.js';
import { startEngine, type RunningEngine } from '../../engine/main.js';
import { createTestDatabase } from './database.js';

export const TEST_SOURCES = { fep1: 'token-one', fep2: 'token-two' } as const;

/** Starts an in-process engine on a fresh database with OS-chosen ports and two seeded sources. */
export async function startTestEngine(overrides: Partial<EngineConfig> = {}): Promise<RunningEngine> {
  const databaseUrl = await createTestDatabase();
  const config: EngineConfig = {
    ...loadConfig({}),
    host: '127.0.0.1',
    tcpPort: 0,
    grpcPort: 0,
    httpPort: 0,
    databaseUrl,
    dataDir: mkdtempSync(join(tmpdir(), 'swaprep-test-')),
    seedSources: Object.entries(TEST_SOURCES).map(([id, token]) => `${id}=${token}`).join(','),
    ...overrides,
  };
  return startEngine(config);
}
