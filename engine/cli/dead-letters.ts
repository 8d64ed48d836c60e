import { parseArgs } from 'node:util';
import { loadConfig, stringFlags } from '../config.js';
import { withMigratedDatabase } from '../store/database.js';
import {
  DEAD_LETTER_STATUSES, DeadLetterError, FOLLOWERS, getDeadLetter, listDeadLetters, requestRetry, type DeadLetter, type DeadLetterStatus, type Follower,
} from '../store/dead-letters.js';

const HELP = `usage: swaprep dead-letters list [--follower F] [--status S] [--limit N] [--json] [--database-url URL] [--data-dir DIR]
       swaprep dead-letters retry ID|--all [--database-url URL] [--data-dir DIR]

Events a follower of the event log could not process and set aside so that it could go on with the next ones
(followers: ${FOLLOWERS.join(', ')}).

  list    the dead letters, oldest first (--status ${DEAD_LETTER_STATUSES.join('|')}; --json: one JSON object a line)
  retry   asks the follower to process dead letter ID (or every open one) again, once its cause is fixed: at its
          next look (the projection every 5 s, the scoring at its next sweep) it resolves the dead letter, or
          records the failure again (status back to open)
`;

/** The first line of an error, short enough for a table row. */
function oneLine(text: string, max = 120): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function table(list: readonly DeadLetter[]): string {
  if (list.length === 0) return 'no dead letters\n';
  const rows = list.map((d) => [String(d.id), d.follower, `${d.sourceId}#${d.seq}`, d.status, String(d.attempts), d.updatedAt, d.code ?? '', oneLine(d.error)]);
  const head = ['ID', 'FOLLOWER', 'EVENT', 'STATUS', 'ATTEMPTS', 'UPDATED', 'CODE', 'ERROR'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [fmt(head), ...rows.map(fmt)].join('\n') + '\n';
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      help: { type: 'boolean', short: 'h' }, follower: { type: 'string' }, status: { type: 'string' }, limit: { type: 'string' },
      json: { type: 'boolean' }, all: { type: 'boolean' }, 'database-url': { type: 'string' }, 'data-dir': { type: 'string' },
    },
    allowPositionals: true,
  });
  const [action, target, ...extra] = positionals;
  if (values.help || (action !== 'list' && action !== 'retry')) {
    process.stdout.write(HELP);
    return values.help ? 0 : 2;
  }
  const fail = (message: string, code = 2): number => {
    process.stderr.write(`swaprep dead-letters: ${message}\n`);
    return code;
  };
  if (extra.length > 0) return fail(`unexpected argument "${extra[0]}"`);
  const config = loadConfig(process.env, stringFlags({ 'database-url': values['database-url'], 'data-dir': values['data-dir'] }));

  if (action === 'list') {
    if (target !== undefined) return fail(`list takes no argument ("${target}"); filter with --follower and --status`);
    if (values.follower !== undefined && !(FOLLOWERS as readonly string[]).includes(values.follower)) {
      return fail(`unknown follower "${values.follower}" (one of ${FOLLOWERS.join(', ')})`);
    }
    if (values.status !== undefined && !(DEAD_LETTER_STATUSES as readonly string[]).includes(values.status)) {
      return fail(`unknown status "${values.status}" (one of ${DEAD_LETTER_STATUSES.join(', ')})`);
    }
    const limit = values.limit === undefined ? 1_000 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1) return fail(`--limit must be a positive integer, not "${values.limit}"`);
    const list = await withMigratedDatabase(config, (pool) =>
      listDeadLetters(pool, { follower: values.follower as Follower | undefined, status: values.status as DeadLetterStatus | undefined, limit }));
    process.stdout.write(values.json ? list.map((d) => JSON.stringify(d) + '\n').join('') : table(list));
    return 0;
  }

  // retry
  if (Boolean(values.all) === (target !== undefined)) return fail('retry takes one dead letter ID, or --all');
  if (values.all) {
    const n = await withMigratedDatabase(config, (pool) => requestRetry(pool, 'all'));
    process.stdout.write(`${n} dead letter(s) set to retry\n`);
    return 0;
  }
  if (!/^[1-9]\d{0,17}$/.test(target!)) return fail(`"${target}" is not a dead letter ID (a positive integer, as \`swaprep dead-letters list\` shows)`);
  const id = Number(target);
  return withMigratedDatabase(config, async (pool) => {
    try {
      if ((await requestRetry(pool, id)) === 1) {
        process.stdout.write(`dead letter ${id} set to retry\n`);
        return 0;
      }
    } catch (err) {
      if (err instanceof DeadLetterError && err.code === 'DEAD_LETTER_NOT_FOUND') return fail(`there is no dead letter ${id}`, 1);
      throw err;
    }
    const d = await getDeadLetter(pool, id);
    if (d?.status === 'retry') {
      process.stdout.write(`dead letter ${id} is already waiting for its retry\n`);
      return 0;
    }
    return fail(`dead letter ${id} is ${d?.status ?? 'gone'}: nothing to retry`, 1);
  });
}
