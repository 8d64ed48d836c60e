/**
 * Scores feature rows with one model version: the three ONNX Runtime sessions (created once), the
 * ensemble normalisation and threshold from the manifest, and, for the few flagged rows, the top
 * contributing features from the reference parameters. Used by the pool's workers and by `swaprep score`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ensembleScore, MODEL_NAMES, surprise, type ModelName } from './ensemble.js';
import { FEATURES, FEATURES_VERSION } from './features/table.js';
import { MANIFEST_FILE, REFERENCE_FILE, thresholdForRate, type ModelManifest, type ReferenceParams } from './manifest.js';
import { createSession, type Provider, type SessionChoice } from './providers.js';
import { INPUT, OUTPUT } from './onnx/names.js';
import { topFeatures, type TopFeature } from './explain.js';

export interface ScorerOptions {
  providers: readonly Provider[];
  intraOpThreads?: number;
  /** Alert rate for the threshold; default: the one the version was trained with. */
  alertRate?: number;
  /** How many contributing features a flagged row lists. */
  topFeatures?: number;
}

export interface FlaggedRow {
  index: number;
  top: TopFeature[];
}

export interface BatchScores {
  ensemble: Float32Array;
  /** Per model, in MODEL_NAMES order: n scores each (model-major). */
  perModel: Float32Array;
  flagged: FlaggedRow[];
}

export function readManifest(dir: string): ModelManifest {
  return JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')) as ModelManifest;
}

export class OnnxScorer {
  private constructor(
    readonly manifest: ModelManifest,
    private readonly sessions: Record<ModelName, ort.InferenceSession>,
    /** Per model: 'cpu', 'cuda', with the reason when the preferred provider was not used. */
    readonly providers: Record<ModelName, string>,
    private readonly reference: ReferenceParams,
    readonly threshold: number,
    private readonly top: number,
  ) {}

  /** Loads the version in `dir` (manifest.json, the .onnx files, reference.json). */
  static async load(dir: string, options: ScorerOptions): Promise<OnnxScorer> {
    const manifest = readManifest(dir);
    if (manifest.featuresVersion !== FEATURES_VERSION) {
      throw new Error(`model version ${manifest.versionId} was trained on features version ${manifest.featuresVersion}; this build computes version ${FEATURES_VERSION}`);
    }
    const sessions = {} as Record<ModelName, ort.InferenceSession>;
    const providers = {} as Record<ModelName, string>;
    for (const m of MODEL_NAMES) {
      const choice: SessionChoice = await createSession({
        model: readFileSync(join(dir, manifest.files[m])),
        providers: options.providers,
        cpuOnly: m === 'iforest',
        intraOpThreads: options.intraOpThreads ?? 1,
      });
      sessions[m] = choice.session;
      providers[m] = choice.note ? `${choice.provider} (${choice.note})` : choice.provider;
    }
    const reference = JSON.parse(readFileSync(join(dir, REFERENCE_FILE), 'utf8')) as ReferenceParams;
    const threshold = options.alertRate === undefined ? manifest.ensemble.threshold : thresholdForRate(manifest, options.alertRate);
    return new OnnxScorer(manifest, sessions, providers, reference, threshold, options.topFeatures ?? 3);
  }

  get versionId(): string {
    return this.manifest.versionId;
  }

  /** Scores `n` rows of `rows` (row-major, FEATURES.length floats each). */
  async score(rows: Float32Array, n: number): Promise<BatchScores> {
    const f = FEATURES.length;
    const input = new ort.Tensor('float32', rows.subarray(0, n * f), [n, f]);
    // The three sessions run concurrently on ONNX Runtime's threads.
    const outputs = await Promise.all(MODEL_NAMES.map((m) => this.sessions[m].run({ [INPUT]: input }, [OUTPUT])));
    const perModel = new Float32Array(MODEL_NAMES.length * n);
    const views = {} as Record<ModelName, Float32Array>;
    MODEL_NAMES.forEach((m, k) => {
      perModel.set(outputs[k]![OUTPUT]!.data as Float32Array, k * n);
      views[m] = perModel.subarray(k * n, (k + 1) * n);
    });
    const ensemble = new Float32Array(n);
    const flagged: FlaggedRow[] = [];
    const spec = this.manifest.ensemble;
    for (let i = 0; i < n; i++) {
      const s = ensembleScore(spec, views, i);
      ensemble[i] = s;
      if (s > this.threshold) flagged.push({ index: i, top: topFeatures(this.reference, spec, rows, i, this.top) });
    }
    return { ensemble, perModel, flagged };
  }

  /** Per-model surprise of one row (for explanations and tests). */
  surprises(perModel: Record<ModelName, number>): Record<ModelName, number> {
    const out = {} as Record<ModelName, number>;
    for (const m of MODEL_NAMES) out[m] = surprise(this.manifest.ensemble.normalizers[m], perModel[m]);
    return out;
  }

  async release(): Promise<void> {
    await Promise.all(MODEL_NAMES.map((m) => this.sessions[m].release()));
  }
}
