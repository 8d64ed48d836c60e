import { parseArgs } from 'node:util';
import { loadConfig, stringFlags } from '../config.js';
import { withMigratedDatabase } from '../store/database.js';
import { makeReportFile, listReportFiles } from '../scheduled/files.js';
import { REPORT_KINDS, type ReportKind } from '../scheduled/kinds.js';

const HELP = `usage: swaprep report KIND --date YYYY-MM-DD [--out FILE] [--by NAME] [--database-url URL] [--data-dir DIR]
       swaprep report list [--kind KIND]

Makes one report on demand for the UTC day --date, writes it as CSV (--out, default reports/DATE/KIND-DATE.csv)
and records it with its metadata. KIND: ${REPORT_KINDS.join(', ')}.
Prints the file's metadata as JSON.
`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      help: { type: 'boolean', short: 'h' }, date: { type: 'string' }, out: { type: 'string' }, by: { type: 'string' }, kind: { type: 'string' },
      'database-url': { type: 'string' }, 'data-dir': { type: 'string' },
    },
    allowPositionals: true,
  });
  const [kind] = positionals;
  if (values.help || !kind) {
    process.stdout.write(HELP);
    return values.help ? 0 : 2;
  }
  if (kind !== 'list' && (!REPORT_KINDS.includes(kind as ReportKind) || !values.date)) {
    process.stderr.write(`swaprep report: ${!values.date ? '--date is required' : `unknown kind "${kind}"`}\n\n${HELP}`);
    return 2;
  }
  const config = loadConfig(process.env, stringFlags({ 'database-url': values['database-url'], 'data-dir': values['data-dir'] }));
  return withMigratedDatabase(config, async (pool) => {
    if (kind === 'list') {
      process.stdout.write(JSON.stringify(await listReportFiles(pool, values.kind ? { kind: values.kind } : {}), null, 2) + '\n');
      return 0;
    }
    const file = await makeReportFile(pool, kind as ReportKind, values.date!, { ...(values.out ? { out: values.out } : {}), createdBy: values.by ?? process.env.USER ?? 'cli' });
    process.stdout.write(JSON.stringify(file) + '\n');
    return 0;
  });
}
