/** What the console needs from the engine, handed in by the composition root (engine/main.ts): no globals. */
import type pg from 'pg';
import type { ConsoleConfig } from '../../engine/config.js';
import type { Metrics } from '../../engine/metrics.js';
import type { Regime } from '../../engine/rules/index.js';
import type { ApprovedCorrection, CorrectionService } from '../../engine/exceptions/corrections.js';
import type { AlertService } from '../../engine/alerts/service.js';

export interface LiveSourceState {
  sourceId: string;
  connected: boolean;
  lastAdmitted: number;
  lastDurable: number;
}

export interface ConsoleDeps {
  /** The console's own small pool (it never competes with group commits for the engine's connections). */
  pool: pg.Pool;
  config: ConsoleConfig;
  /** The engine's metrics registry (dashboard); absent in tests of the API alone. */
  metrics?: Metrics | undefined;
  /** The engine's pool, for the dashboard's pool use. */
  enginePool?: pg.Pool | undefined;
  /** Live FEP sources of this process (IngestHub.sourceStates). */
  sources?: (() => LiveSourceState[]) | undefined;
  /** The regime whose data-element table the correction form shows by default. */
  regime: Regime;
  /** The engine's LEI check-digit strictness (the browser validates the same way). */
  leiCheck?: 'error' | 'warn' | 'off' | undefined;
  /** The submission path's correction service (maker-checker); the console makes its own when absent. */
  corrections?: CorrectionService | undefined;
  /** The submission path's alert service (acknowledge); the console makes its own when absent. */
  alerts?: AlertService | undefined;
  /** Sends an approved correction into the engine (as an FEP event); absent: it waits for whoever sends them. */
  sendCorrection?: ((approved: ApprovedCorrection) => Promise<void>) | undefined;
  /** The engine's data directory: where a generated admin password is written (default: defaultDataDir()). */
  dataDir?: string | undefined;
  /** Directory report files' relative paths are resolved against. */
  reportsDir?: string | undefined;
  clock?: (() => number) | undefined;
  /** How often the dashboard and the live topics are computed (ms, default 1000). */
  tickMs?: number | undefined;
  /** Run the trade projector (default true). */
  projector?: boolean | undefined;
  /** The database's URL: when given, the projector runs on its own thread with its own connections (the engine does this). */
  databaseUrl?: string | undefined;
}
