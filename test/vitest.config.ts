import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    // Engines started by tests (in-process or as commands) run without the scoring thread unless a test
    // asks for it: its bootstrap training would only slow every other test down.
    env: { SWAPREP_SCORING: 'off' },
    hookTimeout: 120_000,
    // Integration tests share one PostgreSQL server but each file creates its own database.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
