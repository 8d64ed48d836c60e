import { parseArgs } from 'node:util';
import { loadConfig, stringFlags } from '../config.js';
import { withMigratedDatabase } from '../store/database.js';
import { createReportBuilder, DEFAULT_REPORTS_CONFIG, REPORT_REGIMES, type ReportRegime } from '../reports/index.js';
import { fetchRepositoryView, reconcile } from '../reconcile/reconcile.js';

const HELP = `usage: swaprep reconcile [--regimes cftc-part45,cftc-part43] [--repository NAME --state-url URL] [--database-url URL] [--data-dir DIR]

Checks that every accepted event's owed submissions are acknowledged, in flight before their deadline, or
carried by an open exception; with --state-url, also compares repository NAME's state report (GET URL/v1/state)
with our acknowledged submissions and trade lifecycles. Prints the result as JSON; exit 1 when it found mismatches.
`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      help: { type: 'boolean', short: 'h' }, regimes: { type: 'string' }, repository: { type: 'string' }, 'state-url': { type: 'string' },
      'database-url': { type: 'string' }, 'data-dir': { type: 'string' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const regimes = (values.regimes ? values.regimes.split(',') : [...DEFAULT_REPORTS_CONFIG.regimes]) as ReportRegime[];
  for (const r of regimes) if (!REPORT_REGIMES.includes(r)) throw new Error(`unknown regime ${r}`);
  if (values['state-url'] && !values.repository) throw new Error('--state-url needs --repository NAME (our name of that repository)');
  const config = loadConfig(process.env, stringFlags({ 'database-url': values['database-url'], 'data-dir': values['data-dir'] }));
  return withMigratedDatabase(config, async (pool) => {
    const view = values['state-url'] ? await fetchRepositoryView(values['state-url']) : undefined;
    const result = await reconcile(pool, createReportBuilder({ ...DEFAULT_REPORTS_CONFIG, regimes }), {
      regimes, ...(view && values.repository ? { repository: { name: values.repository, view } } : {}),
    });
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return result.ok ? 0 : 1;
  });
}
