import { parseArgs } from 'node:util';
import { loadConfig, stringFlags } from '../config.js';
import { openDatabase, createPool } from '../store/database.js';
import { migrate } from '../store/migrate.js';
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
  const database = await openDatabase(config.databaseUrl, { dataDir: config.dataDir, port: config.embeddedPgPort });
  const pool = createPool(database.url, 1);
  try {
    const client = await pool.connect();
    try {
      await migrate(client);
      const token = newToken();
      await upsertSource(client, sourceId, token);
      process.stdout.write(`${token}\n`);
      process.stderr.write(`source ${sourceId} ready; the token above is shown once (only its hash is stored)\n`);
    } finally {
      client.release();
    }
  } finally {
    await pool.end();
    await database.close();
  }
  return 0;
}
