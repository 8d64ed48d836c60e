import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    // Engines started by tests (in-process or as commands) run without the scoring thread and without the
    // submission path unless a test asks for them: they would only slow every other test down.
    env: { SWAPREP_SCORING: 'off', SWAPREP_SUBMISSION: 'off' },
    hookTimeout: 120_000,
    // Integration tests share one PostgreSQL server but each file creates its own database.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
