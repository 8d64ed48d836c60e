import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, stringFlags } from '../config.js';
import { createPool, openDatabase, type DatabaseHandle } from '../store/database.js';
import { migrate } from '../store/migrate.js';
import { DatabaseRegistry, DirectoryRegistry, type Registry } from '../../gpu-pool/registry.js';
import { runTrainJob, type TrainSource } from '../../gpu-pool/train-job.js';
import { defaultTrainOptions, formatEvaluation, type TrainOptions } from '../../gpu-pool/train.js';

const HELP = `usage: swaprep train [--from db|synthetic|generator|FILE...] [--activate] [options]

Trains the scoring models (isolation forest, autoencoder, robust z-score), evaluates them on a held-out part
of the events with planted anomalies (100x rate, notional x1000, stale reporting, changed counterparty,
off-market price) and analyst labels, checks ONNX Runtime against the reference scorers, and records a model
version with its files and evaluation.

  --from db            the engine's recent events (default; --database-url / DATABASE_URL, else the embedded
                       PostgreSQL under --data-dir)
  --from synthetic     the scoring sample (gpu-pool/sample/: corpus products, seeded)
  --from generator     the load generator's flow (loadtest/generator.ts, seeded; what a fresh engine's
                       bootstrap version learns)
  --from FILE          JSON/JSONL record files or directories (corpus shape); no database needed
  --activate           make the new version the active one (a running engine swaps to it without a restart)
  --models-dir DIR     keep versions in DIR instead of the database (default for --from FILE:
                       <data-dir>/models; \`swaprep score --models-dir\` reads it)
  --events N           events to sample (db, synthetic; default 100000)
  --seed N             random seed (default 1)
  --trees N            isolation forest trees (default ${defaultTrainOptions.iforest.trees})
  --sample-size N      isolation forest subsample (default ${defaultTrainOptions.iforest.sampleSize})
  --epochs N           autoencoder epochs (default ${defaultTrainOptions.autoencoder.epochs})
  --max-rows N         rows the autoencoder trains on (default ${defaultTrainOptions.maxTrainRows})
  --alert-rate R       share of events to flag (default ${defaultTrainOptions.alertRate})
  --json               print the manifest (version, models, evaluation) as JSON instead of a table
`;

function int(v: string | undefined, fallback: number, name: string): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name}: "${v}" is not a positive integer`);
  return n;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      help: { type: 'boolean', short: 'h' },
      from: { type: 'string', multiple: true },
      activate: { type: 'boolean' },
      'models-dir': { type: 'string' },
      'database-url': { type: 'string' },
      'data-dir': { type: 'string' },
      events: { type: 'string' },
      seed: { type: 'string' },
      trees: { type: 'string' },
      'sample-size': { type: 'string' },
      epochs: { type: 'string' },
      'max-rows': { type: 'string' },
      'alert-rate': { type: 'string' },
      json: { type: 'boolean' },
    },
    allowPositionals: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const from = [...(values.from ?? []), ...positionals];
  const kind = from.length === 0 || from[0] === 'db' ? 'db' : from[0] === 'synthetic' || from[0] === 'generator' ? from[0] : 'files';
  const config = loadConfig(process.env, stringFlags(values));
  const events = int(values.events, 100_000, 'events');
  const seed = int(values.seed, 1, 'seed');
  const alertRate = values['alert-rate'] === undefined ? defaultTrainOptions.alertRate : Number(values['alert-rate']);
  if (!(alertRate > 0 && alertRate < 1)) throw new Error(`--alert-rate: "${values['alert-rate']}" is not between 0 and 1`);
  const options: Partial<TrainOptions> = {
    seed,
    alertRate,
    iforest: { trees: int(values.trees, defaultTrainOptions.iforest.trees, 'trees'), sampleSize: int(values['sample-size'], defaultTrainOptions.iforest.sampleSize, 'sample-size') },
    autoencoder: { ...defaultTrainOptions.autoencoder, epochs: int(values.epochs, defaultTrainOptions.autoencoder.epochs, 'epochs') },
    maxTrainRows: int(values['max-rows'], defaultTrainOptions.maxTrainRows, 'max-rows'),
  };

  // The database: needed for --from db, and as the registry unless --models-dir says otherwise (or files
  // are trained on without a database URL).
  const useDirectory = values['models-dir'] !== undefined || (kind !== 'db' && !config.databaseUrl);
  let database: DatabaseHandle | undefined;
  if (kind === 'db' || !useDirectory) database = await openDatabase(config.databaseUrl, { dataDir: config.dataDir, port: config.embeddedPgPort });
  const db = database ? createPool(database.url, 2) : undefined;
  try {
    if (db) {
      const client = await db.connect();
      try {
        await migrate(client);
      } finally {
        client.release();
      }
    }
    const source: TrainSource = kind === 'db' ? { kind: 'db', databaseUrl: database!.url, events } : kind === 'synthetic' || kind === 'generator' ? { kind, events, seed } : { kind: 'files', paths: from };
    const log = (m: string) => process.stderr.write(`${m}\n`);
    const { version } = await runTrainJob({ source, options }, log);
    const registry: Registry = useDirectory ? new DirectoryRegistry(values['models-dir'] ?? join(config.dataDir, 'models')) : new DatabaseRegistry(db!);
    await registry.save({ manifest: version.manifest, files: version.files });
    if (values.activate) await registry.activate(version.manifest.versionId);
    const m = version.manifest;
    if (values.json) process.stdout.write(JSON.stringify(m, null, 2) + '\n');
    else {
      process.stdout.write(
        `model version ${m.versionId}${values.activate ? ' (active)' : ''} in ${useDirectory ? (registry as DirectoryRegistry).dir : 'the database'}\n` +
          `iforest ${m.models.iforest.trees} trees / ${m.models.iforest.nodes} nodes (${m.models.iforest.bytes} bytes); ` +
          `autoencoder ${m.models.autoencoder.layers.join('-')} (${m.models.autoencoder.parameters} parameters); zscore on ${m.models.zscore.features} features\n` +
          `ensemble: ${m.ensemble.combine} of iforest x${m.ensemble.weights.iforest}, autoencoder x${m.ensemble.weights.autoencoder}, zscore x${m.ensemble.weights.zscore}; threshold ${m.ensemble.threshold.toFixed(3)} at alert rate ${m.ensemble.alertRate}\n` +
          formatEvaluation(m.evaluation) +
          '\n',
      );
    }
    return 0;
  } finally {
    await db?.end();
    await database?.close();
  }
}
