/**
 * Product templates for the synthetic sampler: real-shaped corpus records (ISDA DRR 6.10 CFTC Part 45
 * examples) whose identifiers, amounts, rates, prices and times the sampler replaces. The corpus ships in the
 * repository (test/fixtures/drr-6.10); ../shared/corpus holds the same files.
 */
import { join } from 'node:path';
import type { SwapReport } from '../../proto/gen/swap_report.js';
import { loadJsonRecords } from '../../engine/ingest/files/load-json-records.js';
import { projectRoot } from '../../engine/project-root.js';
import { decimal } from '../features/input.js';

export function defaultCorpusDir(): string {
  return join(projectRoot(), 'test', 'fixtures', 'drr-6.10', 'cftc-part45');
}

/** Every `*.json` record under `dir`, decoded (records that fail to decode are skipped). */
export function loadRecords(dir: string): SwapReport[] {
  return loadJsonRecords(dir, { skipInvalid: true });
}

/** Records usable as product templates: new trades with an asset class and a positive leg 1 notional. */
export function productTemplates(records: readonly SwapReport[]): SwapReport[] {
  return records.filter((r) => r.actionType === 'NEWT' && r.cftcGuidebook?.assetClass !== undefined && decimal(r.leg1?.notionalAmount) > 0);
}
