/**
 * The end-to-end benchmark's settings, from the environment. Defaults are the full run (about 20 minutes on
 * the 2-core machine); BENCH_QUICK=1 shortens every duration and count for a smoke run, and any BENCH_*
 * variable overrides either.
 */
import type { SearchOptions } from '../support/step-search.js';

export const SECTIONS = ['e2e', 'memory', 'replay'] as const;
export type Section = (typeof SECTIONS)[number];

export interface E2ESettings {
  quick: boolean;
  sections: Section[];
  runs: number;
  connections: number;
  /** Share of invalid records in the engine's traffic (the rulebook rejects them). */
  invalidRate: number;
  warmupSeconds: number;
  search: SearchOptions;
  baseline: { seconds: number; concurrency: number };
  ceilingEvents: number;
  memoryTrades: number;
  replayLines: number;
  /** A JSONL file to replay instead of the generated one (it is generated there when missing). */
  replayFile: string | undefined;
}

type Env = Record<string, string | undefined>;

function number(env: Env, name: string, full: number, quick: number, isQuick: boolean, min = 0): number {
  const text = env[name];
  if (text === undefined || text === '') return isQuick ? quick : full;
  const n = Number(text);
  if (!Number.isFinite(n) || n < min) throw new Error(`${name}: "${text}" is not a number >= ${min}`);
  return n;
}

export function e2eSettings(env: Env = process.env): E2ESettings {
  const quick = env.BENCH_QUICK === '1';
  const n = (name: string, full: number, q: number, min = 0) => number(env, name, full, q, quick, min);
  const only = (env.BENCH_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of only) if (!(SECTIONS as readonly string[]).includes(s)) throw new Error(`BENCH_ONLY: "${s}" is not one of ${SECTIONS.join(', ')}`);
  const invalidRate = n('BENCH_INVALID_RATE', 0.01, 0.01);
  if (invalidRate > 1) throw new Error(`BENCH_INVALID_RATE: "${env.BENCH_INVALID_RATE}" is not a share between 0 and 1`);
  return {
    quick,
    sections: only.length > 0 ? (only as Section[]) : [...SECTIONS],
    runs: n('BENCH_RUNS', 3, 3, 1),
    connections: n('BENCH_CONNECTIONS', 2, 2, 1),
    invalidRate,
    warmupSeconds: n('BENCH_WARMUP_SECONDS', 5, 1),
    search: {
      startRate: n('BENCH_START_RATE', 5_000, 2_000, 1),
      maxRate: n('BENCH_MAX_RATE', 200_000, 200_000, 1),
      minRate: n('BENCH_MIN_RATE', 500, 500, 1),
      growth: n('BENCH_RATE_GROWTH', 2, 2, 1.01),
      refineSteps: n('BENCH_REFINE_STEPS', 2, 1),
      stepDown: n('BENCH_STEP_DOWN', 0.8, 0.8, 0.01),
      maxConfirmations: n('BENCH_CONFIRMATIONS', 3, 2, 1),
      probeSeconds: n('BENCH_PROBE_SECONDS', 10, 3, 1),
      confirmSeconds: n('BENCH_CONFIRM_SECONDS', 60, 6, 1),
      maxP99Ms: n('BENCH_MAX_P99_MS', 100, 100, 1),
    },
    baseline: { seconds: n('BENCH_BASELINE_SECONDS', 20, 3, 1), concurrency: n('BENCH_BASELINE_CONCURRENCY', 32, 32, 1) },
    ceilingEvents: n('BENCH_CEILING_EVENTS', 200_000, 20_000, 1000),
    memoryTrades: n('BENCH_MEMORY_TRADES', 1_000_000, 50_000, 1000),
    replayLines: n('BENCH_REPLAY_LINES', 1_000_000, 50_000, 1),
    replayFile: env.BENCH_REPLAY_FILE || undefined,
  };
}
