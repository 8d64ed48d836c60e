// Shared by the scoring tests (not a test file itself): a small, quickly trained model version on the
// synthetic sampler, written into a directory registry, and feature rows of real-shaped records.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultTrainOptions, trainAndEvaluate, type TrainedVersion, type TrainOptions } from '../../gpu-pool/train.js';
import { syntheticEvents } from '../../gpu-pool/sources.js';
import { DirectoryRegistry } from '../../gpu-pool/registry.js';
import { featurize, FeatureState } from '../../gpu-pool/features/featurize.js';
import { inputFromReport } from '../../gpu-pool/features/input.js';
import { FEATURE_COUNT } from '../../gpu-pool/features/table.js';
import type { FlowEvent } from '../../gpu-pool/sample/synthetic.js';

export const smallOptions: TrainOptions = {
  ...defaultTrainOptions,
  seed: 5,
  iforest: { trees: 30, sampleSize: 128 },
  autoencoder: { ...defaultTrainOptions.autoencoder, epochs: 3 },
  maxTrainRows: 5000,
};

let cached: { version: TrainedVersion; events: FlowEvent[] } | undefined;

/** A version trained on 6,000 synthetic events (about a second). */
export function smallVersion(): { version: TrainedVersion; events: FlowEvent[] } {
  if (!cached) {
    const events = syntheticEvents(6000, 3);
    cached = { version: trainAndEvaluate(events, smallOptions), events };
  }
  return cached;
}

/** The small version saved in a fresh directory registry; returns the registry and the version's directory. */
export async function savedSmallVersion(): Promise<{ registry: DirectoryRegistry; dir: string; version: TrainedVersion }> {
  const { version } = smallVersion();
  const registry = new DirectoryRegistry(mkdtempSync(join(tmpdir(), 'swaprep-models-')));
  await registry.save({ manifest: version.manifest, files: version.files });
  await registry.activate(version.manifest.versionId);
  return { registry, dir: registry.versionDir(version.manifest.versionId), version };
}

/** Feature rows of a flow, replayed in order from a fresh state. */
export function rowsOf(events: readonly FlowEvent[]): Float32Array {
  const state = new FeatureState();
  const rows = new Float32Array(events.length * FEATURE_COUNT);
  events.forEach((e, i) => featurize(state, inputFromReport(e.report), { sourceId: e.sourceId, receivedAtMs: e.receivedAtMs, tradeKey: e.tradeKey, version: e.version }, rows, i * FEATURE_COUNT));
  return rows;
}
