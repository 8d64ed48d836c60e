/**
 * `swaprep validate`: judge files of records against the rulebook, with no engine and no database.
 *
 *   swaprep validate [--regime cftc-part45|cftc-part43|ktfc] [--stateful] [--lei-check error|warn|off] FILE... | -
 *
 * Reads JSON (one record, an array, or several values), JSONL or CSV in the corpus shape, streaming (the
 * readers of engine/ingest/files; `-` is standard input), and writes one JSON line per record to stdout:
 *   {"file","index","uti","actionType","status":"accepted"|"rejected","findings":[{"rule","element","path","severity","message"}]}
 * then a summary on stderr. A record that does not parse or decode is a rejected record with FILE-SYNTAX /
 * FILE-SCHEMA findings naming the path, never a crash. `--stateful` applies the lifecycle rules across all
 * inputs in order (an event that fails the stateless rules never touches a trade's state).
 *
 * Exit status: 0 every record accepted (warnings allowed), 1 any record rejected, 2 an input could not be read
 * (or bad usage).
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { readRecords } from '../ingest/files/read-records.js';
import { formatOf } from '../ingest/files/format.js';
import type { FileFormat, FileIssue } from '../ingest/files/types.js';
import { tradeKeyOf } from '../record/identity.js';
import { elementOfPath } from '../rules/elements.js';
import { applyLifecycle, compileRulebook, REGIMES, statusOf, type Finding, type Regime, type Rulebook, type SwapReport, type TradeState } from '../rules/index.js';

const USAGE = `usage: swaprep validate [--regime cftc-part45|cftc-part43|ktfc] [--stateful] [--lei-check error|warn|off] FILE... | -

Validates swap reports (JSON: one record or an array; JSONL; CSV) against the rulebook and writes one JSON
line per record to stdout, then a summary to stderr. "-" reads standard input.

  --regime R       cftc-part45 (default), cftc-part43 or ktfc
  --stateful       also apply the lifecycle rules (NEWT first, no duplicate NEWT, ...) across the inputs in order
  --lei-check M    LEI check digits: error (default), warn (e.g. for test data with dummy LEIs) or off
  -h, --help       this text

Exit status: 0 all records accepted, 1 any record rejected, 2 an input could not be read.
`;

const LEI_CHECKS = ['error', 'warn', 'off'] as const;
type LeiCheck = (typeof LEI_CHECKS)[number];

interface Options {
  regime: Regime;
  stateful: boolean;
  leiCheck: LeiCheck;
  inputs: string[];
}

/** Parses argv; a string is a usage error. */
function parseOptions(argv: string[]): Options | 'help' | string {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        regime: { type: 'string', default: 'cftc-part45' },
        stateful: { type: 'boolean', default: false },
        'lei-check': { type: 'string', default: 'error' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    return (err as Error).message;
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  const regime = values.regime as string;
  if (!(REGIMES as readonly string[]).includes(regime)) return `unknown --regime "${regime}" (expected ${REGIMES.join(', ')})`;
  const leiCheck = values['lei-check'] as string;
  if (!(LEI_CHECKS as readonly string[]).includes(leiCheck)) return `unknown --lei-check "${leiCheck}" (expected error, warn or off)`;
  if (positionals.length === 0) return 'no input: give one or more files, or - for standard input';
  return { regime: regime as Regime, stateful: values.stateful === true, leiCheck: leiCheck as LeiCheck, inputs: positionals };
}

/** One output line, with the keys in the documented order. */
export interface ResultLine {
  file: string;
  index: number;
  uti: string | null;
  actionType: string | null;
  status: 'accepted' | 'rejected';
  findings: Finding[];
}

/** Tallies for the summary. */
class Summary {
  records = 0;
  accepted = 0;
  withWarnings = 0;
  rejected = 0;
  unreadable = 0;
  readonly byRule = new Map<string, number>();

  add(findings: readonly Finding[], status: ResultLine['status']): void {
    this.records++;
    if (status === 'rejected') this.rejected++;
    else {
      this.accepted++;
      if (findings.length > 0) this.withWarnings++;
    }
    for (const f of findings) this.byRule.set(f.rule, (this.byRule.get(f.rule) ?? 0) + 1);
  }

  text(o: Options): string {
    const top = [...this.byRule].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 10);
    const lines = [
      `swaprep validate: ${this.records} records, ${this.accepted} accepted (${this.withWarnings} with warnings), ${this.rejected} rejected` +
        ` (regime ${o.regime}, lei-check ${o.leiCheck}${o.stateful ? ', stateful' : ''})`,
    ];
    if (top.length > 0) lines.push(`top rules: ${top.map(([rule, n]) => `${rule} ${n}`).join(', ')}`);
    if (this.unreadable > 0) lines.push(`${this.unreadable} input(s) could not be read`);
    return `${lines.join('\n')}\n`;
  }
}

/** Writes lines to stdout in blocks, waiting for the pipe to drain (a large input must not pile up in memory). */
class LineWriter {
  private buf: string[] = [];
  private size = 0;

  async line(text: string): Promise<void> {
    this.buf.push(text);
    this.size += text.length + 1;
    if (this.size >= 64 * 1024) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.buf.length === 0) return;
    const chunk = `${this.buf.join('\n')}\n`;
    this.buf = [];
    this.size = 0;
    if (!process.stdout.write(chunk)) await new Promise<void>((resolve) => process.stdout.once('drain', resolve));
  }
}

/** Reader issues become findings: FILE-SYNTAX (not JSON), FILE-SCHEMA (not a SwapReport: unknown key, wrong type)... */
function issueFindings(issues: readonly FileIssue[]): Finding[] {
  return issues.map((i) => {
    const e = elementOfPath(i.path.replace(/\[\d+\]/g, '[]'));
    return { rule: i.rule, element: e === undefined ? '' : typeof e.de === 'number' ? String(e.de) : e.label, path: i.path, severity: 'error', message: i.message };
  });
}

/** The reader for an input: by extension, else by its first bytes (`[` or a lone `{` line: JSON; else JSONL). */
async function formatFor(path: string): Promise<FileFormat> {
  if (['.json', '.jsonl', '.ndjson', '.csv'].includes(extname(path).toLowerCase())) return formatOf(path);
  const handle = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(64 * 1024), 0, 64 * 1024, 0);
    const head = buffer.subarray(0, bytesRead).toString('utf8').replace(/^\uFEFF/, '').trimStart();
    if (head.startsWith('[')) return 'json';
    const firstLine = (head.split('\n', 1)[0] ?? '').trim();
    return firstLine === '{' || (firstLine.startsWith('{') && !firstLine.endsWith('}')) ? 'json' : 'jsonl';
  } finally {
    await handle.close();
  }
}

/** Standard input, copied to a temporary file so it can be sniffed and streamed like any file. */
async function spoolStdin(): Promise<{ path: string; dispose: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'swaprep-validate-'));
  const path = join(dir, 'stdin');
  await pipeline(process.stdin, createWriteStream(path));
  return { path, dispose: () => rm(dir, { recursive: true, force: true }) };
}

function text(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

export async function run(argv: string[]): Promise<number> {
  const o = parseOptions(argv);
  if (o === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (typeof o === 'string') {
    process.stderr.write(`swaprep validate: ${o}\n\n${USAGE}`);
    return 2;
  }
  const book: Rulebook = compileRulebook({ regime: o.regime, leiCheck: o.leiCheck });
  const trades = new Map<string, TradeState>();
  const summary = new Summary();
  const out = new LineWriter();

  const judge = (report: SwapReport, file: string, index: number): ResultLine => {
    const findings = book.validate(report);
    let status = statusOf(findings);
    if (o.stateful && status !== 'rejected') {
      const key = tradeKeyOf(report);
      const lc = applyLifecycle(key === undefined ? undefined : trades.get(key), report, { sourceId: file, seq: index });
      findings.push(...lc.findings);
      if (lc.accepted && lc.state !== undefined) trades.set(lc.state.tradeKey, lc.state);
      status = statusOf(findings);
    }
    return {
      file,
      index,
      uti: text(report.uniqueTransactionIdentifier) ?? text(report.uniqueSwapIdentifier),
      actionType: text(report.actionType),
      status: status === 'rejected' ? 'rejected' : 'accepted',
      findings,
    };
  };

  for (const input of o.inputs) {
    const spooled = input === '-' ? await spoolStdin() : undefined;
    const path = spooled?.path ?? input;
    try {
      const format = await formatFor(path);
      let index = 0;
      for await (const rec of readRecords(path, { format })) {
        const line: ResultLine =
          'report' in rec
            ? judge(rec.report, input, index)
            : { file: input, index, uti: null, actionType: null, status: 'rejected', findings: issueFindings(rec.issues) };
        summary.add(line.findings, line.status);
        await out.line(JSON.stringify(line));
        index++;
      }
    } catch (err) {
      summary.unreadable++;
      process.stderr.write(`swaprep validate: cannot read ${input}: ${err instanceof Error ? err.message : String(err)}\n`);
    } finally {
      await spooled?.dispose();
    }
  }
  await out.flush();
  process.stderr.write(summary.text(o));
  if (summary.unreadable > 0) return 2;
  return summary.rejected > 0 ? 1 : 0;
}
