import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, stringFlags } from '../config.js';
import { createPool } from '../store/database.js';
import { DatabaseRegistry, DirectoryRegistry, materialize } from '../../gpu-pool/registry.js';
import { OnnxScorer } from '../../gpu-pool/scorer.js';
import { scoreFiles } from '../../gpu-pool/score-files.js';
import { expandFiles } from '../../gpu-pool/sources.js';
import { DEFAULT_PROVIDERS, type Provider } from '../../gpu-pool/providers.js';

const HELP = `usage: swaprep score [--model-version V] [--models-dir DIR | --database-url URL] [--alert-rate R] FILE...

Scores records (JSON or JSONL in the corpus shape; directories are searched for .json/.jsonl files) with the
active or the named model version, offline, and writes one JSON line per record to stdout:
  {"file","index","uti","score","flagged","top_features":[{"feature","value","contribution"}...]}
Records are replayed in order through the feature code from an empty state, as \`swaprep train --from FILE\`
does. Model versions come from --models-dir (default <data-dir>/models, where \`swaprep train --from FILE\`
keeps them) or from the database when --database-url or DATABASE_URL is given.

  --model-version V    a version id (default: the active one)
  --alert-rate R       flag this share of events instead of the version's own rate
  --providers LIST     execution providers in order (default cuda,cpu)
`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      help: { type: 'boolean', short: 'h' },
      'model-version': { type: 'string' },
      'models-dir': { type: 'string' },
      'database-url': { type: 'string' },
      'data-dir': { type: 'string' },
      'alert-rate': { type: 'string' },
      providers: { type: 'string' },
    },
    allowPositionals: true,
  });
  if (values.help || positionals.length === 0) {
    process.stdout.write(HELP);
    return values.help ? 0 : 2;
  }
  const config = loadConfig(process.env, stringFlags(values));
  const providers = (values.providers?.split(',') ?? [...DEFAULT_PROVIDERS]) as Provider[];
  if (!providers.every((p) => p === 'cuda' || p === 'cpu')) throw new Error(`--providers: "${values.providers}" (cuda, cpu)`);
  const alertRate = values['alert-rate'] === undefined ? undefined : Number(values['alert-rate']);
  if (alertRate !== undefined && !(alertRate > 0 && alertRate < 1)) throw new Error(`--alert-rate: "${values['alert-rate']}" is not between 0 and 1`);

  // Find the version and a directory holding its files.
  let versionDir: string;
  let cleanup = () => {};
  if (values['models-dir'] !== undefined || !config.databaseUrl) {
    const registry = new DirectoryRegistry(values['models-dir'] ?? join(config.dataDir, 'models'));
    const id = values['model-version'] ?? (await registry.active());
    if (!id) throw new Error(`no active model version in ${registry.dir}: train one (\`swaprep train --from FILE --activate\`) or name one with --model-version`);
    versionDir = registry.versionDir(id);
  } else {
    const db = createPool(config.databaseUrl, 1, 'long', config.postgres);
    try {
      const registry = new DatabaseRegistry(db);
      const id = values['model-version'] ?? (await registry.active());
      if (!id) throw new Error('no active model version in the database: `swaprep train --activate`, or name one with --model-version');
      const cache = mkdtempSync(join(tmpdir(), 'swaprep-score-'));
      cleanup = () => rmSync(cache, { recursive: true, force: true });
      versionDir = materialize(await registry.load(id), cache);
    } finally {
      await db.end();
    }
  }
  try {
    const scorer = await OnnxScorer.load(versionDir, { providers, ...(alertRate !== undefined ? { alertRate } : {}) });
    process.stderr.write(`model version ${scorer.versionId}: ${Object.entries(scorer.providers).map(([m, p]) => `${m} on ${p}`).join(', ')}\n`);
    const out = process.stdout;
    const totals = await scoreFiles(scorer, expandFiles(positionals), (s) => {
      out.write(JSON.stringify(s) + '\n');
    });
    await scorer.release();
    process.stderr.write(`${totals.records} records scored, ${totals.flagged} flagged, ${totals.errors} unreadable\n`);
    return totals.errors > 0 ? 1 : 0;
  } finally {
    cleanup();
  }
}
