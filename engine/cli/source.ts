import { parseArgs } from 'node:util';
import { loadConfig, stringFlags } from '../config.js';
import { withMigratedDatabase } from '../store/database.js';
import { newToken, upsertSource } from '../store/sources.js';

const HELP = `usage: swaprep source add ID [--database-url URL] [--data-dir DIR]

Creates FEP source ID (or gives it a new token) and prints the token once; only its hash is stored.
`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { help: { type: 'boolean', short: 'h' }, 'database-url': { type: 'string' }, 'data-dir': { type: 'string' } },
    allowPositionals: true,
  });
  const [action, sourceId] = positionals;
  if (values.help || action !== 'add' || !sourceId) {
    process.stdout.write(HELP);
    return values.help ? 0 : 2;
  }
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(sourceId)) {
    process.stderr.write(`swaprep source: "${sourceId}" is not a valid source id (1-64 of A-Z a-z 0-9 . _ -)\n`);
    return 2;
  }
  const flags = stringFlags(values);
  const config = loadConfig(process.env, flags);
  await withMigratedDatabase(config, async (pool) => {
    const token = newToken();
    await upsertSource(pool, sourceId, token);
    process.stdout.write(`${token}\n`);
    process.stderr.write(`source ${sourceId} ready; the token above is shown once (only its hash is stored)\n`);
  });
  return 0;
}
